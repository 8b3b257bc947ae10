#!/usr/bin/env bash
# Makes tests/fixtures/pre-exams.sql: data written by the schema as it was BEFORE migration 0011_exams
# (migrations 0001–0010), for tests/it/migration_exams.rs, which loads it into a database migrated to 0010,
# applies every later migration and checks that nothing was lost.
#
# Run by hand, once, when the fixture has to be remade; tests never run it (they only read its output).
# It needs the OLD binary, built from commit 3046e3e (the last commit before 0011) in its own worktree:
#
#   git worktree add /work/wt-old 3046e3e
#   (cd /work/wt-old && CARGO_TARGET_DIR=/work/wt-old/target cargo build --bin ai102)
#   scripts/make-migration-fixture.sh /work/wt-old            # the old checkout (its binary and its bank)
#   git worktree remove --force /work/wt-old
#
# How the fixture is made, all with the old binary against a scratch database `ai102_fixture_tmp` on the
# project-local PostgreSQL (scripts/db.sh), dropped again at the end:
#   1. `ai102 migrate`, then `ai102 serve` (LOAD_BANK = the old checkout's question-bank) on a free port,
#      which loads the AI-102 bank and its default forms (ai102-full, quick-15);
#   2. `ai102 demo seed --candidates 6 --attempts 3`: finished exam attempts and the analytics rollups;
#   3. three accounts (`ai102 user create`): fixture-candidate@example.invalid, fixture-late@example.invalid
#      (candidates) and fixture-admin@example.invalid (admin), with API tokens (`ai102 token create`);
#   4. through the old server's JSON API and pages: for fixture-candidate a finished Quick 15 (answered and
#      submitted), a Quick 15 in progress with some answers and a mark, a finished practice set and a
#      practice set in progress with some answers; for fixture-late a Quick 15 in progress (its time runs
#      out long before the fixture is loaded, so the new code ends it); three problem reports from the
#      candidate (POST /attempts/{id}/items/{n}/report), one of which the admin rejects (so one resolved,
#      two open); and a held upload of the admin's (the old tests' exam pack with one wrong key, so its
#      valid items wait for a draft import). Pages are posted with a session made in SQL as the old code
#      makes it (SHA-256 of the cookie value, a CSRF token);
#   5. `pg_dump --data-only` of every table but `_sqlx_migrations`, as multi-row INSERTs with column names.
#
# The fixture is plain SQL (about 1 MB); load it with triggers off (SET session_replication_role = replica),
# since the rollups it holds were already written by the old triggers.
#
# Usage: scripts/make-migration-fixture.sh OLD_CHECKOUT [OUTPUT]   (OUTPUT: tests/fixtures/pre-exams.sql)
# OLD_BIN overrides the binary (default OLD_CHECKOUT/target/debug/ai102).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
OLD=$(cd "${1:?usage: $0 OLD_CHECKOUT [OUTPUT]}" && pwd)
OUT=${2:-$ROOT/tests/fixtures/pre-exams.sql}
BIN=${OLD_BIN:-$OLD/target/debug/ai102}
DB=ai102_fixture_tmp
say() { echo "make-migration-fixture: $*" >&2; }

[ -x "$BIN" ] || { say "no old binary at $BIN (build it first, see the top of this script)"; exit 1; }
[ -f "$OLD/question-bank/pack.yaml" ] || { say "$OLD/question-bank is not the old (pre-0011) bank layout"; exit 1; }
[ ! -e "$OLD/migrations/0011_exams.sql" ] || { say "$OLD already has migration 0011: use a checkout of 3046e3e"; exit 1; }
for tool in curl jq psql pg_dump python3; do
  command -v "$tool" >/dev/null || { say "$tool is needed"; exit 1; }
done

eval "$("$ROOT/scripts/db.sh")"
SERVER_URL=$DATABASE_URL
export DATABASE_URL="${SERVER_URL%/*}/$DB"
psql -q "$SERVER_URL" -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"

WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
  [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null
  rm -rf "$WORK"
  psql -q "$SERVER_URL" -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true
}
trap cleanup EXIT

"$BIN" migrate >/dev/null

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
say "starting the old server on $BASE"
(cd "$OLD" && exec env BIND="127.0.0.1:$PORT" LOAD_BANK="$OLD/question-bank" RUST_LOG=warn "$BIN" serve) \
  >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 120); do
  curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.5
done
curl -fsS "$BASE/readyz" >/dev/null || { say "the server did not become ready"; cat "$WORK/server.log" >&2; exit 1; }

# Demo seed first: it refuses to run once there are accounts that are not demo candidates.
"$BIN" demo seed --candidates 6 --attempts 3 >&2

PASSWORD="fixture password 0011"
mkuser() { echo "$PASSWORD" | "$BIN" user create --email "$1" --role "$2" --name "$3" --password-stdin >&2; }
mkuser fixture-candidate@example.invalid candidate "Fixture candidate"
mkuser fixture-late@example.invalid candidate "Fixture late candidate"
mkuser fixture-admin@example.invalid admin "Fixture admin"
TOKEN=$("$BIN" token create --email fixture-candidate@example.invalid --name fixture)
LATE_TOKEN=$("$BIN" token create --email fixture-late@example.invalid --name fixture)

# A browser session as the old code stores one: the cookie's SHA-256, and a CSRF token. Prints "cookie csrf".
session() {
  local secret csrf
  secret=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  csrf=$(python3 -c 'import secrets; print(secrets.token_hex(32))')
  psql -qtA -v ON_ERROR_STOP=1 "$DATABASE_URL" -c "INSERT INTO sessions (id_hash, user_id, csrf_token, expires_at)
    SELECT sha256(convert_to('$secret', 'UTF8')), id, '$csrf', now() + interval '14 days'
    FROM users WHERE email = '$1'" >/dev/null
  echo "$secret $csrf"
}

# api TOKEN METHOD PATH [JSON BODY]: prints the body; fails on a status other than 2xx.
api() {
  local code
  code=$(curl -sS -o "$WORK/body" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
    -H 'Content-Type: application/json' ${4:+--data "$4"} "$BASE$3")
  [ "${code:0:1}" = 2 ] || { say "$2 $3 answered $code: $(cat "$WORK/body")"; return 1; }
  cat "$WORK/body"
}

# A page form post with a session: prints the Location header; fails unless it redirects.
post_page() { # COOKIE CSRF PATH FORM-FIELDS…
  local cookie=$1 csrf=$2 path=$3 code
  shift 3
  local args=()
  for f in "$@"; do args+=(--data-urlencode "$f"); done
  code=$(curl -sS -o "$WORK/page" -D "$WORK/headers" -w '%{http_code}' -b "ai102_session=$cookie" \
    -H "X-CSRF-Token: $csrf" "${args[@]}" "$BASE$path")
  [ "${code:0:1}" = 3 ] || { say "POST $path answered $code"; return 1; }
  grep -i '^location:' "$WORK/headers" | tr -d '\r' | cut -d' ' -f2
}

# A response to an item as GET /api/v1/attempts/{id}/items/{n} shows it, varied by position so that some
# answers are right and some wrong.
RESPONSE_JQ='
  (.position) as $p |
  if .type == "single" then {type, answer: .options[$p % (.options | length)].id}
  elif .type == "multiple" then {type, answer: [.options[:.choose][] .id]}
  elif .type == "yes_no_series" then
    {type, answer: ([.statements | to_entries[] | {key: .value.id, value: (if (.key + $p) % 2 == 0 then "yes" else "no" end)}] | from_entries)}
  elif .type == "order" then {type, answer: [.options[:.positions][] .id]}
  elif .type == "match" then
    {type, answer: ([range(0; .slots | length) as $i | {key: .slots[$i].id, value: .options[$i % (.options | length)].id}] | from_entries)}
  elif .type == "hot_area" then {type, answer: ([.hot_slots[] | {key: .id, value: .options[$p % (.options | length)].id}] | from_entries)}
  else null end'

# answer TOKEN ATTEMPT POSITION…: saves a response to each position (a refusal, e.g. a locked case-study
# section, is reported and skipped).
answer() {
  local token=$1 attempt=$2
  shift 2
  for p in "$@"; do
    local item body
    item=$(api "$token" GET "/api/v1/attempts/$attempt/items/$p") || continue
    body=$(echo "$item" | jq -c "$RESPONSE_JQ")
    api "$token" PUT "/api/v1/attempts/$attempt/items/$p/answer" "$body" >/dev/null || say "(answer $p of $attempt skipped)"
  done
}

count_items() { api "$1" GET "/api/v1/attempts/$2" | jq '.item_count'; }

# fixture-candidate: a finished Quick 15, every item answered.
FINISHED=$(api "$TOKEN" POST /api/v1/forms/quick-15/attempts | jq -r .id)
answer "$TOKEN" "$FINISHED" $(seq 1 "$(count_items "$TOKEN" "$FINISHED")")
api "$TOKEN" POST "/api/v1/attempts/$FINISHED/submit" | jq -c '{state: .attempt.state, passed: .result.passed}' >&2

# fixture-candidate: a Quick 15 in progress, four answers and a mark.
RUNNING=$(api "$TOKEN" POST /api/v1/forms/quick-15/attempts | jq -r .id)
answer "$TOKEN" "$RUNNING" 1 2 3 4
api "$TOKEN" PUT "/api/v1/attempts/$RUNNING/items/2/mark" '{"marked": true}' >/dev/null

# fixture-candidate: two practice sets (pages only), one finished, one in progress.
read -r COOKIE CSRF < <(session fixture-candidate@example.invalid)
PRACTICE_DONE=$(post_page "$COOKIE" "$CSRF" /practice/start count=6 | sed -E 's#^/attempts/([^/]+)/.*#\1#')
answer "$TOKEN" "$PRACTICE_DONE" $(seq 1 "$(count_items "$TOKEN" "$PRACTICE_DONE")")
api "$TOKEN" POST "/api/v1/attempts/$PRACTICE_DONE/submit" | jq -c '{state: .attempt.state}' >&2
PRACTICE_OPEN=$(post_page "$COOKIE" "$CSRF" /practice/start count=5 | sed -E 's#^/attempts/([^/]+)/.*#\1#')
answer "$TOKEN" "$PRACTICE_OPEN" 1 2

# fixture-late: a Quick 15 left running; its deadline is long past when the fixture is loaded.
LATE=$(api "$LATE_TOKEN" POST /api/v1/forms/quick-15/attempts | jq -r .id)
answer "$LATE_TOKEN" "$LATE" 1 2 3

# Problem reports from fixture-candidate, on three different items; the admin rejects the first.
post_page "$COOKIE" "$CSRF" "/attempts/$FINISHED/items/1/report" kind=wrong_key "comment=The key looks wrong to me." >/dev/null
post_page "$COOKIE" "$CSRF" "/attempts/$PRACTICE_DONE/items/1/report" kind=unclear "comment=Which region is meant?" >/dev/null
post_page "$COOKIE" "$CSRF" "/attempts/$RUNNING/items/1/report" kind=typo comment= >/dev/null
read -r ADMIN_COOKIE ADMIN_CSRF < <(session fixture-admin@example.invalid)
REPORT=$(psql -qtA "$DATABASE_URL" -c "SELECT id FROM item_reports ORDER BY created_at LIMIT 1")
post_page "$ADMIN_COOKIE" "$ADMIN_CSRF" "/instructor/reports/$REPORT/reject" \
  "reason=The key is right: see the linked documentation." >/dev/null

# A held upload: the old test pack with one wrong key, refused, its valid items kept for a draft import.
sed '0,/^    answer: a$/s//    answer: z/' "$OLD/tests/fixtures/exam_pack.yaml" >"$WORK/mixed.yaml"
code=$(curl -sS -o /dev/null -w '%{http_code}' -b "ai102_session=$ADMIN_COOKIE" -F "csrf_token=$ADMIN_CSRF" \
  -F format=yaml -F "file=@$WORK/mixed.yaml;filename=mixed.yaml" "$BASE/instructor/upload")
[ "$code" = 422 ] || { say "the mixed upload answered $code, not 422"; exit 1; }

kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=

say "attempts: finished $FINISHED, running $RUNNING, practice done $PRACTICE_DONE, practice open $PRACTICE_OPEN, late $LATE"
psql -qtA "$DATABASE_URL" -c "SELECT mode, coalesce(ended_reason, 'in progress'), count(*) FROM attempts GROUP BY 1, 2 ORDER BY 1, 2" >&2
psql -qtA "$DATABASE_URL" -c "SELECT status, count(*) FROM item_reports GROUP BY 1 ORDER BY 1" >&2
[ "$(psql -qtA "$DATABASE_URL" -c "SELECT count(*) FROM uploads")" = 1 ] || { say "no held upload"; exit 1; }

mkdir -p "$(dirname "$OUT")"
{
  echo "-- Data written by the schema of migrations 0001–0010 (before 0011_exams), by the binary of commit"
  echo "-- 3046e3e: made by scripts/make-migration-fixture.sh on $(date -u +%Y-%m-%d); read by tests/it/migration_exams.rs."
  echo "-- Data only: load it into a database migrated to 0010, with SET session_replication_role = replica."
  pg_dump --data-only --column-inserts --rows-per-insert=200 --no-owner --no-privileges \
    --exclude-table-data=_sqlx_migrations "$DATABASE_URL" \
    | grep -v -e '^-- Dumped ' -e '^\\restrict' -e '^\\unrestrict'
} >"$OUT"
say "wrote $OUT ($(du -h "$OUT" | cut -f1))"
