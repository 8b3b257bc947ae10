#!/usr/bin/env bash
# Ensures a PostgreSQL server for this project and prints `export DATABASE_URL=...` for the shell to eval.
#
#   eval "$(scripts/db.sh)"
#
# When DATABASE_URL is already set it is used as it is. Otherwise a project-local cluster is created
# (data in .pgdata/, git-ignored; port 54329 on 127.0.0.1 only; override with AI102_PG_PORT) from the
# system's PostgreSQL binaries, installing Debian's `postgresql` package first when none is found.
# Stop it with `scripts/db.sh stop`.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PORT=${AI102_PG_PORT:-54329}
say() { echo "db.sh: $*" >&2; }

if [ "${1:-}" != "stop" ] && [ -n "${DATABASE_URL:-}" ]; then
  printf "export DATABASE_URL='%s'\n" "$DATABASE_URL"
  exit 0
fi

find_bin() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k4 -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

BIN=$(find_bin || true)
if [ -z "$BIN" ]; then
  if [ "$(id -u)" = 0 ]; then
    say "PostgreSQL not found; installing Debian's postgresql package (no default cluster)…"
    mkdir -p /etc/postgresql-common
    [ -f /etc/postgresql-common/createcluster.conf ] || echo "create_main_cluster = false" > /etc/postgresql-common/createcluster.conf
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BIN=$(find_bin) || { say "the postgresql package installed no server binaries"; exit 1; }
  else
    say "PostgreSQL server binaries are missing. Install them once with:"
    say "  sudo apt-get install -y postgresql"
    say "or set DATABASE_URL to a server you already have."
    exit 1
  fi
fi

# PostgreSQL refuses to run as root: as root, run the cluster as the 'postgres' system user.
RUN=()
if [ "$(id -u)" = 0 ]; then
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
  fi
  RUN=(runuser -u postgres --)
fi

DATA="$ROOT/.pgdata"
if [ ${#RUN[@]} -gt 0 ] && ! "${RUN[@]}" test -x "$ROOT"; then
  # The checkout is not reachable by the postgres user (e.g. under /root): keep the cluster elsewhere.
  DATA="/var/tmp/ai102-pgdata-$(echo "$ROOT" | sha256sum | cut -c1-12)"
fi

if [ "${1:-}" = "stop" ]; then
  [ -f "$DATA/PG_VERSION" ] && "${RUN[@]}" "$BIN/pg_ctl" -D "$DATA" stop -m fast >&2 || true
  exit 0
fi

if [ ! -f "$DATA/PG_VERSION" ]; then
  say "creating a project-local PostgreSQL cluster in $DATA"
  mkdir -p "$DATA"
  [ ${#RUN[@]} -gt 0 ] && chown postgres "$DATA"
  chmod 700 "$DATA"
  PWFILE=$(mktemp); echo "ai102" > "$PWFILE"; chmod 644 "$PWFILE"
  "${RUN[@]}" "$BIN/initdb" -D "$DATA" -U ai102 --pwfile="$PWFILE" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null 2>&1 || "${RUN[@]}" "$BIN/initdb" -D "$DATA" -U ai102 --pwfile="$PWFILE" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-locale >&2
  rm -f "$PWFILE"
  cat >> "$DATA/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 300
shared_buffers = 256MB
fsync = on
CONF
fi

if ! "${RUN[@]}" "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  "${RUN[@]}" "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 start >/dev/null \
    || { say "PostgreSQL did not start; its log:"; tail -20 "$DATA/server.log" >&2; exit 1; }
fi

"${RUN[@]}" "$BIN/psql" -h "$DATA" -p "$PORT" -U ai102 -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname='ai102'" \
  | grep -q 1 || "${RUN[@]}" "$BIN/psql" -h "$DATA" -p "$PORT" -U ai102 -d postgres -qc "CREATE DATABASE ai102" >&2

printf "export DATABASE_URL='postgres://ai102:ai102@127.0.0.1:%s/ai102'\n" "$PORT"
