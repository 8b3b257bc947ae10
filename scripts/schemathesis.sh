#!/usr/bin/env bash
# Runs schemathesis (from PyPI) against the JSON API's own OpenAPI document: every response must be a
# documented status with a documented content type and body, and none may be a 5xx.
#
#   scripts/schemathesis.sh            (make test runs it after cargo test)
#
# It installs a pinned schemathesis into .venv-schemathesis/ (git-ignored) when missing, creates a fresh
# database on $DATABASE_URL's server (scripts/db.sh provides one), starts target/debug/ai102 on a free
# loopback port with the shipped bank and its forms, and gives schemathesis a candidate's and then an
# instructor's API token. The server and the database are removed on exit, whatever happens.
# Environment: SCHEMATHESIS_MAX_EXAMPLES (default 20), SCHEMATHESIS_SEED (default: random), CARGO.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
VERSION=4.32.5
VENV="$ROOT/.venv-schemathesis"
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-20}
say() { echo "schemathesis.sh: $*" >&2; }

eval "$(scripts/db.sh)"
command -v psql >/dev/null || { say "psql is missing (apt-get install postgresql-client)"; exit 1; }

if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $VERSION" ]; then
  say "installing schemathesis $VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi

# Queries are checked against the committed .sqlx/, not against the database (which may be unmigrated).
SQLX_OFFLINE=true ${CARGO:-cargo} build --quiet --bin ai102
BIN="$ROOT/target/debug/ai102"

ADMIN_URL=$DATABASE_URL
DB_NAME="ai102_schemathesis_$(date +%s)_$$"
DB_URL="${DATABASE_URL%/*}/$DB_NAME"
WORK=$(mktemp -d)
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  psql "$ADMIN_URL" -qc "DROP DATABASE IF EXISTS \"$DB_NAME\" WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$ADMIN_URL" -qc "CREATE DATABASE \"$DB_NAME\"" >/dev/null
export DATABASE_URL="$DB_URL"
"$BIN" migrate >/dev/null
for role in candidate instructor; do
  echo "correct horse battery staple" | "$BIN" user create --email "$role@schemathesis.invalid" \
    --role "$role" --password-stdin >/dev/null
done
CANDIDATE_TOKEN=$("$BIN" token create --email candidate@schemathesis.invalid --name schemathesis)
INSTRUCTOR_TOKEN=$("$BIN" token create --email instructor@schemathesis.invalid --name schemathesis)

# A free loopback port: bind port 0, read it back, let it go.
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
# The shipped bank gives the forms and items the attempt endpoints need.
BIND="127.0.0.1:$PORT" LOAD_BANK="$ROOT/question-bank" RUST_LOG=warn "$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "$BASE/healthz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { say "the server stopped:"; cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$BASE/healthz" >/dev/null || { say "the server did not come up:"; cat "$WORK/server.log" >&2; exit 1; }

# From the scratch folder: schemathesis and hypothesis keep state in the working directory.
cd "$WORK"
run() {
  local who=$1 token=$2
  say "as the $who"
  "$VENV/bin/schemathesis" run "$BASE/api/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
    --max-examples "$MAX_EXAMPLES" \
    ${SCHEMATHESIS_SEED:+--seed "$SCHEMATHESIS_SEED"} \
    --workers 1 \
    --request-timeout 20 \
    --no-color --generation-database none \
    --report junit --report-dir "$WORK/report"
}

status=0
run candidate "$CANDIDATE_TOKEN" || status=1
run instructor "$INSTRUCTOR_TOKEN" || status=1
if [ "$status" != 0 ]; then
  say "failed; the server's warnings and errors:"
  grep -E "WARN|ERROR" "$WORK/server.log" | tail -40 >&2 || true
fi
exit "$status"
