#!/usr/bin/env bash
# Prints a loopback port nobody listens on, from below the kernel's ephemeral range (ip_local_port_range,
# 32768 and up by default), so that no outgoing connection (a server's pool to PostgreSQL, a load generator's
# client) can hold it when a server binds it. With 20000-49999, a run once failed with "Address already in
# use". Used by tests/faults/run.sh, bench/run.sh and bench/analytics.sh.
set -euo pipefail
lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
for _ in $(seq 100); do
  p=$((20000 + RANDOM % (lo > 20500 ? lo - 20000 : 10000)))
  if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; exit 0; fi
done
echo "free-port: no free port found" >&2
exit 1
