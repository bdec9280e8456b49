#!/usr/bin/env python3
"""Writes one X12 277 claim status interchange (005010X212) of about SIZE megabytes, for the
`x12 parse` benchmark: make_277.py OUT.x12 [SIZE_MB] [--patients N] [--claims N]

One ISA and one GS*HN; transaction sets of N (20) subscribers (2000D) each, every subscriber with
N (3) claims (2200D: TRN, STC with amounts and payment, REF*1K, REF*EJ, DTP*472) of one service
line (2220D: SVC, STC, REF*FJ, DTP*472), the shape of a payer's batch answer to a 276 file. The
claims of one subscriber answer one inquiry (one TRN*2 trace), as a payer answers a 276 of
`provportal x12 build 276`. Control numbers, members, claims and amounts vary with the set and
the subscriber; the whole file passes `provportal x12 validate`."""

import sys

args = sys.argv[1:]


def option(name, default):
    if name in args:
        i = args.index(name)
        value = int(args[i + 1])
        del args[i:i + 2]
        return value
    return default


patients = option("--patients", 20)
claims = option("--claims", 3)
out = args[0]
target = int(args[1] if len(args) > 1 else 1024) * 1_000_000

CATEGORIES = [  # (STC01, paid): what a payer's batch 277 mostly says
    ("F1:65:PR", True), ("F1:65:PR", True), ("P1:38:PR", False), ("F2:1:PR", False),
    ("A2:20:PR", False), ("F3:101:PR", True), ("P3:21:1P", False), ("F4:104:PR", False),
]
NAMES = [("WHITAKER", "JAMES"), ("GONZALEZ", "MARIA"), ("OCONNOR", "MICHAEL"), ("NAKAMURA", "EMILY"),
         ("JENKINS", "DOROTHY"), ("CARTER", "JASMINE"), ("MITCHELL", "DESHAWN"), ("CHEN", "BOB")]

isa = ("ISA*00*          *00*          *ZZ*PROVPORTALSBX  *ZZ*PROVPORTAL01   *261116*1200*^*00501*"
       "000000001*0*T*:~\n")
gs = "GS*HN*PROVPORTALSBX*PROVPORTAL01*20261116*1200*1*X*005010X212~\n"


def claim(set_no, patient, c):
    n = (set_no * patients + patient) * claims + c
    category, paid = CATEGORIES[n % len(CATEGORIES)]
    billed = 100 + n % 900
    day = 1 + n % 28
    dtp = f"DTP*472*RD8*202610{day:02d}-202610{day:02d}~\n"
    if paid:
        stc = (f"STC*{category}*20261110**{billed}*{billed * 4 // 5}*20261110*CHK*20261112*"
               f"CHK{n:09d}~\n")
    else:
        stc = f"STC*{category}*20261110**{billed}*0~\n"
    return (f"TRN*2*TRACE{set_no:08d}P{patient:03d}~\n" + stc +
            f"REF*1K*C7{n:010d}~\nREF*EJ*ACCT{n:08d}~\n" + dtp +
            f"SVC*HC:99213*{billed}****1~\nSTC*{category.split('*')[0]}*20261110~\nREF*FJ*1~\n" + dtp)


def transaction(set_no):
    segments = [
        f"ST*277*{set_no:04d}*005010X212~\n",
        f"BHT*0010*08*BATCH{set_no:08d}*20261116*1200*DG~\n",
        "HL*1**20*1~\n", "NM1*PR*2*ACME HEALTH*****PI*ACMEC~\n",
        "HL*2*1*21*1~\n", "NM1*41*2*PROVPORTAL SUBMITTER*****46*PROVPORTAL01~\n",
        "HL*3*2*19*1~\n", "NM1*1P*2*PROVIDER*****XX*1234567893~\n",
    ]
    for p in range(patients):
        last, first = NAMES[(set_no + p) % len(NAMES)]
        segments.append(f"HL*{4 + p}*3*22*0~\n")
        segments.append(f"NM1*IL*1*{last}*{first}****MI*ACM{(set_no * patients + p) % 1000000:06d}~\n")
        for c in range(claims):
            segments.append(claim(set_no, p, c))
    body = "".join(segments)
    count = body.count("~") + 1
    return body + f"SE*{count}*{set_no:04d}~\n"


written = 0
sets = 0
with open(out, "w", encoding="ascii", buffering=1 << 20) as f:
    f.write(isa + gs)
    written += len(isa) + len(gs)
    while written < target:
        sets += 1
        text = transaction(sets)
        f.write(text)
        written += len(text)
    tail = f"GE*{sets}*1~\nIEA*1*000000001~\n"
    f.write(tail)
    written += len(tail)
print(f"{out}: {written / 1e6:.0f} MB, {sets} transaction sets, {sets * patients} subscribers, "
      f"{sets * patients * claims} claims")
