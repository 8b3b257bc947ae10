#!/usr/bin/env python3
"""The realistic day's summary lines for `make bench` (bench/run.sh), from `loadgen --day`'s JSON, with the
capacity the day's CPU costs imply for real think times (docs/performance.md explains the arithmetic).

    bench/day_summary.py day.json
"""
import json
import sys

day = json.load(open(sys.argv[1]))
c = day["compression"]
lo, hi = day["think_ms"]
print(
    f"realistic day: {day['candidates']} candidates, starts over {day['start_spread_seconds']} s, "
    f"{lo / 1000:g}-{hi / 1000:g} s per item, time compressed {c:g} times: {day['seconds']} s, "
    f"{day['candidates_submitted']} submitted, peak {day['peak_in_exam']} in an exam, "
    f"peak {day['peak_requests_per_sec']} requests/s, errors {day['errors']} of {day['requests']}"
)
for name in ["start", "item_page", "save", "review", "submit"]:
    p = day["paths"][name]
    lat = p["latency_ms"]
    print(
        f"  {name:<10} {p['requests']:>7} requests  p50 {lat['p50']} ms  p99 {lat['p99']} ms  "
        f"max {lat['max']} ms  errors {p['errors']} {p['error_statuses'] or ''}"
    )
cpu = day.get("cpu")
if cpu:
    server = cpu["server"]["cpu_ms_per_request"]
    pg = cpu["postgres_backends"]["cpu_ms_per_request"]
    gen = cpu["loadgen"]["cpu_ms_per_request"]
    print(
        f"  CPU per request: server {server} ms, PostgreSQL {pg} ms, load generator {gen} ms; over the day the "
        f"server kept {cpu['server']['cores']} cores busy, PostgreSQL {cpu['postgres_backends']['cores']}, "
        f"the load generator {cpu['loadgen']['cores']}"
    )
    # A real candidate sends two requests (page, save) per item, and spends the mean think time on it.
    per_candidate = 2 / ((lo + hi) / 2 / 1000)
    for label, ms in [("server and PostgreSQL on one 2-core machine", server + pg),
                      ("the server alone on 2 cores", server),
                      ("PostgreSQL alone on 2 cores", pg)]:
        if ms > 0:
            n = 2 * 1000 * 0.7 / (per_candidate * ms)
            print(f"  at 70 % of 2 cores, {label}: about {n:,.0f} concurrent candidates at real think times")
