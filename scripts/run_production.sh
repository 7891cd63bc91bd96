#!/usr/bin/env bash
# Production profile (docs/production.md): Rasa with the PostgreSQL tracker store and the Redis
# lock store (endpoints.production.yml), RASA_WORKERS Sanic workers, and the action server with
# ACTION_WORKERS Sanic workers. The Rasa HTTP API stays off (only the REST channel is served).
# Runs in the foreground; Ctrl-C stops both servers. PostgreSQL and Redis must already be running.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh

model=${MODEL:-$(bash scripts/model.sh)}
RASA_PORT=${RASA_PORT:-5005}
RASA_INTERFACE=${RASA_INTERFACE:-0.0.0.0}
RASA_WORKERS=${RASA_WORKERS:-2}
ACTION_PORT=${ACTION_PORT:-5055}
# The action server only needs to be reachable by Rasa: loopback unless told otherwise.
ACTION_INTERFACE=${ACTION_INTERFACE:-127.0.0.1}
ACTION_WORKERS=${ACTION_WORKERS:-2}
# Origins browsers may call the REST channel from (the page that embeds the widget); none by default.
CORS_ORIGINS=${CORS_ORIGINS:-}

# Everything endpoints.production.yml reads (Rasa refuses to start when one is unset).
export ACTION_SERVER_URL=${ACTION_SERVER_URL:-http://127.0.0.1:$ACTION_PORT/webhook}
export DB_HOST=${DB_HOST:-localhost} DB_PORT=${DB_PORT:-5432} DB_USER=${DB_USER:-rasa}
export DB_PASSWORD=${DB_PASSWORD:-} DB_NAME=${DB_NAME:-rasa}
export REDIS_HOST=${REDIS_HOST:-localhost} REDIS_PORT=${REDIS_PORT:-6379} REDIS_DB=${REDIS_DB:-1}
export REDIS_PASSWORD=${REDIS_PASSWORD:-}
# The REST channel's rate and in-flight limits count in the same Redis, shared by every worker and instance
# (painfaq/serving/shared_limits.py); unset it to count per process.
export PAINFAQ_RATE_LIMIT_REDIS_URL=${PAINFAQ_RATE_LIMIT_REDIS_URL-$("$PY" -c 'import os; from painfaq.serving.production import redis_url; print(redis_url(os.environ))')}
# The actions' own tables (hand-off requests, feedback) go to the same database as the tracker store.
export PAINFAQ_ENDPOINTS="$PWD/endpoints.production.yml"
# Shared secret Rasa sends to the action server (painfaq.serving.action_server answers 401 without it). Several
# Rasa instances on several hosts must share it: set ACTION_SERVER_TOKEN yourself there.
export ACTION_SERVER_TOKEN=${ACTION_SERVER_TOKEN:-$("$PY" -c 'import secrets; print(secrets.token_urlsafe(24))')}
# One TensorFlow thread per op and per worker: the models are small, and N workers share the cores.
export TF_INTRA_OP_PARALLELISM_THREADS=${TF_INTRA_OP_PARALLELISM_THREADS:-1}
export TF_INTER_OP_PARALLELISM_THREADS=${TF_INTER_OP_PARALLELISM_THREADS:-1}

# Fail fast with a clear message if PostgreSQL/Redis are unreachable; create the tracker table once.
"$PY" -m painfaq.serving.preflight --settings-only
"$PY" -m painfaq.serving.production check
# The model served from here on, for `make review-eval` (the "old" model it compares; see scripts/run.sh).
mkdir -p "$RUN_DIR"
readlink -f "$model" >"$RUN_DIR/serving_model"

# The staff review inbox (and the demo page) on WEB_PORT, reading the same PostgreSQL database. Put it behind
# HTTPS and set PAINFAQ_STAFF_SECURE_COOKIE=on so the session cookie is only sent over TLS.
WEB_PORT=${WEB_PORT:-8080}
WEB_INTERFACE=${WEB_INTERFACE:-127.0.0.1}
python="$PWD/$PY"
cors=""
if [ -n "$CORS_ORIGINS" ]; then cors="--cors $CORS_ORIGINS"; fi
source scripts/lib/processes.sh
# HAProxy takes the REST port and retries a request whose Rasa worker died: on this instance's other worker, or,
# once this instance fails its readiness check, on the Rasa of another instance (RASA_BACKUPS="host:port ...",
# their RASA_BACKEND_PORT; set RASA_BACKEND_INTERFACE=0.0.0.0 on an instance that other hosts back up to).
RASA_BACKEND_PORT=${RASA_BACKEND_PORT:-$(free_port)}
read -r -a backups <<<"${RASA_BACKUPS:-}"
front_door "$RASA_INTERFACE:$RASA_PORT" "$RASA_BACKEND_PORT" "${backups[@]}"
if [ -n "$FRONT_DOOR" ]; then
  rasa_interface=${RASA_BACKEND_INTERFACE:-127.0.0.1} rasa_port=$RASA_BACKEND_PORT
else
  rasa_interface=$RASA_INTERFACE rasa_port=$RASA_PORT
fi
# Rasa binds its own port here (Sanic's workers share it with SO_REUSEPORT). Not the supervisor-held port of
# scripts/run.sh: a killed parent's workers drain for up to 15 s on the old socket, supervisord cannot bind the
# port again meanwhile, and the instance stayed down (make chaos: 935 failed instead of 75).
supervise \
  "actions=env SANIC_HOST=$ACTION_INTERFACE ACTION_SERVER_SANIC_WORKERS=$ACTION_WORKERS $python -m painfaq.serving.action_server --actions actions --port $ACTION_PORT" \
  "rasa=env SANIC_WORKERS=$RASA_WORKERS SANIC_PROXIES_COUNT=$PROXIES $python -m painfaq.serving.rasa_server run --model $model --interface $rasa_interface --port $rasa_port --endpoints endpoints.production.yml --credentials credentials.yml $cors" \
  ${FRONT_DOOR:+"$FRONT_DOOR"} \
  "staff=env PAINFAQ_ENDPOINTS=endpoints.production.yml $python scripts/serve_demo.py --host $WEB_INTERFACE --port $WEB_PORT --rasa-url http://localhost:$RASA_PORT"
echo "run-production: supervising the servers (logs: $LOG_DIR/actions.log, $LOG_DIR/rasa.log, $LOG_DIR/staff.log, $LOG_DIR/supervisord.log)"

"$PY" -m scripts.wait_ready --timeout 300 "http://127.0.0.1:$RASA_PORT/webhooks/rest/ready" "http://127.0.0.1:$ACTION_PORT/health" || true
cat <<MSG

  Production profile: $RASA_WORKERS Rasa workers, $ACTION_WORKERS action-server workers
  Tracker store : PostgreSQL $DB_USER@$DB_HOST:$DB_PORT/$DB_NAME
  Lock store    : Redis $REDIS_HOST:$REDIS_PORT db $REDIS_DB
  REST channel  : http://$RASA_INTERFACE:$RASA_PORT/webhooks/rest/webhook (HTTP API off)
  Staff inbox   : http://$WEB_INTERFACE:$WEB_PORT/staff/ (make staff-user STAFF=... DB_URL=...)
  Press Ctrl-C to stop.

MSG
wait_supervised
