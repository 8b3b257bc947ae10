#!/usr/bin/env bash
# Ensures what the browser tests need: Debian's headless Chromium and ChromeDriver (no browser download step),
# and axe-core for the accessibility checks, from the npm registry as pinned in tests/a11y/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

# install_debian PACKAGE... : apt-get install as root; otherwise print the command and fail.
install_debian() {
  if [ "$(id -u)" = 0 ]; then
    echo "browser.sh: installing Debian's $*…" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "$@" >&2
  else
    echo "browser.sh: the browser tests need Debian's $*. Install them once with:" >&2
    echo "  sudo apt-get install -y $*" >&2
    exit 1
  fi
}

if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
  install_debian chromium chromium-driver
fi

if [ ! -f tests/a11y/node_modules/axe-core/axe.min.js ]; then
  command -v npm >/dev/null 2>&1 || install_debian nodejs npm
  echo "browser.sh: installing axe-core (tests/a11y/package-lock.json)…" >&2
  npm ci --prefix tests/a11y --no-audit --no-fund --ignore-scripts >&2
fi
