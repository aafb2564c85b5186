#!/usr/bin/env bash
# Provision the OCR tests (tests/test_ocr.py) and screenshot reading: Debian's Tesseract 5
# with its English and French data. Idempotent: installs only what is missing. The Python
# side (pytesseract, Pillow) comes with the project's dependencies (scripts/setup.sh).
# When this fails, the tests that need Tesseract skip and say why, grading falls back to
# checking that screenshots are present, and every other test still runs.
set -euo pipefail
. "$(dirname "$0")/apt-install.sh"
missing=()
command -v tesseract >/dev/null 2>&1 || missing+=(tesseract-ocr)
for lang in eng fra; do
  if ! tesseract --list-langs 2>/dev/null | grep -qx "$lang"; then
    missing+=("tesseract-ocr-$lang")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "tesseract and its eng/fra data already installed: $(tesseract --version 2>&1 | head -1)"
  exit 0
fi
apt_install "to read screenshots (OCR)" "${missing[@]}"
echo "installed ${missing[*]}: $(tesseract --version 2>&1 | head -1)"
