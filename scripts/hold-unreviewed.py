#!/usr/bin/env python3
"""Moves the entries of an exam's item files that no second reader has passed into question-bank/drafts/.

    scripts/hold-unreviewed.py question-bank/exams/ai-103

An entry ships only when its id, and the id of every question of a case study, has a review-log entry whose
latest verdict is `ok` or `fixed`. Every other entry (never read, or read only in part) is cut out of
items/<file>.yaml and appended to question-bank/drafts/<exam folder>/<file>.yaml, where the loader never looks,
so a later session can have it read and move it back. Text is moved line for line: comments and formatting stay.
Needs PyYAML to read entries (the review log is read with a small line parser).
"""
import os
import re
import sys


def reviewed_ids(log_path):
    """Item ids whose latest verdict is ok or fixed."""
    latest = {}
    item = None
    with open(log_path, encoding="utf-8") as f:
        for line in f:
            m = re.match(r"^\s*-\s*item:\s*(\S+)\s*$", line)
            if m:
                item = m.group(1).strip("'\"")
                continue
            m = re.match(r"^\s+verdict:\s*(\w+)", line)
            if m and item:
                latest[item] = m.group(1)
    return {i for i, v in latest.items() if v in ("ok", "fixed")}


def entries(lines):
    """(start, end, ids) of each top-level entry of an `items:` list (entries start with `  - id:`): the entry's
    id, and for a case study the ids of its questions."""
    import yaml  # PyYAML: a developer's tool, not a dependency of the product or its tests

    starts = [i for i, l in enumerate(lines) if re.match(r"^  - id:\s*\S", l)]
    out = []
    for n, s in enumerate(starts):
        e = starts[n + 1] if n + 1 < len(starts) else len(lines)
        entry = yaml.safe_load("\n".join(lines[s:e]))[0]
        ids = [str(entry["id"])] + [str(q["id"]) for q in entry.get("questions") or []]
        out.append((s, e, ids))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    exam_dir = sys.argv[1].rstrip("/")
    ok = reviewed_ids(os.path.join(exam_dir, "review-log.yaml"))
    drafts = os.path.join(os.path.dirname(os.path.dirname(exam_dir)), "drafts", os.path.basename(exam_dir))
    items_dir = os.path.join(exam_dir, "items")
    moved_total = 0
    for name in sorted(os.listdir(items_dir)):
        path = os.path.join(items_dir, name)
        lines = open(path, encoding="utf-8").read().split("\n")
        keep, move = [], []
        cursor = 0
        for s, e, ids in entries(lines):
            keep.extend(lines[cursor:s])
            (keep if all(i in ok for i in ids) else move).extend(lines[s:e])
            cursor = e
        keep.extend(lines[cursor:])
        if not move:
            continue
        os.makedirs(drafts, exist_ok=True)
        target = os.path.join(drafts, name)
        head = "" if os.path.exists(target) else "items:\n"
        with open(target, "a", encoding="utf-8") as f:
            f.write(head + "\n".join(move).rstrip("\n") + "\n")
        remaining = [l for l in keep if l.strip() and not l.startswith("items:") and not l.startswith("#")]
        if remaining:
            open(path, "w", encoding="utf-8").write("\n".join(keep))
        else:
            os.remove(path)
        n = sum(1 for l in move if l.startswith("  - id:"))
        moved_total += n
        print(f"{path}: {n} entr{'y' if n == 1 else 'ies'} held in {target}")
    print(f"{moved_total} entries held back for review")


if __name__ == "__main__":
    main()
