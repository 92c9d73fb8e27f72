#!/usr/bin/env bash
# Stage 1 on N GPUs (default: all visible) with DeepSpeed ZeRO-2, or a plain process with N=0.
#   MODEL=/models/Llama-3.1-8B-Instruct DATA=data/compmo N=8 bash scripts/train_stage1.sh [--KEY V ...]
# DATA is a dataset built by `compmo-gen build` (stage1.json is made from its train split) or set
# TRAIN=path/to/stage1.json (e.g. `compmo-gen stage-json stage1 --humanml3d H3D --out ...`).
set -euo pipefail
MODEL=${MODEL:?set MODEL}
N=${N:-$(python3 -c 'import torch; print(torch.cuda.device_count())')}
TRAIN=${TRAIN:-}
if [ -z "$TRAIN" ]; then
  DATA=${DATA:?set DATA or TRAIN}
  [ -f "$DATA/stage1.json" ] || compmo-gen stage-json stage1 --dataset "$DATA"
  TRAIN="$DATA/stage1.json"
fi
ARGS=(stage1 --config modeling/configs/train_stage1.yaml --model "$MODEL" --train-file "$TRAIN" "$@")
if [ "$N" -gt 1 ]; then
  exec deepspeed --num_gpus "$N" --module modeling.cli_entry train "${ARGS[@]}" --deepspeed scripts/zero2.json
else
  exec compmo-train "${ARGS[@]}"
fi
