#!/usr/bin/env python3
"""The benchmark's peer: a plain asyncio + aiohttp client sending the same eligibility rows with
the same concurrency over keep-alive TLS, one Idempotency-Key per row, results as JSON Lines.

Usage: aiohttp_client.py BASE_URL CA_FILE TOKEN ROWS.csv CONCURRENCY RESULTS.jsonl
"""

import asyncio
import csv
import hashlib
import json
import ssl
import sys

import aiohttp


async def main(base_url, ca_file, token, rows_path, concurrency, results_path):
    ctx = ssl.create_default_context(cafile=ca_file)
    connector = aiohttp.TCPConnector(ssl=ctx, limit=concurrency)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    queue: asyncio.Queue = asyncio.Queue(maxsize=concurrency * 4)
    results = {}

    async def worker(session):
        while True:
            item = await queue.get()
            if item is None:
                return
            line, row = item
            body = json.dumps(row)
            key = hashlib.sha256(("py\n" + body).encode()).hexdigest()
            for attempt in range(5):
                try:
                    async with session.post(base_url + "/v1/eligibility", data=body,
                                            headers={**headers, "Idempotency-Key": key}) as r:
                        answer = await r.json()
                        if r.status in (429, 500, 502, 503, 504):
                            await asyncio.sleep(0.1 * 2 ** attempt)
                            continue
                        results[line] = {"line": line, "status": r.status, "answer": answer}
                        break
                except aiohttp.ClientError:
                    await asyncio.sleep(0.1 * 2 ** attempt)

    async with aiohttp.ClientSession(connector=connector) as session:
        workers = [asyncio.create_task(worker(session)) for _ in range(concurrency)]
        with open(rows_path, newline="", encoding="utf-8") as f:
            for n, row in enumerate(csv.DictReader(f), start=2):
                await queue.put((n, {k: v for k, v in row.items() if v}))
        for _ in workers:
            await queue.put(None)
        await asyncio.gather(*workers)
    with open(results_path, "w", encoding="utf-8") as out:
        for line in sorted(results):
            out.write(json.dumps(results[line]) + "\n")


if __name__ == "__main__":
    base, ca, token, rows, conc, res = sys.argv[1:7]
    asyncio.run(main(base, ca, token, rows, int(conc), res))
