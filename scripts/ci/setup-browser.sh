#!/usr/bin/env bash
# Provision the browser tests (tests/browser/): Debian's Chromium and ChromeDriver.
# Idempotent: installs only what is missing. The Python driver (selenium) comes with the
# project's dev extras (scripts/setup.sh dev). When this fails, the browser tests skip
# and say why; every other test still runs.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then
  echo "chromium and chromedriver already installed: $(chromium --version 2>/dev/null || true)"
  exit 0
fi
apt_install "to run the browser tests" "${missing[@]}"
echo "installed ${missing[*]}: $(chromium --version 2>/dev/null || true)"
