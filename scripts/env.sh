# Shared environment for the project's scripts (sourced, not run).
#
# Quiet defaults for every process (the list, and why each is silenced: scripts/lib/quiet.env); a variable
# already set wins.
while IFS='=' read -r name value; do
  case "$name" in ''|\#*) continue ;; esac
  if [ -z "${!name:-}" ]; then export "$name=$value"; fi
done < "$(dirname "${BASH_SOURCE[0]}")/lib/quiet.env"
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
# Server and training logs (timestamped by the servers' own loggers); the path is printed when they start.
LOG_DIR=${LOG_DIR:-logs}
# Supervisor socket and configuration, generated endpoints files (not committed).
RUN_DIR=${RUN_DIR:-.run}
