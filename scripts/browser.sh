#!/usr/bin/env bash
# Ensures Debian's headless Chromium and ChromeDriver for the browser tests (no browser download step).
set -euo pipefail
if command -v chromium >/dev/null 2>&1 && command -v chromedriver >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" = 0 ]; then
  echo "browser.sh: installing Debian's chromium and chromium-driver…" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq chromium chromium-driver >&2
else
  echo "browser.sh: the browser tests need Debian's chromium and chromium-driver. Install them once with:" >&2
  echo "  sudo apt-get install -y chromium chromium-driver" >&2
  exit 1
fi
