#!/usr/bin/env bash
# Set up, then batch-grade the bundled example class (submissions/) into out/:
# the dashboard, a sheet per student (HTML and JSON) and a CSV export.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.venv/bin/grader batch submissions --out out "$@"
