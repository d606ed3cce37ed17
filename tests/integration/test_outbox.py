"""The unit of work's outbox: handlers run inside the transaction, before COMMIT, for every
declare path (CLI, API, web, alerts), and what they write is stored with the change or not
at all. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.app.ports import IncidentFilter, UnitOfWork
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.incident import Incident
from tocsin.core.jobs import JobSpec
from tocsin.core.timeline import EntryKind, TimelineEntry
from tocsin.integrations.sources.fields import fingerprint


def firing(name: str) -> AlertIn:
    labels = {"alertname": name, "service": "api", "severity": "critical"}
    return AlertIn(
        "alertmanager",
        fingerprint(labels),
        AlertAction.TRIGGER,
        f"{name} firing",
        severity="critical",
        labels=labels,
    )


class Recorder:
    """A `declared` handler that writes a row in the transaction it runs in."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[tuple[str, str, str]] = []
        self.fail = fail

    def __call__(self, uow: UnitOfWork, incident: Incident, entry: TimelineEntry) -> None:
        # Inside the same transaction: the incident is readable before COMMIT.
        stored = uow.incidents.get(incident.number)
        self.seen.append((incident.id, stored.title, entry.actor))
        spec = JobSpec("test.announce", {"incident": incident.id}, entry.at, incident.number,
                       key=f"announce:{incident.number}")  # fmt: skip
        uow.jobs.schedule(spec)
        if self.fail:
            raise RuntimeError("handler broke")


def jobs(tocsin: Tocsin) -> list[str]:
    """The follow-up work the handler scheduled, as stored."""
    found = tocsin.jobs.find((), 100)
    return sorted(f"{j.kind} {j.payload['incident']}" for j in found if j.kind == "test.announce")


def test_a_declared_handler_runs_for_every_declare_path(
    tocsin: Tocsin, api: TestClient, role_tokens: dict[str, str]
) -> None:
    recorder = Recorder()
    tocsin.handlers.on(EntryKind.DECLARED, recorder)
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))  # auto-declare

    tocsin.incidents.declare("alice", "Declared from the CLI", "P2")  # what `tocsin declare` calls
    answer = api.post(
        "/api/v1/incidents",
        json={"title": "Declared from the API", "severity": "P3"},
        headers=bearer(role_tokens["responder"]),
    )
    assert answer.status_code == 201, answer.text
    result = tocsin.alerts.ingest("prod-am", Parsed(alerts=[firing("HighErrorRate")]))
    assert result.declared == ["INC-3"]

    assert [s[:2] for s in recorder.seen] == [
        ("INC-1", "Declared from the CLI"),
        ("INC-2", "Declared from the API"),
        ("INC-3", "HighErrorRate firing"),
    ]
    assert jobs(tocsin) == [
        "test.announce INC-1",
        "test.announce INC-2",
        "test.announce INC-3",
    ]
    # The alert-declared incident took the same path: the announcement, then the summary.
    kinds = [e.kind for e in tocsin.incidents.timeline("INC-3")]
    assert kinds[:3] == [EntryKind.DECLARED, EntryKind.MESSAGE, EntryKind.ALERTS]


def test_a_failing_handler_undoes_the_change_it_reacted_to(tocsin: Tocsin) -> None:
    tocsin.handlers.on(EntryKind.DECLARED, Recorder(fail=True))
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    with pytest.raises(RuntimeError, match="handler broke"):
        tocsin.incidents.declare("alice", "Never stored", "P2")
    with pytest.raises(RuntimeError, match="handler broke"):
        tocsin.alerts.ingest("prod-am", Parsed(alerts=[firing("DiskFull")]))
    assert tocsin.incidents.find(IncidentFilter()).total == 0
    assert jobs(tocsin) == []


def test_handlers_see_every_kind_of_entry_in_order(tocsin: Tocsin) -> None:
    seen: list[str] = []
    for kind in EntryKind:
        tocsin.handlers.on(kind, lambda uow, incident, entry: seen.append(entry.kind.value))
    tocsin.incidents.declare("alice", "API down", "P1")
    tocsin.incidents.acknowledge("INC-1", "bob")
    tocsin.incidents.resolve("INC-1", "bob", "bad deploy", "rolled back")
    assert seen == ["declared", "message", "acknowledged", "resolved", "message"]
