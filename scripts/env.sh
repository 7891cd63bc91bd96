# Shared environment for the project's scripts (sourced, not run).
export PYTHONPATH="${PWD}${PYTHONPATH:+:$PYTHONPATH}"
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export RASA_TELEMETRY_ENABLED=false
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
