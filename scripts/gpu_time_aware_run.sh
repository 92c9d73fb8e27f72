#!/usr/bin/env bash
# Today's DEMO recipe and the time-aware recipe (issue 25) side by side on one GPU, by-atomic split,
# same data (4,000 sequences, seed 0), same stages and budget as scripts/gpu_smollm2_run.sh
# (stage 1 2 epochs, stage 2 4 epochs, greedy inference, batch 200). The pipelines run at the same
# time on one GPU (a 135M model leaves most of an H100 idle), each in the background, so that a
# device call's 10-minute limit cuts no run: the steps are
#
#   STEP=prep    MODEL_PART1=... bash scripts/gpu_time_aware_run.sh   # wheel, first GGUF half, data
#   STEP=launch  MODEL_PART2=... bash scripts/gpu_time_aware_run.sh   # reassemble, start, wait WAIT s
#   STEP=collect OUT=$OUT        bash scripts/gpu_time_aware_run.sh   # wait for the end, pack to $OUT
#
# Environment: WORK (default $HOME/gw), NUM (4000), RECIPES (default "demo index seconds"),
# SHA (the GGUF's SHA-256), WAIT (seconds launch waits, default 560), EP1 / EP2 (2 / 4).
# Each recipe's folder WORK/<recipe> gets s1/, s2/ (TensorBoard events under runs/, log_history.json),
# pred/ and timings.txt; collect packs each into OUT/<recipe>.tar.gz with the test ground truth.
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
WORK=${WORK:-$HOME/gw}
NUM=${NUM:-4000}
RECIPES=${RECIPES:-"demo index seconds"}
WAIT=${WAIT:-560}
EP1=${EP1:-2}
EP2=${EP2:-4}
GGUF=${GGUF:-$HOME/SmolLM2-135M-Instruct.Q4_1.gguf}
D=${D:-$WORK/data_atomic}
export PYTHONPATH="$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH}"

. "$(dirname "$0")/gpu_cli.sh"  # gen, train, infer, ev
timed() {  # timed NAME FILE cmd...: wall seconds of cmd appended to FILE
  local name=$1 file=$2; shift 2
  local t0; t0=$(date +%s.%N)
  "$@"; local rc=$?
  echo "$name $(python3 -c "import time; print(round(time.time() - $t0, 1))") rc=$rc" >>"$file"
  return $rc
}

recipe_args() {  # the flags that differ between recipes
  case $1 in
    demo) echo "--model-max-length 1024" ;;
    index) echo "--time-stamps index --model-max-length 1536" ;;
    seconds) echo "--time-stamps seconds --model-max-length 1536" ;;
    # equal-steps controls: each recipe at the other's optimizer steps of the first run
    # (packed micro-batches of 6,144 tokens: longer samples, more steps for the same epochs)
    index_eq) echo "--time-stamps index --model-max-length 1536" ;;
    demo_eq) echo "--model-max-length 1024" ;;
    *) echo "unknown recipe $1" >&2; return 1 ;;
  esac
}

stage_steps() {  # stage_steps RECIPE STAGE: --max-steps of the equal-steps controls, else nothing
  case $1/$2 in
    index_eq/s1) echo "--max-steps 502" ;;
    index_eq/s2) echo "--max-steps 740" ;;
    demo_eq/s1) echo "--max-steps 564" ;;
    demo_eq/s2) echo "--max-steps 972" ;;
  esac
}

pipeline() {  # one recipe, start to end (run in the background by launch)
  local name=$1 r="$WORK/$1" extra
  extra=$(recipe_args "$name") || return 1
  mkdir -p "$r"
  export COMPMO_CACHE="$WORK/cache_$name"  # no two processes convert into one cache at once
  local t="$r/timings.txt"
  # shellcheck disable=SC2086
  timed stage1 "$t" train stage1 --model "$GGUF" --train-file "$D/stage1.json" --output-dir "$r/s1" \
    --epochs "$EP1" --learning-rate 5e-4 --batch-size 64 --pos-embedding true --center-windows true \
    --bf16 true --num-workers 4 --save-steps 100000 --logging-steps 10 $extra \
    $(stage_steps "$name" s1) -q || return 1
  # shellcheck disable=SC2086
  timed stage2 "$t" train stage2 --model "$GGUF" --train-file "$D/stage2.json" --output-dir "$r/s2" \
    --init-from "$r/s1" --epochs "$EP2" --learning-rate 3e-4 --pos-embedding true --center-windows true \
    --batch-size 32 --bf16 true --lora-r 64 --lora-alpha 128 --lora-dropout 0.05 \
    --lora-targets all-linear --num-workers 4 --save-steps 100000 --logging-steps 10 $extra \
    $(stage_steps "$name" s2) -q || return 1
  timed infer "$t" infer --run "$r/s2" --data "$D/test.json" --out "$r/pred" --batch-size 200 \
    --bf16 --max-new-tokens 300 -q || return 1
}

case ${STEP:?set STEP=prep|launch|collect} in
  prep)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site "${WHL:-.whl}"/*.whl || exit 1
    cp "${MODEL_PART1:?}" "$HOME/gguf.part1" || exit 1
    mkdir -p "$WORK"
    nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$WORK/env.txt"
    python3 -c "import torch, transformers, peft, tensorboard; print(torch.__version__, transformers.__version__, peft.__version__, 'tensorboard', tensorboard.__version__)" | tee -a "$WORK/env.txt"
    gen build --out "$D" --num "$NUM" --seed 0 --split-by atomic --workers 14 -q || exit 1
    for k in stage1 stage2 test; do gen stage-json "$k" --dataset "$D" -q || exit 1; done
    ls "$D"
    ;;
  launch)
    cat "$HOME/gguf.part1" "${MODEL_PART2:?}" >"$GGUF" || exit 1
    echo "${SHA:?}  $GGUF" | sha256sum -c || exit 1
    for name in $RECIPES; do
      mkdir -p "$WORK/$name"
      setsid bash -c "STEP=one NAME=$name bash $0" >"$WORK/$name/log.txt" 2>&1 < /dev/null &
    done
    t0=$(date +%s)
    while [ $(( $(date +%s) - t0 )) -lt "$WAIT" ]; do
      sleep 20
      done=0
      for name in $RECIPES; do [ -f "$WORK/$name/rc" ] && done=$((done + 1)); done
      echo "$(( $(date +%s) - t0 )) s: $(for n in $RECIPES; do printf '%s[%s] ' "$n" "$(tail -n1 "$WORK/$n/timings.txt" 2>/dev/null | tr -d '\n')"; done)"
      [ "$done" -eq "$(echo $RECIPES | wc -w)" ] && break
    done
    nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
    if [ "$done" -eq "$(echo $RECIPES | wc -w)" ] && [ -n "${OUT:-}" ]; then STEP=collect bash "$0"; fi
    ;;
  one)
    pipeline "$NAME"
    echo $? >"$WORK/$NAME/rc"
    ;;
  collect)
    : "${OUT:?}"
    for i in $(seq 1 60); do
      left=0
      for name in $RECIPES; do [ -f "$WORK/$name/rc" ] || left=$((left + 1)); done
      [ "$left" -eq 0 ] && break
      sleep 10
    done
    cp "$WORK/env.txt" "$OUT/"
    for name in $RECIPES; do
      r="$WORK/$name" p="$WORK/pack_$name"
      mkdir -p "$p"
      echo "== $name rc=$(cat "$r/rc" 2>/dev/null)"; cat "$r/timings.txt"; grep -v "it/s]" "$r/log.txt" | tail -n 8
      cp "$D/annotations/test.json" "$p/gt_test.json"
      cp "$D/annotations/train.json" "$p/gt_train.json"
      cp "$D/stats.json" "$r/timings.txt" "$r/log.txt" "$p/" 2>/dev/null
      for s in s1 s2; do
        cp "$r/$s/train_report.json" "$p/${s}_report.json" 2>/dev/null
        cp "$r/$s/config.yaml" "$p/${s}_config.yaml" 2>/dev/null
        cp "$r/$s/log_history.json" "$p/${s}_log_history.json" 2>/dev/null
        [ -d "$r/$s/runs" ] && tar -czf "$p/${s}_tensorboard.tar.gz" -C "$r/$s" runs
      done
      cp "$r"/pred/*.json "$p/" 2>/dev/null
      tar -czf "$OUT/$name.tar.gz" -C "$p" .
    done
    ls -la "$OUT"
    ;;
esac
