#!/usr/bin/env bash
# `rasa data validate`, failing on any warning (Rasa itself only fails on errors).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
log=$(mktemp)
"$PY" -m rasa data validate --config config.yml --domain domain.yml --data data --fail-on-warnings 2>&1 | tee "$log" \
  | grep -E "UserWarning|WARNING|ERROR|Error" | grep -v -E "DeprecationWarning|PyparsingDeprecation|MovedIn20Warning" || true
status=${PIPESTATUS[0]}
if grep -q "UserWarning" "$log"; then
  echo "rasa data validate: warnings found (see above)" >&2
  exit 1
fi
exit "$status"
