#!/usr/bin/env bash
# The main job on a fresh machine: build sparselm, get Penn Treebank, train
# the small-preset LSTM and EGRU (test perplexity, EGRU activity sparsity),
# prune both iteratively to 50, 75 and 90% of their layer weights with a
# fine-tuning epoch per level, and write the study's tables and plots
# (perplexity against MACs per token) to runs/ptb-study-quickstart/.
# Interrupted runs continue where they stopped when this script is run
# again. Extra arguments go to both `sparselm train` calls, e.g.
# `--preset tiny` for a smoke run of a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/sparselm ./cmd/sparselm
if [ -z "${SPARSELM_DATA:-}" ] && [ -d ../shared/data/ptb ]; then
  export SPARSELM_DATA="$(cd ../shared/data && pwd)"
fi
if [ -z "${SPARSELM_DATA:-}" ]; then
  bin/sparselm data fetch ptb          # into ./data/ptb, checksums verified
fi
for model in lstm egru; do
  out="runs/ptb-$model-quickstart"
  resume=""
  [ -f "$out/last/MANIFEST.json" ] && resume="--resume"
  if [ -f "$out/result.json" ]; then
    echo "== $model: already finished, see $out/result.json"; continue
  fi
  echo "== training $model on PTB (run directory $out)"
  bin/sparselm train --model "$model" --dataset ptb --out "$out" $resume "$@"
done
for model in lstm egru; do
  src="runs/ptb-$model-quickstart"
  out="runs/ptb-$model-quickstart-pruned"
  if [ -f "$out/summary.json" ]; then
    echo "== $model: pruning already finished, see $out/summary.csv"; continue
  fi
  resume=""
  [ -f "$out/prune.json" ] && resume="--resume"
  echo "== pruning $model to 50/75/90% (run directory $out)"
  bin/sparselm prune --ckpt "$src" --levels 0.5,0.75,0.9 --finetune-epochs 1 --out "$out" $resume
done
echo "== the study: perplexity against MACs per token"
bin/sparselm report --out runs/ptb-study-quickstart --names LSTM,EGRU \
  runs/ptb-lstm-quickstart-pruned runs/ptb-egru-quickstart-pruned
