#!/usr/bin/env bash
# Issue 26's GPU run: SmolLM2 trained (stage 1, stage 2) and evaluated on a multi-track build and on
# a sequential build made the same way, scored with the multi-track scorer (one-to-one, order-free,
# per body-part track, concurrency recall; also part-aware) and the sequential metrics.
# Modelled on scripts/gpu_smollm2_run.sh.
#
#   OUT=/path/to/results MODEL=/path/SmolLM2-135M-Instruct(.gguf|folder) bash scripts/gpu_multitrack_run.sh
#   DRY_RUN=1 OUT=/tmp/mt_dry bash scripts/gpu_multitrack_run.sh     # CPU, tiny random model, minutes
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

ev() { python3 -c 'import sys; from evaluation.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
gen() { python3 -c 'import sys; from compmo_gen.cli import main; sys.exit(main(sys.argv[1:]))' "$@"; }
train() { python3 -c 'import sys; from modeling.cli import train_main; sys.exit(train_main(sys.argv[1:]))' "$@"; }
infer() { python3 -c 'import sys; from modeling.cli import infer_main; sys.exit(infer_main(sys.argv[1:]))' "$@"; }
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
  # both scorers on both builds: --multitrack on forces the multi-track figures on sequential GT too
  ev score "$r/pred/predictions.json" --gt "$d/annotations/test.json" --multitrack on \
    --out "$OUT/${mode}.results.json" -q || return 1
  ev score "$r/pred/predictions.json" --gt "$d/annotations/test.json" --multitrack on --part-aware \
    --out "$OUT/${mode}.part_aware.results.json" -q || return 1
  ev score "$d/annotations/test.json" --gt "$d/annotations/test.json" --fmt anet-gt --multitrack on \
    --out "$OUT/${mode}.gt_as_pred.results.json" -q || return 1
  ev baselines "$d" --out-dir "$r/baselines" -q || return 1  # uniform, nn-oracle (GT boundaries)
  for b in uniform nn-oracle; do
    ev score "$r/baselines/${b}_test.json" --gt "$d/annotations/test.json" --multitrack on \
      --out "$OUT/${mode}.${b}.results.json" -q || return 1
  done
  cp "$r/pred/generated.json" "$OUT/${mode}.generated.json"
  cp "$d/stats.json" "$OUT/${mode}.stats.json"
  cp "$t" "$OUT/${mode}.timings.txt"
}

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv 2>/dev/null || echo "no GPU (dry run: $DRY_RUN)"; } | tee "$OUT/env.txt"
python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)" | tee -a "$OUT/env.txt"
rc=0
for m in $MODES; do
  one "$m" 2>&1 | tee "$OUT/log_$m.txt" | grep -v "it/s]" | tail -n 40
  [ "${PIPESTATUS[0]}" = 0 ] || rc=1
done
python3 scripts/multitrack_table.py "$OUT" | tee "$OUT/multitrack_run.md"
exit $rc
