#!/usr/bin/env bash
# Prints the path of the trained model for the current training inputs, training it first if it does not
# exist (`--name`: only the name). The name carries a hash of what changes predictions, so a data change means
# a new model and an unchanged project reuses the old one.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

# What changes the model's predictions: Rasa's files, the training data, the NLU components and the learned
# safety layer they train, the builder of the spaCy pipeline the features come from (its lemmas), and the pins
# of the libraries that train and featurize. Not the Rasa patches (speed, not predictions), nor the rest of
# requirements.lock: bumping ruff or pytest must not retrain.
MODEL_PINS='^(rasa|spacy|spacy-lookups-data|thinc|numpy|scipy|scikit-learn)=='
inputs_hash=$( {
  cat config.yml domain.yml $(find data -name '*.yml' | sort) painfaq/nlu/*.py painfaq/content/premises.py \
    painfaq/safety/learned.py scripts/build_spacy_pipeline.py
  grep -E "$MODEL_PINS" requirements.lock
} | sha256sum | cut -c1-16)
name="painfaq-$inputs_hash"
# --name: print the model's name for the current inputs, train nothing.
if [ "${1:-}" = "--name" ]; then echo "$name"; exit 0; fi
model="models/$name.tar.gz"
if [ ! -f "$model" ] || [ "${FORCE_TRAIN:-0}" = "1" ]; then
  mkdir -p "$LOG_DIR"
  echo "train: training $model (about a minute; log: $LOG_DIR/train.log)" >&2
  start=$(date +%s)
  if ! "$PY" -m rasa train --config config.yml --domain domain.yml --data data --out models \
    --fixed-model-name "$name" --quiet >"$LOG_DIR/train.log" 2>&1; then
    echo "train: failed; the last lines of $LOG_DIR/train.log:" >&2
    tail -30 "$LOG_DIR/train.log" >&2
    exit 1
  fi
  # Real warnings from training (not Rasa's notes about components this pipeline does not have).
  known=$(grep -v '^#' scripts/lib/known_train_notes.txt | paste -sd'|')
  grep -E "WARNING|ERROR|UserWarning" "$LOG_DIR/train.log" | grep -v -E "$known" >&2 || true
  echo "train: done in $(($(date +%s) - start)) s" >&2
fi
echo "$model"
