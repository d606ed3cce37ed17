"""Random command sequences through the use cases, on a real database, checking invariants:
times never go backwards, resolved is not before declared, the stored state equals the fold
of the stored timeline, and a closed incident changes only by reopen."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy import Engine

from tocsin.app.clock import ManualClock
from tocsin.app.incidents import IncidentService
from tocsin.core.errors import DomainError
from tocsin.core.incident import Incident
from tocsin.core.lifecycle import Status
from tocsin.core.scope import Impact, Scope

texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=30)
handles = st.sampled_from(["alice", "bob", "carol", "@dave"]) | st.none()
actors = st.sampled_from(["alice", "bob", "oncall"])
steps = st.integers(min_value=-300, max_value=7200).map(lambda s: timedelta(seconds=s))


class IncidentMachine(RuleBasedStateMachine):
    service: IncidentService
    clock: ManualClock

    @initialize(severity=st.sampled_from(["P1", "P2", "P3", "P4"]), title=texts)
    def declare(self, severity: str, title: str) -> None:
        try:
            self.ref = self.service.declare("alice", title or "t", severity).incident.id
        except DomainError:
            self.ref = self.service.declare("alice", "fallback title", severity).incident.id

    def attempt(self, command: str, change: Callable[[], object]) -> None:
        before = self.service.get(self.ref)
        try:
            change()
        except DomainError:
            assert self.service.get(self.ref) == before, "a refused command changed state"
            return
        assert before.status is not Status.CLOSED or command == "reopen"

    @rule(delta=steps)
    def tick(self, delta: timedelta) -> None:
        self.clock.advance(delta)

    @rule(who=actors)
    def acknowledge(self, who: str) -> None:
        self.attempt("acknowledge", lambda: self.service.acknowledge(self.ref, who))

    @rule(text=texts)
    def update(self, text: str) -> None:
        self.attempt("update", lambda: self.service.post_update(self.ref, "alice", text))

    @rule(key=st.sampled_from(["P1", "P2", "P3", "P4"]))
    def severity(self, key: str) -> None:
        self.attempt("severity", lambda: self.service.change_severity(self.ref, "bob", key))

    @rule(role=st.sampled_from(["commander", "comms", "scribe"]), person=handles)
    def assign(self, role: str, person: str | None) -> None:
        self.attempt("assign", lambda: self.service.assign(self.ref, "bob", role, person))

    @rule(
        services=st.lists(st.sampled_from(["api", "db", "web"]), unique=True),
        everyone=st.booleans(),
    )
    def scope(self, services: list[str], everyone: bool) -> None:
        new = Scope(services=tuple(services), tenants="all" if everyone else ("acme",))
        self.attempt("scope", lambda: self.service.change_scope(self.ref, "bob", new))

    @rule(customers=st.booleans() | st.none(), loss=st.none() | st.just("orders lost"))
    def impact(self, customers: bool | None, loss: str | None) -> None:
        new = Impact("summary", customers, "10", loss)
        self.attempt("impact", lambda: self.service.change_impact(self.ref, "bob", new))

    @rule(add=st.lists(st.sampled_from(["db", "deploy"])), remove=st.lists(st.just("db")))
    def label(self, add: list[str], remove: list[str]) -> None:
        self.attempt("label", lambda: self.service.relabel(self.ref, "bob", add, remove))

    @rule(text=texts)
    def mitigate(self, text: str) -> None:
        self.attempt("mitigate", lambda: self.service.mitigate(self.ref, "alice", text))

    @rule(cause=texts | st.none(), fix=texts | st.none())
    def resolve(self, cause: str | None, fix: str | None) -> None:
        self.attempt("resolve", lambda: self.service.resolve(self.ref, "alice", cause, fix))

    @rule(reason=texts)
    def reopen(self, reason: str) -> None:
        self.attempt("reopen", lambda: self.service.reopen(self.ref, "alice", reason))

    @rule()
    def close(self) -> None:
        self.attempt("close", lambda: self.service.close(self.ref, "alice"))

    @rule(text=texts)
    def note(self, text: str) -> None:
        self.attempt("note", lambda: self.service.note(self.ref, "carol", text))

    @invariant()
    def stored_state_is_the_fold_of_the_stored_timeline(self) -> None:
        stored = self.service.get(self.ref)
        timeline = self.service.timeline(self.ref)
        assert [e.seq for e in timeline] == list(range(1, len(timeline) + 1))
        assert stored.version == len(timeline)
        assert Incident.replay(timeline) == stored
        times = [e.at for e in timeline]
        assert times == sorted(times), "timeline times went backwards"
        for moment in (stored.acknowledged_at, stored.mitigated_at, stored.resolved_at):
            assert moment is None or moment >= stored.declared_at
        if stored.closed_at is not None:
            assert stored.resolved_at is not None
            assert stored.closed_at >= stored.resolved_at


@pytest.mark.parametrize("examples", [60])
def test_random_command_sequences_keep_the_invariants(
    engine: Engine,
    make_service: Callable[[Engine], IncidentService],
    clock: ManualClock,
    examples: int,
    database_url: str,
) -> None:
    IncidentMachine.service = make_service(engine)
    IncidentMachine.clock = clock
    budget = examples if database_url.startswith("sqlite") else examples // 3
    run_state_machine_as_test(
        IncidentMachine,
        settings=settings(
            max_examples=budget,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        ),
    )
