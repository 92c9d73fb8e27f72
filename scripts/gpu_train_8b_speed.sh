#!/usr/bin/env bash
# Training speed at the Llama-3.1-8B shape through compmo-train on one GPU (random bf16 weights made on
# the GPU by modeling/tiny.py, a tokenizer trained on the build's captions): the time-aware recipe
# (stage 2, LoRA r 128 / alpha 256 / dropout 0.05 on all linear layers, index time stamps) with the
# step compmo-train chooses (autotune: packed, compiled, the largest token budget that fits) next to
# the plain padded Hugging Face step (batch 4, checkpointing, no packing, no compile) in the same run.
# Reports each run's steady-state tokens/s (after the first two optimizer steps: compile warm-up)
# apart from its first step. Then `python -m scripts.train_8b_speed_table OUT` writes the table.
#
#   OUT=/path bash scripts/gpu_train_8b_speed.sh
#
# Environment: OUT, WORK (scratch, default /tmp/compmo_8b), NUM (sequences built, 1000), STEPS
# (optimizer steps of each packed run, 40), PLAIN_STEPS (12), VARIANTS (default "plain auto
# auto_nodrop": the plain step, the recipe, the recipe without LoRA dropout; also auto_fused: the
# recipe with modeling/fused_lora.py's forward instead of PEFT's; auto_fp8 / auto_fp8t: the recipe with
# the frozen weights' products in float8, modeling/fp8_base.py; auto_bounds / auto_fp8_bounds: the
# compiled attention's bounds from the run's micro-batches, --compile-bounds data), SHAPE (a key of
# modeling/tiny.py's SHAPES, llama-3.1-8b), DEVICE (cuda; cpu with SHAPE=tiny checks the chain),
# PROFILE (1: then profile PROFILE_VARIANT, default none@7168+c, with scripts.bench_throughput).
# Needs about 16 GB of disk and 5 minutes on an H100.
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
OUT=${OUT:?set OUT}
WORK=${WORK:-/tmp/compmo_8b}
NUM=${NUM:-1000}
STEPS=${STEPS:-40}
PLAIN_STEPS=${PLAIN_STEPS:-12}
VARIANTS=${VARIANTS:-"plain auto auto_nodrop"}
SHAPE=${SHAPE:-llama-3.1-8b}
DEVICE=${DEVICE:-cuda}
BF16=true; [ "$DEVICE" = cpu ] && BF16=false
mkdir -p "$WORK" "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
. "$(dirname "$0")/gpu_cli.sh"  # gen, train, infer, ev

{ nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null || echo "$DEVICE"
  python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)"; } | tee "$OUT/env.txt"
D="$WORK/data" M="$WORK/model_$SHAPE"
if [ ! -f "$D/stage2.json" ]; then
  gen build --out "$D" --num "$NUM" --seed 0 --workers 14 -q || exit 1
  gen stage-json stage2 --dataset "$D" -q || exit 1
fi
if [ ! -f "$M/config.json" ]; then
  t0=$(date +%s.%N)
  python3 - "$D/stage2.json" "$M" "$SHAPE" "$DEVICE" "$BF16" <<'PY' || exit 1
import json, sys
from modeling.tiny import SHAPES, make_tiny_llm
data, out, shape, device, bf16 = sys.argv[1:]
texts = [x["conversations"][-1]["value"] for x in json.load(open(data))]
make_tiny_llm(out, texts, vocab_size=8000, device=device, bf16=bf16 == "true", **SHAPES[shape])
PY
  echo "model made and saved in $(python3 -c "import time; print(round(time.time() - $t0, 1))") s" | tee -a "$OUT/env.txt"
fi
COMMON=(stage2 --model "$M" --train-file "$D/stage2.json" --bf16 "$BF16" --time-stamps index
  --pos-embedding true --center-windows true --model-max-length 1536 --lora-r 128 --lora-alpha 256
  --lora-targets all-linear --learning-rate 2e-5 --num-workers 8 --save-steps 100000
  --logging-steps 5 --seed 0 -q)
for v in $VARIANTS; do
  case $v in
    plain) extra=(--packing false --compile false --gradient-checkpointing true --batch-size 4
             --lora-dropout 0.05 --max-steps "$PLAIN_STEPS") ;;
    auto) extra=(--lora-dropout 0.05 --max-steps "$STEPS") ;;
    auto_nodrop) extra=(--lora-dropout 0 --max-steps "$STEPS") ;;
    auto_fused) extra=(--lora-dropout 0.05 --fused-lora true --max-steps "$STEPS") ;;
    auto_fp8) extra=(--lora-dropout 0.05 --fp8-base rowwise --max-steps "$STEPS") ;;
    auto_fp8t) extra=(--lora-dropout 0.05 --fp8-base tensorwise --max-steps "$STEPS") ;;
    auto_bounds) extra=(--lora-dropout 0.05 --compile-bounds data --max-steps "$STEPS") ;;
    auto_fp8_bounds) extra=(--lora-dropout 0.05 --fp8-base rowwise --compile-bounds data --max-steps "$STEPS") ;;
    *) echo "unknown variant $v"; exit 2 ;;
  esac
  t0=$(date +%s.%N)
  train "${COMMON[@]}" "${extra[@]}" --output-dir "$WORK/run_$v" >"$OUT/$v.log" 2>&1
  rc=$?
  wall=$(python3 -c "import time; print(round(time.time() - $t0, 1))")
  echo "$v wall ${wall} s rc=$rc"
  [ "$rc" = 0 ] || { tail -n 20 "$OUT/$v.log"; continue; }
  python3 - "$WORK/run_$v/train_report.json" "$OUT/$v.json" "$wall" "${extra[*]}" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
r["wall_s"], r["flags"] = float(sys.argv[3]), sys.argv[4]
json.dump(r, open(sys.argv[2], "w"), indent=1)
print({k: r.get(k) for k in ("steady_tokens_per_s", "tokens_per_s", "first_step_s", "cuda_peak_gib", "optimizer_steps")})
PY
  cp "$WORK/run_$v/log_history.json" "$OUT/$v.history.json" 2>/dev/null
  rm -rf "$WORK/run_$v"/lora "$WORK/run_$v"/checkpoint-*
done
python3 -m scripts.train_8b_speed_table "$OUT" | tee "$OUT/table.md"
if [ "${PROFILE:-0}" = 1 ]; then  # where the fused step's GPU time goes (benchmarks/profiling.py)
  preset=llama8b; [ "$SHAPE" = tiny ] && preset=tiny
  python3 -m scripts.bench_throughput --preset "$preset" --device "$DEVICE" --out "$OUT" --tag profile \
    --sections profile --profile-variant "${PROFILE_VARIANT:-none@7168+c}" >"$OUT/profile.log" 2>&1 \
    && sed -n '/## Profile/,$p' "$OUT/throughput_profile.md" | head -n 40
fi
