"""The action item rules, without I/O: values read, errors naming the field and the fix, the
runbook link, overdue, statuses from trackers."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from tocsin.core import action_items as rules
from tocsin.core.action_items import (
    ActionItem,
    Category,
    ItemStatus,
    Priority,
    TrackerKind,
)
from tocsin.core.errors import InvalidInput

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def item(**fields: object) -> ActionItem:
    base: dict[str, object] = {
        "id": 3, "incident": 7, "title": "Fix it", "owner": "alice", "deadline": None,
        "priority": Priority.P3, "labels": ("incident",), "status": ItemStatus.OPEN,
        "category": Category.NONE, "runbook": None, "postmortem": None, "created_by": "alice",
        "created_at": NOW, "updated_at": NOW,
    }  # fmt: skip
    return ActionItem(**{**base, **fields})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("given", "expected"),
    [(None, Priority.P3), ("p1", Priority.P1), ("High", Priority.P2), ("low", Priority.P4),
     ("urgent", Priority.P1), (" P4 ", Priority.P4)],
)  # fmt: skip
def test_priorities_are_p1_to_p4_and_the_words_map_onto_them(
    given: str | None, expected: Priority
) -> None:
    assert rules.priority(given) is expected


@pytest.mark.parametrize(
    ("given", "expected"),
    [("update runbooks", Category.UPDATE_RUNBOOKS),
     ("add monitoring/alerts", Category.ADD_MONITORING),
     ("fix-root-cause", Category.FIX_ROOT_CAUSE), ("Improve Testing", Category.IMPROVE_TESTING),
     ("update documentation", Category.UPDATE_DOCUMENTATION), (None, Category.NONE),
     ("add alerts", Category.ADD_MONITORING)],
)  # fmt: skip
def test_the_first_seeds_categories_are_read_as_written(
    given: str | None, expected: Category
) -> None:
    assert rules.category(given) is expected


def test_labels_always_start_with_incident_once() -> None:
    assert rules.labels(["database", "incident", "Database"]) == ("incident", "database")
    assert rules.labels([]) == ("incident",)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: rules.priority("P5"), "priority 'P5' is not known; use P1, P2, P3 or P4"),
        (lambda: rules.status("closed"), "status 'closed' is not known; use one of open"),
        (lambda: rules.deadline("31/12/2026"), "deadline '31/12/2026' is not a date"),
        (lambda: rules.owner("two words"), "owner 'two words' is not a handle"),
        (lambda: rules.title("a\nb"), "title contains a line break"),
        (lambda: rules.future_deadline(date(2026, 11, 1), date(2026, 11, 22)),
         "deadline 2026-11-01 is in the past; give today (2026-11-22) or a later date"),
    ],
)  # fmt: skip
def test_errors_name_the_field_and_the_fix(call: object, words: str) -> None:
    with pytest.raises(InvalidInput, match=words.replace("(", r"\(").replace(")", r"\)")):
        call()  # type: ignore[operator]


def test_update_runbooks_links_the_only_runbook_and_asks_among_several() -> None:
    one = {"payments-down": "runbooks/payments-down.md"}
    assert rules.choose_runbook(Category.UPDATE_RUNBOOKS, None, one) == "runbooks/payments-down.md"
    assert rules.choose_runbook(Category.FIX_ROOT_CAUSE, None, one) is None
    assert rules.choose_runbook(Category.UPDATE_RUNBOOKS, None, {}) is None
    two = {**one, "db-failover": "runbooks/db-failover.md"}
    with pytest.raises(InvalidInput, match="several runbooks \\(db-failover, payments-down\\)"):
        rules.choose_runbook(Category.UPDATE_RUNBOOKS, None, two)
    assert (
        rules.choose_runbook(Category.UPDATE_RUNBOOKS, "db-failover", two)
        == "runbooks/db-failover.md"
    )
    assert rules.choose_runbook(Category.NONE, "docs/other.md", two) == "docs/other.md"


def test_overdue_means_past_the_deadline_and_not_closed() -> None:
    today = date(2026, 12, 2)
    assert item(deadline=date(2026, 12, 1)).overdue(today)
    assert not item(deadline=date(2026, 12, 2)).overdue(today)
    assert not item(deadline=date(2026, 12, 1), status=ItemStatus.DONE).overdue(today)
    assert not item(deadline=date(2026, 12, 1), status=ItemStatus.WONT_DO).overdue(today)
    assert not item().overdue(today)


def test_status_changes_bump_the_revision_and_keep_the_first_close_time() -> None:
    later = datetime(2026, 11, 23, tzinfo=UTC)
    done = rules.with_status(item(), ItemStatus.DONE, NOW)
    assert (done.revision, done.closed_at) == (2, NOW)
    wont = rules.with_status(done, ItemStatus.WONT_DO, later)
    assert wont.closed_at == NOW
    assert rules.with_status(wont, ItemStatus.WONT_DO, later) is wont
    assert rules.with_status(wont, ItemStatus.OPEN, later).closed_at is None


@pytest.mark.parametrize(
    ("tracker", "word", "current", "expected"),
    [
        (TrackerKind.GITHUB, "closed", ItemStatus.OPEN, ItemStatus.DONE),
        (TrackerKind.GITHUB, "closed/not_planned", ItemStatus.OPEN, ItemStatus.WONT_DO),
        (TrackerKind.GITHUB, "open", ItemStatus.DONE, ItemStatus.OPEN),
        (TrackerKind.GITHUB, "open", ItemStatus.IN_PROGRESS, ItemStatus.IN_PROGRESS),
        (TrackerKind.JIRA, "new", ItemStatus.DONE, ItemStatus.OPEN),
        (TrackerKind.JIRA, "indeterminate", ItemStatus.OPEN, ItemStatus.IN_PROGRESS),
        (TrackerKind.JIRA, "done", ItemStatus.IN_PROGRESS, ItemStatus.DONE),
        (TrackerKind.JIRA, "undefined", ItemStatus.OPEN, ItemStatus.OPEN),
    ],
)
def test_a_trackers_status_in_ours(
    tracker: TrackerKind, word: str, current: ItemStatus, expected: ItemStatus
) -> None:
    assert rules.status_from_remote(tracker, word, current) is expected


def test_the_json_names_every_field() -> None:
    data = item(deadline=date(2026, 12, 1)).to_dict(date(2026, 12, 2))
    assert data["ref"] == "AI-3"
    assert data["incident"] == "INC-7"
    assert data["deadline"] == "2026-12-01"
    assert data["overdue"] is True
    assert data["category_label"] == "none"
    assert data["created_at"] == "2026-11-22T03:00:00Z"
