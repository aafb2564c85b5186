#!/usr/bin/env bash
# Set up, then run the grader on the bundled example class (submissions/).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
for folder in submissions/*/; do
  .venv/bin/grader grade "$folder"
  echo
done
