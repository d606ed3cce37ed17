"""Seed a Tocsin database fast: 10,000 incidents and 500,000 timeline entries.

Every incident is built by the domain itself (`Incident.declare` and its commands, on a fake
clock that moves forward a few minutes per entry; messages rendered by the default templates as
`IncidentService` does), so the projection row is exactly the fold of its timeline. The rows are
then bulk-inserted with SQLAlchemy Core `insert(table)` executemany, one transaction per batch of
incidents, into a database the migrations created.

    python -m bench.api_latency.seed URL [--incidents N]     # prints the figures as JSON

run.py calls `seed` in a subprocess with the served checkout's `src/` on PYTHONPATH (and that
checkout's own copy of this file when it has one), so each checkout it compares gets rows
built and migrated by its own code. Keep `seed(url)` callable that way.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import yaml
from sqlalchemy import Engine, insert, update

from tocsin.app import messages
from tocsin.app.messages import DEFAULT_TEMPLATES
from tocsin.config import TocsinConfig, render_preset
from tocsin.core import search
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Role, Scope
from tocsin.core.severity import SeverityModel
from tocsin.integrations.notifiers.renderers.jinja import JinjaRenderer
from tocsin.store import database
from tocsin.store.repositories import projection_row
from tocsin.store.tables import (
    counters,
    incident_search,
    incident_services,
    incidents,
    timeline_entries,
)

SEED_VERSION = 1
"""Bump when what `seed` writes changes: cached SQLite files are keyed by it."""
INCIDENTS = 10_000
TIMELINE_ENTRIES = 500_000
BATCH_INCIDENTS = 500
PRESET = "p1-p4"
START = datetime(2024, 11, 22, 0, 0, tzinfo=UTC)
SPAN = timedelta(days=730)
OPEN_NEWEST = 15
"""The newest incidents are still open (investigating or mitigated)."""
RESOLVED_NEWEST = 40
"""The next newest are resolved, waiting for their post-mortem before being closed."""

# Template name -> (weight, fewest entries, most entries, severities to draw from).
TEMPLATES: dict[str, tuple[int, int, int, tuple[str, ...]]] = {
    "minor": (60, 10, 20, ("P3", "P4", "P4")),
    "standard": (30, 45, 95, ("P2", "P3", "P3")),
    "major": (10, 120, 280, ("P1", "P1", "P2")),
}
SERVICES = tuple(
    f"{name}-{kind}"
    for name in ("checkout", "search", "auth", "billing", "catalog", "orders", "media")
    for kind in ("api", "worker", "db", "cache")
)
TENANTS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka")
ENDPOINTS = ("/api/v2/orders", "/api/v2/search", "/login", "/checkout", "/api/v2/invoices")
PEOPLE = (
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "niaj", "olivia", "peggy", "rupert", "sybil", "trent", "victor", "walter", "yuki", "zoe",
)  # fmt: skip
TITLES = (
    "Elevated 5xx rate on {service}",
    "{service} p99 latency above SLO",
    "Checkout failing for {tenant} customers",
    "{service} pods crash-looping after deploy",
    "Replication lag on {service}",
    "Partial outage: {service} unreachable from eu-west",
    "Login errors for {tenant} SSO users",
    "Queue backlog growing on {service}",
)
SENTENCES = (
    "Error rate is back under 1% after the rollback; we keep watching the dashboards.",
    "We traced the spike to a connection pool exhausted by a slow query on the primary.",
    "Customers on the EU cluster see timeouts on checkout; US and APAC are unaffected.",
    "The on-call DBA is failing the replica over; expect a few seconds of read errors.",
    "Support has 37 open tickets about this; status page updated at the same time.",
    "A config change shipped at 02:40 UTC is the prime suspect; a revert is in review.",
    "Latency p99 went from 180 ms to 2.4 s; p50 is unchanged, so it is a tail problem.",
    "We scaled the worker pool from 12 to 30 replicas; the backlog is draining slowly.",
    "No data loss so far: writes are queued and will be replayed once the broker is back.",
    "Next update in 30 minutes, or earlier if anything changes.",
    "The vendor confirmed an incident on their side and is working on a fix.",
    "Synthetic checks are green again in all regions; keeping the incident open for now.",
)
NOTES = (
    "Grafana dashboard: https://grafana.example.com/d/abc123/checkout?from=now-6h",
    "Paged the payments team; Heidi joins the bridge.",
    "Timeline cross-checked with the deploy log; the canary went out at 02:31.",
    "Customer comms drafted, waiting for legal to approve the wording.",
    "Runbook step 4 did not apply: the feature flag was already off.",
    "Follow-up: add an alert on connection pool saturation.",
)


@dataclass(frozen=True, slots=True)
class SeedStats:
    incidents: int
    entries: int
    services: int
    seconds: float


def severity_model() -> SeverityModel:
    return TocsinConfig.model_validate(yaml.safe_load(render_preset(PRESET))).severity_model()


def plan(rng: random.Random, count: int = INCIDENTS) -> list[tuple[str, int]]:
    """(template, number of entries) for each incident; the entries add up exactly (50 per
    incident on average, 500,000 for the default 10,000)."""
    names = list(TEMPLATES)
    weights = [TEMPLATES[n][0] for n in names]
    chosen = rng.choices(names, weights, k=count)
    sizes = [rng.randint(TEMPLATES[n][1], TEMPLATES[n][2]) for n in chosen]
    diff = count * (TIMELINE_ENTRIES // INCIDENTS) - sum(sizes)
    order = list(range(count))
    while diff:
        rng.shuffle(order)
        for i in order:
            if diff == 0:
                break
            low, high = TEMPLATES[chosen[i]][1:3]
            step = 1 if diff > 0 else -1
            if low <= sizes[i] + step <= high:
                sizes[i] += step
                diff -= step
    return list(zip(chosen, sizes, strict=True))


class _Builder:
    """Builds one incident through the domain, the way IncidentService would."""

    def __init__(self, rng: random.Random, severities: SeverityModel) -> None:
        self.rng = rng
        self.severities = severities
        self.renderer = JinjaRenderer(DEFAULT_TEMPLATES, {})
        self.now = START

    def tick(self) -> datetime:
        self.now += timedelta(minutes=self.rng.randint(1, 20), seconds=self.rng.randint(0, 59))
        return self.now

    def person(self) -> str:
        return self.rng.choice(PEOPLE)

    def message(self, incident: Incident, template: str, actor: str, **extra: str) -> None:
        severity = self.severities.get(incident.severity)
        ctx = messages.context(incident, severity, self.now, **extra)
        incident.record_message(self.now, actor, template, self.renderer.render(template, ctx))

    def update_text(self) -> str:
        return " ".join(self.rng.sample(SENTENCES, self.rng.randint(1, 3)))

    def filler(self, incident: Incident, count: int, *, updates: bool) -> None:
        """`count` entries of status updates (each with its message) and notes."""
        rng = self.rng
        while count > 0:
            self.tick()
            actor = self.person()
            if updates and count >= 2 and rng.random() < 0.55:
                text = self.update_text()
                incident.post_update(self.now, actor, text)
                self.message(incident, messages.UPDATE, actor, text=text)
                count -= 2
            else:
                incident.note(self.now, actor, rng.choice(NOTES))
                count -= 1

    def build(
        self, number: int, template: str, size: int, declared_at: datetime, status: Status
    ) -> Incident:
        rng = self.rng
        self.now = declared_at
        services = rng.sample(SERVICES, rng.randint(1, 3))
        tenants: tuple[str, ...] | Literal["all"] = (
            "all" if rng.random() < 0.2 else tuple(rng.sample(TENANTS, rng.randint(1, 3)))
        )
        severity = self.severities.get(rng.choice(TEMPLATES[template][3]))
        title = rng.choice(TITLES).format(service=services[0], tenant=rng.choice(TENANTS))
        commander = self.person()
        incident = Incident.declare(
            number,
            title,
            severity,
            declared_at,
            commander,
            scope=Scope(tuple(services), tenants, tuple(rng.sample(ENDPOINTS, 1))),
            impact=Impact("Being assessed", customer_impact=None),
            labels=[template, services[0].split("-")[0]],
            commander=commander,
        )
        self.message(incident, messages.ANNOUNCEMENT, commander)
        incident.acknowledge(self.tick(), self.person())
        head = 3
        if template != "minor":
            incident.assign(self.tick(), commander, Role.COMMS, self.person())
            incident.assign(self.tick(), commander, Role.SCRIBE, self.person())
            incident.change_scope(
                self.tick(), commander, incident.scope.merged(services=[*services, "edge-api"])
            )
            incident.change_impact(
                self.tick(),
                commander,
                Impact(
                    "Checkout requests fail for about 12% of EU customers",
                    customer_impact=True,
                    users_affected="~4,000",
                ),
            )
            incident.relabel(self.tick(), commander, add=["customer-facing"])
            head += 5
        if template == "major":
            worse = self.severities.get("P1" if incident.severity != "P1" else "P2")
            incident.change_severity(self.tick(), commander, worse, "blast radius grew")
            head += 1
        tail = {
            Status.INVESTIGATING: 0,
            Status.MITIGATED: 2,
            Status.RESOLVED: 4,
            Status.CLOSED: 6,
        }[status]
        rest = max(0, size - head - tail)
        if status is Status.INVESTIGATING:
            self.filler(incident, rest, updates=True)
            return incident
        before = rest * 7 // 10 if status is not Status.MITIGATED else rest // 2
        self.filler(incident, before, updates=True)
        action = "rolled back the 02:40 config change and restarted the api pods"
        incident.mitigate(self.tick(), commander, action)
        self.message(incident, messages.MITIGATED, commander)
        if status is Status.MITIGATED:
            self.filler(incident, rest - before, updates=True)
            return incident
        after = rest - before
        self.filler(incident, after - after // 5, updates=True)
        sev = self.severities.get(incident.severity)
        cause = "a connection pool too small for the retry storm after a config change"
        incident.resolve(self.tick(), commander, sev, cause, "pool resized, retries capped")
        self.message(incident, messages.RESOLVED, commander)
        self.filler(incident, after // 5, updates=False)
        if status is Status.CLOSED:
            incident.note(self.tick(), self.person(), "Post-mortem reviewed; action items filed.")
            incident.close(self.tick(), commander)
        return incident


def _status(number: int, rng: random.Random, count: int) -> Status:
    if number > count - OPEN_NEWEST:
        return rng.choice((Status.INVESTIGATING, Status.MITIGATED))
    if number > count - OPEN_NEWEST - RESOLVED_NEWEST or rng.random() < 0.03:
        return Status.RESOLVED
    return Status.CLOSED


def generate(
    seed: int = SEED_VERSION, count: int = INCIDENTS
) -> Iterator[tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]]:
    """Batches of (incident rows, incident_services rows, timeline_entries rows)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible data, not secrets
    builder = _Builder(rng, severity_model())
    slot = SPAN / count
    rows: list[dict[str, Any]] = []
    services: list[dict[str, Any]] = []
    entries: list[dict[str, Any]] = []
    for number, (template, size) in enumerate(plan(rng, count), start=1):
        declared_at = START + slot * (number - 1) + slot * rng.random() * 0.5
        status = _status(number, rng, count)
        incident = builder.build(number, template, size, declared_at, status)
        if len(incident.pending) != size:
            raise AssertionError(f"INC-{number}: {len(incident.pending)} entries, want {size}")
        rows.append(projection_row(incident))
        services.extend({"incident": number, "service": s} for s in incident.scope.services)
        entries.extend(
            {
                "incident": number,
                "seq": e.seq,
                "kind": e.kind.value,
                "at": e.at,
                "actor": e.actor,
                "text": e.text,
                "data": e.data,
            }
            for e in incident.pending
        )
        if len(rows) == BATCH_INCIDENTS:
            yield rows, services, entries
            rows, services, entries = [], [], []
    if rows:
        yield rows, services, entries


def search_rows(rows: list[dict[str, Any]], entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The `incident_search` rows the repository would have written for these incidents."""
    written: dict[int, list[str]] = {row["number"]: [row["title"]] for row in rows}
    kinds = {k.value for k in search.SEARCHED_KINDS}
    for e in entries:
        if e["kind"] in kinds:
            written[e["incident"]].append(e["text"])
    return [{"incident": n, "text": search.searchable(texts)} for n, texts in written.items()]


def seed(url: str, count: int = INCIDENTS) -> SeedStats:
    """Migrate the empty database at `url` and fill it with `count` incidents."""
    started = time.perf_counter()
    engine = database.create(url)
    try:
        database.upgrade(engine)
        stats = fill(engine, count)
    finally:
        engine.dispose()
    return SeedStats(stats.incidents, stats.entries, stats.services, time.perf_counter() - started)


def fill(engine: Engine, count: int = INCIDENTS) -> SeedStats:
    started = time.perf_counter()
    counts = [0, 0, 0]
    for rows, services, entries in generate(count=count):
        with engine.begin() as conn:
            conn.execute(insert(incidents), rows)
            conn.execute(insert(incident_services), services)
            conn.execute(insert(timeline_entries), entries)
            conn.execute(insert(incident_search), search_rows(rows, entries))
        counts[0] += len(rows)
        counts[1] += len(entries)
        counts[2] += len(services)
    with engine.begin() as conn:
        conn.execute(update(counters).where(counters.c.name == "incident").values(value=counts[0]))
    if engine.dialect.name == "postgresql":
        # What autovacuum would have done long before anybody looked at 10,000 incidents.
        # And a checkpoint now, not in the middle of a measurement.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
            conn.exec_driver_sql("CHECKPOINT")
    return SeedStats(counts[0], counts[1], counts[2], time.perf_counter() - started)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Seed a migrated-empty Tocsin database.")
    parser.add_argument("url", help="SQLAlchemy URL of an empty database")
    parser.add_argument("--incidents", type=int, default=INCIDENTS, help="50 entries each")
    args = parser.parse_args(argv)
    stats = seed(args.url, args.incidents)
    print(json.dumps(asdict(stats)))


if __name__ == "__main__":
    main()
