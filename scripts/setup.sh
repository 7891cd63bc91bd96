#!/usr/bin/env bash
# Idempotent setup: virtual environment from the lock file and the spaCy pipeline.
# Re-runs only the steps whose inputs changed (stamp files hold the input hashes).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
lock_hash=$(cat requirements.lock | sha256sum | cut -c1-16)
stamp="$VENV/.lock-$lock_hash"

if [ ! -f "$stamp" ]; then
  python_bin=$(scripts/find_python.sh)
  echo "setup: creating $VENV with $python_bin ($("$python_bin" --version 2>&1))"
  rm -rf "$VENV"
  "$python_bin" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "pip==24.0"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements.lock
  "$VENV/bin/python" -m pip check
  touch "$stamp"
fi

# The project itself, editable: `import painfaq` / `import actions` work from any script or test, without
# any file editing sys.path.
project_stamp="$VENV/.project-$(cat pyproject.toml | sha256sum | cut -c1-16)"
if [ ! -f "$project_stamp" ]; then
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e .
  rm -f "$VENV"/.project-* && touch "$project_stamp"
fi

spacy_stamp_input=$(cat scripts/build_spacy_pipeline.py requirements.lock | sha256sum | cut -c1-16)
if [ ! -f "models/spacy/en_painfaq/.built-$spacy_stamp_input" ]; then
  "$VENV/bin/python" scripts/build_spacy_pipeline.py models/spacy/en_painfaq
  touch "models/spacy/en_painfaq/.built-$spacy_stamp_input"
fi
