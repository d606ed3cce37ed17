"""`tocsin actions …` end to end: add, list (overdue, incident, owner), set, done, export
(queued as a job, its state listed), errors with exit 2; `action` and `actions` say which is
which in their help."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.e2e.conftest import Cli, flat


def test_add_list_set_done(cli: Cli, declare: Callable[..., dict[str, Any]]) -> None:
    incident = declare("Payments down")["id"]
    code, item = cli("actions", "add", incident, "Add a replica lag alert", "--owner", "bob",
                     "--deadline", "2099-12-04", "--priority", "high", "--label", "database",
                     "--category", "add monitoring/alerts")  # fmt: skip
    assert code == 0, item
    assert (item["ref"], item["incident"], item["owner"]) == ("AI-1", incident, "bob")
    assert (item["priority"], item["category"], item["status"]) == ("P2", "add-monitoring", "open")
    assert item["labels"] == ["incident", "database"]
    code, item = cli("actions", "set", "AI-1", "--status", "in-progress", "--title", "Alert on lag")
    assert (code, item["status"], item["title"]) == (0, "in_progress", "Alert on lag")
    code, listed = cli("actions", "list", "--incident", incident)
    assert [i["ref"] for i in listed["items"]] == ["AI-1"]
    code, listed = cli("actions", "list", "--owner", "carol")
    assert listed == {"items": []}
    code, item = cli("actions", "done", "AI-1")
    assert (code, item["status"]) == (0, "done")
    code, text = cli("actions", "list", json=False)
    assert code == 0
    assert "AI-1" in text
    assert "done" in text
    assert "@bob" in text
    assert "Alert on lag" in text


def test_overdue_lists_only_items_past_their_deadline_and_not_done(
    cli: Cli, declare: Callable[..., dict[str, Any]]
) -> None:
    incident = declare()["id"]
    for title in ("Late one", "Late but done", "In time"):
        code, _ = cli(
            "actions", "add", incident, title, "--owner", "bob", "--deadline", "2099-01-01"
        )
        assert code == 0
    for ref in ("AI-1", "AI-2"):  # a new item's deadline cannot be past; an edit's can
        code, _ = cli("actions", "set", ref, "--deadline", "2020-01-01")
        assert code == 0
    cli("actions", "done", "AI-2")
    code, listed = cli("actions", "list", "--overdue")
    assert code == 0
    assert [(i["ref"], i["overdue"]) for i in listed["items"]] == [("AI-1", True)]
    code, text = cli("actions", "list", "--overdue", json=False)
    assert "AI-1" in text
    assert "OVERDUE" in text
    assert "AI-3" not in text


def test_export_without_a_tracker_says_how_to_configure_one(
    cli: Cli, declare: Callable[..., dict[str, Any]]
) -> None:
    incident = declare()["id"]
    cli("actions", "add", incident, "Fix it", "--owner", "bob")
    code, out = cli("actions", "export", "AI-1")
    assert code == 2
    assert "no tracker is configured: add `trackers:` to tocsin.yaml" in out["error"]


def test_bad_input_exits_2_naming_the_field(
    cli: Cli, declare: Callable[..., dict[str, Any]]
) -> None:
    incident = declare()["id"]
    code, out = cli("actions", "add", incident, "Fix it", "--owner", "bob", "--deadline", "soon")
    assert code == 2
    assert "deadline 'soon' is not a date; write YYYY-MM-DD" in out["error"]
    code, out = cli("actions", "add", "INC-99", "Fix it", "--owner", "bob")
    assert code == 1
    assert "no incident INC-99" in out["error"]
    code, out = cli("actions", "done", "AI-7")
    assert (code, "no action item AI-7" in out["error"]) == (1, True)
    code, out = cli("actions", "list", "--status", "finished")
    assert (code, "status 'finished' is not known" in out["error"]) == (2, True)


def test_help_says_which_is_which(cli: Cli) -> None:
    code, text = cli("actions", "--help", json=False)
    assert code == 0
    assert "Action items" in flat(text)
    assert "typed AWS actions see `tocsin action`" in flat(text)
    code, text = cli("action", "--help", json=False)
    assert "Typed actions (AWS)" in flat(text)
    assert "see `tocsin actions`" in flat(text)
