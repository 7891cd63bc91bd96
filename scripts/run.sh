#!/usr/bin/env bash
# Foreground run: action server, Rasa server (REST channel) and the demo page. Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

model=$(bash scripts/model.sh)
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
WEB_PORT=${WEB_PORT:-8080}
# Browsers may call the REST channel only from these origins (the demo page by default).
CORS_ORIGINS=${CORS_ORIGINS:-http://localhost:$WEB_PORT http://127.0.0.1:$WEB_PORT}

# An unreachable tracker database is reported now, in one line, not after Rasa has loaded.
"$PY" -m painfaq.serving.preflight --endpoints endpoints.yml

source scripts/lib/processes.sh

# The action server (painfaq.serving.action_server) listens on loopback only and answers only requests that carry
# this shared secret; the Rasa server (painfaq.serving.channel) sends it. A fresh one per run unless set.
export ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')}
start_server actions env SANIC_HOST="${ACTION_INTERFACE:-127.0.0.1}" \
  "$PY" -m painfaq.serving.action_server --actions actions --port "$ACTION_PORT"
# shellcheck disable=SC2086
start_server rasa "$PY" -m painfaq.serving.rasa_server run --model "$model" --port "$RASA_PORT" \
  --endpoints endpoints.yml --credentials credentials.yml --cors $CORS_ORIGINS
start_server demo "$PY" scripts/serve_demo.py --port "$WEB_PORT" --rasa-url "http://localhost:$RASA_PORT"
echo "run: starting the action server, Rasa and the demo page (logs: $LOG_DIR/actions.log, $LOG_DIR/rasa.log, $LOG_DIR/demo.log)"

"$PY" -m scripts.wait_ready "http://localhost:$RASA_PORT/" "http://localhost:$ACTION_PORT/health"
cat <<MSG

  REST channel : http://localhost:$RASA_PORT/webhooks/rest/webhook
  Demo page    : http://localhost:$WEB_PORT/
  Press Ctrl-C to stop.

MSG
wait -n "${pids[@]}"
