#!/usr/bin/env bash
# compmo-infer's cached model load and speed at --batch-size auto, measured REPEAT times in fresh
# processes on one trained run (each process: imports, tokenizer, CUDA context, weights, LoRA merge,
# examples; infer_report.json's load_s and load_parts). The first process may convert a GGUF into the
# cache (COMPMO_CACHE); it is reported apart.
#
#   RUN=runs/s2 DATA=D/test.json OUT=/path bash scripts/gpu_infer_load.sh
#
# Environment: RUN, DATA, OUT, REPEAT (3), LIMIT (test sequences, 200), NEW (max new tokens, 300),
# DEVICE (auto), BATCH (auto), DECODER (auto: compmo's Llama decoder and merged-model cache; transformers), BF16
# (true). Writes OUT/infer_load.json (one entry per process) and prints it.
set -uo pipefail
export PYTHONUNBUFFERED=1 TOKENIZERS_PARALLELISM=false
: "${RUN:?set RUN}" "${DATA:?set DATA}" "${OUT:?set OUT}"
REPEAT=${REPEAT:-3}
BF=(--bf16); [ "${BF16:-true}" = true ] || BF=()
mkdir -p "$OUT"
export PYTHONPATH="$PWD${PYTHONPATH:+:$PYTHONPATH}"
. "$(dirname "$0")/gpu_cli.sh"  # gen, train, infer, ev
for i in $(seq 0 "$REPEAT"); do  # process 0 warms the cache (and the page cache)
  t0=$(date +%s.%N)
  infer --run "$RUN" --data "$DATA" --out "$OUT/pred_$i" --limit "${LIMIT:-200}" "${BF[@]}" \
    --max-new-tokens "${NEW:-300}" --device "${DEVICE:-auto}" --batch-size "${BATCH:-auto}" --decoder "${DECODER:-auto}" -q >"$OUT/infer_$i.log" 2>&1 || { tail -n 20 "$OUT/infer_$i.log"; exit 1; }
  echo "$i $(python3 -c "import time; print(round(time.time() - $t0, 2))")" >>"$OUT/walls.txt"
done
python3 - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
walls = dict(line.split() for line in (out / "walls.txt").read_text().splitlines())
rows = []
for d in sorted(out.glob("pred_*"), key=lambda p: int(p.name.split("_")[1])):
    r = json.loads((d / "infer_report.json").read_text())
    i = d.name.split("_")[1]
    rows.append({"process": int(i), "wall_s": float(walls[i]), "load_s": r["load_s"],
                 "load_parts": r.get("load_parts"), "batch_size": r["generation"]["batch_size"],
                 "generate_s": r["generate_s"], "sequences_per_s": r["sequences_per_s"],
                 "examples": r["examples"], "decoder": r.get("decoder")})
(out / "infer_load.json").write_text(json.dumps(rows, indent=1) + "\n")
for row in rows:
    print(json.dumps(row))
PY
