# Sourced by scripts/run.sh and scripts/run_production.sh.
#
# supervise NAME=COMMAND... (or NAME@tcp://HOST:PORT=COMMAND: supervisord holds that port across restarts):
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
