#!/usr/bin/env bash
# Score what scripts/gpu_smollm2_run.sh brought back (needs pycocoevalcap + Java):
#   bash scripts/gpu_score.sh DIR    where DIR holds by_<split>.tar.gz
# Writes DIR/<split>/{model,uniform_test,nn-oracle_test}.results.json and the uniform baseline
# recomputed from the training ground truth.
set -euo pipefail
DIR=${1:?results folder}
for tgz in "$DIR"/by_*.tar.gz; do
  name=$(basename "$tgz" .tar.gz)
  d="$DIR/$name"
  mkdir -p "$d"
  tar -xzf "$tgz" -C "$d"
  compmo-eval baselines --train-file "$d/gt_train.json" --test-file "$d/gt_test.json" \
    --baseline uniform --out-dir "$d/uniform_here" -q
  compmo-eval score "$d/predictions.json" --gt "$d/gt_test.json" --out "$d/model.results.json" -q
  for b in "$d"/uniform_here/*.json "$d"/uniform_test.json "$d"/nn-oracle_test.json; do
    [ -f "$b" ] || continue
    compmo-eval score "$b" --gt "$d/gt_test.json" --out "${b%.json}.results.json" -q
  done
done
