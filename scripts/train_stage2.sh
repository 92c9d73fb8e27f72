#!/usr/bin/env bash
# Stage 2 on N GPUs with DeepSpeed (ZeRO-2 by default, ZERO=3 for ZeRO-3), or a plain process with N=0.
#   MODEL=/models/Llama-3.1-8B-Instruct DATA=data/compmo N=8 bash scripts/train_stage2.sh [--KEY V ...]
set -euo pipefail
MODEL=${MODEL:?set MODEL}
DATA=${DATA:?set DATA}
N=${N:-$(python3 -c 'import torch; print(torch.cuda.device_count())')}
ZERO=${ZERO:-2}
[ -f "$DATA/stage2.json" ] || compmo-gen stage-json stage2 --dataset "$DATA"
ARGS=(stage2 --config modeling/configs/train_stage2.yaml --model "$MODEL" --train-file "$DATA/stage2.json" "$@")
if [ "$N" -gt 1 ]; then
  exec deepspeed --num_gpus "$N" --module modeling.cli_entry train "${ARGS[@]}" --deepspeed "scripts/zero$ZERO.json"
else
  exec compmo-train "${ARGS[@]}" --deepspeed none
fi
