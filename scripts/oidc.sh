#!/usr/bin/env bash
# Ensures what the single sign-on tests need: panva's certified `oidc-provider` from the npm registry, pinned
# below and with every dependency locked by tests/oidc/package-lock.json, installed with `npm ci` into the
# git-ignored .oidc/ (once; again when the lock changes). The tests run it on loopback through
# tests/oidc/provider.mjs; tests/oidc/selfcheck.mjs checks that harness alone.
#
# To move to another version: change VERSION and tests/oidc/package.json, then in a scratch folder holding
# that package.json run `npm install --package-lock-only --ignore-scripts` and copy its package-lock.json here.
#
#   scripts/oidc.sh                 install when missing (prints nothing on stdout)
#   scripts/oidc.sh selfcheck       install when missing, then run tests/oidc/selfcheck.mjs
#
# Why 8.8.1 and not 9.x: every 9.x release warns "Unsupported runtime. Use Node.js v22.x LTS" at import
# (lib/index.js checks process.release.lts >= 'Jod'); 8.x asks for Node.js 18 LTS or later, and the machine
# has Debian's Node.js 20. No release since 8.0.0 declares `engines` in package.json; that runtime check is
# the package's own statement of what it supports.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "oidc.sh: $*" >&2; }

VERSION=8.8.1
DIR=.oidc

# install_debian PACKAGE... : apt-get install as root; otherwise print the command and fail.
install_debian() {
  if [ "$(id -u)" = 0 ]; then
    say "installing Debian's $*…"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "$@" >&2
  else
    say "the single sign-on tests need Debian's $*. Install them once with:"
    say "  sudo apt-get install -y $*"
    exit 1
  fi
}

installed_version() {
  local pkg="$DIR/node_modules/oidc-provider/package.json"
  [ -f "$pkg" ] && node -p "require('./$pkg').version" 2>/dev/null || true
}

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  install_debian nodejs npm
fi

LOCK=tests/oidc/package-lock.json
have=$(installed_version)
if [ "$have" != "$VERSION" ] || ! cmp -s "$LOCK" "$DIR/package-lock.json"; then
  if [ -n "$have" ]; then
    say "oidc-provider in $DIR/ is not what $LOCK locks; reinstalling…"
  else
    say "installing oidc-provider $VERSION into $DIR/ (once)…"
  fi
  rm -rf "$DIR"
  mkdir -p "$DIR"
  # The project's package.json and lock, so npm treats .oidc/ as the project and never walks up to another.
  cp tests/oidc/package.json "$LOCK" "$DIR/"
  if ! npm ci --prefix "$DIR" --no-audit --no-fund --ignore-scripts --loglevel=error >&2; then
    say "npm could not install oidc-provider $VERSION (is the npm registry reachable?)"
    rm -rf "$DIR"
    exit 1
  fi
  have=$(installed_version)
  [ "$have" = "$VERSION" ] || { say "npm installed oidc-provider '${have:-nothing}', expected $VERSION"; exit 1; }
  say "oidc-provider $VERSION is in $DIR/node_modules"
fi

case "${1:-}" in
  "") ;;
  selfcheck) shift; exec node tests/oidc/selfcheck.mjs "$@" ;;
  *) say "unknown argument '$1' (expected nothing or 'selfcheck')"; exit 2 ;;
esac
