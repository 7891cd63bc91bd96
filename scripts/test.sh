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
run "NLU holdout report" "$PY" -m scripts.eval_nlu --model "$(bash scripts/model.sh)"
if [ -f scripts/eval_safety.py ]; then run "safety report" "$PY" -m scripts.eval_safety; fi
# Real people's messages over REST (docs/real-users.md). Regression floors a little below the measured
# figures (results/real_users.json); the targets themselves are far above them.
run "real-user report" "$PY" -m scripts.eval_real --model "$(bash scripts/model.sh)" \
  --floor dev:right=0.63 --floor dev:oos_declined=0.82 --floor dev:red_flag_recall=0.74 --floor dev:crisis_recall=0.93 \
  --floor dev:false_alarm_rate=0.075 --floor test:right=0.49 --floor test:oos_declined=0.6 \
  --floor test:red_flag_recall=0.75 --floor test:crisis_recall=0.9 --floor test:false_alarm_rate=0.18

# The short chaos run (make chaos is the full one): 5 users for a minute, a random server killed every 15 s
# under supervision; fails on any failed request (no answer or a 5xx) and on any lost, duplicated or
# reordered message in the tracker store.
run "chaos (short)" "$PY" -m scripts.chaos --profile embedded --minutes 1 --users 5 --kill-every 15 \
  --fail-on-integrity --fail-on-failed --out results/chaos_short.json

if [ ${#failures[@]} -gt 0 ]; then
  echo "FAILED: ${failures[*]}"
  exit 1
fi
echo "all checks passed"
