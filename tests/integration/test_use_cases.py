"""Use cases on a real database (SQLite and PostgreSQL): what is committed, what is published."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import Engine

from tocsin.app.bus import IncidentChanged, MessageBus
from tocsin.app.clock import ManualClock
from tocsin.app.incidents import IncidentService
from tocsin.app.ports import IncidentFilter
from tocsin.core.errors import ConcurrentChange, IllegalTransition, IncidentNotFound
from tocsin.core.lifecycle import Status
from tocsin.core.scope import ALL_TENANTS, Impact, Scope
from tocsin.core.timeline import EntryKind
from tocsin.store.uow import SqlUnitOfWork


def test_declare_numbers_incidents_and_records_the_announcement(service: IncidentService) -> None:
    first = service.declare("alice", "API down", "P1")
    second = service.declare("alice", "Slow dashboard", "p3")
    assert (first.incident.id, second.incident.id) == ("INC-1", "INC-2")
    assert second.incident.severity == "P3"
    kinds = [e.kind for e in service.timeline("INC-1")]
    assert kinds == [EntryKind.DECLARED, EntryKind.MESSAGE]
    assert service.timeline(1)[1].text == first.message
    assert first.message is not None
    assert first.message.startswith("🚨 INCIDENT: API down")


def test_events_are_published_after_commit_and_never_for_refusals(
    service: IncidentService, bus: MessageBus
) -> None:
    seen: list[IncidentChanged] = []
    bus.subscribe(seen.append)
    service.declare("alice", "API down", "P1")
    service.resolve("INC-1", "alice")
    with pytest.raises(IllegalTransition):
        service.mitigate("INC-1", "alice", "too late")
    assert [[e.kind.value for e in ev.entries] for ev in seen] == [
        ["declared", "message"],
        ["resolved", "message"],
    ]


def test_a_refused_command_writes_nothing(service: IncidentService) -> None:
    service.declare("alice", "API down", "P1")
    service.acknowledge("INC-1", "alice")
    with pytest.raises(Exception, match="already acknowledged"):
        service.acknowledge("INC-1", "bob")
    assert len(service.timeline("INC-1")) == 3
    assert service.get("INC-1").acknowledged_by == "alice"


def test_a_stale_version_is_refused(service: IncidentService) -> None:
    declared = service.declare("alice", "API down", "P1").incident
    service.note("INC-1", "bob", "looking at the load balancer")
    with pytest.raises(ConcurrentChange, match="changed since version 2"):
        service.acknowledge("INC-1", "alice", version=declared.version)
    assert service.get("INC-1").acknowledged_at is None


def test_a_concurrent_save_is_refused_by_the_store(
    engine: Engine, service: IncidentService
) -> None:
    service.declare("alice", "API down", "P1")
    with SqlUnitOfWork(engine) as uow:
        stale = uow.incidents.get(1)
    service.note("INC-1", "bob", "teammate got there first")
    stale.note(stale.updated_at, "alice", "my note")
    with SqlUnitOfWork(engine) as uow, pytest.raises(ConcurrentChange):
        uow.incidents.save(stale)
    assert [e.text for e in service.timeline(1)][-1] == "teammate got there first"


def test_unknown_incident(service: IncidentService) -> None:
    with pytest.raises(IncidentNotFound, match="no incident INC-99; list open ones"):
        service.acknowledge("INC-99", "alice")


def test_find_filters_and_counts(service: IncidentService, clock: ManualClock) -> None:
    service.declare("alice", "API down", "P1", Scope(services=("api",)))
    clock.advance(timedelta(hours=2))
    service.declare("alice", "DB slow", "P2", Scope(services=("db", "api")))
    service.declare("alice", "Typo", "P4", Scope(services=("web",)))
    service.resolve("INC-3", "alice")

    def ids(**kw: object) -> list[str]:
        return [i.id for i in service.find(IncidentFilter(**kw)).items]  # type: ignore[arg-type]

    assert ids() == ["INC-3", "INC-2", "INC-1"]
    assert ids(statuses=(Status.INVESTIGATING,)) == ["INC-2", "INC-1"]
    assert ids(severities=("P1", "P4")) == ["INC-3", "INC-1"]
    assert ids(service="api") == ["INC-2", "INC-1"]
    assert ids(since=clock.now() - timedelta(minutes=5)) == ["INC-3", "INC-2"]
    page = service.find(IncidentFilter(limit=1, offset=1))
    assert ([i.id for i in page.items], page.total) == (["INC-2"], 3)


def test_scope_changes_move_the_service_filter(service: IncidentService) -> None:
    service.declare("alice", "API down", "P1", Scope(services=("api",)))
    service.change_scope("INC-1", "alice", Scope(services=("db",), tenants=ALL_TENANTS))
    assert service.find(IncidentFilter(service="api")).total == 0
    assert service.find(IncidentFilter(service="db")).total == 1
    assert service.get(1).scope.all_tenants


def test_round_trip_keeps_unicode_and_aware_utc_times(service: IncidentService) -> None:
    impact = Impact("Zahlungen schlagen fehl — 支付失败 🔥", True, "all tenants", "orders ≥ 12:00")
    service.declare("Zoë", "Paiements échoués 🔥", "P1", impact=impact, labels=["payments"])
    loaded = service.get(1)
    assert loaded.impact == impact
    assert loaded.declared_by == "Zoë"
    assert loaded.declared_at.tzinfo is not None
    assert loaded.declared_at.utcoffset() == timedelta(0)
    assert service.timeline(1)[0].at.tzinfo == UTC
