#!/usr/bin/env bash
# Prints the path of a Python 3.8-3.10 interpreter (Rasa 3.6 does not run on 3.11+).
# Order: $PYTHON, python3.10/3.9/3.8 on PATH, then pyenv's installed versions.
set -euo pipefail

is_supported() {
  "$1" -c 'import sys; sys.exit(0 if (3, 8) <= sys.version_info[:2] <= (3, 10) else 1)' 2>/dev/null
}

if [ -n "${PYTHON:-}" ]; then
  if is_supported "$PYTHON"; then command -v "$PYTHON"; exit 0; fi
  echo "error: PYTHON=$PYTHON is not a Python 3.8-3.10 interpreter (Rasa 3.6 needs one)." >&2
  exit 1
fi
for candidate in python3.10 python3.9 python3.8; do
  if path=$(command -v "$candidate" 2>/dev/null) && is_supported "$path"; then echo "$path"; exit 0; fi
done
if command -v pyenv >/dev/null 2>&1; then
  for version in $(pyenv versions --bare 2>/dev/null | grep -E '^3\.(8|9|10)\.' | sort -rV); do
    path="$(pyenv root)/versions/$version/bin/python"
    if is_supported "$path"; then echo "$path"; exit 0; fi
  done
fi
cat >&2 <<'MSG'
error: no Python 3.8-3.10 interpreter found. Rasa 3.6 requires Python < 3.11.
Install one (e.g. `pyenv install 3.10.13` or your OS package python3.10) or point PYTHON at it:
    make run PYTHON=/path/to/python3.10
MSG
exit 1
