#!/usr/bin/env bash
# Build the project's virtual environment with a Python 3.10 interpreter.
#
# Rasa 3.6.21 runs on Python 3.8-3.10 only, and this machine's default python3 is
# 3.11, so we look for a 3.10 explicitly. It gets the product's packages
# (requirements.lock) and the development and test tools on top of them
# (requirements-dev.lock, which includes the first). The environment is rebuilt only
# when a lock changes (a stamp file records the hash of both; the Makefile's STAMP).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
LOCKS=(requirements.lock requirements-dev.lock)
stamp="$VENV/.lock-$(cat "${LOCKS[@]}" | sha256sum | cut -c1-16)"

if [ -f "$stamp" ]; then
  exit 0
fi

find_python310() {
  local candidates=("${PYTHON310:-}" python3.10)
  local pyenv_root=${PYENV_ROOT:-$HOME/.pyenv}
  for p in "$pyenv_root"/versions/3.10*/bin/python3.10 /usr/local/bin/python3.10 /usr/bin/python3.10; do
    candidates+=("$p")
  done
  for c in "${candidates[@]}"; do
    [ -n "$c" ] || continue
    if command -v "$c" >/dev/null 2>&1 && "$c" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

py=$(find_python310) || {
  echo "setup: no Python 3.10 interpreter found (Rasa 3.6.21 needs 3.8-3.10)." >&2
  echo "setup: install one (e.g. 'pyenv install 3.10') or set PYTHON310=/path/to/python3.10." >&2
  exit 1
}
echo "setup: building $VENV with $py ($("$py" --version))"
rm -rf "$VENV"
"$py" -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --upgrade "pip==23.3.2"
"$VENV/bin/python" -m pip install --quiet --no-cache-dir -r requirements-dev.lock
# The locks hold every package; a conflict here means they are inconsistent.
"$VENV/bin/python" -m pip check
touch "$stamp"
echo "setup: $VENV ready"
