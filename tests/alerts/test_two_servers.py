"""Two `tocsin serve` processes on one PostgreSQL database, both receiving alerts for the same
group at the same moment: every alert is stored once, the group is counted exactly, one
incident is declared, and no sender ever sees a conflict or a 5xx."""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.alerts.test_durability import TOCSIN, free_port, start_server
from tests.support.postgres import fresh_database
from tocsin.config import render_preset
from tocsin.integrations.sources.fields import fingerprint

pytestmark = pytest.mark.postgres

ROUTES = """
routing:
  routes:
    - match: ["service=~.+"]
      group_by: [alertname]
      declare: auto
"""
CLIENTS_PER_SERVER = 4
BATCHES = 25
PER_BATCH = 4
KEYS = 40  # fewer keys than posts: both servers insert the same new alerts at once


def labels(n: int) -> dict[str, str]:
    return {"alertname": "HighErrorRate", "service": "api", "severity": "critical", "pod": f"p{n}"}


def batch(client: int, b: int) -> list[int]:
    """Alert numbers for one post: distinct within a post, overlapping across clients."""
    start = (client * 7 + b * PER_BATCH) % KEYS
    return [(start + i) % KEYS for i in range(PER_BATCH)]


def post(url: str, client: int, go: threading.Barrier, answers: list[int]) -> None:
    with httpx.Client(timeout=30) as http:
        go.wait()
        for b in range(BATCHES):
            body = [{"labels": labels(n)} for n in batch(client, b)]
            answers.append(http.post(url, json=body).status_code)


def test_two_servers_store_and_count_one_group_exactly(
    tmp_path: Path, postgres_admin_url: str
) -> None:
    url = fresh_database(postgres_admin_url, f"tocsin_two_{os.getpid()}")
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4") + ROUTES, encoding="utf-8")
    env = {**os.environ, "TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": url}
    env.pop("TOCSIN_URL", None)
    made = subprocess.run(
        [*TOCSIN, "integration", "add", "prom", "--source", "alertmanager", "--json"],
        env=env, capture_output=True, check=True,
    )  # fmt: skip
    key = json.loads(made.stdout)["key"]
    ports = [free_port(), free_port()]
    servers = [start_server(env, port, tmp_path / f"server{port}.log") for port in ports]
    try:
        answers: list[int] = []
        clients = len(ports) * CLIENTS_PER_SERVER
        go = threading.Barrier(clients)
        threads = [
            threading.Thread(
                target=post,
                args=(
                    f"http://127.0.0.1:{ports[c % 2]}/ingest/prometheus/{key}/api/v2/alerts",
                    c,
                    go,
                    answers,
                ),
            )
            for c in range(clients)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)

    assert len(answers) == clients * BATCHES
    assert sorted(set(answers)) == [200], f"answers: {sorted(set(answers))}"
    posted = [n for c in range(clients) for b in range(BATCHES) for n in batch(c, b)]
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            keys = [r[0] for r in conn.execute(text("SELECT dedup_key FROM alerts"))]
            counts = conn.execute(text("SELECT sum(count) FROM alerts")).scalar_one()
            group = conn.execute(text("SELECT alerts, events, incident FROM alert_groups")).all()
            incidents = conn.execute(text("SELECT count(*) FROM incidents")).scalar_one()
    finally:
        engine.dispose()
    assert sorted(keys) == sorted({fingerprint(labels(n)) for n in posted})
    assert counts == len(posted)  # every event counted on its alert, none lost to a race
    assert len(group) == 1
    alerts, events, incident = group[0]
    assert (alerts, events) == (len(set(posted)), len(posted))
    assert incidents == 1
    assert incident == 1
