#!/usr/bin/env bash
# The performance figures in one command (also `make bench`); docs/performance.md explains and reads them.
#
#   bench/run.sh
#
# Ensures PostgreSQL (scripts/db.sh), creates a fresh database `ai102_bench`, builds release, serves it on a
# free loopback port with the shipped bank, then runs bench/loadgen.rs four times:
#   closed_loop        N candidates saving back to back (the throughput), then the item page, /healthz and
#                      /static/app.css (anonymous and signed in) for BENCH_PAGE_SECONDS each
# and bench/study.rs (the progress page of a candidate with 200 attempts and 5,000 review cards, 20 warm requests)
# and bench/classes.rs (the gradebook of a class of 500 members × 10 assignments with 20,000 attempts, 20 warm
# requests)
#   closed_loop_small  fewer candidates back to back (the same work with a shorter queue)
#   paced, paced_fast  N candidates pausing ~2 s / ~1 s between saves (the latency at a given load)
# then stops the server and runs pgbench, 32 clients: bench/save_answer.sql (the save's upsert alone, the
# ceiling the saves are compared with: `pgbench -n -f bench/save_answer.sql -c 32 -j 2 -T 15`, then again with
# prepared statements as sqlx sends them), bench/save_path.sql (every statement of a save, prepared) and
# bench/page_read.sql (every statement of an exam item page, prepared: the item page's ceiling); the static-file
# ceiling is bench/bare_static.rs (bare axum, the stylesheet from memory), measured in the closed loop's page
# phases; bench/targets.py prints issue 18's targets and flags a ratio more than 10 % below the last run; and
# bench/bank.rs (check and import of a generated 10,000-item pack into `ai102_bench_bank`; then, per upload
# format (YAML, JSON, GIFT, Moodle XML, Aiken, CSV, QTI 3.0 package), a 10,000-item file read by
# `read_upload` and imported end to end into a throwaway `ai102_bench_bank_<format>`); and last a realistic
# day on a fresh `ai102_bench_day` (`loadgen --day`): BENCH_DAY_CANDIDATES candidates (5,000) each start the full
# mock at a random moment of the first 5 minutes, read every item's page, think 4–16 s, autosave, then open the
# review screen and submit, every duration divided by BENCH_DAY_COMPRESSION (2). Prints a summary and writes
# bench/results/latest.json. Everything stays on 127.0.0.1; about 22 minutes once built.
#
# Knobs (environment): BENCH_CANDIDATES (1000), BENCH_SMALL_CANDIDATES (100), BENCH_SAVE_SECONDS (30),
# BENCH_PAGE_SECONDS (10), BENCH_PGBENCH_SECONDS (15), BENCH_BANK_ITEMS (10000), BENCH_DAY_CANDIDATES (5000),
# BENCH_DAY_COMPRESSION (2); DATABASE_MAX_CONNECTIONS
# reaches the server as it is (its pool defaults to 20).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CANDIDATES=${BENCH_CANDIDATES:-1000}
SMALL=${BENCH_SMALL_CANDIDATES:-100}
SAVE_SECONDS=${BENCH_SAVE_SECONDS:-30}
PAGE_SECONDS=${BENCH_PAGE_SECONDS:-10}
PGBENCH_SECONDS=${BENCH_PGBENCH_SECONDS:-15}
BANK_ITEMS=${BENCH_BANK_ITEMS:-10000}
DAY_CANDIDATES=${BENCH_DAY_CANDIDATES:-5000}
DAY_COMPRESSION=${BENCH_DAY_COMPRESSION:-2}
RESULTS=bench/results
mkdir -p "$RESULTS"
WORK=$(mktemp -d)
SERVER_PID=
say() { echo "bench: $*" >&2; }

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The first number after "key": in a JSON file (the figures read here have unique keys).
num() { grep -o "\"$2\": *-\?[0-9.e+-]*" "$1" | head -1 | sed 's/.*: *//'; }
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (a != "" && b > 0) printf "%.3f", a / b; else printf "null" }'; }
or_null() { if [ -n "${1:-}" ]; then echo "$1"; else echo null; fi; }
verdict() { awk -v p="${1:-}" 'BEGIN { print (p != "" && p + 0 < 50) ? "met" : "missed" }'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# 1000 browsers and their server-side connections need more than the usual 1024 descriptors.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

eval "$(scripts/db.sh)"
export PGOPTIONS="-c client_min_messages=warning"
BENCH_DB="${DATABASE_URL%/*}/ai102_bench"
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)
PGBENCH=$(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -V | tail -1 || true)
[ -n "$PGBENCH" ] || PGBENCH=$(command -v pgbench || true)
LOAD_BEFORE=$(loadavg)
# The last recorded run, for the regression check at the end (a ratio more than 10 % below it is flagged).
[ -f "$RESULTS/latest.json" ] && cp "$RESULTS/latest.json" "$WORK/previous.json"

say "building release"
# Queries are checked against the committed .sqlx/, not against the database (which may be unmigrated).
SQLX_OFFLINE=true cargo build --release --quiet --examples --bin ai102

say "fresh database ai102_bench"
"$PSQL" "$DATABASE_URL" -qX -c "DROP DATABASE IF EXISTS ai102_bench WITH (FORCE)" -c "CREATE DATABASE ai102_bench"

PORT=$(scripts/free-port.sh)
URL="http://127.0.0.1:$PORT"

start_server() { # database-url log-file
  say "starting target/release/ai102 serve on $URL (log: $2)"
  BIND="127.0.0.1:$PORT" DATABASE_URL="$1" LOAD_BANK=question-bank \
    target/release/ai102 serve >"$2" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 120); do
    curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || { say "the server exited; its log:"; tail -20 "$2" >&2; exit 1; }
    sleep 0.5
  done
  curl -fsS "$URL/readyz" >/dev/null || { say "the server is not ready after 60 s"; exit 1; }
}
start_server "$BENCH_DB" "$RESULTS/server.log"

loadgen() {
  target/release/examples/loadgen --base-url "$URL" --database-url "$BENCH_DB" --server-pid "$SERVER_PID" "$@"
}
# The static-file ceiling: bare axum serving the same stylesheet from memory (bench/bare_static.rs), measured in
# the closed loop's page phases with the same candidates and connections.
BARE_PORT=$(scripts/free-port.sh)
target/release/examples/bare_static "127.0.0.1:$BARE_PORT" 2>>"$RESULTS/server.log" &
BARE_PID=$!
for _ in $(seq 40); do curl -fsS "http://127.0.0.1:$BARE_PORT/static/app.css" >/dev/null 2>&1 && break; sleep 0.25; done
say "loadgen: $CANDIDATES candidates back to back (saves ≤ ${SAVE_SECONDS} s; pages ${PAGE_SECONDS} s each)"
loadgen --label closed_loop --candidates "$CANDIDATES" --save-seconds "$SAVE_SECONDS" \
  --page-seconds "$PAGE_SECONDS" --bare-static-url "http://127.0.0.1:$BARE_PORT" >"$WORK/closed.json"
kill "$BARE_PID" 2>/dev/null || true
wait "$BARE_PID" 2>/dev/null || true
say "loadgen: $SMALL candidates back to back"
loadgen --label closed_loop_small --candidates "$SMALL" --save-seconds 15 --page-seconds 0 >"$WORK/small.json"
say "loadgen: $CANDIDATES candidates, a save every ~2 s each, then an item page every ~2 s each"
loadgen --label paced --candidates "$CANDIDATES" --think-ms 2000 --save-seconds 20 --page-seconds 20 >"$WORK/paced.json"
say "loadgen: $CANDIDATES candidates, a save every ~1 s each"
loadgen --label paced_fast --candidates "$CANDIDATES" --think-ms 1000 --save-seconds 20 --page-seconds 0 \
  >"$WORK/paced_fast.json"
say "study: the progress page of a candidate with 200 attempts and 5,000 review cards, 20 warm requests"
target/release/examples/study_bench --database-url "$BENCH_DB" --base-url "$URL" --runs 20 >"$WORK/study.json"
say "classes: the gradebook of a class of 500 members × 10 assignments with 20,000 attempts, 20 warm requests"
target/release/examples/classes_bench --database-url "$BENCH_DB" --base-url "$URL" --members 500 --assignments 10 \
  --attempts 20000 --runs 20 >"$WORK/classes.json"
stop_server

TPS=
TPS_PREPARED=
PATH_TPS=
ATTEMPTS=0
if [ -n "$PGBENCH" ]; then
  # The scripts use the attempts just created, reopened so that the upsert's guard lets them through.
  ATTEMPTS=$("$PSQL" "$BENCH_DB" -qtAX -v ON_ERROR_STOP=1 <<'SQL'
DROP TABLE IF EXISTS bench_attempts;
CREATE TABLE bench_attempts AS
  SELECT row_number() OVER (ORDER BY a.id)::int AS n, a.id AS attempt_id, a.user_id,
         (SELECT s.id_hash FROM sessions s WHERE s.user_id = a.user_id LIMIT 1) AS id_hash
  FROM attempts a WHERE a.item_count = 50 AND a.assignment_id IS NULL;
ALTER TABLE bench_attempts ADD PRIMARY KEY (n);
UPDATE attempts SET ended_at = NULL, ended_reason = NULL, deadline = now() + interval '1 hour'
  WHERE id IN (SELECT attempt_id FROM bench_attempts);
VACUUM ANALYZE;
SELECT count(*) FROM bench_attempts;
SQL
)
  pgb() { # output-file seconds extra-flags...
    local out=$1 secs=$2
    shift 2
    "$PGBENCH" -n "$@" -D attempts="$ATTEMPTS" -c 32 -j 2 -T "$secs" "$BENCH_DB" >"$WORK/$out" 2>&1 \
      || { cat "$WORK/$out" >&2; exit 1; }
  }
  tps() { sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/$1" | head -1; }
  say "pgbench: the save's upsert, $ATTEMPTS attempts, 32 clients, ${PGBENCH_SECONDS} s"
  pgb pgbench.txt "$PGBENCH_SECONDS" -f bench/save_answer.sql
  say "pgbench: the same with prepared statements (as sqlx sends it), 10 s"
  pgb pgbench_prepared.txt 10 -M prepared -f bench/save_answer.sql
  say "pgbench: every statement of a save, prepared, 10 s"
  pgb pgbench_path.txt 10 -M prepared -f bench/save_path.sql
  say "pgbench: every statement of an item page, prepared, 10 s (the item page's ceiling)"
  pgb pgbench_page.txt 10 -M prepared -f bench/page_read.sql
  PAGE_READ_TPS=$(tps pgbench_page.txt)
  TPS=$(tps pgbench.txt)
  TPS_PREPARED=$(tps pgbench_prepared.txt)
  PATH_TPS=$(tps pgbench_path.txt)
  LAT=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$WORK/pgbench.txt" | head -1)
  FAILED=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$WORK/pgbench.txt" | head -1)
else
  say "pgbench not found: no ceiling"
fi

say "bank: $BANK_ITEMS generated items, check and import; then a $BANK_ITEMS-item file of each upload format"
target/release/examples/bank_bench --items "$BANK_ITEMS" --format-items "$BANK_ITEMS" \
  --database-url "$DATABASE_URL" --summary "$WORK/bank_formats.txt" >"$WORK/bank.json"

# A realistic day, on a database of its own so that the ceilings above read the same attempts as before.
DAY_DB="${DATABASE_URL%/*}/ai102_bench_day"
"$PSQL" "$DATABASE_URL" -qX -c "DROP DATABASE IF EXISTS ai102_bench_day WITH (FORCE)" -c "CREATE DATABASE ai102_bench_day"
PORT=$(scripts/free-port.sh)
URL="http://127.0.0.1:$PORT"
start_server "$DAY_DB" "$RESULTS/day-server.log"
say "day: $DAY_CANDIDATES candidates, starts over 300 s, 4–16 s on each of 50 items, time compressed $DAY_COMPRESSION times"
target/release/examples/loadgen --base-url "$URL" --database-url "$DAY_DB" --server-pid "$SERVER_PID" --day \
  --label day --candidates "$DAY_CANDIDATES" --compression "$DAY_COMPRESSION" >"$WORK/day.json"
stop_server
"$PSQL" "$DATABASE_URL" -qX -c "DROP DATABASE IF EXISTS ai102_bench_day WITH (FORCE)" >/dev/null
LOAD_AFTER=$(loadavg)

C="$WORK/closed.json" S="$WORK/small.json" P="$WORK/paced.json" F="$WORK/paced_fast.json" B="$WORK/bank.json"
SAVES=$(num "$C" saves_per_sec)
SAVE_RATIO=$(ratio "$SAVES" "$TPS")
SMALL_RATIO=$(ratio "$(num "$S" saves_per_sec)" "$TPS")
PREPARED_RATIO=$(ratio "$SAVES" "$TPS_PREPARED")
PATH_RATIO=$(ratio "$SAVES" "$PATH_TPS")
PAGE_RATIO=$(ratio "$(num "$C" item_pages_per_sec)" "$(num "$C" static_per_sec)")
PAGE_RATIO_SIGNED=$(ratio "$(num "$C" item_pages_per_sec)" "$(num "$C" static_signed_in_per_sec)")
PAGE_RATIO_HEALTHZ=$(ratio "$(num "$C" item_pages_per_sec)" "$(num "$C" healthz_per_sec)")
PAGE_READ_RATIO=$(ratio "$(num "$C" item_pages_per_sec)" "${PAGE_READ_TPS:-}")
STATIC_RATIO=$(ratio "$(num "$C" static_per_sec)" "$(num "$C" bare_static_per_sec)")
STATIC_SIGNED_RATIO=$(ratio "$(num "$C" static_signed_in_per_sec)" "$(num "$C" bare_static_per_sec)")
MEM_MB=$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)
CPU=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | tr -d '"\\')
PG_VERSION=$("$PSQL" "$DATABASE_URL" -qtAX -c "SHOW server_version" | tr -d '"\\')
SYNC_COMMIT=$("$PSQL" "$DATABASE_URL" -qtAX -c "SHOW synchronous_commit")

{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"command\": \"bench/run.sh\","
  echo "  \"machine\": { \"nproc\": $(nproc), \"memory_mb\": $MEM_MB, \"cpu\": \"$CPU\", \"postgres\": \"$PG_VERSION\", \"synchronous_commit\": \"$SYNC_COMMIT\", \"server_pool\": ${DATABASE_MAX_CONNECTIONS:-20}, \"loadavg_before\": \"$LOAD_BEFORE\", \"loadavg_after\": \"$LOAD_AFTER\" },"
  echo "  \"ratios\": { \"saves_to_pgbench\": $SAVE_RATIO, \"small_saves_to_pgbench\": $SMALL_RATIO, \"saves_to_pgbench_prepared\": $PREPARED_RATIO, \"saves_to_pgbench_save_path\": $PATH_RATIO, \"item_page_to_static\": $PAGE_RATIO, \"item_page_to_static_signed_in\": $PAGE_RATIO_SIGNED, \"item_page_to_healthz\": $PAGE_RATIO_HEALTHZ, \"item_page_to_pgbench_page_read\": $PAGE_READ_RATIO, \"static_to_bare_static\": $STATIC_RATIO, \"static_signed_in_to_bare_static\": $STATIC_SIGNED_RATIO },"
  echo "  \"ceilings\": { \"save_upsert\": \"pgbench -n -f bench/save_answer.sql -D attempts=$ATTEMPTS -c 32 -j 2 -T $PGBENCH_SECONDS\", \"save_upsert_prepared\": \"pgbench -n -M prepared -f bench/save_answer.sql -D attempts=$ATTEMPTS -c 32 -j 2 -T 10\", \"save_path_prepared\": \"pgbench -n -M prepared -f bench/save_path.sql -D attempts=$ATTEMPTS -c 32 -j 2 -T 10\", \"item_page_read_prepared\": \"pgbench -n -M prepared -f bench/page_read.sql -D attempts=$ATTEMPTS -c 32 -j 2 -T 10\", \"bare_static\": \"target/release/examples/bare_static, GET /static/app.css by the closed loop's $CANDIDATES candidates for $PAGE_SECONDS s\" },"
  echo "  \"pgbench\": { \"tps\": $(or_null "$TPS"), \"latency_avg_ms\": $(or_null "${LAT:-}"), \"failed\": $(or_null "${FAILED:-}"), \"tps_prepared\": $(or_null "$TPS_PREPARED"), \"save_path_tps_prepared\": $(or_null "$PATH_TPS"), \"page_read_tps_prepared\": $(or_null "${PAGE_READ_TPS:-}"), \"clients\": 32, \"threads\": 2, \"seconds\": $PGBENCH_SECONDS, \"attempts\": $ATTEMPTS, \"scripts\": [\"bench/save_answer.sql\", \"bench/save_path.sql\", \"bench/page_read.sql\"] },"
  echo "  \"closed_loop\": $(cat "$C"),"
  echo "  \"closed_loop_small\": $(cat "$S"),"
  echo "  \"paced\": $(cat "$P"),"
  echo "  \"paced_fast\": $(cat "$F"),"
  echo "  \"bank\": $(cat "$B"),"
  echo "  \"study\": $(cat "$WORK/study.json"),"
  echo "  \"classes\": $(cat "$WORK/classes.json"),"
  echo "  \"day\": $(cat "$WORK/day.json")"
  echo "}"
} >"$RESULTS/latest.json"

line() { # label file
  printf '  %-44s %8s saves/s  p50 %8s ms  p99 %8s ms  errors %s\n' "$1" "$(num "$2" saves_per_sec)" \
    "$(num "$2" save_p50_ms)" "$(num "$2" save_p99_ms)" "$(num "$2" save_errors)"
}
cat <<EOF

== ai102 bench: $(nproc) cores, $MEM_MB MB, PostgreSQL $PG_VERSION, loopback; load average $LOAD_BEFORE before, $LOAD_AFTER after ==
answer saves (autosave path, POST /attempts/{id}/items/{n})
$(line "$CANDIDATES candidates, back to back" "$C")
$(line "$SMALL candidates, back to back" "$S")
$(line "$CANDIDATES candidates, a save every ~2 s each" "$P")
$(line "$CANDIDATES candidates, a save every ~1 s each" "$F")
  CPU per save at $CANDIDATES back to back: server $(num "$C" save_cpu_ms_server) ms, PostgreSQL backends $(num "$C" save_cpu_ms_postgres) ms, load generator $(num "$C" save_cpu_ms_loadgen) ms; rest of the machine $(num "$C" save_rest_of_machine_cores) cores
pgbench, 32 clients: the upsert ${TPS:-n/a} tps (${TPS_PREPARED:-n/a} prepared); every statement of a save ${PATH_TPS:-n/a} tps (prepared)
  saves / upsert ceiling: $SAVE_RATIO ($CANDIDATES candidates), $SMALL_RATIO ($SMALL)   (target >= 0.70); / prepared upsert $PREPARED_RATIO; / whole path $PATH_RATIO
exam item page: $(num "$C" item_pages_per_sec)/s (p50 $(num "$C" item_page_p50_ms) ms, p99 $(num "$C" item_page_p99_ms) ms)
  /static/app.css $(num "$C" static_per_sec)/s anonymous, $(num "$C" static_signed_in_per_sec)/s signed in; /healthz $(num "$C" healthz_per_sec)/s
  item page / static: $PAGE_RATIO (anonymous), $PAGE_RATIO_SIGNED (signed in); item page / healthz: $PAGE_RATIO_HEALTHZ
bank, $(num "$B" items) items ($(num "$B" questions) questions, $(num "$B" megabytes) MB): check $(num "$B" check_median_seconds) s (median of 5), import $(num "$B" first_seconds) s, idempotent re-import $(num "$B" second_seconds) s
uploads, one file per format: read_upload (parse + check, median of 3) and the end-to-end import (read_upload + packs::import_read)
$(cat "$WORK/bank_formats.txt" 2>/dev/null || echo "  (no per-format figures)")
item page p99 with $CANDIDATES candidates each reading one every ~2 s: $(num "$P" item_page_p99_ms) ms (target < 50 ms: $(verdict "$(num "$P" item_page_p99_ms)"))
save p99 < 50 ms with $CANDIDATES candidates: $(verdict "$(num "$C" save_p99_ms)") back to back, $(verdict "$(num "$P" save_p99_ms)") at ~2 s, $(verdict "$(num "$F" save_p99_ms)") at ~1 s
study loop: /progress of a candidate with $(num "$WORK/study.json" attempts) attempts and $(num "$WORK/study.json" deck_cards) review cards: p50 $(num "$WORK/study.json" progress_p50_ms) ms, p95 $(num "$WORK/study.json" progress_p95_ms) ms over 20 warm requests (target p95 < 100 ms: $(grep -o "\"met\": *[a-z]*" "$WORK/study.json" | sed "s/.*: *//")); /healthz p50 $(num "$WORK/study.json" healthz_p50_ms) ms
class gradebook: $(num "$WORK/classes.json" members) members × $(num "$WORK/classes.json" assignments) assignments, $(num "$WORK/classes.json" attempts) attempts: p50 $(num "$WORK/classes.json" gradebook_p50_ms) ms, p95 $(num "$WORK/classes.json" gradebook_p95_ms) ms over 20 warm requests (target p95 < 300 ms: $(grep -o "\"met\": *[a-z]*" "$WORK/classes.json" | sed "s/.*: *//")); /healthz p50 $(num "$WORK/classes.json" healthz_p50_ms) ms
$(python3 bench/day_summary.py "$WORK/day.json")
ceilings in this run: item-page read ${PAGE_READ_TPS:-n/a} tps (pgbench, prepared, bench/page_read.sql); bare axum static $(num "$C" bare_static_per_sec)/s
  item page / page-read ceiling: $PAGE_READ_RATIO; static / bare static: $STATIC_RATIO (anonymous), $STATIC_SIGNED_RATIO (signed in)
EOF
python3 bench/targets.py "$RESULTS/latest.json" "$WORK/previous.json"
echo "written: $RESULTS/latest.json"
