#!/usr/bin/env bash
# Time training and generation of a random model shaped like SmolLM2-135M on builder data, so a
# later full run can size its epochs to a time budget. Writes $PROBE (JSON: seconds per example).
#   PROBE=$HOME/probe.json OUT=... bash scripts/gpu_probe.sh
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
W=${WORK:-/tmp/compmo_probe}
PROBE=${PROBE:?set PROBE}
mkdir -p "$W"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
. "$(dirname "$0")/gpu_cli.sh"  # gen, train, infer, ev
python3 - "$W/model" <<'PY'
import os, sys
from modeling.tiny import TINY_CAPTIONS, make_tiny_llm
make_tiny_llm(sys.argv[1], list(TINY_CAPTIONS), hidden=576, layers=int(os.environ.get("PROBE_LAYERS", 30)), heads=9, kv_heads=3,
              intermediate=1536, vocab_size=2000, model_vocab=49152)
PY
gen build --out "$W/data" --num "${PROBE_NUM:-800}" --seed 1 --workers 14 -q --no-card
for k in stage1 stage2 test; do gen stage-json "$k" --dataset "$W/data" -q; done
common=(--model "$W/model" --bf16 true --num-workers 8 --model-max-length 1024 --save-steps 100000 -q)
train stage1 --train-file "$W/data/stage1.json" --output-dir "$W/s1" --epochs 1 --batch-size 64 \
  --learning-rate 5e-4 --pos-embedding true --center-windows true "${common[@]}"
train stage2 --train-file "$W/data/stage2.json" --output-dir "$W/s2" --init-from "$W/s1" --epochs 2 \
  --batch-size 32 --learning-rate 3e-4 --lora-r 64 --lora-alpha 128 --pos-embedding true \
  --center-windows true "${common[@]}"
infer --run "$W/s2" --data "$W/data/test.json" --out "$W/pred" --batch-size 128 --bf16 \
  --max-new-tokens 200 -q
python3 - "$W" "$PROBE" <<'PY'
import json, sys
w, out = sys.argv[1:]
s1 = json.load(open(f"{w}/s1/train_report.json"))
s2 = json.load(open(f"{w}/s2/train_report.json"))
inf = json.load(open(f"{w}/pred/infer_report.json"))
probe = {
    "s1_s_per_example": s1["train_runtime"] / (s1["examples"] * s1["epoch"]),
    "s2_s_per_example": s2["train_runtime"] / (s2["examples"] * s2["epoch"]),
    "s1_tokens_per_s": s1["tokens_per_s"], "s2_tokens_per_s": s2["tokens_per_s"],
    "infer_new_tokens_per_s": inf["new_tokens_per_s"], "infer_s": inf["generate_s"],
    "infer_examples": inf["examples"],
}
json.dump(probe, open(out, "w"), indent=1)
print(json.dumps(probe))
PY
