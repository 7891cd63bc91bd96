# Shared environment for the project's scripts (sourced, not run).
#
# Silenced here, once, because they say nothing to someone running the assistant (real warnings and errors
# stay visible):
# - TensorFlow's C++ start-up banners (oneDNN, "Could not find cuda drivers", CPU instructions, TensorRT):
#   training imports TensorFlow on a CPU-only machine; the served model does not use it.
# - Deprecation warnings from the libraries Rasa 3.6 pins (pkg_resources, pyparsing, click, distutils,
#   SQLAlchemy's 2.0 migration notice): addressed to those libraries' maintainers, nothing to act on here.
export TF_CPP_MIN_LOG_LEVEL=${TF_CPP_MIN_LOG_LEVEL:-2}
export SQLALCHEMY_SILENCE_UBER_WARNING=1
export PYTHONWARNINGS=${PYTHONWARNINGS:-ignore::DeprecationWarning,ignore::PendingDeprecationWarning}
export RASA_TELEMETRY_ENABLED=false
VENV=${VENV:-.venv}
PY="$VENV/bin/python"
# Server and training logs (timestamped by the servers' own loggers); the path is printed when they start.
LOG_DIR=${LOG_DIR:-logs}
# Supervisor socket and configuration, generated endpoints files (not committed).
RUN_DIR=${RUN_DIR:-.run}
