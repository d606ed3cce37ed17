"""`tocsin oncall`: who is on call now or --at a time, overrides, the check, calendar feeds
(parsed with the icalendar package and compared with `tocsin oncall --at`), and
`tocsin config check`'s warnings."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
from fastapi.testclient import TestClient

from tests.conftest import FAST_HASHER
from tests.e2e.conftest import ACTOR, Cli, flat
from tests.support.oncall import oncall_config
from tocsin.api.app import create_app
from tocsin.bootstrap import build
from tocsin.core.timeline import iso


def setup(bare_cli: Cli, project: Path) -> Cli:
    (project / "tocsin.yaml").write_text(oncall_config(), encoding="utf-8")
    return bare_cli


def test_who_is_on_call_now_and_then(bare_cli: Cli, project: Path) -> None:
    cli = setup(bare_cli, project)
    code, out = cli("oncall")
    assert code == 0, out
    assert [s["schedule"] for s in out["schedules"]] == ["primary", "business"]
    assert out["schedules"][0]["on_call"]["person"] in ("ann", "bob")
    code, out = cli("oncall", "business", "--at", "2026-11-23T10:00:00-05:00")
    assert code == 0, out
    [business] = out["schedules"]
    assert business["at"] == "2026-11-23T15:00:00Z"
    assert business["on_call"] == {
        "person": "cid",
        "name": "Cid Nocontact",
        "since": "2026-11-23T14:00:00Z",
        "until": "2026-11-23T22:00:00Z",
    }
    assert business["next"]["since"] == "2026-11-24T14:00:00Z"
    code, text = cli("oncall", "business", "--at", "2026-11-23T15:00:00Z", json=False)
    assert code == 0
    assert flat(text) == flat(
        "business (America/New_York)\n"
        "  on call: Cid Nocontact (cid) since Mon 2026-11-23 09:00 EST,"
        " until Mon 2026-11-23 17:00 EST\n"
        "  next:    Cid Nocontact (cid) from Tue 2026-11-24 09:00 EST"
        " until Tue 2026-11-24 17:00 EST"
    )


def test_times_without_an_offset_and_unknown_schedules_are_refused(
    bare_cli: Cli, project: Path
) -> None:
    cli = setup(bare_cli, project)
    code, out = cli("oncall", "primary", "--at", "2026-11-23T10:00")
    assert code == 2
    assert "has no offset" in out["error"]
    code, out = cli("oncall", "nope")
    assert (code, out["error"]) == (1, "no schedule nope; schedules: primary, business")


def test_an_override_is_added_shown_and_removed(bare_cli: Cli, project: Path) -> None:
    cli = setup(bare_cli, project)
    code, made = cli(
        "oncall", "override", "add", "primary", "cid", "--to", "+2h", "--reason", "swap"
    )
    assert code == 0, made
    assert (made["person"], made["created_by"], made["reason"]) == ("cid", ACTOR, "swap")
    assert cli("oncall", "primary").out["schedules"][0]["on_call"]["person"] == "cid"
    assert cli("oncall", "override", "list").out == [made]
    code, text = cli("oncall", "override", "list", json=False)
    assert f"{made['id']} primary cid {made['from']} to {made['to']} by {ACTOR} swap" in flat(text)
    assert cli("oncall", "override", "remove", str(made["id"])).out == made
    code, out = cli("oncall", "override", "remove", str(made["id"]))
    assert (code, out["error"]) == (
        1,
        f"no override {made['id']}; list them with `tocsin oncall override list`",
    )
    code, out = cli("oncall", "override", "add", "primary", "zed", "--to", "+1h")
    assert code == 2
    assert "unknown person 'zed'" in out["error"]


def test_check_exits_1_naming_the_unreachable_and_the_gaps(bare_cli: Cli, project: Path) -> None:
    cli = setup(bare_cli, project)
    code, out = cli("oncall", "check")
    assert code == 1
    assert [u["person"] for u in out["unreachable"]] == ["cid"]
    assert {g["schedule"] for g in out["gaps"]} == {"business"}
    code, text = cli("oncall", "check", json=False)
    assert code == 1
    assert "unreachable business Cid Nocontact (cid): no contact method" in flat(text)


def test_config_check_warns_and_fails_only_when_strict(bare_cli: Cli, project: Path) -> None:
    cli = setup(bare_cli, project)
    code, out = cli("config", "check")
    assert (code, out["ok"]) == (0, True)
    assert [w["field"] for w in out["warnings"]] == [
        "people[2]",
        "schedules[1]",
        *[f"escalation.policies[0].steps[{i}].notify" for i in range(4)],  # the placeholders
    ]
    code, text = cli("config", "check", json=False)
    assert code == 0
    assert "warning: " in text
    assert "people[2]: cid has no contact method" in flat(text)
    code, out = cli("config", "check", "--strict")
    assert code == 1
    assert "schedules[1]: nobody is on call from" in out["error"]


def test_the_calendar_feed_agrees_with_oncall_at_random_instants(
    bare_cli: Cli, project: Path
) -> None:
    cli = setup(bare_cli, project)
    code, feed = cli("oncall", "feed", "add", "primary")
    assert code == 0, feed
    assert feed["url"] == f"http://127.0.0.1:8080/api/v1/oncall/primary.ics?token={feed['token']}"
    code, person_feed = cli("oncall", "feed", "add", "--person", "cid")
    assert code == 0, person_feed
    assert [f["name"] for f in cli("oncall", "feed", "list").out] == ["primary", "cid"]
    wired = build(
        env={"TOCSIN_CONFIG": str(project / "tocsin.yaml")}, cwd=project, hasher=FAST_HASHER
    )
    try:
        with TestClient(create_app(wired)) as client:
            primary = client.get(feed["path"])
            cid = client.get(person_feed["path"])
    finally:
        wired.engine.dispose()
    assert (primary.status_code, cid.status_code) == (200, 200)
    chooser = random.Random(7)  # noqa: S311 - test instants, not secrets
    now = datetime.now(UTC)
    for text, schedule, person in ((primary.text, "primary", None), (cid.text, "business", "cid")):
        events = icalendar.Calendar.from_ical(text).walk("VEVENT")
        spans = [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events]
        summaries = [str(e["SUMMARY"]) for e in events]
        for _ in range(12):
            at = now + timedelta(minutes=chooser.randrange(1, 89 * 24 * 60))
            [who] = cli("oncall", schedule, "--at", iso(at) or "").out["schedules"]
            found = [
                s for (start, end), s in zip(spans, summaries, strict=True) if start <= at < end
            ]
            on_call = who["on_call"]["name"]
            expected = (
                []
                if on_call is None or (person and who["on_call"]["person"] != person)
                else [f"On call: {on_call} ({schedule})"]
            )
            assert found == expected, at
    assert cli("oncall", "feed", "remove", str(feed["id"])).code == 0
    assert [f["name"] for f in cli("oncall", "feed", "list").out] == ["cid"]
