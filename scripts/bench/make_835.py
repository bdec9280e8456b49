#!/usr/bin/env python3
"""Writes an 835 inbox (005010X221A1) of about SIZE megabytes, for the `remittance` benchmark:
make_835.py OUT_DIR [SIZE_MB] [--file-mb N] [--claims N]

OUT_DIR gets files 835_00001.835, ... of about N (4) MB each, the size of a clearinghouse's daily
drop (one file of SIZE_MB with --file-mb SIZE_MB). Each file is one ISA and one GS*HP of 835 sets,
one per check or EFT: BPR, TRN, DTM*405, the payer (N1*PR, N3, N4) and payee (N1*PE, REF*TJ),
then N (100) claims (CLP, NM1*QC, NM1*IL, DTM*232; every fifth with a claim-level CAS and MOA
remarks) of two service lines each (SVC with modifiers, DTM*472, CAS*CO*45, CAS*PR, AMT*B6, and
LQ*HE on some), and a PLB item. Every check balances (each line, claim and BPR02); check
numbers, members, claims and amounts vary with the file, the check and the claim."""

import os
import sys

args = sys.argv[1:]


def option(name, default):
    if name in args:
        i = args.index(name)
        value = int(args[i + 1])
        del args[i:i + 2]
        return value
    return default


file_mb = option("--file-mb", 4)
claims = option("--claims", 100)
out = args[0]
target = int(args[1] if len(args) > 1 else 1024) * 1_000_000

NAMES = [("WHITAKER", "JAMES"), ("GONZALEZ", "MARIA"), ("OCONNOR", "MICHAEL"), ("NAKAMURA", "EMILY"),
         ("JENKINS", "DOROTHY"), ("CARTER", "JASMINE"), ("MITCHELL", "DESHAWN"), ("CHEN", "BOB")]
CODES = ["99213", "99214", "93000", "85025", "80053", "36415", "99203", "71046"]
PAYERS = [("ACME HEALTH PLAN", "PAYER01", "1999999999"), ("RIVERSIDE MUTUAL", "PAYER02", "1888888888")]


def dollars(cents: int) -> str:
    """An X12 decimal without needless zeros (as the codec writes one)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    whole, rest = divmod(cents, 100)
    if rest == 0:
        return f"{sign}{whole}"
    if rest % 10 == 0:
        return f"{sign}{whole}.{rest // 10}"
    return f"{sign}{whole}.{rest:02d}"


def check(f: int, n: int) -> str:
    payer, payer_id, originator = PAYERS[(f + n) % len(PAYERS)]
    body = []
    total = 0
    for k in range(claims):
        seq = f * 1_000_000 + n * 1000 + k
        last, first = NAMES[seq % len(NAMES)]
        lines, charged, paid, owed = [], 0, 0, 0
        for m in range(2):
            charge = 10000 + (seq * 7 + m * 13) % 20000
            contractual = charge // 5 + m
            patient = 1500 + (seq + m) % 1000
            line_paid = charge - contractual - patient
            charged += charge
            paid += line_paid
            owed += patient
            seg = [f"SVC*HC:{CODES[(seq + m) % len(CODES)]}:25*{dollars(charge)}*{dollars(line_paid)}**1",
                   f"DTM*472*202601{1 + (seq + m) % 28:02d}",
                   f"CAS*CO*45*{dollars(contractual)}",
                   f"CAS*PR*{1 + m}*{dollars(patient)}",
                   f"AMT*B6*{dollars(charge - contractual)}"]
            if (seq + m) % 3 == 0:
                seg.append("LQ*HE*N130")
            lines += seg
        claim_cas = []
        if k % 5 == 0:
            adj = 500 + seq % 700
            paid -= adj
            claim_cas = [f"CAS*CO*A2*{dollars(adj)}"]
        total += paid
        body += [f"CLP*PCN{seq}*1*{dollars(charged)}*{dollars(paid)}*{dollars(owed)}*12*ICN{seq:012d}"]
        body += claim_cas
        body += [f"NM1*QC*1*{last}*{first}****MI*M{seq % 9_000_000:07d}",
                 f"NM1*IL*1*{last}*{first}****MI*S{seq % 9_000_000:07d}"]
        if claim_cas:
            body += ["MOA***MA01"]
        body += [f"DTM*232*202601{1 + seq % 28:02d}"]
        body += lines
    plb = 1000 + (f + n) % 5000
    total -= plb
    head = [f"ST*835*{n + 1:04d}*005010X221A1",
            f"BPR*I*{dollars(total)}*C*CHK************20260105",
            f"TRN*1*CHK{f:05d}{n:05d}*{originator}",
            "DTM*405*20260104",
            f"N1*PR*{payer}*XV*{payer_id}", "N3*1 MAIN ST", "N4*SPRINGFIELD*IL*62701",
            "N1*PE*LAKESHORE CLINIC*XX*1234567893", "REF*TJ*123456789", "LX*1"]
    tail = [f"PLB*1234567893*20261231*WO:R{n}*{dollars(plb)}"]
    segs = head + body + tail
    segs.append(f"SE*{len(segs) + 1}*{n + 1:04d}")
    return "~\n".join(segs) + "~\n"


os.makedirs(out, exist_ok=True)
written = 0
f = 0
checks_total = 0
while written < target:
    f += 1
    ctl = f"{f:09d}"
    parts = [f"ISA*00*          *00*          *ZZ*PAYER          *ZZ*CLINIC         *260105*0000*^*00501*"
             f"{ctl}*0*T*:~\n", f"GS*HP*PAYER*CLINIC*20260105*0000*{f}*X*005010X221A1~\n"]
    size = sum(map(len, parts))
    n = 0
    limit = min(file_mb * 1_000_000, target - written)
    while size < limit:
        text = check(f, n)
        parts.append(text)
        size += len(text)
        n += 1
    parts += [f"GE*{n}*{f}~\n", f"IEA*1*{ctl}~\n"]
    data = "".join(parts)
    with open(os.path.join(out, f"835_{f:05d}.835"), "w") as fh:
        fh.write(data)
    written += len(data)
    checks_total += n
print(f"{written} bytes, {f} files, {checks_total} checks, {checks_total * claims} claims")
