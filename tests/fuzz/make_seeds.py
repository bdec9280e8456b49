#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz targets into tests/fuzz/corpus/<target>/.

The seeds are committed; run this again only to regenerate them after an input format or the
examples changed (it rewrites every seed it knows and leaves other files alone). The input
layouts are described at the top of each fuzz_*.cpp.
"""
import csv
import io
import json
import pathlib

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CORPUS = HERE / "corpus"


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    (d / name).write_bytes(data)


def eligibility_rows():
    with open(ROOT / "examples" / "eligibility.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


# ---- fuzz_csv_reader ---------------------------------------------------------------------------
def csv_seeds():
    t = "fuzz_csv_reader"
    full = (ROOT / "examples" / "eligibility.csv").read_bytes()
    write(t, "eligibility-example.csv", full)
    lines = full.decode().splitlines()
    header, first = lines[0], lines[1]
    write(t, "one-row.csv", header + "\n" + first + "\n")
    write(t, "crlf-no-final-newline.csv", "\r\n".join(lines[:4]))
    write(t, "bom.csv", "\ufeff" + header + "\n" + first + "\n")
    write(t, "quoted.csv",
          header + "\n"
          'q-1,ACM100733,"Michael","O\'Connor, Jr.",1966-09-30,acme-commercial,1234567893,2026-11-16\n'
          'q-2,ACM100418,"Maria ""Mia""",Gonzalez,1984-07-22,acme-commercial,"1234567893",\n'
          '"q-3",ACM100234,"James\nWhitaker",Whitaker,1958-03-14,acme-commercial,1234567893,2026-11-16\n')
    write(t, "cell-counts.csv",
          header + "\n"
          "c-1,ACM100234,James\n"
          "c-2,ACM100234,James,Whitaker,1958-03-14,acme-commercial,1234567893,2026-11-16,extra,more\n"
          "\n\n"
          ",,,,,,,\n")
    write(t, "unterminated-quote.csv", header + "\n" + 'u-1,ACM100234,"James,Whitaker,1958-03-14\n' + first + "\n")
    write(t, "text-after-quote.csv", header + "\n" + 'x-1,"ACM100234"x,James,Whitaker,1958-03-14,acme-commercial,1234567893,\n')
    write(t, "invalid-utf8.csv", header.encode() + b"\n" + b"b-1,ACM100234,Jos\xe9,N\xc3\xba\xc3\xb1ez,1976-08-19,acme-commercial,1245319599,\n"
          + b"b-2,ACM100234,\x00,x,1976-08-19,acme-commercial,1245319599,\n")
    write(t, "duplicate-header.csv", "ref,member_id,ref\n1,2,3\n")
    write(t, "empty-header-column.csv", "ref,,member_id\n1,2,3\n")
    write(t, "header-only.csv", header + "\n")
    write(t, "registration-types.csv",
          "provider_type,npi,tax_id,first_name,last_name,email,phone,fax,accept_terms,password_max_age_days\n"
          "physician,1234567893,36-1234567,Avery,Quinn,avery@lakeshore-fm.example,(312) 555-0142,312-555-0143,true,90\n"
          "physician,1234567890,361234567,Avery,Quinn,not-an-email,555,555,TRUE,-1.5e3\n")
    write(t, "bad-dates-and-npi.csv",
          header + "\n"
          "d-1,ACM101183,Sarah,Lindqvist,2001-06-41,acme-commercial,1234567893,2026-02-29\n"
          "d-2,XYZ-123,Anna,Berg,80-05-05,acme-commercial,1234567890,2026-11-20\n"
          "ref with spaces,ACM100234,  ,\t,1958-03-14,-plan,12345678931,\n")


# ---- fuzz_yaml_reader --------------------------------------------------------------------------
def yaml_seeds():
    t = "fuzz_yaml_reader"
    write(t, "eligibility-example.yaml", (ROOT / "examples" / "eligibility.yaml").read_bytes())
    write(t, "one-item.yaml",
          '- ref: "y-1"\n  member_id: ACM100234\n  first_name: James\n  last_name: Whitaker\n'
          '  date_of_birth: "1958-03-14"\n  health_plan: acme-commercial\n  provider_npi: 1234567893\n')
    write(t, "flow.yaml",
          '[{ref: f-1, member_id: ACM100234, first_name: James, last_name: Whitaker, '
          'date_of_birth: "1958-03-14", health_plan: acme-commercial, provider_npi: "1234567893"}, '
          '{ref: f-2, member_id: AMA200118}]\n')
    write(t, "anchors-merge.yaml",
          "- &base\n  health_plan: acme-commercial\n  provider_npi: '1234567893'\n  service_date: '2026-11-16'\n"
          "- <<: *base\n  ref: a-1\n  member_id: ACM100234\n  first_name: James\n  last_name: Whitaker\n"
          "  date_of_birth: '1958-03-14'\n"
          "- {<<: [*base], ref: a-2, member_id: *base}\n")
    write(t, "billion-laughs.yaml",
          "- a: &a [x, x, x, x, x, x, x, x, x, x]\n  b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
          "  c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n  d: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
          "- ref: after\n")
    write(t, "core-schema-scalars.yaml",
          "- ref: s-1\n  provider_npi: 1234567893\n  member_id: 0012345\n  first_name: ~\n  last_name: null\n"
          "  date_of_birth: 1958-03-14\n  health_plan: TRUE\n  service_date: 0x1F\n  n1: 0o17\n  n2: -1.5e3\n"
          "  n3: .inf\n  n4: .NaN\n  n5: +12\n  n6: 99999999999999999999\n  n7: 18446744073709551615\n"
          "  n8: 9223372036854775808\n  n9: .5\n  n10: 1.\n  n11: ''\n")
    write(t, "not-a-list.yaml", "ref: m-1\nmember_id: ACM100234\n")
    write(t, "items-not-mappings.yaml", "- just text\n- [1, 2]\n- 42\n- ~\n- {ref: ok}\n")
    write(t, "multi-document.yaml", "---\n- ref: d-1\n...\n---\n- ref: d-2\n")
    write(t, "deep.yaml", "- ref: deep\n  x: " + "[" * 40 + "]" * 40 + "\n  y: {a: {b: {c: {d: {e: 1}}}}}\n")
    write(t, "tags.yaml",
          "- !!map\n  ref: !!str t-1\n  member_id: !!str 100234\n  provider_npi: !!int 1234567893\n"
          "  first_name: !custom James\n  last_name: \"Whit\\u00e4ker\\n\"\n  date_of_birth: '1958-03-14'\n")
    write(t, "syntax-error.yaml", "- ref: e-1\n  member_id: [ACM100234\n- ref: e-2\n")
    write(t, "bom-crlf-block-scalars.yaml",
          "\ufeff- ref: b-1\r\n  first_name: |\r\n    James\r\n  last_name: >-\r\n    Whit\r\n    aker\r\n"
          "  ? complex key\r\n  : value\r\n  duplicate: 1\r\n  duplicate: 2\r\n")


# ---- fuzz_jsonl_reader -------------------------------------------------------------------------
def jsonl_seeds():
    t = "fuzz_jsonl_reader"
    rows = eligibility_rows()
    lines = [json.dumps({k: v for k, v in r.items() if v}, ensure_ascii=False) for r in rows]
    write(t, "eligibility-example.jsonl", "\n".join(lines) + "\n")
    write(t, "one-row.jsonl", lines[0] + "\n")
    write(t, "blank-lines-crlf.jsonl", "\r\n" + lines[1] + "\r\n  \t\r\n" + lines[2])
    write(t, "not-objects.jsonl", '[1,2]\n"text"\n42\n-1.5e300\ntrue\nnull\n{}\n')
    write(t, "malformed.jsonl", '{"ref": "m-1", \n{"ref": "m-2"}}\n{"ref": "m-3" "x": 1}\n{"a":01}\n{"a":1}garbage\n')
    write(t, "deep.jsonl", '{"ref":"deep","x":' + "[" * 40 + "]" * 40 + "}\n" + '{"ref":"ok","x":' + "[" * 20 + "]" * 20 + "}\n")
    write(t, "invalid-utf8.jsonl", b'{"ref":"u-1","first_name":"Jos\xe9"}\n{"ref":"u-2","first_name":"\xed\xa0\x80"}\n')
    write(t, "bom.jsonl", "\ufeff" + lines[3] + "\n")
    write(t, "types.jsonl",
          '{"ref":"t-1","member_id":"ACM100234","first_name":"James","last_name":"Whitaker","date_of_birth":"1958-03-14",'
          '"health_plan":"acme-commercial","provider_npi":1234567893,"service_date":null}\n'
          '{"ref":"t-2","provider_npi":true,"member_id":12345678901234567890,"first_name":["James"],"last_name":{"x":1}}\n'
          '{"accept_terms":"true","npi":"1234567893","password_max_age_days":"90","count":"-0.5"}\n')
    write(t, "escapes.jsonl",
          '{"ref":"e-1","first_name":"Jo\\u00ebl","last_name":"\\u0000\\ud83d\\ude00","health_plan":"acme\\/commercial"}\n'
          '{"ref":"e-2","first_name":"\\ud800","last_name":"a\\tb"}\n'
          '{"ref":"dup","ref":"dup2"}\n')


# ---- fuzz_json_response ------------------------------------------------------------------------
RESPONSE_STATUSES = [200, 201, 202, 204, 400, 401, 403, 404, 405, 409, 413, 422, 423, 429, 500, 501,
                     502, 503, 504, 0, 99, 302, 600, 999]
RETRY_AFTER = [None, "120", "0", "9999999", "18446744073709551616", "abc", "",
               "Wed, 21 Oct 2015 07:28:00 GMT"]


def response_prefix(status, retry_after=None, replayed=False, content_type=True):
    b0 = 48 + RESPONSE_STATUSES.index(status)  # printable; 48 % 24 == 0
    b1 = 64 + RETRY_AFTER.index(retry_after) + (16 if replayed else 0) + (32 if content_type else 0)
    return bytes([b0, b1])


def err(code, message, **extra):
    e = {"code": code, "message": message}
    e.update(extra)
    return json.dumps({"error": e})


def json_response_seeds():
    t = "fuzz_json_response"
    seeds = {
        "validation-failed": (400, None, err("validation_failed", "the record is not valid: npi must be 10 digits",
                                             errors=[{"field": "npi", "message": "must be 10 digits"},
                                                     {"field": "date_of_birth", "message": "is not a real date"}])),
        "maintenance": (503, "120", err("maintenance", "the portal is down for scheduled maintenance",
                                        window_end="2026-11-22T00:00:00Z", retry_after=3600,
                                        support_phone="1-800-555-0100")),
        "maintenance-no-body": (503, "9999999", ""),
        "account-locked": (423, None, err("account_locked", "locked", locked_until="2026-11-17T15:15:00+01:00")),
        "invalid-credentials": (401, None, err("invalid_credentials", "the email address or password is wrong")),
        "session-invalid": (401, None, err("session_invalid", "not signed in, or the session has expired")),
        "mfa-token-invalid": (401, None, err("mfa_token_invalid", "")),
        "organization-choice": (409, None, err("organization_choice_required", "several organisations have this NPI",
                                               organizations=[{"id": "org_riverside_cardio", "name": "Riverside"},
                                                              {"id": "org_riverside_cardio_north"}, 3])),
        "email-taken": (409, None, err("email_taken", "an account with this email address already exists")),
        "password-rejected": (422, None, err("password_rejected", "too common",
                                             errors=[{"field": "password", "message": "too common"}, "x"])),
        "rate-limited": (429, "0", err("rate_limited", "slow down")),
        "internal-error": (500, None, err("internal_error", "internal server error")),
        "eligibility-ok": (200, None, json.dumps({"ref": "elig-0001", "status": "active", "active": True,
                                                  "member": {"member_id": "ACM100234"},
                                                  "coverage": {"start": "2020-01-01", "end": None}})),
        "eligibility-rejected": (422, None, err("eligibility_rejected", "eligibility check rejected: name mismatch",
                                                reject_reason={"code": "name_mismatch", "x12_aaa": "73"},
                                                ref="elig-0013")),
        "idempotency-conflict": (409, None, err("idempotency_conflict", "this Idempotency-Key was already used")),
        "bad-gateway-html": (502, None, "<html><body>502 Bad Gateway</body></html>"),
        "invalid-code": (400, None, err("invalid_code", "the code is wrong")),
        "not-json-object": (404, None, '[{"error":{"code":"not_found"}}]'),
        "error-not-object": (403, "abc", '{"error":"account_disabled","code":"account_disabled"}'),
    }
    for name, (status, retry, body) in seeds.items():
        write(t, name + ".bin", response_prefix(status, retry, replayed=name.startswith("eligibility")) + body.encode())


# ---- fuzz_http_response ------------------------------------------------------------------------
def http_prefix(head=False, piece=0):
    return bytes([(piece << 1) | (1 if head else 0)])


def http_response_seeds():
    t = "fuzz_http_response"
    def msg(status_line, headers, body=b"", length=True):
        if isinstance(body, str):
            body = body.encode()
        h = "".join(f"{k}: {v}\r\n" for k, v in headers)
        if length:
            h += f"Content-Length: {len(body)}\r\n"
        return (status_line + "\r\n" + h + "\r\n").encode() + body
    ok_body = json.dumps({"status": "ok", "time": "2026-11-17T15:00:00Z",
                          "maintenance": {"enabled": True, "active": False}})
    seeds = {
        "ok-json": (http_prefix(), msg("HTTP/1.1 200 OK", [("Content-Type", "application/json"), ("X-Request-Id", "req_1"),
                                                           ("Connection", "keep-alive")], ok_body)),
        "ok-json-pieces": (http_prefix(piece=7), msg("HTTP/1.1 200 OK", [("content-type", "application/json")], ok_body)),
        "unauthorized-close": (http_prefix(), msg("HTTP/1.1 401 Unauthorized", [("Connection", "close")],
                                                  err("session_invalid", "log in again"))),
        "chunked": (http_prefix(piece=3),
                    b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n"
                    b"5;ext=1\r\n{\"a\":\r\n3\r\n12}\r\n0\r\nX-Trailer: yes\r\n\r\n"),
        "maintenance": (http_prefix(), msg("HTTP/1.1 503 Service Unavailable", [("Retry-After", "3600")],
                                           err("maintenance", "down", window_end="2026-11-22T00:00:00Z"))),
        "no-content": (http_prefix(), b"HTTP/1.1 204 No Content\r\nX-Request-Id: req_2\r\n\r\n"),
        "head": (http_prefix(head=True), b"HTTP/1.1 200 OK\r\nContent-Length: 1234\r\nContent-Type: application/json\r\n\r\n"),
        "http10-until-eof": (http_prefix(), b"HTTP/1.0 500 Internal Server Error\r\nContent-Type: application/json\r\n\r\n"
                             + err("internal_error", "boom").encode()),
        "duplicate-headers": (http_prefix(), msg("HTTP/1.1 429 Too Many Requests",
                                                 [("Retry-After", "2"), ("retry-after", "30"), ("Set-Cookie", "a=1"),
                                                  ("Set-Cookie", "b=2"), ("X-Empty", "")],
                                                 err("rate_limited", "slow down"))),
        "replayed": (http_prefix(), msg("HTTP/1.1 422 Unprocessable Entity", [("Idempotent-Replayed", "true")],
                                        err("eligibility_rejected", "rejected", reject_reason={"code": "name_mismatch"}))),
        "continue-then-ok": (http_prefix(), b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"),
        "bad-status-line": (http_prefix(), b"HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n"),
        "obs-fold-and-spaces": (http_prefix(), b"HTTP/1.1 400 Bad Request\r\nX-Folded: a\r\n b\r\nContent-Length:   2  \r\n\r\n{}"),
        "content-length-mismatch": (http_prefix(), b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\nContent-Length: 12\r\n\r\n0123456789"),
        "proxy-html": (http_prefix(piece=64), msg("HTTP/1.1 502 Bad Gateway", [("Content-Type", "text/html"), ("Server", "nginx")],
                                                  "<html><body><h1>502 Bad Gateway</h1></body></html>")),
    }
    for name, (prefix, wire) in seeds.items():
        write(t, name + ".http", prefix + wire)


# ---- fuzz_sandbox_request ----------------------------------------------------------------------
def sandbox_seeds():
    t = "fuzz_sandbox_request"
    rows = eligibility_rows()
    def record(row, **changes):
        r = {k: v for k, v in row.items() if v}
        r.update(changes)
        return json.dumps({k: v for k, v in r.items() if v is not None}, ensure_ascii=False)
    def req(method, target, headers=(), body=""):
        return method + " " + target + "\n" + "".join(f"{k}: {v}\n" for k, v in headers) + "\n" + body
    session = [("Authorization", "Bearer $SESSION")]
    admin = [("Authorization", "Bearer $ADMIN")]
    seeds = {
        "health": req("GET", "/v1/health", [("X-Request-Id", "req_seed")]),
        "organizations": req("GET", "/v1/organizations?npi=1679576722"),
        "organizations-encoded": req("GET", "/v1/organizations?npi=12345%2067893&npi=1&x"),
        "eligibility-active": req("POST", "/v1/eligibility", session + [("Content-Type", "application/json")],
                                  record(rows[0])),
        "eligibility-idempotent": req("POST", "/v1/eligibility", session + [("Idempotency-Key", "elig-0002")],
                                      record(rows[1])),
        "eligibility-accented-names": req("POST", "/v1/eligibility", session, record(rows[4], first_name="JOSE ANGEL", service_date=None)),
        "eligibility-invalid": req("POST", "/v1/eligibility", session, record(rows[13])),
        "profile-patch": req("PATCH", "/v1/profile", session, json.dumps({"phone": "(312) 555-0199", "first_name": "Fuzzy"})),
        "login-wrong-password": req("POST", "/v1/auth/login", [], json.dumps({"email": "$EMAIL", "password": "wrong password"})),
        "mfa-email": req("POST", "/v1/auth/mfa/email", [], json.dumps({"mfa_token": "$MFA"})),
        "mfa-verify-totp": req("POST", "/v1/auth/mfa/verify", [], json.dumps({"mfa_token": "$MFA", "factor": "totp", "code": "123456"})),
        "registration": req("POST", "/v1/registrations", [], json.dumps({
            "provider_type": "physician", "npi": "1679576722", "tax_id": "39-2468135", "first_name": "Avery",
            "last_name": "Quinn", "email": "avery@riverside.example", "phone": "(312) 555-0142",
            "fax": "312-555-0143", "accept_terms": True, "password": "violet kettle sunrise",
            "organization_id": "org_riverside_cardio_north"})),
        "totp-begin": req("POST", "/v1/profile/mfa/totp", session),
        "refresh": req("POST", "/v1/auth/refresh", session),
        "admin-clock-advance": req("POST", "/v1/admin/clock", admin, json.dumps({"advance": "16m"})),
        "admin-settings": req("POST", "/v1/admin/settings", admin, json.dumps({"maintenance_window": True, "password_max_age_days": 0, "support_phone": "1-800-555-0100"})),
        "admin-registrations": req("GET", "/v1/admin/registrations?status=pending_review", admin),
        "admin-unlock": req("POST", "/v1/admin/accounts/unlock", admin, json.dumps({"email": "$EMAIL"})),
        "bad-json": req("POST", "/v1/auth/mfa/verify", [], '{"mfa_token": "x", '),
        "route-shorthand": req("#1", "#16", session, record(rows[5])),
        "claims-status-by-number": req("POST", "/v1/claims/status", session,
                                       json.dumps({"ref": "clm-1", "claim_number": "C71000000102"})),
        "claims-status-by-member": req("POST", "/v1/claims/status", session, json.dumps({
            "member_id": "ACM100234", "date_of_birth": "1958-03-14", "provider_npi": "1234567893",
            "service_from": "2026-10-01", "service_to": "2026-11-30", "changed_since": "2026-11-16T15:00:00Z"})),
        "claims-feed": req("GET", "/v1/claims?changed_since=2026-11-16T15:00:00Z&status=pending&page_size=2", session),
        "claims-one": req("GET", "/v1/claims/C71000000119", session),
    }
    for name, text in seeds.items():
        write(t, name + ".req", text)


def x12_transaction_seeds():
    """fuzz_x12_transactions: each interchange of tests/data/x12/ behind a byte 0 that picks the
    reader's chunk size and segment limit (see fuzz_x12_transactions.cpp)."""
    t = "fuzz_x12_transactions"
    data = ROOT / "tests" / "data" / "x12"
    for i, path in enumerate(sorted(data.glob("*.x12"))):
        write(t, path.stem + ".bin", bytes([(i * 37) % 256]) + path.read_bytes())


def x12_275_seeds():
    """fuzz_x12_transactions and fuzz_x12_reader: a 275 whose BIN data holds every delimiter, NUL
    and 0xFF, and hostile BIN01 values (not a number, 16 digits, over the reader's limit, longer
    or shorter than the data, cut off inside BIN01)."""
    isa = ("ISA*00*          *00*          *ZZ*CLINIC         *ZZ*PAYER          *261207*1504*^*"
           "00501*000000042*0*T*:~")

    def interchange(bin_segment):
        body = (b"ST*275*0001*005010X210~BGN*02*K7F3A9-1*20261207*1504~"
                b"NM1*PR*2*ACME COMMERCIAL*****PI*ACMEC~NM1*41*2*ORDERING PROVIDER*****XX*1234567893~"
                b"NM1*1P*2*ORDERING PROVIDER*****XX*1234567893~NM1*QC*1*CHEN*ROBERT****MI*ACM100552~"
                b"LX*1~TRN*1*K7F3A9-1~DTP*368*D8*20261207~CAT*AE*MB~EFI*05~" + bin_segment +
                b"SE*13*0001~")
        return (isa.encode() + b"GS*PI*CLINIC*PAYER*20261207*1504*7*X*005010X210~" + body +
                b"GE*1*7~IEA*1*000000042~")

    data = b"%PDF-1.4\n*~^:\x00\xff\xfe~~**\r\nISA*00*~BIN*5*\x00SE*1*0001~" + bytes(range(256))
    seeds = {
        "275_bin_binary": interchange(b"BIN*%d*" % len(data) + data + b"~"),
        "275_bin01_not_a_number": interchange(b"BIN*1A*X~"),
        "275_bin01_16_digits": interchange(b"BIN*0000000000000001*X~"),
        "275_bin01_huge": interchange(b"BIN*999999999999999*X~"),
        "275_bin01_longer_than_data": interchange(b"BIN*400*X~"),
        "275_bin01_shorter_than_data": interchange(b"BIN*1*XY~"),
    }
    cut = interchange(b"BIN*12*abcdefghijkl~")
    seeds["275_bin01_cut"] = cut[:cut.index(b"BIN*12") + 6]
    for i, (name, blob) in enumerate(sorted(seeds.items())):
        write("fuzz_x12_transactions", name + ".bin", bytes([(i * 37) % 256]) + blob)
        write("fuzz_x12_reader", name + ".bin", bytes([(i * 53) % 256]) + blob)


def main():
    csv_seeds()
    yaml_seeds()
    jsonl_seeds()
    json_response_seeds()
    http_response_seeds()
    sandbox_seeds()
    x12_transaction_seeds()
    x12_275_seeds()
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds")


if __name__ == "__main__":
    main()
