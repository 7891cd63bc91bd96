# Sourced by scripts/run.sh and scripts/run_production.sh: start servers in the background, stop them all
# on Ctrl-C, SIGTERM or exit.
pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
trap stop INT TERM EXIT

# start_server NAME COMMAND...: run COMMAND in the background; all of its output goes to $LOG_DIR/NAME.log,
# and its warnings and errors also to the console, prefixed with [NAME]. Its pid is added to `pids`.
start_server() {
  local name=$1
  shift
  mkdir -p "$LOG_DIR"
  echo "--- $(date '+%F %T') start: $*" >>"$LOG_DIR/$name.log"
  "$@" > >(tee -a "$LOG_DIR/$name.log" | grep --line-buffered -E "WARNING|ERROR|CRITICAL|Traceback|Error:|UserWarning" |
    sed -u "s/^/[$name] /") 2>&1 &
  pids+=($!)
}
