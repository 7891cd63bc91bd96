#!/usr/bin/env bash
# `make test`: every check, in order of cost. Any failure fails the run (after the rest have run, so a
# single run shows everything that is broken).
set -uo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

failures=()
run() {
  local name=$1; shift
  echo "=== $name"
  if "$@"; then echo "--- $name: ok"; else echo "--- $name: FAILED"; failures+=("$name"); fi
}

if [ -f tests/browser/package.json ] && command -v npm >/dev/null 2>&1 && [ ! -d tests/browser/node_modules/axe-core ]; then
  npm ci --prefix tests/browser --no-audit --no-fund >/dev/null
fi

run "rasa data validate" bash scripts/validate_data.sh
run "pytest (unit, actions, safety, end-to-end REST, browser)" "$PY" -m pytest -q -p no:cacheprovider tests "$@"
run "test stories" bash scripts/test_stories.sh
run "NLU holdout report" "$PY" scripts/eval_nlu.py --model "$(bash scripts/model.sh)"
if [ -f scripts/eval_safety.py ]; then run "safety report" "$PY" scripts/eval_safety.py; fi

if [ ${#failures[@]} -gt 0 ]; then
  echo "FAILED: ${failures[*]}"
  exit 1
fi
echo "all checks passed"
