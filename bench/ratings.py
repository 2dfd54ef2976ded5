"""Rating form submissions: ``POST /r/<token>`` sustained at a fixed offered rate.

Against a real Kafka and PostgreSQL (the stack named by ``BENCH_ENV``, else a stack of its
own in ``.bench-stack/``), in a throwaway database with the ratings migrations:

1. inserts ``--forms`` invitations (as the invitations helper writes them);
2. starts one ratings process (uvicorn, as ``python -m services.ratings`` runs it, rate
   limits opened for the one client address), its outbox relay publishing every
   ``rating.submitted`` to Kafka while the posts go on, as in service;
3. opens every form once (``GET /r/<token>``: the CSRF cookie and token), untimed;
4. posts the filled forms open-loop at ``--rate`` per second (each request sent at its
   scheduled instant, whatever the previous ones do), a fifth of them unhappy (a
   follow-up opens, two more outbox rows), and times each from send to its 303.

Target: 200 req/s sustained with p99 ≤ 100 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import secrets
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta

import aiohttp
import httpx
import psycopg

from bench.board import BenchDatabase, drop_database
from bench.intake import ROOT, machine, pct
from bench.invitations import open_stack
from bench.results import write_section
from motcua.db import SERVICES, apply_migrations, bootstrap_database, migrations_dir
from motcua.kafka import TOPICS, ensure_topics
from services.ratings.criteria import criteria_for
from services.ratings.invitations.tokens import hash_token, new_token
from tests.live_server import free_port

SECTION = "## Rating form submissions — `python -m bench ratings`"
TARGET_RPS, TARGET_P99_MS = 200.0, 100.0
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def create_database(admin_url: str) -> tuple[BenchDatabase, str]:
    suffix = secrets.token_hex(4)
    name, prefix = f"motcua_bench_ratings_{suffix}", f"mr{suffix}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    urls = bootstrap_database(
        url, {s: secrets.token_urlsafe(16) for s in SERVICES}, role_prefix=prefix
    )
    apply_migrations(urls["ratings"], migrations_dir("ratings"))
    return BenchDatabase(admin_url, urls["ratings"], name, prefix), urls["ratings"]


def invitations(url: str, count: int) -> list[tuple[str, bool]]:
    """``count`` invitations over 50 district units of one province; (token, online)."""
    tokens: list[tuple[str, bool]] = []
    expires = datetime.now(UTC) + timedelta(days=30)
    with (
        psycopg.connect(url) as conn,
        conn.cursor() as cur,
        cur.copy(
            "COPY rating_invitations (id, dossier_id, token_sha256, expires_at, dossier_code, "
            "unit_code, unit_path, procedure_code, online, outcome, contact_preference, "
            "channel) FROM STDIN"
        ) as copy,
    ):
        for n in range(count):
            token, online = new_token(), n % 3 == 0
            unit = f"000.00.{n % 50 + 1:02d}.H26"
            copy.write_row(
                (
                    uuid.uuid4(),
                    uuid.uuid4(),
                    hash_token(token),
                    expires,
                    f"{unit}-250601-{n % 10000:04d}",
                    unit,
                    ["000.00.00.H26", unit],
                    "1.001612",
                    online,
                    "returned",
                    "sms",
                    "sms",
                )
            )
            tokens.append((token, online))
    return tokens


def form(online: bool, rng: random.Random) -> dict[str, str]:
    unhappy = rng.random() < 0.2
    fields = {c.value: rng.choice("12") for c in criteria_for(online)}
    if unhappy:
        fields["processing_time"] = "0"
    fields["overall"] = "0" if unhappy else rng.choice("12")
    fields["comment"] = "Cán bộ hướng dẫn tận tình, thủ tục nhanh." if rng.random() < 0.3 else ""
    return fields


async def run(base: str, tokens: list[tuple[str, bool]], rate: float) -> dict[str, float]:
    """aiohttp as the client: it costs a fraction of httpx's CPU, and the client shares the
    machine's cores with the server and PostgreSQL."""
    rng = random.Random(7)
    connector = aiohttp.TCPConnector(limit=100)
    jar = aiohttp.CookieJar(unsafe=True)  # the CSRF cookie of 127.0.0.1
    async with aiohttp.ClientSession(base, connector=connector, cookie_jar=jar) as http:
        csrf: list[str] = []
        for token, _ in tokens:
            async with http.get(f"/r/{token}") as page:
                text = await page.text()
                assert page.status == 200, text[:200]
            found = CSRF.search(text)
            assert found
            csrf.append(found.group(1))
        latencies: list[float] = []
        statuses: dict[int, int] = {}

        async def submit(index: int) -> None:
            token, online = tokens[index]
            body = {**form(online, rng), "csrf_token": csrf[index]}
            sent = time.perf_counter()
            async with http.post(f"/r/{token}", data=body, allow_redirects=False) as response:
                await response.read()
            latencies.append(time.perf_counter() - sent)
            statuses[response.status] = statuses.get(response.status, 0) + 1

        started = time.perf_counter()
        tasks = []
        for index in range(len(tokens)):
            delay = started + index / rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(submit(index)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - started
    assert statuses == {303: len(tokens)}, statuses
    return {
        "requests": len(latencies),
        "rps": len(latencies) / elapsed,
        "p50_ms": pct(latencies, 50) * 1000,
        "p99_ms": pct(latencies, 99) * 1000,
        "max_ms": max(latencies) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench ratings")
    parser.add_argument("--forms", type=int, default=6000, help="forms posted (one per dossier)")
    parser.add_argument("--rate", type=float, default=TARGET_RPS, help="offered posts per second")
    parser.add_argument("--no-write", action="store_true", help="print, leave RESULTS.md")
    args = parser.parse_args(argv)
    bootstrap, admin_url, stop = open_stack()
    ensure_topics(bootstrap, TOPICS)
    database, url = create_database(admin_url)
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "KAFKA_BOOTSTRAP_SERVERS": bootstrap,
        "FORM_SECRET": secrets.token_urlsafe(16),
        "RATE_LIMIT_PER_ADDRESS": "10000000/minute",
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "services.ratings.app:app_from_environment",
            "--factory",
            "--port",
            str(port),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        cwd=ROOT,
    )
    try:
        tokens = invitations(url, args.forms)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        result = asyncio.run(run(base, tokens, args.rate))
    finally:
        server.terminate()
        server.wait(timeout=30)
        drop_database(database)
        stop()
    met = result["rps"] >= TARGET_RPS * 0.98 and result["p99_ms"] <= TARGET_P99_MS
    section = (
        f"{SECTION}\n\nMachine: {machine()}; Kafka and PostgreSQL of `deploy/local/stack.py`, "
        "one ratings process (uvicorn, one worker, its outbox relay publishing), the load "
        "generator on the same 2 cores. Command: "
        f"`python -m bench ratings --forms {args.forms} --rate {args.rate:g}`, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC.\n\n"
        "Each post: CSRF check, the invitation locked by its token hash, the rating inserted, "
        "the invitation marked used, `rating.submitted` validated and written to the outbox "
        "(a fifth also open a follow-up: its row and `rating.followup_opened`), commit, 303.\n\n"
        "| measurement | target | measured |\n| --- | --- | --- |\n"
        f"| `POST /r/<token>`, open loop at {args.rate:g}/s | ≥ {TARGET_RPS:g} req/s, p99 ≤ "
        f"{TARGET_P99_MS:g} ms | {result['rps']:.0f} req/s over {result['requests']:,} posts, "
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, max "
        f"{result['max_ms']:.0f} ms ({'met' if met else 'missed'}) |\n"
    )
    print(section)
    if not args.no_write:
        write_section(SECTION, section)
    return 0
