#!/usr/bin/env bash
# Prints the path of the trained model for the current training inputs, training it first if it
# does not exist. The model name carries a hash of everything training reads, so a data change
# means a new model and an unchanged project reuses the old one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# What training reads: Rasa's files, the training data, the NLU components and the learned safety layer they
# train (not the Rasa patches, which change speed, not predictions), and the pinned libraries.
inputs_hash=$(cat config.yml domain.yml $(find data -name '*.yml' | sort) painfaq/nlu/*.py painfaq/safety/learned.py requirements.lock \
  | sha256sum | cut -c1-16)
name="painfaq-$inputs_hash"
model="models/$name.tar.gz"
if [ ! -f "$model" ] || [ "${FORCE_TRAIN:-0}" = "1" ]; then
  echo "train: training $model" >&2
  start=$(date +%s)
  "$PY" -m rasa train --config config.yml --domain domain.yml --data data --out models \
    --fixed-model-name "$name" --quiet >&2
  echo "train: done in $(( $(date +%s) - start )) s" >&2
fi
echo "$model"
