#!/usr/bin/env bash
# One GPU run of the whole DEMO recipe with SmolLM2-135M-Instruct (GGUF) on embedded-library data:
# build -> stage JSON -> stage 1 -> stage 2 -> inference, for a by-sequence and a by-atomic split.
# Scoring happens wherever pycocoevalcap + Java are (see scripts/gpu_score.sh).
#
#   OUT=/path/to/results MODEL=/path/SmolLM2-135M-Instruct.Q4_1.gguf bash scripts/gpu_smollm2_run.sh
#
# Environment: MODEL (a .gguf or HF folder), OUT (results), WORK (scratch, default /tmp/compmo_gpu),
# NUM (sequences per dataset, default 5000), SPLITS (default "sequence atomic"), PROBE (JSON from
# scripts/gpu_probe.sh: epochs are then sized so stage 1 takes about B1 s and stage 2 about B2 s),
# EP1 / EP2 (epochs of stage 1 / stage 2, overriding the probe).
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
WORK=${WORK:-/tmp/compmo_gpu}
OUT=${OUT:?set OUT}
NUM=${NUM:-5000}
SPLITS=${SPLITS:-"sequence atomic"}
MODEL=${MODEL:?set MODEL}
PROBE=${PROBE:-}
B1=${B1:-70}
B2=${B2:-190}
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

one() {
  local split=$1 name="by_$1" d="$WORK/data_$1" r="$WORK/runs_$1" t
  t="$r/timings.txt"
  mkdir -p "$r"
  timed build "$t" gen build --out "$d" --num "$NUM" --seed 0 --split-by "$split" --workers 14 -q || return 1
  for k in stage1 stage2 test; do gen stage-json "$k" --dataset "$d" -q || return 1; done
  local ep1=1 ep2=5
  if [ -n "$PROBE" ] && [ -f "$PROBE" ]; then
    read -r ep1 ep2 < <(python3 - "$PROBE" "$d" "$B1" "$B2" <<'PY'
import json, sys
probe, d, b1, b2 = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
p = json.load(open(probe))
n1, n2 = (len(json.load(open(f"{d}/{k}.json"))) for k in ("stage1", "stage2"))
ep1 = max(0.25, min(2.0, b1 / (n1 * p["s1_s_per_example"])))
ep2 = max(1, min(12, int(b2 / (n2 * p["s2_s_per_example"]))))
print(f"{ep1:.2f} {ep2}")
PY
)
  fi
  ep1=${EP1:-$ep1}
  ep2=${EP2:-$ep2}
  echo "epochs: stage1 $ep1 stage2 $ep2" | tee -a "$t"
  timed stage1 "$t" train stage1 --model "$MODEL" --train-file "$d/stage1.json" --output-dir "$r/s1" \
    --epochs "$ep1" --learning-rate 5e-4 --batch-size 64 --pos-embedding true --center-windows true --bf16 true --num-workers 8 \
    --model-max-length 1024 --save-steps 100000 --logging-steps 50 -q || return 1
  timed stage2 "$t" train stage2 --model "$MODEL" --train-file "$d/stage2.json" --output-dir "$r/s2" \
    --init-from "$r/s1" --epochs "$ep2" --learning-rate 3e-4 --pos-embedding true --center-windows true --batch-size 32 --bf16 true \
    --lora-r 64 --lora-alpha 128 --lora-dropout 0.05 --lora-targets all-linear --num-workers 8 \
    --model-max-length 1024 --save-steps 100000 --logging-steps 50 -q || return 1
  timed baselines "$t" ev baselines "$d" --out-dir "$r/baselines" -q || true
  timed infer "$t" infer --run "$r/s2" --data "$d/test.json" --out "$r/pred" --batch-size 200 \
    --bf16 --max-new-tokens 300 -q || return 1
}

pack() {
  local split=$1 d="$WORK/data_$1" r="$WORK/runs_$1" p="$WORK/pack_$1"
  mkdir -p "$p"
  cp "$d/annotations/test.json" "$p/gt_test.json" 2>/dev/null
  cp "$d/annotations/train.json" "$p/gt_train.json" 2>/dev/null
  cp "$d/stats.json" "$p/" 2>/dev/null
  cp "$r/timings.txt" "$p/" 2>/dev/null
  cp "$r/s1/train_report.json" "$p/s1_report.json" 2>/dev/null
  cp "$r/s2/train_report.json" "$p/s2_report.json" 2>/dev/null
  cp "$r/s2/config.yaml" "$p/s2_config.yaml" 2>/dev/null
  cp "$r/s1/config.yaml" "$p/s1_config.yaml" 2>/dev/null
  cp "$r"/pred/*.json "$p/" 2>/dev/null
  cp "$r"/baselines/*.json "$p/" 2>/dev/null
  tar -czf "$OUT/by_$split.tar.gz" -C "$p" .
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv | tee "$OUT/env.txt"
python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)" | tee -a "$OUT/env.txt"
for s in $SPLITS; do
  one "$s" 2>&1 | tee "$OUT/log_$s.txt" | grep -v "it/s]" | tail -n 40
  pack "$s"
done
ls -la "$OUT"
