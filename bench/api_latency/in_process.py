"""Server CPU per request of the ASGI app alone, in-process: no HTTP server, no load generator.

    .venv/bin/python bench/api_latency/in_process.py [--requests 400] [--rounds 7]

A fresh SQLite Tocsin (200 incidents, one update each; an Alertmanager integration and the
routing of bench/ingest), driven one request at a time through `create_app(...)` with
hand-made ASGI messages, as `tocsin serve` would call it (the JSON request log goes to
/dev/null). Per endpoint it prints the minimum and the median over the rounds of process CPU
(all threads, so the ingestion writer counts) per request. On a shared machine the minimum is
the figure to compare: other work only adds to it. Compare two trees by running it with each
one's `src` first on PYTHONPATH.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tocsin.api.app import create_app
from tocsin.api.logs import configure_logging
from tocsin.bootstrap import build
from tocsin.config.presets import render_preset
from tocsin.config.routing import RouteConfig
from tocsin.core.scope import Scope

Make = Callable[[], tuple[dict[str, Any], bytes]]


def request(
    method: str,
    path: str,
    query: bytes = b"",
    auth: str = "",
    body: Callable[[], bytes] | None = None,
) -> Make:
    def make() -> tuple[dict[str, Any], bytes]:
        data = body() if body else b""
        headers = [(b"host", b"bench")]
        if auth:
            headers.append((b"authorization", f"Bearer {auth}".encode()))
        if body:
            headers += [(b"content-type", b"application/json")]
            headers += [(b"content-length", str(len(data)).encode())]
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": method, "scheme": "http", "path": path, "raw_path": path.encode(),
            "root_path": "", "query_string": query, "headers": headers,
            "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80), "state": {},
        }  # fmt: skip
        return scope, data

    return make


async def one(app: Any, make: Make) -> None:
    scope, data = make()
    delivered = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": data, "more_body": False}
        await asyncio.Event().wait()  # never disconnects
        raise AssertionError

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    if status != 200:
        raise RuntimeError(f"{scope['method']} {scope['path']}: HTTP {status}")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=400, help="per endpoint and round")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="tocsin-in-process-"))
    (home / "tocsin.yaml").write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {
        "TOCSIN_CONFIG": str(home / "tocsin.yaml"),
        "TOCSIN_DATABASE_URL": f"sqlite:///{home}/t.db",
    }
    tocsin = build(env=env, cwd=home)
    for i in range(200):
        tocsin.incidents.declare("bench", f"Incident {i}", "P2", Scope(("api",)))
        tocsin.incidents.post_update(f"INC-{i + 1}", "bench", "update " * 20)
    _, token = tocsin.accounts.create_token("bench", "viewer", "bench")
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    key = tocsin.alert_admin.add_integration("prom", "alertmanager").key
    configure_logging()
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.StreamHandler):
            handler.setStream(open(os.devnull, "w"))  # noqa: SIM115 - for the process's life
    app = create_app(tocsin)
    gc.collect()
    gc.freeze()
    counter = iter(range(10**9))

    def alert() -> dict[str, Any]:
        n = next(counter)
        labels = {"alertname": "HighErrorRate", "service": f"svc-{n % 8}", "instance": f"i{n}"}
        return {"labels": labels, "annotations": {"summary": "x"}}

    cases = {
        "healthz": request("GET", "/healthz"),
        "list": request("GET", "/api/v1/incidents", b"limit=50", token),
        "incident": request("GET", "/api/v1/incidents/INC-7", b"", token),
        "webhook b1": request(
            "POST",
            f"/ingest/alertmanager/{key}",
            body=lambda: json.dumps(
                {"version": "4", "status": "firing", "alerts": [alert()]}
            ).encode(),
        ),
        "api v2 b1": request(
            "POST",
            f"/ingest/prometheus/{key}/api/v2/alerts",
            body=lambda: json.dumps([alert()]).encode(),
        ),
    }

    async def measure() -> dict[str, list[float]]:
        found: dict[str, list[float]] = {name: [] for name in cases}
        for make in cases.values():
            for _ in range(200):
                await one(app, make)
        for _ in range(args.rounds):
            for name, make in cases.items():
                cpu = time.process_time()
                for _ in range(args.requests):
                    await one(app, make)
                found[name].append((time.process_time() - cpu) / args.requests * 1e6)
        return found

    for name, samples in asyncio.run(measure()).items():
        samples.sort()
        median = samples[len(samples) // 2]
        print(f"{name:<12} min {samples[0]:6.0f}  median {median:6.0f} us of CPU per request")
    tocsin.engine.dispose()


if __name__ == "__main__":
    main()
