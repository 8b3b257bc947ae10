#!/usr/bin/env bash
# The analytics figures of docs/performance.md ("Analytics at 100,000 attempts") in one command (also
# `make bench-analytics`):
#
#   bench/analytics.sh
#
# Ensures PostgreSQL (scripts/db.sh), builds release, creates a fresh database `ai102_bench_analytics` on
# $DATABASE_URL's server, serves it on a free loopback port with the shipped bank (which migrates and creates
# the shipped forms), seeds BENCH_CANDIDATES × BENCH_ATTEMPTS demo attempts with `ai102 demo seed` (timed),
# runs VACUUM ANALYZE, then bench/analytics.rs (`--example analytics_bench`): the dashboard, item analysis
# and progress queries from the rollups and live, and the pages over HTTP. Prints a summary, writes
# bench/results/analytics.json, stops the server and drops the database (BENCH_KEEP=1 keeps it).
#
# Knobs: BENCH_CANDIDATES (10000), BENCH_ATTEMPTS (10), BENCH_RUNS (7), BENCH_LIVE_RUNS (3).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
CANDIDATES=${BENCH_CANDIDATES:-10000}
ATTEMPTS=${BENCH_ATTEMPTS:-10}
RUNS=${BENCH_RUNS:-7}
LIVE_RUNS=${BENCH_LIVE_RUNS:-3}
RESULTS=bench/results
mkdir -p "$RESULTS"
WORK=$(mktemp -d)
SERVER_PID=
say() { echo "bench-analytics: $*" >&2; }

eval "$(scripts/db.sh)"
export PGOPTIONS="-c client_min_messages=warning"
DB=ai102_bench_analytics
BENCH_DB="${DATABASE_URL%/*}/$DB"
PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -1)

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
  if [ -z "${BENCH_KEEP:-}" ]; then
    "$PSQL" "$DATABASE_URL" -qX -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM
num() { grep -o "\"$2\": *-\?[0-9.e+-]*" "$1" | head -1 | sed 's/.*: *//'; }
# A figure inside one object of the JSON ("rollup", "live", "http"): several objects share key names.
in_block() { sed -n "/\"$2\": {/,/}/p" "$1" | grep -o "\"$3\": *[0-9.]*" | head -1 | sed 's/.*: *//'; }
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
LOAD_BEFORE=$(loadavg)

say "building release"
# Queries are checked against the committed .sqlx/, not against the database (which may be unmigrated).
SQLX_OFFLINE=true cargo build --release --quiet --example analytics_bench --bin ai102

say "fresh database $DB"
"$PSQL" "$DATABASE_URL" -qX -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"

PORT=$(scripts/free-port.sh)
URL="http://127.0.0.1:$PORT"
say "starting target/release/ai102 serve on $URL (log: $RESULTS/analytics-server.log)"
BIND="127.0.0.1:$PORT" DATABASE_URL="$BENCH_DB" LOAD_BANK=question-bank RUST_LOG=warn \
  target/release/ai102 serve >"$RESULTS/analytics-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 120); do
  curl -fsS "$URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER_PID" 2>/dev/null || { say "the server exited"; tail -20 "$RESULTS/analytics-server.log" >&2; exit 1; }
  sleep 0.5
done

say "seeding $CANDIDATES candidates × $ATTEMPTS attempts"
T0=$(date +%s.%N)
RUST_LOG=warn target/release/ai102 demo seed --candidates "$CANDIDATES" --attempts "$ATTEMPTS" \
  --database-url "$BENCH_DB" 2>"$WORK/seed.err" | tee "$WORK/seed.txt" >&2
SEED_SECONDS=$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
"$PSQL" "$BENCH_DB" -qX -c "VACUUM ANALYZE"
DB_SIZE=$("$PSQL" "$BENCH_DB" -qtAX -c "SELECT pg_size_pretty(pg_database_size(current_database()))")

say "timing queries and pages"
target/release/examples/analytics_bench --database-url "$BENCH_DB" --base-url "$URL" \
  --runs "$RUNS" --live-runs "$LIVE_RUNS" >"$WORK/bench.json"
stop_server
LOAD_AFTER=$(loadavg)
MEM_MB=$(awk '/MemTotal/ { printf "%d", $2 / 1024 }' /proc/meminfo)
PG_VERSION=$("$PSQL" "$DATABASE_URL" -qtAX -c "SHOW server_version" | tr -d '"\\')
{
  echo "{"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\","
  echo "  \"command\": \"bench/analytics.sh\","
  echo "  \"machine\": { \"nproc\": $(nproc), \"memory_mb\": $MEM_MB, \"postgres\": \"$PG_VERSION\", \"loadavg_before\": \"$LOAD_BEFORE\", \"loadavg_after\": \"$LOAD_AFTER\" },"
  echo "  \"seed\": { \"candidates\": $CANDIDATES, \"attempts_each\": $ATTEMPTS, \"seconds\": $SEED_SECONDS, \"database_size\": \"$DB_SIZE\" },"
  echo "  \"bench\": $(cat "$WORK/bench.json")"
  echo "}"
} >"$RESULTS/analytics.json"

J="$RESULTS/analytics.json"
cat <<SUMMARY

== ai102 analytics bench: $(nproc) cores, $MEM_MB MB, PostgreSQL $PG_VERSION; load average $LOAD_BEFORE before, $LOAD_AFTER after ==
data: $(num "$J" attempts) attempts ($(num "$J" finished) finished), $(num "$J" attempt_items) attempt items, $DB_SIZE; seeded in $SEED_SECONDS s
ceiling (one sequential read of attempts): $(num "$J" ceiling_seq_read_attempts_ms) ms
                                  rollups      live   (median ms; live = every response, as before)
  dashboard, all forms, 13 weeks  $(printf '%8s  %8s' "$(in_block "$J" rollup dashboard_all_ms)" "$(in_block "$J" live dashboard_all_ms)")
  dashboard, full mock, 30 days   $(printf '%8s  %8s' "$(in_block "$J" rollup dashboard_form_month_ms)" "$(in_block "$J" live dashboard_form_month_ms)")
  item analysis, all packs        $(printf '%8s  %8s' "$(in_block "$J" rollup item_analysis_admin_ms)" "$(in_block "$J" live item_analysis_admin_ms)")
  item analysis, instructor pack  $(printf '%8s' "$(in_block "$J" rollup item_analysis_instructor_ms)")
  candidate progress              $(printf '%8s' "$(in_block "$J" rollup progress_ms)")
pages over HTTP (median ms): /admin/analytics $(num "$J" admin_dashboard_ms), one form and month $(num "$J" admin_dashboard_form_month_ms), /instructor/analytics $(num "$J" instructor_item_analysis_ms) (instructor) $(num "$J" admin_item_analysis_ms) (admin), /progress $(num "$J" candidate_progress_ms), /healthz $(num "$J" healthz_ms)
SUMMARY
python3 - "$J" <<'PY'
import json, sys
targets = json.load(open(sys.argv[1]))["bench"].get("targets", [])
print("targets (issue 18), each measured in this run:")
for t in targets:
    verdict = "n/a" if t["met"] is None else ("met" if t["met"] else "missed")
    print(f"  {t['name']:<45} {t['value'] if t['value'] is not None else 'n/a':>8}  target {t['target']}: {verdict}")
PY
echo "written: $J"
