#!/usr/bin/env bash
# compmo-infer's two greedy decoders on one freshly trained run, in fresh processes: compmo's Llama
# decoder with the merged-model cache (--decoder auto) and transformers' generate (--decoder
# transformers). Builds NUM sequences, makes a random model of SHAPE (modeling/tiny.py's SHAPES) or
# takes MODEL (a GGUF file or model folder), trains STEPS stage-2 LoRA steps, then runs
# scripts/gpu_infer_load.sh for each decoder (REPEAT + 1 processes each; the first auto process
# merges and fills the cache). Compare OUT/load_*/infer_load.json and the generated.json files.
#
#   OUT=/path bash scripts/gpu_infer_decoders.sh
#
# Environment: OUT, WORK (/tmp/compmo_decoders), SHAPE (smollm2-135m), MODEL, NUM (400), STEPS (15),
# REPEAT (1), LIMIT (200), NEW (300), DEVICE (cuda; cpu with SHAPE=tiny checks the chain), BENCH
# (1: then scripts.bench_decoders on the cached merged model, BENCH_BATCH rows, default 256).
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
OUT=${OUT:?set OUT}
WORK=${WORK:-/tmp/compmo_decoders}
DEVICE=${DEVICE:-cuda}
BF16=true; [ "$DEVICE" = cpu ] && BF16=false
mkdir -p "$WORK" "$OUT"
export COMPMO_CACHE="$WORK/cache" PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
. "$(dirname "$0")/gpu_cli.sh"  # gen, train, infer, ev
{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "$DEVICE"
  python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)"; } | tee "$OUT/env.txt"
D="$WORK/data" t0=$(date +%s)
if [ ! -f "$D/test.json" ]; then
  gen build --out "$D" --num "${NUM:-400}" --seed 0 --workers "$(nproc)" -q || exit 1
  for kind in stage2 test; do gen stage-json "$kind" --dataset "$D" -q || exit 1; done
fi
M=${MODEL:-"$WORK/model"}
if [ -z "${MODEL:-}" ] && [ ! -f "$M/config.json" ]; then
  python3 - "$D/stage2.json" "$M" "${SHAPE:-smollm2-135m}" "$DEVICE" "$BF16" <<'PY' || exit 1
import json, sys
from modeling.tiny import SHAPES, make_tiny_llm
data, out, shape, device, bf16 = sys.argv[1:]
texts = [x["conversations"][-1]["value"] for x in json.load(open(data))]
make_tiny_llm(out, texts, vocab_size=8000, device=device, bf16=bf16 == "true", **SHAPES[shape])
PY
fi
rm -rf "$WORK/s2"
train stage2 --model "$M" --train-file "$D/stage2.json" --output-dir "$WORK/s2" --max-steps "${STEPS:-15}" \
  --bf16 "$BF16" --packing true --compile false --num-workers 4 --save-steps 100000 -q >"$OUT/train.log" 2>&1 \
  || { tail -n 20 "$OUT/train.log"; exit 1; }
echo "build and train: $(( $(date +%s) - t0 )) s"
for dec in auto transformers; do
  RUN="$WORK/s2" DATA="$D/test.json" OUT="$OUT/load_$dec" REPEAT="${REPEAT:-1}" LIMIT="${LIMIT:-200}" \
    NEW="${NEW:-300}" DEVICE="$DEVICE" BF16="$BF16" DECODER="$dec" bash scripts/gpu_infer_load.sh || exit 1
done
rm -f "$OUT"/load_*/pred_*/generated_raw.json
for p in "$OUT"/load_auto/pred_*; do
  i=${p##*_}
  cmp -s "$p/generated.json" "$OUT/load_transformers/pred_$i/generated.json" && s=identical || s=different
  echo "process $i: generated.json $s"
done | tee "$OUT/compare.txt"
if [ "${BENCH:-0}" = 1 ]; then  # generation alone, both decoders alternating, on the merged model
  merged=$(ls -d "$COMPMO_CACHE"/merged/*/ | head -n 1)
  bf=(--bf16); [ "$BF16" = true ] || bf=()
  python3 -m scripts.bench_decoders "$merged" --device "$DEVICE" "${bf[@]}" --batch "${BENCH_BATCH:-256}" \
    --rounds 3 | tee "$OUT/bench_decoders.md"
fi
