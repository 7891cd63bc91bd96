#!/usr/bin/env bash
# Foreground run under supervisord (painfaq/serving/supervision.py): the action server, the Rasa server (REST
# channel) and the demo page with the staff inbox. A server that dies is restarted within seconds; more than
# SUPERVISE_MAX_RESTARTS restarts of one server within a minute stop everything with exit status 1.
# Ctrl-C or SIGTERM stops all three.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

model=$(bash scripts/model.sh)
RASA_PORT=${RASA_PORT:-5005}
ACTION_PORT=${ACTION_PORT:-5055}
WEB_PORT=${WEB_PORT:-8080}
# Browsers may call the REST channel only from these origins (the demo page by default).
CORS_ORIGINS=${CORS_ORIGINS:-http://localhost:$WEB_PORT http://127.0.0.1:$WEB_PORT}


# The action server (painfaq.serving.action_server) listens on loopback only and answers only requests that carry
# this shared secret; the Rasa server (painfaq.serving.channel) sends it. A fresh one per run unless set.
export ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(32))')}
python="$PWD/$PY"  # the venv's interpreter (not resolved: the symlink is what selects the venv)
# ENDPOINTS: another endpoints file (tests use one with a throwaway database). The staff inbox and the
# action server's own tables read the same one.
endpoints=${ENDPOINTS:-endpoints.yml}
if [ -z "${ENDPOINTS:-}" ] && [ "$ACTION_PORT" != 5055 ]; then
  # Another action-server port: an endpoints file that points at it (the tracker store stays the same).
  mkdir -p "$RUN_DIR"
  sed "s#http://localhost:5055/webhook#http://localhost:$ACTION_PORT/webhook#" endpoints.yml >"$RUN_DIR/endpoints.yml"
  endpoints="$RUN_DIR/endpoints.yml"
fi
export PAINFAQ_ENDPOINTS=$endpoints
# The model served from here on: `make review-eval` compares it (the "old" one) with a model trained on the
# staff's new labels. scripts/model.sh cannot tell which one runs: it names the model for the data as it is now.
mkdir -p "$RUN_DIR"
readlink -f "$model" >"$RUN_DIR/serving_model"
# An unreachable tracker database is reported now, in one line, not after Rasa has loaded.
"$PY" -m painfaq.serving.preflight --endpoints "$endpoints"

source scripts/lib/processes.sh
# HAProxy takes the REST port and retries a request whose Rasa process died; Rasa listens on loopback behind
# it, on a port supervisord holds across Rasa's restarts, so a retried request waits there for the new process.
public="${RASA_INTERFACE:-0.0.0.0}:$RASA_PORT"
RASA_BACKEND_PORT=${RASA_BACKEND_PORT:-$(free_port)}
front_door "$public" "$RASA_BACKEND_PORT"
if [ -n "$FRONT_DOOR" ]; then
  rasa_listen="127.0.0.1:$RASA_BACKEND_PORT" rasa_port=$RASA_BACKEND_PORT
else
  rasa_listen=$public rasa_port=$RASA_PORT
fi
supervise \
  "actions=env SANIC_HOST=${ACTION_INTERFACE:-127.0.0.1} $python -m painfaq.serving.action_server --actions actions --port $ACTION_PORT" \
  "rasa@tcp://$rasa_listen=env SANIC_PROXIES_COUNT=$PROXIES $python -m painfaq.serving.rasa_server run --model $model --port $rasa_port --endpoints $endpoints --credentials credentials.yml --cors $CORS_ORIGINS" \
  ${FRONT_DOOR:+"$FRONT_DOOR"} \
  "demo=$python scripts/serve_demo.py --port $WEB_PORT --rasa-url http://localhost:$RASA_PORT"
echo "run: supervising the action server, Rasa and the demo page (logs: $LOG_DIR/actions.log, $LOG_DIR/rasa.log, $LOG_DIR/demo.log, $LOG_DIR/supervisord.log)"

if "$PY" -m scripts.wait_ready --timeout 300 "http://localhost:$RASA_PORT/webhooks/rest/ready" "http://localhost:$ACTION_PORT/health"; then
  cat <<MSG

  REST channel : http://localhost:$RASA_PORT/webhooks/rest/webhook
  Demo page    : http://localhost:$WEB_PORT/   (staff: http://localhost:$WEB_PORT/staff/)
  Press Ctrl-C to stop.

MSG
fi
wait_supervised
