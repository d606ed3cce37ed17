"""Open live streams vs. a plain request: p50/p95 of GET /api/v1/incidents/INC-1 alone, then
with N live-timeline streams (/incidents/INC-1/events) open on the same `tocsin serve`.

    .venv/bin/python bench/streams/run.py                       # this tree, N=500
    .venv/bin/python bench/streams/run.py --src ../main/src     # another tree (before/after)

The server is a real `tocsin serve` (one process, SQLite) run from `--src`; the streams and
the timed requests come from this process (asyncio), which shares the machine's CPUs with
it. Each web session holds 100 of the streams (`server.streams_per_session: 100` where the
tree has the cap). Prints one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

HERE = Path(__file__).resolve()
SETUP = """
import json, secrets
from tocsin.bootstrap import build
t = build()
user = t.accounts.create_user("bench", secrets.token_urlsafe(16) + "Aa1!", "responder")
cookies = [t.accounts.start_session(user)[0] for _ in range(20)]
token = t.accounts.create_token("bench", "responder", "bench")[1]
t.incidents.declare("bench", "Checkout is slow", "P2")
for n in range(20):
    t.incidents.note("INC-1", "bench", f"note {n}")
print(json.dumps({"cookies": cookies, "token": token}))
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check(condition: bool, why: str) -> None:
    if not condition:
        raise SystemExit(why)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def timed_gets(url: str, token: str, samples: int) -> dict[str, float]:
    took = []
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=headers, timeout=30) as client:
        for _ in range(samples):
            started = time.perf_counter()
            answer = await client.get(f"{url}/api/v1/incidents/INC-1")
            took.append((time.perf_counter() - started) * 1000)
            check(answer.status_code == 200, answer.text)
    return {
        "p50_ms": round(statistics.median(took), 2),
        "p95_ms": round(percentile(took, 0.95), 2),
    }


async def open_stream(port: int, cookie: str) -> asyncio.StreamWriter:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"GET /incidents/INC-1/events HTTP/1.1\r\nHost: bench\r\n"
        f"Cookie: tocsin_session={cookie}\r\nAccept: text/event-stream\r\n\r\n".encode()
    )
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    check(head.startswith(b"HTTP/1.1 200"), head[:200].decode(errors="replace"))

    async def drain() -> None:
        while await reader.read(65536):
            pass

    asyncio.get_running_loop().create_task(drain())
    return writer


async def measure(port: int, cookies: list[str], token: str, streams: int, samples: int) -> dict:
    url = f"http://127.0.0.1:{port}"
    await timed_gets(url, token, 20)  # warm up
    alone = await timed_gets(url, token, samples)
    writers = []
    for n in range(streams):  # 100 per session: under the cap of trees that have one
        writers.append(await open_stream(port, cookies[n // 100]))
    await asyncio.sleep(2.0)  # let every stream settle into its steady state
    together = await timed_gets(url, token, samples)
    for writer in writers:
        writer.close()
    return {
        "streams": streams,
        "alone": alone,
        "with_streams": together,
        "p95_ratio": round(together["p95_ms"] / alone["p95_ms"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--src", type=Path, default=HERE.parents[2] / "src")
    parser.add_argument("--streams", type=int, default=500)
    parser.add_argument("--samples", type=int, default=300)
    args = parser.parse_args()
    src = args.src.resolve()
    with tempfile.TemporaryDirectory() as home:
        config = Path(home) / "tocsin.yaml"
        env = {**os.environ, "PYTHONPATH": str(src), "TOCSIN_CONFIG": str(config)}
        env.pop("TOCSIN_DATABASE_URL", None)
        render = "from tocsin.config import render_preset as r; print(r('p1-p4'))"
        preset = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", render], env=env, capture_output=True, text=True, check=True
        ).stdout
        has_cap = (src / "tocsin" / "config" / "server.py").exists()
        if has_cap:
            preset += "\nserver:\n  streams_per_session: 100\n"
        config.write_text(preset, encoding="utf-8")
        made = subprocess.run(  # noqa: S603 - this interpreter, our own code
            [sys.executable, "-c", SETUP], env=env, capture_output=True, text=True, cwd=home
        )
        check(made.returncode == 0, made.stderr)
        secrets = json.loads(made.stdout.strip().splitlines()[-1])
        port = free_port()
        log = Path(home) / "server.log"
        with log.open("wb") as out:
            server = subprocess.Popen(  # noqa: S603 - this interpreter, our own code
                [sys.executable, "-m", "tocsin", "serve", "--port", str(port)],
                env=env, stdout=out, stderr=out,
            )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while b"Application startup complete" not in log.read_bytes():
                check(server.poll() is None, log.read_text())
                check(time.monotonic() < deadline, "the server did not start in 60 s")
                time.sleep(0.05)
            result = asyncio.run(
                measure(port, secrets["cookies"], secrets["token"], args.streams, args.samples)
            )
        finally:
            server.terminate()
            server.wait(30)
    result["src"] = str(src)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
