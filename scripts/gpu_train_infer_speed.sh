#!/usr/bin/env bash
# SmolLM2 training and inference speed on one GPU (an H200 when written): SmolLM2-135M stage 2 through compmo-train,
# plain vs the autotuned default vs packed (same global batch, a fixed number of steps), and
# compmo-infer: GGUF conversion vs cached load, sequences/s at batch 1 vs --batch-size auto.
# Writes $OUT/gpu_train_infer_speed.json, $OUT/gpu_train_infer_speed.md (scripts/gpu_train_infer_speed_table.py) and logs.
# Needs under 8 minutes on an H200.
#
#   OUT=/path MODEL=/path/SmolLM2-135M-Instruct.Q4_1.gguf bash scripts/gpu_train_infer_speed.sh
#
# Environment: MODEL (.gguf), OUT, WORK (scratch, default /tmp/compmo_i15), NUM (sequences, 2000),
# STEPS (optimizer steps a training run, 60), BATCH (sequences a step, 16), TEST (inference
# sequences, 200), TEST1 (sequences at batch 1, 16), NEW (max new tokens, 300).
# The gguf wheel: installed from .whl/ into /tmp/site when `import gguf` fails.
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
OUT=${OUT:?set OUT}
MODEL=${MODEL:?set MODEL}
WORK=${WORK:-/tmp/compmo_i15}
NUM=${NUM:-2000}
STEPS=${STEPS:-60}
BATCH=${BATCH:-16}
TEST=${TEST:-200}
TEST1=${TEST1:-16}
NEW=${NEW:-300}
LOGS="$WORK/logs"  # command logs stay on the machine ($OUT returns only a few files)
mkdir -p "$WORK" "$OUT" "$LOGS"
export PYTHONPATH="$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH}"
if ! python3 -c "import gguf" 2>/dev/null; then
  pip install -q --no-deps --target /tmp/site .whl/gguf*.whl || exit 1
fi

. "$(dirname "$0")/gpu_cli.sh"  # gen, train, infer, ev
T="$OUT/timings.txt"
: > "$T"
timed() {  # timed NAME cmd...: wall seconds appended to $T, output in $OUT/NAME.log
  local name=$1; shift
  local t0; t0=$(date +%s.%N)
  "$@" > "$LOGS/$name.log" 2>&1; local rc=$?
  echo "$name $(python3 -c "import time; print(round(time.time() - $t0, 2))") $rc" | tee -a "$T"
  [ "$rc" -eq 0 ] || tail -n 30 "$LOGS/$name.log"
  return $rc
}

nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader | tee "$OUT/env.txt"
python3 -c "import torch, transformers, peft; print(torch.__version__, transformers.__version__, peft.__version__)" | tee -a "$OUT/env.txt"

D="$WORK/data" R="$WORK/runs"
rm -rf "$R" "$WORK/cache_train" "$WORK/cache_infer"
timed build gen build --out "$D" --num "$NUM" --seed 0 --workers 14 -q || exit 1
for k in stage2 test; do gen stage-json "$k" --dataset "$D" -q || exit 1; done

# --- training: stage 2, same global batch (BATCH sequences, or their tokens when packed) ---
S2=(stage2 --model "$MODEL" --train-file "$D/stage2.json" --max-steps "$STEPS" --bf16 true
  --lora-r 64 --lora-alpha 128 --lora-dropout 0.05 --lora-targets all-linear --learning-rate 3e-4
  --pos-embedding true --center-windows true --model-max-length 1024 --num-workers 8
  --save-steps 100000 --logging-steps 10 --seed 0 -q)
export COMPMO_CACHE="$WORK/cache_train"
# the first run also converts the GGUF once (cached for the others: their load is not timed by the Trainer)
timed train_plain train "${S2[@]}" --output-dir "$R/plain" --batch-size "$BATCH" \
  --packing false --compile false --gradient-checkpointing false || exit 1
timed train_auto train "${S2[@]}" --output-dir "$R/auto" --batch-size "$BATCH" || exit 1
TOK=$(python3 - "$R/plain/train_report.json" "$BATCH" "$STEPS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
per_sample = r["tokens_seen"] / (int(sys.argv[2]) * int(sys.argv[3]))
print(max(1024, int(round(per_sample * int(sys.argv[2]) / 64)) * 64))
PY
)
echo "packed tokens_per_step $TOK" | tee -a "$T"
timed train_packed train "${S2[@]}" --output-dir "$R/packed" --packing true --compile false \
  --tokens-per-step "$TOK" || exit 1
timed train_packed_compiled train "${S2[@]}" --output-dir "$R/packed_c" --packing true \
  --compile true --tokens-per-step "$TOK" || echo "compiled packed run failed" | tee -a "$T"

# --- inference with the plain run (a short training: speed, not quality) ---
export COMPMO_CACHE="$WORK/cache_infer"   # empty: the first load converts the GGUF
I=(--run "$R/plain" --data "$D/test.json" --bf16 --max-new-tokens "$NEW" -q)
timed infer_first infer "${I[@]}" --out "$R/inf_first" --limit "$TEST" || exit 1
timed infer_auto infer "${I[@]}" --out "$R/inf_auto" --limit "$TEST" || exit 1
timed infer_b1 infer "${I[@]}" --out "$R/inf_b1" --limit "$TEST1" --batch-size 1 || exit 1

python3 - "$R" "$OUT" "$T" "$TOK" <<'PY'
import json, sys
from pathlib import Path

runs, out, timings, tok = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4])
wall = {}
for line in timings.read_text().splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[2].lstrip("-").isdigit():
        try:
            wall[parts[0]] = {"wall_s": float(parts[1]), "rc": int(parts[2])}
        except ValueError:  # "packed tokens_per_step N"
            continue
def load(p):
    return json.loads(p.read_text()) if p.is_file() else None
train = {}
for name in ("plain", "auto", "packed", "packed_c"):
    rep = load(runs / name / "train_report.json")
    if rep is None:
        continue
    keep = ("tokens_per_s", "tokens_seen", "train_runtime", "train_loss", "optimizer_steps",
            "packing", "autotune")
    train[name] = {k: rep.get(k) for k in keep}
    train[name]["wall_s"] = wall.get(f"train_{'packed_compiled' if name == 'packed_c' else name}", {}).get("wall_s")
infer = {}
for name in ("first", "auto", "b1"):
    rep = load(runs / f"inf_{name}" / "infer_report.json")
    if rep is None:
        continue
    keep = ("examples", "load_s", "generate_s", "sequences_per_s", "new_tokens_per_s", "new_tokens",
            "unparseable")
    infer[name] = {k: rep.get(k) for k in keep}
    infer[name]["batch_size"] = rep["generation"]["batch_size"]
    infer[name]["wall_s"] = wall.get(f"infer_{name}", {}).get("wall_s")
env = (out / "env.txt").read_text().strip().splitlines()
result = {"device": env[0] if env else "", "software": env[1] if len(env) > 1 else "",
          "packed_tokens_per_step": tok, "train": train, "infer": infer, "wall": wall}
(out / "gpu_train_infer_speed.json").write_text(json.dumps(result, indent=1) + "\n")
PY
python3 -m scripts.gpu_train_infer_speed_table "$OUT/gpu_train_infer_speed.json" --out "$OUT/gpu_train_infer_speed.md"
cat "$OUT/gpu_train_infer_speed.md"
