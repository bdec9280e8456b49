#!/usr/bin/env python3
"""Writes N eligibility rows cycling through the sandbox roster: make_rows.py N PREFIX OUT.csv"""

import csv
import sys
from pathlib import Path

import yaml

n, prefix, out = int(sys.argv[1]), sys.argv[2], sys.argv[3]
roster = yaml.safe_load((Path(__file__).resolve().parents[2] / "examples/sandbox/members.yaml").read_text())["members"]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["ref", "member_id", "first_name", "last_name", "date_of_birth", "health_plan",
                "provider_npi", "service_date"])
    for i in range(n):
        m = roster[i % len(roster)]
        w.writerow([f"{prefix}{i:08d}", m["member_id"], m["first_name"], m["last_name"],
                    m["date_of_birth"], m["plan"], "1234567893", "2026-11-16"])
