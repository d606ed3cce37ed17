"""Generate a large incident history for the quarterly review's benchmark.

    python -m bench.report.generate URL [URL ...] [--incidents 100000] [--entries 5000000]

Into each fresh database (the migrations create it), writes `--incidents` incidents declared
over the two years before 1 October 2026 (eight whole quarters) with exactly `--entries`
timeline entries between them, and what the app writes beside them: the projection row
(`projection_row`: state and public JSON), `incident_services`, the facts row
(`store/insights.py`'s `facts_values`), the `counters` row, the post-mortems of the
resolved P1 and P2 incidents (`postmortems`, `postmortem_versions`: 80 % published, some
after their due time; only those published are closed), and alerts, some of which keep
coming back. Every incident is built by the domain (`Incident.declare`, `acknowledge`,
`note`, `record_page`, `record_command`, `resolve`, `reopen`, `close`, on a fake clock), so
its projection row is the fold of its timeline; the rows are then bulk-inserted: the
timeline straight on the driver (`executemany` on SQLite, `COPY` on PostgreSQL), the rest
with SQLAlchemy Core executemany. Incidents are built once and written to every URL given.

Per incident (seeded, so every run writes the same): severity P1 5 %, P2 15 %, P3 40 %,
P4 40 %; one of 28 services and a tenant (or every tenant, or none); acknowledged in 92 %
(minutes drawn around the severity's response target), mitigated in half, resolved unless it
is among the newest 50, reopened and resolved again in 3 %, closed in 80 % of the resolved;
a person ran 1-3 runbook steps in 30 % and Tocsin a diagnostic in 20 %; the other entries are
notes, status updates, pages and messages. Not written: `runbook_runs` and the audit log
(the review does not read them), message jobs.

Prints what it wrote and how long it took, as JSON.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "src"))

import yaml  # noqa: E402
from sqlalchemy import Engine, insert, update  # noqa: E402

from tocsin.config import TocsinConfig, render_preset  # noqa: E402
from tocsin.core.incident import Incident  # noqa: E402
from tocsin.core.scope import Scope  # noqa: E402
from tocsin.core.severity import SeverityModel  # noqa: E402
from tocsin.core.timeline import EntryKind, TimelineEntry  # noqa: E402
from tocsin.store import database  # noqa: E402
from tocsin.store.insights import facts_values  # noqa: E402
from tocsin.store.repositories import projection_row  # noqa: E402
from tocsin.store.tables import (  # noqa: E402
    alerts,
    counters,
    incident_facts,
    incident_services,
    incidents,
    postmortem_versions,
    postmortems,
)

INCIDENTS = 100_000
ENTRIES = 5_000_000
END = datetime(2026, 10, 1, tzinfo=UTC)
START = datetime(2024, 10, 1, tzinfo=UTC)
BATCH = 1000
OPEN_NEWEST = 50
SEVERITIES = (("P1", 5), ("P2", 15), ("P3", 40), ("P4", 40))
SERVICES = tuple(
    f"{name}-{kind}"
    for name in ("checkout", "search", "auth", "billing", "catalog", "orders", "media")
    for kind in ("api", "worker", "db", "cache")
)
TENANTS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka")
PEOPLE = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy")
# The runbooks the benchmark's tocsin.yaml directory holds: which services each one names.
RUNBOOKS = {
    "api-errors": ("checkout-api", "search-api", "auth-api", "orders-api"),
    "database": ("checkout-db", "billing-db", "orders-db"),
    "cache": ("checkout-cache", "search-cache"),
}
ALERTS = 5000
CATEGORIES = ("capacity", "api-overload", "database", "feature-flag", "bad-deploy", "other")
FILLER_DATA: dict[EntryKind, dict[str, Any]] = {
    EntryKind.PAGE: {"person": "alice", "method": "sms", "status": "sent"},
    EntryKind.NOTE: {},
    EntryKind.STATUS_UPDATE: {},
    EntryKind.MESSAGE: {"template": "update"},
}
FILLER_JSON = {id(d): json.dumps(d) for d in FILLER_DATA.values()}
LIFECYCLE_MAX = 12  # entries besides the filler: declare, ack, steps, resolve, reopen, ...


def severity_model() -> SeverityModel:
    return TocsinConfig.model_validate(yaml.safe_load(render_preset("p1-p4"))).severity_model()


def runbook_texts() -> dict[str, str]:
    """The runbooks to put in the benchmark's runbooks directory."""
    return {
        name: f"---\nservices: [{', '.join(services)}]\n---\n# {name}\n```bash\ntrue\n```\n"
        for name, services in RUNBOOKS.items()
    }


def entry_counts(rng: random.Random, incidents: int, entries: int) -> list[int]:
    """Entries per incident, between 20 and 80 around the mean, summing to `entries`."""
    mean = entries // incidents
    counts = []
    for _ in range(incidents // 2):
        d = rng.randint(0, min(30, mean - LIFECYCLE_MAX - 2))
        counts += [mean + d, mean - d]
    if len(counts) < incidents:
        counts.append(mean)
    counts[-1] += entries - sum(counts)
    return counts


@dataclass
class Built:
    incidents: list[dict[str, Any]]
    services: list[dict[str, Any]]
    facts: list[dict[str, Any]]
    timeline: list[tuple[Any, ...]]
    postmortems: list[dict[str, Any]]
    versions: list[dict[str, Any]]


class Builder:
    def __init__(self, rng: random.Random, severities: SeverityModel, total: int) -> None:
        self.published: float | None = None
        self.rng = rng
        self.severities = severities
        self.total = total
        self.step = (END - START) / total
        self.by_service = {s: n for n, ss in RUNBOOKS.items() for s in ss}

    def incident(self, number: int, entries: int) -> tuple[Incident, list[TimelineEntry]]:
        rng = self.rng
        key = rng.choices([k for k, _ in SEVERITIES], [w for _, w in SEVERITIES])[0]
        severity = self.severities.get(key)
        service = rng.choice(SERVICES)
        r = rng.random()
        tenants: Any = "all" if r < 0.1 else (rng.choice(TENANTS),) if r < 0.7 else ()
        at = START + self.step * (number - 1) + timedelta(seconds=rng.randint(0, 60))
        who = rng.choice(PEOPLE)
        inc = Incident.declare(
            number, f"{service} errors above threshold", severity, at, who,
            Scope(services=(service,), tenants=tenants),
        )  # fmt: skip
        target = (severity.response_target or timedelta(hours=1)).total_seconds()
        open_ = number > self.total - OPEN_NEWEST
        plan: list[str] = []
        if rng.random() < 0.92:
            plan.append("ack")
        if rng.random() < 0.2:
            plan.append("diag")
        if rng.random() < 0.3:
            plan += ["step"] * rng.randint(1, 3)
        if rng.random() < 0.5:
            plan.append("mitigate")
        if not open_:
            plan.append("resolve")
            if rng.random() < 0.03:
                plan += ["reopen", "resolve"]
            # A required post-mortem: published (by the due time or after) or not; an
            # incident whose required one is unpublished cannot be closed.
            self.published = (
                rng.uniform(0.1, 1.4) if severity.postmortem_required and rng.random() < 0.8
                else None
            )  # fmt: skip
            unpublished = severity.postmortem_required and self.published is None
            if rng.random() < 0.8 and not unpublished:
                plan.append("close")
        filler = entries - 1 - len(plan)
        ttr = rng.uniform(0.5, 12) * 3600
        gap = timedelta(seconds=ttr / (filler + len(plan) + 1))
        now = at

        def tick() -> datetime:
            nonlocal now
            now += gap
            return now

        for step in plan:
            if step in ("mitigate", "resolve"):  # the chatter comes before the fix
                for _ in range(filler):
                    self._filler(inc, tick())
                filler = 0
            if step == "ack":
                inc.acknowledge(at + timedelta(seconds=rng.uniform(0.2, 2.5) * target), who)
                now = max(now, inc.updated_at)
            elif step == "diag":
                inc.record_command(tick(), "tocsin", "First look: exit 0", self._run("diagnostic"))
            elif step == "step":
                rb = self.by_service.get(service, "api-errors")
                inc.record_command(tick(), who, "Step: exit 0", self._run("mitigation", rb))
            elif step == "mitigate":
                inc.mitigate(tick(), who, "rolled back")
            elif step == "resolve":
                inc.resolve(tick(), who, severity)
            elif step == "reopen":
                inc.reopen(tick() + timedelta(hours=1), who, "errors again")
            elif step == "close":
                inc.close(tick(), who)
        for _ in range(filler):  # open incidents: their entries so far
            self._filler(inc, tick())
        if inc.version != entries:
            raise AssertionError(f"INC-{number}: {inc.version} entries, not {entries}")
        return inc, list(inc.pending)

    def _filler(self, inc: Incident, at: datetime) -> None:
        """One of the everyday entries, folded by the aggregate (`apply`) without the
        commands' checks of their (constant, valid) text: most of the 5 million rows."""
        r = self.rng.random()
        if r < 0.35:
            kind, actor, text = EntryKind.PAGE, "tocsin", "Paged alice by sms: sent"
        elif r < 0.6:
            kind, actor, text = EntryKind.NOTE, "bob", "Looked at the dashboards; errors flat"
        elif r < 0.8 and inc.status.is_open:
            kind, actor, text = EntryKind.STATUS_UPDATE, "carol", "Still investigating"
        else:
            kind, actor, text = EntryKind.MESSAGE, "tocsin", "UPDATE: investigating"
        entry = TimelineEntry(
            inc.version + 1, kind, max(at, inc.updated_at), actor, text, FILLER_DATA[kind]
        )
        inc.apply(entry)
        inc.pending.append(entry)

    def _postmortem(self, inc: Incident, built: Built) -> None:
        """What the post-mortems' store holds for a resolved incident whose severity requires
        one: the row with its due date, and draft, in_review and published versions (the
        published one `self.published` due periods after the resolve, so some are late)."""
        if inc.postmortem_due is None or inc.resolved_at is None:
            return
        due, published = inc.postmortem_due, self.published
        row = {"incident": inc.number, "due": due, "version": 0, "status": None,
               "published_version": None, "author": "alice", "category": None,
               "updated_at": inc.resolved_at}  # fmt: skip
        if published is not None:
            category = self.rng.choice(CATEGORIES)
            at = inc.resolved_at + (due - inc.resolved_at) * published
            for number, status in enumerate(("draft", "in_review", "published"), 1):
                built.versions.append({
                    "incident": inc.number, "version": number, "status": status,
                    "text": "# Post-mortem\n", "author": "alice", "category": category,
                    "saved_by": "alice", "saved_at": at - timedelta(hours=3 - number),
                    "action": ("draft", "review", "publish")[number - 1],
                })  # fmt: skip
            row |= {"version": 3, "status": "published", "published_version": 3,
                    "category": category, "updated_at": at}  # fmt: skip
        built.postmortems.append(row)

    def _run(self, kind: str, runbook: str = "first-look") -> dict[str, Any]:
        return {"runbook": runbook, "step": 1, "kind": kind, "status": "succeeded",
                "exit_code": 0, "command": "true", "output": ""}  # fmt: skip

    def batch(self, first: int, counts: list[int]) -> Built:
        built = Built([], [], [], [], [], [])
        for offset, count in enumerate(counts):
            inc, entries = self.incident(first + offset, count)
            built.incidents.append(projection_row(inc))
            built.services.extend(
                {"incident": inc.number, "service": s} for s in inc.scope.services
            )
            built.facts.append(facts_values(inc, entries))
            self._postmortem(inc, built)
            built.timeline.extend(
                (
                    inc.number,
                    e.seq,
                    e.kind.value,
                    e.at,
                    e.actor,
                    e.text,
                    FILLER_JSON.get(id(e.data)) or json.dumps(e.data),
                )
                for e in entries
            )
        return built


def alert_rows(rng: random.Random) -> list[dict[str, Any]]:
    rows = []
    for i in range(ALERTS):
        service = rng.choice(SERVICES)
        first = START + (END - START) * rng.random()
        flaps = rng.choice((0, 0, 0, 0, 1, 2, 3, 5, 8))
        rows.append({
            "integration": "prometheus", "dedup_key": f"alert-{i}", "status": "resolved",
            "summary": f"{service} HighErrorRate", "source_severity": "critical",
            "severity": "P2", "service": service, "group_key": f"g{i % 500}", "labels": {},
            "annotations": {}, "source_url": None, "first_seen": first,
            "last_seen": first + timedelta(hours=flaps * 6 + 1), "starts_at": first,
            "ends_at": None, "count": 1 + 2 * flaps, "flaps": flaps,
            "incident": None, "suppressed_by": None, "acknowledged": False,
        })  # fmt: skip
    return rows


# -- writing -------------------------------------------------------------------------------


def _sqlite_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def write_timeline(engine: Engine, rows: list[tuple[Any, ...]]) -> None:
    """Straight on the driver: COPY on PostgreSQL, executemany on SQLite."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        if engine.dialect.name == "postgresql":
            columns = "incident, seq, kind, at, actor, text, data"
            with cursor.copy(f"COPY timeline_entries ({columns}) FROM STDIN") as copy:  # type: ignore[attr-defined]
                for row in rows:
                    copy.write_row(row)
        else:
            cursor.executemany(
                "INSERT INTO timeline_entries (incident, seq, kind, at, actor, text, data) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [(n, s, k, _sqlite_time(a), who, t, d) for n, s, k, a, who, t, d in rows],
            )
        raw.commit()
    finally:
        raw.close()


def write(engine: Engine, built: Built) -> None:
    with engine.begin() as conn:
        conn.execute(insert(incidents), built.incidents)
        conn.execute(insert(incident_services), built.services)
        conn.execute(insert(incident_facts), built.facts)
        if built.postmortems:
            conn.execute(insert(postmortems), built.postmortems)
        if built.versions:
            conn.execute(insert(postmortem_versions), built.versions)
    write_timeline(engine, built.timeline)


def batches(counts: list[int]) -> Iterator[tuple[int, list[int]]]:
    for start in range(0, len(counts), BATCH):
        yield start + 1, counts[start : start + BATCH]


def generate(urls: list[str], incidents: int = INCIDENTS, entries: int = ENTRIES) -> dict[str, Any]:
    rng = random.Random(20260930)  # noqa: S311 - a benchmark's data
    engines = []
    for url in urls:
        engine = database.create(url)
        database.upgrade(engine)
        engines.append(engine)
    t0 = time.perf_counter()
    counts = entry_counts(rng, incidents, entries)
    builder = Builder(rng, severity_model(), incidents)
    building = writing = 0.0
    for first, chunk in batches(counts):
        b0 = time.perf_counter()
        built = builder.batch(first, chunk)
        building += time.perf_counter() - b0
        w0 = time.perf_counter()
        for engine in engines:
            write(engine, built)
        writing += time.perf_counter() - w0
    extra = alert_rows(rng)
    for engine in engines:
        with engine.begin() as conn:
            conn.execute(insert(alerts), extra)
            conn.execute(
                update(counters).where(counters.c.name == "incident").values(value=incidents)
            )
        if engine.dialect.name == "postgresql":
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
        engine.dispose()
    return {
        "incidents": incidents,
        "timeline_entries": sum(counts),
        "alerts": len(extra),
        "build_s": round(building, 1),
        "write_s": round(writing, 1),
        "total_s": round(time.perf_counter() - t0, 1),
        "databases": [u.split("://")[0] for u in urls],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("urls", nargs="+", help="SQLAlchemy URLs of fresh databases")
    parser.add_argument("--incidents", type=int, default=INCIDENTS)
    parser.add_argument("--entries", type=int, default=ENTRIES)
    args = parser.parse_args()
    print(json.dumps(generate(args.urls, args.incidents, args.entries)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
