"""What-if (run.py --what-if): the ceiling of one Python process for this endpoint on this
stack, to size the recommendations against. Not Tocsin: no routing, no grouping, no incidents.

    python bench/ingest/whatif_app.py --database PATH --port P --key K [--synchronous FULL]

The same uvicorn (httptools, uvloop, one process) as `tocsin serve`, but:
- a raw ASGI callable for `POST /ingest/prometheus/{key}/api/v2/alerts`: no FastAPI routing,
  dependencies or middleware, no thread-pool hop, no per-request log line;
- the integration key compared with one held in memory (no query per request);
- the body read with `json.loads` and the fields Tocsin stores taken as they are; the dedup
  key is Tocsin's own `fingerprint` (pure-Python FNV-1a, Alertmanager's), or with
  `--key-hash blake2b` a C-speed stand-in (hashlib) to show what that one function costs;
- group commit: requests hand their rows to one writer thread, which writes whatever has
  queued up in one transaction (`INSERT ... ON CONFLICT DO UPDATE`, one `executemany`) and
  answers every request of it after the COMMIT, so a 200 still means "committed".
The table is Tocsin's `alerts` table, created by Tocsin's migrations, with its indexes.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import queue
import sqlite3
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import uvicorn

from tocsin.integrations.sources.fields import fingerprint
from tocsin.store import database

Pending = tuple[list[tuple[Any, ...]], asyncio.Future[None], asyncio.AbstractEventLoop]
INSERT = """
INSERT INTO alerts (integration, dedup_key, status, summary, source_severity, severity,
    service, group_key, labels, annotations, source_url, first_seen, last_seen, starts_at,
    ends_at, count, flaps, incident, suppressed_by, acknowledged)
VALUES (?, ?, 'firing', ?, ?, 'P1', ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, 0, NULL, NULL, 0)
ON CONFLICT (integration, dedup_key) DO UPDATE SET
    count = count + 1, last_seen = excluded.last_seen, labels = excluded.labels,
    annotations = excluded.annotations
"""


class Writer(threading.Thread):
    """One connection, one thread: everything queued becomes one transaction."""

    def __init__(self, path: Path, synchronous: str) -> None:
        super().__init__(name="writer", daemon=True)
        self.queue: queue.SimpleQueue[Pending] = queue.SimpleQueue()
        self._conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute(f"PRAGMA synchronous={synchronous}")
        self._conn.execute("PRAGMA busy_timeout=30000")

    def run(self) -> None:
        while True:
            batch = [self.queue.get()]
            while True:
                try:
                    batch.append(self.queue.get_nowait())
                except queue.Empty:
                    break
            rows = [row for pending in batch for row in pending[0]]
            error: Exception | None = None
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                self._conn.executemany(INSERT, rows)
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                error = exc
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
            for _, future, loop in batch:
                loop.call_soon_threadsafe(_settle, future, error)


def _settle(future: asyncio.Future[None], error: Exception | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(None)
    else:
        future.set_exception(error)


def blake2b_key(labels: Mapping[str, str]) -> str:
    """Not Alertmanager's fingerprint: what a hash computed in C costs instead."""
    text = "\xff".join(f"{name}\xff{labels[name]}" for name in sorted(labels))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


KEYS: dict[str, Callable[[Mapping[str, str]], str]] = {
    "fnv": fingerprint,
    "blake2b": blake2b_key,
}


def rows_of(
    payload: Any, integration: str, now: str, key: Callable[[Mapping[str, str]], str]
) -> list[tuple[Any, ...]]:
    rows = []
    for alert in payload:
        labels = alert["labels"]
        annotations = alert.get("annotations") or {}
        service = labels.get("service") or labels.get("job") or "unknown"
        summary = annotations.get("summary") or labels.get("alertname") or ""
        rows.append(
            (
                integration,
                key(labels),
                summary,
                labels.get("severity"),
                service,
                service + "/" + labels.get("alertname", ""),
                json.dumps(labels),
                json.dumps(annotations),
                alert.get("generatorURL"),
                now,
                now,
                alert.get("startsAt"),
                alert.get("endsAt"),
            )
        )
    return rows


class App:
    def __init__(self, writer: Writer, key: str, key_hash: str) -> None:
        self._writer = writer
        self._hash = KEYS[key_hash]
        self._path = f"/ingest/prometheus/{key}/api/v2/alerts"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        if scope["path"] == "/healthz":
            await _answer(send, 200, b'{"status":"ok"}')
            return
        if scope["method"] != "POST" or scope["path"] != self._path:
            await _answer(send, 404, b"")
            return
        chunks = []
        more = True
        while more:
            message = await receive()
            chunks.append(message.get("body", b""))
            more = message.get("more_body", False)
        try:
            now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
            rows = rows_of(json.loads(b"".join(chunks)), "prom", now, self._hash)
        except (ValueError, KeyError, TypeError, AttributeError):
            await _answer(send, 400, b"bad alerts")
            return
        loop = asyncio.get_running_loop()
        future: asyncio.Future[None] = loop.create_future()
        self._writer.queue.put((rows, future, loop))
        try:
            await future
        except sqlite3.Error:
            await _answer(send, 503, b"database busy")
            return
        await _answer(send, 200, b"")


async def _answer(send: Any, status: int, body: bytes) -> None:
    headers = [(b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--database", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--key", required=True)
    parser.add_argument("--synchronous", choices=("NORMAL", "FULL"), default="NORMAL")
    parser.add_argument("--key-hash", choices=tuple(KEYS), default="fnv")
    args = parser.parse_args(argv)
    engine = database.create(f"sqlite:///{args.database}", args.synchronous)
    database.upgrade(engine)
    engine.dispose()
    writer = Writer(args.database, args.synchronous)
    writer.start()
    uvicorn.run(
        App(writer, args.key, args.key_hash), host="127.0.0.1", port=args.port, log_level="warning"
    )


if __name__ == "__main__":
    main()
