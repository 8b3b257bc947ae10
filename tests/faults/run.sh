#!/usr/bin/env bash
# The fault scenarios of docs/deployment.md (also `make test-faults`); exits non-zero on any failed check.
#
#   tests/faults/run.sh                 all five scenarios
#   tests/faults/run.sh kill pg         some of them: kill, pg, clock, cluster, mail
#
# kill     200 candidates autosave the full mock exam against one instance; after 1500 acknowledged saves
#          the instance is killed with SIGKILL and started again. Every acknowledged save must be in the
#          database as sent, no deadline may move, every attempt resumes with the database's time left and
#          can be submitted (bench/faults.rs `load` checks all of it).
# pg       The same with 100 candidates against a throwaway PostgreSQL cluster of its own (initdb in a temp
#          dir, its own port; the shared cluster is never touched), which is stopped for a few seconds and
#          started again: meanwhile pages must answer 503 within seconds and /readyz 503; afterwards /readyz
#          200 and the saves go on, with no restart of the app (the same process must still be serving).
# clock    Two instances whose clocks are 3 hours behind and ahead (libfaketime): the deadline is the
#          database's.
# cluster  Three instances behind nginx (round robin, loopback, run as this user with a config in the temp
#          dir): a candidate's whole attempt across them, then the `kill` load with one instance killed
#          and not restarted.
# mail     20 queued messages and an instance whose SMTP server (tests/mail/smtp_sink.py, aiosmtpd) kills it with
#          SIGKILL after storing the first message and before answering 250: the instance dies between the
#          server's acceptance and its own commit. Started again, it must send every message: none lost, the
#          interrupted one at most twice and with the same Message-ID, all marked sent with no body left.
#
# Needs PostgreSQL (scripts/db.sh: DATABASE_URL or the project-local cluster, whose role may CREATE
# DATABASE), and Debian's nginx and faketime, installed when missing (scripts/apt-ensure.sh). Builds the
# debug binary and the `faults` example; about 2 minutes on 2 cores once built. FAULTS_KEEP=1 keeps the
# temp dir (logs) after a failure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(kill pg clock cluster mail)
say() { echo "faults: $*" >&2; }
T0=$SECONDS

WORK=$(mktemp -d /tmp/ai102-faults.XXXXXX)
chmod 755 "$WORK"
FAILED=
DATABASES=()
PG_DATA=
PG_RUN=()
PG_BIN=

# Every server is started by a command that writes its pid to $WORK/<name>.pid; cleanup stops them all.
stop_pidfile() {
  local f=$1 pid
  pid=$(cat "$f" 2>/dev/null) || return 0
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}
cleanup() {
  local rc=$?
  for f in "$WORK"/*.pid; do [ -e "$f" ] && stop_pidfile "$f"; done
  if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/PG_VERSION" ]; then
    "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m immediate >/dev/null 2>&1 || true
  fi
  for d in ${DATABASES[@]+"${DATABASES[@]}"}; do
    psql "$DATABASE_URL" -qX -c "DROP DATABASE IF EXISTS \"$d\" WITH (FORCE)" >/dev/null 2>&1 || true
  done
  if [ $rc -ne 0 ] || [ -n "$FAILED" ]; then
    for log in "$WORK"/*.log; do
      [ -e "$log" ] || continue
      echo "---- last lines of $log" >&2
      tail -15 "$log" >&2
    done
  fi
  if [ -n "${FAULTS_KEEP:-}" ] && { [ $rc -ne 0 ] || [ -n "$FAILED" ]; }; then
    say "kept $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
scripts/apt-ensure.sh nginx=nginx faketime=faketime
DB_ENV=$(scripts/db.sh) || { say "no PostgreSQL (scripts/db.sh failed)"; exit 1; }
eval "$DB_ENV"
export PGOPTIONS="-c client_min_messages=warning"
PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V | tail -1)
command -v psql >/dev/null || PATH="$PG_BIN:$PATH"
FAKETIME_LIB=$(ls /usr/lib/*/faketime/libfaketimeMT.so.1 2>/dev/null | head -1)
[ -n "$FAKETIME_LIB" ] || { say "libfaketimeMT.so.1 not found (Debian package faketime)"; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

say "building target/debug/ai102 and the faults example"
# Queries are checked against the committed .sqlx/, not against the database (which may be unmigrated).
SQLX_OFFLINE=true cargo build --quiet --bin ai102 --example faults
BIN="$ROOT/target/debug/ai102"
FAULTS="$ROOT/target/debug/examples/faults"

# A port nobody listens on, below the kernel's ephemeral range (scripts/free-port.sh says why). Not taken by another
# scenario's server: checked.
free_port() {
  "$ROOT/scripts/free-port.sh"
}

# A fresh database on the shared server, its URL in $FRESH_DB; dropped at exit (so not in a subshell).
fresh_database() {
  local name
  name="ai102_faults_$(od -An -N5 -tx1 /dev/urandom | tr -d ' \n')"
  psql "$DATABASE_URL" -qX -c "CREATE DATABASE $name"
  DATABASES+=("$name")
  FRESH_DB="${DATABASE_URL%/*}/$name"
}

# The shell command that starts instance NAME on PORT against DB (extra env before the binary, e.g. LD_PRELOAD=…).
server_cmd() {
  local name=$1 port=$2 db=$3
  shift 3
  echo "cd '$ROOT' && env BIND=127.0.0.1:$port DATABASE_URL='$db' LOAD_BANK=question-bank RUST_LOG=warn" \
    "DATABASE_MAX_CONNECTIONS=10 DATABASE_ACQUIRE_TIMEOUT=2 TRUST_FORWARDED_FOR=true $* '$BIN' serve" \
    ">>'$WORK/$name.log' 2>&1 & echo \$! >'$WORK/$name.pid'"
}
wait_ready() { # name port
  for _ in $(seq 240); do
    curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return 0
    kill -0 "$(cat "$WORK/$1.pid")" 2>/dev/null || { say "$1 exited"; tail -20 "$WORK/$1.log" >&2; return 1; }
    sleep 0.25
  done
  say "$1 is not ready after 60 s"
  return 1
}
start_server() { # name port db [env...]
  sh -c "$(server_cmd "$@")"
  wait_ready "$1" "$2"
}
run_faults() { # label args...
  local label=$1
  shift
  if "$FAULTS" "$@" >"$WORK/$label.json" 2>"$WORK/$label.err"; then
    sed 's/^/    /' "$WORK/$label.err" "$WORK/$label.json" >&2
    say "$label: passed"
  else
    sed 's/^/    /' "$WORK/$label.err" "$WORK/$label.json" >&2
    say "$label: FAILED"
    FAILED="$FAILED $label"
  fi
}

scenario_kill() {
  local db port
  fresh_database
  db=$FRESH_DB
  port=$(free_port)
  start_server kill "$port" "$db"
  say "kill: 200 candidates; SIGKILL the instance after 1500 acknowledged saves, then start it again"
  run_faults kill load --base-url "http://127.0.0.1:$port" --database-url "$db" --candidates 200 \
    --think-ms 100 --fault "kill -9 \$(cat '$WORK/kill.pid')" --fault-after-acks 1500 --down-seconds 1 \
    --recover "$(server_cmd kill "$port" "$db")"
  stop_pidfile "$WORK/kill.pid"
}

scenario_pg() {
  local pgport port db pid
  PG_DATA="$WORK/pgdata"
  mkdir -p "$PG_DATA"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
    chown postgres "$PG_DATA"
    PG_RUN=(runuser -u postgres --)
  fi
  chmod 700 "$PG_DATA"
  pgport=$(free_port)
  echo faults >"$WORK/pgpass"
  chmod 644 "$WORK/pgpass"
  "${PG_RUN[@]}" "$PG_BIN/initdb" -D "$PG_DATA" -U faults --pwfile="$WORK/pgpass" --auth-local=trust \
    --auth-host=scram-sha-256 -E UTF8 --no-locale >"$WORK/initdb.out" 2>&1 \
    || { cat "$WORK/initdb.out" >&2; return 1; }
  cat >>"$PG_DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $pgport
unix_socket_directories = '$PG_DATA'
max_connections = 50
fsync = on
CONF
  local pg_ctl="${PG_RUN[*]} '$PG_BIN/pg_ctl' -D '$PG_DATA' -l '$PG_DATA/server.log'"
  sh -c "$pg_ctl -w start" >/dev/null
  "${PG_RUN[@]}" "$PG_BIN/psql" -h "$PG_DATA" -p "$pgport" -U faults -d postgres -qXc "CREATE DATABASE faults"
  db="postgres://faults:faults@127.0.0.1:$pgport/faults"
  port=$(free_port)
  start_server pg "$port" "$db"
  pid=$(cat "$WORK/pg.pid")
  say "pg: 100 candidates; stop the throwaway PostgreSQL (port $pgport) for 5 s after 800 saves, then start it"
  run_faults pg load --base-url "http://127.0.0.1:$port" --database-url "$db" --candidates 100 --think-ms 100 \
    --fault "$pg_ctl -m fast -w stop >/dev/null" --fault-after-acks 800 --probe-outage --down-seconds 5 \
    --recover "$pg_ctl -w start >/dev/null"
  if [ "$(cat "$WORK/pg.pid")" != "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then
    say "pg: FAILED: the app did not keep running through the database restart"
    FAILED="$FAILED pg-process"
  fi
  stop_pidfile "$WORK/pg.pid"
  "${PG_RUN[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" stop -m fast >/dev/null
}

scenario_clock() {
  local db behind ahead
  fresh_database
  db=$FRESH_DB
  behind=$(free_port)
  ahead=$(free_port)
  local fake="LD_PRELOAD='$FAKETIME_LIB' FAKETIME_DONT_FAKE_MONOTONIC=1"
  start_server behind "$behind" "$db" "$fake FAKETIME=-3h"
  start_server ahead "$ahead" "$db" "$fake FAKETIME=+3h"
  say "clock: one instance 3 h behind, one 3 h ahead, one attempt"
  run_faults clock clock --behind-url "http://127.0.0.1:$behind" --ahead-url "http://127.0.0.1:$ahead" \
    --database-url "$db" --skew-hours 3
  stop_pidfile "$WORK/behind.pid"
  stop_pidfile "$WORK/ahead.pid"
}

scenario_cluster() {
  local db p1 p2 p3 lb
  fresh_database
  db=$FRESH_DB
  p1=$(free_port)
  p2=$(free_port)
  p3=$(free_port)
  lb=$(free_port)
  # The bank is imported by the first instance; the others find it there.
  start_server app1 "$p1" "$db"
  sh -c "$(server_cmd app2 "$p2" "$db")"
  sh -c "$(server_cmd app3 "$p3" "$db")"
  wait_ready app2 "$p2"
  wait_ready app3 "$p3"
  mkdir -p "$WORK/nginx"
  local user_line=
  [ "$(id -u)" = 0 ] && user_line="user $(id -un);"
  cat >"$WORK/nginx/nginx.conf" <<CONF
$user_line
worker_processes 1;
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx.log warn;
events { worker_connections 2048; }
http {
  access_log off;
  client_body_temp_path $WORK/nginx/body;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  upstream ai102 {
    server 127.0.0.1:$p1 max_fails=1 fail_timeout=10s;
    server 127.0.0.1:$p2 max_fails=1 fail_timeout=10s;
    server 127.0.0.1:$p3 max_fails=1 fail_timeout=10s;
    keepalive 32;
  }
  server {
    listen 127.0.0.1:$lb;
    location / {
      proxy_pass http://ai102;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$host;
      proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;
      add_header X-Upstream \$upstream_addr always;
    }
  }
}
CONF
  "$NGINX" -t -q -p "$WORK/nginx" -e "$WORK/nginx.log" -c "$WORK/nginx/nginx.conf"
  "$NGINX" -p "$WORK/nginx" -e "$WORK/nginx.log" -c "$WORK/nginx/nginx.conf" &
  echo $! >"$WORK/nginx.pid"
  for _ in $(seq 100); do curl -fsS "http://127.0.0.1:$lb/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  say "cluster: a whole attempt through nginx (127.0.0.1:$lb) over 3 instances"
  run_faults journey journey --base-url "http://127.0.0.1:$lb" --database-url "$db" --expect-upstreams 3
  say "cluster: 200 candidates through nginx; SIGKILL one instance after 1000 saves, not restarted"
  run_faults cluster-kill load --base-url "http://127.0.0.1:$lb" --database-url "$db" --candidates 200 \
    --think-ms 100 --fault "kill -9 \$(cat '$WORK/app2.pid')" --fault-after-acks 1000 --down-seconds 0
  for f in nginx app1 app2 app3; do stop_pidfile "$WORK/$f.pid"; done
}

scenario_mail() {
  local db port sink_port python n=20 sent
  python=$(scripts/smtp.sh)
  fresh_database
  db=$FRESH_DB
  port=$(free_port)
  # Migrate first: the queue below is then the only mail there is.
  DATABASE_URL="$db" "$BIN" migrate >/dev/null
  psql "$db" -qX -c "INSERT INTO mail_outbox (id, message_id, kind, to_address, subject, body_text, body_html, status)
    SELECT gen_random_uuid(), '<fault-' || g || '@faults.test>', 'reset', 'person' || g || '@example.com',
           'Message ' || g, 'text ' || g, '<p>html ' || g || '</p>', 'queued'
    FROM generate_series(1, $n) g"
  mkdir -p "$WORK/mail"
  "$python" tests/mail/smtp_sink.py --dir "$WORK/mail" --kill-pid-file "$WORK/mail.kill" \
    >"$WORK/sink.out" 2>"$WORK/sink.log" &
  echo $! >"$WORK/sink.pid"
  for _ in $(seq 100); do [ -s "$WORK/sink.out" ] && break; sleep 0.1; done
  sink_port=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["port"])' "$WORK/sink.out")
  local env="SMTP_URL=smtp://127.0.0.1:$sink_port PUBLIC_BASE_URL=http://127.0.0.1:$port MAIL_FROM=exams@faults.test MAIL_LEASE_SECONDS=5"
  # The sink kills whatever pid this file holds at its first message: the instance, as soon as it started.
  sh -c "$(server_cmd mail "$port" "$db" "$env")"
  cp "$WORK/mail.pid" "$WORK/mail.kill"
  say "mail: $n queued messages; the SMTP server kills the instance after accepting the first, before its commit"
  for _ in $(seq 300); do kill -0 "$(cat "$WORK/mail.pid")" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$(cat "$WORK/mail.pid")" 2>/dev/null; then
    say "mail: FAILED: the instance was not killed at the first message"
    FAILED="$FAILED mail"
    stop_pidfile "$WORK/mail.pid"
    stop_pidfile "$WORK/sink.pid"
    return 0
  fi
  say "mail: killed after $(ls "$WORK/mail" | grep -c json) accepted message(s); starting it again"
  start_server mail "$port" "$db" "$env"
  for _ in $(seq 600); do
    sent=$(psql "$db" -tAX -c "SELECT count(*) FROM mail_outbox WHERE status = 'sent' AND body_text IS NULL")
    [ "$sent" = "$n" ] && break
    sleep 0.1
  done
  if python3 - "$WORK/mail" "$n" >&2 <<'PY'
import json, os, sys, collections
folder, n = sys.argv[1], int(sys.argv[2])
ids = collections.Counter(json.load(open(os.path.join(folder, f)))["message_id"]
                          for f in sorted(os.listdir(folder)) if f.endswith(".json"))
want = {f"<fault-{g}@faults.test>" for g in range(1, n + 1)}
lost = sorted(want - set(ids))
twice = {k: v for k, v in ids.items() if v > 1}
print(f"    received {sum(ids.values())} deliveries of {len(ids)} messages; lost {lost}; more than once {twice}")
ok = not lost and set(ids) <= want and all(v <= 2 for v in ids.values())
sys.exit(0 if ok else 1)
PY
  then
    if [ "$sent" = "$n" ]; then
      say "mail: passed (all $n sent, none lost)"
    else
      say "mail: FAILED: only $sent of $n marked sent"
      FAILED="$FAILED mail"
    fi
  else
    say "mail: FAILED: a message was lost or sent more than twice"
    FAILED="$FAILED mail"
  fi
  stop_pidfile "$WORK/mail.pid"
  stop_pidfile "$WORK/sink.pid"
}

for s in "${SCENARIOS[@]}"; do
  case "$s" in
    kill | pg | clock | cluster | mail) "scenario_$s" ;;
    *) say "unknown scenario $s (kill, pg, clock, cluster, mail)"; exit 2 ;;
  esac
done

if [ -n "$FAILED" ]; then
  say "FAILED:$FAILED ($((SECONDS - T0)) s)"
  exit 1
fi
say "all passed: ${SCENARIOS[*]} ($((SECONDS - T0)) s)"
