# Sourced by scripts/run.sh and scripts/run_production.sh.
#
# supervise NAME=COMMAND... (NAME@tcp://HOST:PORT=COMMAND: supervisord holds that port across restarts;
# NAME/USR1=COMMAND: stopped with SIGUSR1 instead of SIGTERM):
# run the servers under supervisord (painfaq/serving/supervision.py) in the
# background: a server that dies is restarted; too many restarts in a row stop everything. Each server's
# output goes to $LOG_DIR/NAME.log; its warnings and errors also to the console, prefixed with [NAME].
# Ctrl-C or SIGTERM stops them all. Then `wait_supervised` waits until they have stopped and exits with the
# supervisor's status (1 after the restart limit).
supervise() {
  local args=() logs=() spec name
  mkdir -p "$LOG_DIR"
  for spec in "$@"; do
    name=${spec%%=*}
    name=${name%%@*}
    name=${name%%/*}
    args+=(--program "$spec")
    touch "$LOG_DIR/$name.log"
    logs+=("$LOG_DIR/$name.log")
  done
  "$PY" -m painfaq.serving.supervision run --run-dir "$RUN_DIR/supervision" --log-dir "$LOG_DIR" \
    --max-restarts "${SUPERVISE_MAX_RESTARTS:-5}" "${args[@]}" &
  supervisor=$!
  tail --pid="$supervisor" -v -n0 -F "${logs[@]}" 2>/dev/null |
    awk '/^==> .* <==$/ { n = split($2, parts, "/"); name = parts[n]; sub(/\.log$/, "", name); next }
         /WARNING|ERROR|CRITICAL|Traceback|Error:|UserWarning/ { print "[" name "] " $0; fflush() }' &
  trap 'kill -TERM "$supervisor" 2>/dev/null || true' INT TERM
}

wait_supervised() {
  # `wait` returns early when a trapped signal arrives: wait until the supervisor has stopped everything,
  # then take its own exit status (bash keeps it for a background job it has reaped).
  while kill -0 "$supervisor" 2>/dev/null; do wait "$supervisor" || true; done
  local status=0
  wait "$supervisor" || status=$?
  exit "$status"
}

# front_door LISTEN BACKEND_PORT [BACKUP_HOST:PORT...]: HAProxy on LISTEN (HOST:PORT) in front of this instance's
# Rasa on 127.0.0.1:BACKEND_PORT, retrying a request whose Rasa died (painfaq/serving/balancer.py). Sets
# FRONT_DOOR to the program to supervise (stopped with SIGUSR1: HAProxy's graceful stop), or to nothing when
# HAProxy is not installed or FRONT_DOOR_MODE=off; then Rasa must take LISTEN itself. Sets PROXIES to the
# SANIC_PROXIES_COUNT Rasa must run with.
front_door() {
  local listen=$1 backend=$2 haproxy backup
  shift 2
  local args=()
  for backup in "$@"; do args+=(--backup "$backup"); done
  FRONT_DOOR=""
  # Proxies in front of Rasa, for its per-address limits (Sanic reads the client from X-Forwarded-For):
  # the operator's own (SANIC_PROXIES_COUNT), plus HAProxy when it runs.
  PROXIES=${SANIC_PROXIES_COUNT:-0}
  if [ "${FRONT_DOOR_MODE:-on}" = off ]; then return; fi
  haproxy=$("$PY" -c 'from painfaq.serving.balancer import haproxy_path; print(haproxy_path() or "")')
  if [ -z "$haproxy" ]; then
    echo "note: HAProxy is not installed (apt-get install haproxy): Rasa takes $listen itself, and a request in flight when a Rasa process dies gets no answer" >&2
    return
  fi
  local config
  config=$(realpath -m "$RUN_DIR/haproxy.cfg")
  # The turn timeout comes from painfaq.settings (PAINFAQ_TURN_TIMEOUT), like the channel's.
  "$PY" -m painfaq.serving.balancer --out "$config" --listen "$listen" --server "127.0.0.1:$backend" "${args[@]}"
  FRONT_DOOR="proxy/USR1=$haproxy -db -f $config"
  PROXIES=$((PROXIES + 1))
}

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
