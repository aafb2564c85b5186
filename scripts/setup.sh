#!/usr/bin/env bash
# Create .venv (once) and install the grader into it; "dev" also installs test tools.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$PYTHON" -m venv .venv; then
    echo "error: '$PYTHON -m venv' failed; on Debian/Ubuntu install it with: sudo apt-get install python3-venv" >&2
    rm -rf .venv
    exit 1
  fi
fi
extras=""
[ "${1:-}" = "dev" ] && extras="[dev]"
stamp=".venv/.installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # -qq: setuptools' notes about editable installs are not for the user
  .venv/bin/python -m pip install -qq -e ".${extras}"
  touch "$stamp"
fi
