"""Action items stored and read back on SQLite and PostgreSQL: create from an incident, the
runbook link, edit, status, lists (incident, owner, overdue), the timeline notes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest

from tests.action_items.helpers import SQLITE_ONLY
from tocsin.app.action_items import ActionItems, Changes
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.action_items import (
    ActionItem,
    Category,
    Draft,
    Export,
    ItemStatus,
    Priority,
    TrackerKind,
)
from tocsin.core.errors import IncidentNotFound, InvalidInput, NotFound
from tocsin.core.timeline import EntryKind
from tocsin.store.uow import SqlUnitOfWork


def test_an_item_is_stored_with_every_field_and_read_back(
    wired: Tocsin, incident: int, add_item: Callable[..., ActionItem]
) -> None:
    item = add_item(
        "Add a replica lag alert", deadline="2026-12-01", priority="high",
        labels=("database", "incident"), category="add monitoring/alerts", postmortem="PM-1",
    )  # fmt: skip
    got = wired.action_items.get(item.ref)
    assert got == item
    assert (got.id, got.incident, got.owner) == (item.id, incident, "alice")
    assert got.deadline == date(2026, 12, 1)
    assert got.priority is Priority.P2
    assert got.labels == ("incident", "database")
    assert got.category is Category.ADD_MONITORING
    assert got.status is ItemStatus.OPEN
    assert got.postmortem == "PM-1"
    assert got.runbook is None


def test_for_incident_reads_inside_the_callers_transaction(
    wired: Tocsin, incident: int, add_item: Callable[..., ActionItem]
) -> None:
    first = add_item("Later", deadline="2026-12-20")
    second = add_item("Sooner", deadline="2026-12-02")
    third = add_item("No deadline")
    other = wired.incidents.declare("bob", "Other", "P4").incident.number
    wired.action_items.add(other, Draft("Elsewhere", "bob"), "bob")
    with SqlUnitOfWork(wired.engine, write=False) as uow:
        found = ActionItems.for_incident(uow, incident)
    assert [i.id for i in found] == [second.id, first.id, third.id]


@SQLITE_ONLY
def test_update_runbooks_links_the_services_runbook_file(
    wired: Tocsin, add_item: Callable[..., ActionItem]
) -> None:
    item = add_item("Add the replica step", category="update runbooks")
    assert item.category is Category.UPDATE_RUNBOOKS
    assert item.runbook == "runbooks/payments-down.md"


@SQLITE_ONLY
def test_a_runbook_named_is_linked_by_its_path_and_other_categories_get_none(
    wired: Tocsin, add_item: Callable[..., ActionItem]
) -> None:
    assert add_item("Fix the pool", category="fix root cause").runbook is None
    named = add_item("Step 3 is wrong", category="update-runbooks", runbook="payments-down")
    assert named.runbook == "runbooks/payments-down.md"


@SQLITE_ONLY
def test_an_update_runbooks_item_for_a_service_without_a_runbook_has_no_link(
    wired: Tocsin,
) -> None:
    number = wired.incidents.declare("bob", "Search slow", "P4").incident.number
    item = wired.action_items.add(
        number, Draft("Write one", "bob", category="update runbooks"), "bob"
    )
    assert item.runbook is None


@SQLITE_ONLY
def test_creating_an_item_notes_it_on_the_incident_timeline(
    wired: Tocsin, incident: int, add_item: Callable[..., ActionItem]
) -> None:
    item = add_item("Add a replica lag alert", deadline="2026-12-01")
    wired.action_items.set_status(item.ref, "done", "bob")
    notes = [e for e in wired.incidents.timeline(incident) if e.kind is EntryKind.NOTE]
    assert [n.text for n in notes] == [
        f"Action item {item.ref} added: Add a replica lag alert (owner @alice, P3, due 2026-12-01)",
        f"Action item {item.ref} is done: Add a replica lag alert",
    ]
    assert notes[1].actor == "bob"


@SQLITE_ONLY
def test_an_item_can_be_added_to_a_closed_incident_without_a_note(
    wired: Tocsin, incident: int
) -> None:
    for step in ("resolve", "close"):
        getattr(wired.incidents, step)(f"INC-{incident}", "alice")
    before = len(wired.incidents.timeline(incident))
    item = wired.action_items.add(incident, Draft("Still to do", "alice"), "alice")
    assert wired.action_items.get(item.id).title == "Still to do"
    assert len(wired.incidents.timeline(incident)) == before


@SQLITE_ONLY
def test_edit_changes_only_what_is_given_and_bumps_the_revision(
    wired: Tocsin, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item("Old title", deadline="2026-12-01")
    clock.advance(timedelta(hours=1))
    edited = wired.action_items.edit(item.ref, Changes(title="New title", owner="bob"), "alice")
    assert (edited.title, edited.owner, edited.deadline) == ("New title", "bob", date(2026, 12, 1))
    assert edited.revision == item.revision + 1
    assert edited.updated_at == clock.now()
    assert wired.action_items.get(item.id) == edited
    same = wired.action_items.edit(item.ref, Changes(title="New title"), "alice")
    assert same.revision == edited.revision  # nothing changed, nothing written


def test_done_sets_closed_at_and_reopening_clears_it(
    wired: Tocsin, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    done = wired.action_items.set_status(item.ref, "done", "alice")
    assert done.closed_at == clock.now()
    again = wired.action_items.set_status(item.ref, "open", "alice")
    assert again.closed_at is None
    assert again.status is ItemStatus.OPEN


def test_lists_by_incident_owner_and_overdue(
    wired: Tocsin, incident: int, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    late = add_item("Late", deadline="2026-11-23")
    done_late = add_item("Done late", deadline="2026-11-23")
    future = add_item("Future", deadline="2026-12-30", owner="bob")
    undated = add_item("Undated")
    wired.action_items.set_status(done_late.ref, "done", "alice")
    clock.advance(timedelta(days=3))  # 2026-11-25: the 23rd has passed
    assert [i.id for i in wired.action_items.list(overdue=True)] == [late.id]
    assert [i.id for i in wired.action_items.list(owner="bob")] == [future.id]
    found = wired.action_items.list(incident=f"INC-{incident}")
    assert {i.id for i in found} == {late.id, done_late.id, future.id, undated.id}
    assert found[-1].id == undated.id  # no deadline: last


def test_export_state_is_kept_per_tracker(
    wired: Tocsin, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    state = Export(TrackerKind.JIRA, "OPS-4", "https://j/browse/OPS-4", "new", None, clock.now())
    with SqlUnitOfWork(wired.engine) as uow:
        uow.action_items.put_export(item.id, Export(TrackerKind.GITHUB, last_error="down"))
        uow.action_items.put_export(item.id, state)
        uow.action_items.put_export(item.id, Export(TrackerKind.GITHUB, "7", None, "open"))
        uow.commit()
    got = wired.action_items.get(item.id)
    assert got.export(TrackerKind.JIRA) == state
    github = got.export(TrackerKind.GITHUB)
    assert github is not None
    assert (github.external_id, github.last_error, github.state) == ("7", None, "exported")


BAD = [
    ({"title": " "}, "title is empty"),
    ({"owner": "not a handle!"}, "owner 'not a handle!' is not a handle"),
    ({"deadline": "next friday"}, "write YYYY-MM-DD"),
    ({"deadline": "2026-01-01"}, "deadline 2026-01-01 is in the past"),
    ({"priority": "P9"}, "use P1, P2, P3 or P4"),
    ({"category": "blame someone"}, "category 'blame someone' is not known"),
    ({"labels": ("Has Space",)}, "label 'Has Space' is not valid"),
]


@SQLITE_ONLY
def test_bad_input_names_the_field_and_the_fix_and_stores_nothing(
    wired: Tocsin, incident: int
) -> None:
    for fields, words in BAD:
        draft = Draft(**{"title": "A title", "owner": "alice", **fields})  # type: ignore[arg-type]
        with pytest.raises(InvalidInput, match=words):
            wired.action_items.add(incident, draft, "alice")
    assert wired.action_items.list(incident=incident) == []


@SQLITE_ONLY
def test_unknown_incident_and_item_are_not_found(wired: Tocsin) -> None:
    with pytest.raises(IncidentNotFound):
        wired.action_items.add("INC-99", Draft("x", "alice"), "alice")
    with pytest.raises(NotFound, match="no action item AI-5"):
        wired.action_items.get("AI-5")
    with pytest.raises(InvalidInput, match="ids look like AI-12"):
        wired.action_items.get("XY-5")


def test_one_worker_at_a_time_may_create_an_items_issue(
    wired: Tocsin, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    item = add_item()
    now, gh = clock.now(), TrackerKind.GITHUB
    until = now + timedelta(minutes=5)
    with SqlUnitOfWork(wired.engine) as uow:
        first = uow.action_items.claim_create(item.id, gh, now, until)
        second = uow.action_items.claim_create(item.id, gh, now, now + timedelta(minutes=6))
        uow.commit()
    assert (first.granted, second.granted, second.until) == (True, False, until)
    with SqlUnitOfWork(wired.engine) as uow:  # the holder died: its claim runs out
        late = uow.action_items.claim_create(item.id, gh, until, until + timedelta(minutes=5))
        uow.action_items.record_export(item.id, gh, ("12", "https://gh/12", "open"), until)
        after = uow.action_items.claim_create(item.id, gh, until, until + timedelta(minutes=9))
        uow.commit()
    assert late.granted
    assert (after.granted, after.external_id) == (False, "12")


def test_items_closed_in_a_period_are_counted_by_when_they_closed(
    wired: Tocsin, add_item: Callable[..., ActionItem], clock: ManualClock
) -> None:
    start = clock.now()
    first, second, reopened = add_item("One"), add_item("Two"), add_item("Three")
    wired.action_items.set_status(first.ref, "done", "alice")
    clock.advance(timedelta(days=40))
    wired.action_items.set_status(second.ref, "wont_do", "alice")
    wired.action_items.set_status(reopened.ref, "done", "alice")
    wired.action_items.set_status(reopened.ref, "open", "alice")
    with SqlUnitOfWork(wired.engine, write=False) as uow:
        early = uow.action_items.closed_between(start, start + timedelta(days=30))
        late = uow.action_items.closed_between(
            start + timedelta(days=30), clock.now() + timedelta(1)
        )
    assert (early, late) == (1, 1)


@SQLITE_ONLY
def test_changing_the_category_to_update_runbooks_links_the_runbook(
    wired: Tocsin, add_item: Callable[..., ActionItem]
) -> None:
    item = add_item("Document the failover")
    assert item.runbook is None
    changed = wired.action_items.edit(item.ref, Changes(category="update runbooks"), "alice")
    assert changed.runbook == "runbooks/payments-down.md"


@SQLITE_ONLY
def test_the_post_mortem_creates_items_inside_its_own_transaction(
    wired: Tocsin, incident: int
) -> None:
    before = len(wired.incidents.timeline(incident))
    with SqlUnitOfWork(wired.engine) as uow:
        made = wired.action_items.create_within(
            uow, incident, Draft("From the review", "bob", postmortem="PM-3"), "ann", note=False
        )
        assert [i.id for i in ActionItems.for_incident(uow, incident)] == [made.id]
    assert wired.action_items.list(incident=incident) == []  # not committed: nothing stored
    with SqlUnitOfWork(wired.engine) as uow:
        wired.action_items.create_within(
            uow, incident, Draft("From the review", "bob", postmortem="PM-3"), "ann", note=False
        )
        uow.commit()
    [item] = wired.action_items.list(incident=incident)
    assert item.postmortem == "PM-3"
    assert len(wired.incidents.timeline(incident)) == before
