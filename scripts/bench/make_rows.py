#!/usr/bin/env python3
"""Writes N eligibility rows cycling through the sandbox roster: make_rows.py N PREFIX OUT.csv

With --wrk-bodies FILE it also writes, one per line, the JSON body provportal sends for each
roster member with the ref left out (what follows '{"ref":"...",'), for the wrk script."""

import csv
import json
import sys
from pathlib import Path

import yaml

args = sys.argv[1:]
bodies_out = None
if "--wrk-bodies" in args:
    i = args.index("--wrk-bodies")
    bodies_out = args[i + 1]
    del args[i:i + 2]
n, prefix, out = int(args[0]), args[1], args[2]
roster = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples/sandbox/members.yaml").read_text())["members"]


def row(m):
    return [m["member_id"], m["first_name"], m["last_name"], m["date_of_birth"], m["plan"],
            "1234567893", "2026-11-16"]


columns = ["member_id", "first_name", "last_name", "date_of_birth", "health_plan", "provider_npi",
           "service_date"]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["ref"] + columns)
    for i in range(n):
        w.writerow([f"{prefix}{i:08d}"] + row(roster[i % len(roster)]))
if bodies_out:
    with open(bodies_out, "w", encoding="utf-8") as f:
        for m in roster:
            body = json.dumps(dict(zip(columns, row(m))), ensure_ascii=False, separators=(",", ":"))
            f.write(body[1:] + "\n")  # without the opening brace
