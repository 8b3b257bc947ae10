#!/usr/bin/env python3
"""Issues 18's, 16's and 15's targets, read from a `make bench` result: prints each figure beside its target and whether it is met,
flags every ratio more than 10 % below the same ratio of the previous recorded run, and writes both into the
result file under "targets" and "regressions".

    bench/targets.py bench/results/latest.json [previous.json]
"""
import json
import sys

latest_path = sys.argv[1]
latest = json.load(open(latest_path))
previous = None
if len(sys.argv) > 2:
    try:
        previous = json.load(open(sys.argv[2]))
    except (OSError, ValueError):
        previous = None


def get(d, *path):
    for p in path:
        if not isinstance(d, dict) or p not in d:
            return None
        d = d[p]
    return d


r = latest.get("ratios", {})
# (name, value, comparison, target, unit)
targets = [
    ("item page / pgbench item-page read (prepared)", r.get("item_page_to_pgbench_page_read"), ">=", 0.5, ""),
    ("saves / pgbench upsert (prepared)", r.get("saves_to_pgbench_prepared"), ">=", 0.7, ""),
    ("/static/app.css / bare axum static", r.get("static_to_bare_static"), ">=", 0.5, ""),
    ("save p99, 1,000 candidates saving every ~1 s", get(latest, "paced_fast", "headline", "save_p99_ms"), "<", 50, " ms"),
    ("item page p99, 1,000 candidates every ~2 s", get(latest, "paced", "headline", "item_page_p99_ms"), "<", 50, " ms"),
    ("1,000 simultaneous starts, all answered", get(latest, "closed_loop", "start", "seconds"), "<=", 3, " s"),
    # Issue 16: the progress page of a candidate with 200 attempts and 5,000 review cards, 20 warm requests.
    ("progress page p95, 200 attempts, 5,000 cards", get(latest, "study", "progress_p95_ms"), "<", 100, " ms"),
    # Issue 15: the gradebook of a class of 500 members × 10 assignments with 20,000 attempts, 20 warm requests.
    ("gradebook p95, 500 members × 10, 20,000 attempts", get(latest, "classes", "gradebook_p95_ms"), "<", 300, " ms"),
]
out = []
print("targets (issues 18, 16 and 15), each measured in this run:")
for name, value, op, target, unit in targets:
    if value is None:
        met = None
    elif op == ">=":
        met = value >= target
    elif op == "<":
        met = value < target
    else:
        met = value <= target
    verdict = "n/a" if met is None else ("met" if met else "missed")
    print(f"  {name:<50} {value if value is not None else 'n/a':>8}{unit}  target {op} {target}{unit}: {verdict}")
    out.append({"name": name, "value": value, "target": f"{op} {target}{unit}", "met": met})

regressions = []
if previous:
    for key, value in sorted(r.items()):
        before = get(previous, "ratios", key)
        if isinstance(value, (int, float)) and isinstance(before, (int, float)) and before > 0:
            if value < 0.9 * before:
                regressions.append({"ratio": key, "now": value, "before": before})
    when = previous.get("date", "?")
    if regressions:
        print(f"REGRESSION: ratios more than 10 % below the last recorded run ({when}):")
        for g in regressions:
            print(f"  {g['ratio']}: {g['now']} now, {g['before']} then")
    else:
        print(f"no ratio is more than 10 % below the last recorded run ({when})")
latest["targets"] = out
latest["regressions"] = regressions
json.dump(latest, open(latest_path, "w"), indent=2)
