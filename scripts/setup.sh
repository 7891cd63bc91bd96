#!/usr/bin/env bash
# Idempotent setup: virtual environment from the lock file, the project itself, the spaCy pipeline.
# Re-runs only the steps whose inputs changed (stamp files hold the input hashes); prints each step it runs
# with its duration. pip's full output goes to $LOG_DIR/setup-pip.log.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
mkdir -p "$LOG_DIR"

step_started=0
step() { step_started=$(date +%s); echo "setup: $1"; }
done_step() { echo "setup:   done in $(($(date +%s) - step_started)) s"; }

lock_hash=$(sha256sum <requirements.lock | cut -c1-16)
stamp="$VENV/.lock-$lock_hash"
if [ ! -f "$stamp" ]; then
  python_bin=$(scripts/find_python.sh)
  packages=$(grep -c '^[A-Za-z]' requirements.lock)
  step "creating $VENV with $python_bin ($("$python_bin" --version 2>&1)) and $packages pinned packages (a few minutes on a fresh machine; log: $LOG_DIR/setup-pip.log)"
  rm -rf "$VENV"
  "$python_bin" -m venv "$VENV"
  pip_log="$LOG_DIR/setup-pip.log"
  : >"$pip_log"
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off "pip==24.0" >>"$pip_log" 2>&1
  # One progress line per 25 packages instead of pip's ~500 lines; everything is in the log.
  if ! "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -r requirements.lock 2>&1 |
    tee -a "$pip_log" |
    awk -v total="$packages" '/^Collecting /{n++; if (n % 25 == 0) printf "setup:   %d of %d packages fetched\n", n, total; fflush()}
                              /^Installing collected packages/{print "setup:   installing"; fflush()}'; then
    echo "setup: pip failed; the last lines of $pip_log:" >&2
    tail -20 "$pip_log" >&2
    exit 1
  fi
  "$VENV/bin/python" -m pip check
  touch "$stamp"
  done_step
fi

# The project itself, editable: `import painfaq` / `import actions` work from any script or test, without
# any file editing sys.path.
project_stamp="$VENV/.project-$(sha256sum <pyproject.toml | cut -c1-16)"
if [ ! -f "$project_stamp" ]; then
  step "installing the project (pip install -e .)"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps -e . >>"$LOG_DIR/setup-pip.log" 2>&1
  rm -f "$VENV"/.project-* && touch "$project_stamp"
  done_step
fi

spacy_stamp_input=$(cat scripts/build_spacy_pipeline.py requirements.lock | sha256sum | cut -c1-16)
if [ ! -f "models/spacy/en_painfaq/.built-$spacy_stamp_input" ]; then
  step "building the blank English spaCy pipeline with lookup lemmas (models/spacy/en_painfaq)"
  "$VENV/bin/python" scripts/build_spacy_pipeline.py models/spacy/en_painfaq
  touch "models/spacy/en_painfaq/.built-$spacy_stamp_input"
  done_step
fi
