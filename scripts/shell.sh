#!/usr/bin/env bash
# Terminal chat: the action server runs in the background for the length of the shell session.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
model=$(bash scripts/model.sh)
"$PY" -m rasa_sdk --actions actions --port "${ACTION_PORT:-5055}" >/tmp/painfaq-actions.log 2>&1 &
action_pid=$!
trap 'kill $action_pid 2>/dev/null || true' EXIT
"$PY" -m scripts.wait_ready "http://localhost:${ACTION_PORT:-5055}/health"
"$PY" -m rasa shell --model "$model" --endpoints endpoints.yml
