# Sourced by scripts/run.sh and scripts/run_production.sh: start servers in the background, stop them all
# on Ctrl-C, SIGTERM or exit. Add each server's pid to `pids`.
pids=()
stop() {
  trap - INT TERM EXIT
  echo "stopping..."
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "stopped."
}
trap stop INT TERM EXIT
