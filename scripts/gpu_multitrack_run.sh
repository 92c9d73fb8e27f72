#!/usr/bin/env bash
# Issue 26's GPU run: SmolLM2 trained (stage 1, stage 2) and evaluated on a multi-track build and on
# a sequential build made the same way, scored with the multi-track scorer (one-to-one, order-free,
# per body-part track, concurrency recall; also part-aware) and the sequential metrics.
# Modelled on scripts/gpu_smollm2_run.sh.
#
#   OUT=/path/to/results MODEL=/path/SmolLM2-135M-Instruct(.gguf|folder) bash scripts/gpu_multitrack_run.sh
#   DRY_RUN=1 OUT=/tmp/mt_dry bash scripts/gpu_multitrack_run.sh     # CPU, tiny random model, minutes
#
# In steps, both builds at once on one GPU (a 135M model leaves most of an H100 idle), so that a
# device call's 10-minute limit cuts no run, and scored where pycocoevalcap is (the device lacks it):
#
#   STEP=prep    MODEL_PART1=... bash scripts/gpu_multitrack_run.sh   # wheels, first GGUF half
#   STEP=launch  MODEL_PART2=... SHA=... bash scripts/gpu_multitrack_run.sh  # reassemble, start, wait WAIT s
#   STEP=collect OUT=... bash scripts/gpu_multitrack_run.sh           # wait, pack OUT/<mode>.tar.gz
#   STEP=score   OUT=... bash scripts/gpu_multitrack_run.sh           # here: unpack, score, table
#
# Environment: MODEL, OUT (results), WORK (scratch, default /tmp/compmo_mt), NUM (sequences per
# dataset, default 4000), MODES (default "multitrack sequential"), EP1 / EP2 (epochs, default 2 / 4,
# the settings of results/model_gpu_run.md's run 2: about 470 s per mode on an H100, so under a
# 10-minute command limit run MODES=multitrack and MODES=sequential as two calls, same OUT),
# DRY_RUN=1 (tiny random Llama made on the fly, 16 sequences, a few steps, no bf16: checks the
# whole chain on a CPU; its scores mean nothing).
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
OUT=${OUT:?set OUT}
WORK=${WORK:-/tmp/compmo_mt}
DRY_RUN=${DRY_RUN:-0}
MODES=${MODES:-"multitrack sequential"}
mkdir -p "$WORK" "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"

. "$(dirname "$0")/gpu_cli.sh"  # gen, train, infer, ev
timed() {  # timed NAME FILE cmd...: wall seconds of cmd appended to FILE
  local name=$1 file=$2; shift 2
  local t0; t0=$(date +%s.%N)
  "$@"; local rc=$?
  echo "$name $(python3 -c "import time; print(round(time.time() - $t0, 1))") rc=$rc" | tee -a "$file"
  return $rc
}

if [ "$DRY_RUN" = 1 ]; then
  NUM=${NUM:-16}
  BUILD=(--set library.per_kind=2 --set chunk=8 --workers 1)
  S1=(--max-steps 2 --batch-size 4 --num-workers 0)
  S2=(--max-steps 3 --batch-size 4 --lora-r 8 --lora-alpha 16 --num-workers 0)
  INF=(--batch-size 4 --max-new-tokens 48)
else
  NUM=${NUM:-4000}
  BUILD=(--workers 14)
  S1=(--epochs "${EP1:-2}" --learning-rate 5e-4 --batch-size 64 --pos-embedding true --center-windows true --bf16 true --num-workers 8 --model-max-length 1024)
  S2=(--epochs "${EP2:-4}" --learning-rate 3e-4 --batch-size 32 --pos-embedding true --center-windows true --bf16 true --lora-r 64 --lora-alpha 128 --lora-dropout 0.05 --lora-targets all-linear --num-workers 8 --model-max-length 1024)
  INF=(--batch-size 200 --bf16 --max-new-tokens 400)
fi

one() {
  local mode=$1 d="$WORK/data_$1" r="$WORK/runs_$1" t preset=datasets/multitrack.yaml
  t="$r/timings.txt"
  mkdir -p "$r"
  local off=()  # the sequential build: the same base timelines, no overlays
  [ "$mode" = sequential ] && off=(--set multitrack.enabled=false)
  timed build "$t" gen build --preset "$preset" ${off[@]+"${off[@]}"} --set num="$NUM" "${BUILD[@]}" --out "$d" -q || return 1
  gen validate "$d" || return 1
  for k in stage1 stage2 test; do gen stage-json "$k" --dataset "$d" -q || return 1; done
  local model=${MODEL:-}
  if [ "$DRY_RUN" = 1 ]; then
    model="$WORK/tiny_llm"
    [ -d "$model" ] || python3 - "$d" "$model" <<'PY' || return 1
import json, sys
from modeling.tiny import make_tiny_llm
d, out = sys.argv[1], sys.argv[2]
texts = [x["conversations"][-1]["value"] if "conversations" in x else json.dumps(x) for x in json.load(open(f"{d}/stage2.json"))]
make_tiny_llm(out, texts * 3)
PY
  fi
  [ -n "$model" ] || { echo "set MODEL"; return 1; }
  timed stage1 "$t" train stage1 --model "$model" --train-file "$d/stage1.json" --output-dir "$r/s1" \
    "${S1[@]}" --save-steps 100000 --logging-steps 50 -q || return 1
  timed stage2 "$t" train stage2 --model "$model" --train-file "$d/stage2.json" --output-dir "$r/s2" \
    --init-from "$r/s1" "${S2[@]}" --save-steps 100000 --logging-steps 50 -q || return 1
  timed infer "$t" infer --run "$r/s2" --data "$d/test.json" --out "$r/pred" "${INF[@]}" -q || return 1
  ev baselines "$d" --out-dir "$r/baselines" -q || return 1  # uniform, nn-oracle (GT boundaries)
  [ "${SCORE:-1}" = 1 ] || return 0
  score "$mode" "$r/pred/predictions.json" "$d/annotations/test.json" "$r/baselines" || return 1
  cp "$r/pred/generated.json" "$OUT/${mode}.generated.json"
  cp "$d/stats.json" "$OUT/${mode}.stats.json"
  cp "$t" "$OUT/${mode}.timings.txt"
}

score() {  # score MODE PREDICTIONS GT BASELINES_DIR: OUT/<mode>.<tag>.json
  local mode=$1 pred=$2 gt=$3 base=$4
  # both scorers on both builds: --multitrack on forces the multi-track figures on sequential GT too
  ev score "$pred" --gt "$gt" --multitrack on --out "$OUT/${mode}.results.json" -q || return 1
  ev score "$pred" --gt "$gt" --multitrack on --part-aware \
    --out "$OUT/${mode}.part_aware.results.json" -q || return 1
  ev score "$gt" --gt "$gt" --fmt anet-gt --multitrack on \
    --out "$OUT/${mode}.gt_as_pred.results.json" -q || return 1
  for b in uniform nn-oracle; do
    ev score "$base/${b}_test.json" --gt "$gt" --multitrack on \
      --out "$OUT/${mode}.${b}.results.json" -q || return 1
  done
}

GGUF=${GGUF:-$HOME/SmolLM2-135M-Instruct.Q4_1.gguf}
case ${STEP:-all} in
  all)
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no GPU (dry run: $DRY_RUN)"; } | tee "$OUT/env.txt"
    python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)" | tee -a "$OUT/env.txt"
    rc=0
    for m in $MODES; do
      one "$m" 2>&1 | tee "$OUT/log_$m.txt" | grep -v "it/s]" | tail -n 40
      [ "${PIPESTATUS[0]}" = 0 ] || rc=1
    done
    python3 -m scripts.multitrack_table "$OUT" | tee "$OUT/multitrack_run.md"
    exit $rc
    ;;
  prep)
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
      --target /tmp/site "${WHL:-.whl}"/*.whl || exit 1
    cp "${MODEL_PART1:?}" "$HOME/gguf.part1" || exit 1
    { nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
      python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)"; } | tee "$WORK/env.txt"
    ;;
  launch)
    cat "$HOME/gguf.part1" "${MODEL_PART2:?}" >"$GGUF" || exit 1
    echo "${SHA:?}  $GGUF" | sha256sum -c || exit 1
    # the pipelines run from a snapshot of the code: a later call replaces the repository copy
    rm -rf "$WORK/src" && mkdir -p "$WORK/src" || exit 1
    tar -cf - --exclude=./.dev --exclude=./.whl --exclude=./.git . | tar -xf - -C "$WORK/src" || exit 1
    for m in $MODES; do
      mkdir -p "$WORK/runs_$m"
      rm -f "$WORK/runs_$m/rc"
      (cd "$WORK/src" && PYTHONPATH="$WORK/src:/tmp/site" setsid bash -c \
        "STEP=one MODE=$m SCORE=0 MODEL=$GGUF bash scripts/gpu_multitrack_run.sh" \
        >"$WORK/runs_$m/log.txt" 2>&1 </dev/null &)
    done
    t0=$(date +%s) n=$(echo $MODES | wc -w) done=0
    while [ $(( $(date +%s) - t0 )) -lt "${WAIT:-540}" ] && [ "$done" -lt "$n" ]; do
      sleep 20
      done=0
      for m in $MODES; do [ -f "$WORK/runs_$m/rc" ] && done=$((done + 1)); done
      echo "$(( $(date +%s) - t0 )) s: $(for m in $MODES; do printf '%s[%s] ' "$m" "$(tail -n1 "$WORK/runs_$m/timings.txt" 2>/dev/null | tr -d '\n')"; done)"
    done
    nvidia-smi --query-gpu=utilization.gpu,memory.used --format=csv,noheader
    ;;
  one)
    export PYTHONPATH="$PWD:/tmp/site" COMPMO_CACHE="$WORK/cache_$MODE"
    one "$MODE"
    echo $? >"$WORK/runs_$MODE/rc"
    ;;
  collect)
    for _ in $(seq 1 "${WAIT_COLLECT:-50}"); do
      left=0
      for m in $MODES; do [ -f "$WORK/runs_$m/rc" ] || left=$((left + 1)); done
      [ "$left" -eq 0 ] && break
      sleep 10
    done
    cp "$WORK/env.txt" "$OUT/" 2>/dev/null
    for m in $MODES; do
      d="$WORK/data_$m" r="$WORK/runs_$m" p="$WORK/pack_$m"
      mkdir -p "$p"
      echo "== $m rc=$(cat "$r/rc" 2>/dev/null)"; cat "$r/timings.txt"; grep -v "it/s]" "$r/log.txt" | tail -n 8
      cp "$d/annotations/test.json" "$p/gt_test.json"
      cp "$d/stats.json" "$r/timings.txt" "$r/log.txt" "$p/" 2>/dev/null
      cp "$r"/baselines/*_test.json "$p/" 2>/dev/null
      for s in s1 s2; do cp "$r/$s/train_report.json" "$p/${s}_report.json" 2>/dev/null; done
      cp "$r"/pred/*.json "$p/" 2>/dev/null
      tar -czf "$OUT/$m.tar.gz" -C "$p" .
    done
    ls -la "$OUT"
    ;;
  score)
    rc=0
    for m in $MODES; do
      p="$WORK/unpacked_$m"
      mkdir -p "$p" && tar -xzf "$OUT/$m.tar.gz" -C "$p" || { rc=1; continue; }
      score "$m" "$p/predictions.json" "$p/gt_test.json" "$p" || rc=1
      cp "$p/generated.json" "$OUT/${m}.generated.json"
      cp "$p/stats.json" "$OUT/${m}.stats.json"
      cp "$p/timings.txt" "$OUT/${m}.timings.txt"
    done
    python3 -m scripts.multitrack_table "$OUT" | tee "$OUT/multitrack_run.md"
    exit $rc
    ;;
  *) echo "STEP: all, prep, launch, one, collect or score"; exit 2 ;;
esac
