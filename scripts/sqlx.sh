#!/usr/bin/env bash
# Runs the project's sqlx-cli (installed from crates.io into .tools/ when missing, at the version of sqlx in
# Cargo.lock), so `.sqlx/` is written and checked by the same sqlx the app compiles with.
#
#   scripts/sqlx.sh prepare          write .sqlx/ from a freshly migrated scratch database
#   scripts/sqlx.sh check            fail when .sqlx/ is out of date (make lint)
#   scripts/sqlx.sh <args>           any other sqlx-cli command, e.g. `scripts/sqlx.sh migrate info`
#
# prepare and check never use the database DATABASE_URL names: they create a scratch database next to it
# (ai102_sqlx_<pid>), apply migrations/ to it, run `cargo sqlx prepare` against it and drop it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
say() { echo "sqlx.sh: $*" >&2; }

VERSION=$(awk '/^name = "sqlx"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
[ -n "$VERSION" ] || { say "no sqlx in Cargo.lock"; exit 1; }
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin/sqlx"
CARGO=${CARGO:-cargo}

if [ ! -x "$BIN" ] || [ "$("$BIN" --version 2>/dev/null | awk '{print $2}')" != "$VERSION" ]; then
  say "installing sqlx-cli $VERSION into .tools/ (once)…"
  "$CARGO" install sqlx-cli --locked --version "=$VERSION" --no-default-features \
    --features postgres,rustls --root "$TOOLS" >&2
fi
# `cargo sqlx` finds cargo-sqlx on PATH.
export PATH="$TOOLS/bin:$PATH"

scratch() {
  # A scratch database beside DATABASE_URL's, migrated from migrations/; prints its URL.
  eval "$(scripts/db.sh)"
  local name="ai102_sqlx_$$"
  local base=${DATABASE_URL%%\?*}
  local query=""
  [ "$base" != "$DATABASE_URL" ] && query="?${DATABASE_URL#*\?}"
  SCRATCH_URL="${base%/*}/$name$query"
  DROP_URL=$DATABASE_URL
  psql "$DROP_URL" -qc "DROP DATABASE IF EXISTS \"$name\"" >/dev/null
  psql "$DROP_URL" -qc "CREATE DATABASE \"$name\"" >/dev/null
  trap 'psql "$DROP_URL" -qc "DROP DATABASE IF EXISTS \"'"$name"'\" WITH (FORCE)" >/dev/null' EXIT
  "$BIN" migrate run --database-url "$SCRATCH_URL" --source migrations >&2
}

case "${1:-}" in
  prepare)
    scratch
    DATABASE_URL=$SCRATCH_URL SQLX_OFFLINE=false "$CARGO" sqlx prepare -- --all-targets
    ;;
  check)
    scratch
    DATABASE_URL=$SCRATCH_URL SQLX_OFFLINE=false "$CARGO" sqlx prepare --check -- --all-targets
    ;;
  *)
    exec "$BIN" "$@"
    ;;
esac
