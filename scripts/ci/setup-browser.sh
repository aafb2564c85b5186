#!/usr/bin/env bash
# Provision the browser tests (tests/browser/): Debian's Chromium and ChromeDriver.
# Idempotent: installs only what is missing. The Python driver (selenium) comes with the
# project's dev extras (scripts/setup.sh dev). When this fails, the browser tests skip
# and say why; every other test still runs.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v chromedriver >/dev/null 2>&1 || missing+=(chromium-driver)
if [ ${#missing[@]} -eq 0 ]; then
  echo "chromium and chromedriver already installed: $(chromium --version 2>/dev/null || true)"
  exit 0
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "no apt-get here: install ${missing[*]} by hand to run the browser tests" >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo -n"; else
    echo "not root and no sudo: install ${missing[*]} by hand to run the browser tests" >&2
    exit 1
  fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "installed ${missing[*]}: $(chromium --version 2>/dev/null || true)"
