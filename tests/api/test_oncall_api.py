"""/api/v1/oncall: who is on call, overrides, the reachability check, and calendar feeds,
whose own secret opens one feed without a bearer token."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import icalendar
import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tests.support.oncall import oncall_config, wire
from tocsin.api.app import create_app
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.timeline import iso

API = "/api/v1"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"


@pytest.fixture
def tocsin(tmp_path: Path, database_url: str, clock: ManualClock) -> Iterator[Tocsin]:
    wired = wire(tmp_path, database_url, clock, oncall_config())
    yield wired
    wired.engine.dispose()


@pytest.fixture
def api(tocsin: Tocsin) -> Iterator[TestClient]:
    with TestClient(create_app(tocsin), raise_server_exceptions=False) as client:
        yield client


@pytest.fixture
def viewer(role_tokens: dict[str, str]) -> dict[str, str]:
    return bearer(role_tokens["viewer"])


@pytest.fixture
def responder(role_tokens: dict[str, str]) -> dict[str, str]:
    return bearer(role_tokens["responder"])


def test_who_is_on_call_on_every_schedule(api: TestClient, viewer: dict[str, str]) -> None:
    body = api.get(f"{API}/oncall", headers=viewer).json()
    assert body["at"] == "2026-11-22T03:00:00Z"
    primary, business = body["schedules"]
    assert primary == {
        "schedule": "primary",
        "time_zone": "Europe/Berlin",
        "at": "2026-11-22T03:00:00Z",
        "on_call": {
            "person": "ann",
            "name": "Ann Example",
            "since": "2026-11-21T08:00:00Z",
            "until": "2026-11-22T08:00:00Z",
        },
        "next": {
            "person": "bob",
            "name": "Bob Example",
            "since": "2026-11-22T08:00:00Z",
            "until": "2026-11-23T08:00:00Z",
        },
    }
    assert business["on_call"]["person"] is None
    then = api.get(f"{API}/oncall", params={"at": "2026-11-23T15:00:00+00:00"}, headers=viewer)
    assert then.json()["schedules"][1]["on_call"]["person"] == "cid"


def test_one_schedule_with_its_shifts(api: TestClient, viewer: dict[str, str]) -> None:
    body = api.get(f"{API}/oncall/primary", params={"days": 2}, headers=viewer).json()
    assert [(s["person"], s["from"], s["to"]) for s in body["shifts"]] == [
        ("ann", "2026-11-22T03:00:00Z", "2026-11-22T08:00:00Z"),
        ("bob", "2026-11-22T08:00:00Z", "2026-11-23T08:00:00Z"),
        ("ann", "2026-11-23T08:00:00Z", "2026-11-24T03:00:00Z"),
    ]
    missing = api.get(f"{API}/oncall/nope", headers=viewer)
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "no schedule nope; schedules: primary, business"


def test_overrides_are_added_listed_and_removed_by_responders(
    api: TestClient, responder: dict[str, str], viewer: dict[str, str]
) -> None:
    body = {"schedule": "primary", "person": "bob", "to": "2026-11-22T05:00:00Z", "reason": "swap"}
    made = api.post(f"{API}/oncall/overrides", json=body, headers=responder)
    assert made.status_code == 201, made.text
    override = made.json()
    assert (override["from"], override["to"]) == ("2026-11-22T03:00:00Z", "2026-11-22T05:00:00Z")
    assert override["created_by"] == "token:responder-token"
    now = api.get(f"{API}/oncall/primary", headers=viewer).json()
    assert now["on_call"]["person"] == "bob"
    assert api.get(f"{API}/oncall/overrides", headers=viewer).json() == [override]
    gone = api.delete(f"{API}/oncall/overrides/{override['id']}", headers=responder)
    assert gone.json() == override
    assert api.get(f"{API}/oncall/primary", headers=viewer).json()["on_call"]["person"] == "ann"


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        ({"schedule": "primary", "person": "bob", "to": "2026-11-22T05:00:00"}, 422, "timezone"),
        ({"schedule": "primary", "person": "zed", "to": "2026-11-22T05:00:00Z"}, 422, "unknown"),
        ({"schedule": "nope", "person": "bob", "to": "2026-11-22T05:00:00Z"}, 404, "no schedule"),
        ({"schedule": "primary", "person": "bob", "to": "2028-01-01T00:00:00Z"}, 422, "a year"),
    ],
)  # fmt: skip
def test_bad_overrides_are_refused_with_the_reason(
    api: TestClient, responder: dict[str, str], body: dict[str, str], status: int, message: str
) -> None:
    answer = api.post(f"{API}/oncall/overrides", json=body, headers=responder)
    assert answer.status_code == status
    assert message in answer.text
    assert api.get(f"{API}/oncall/overrides", headers=responder).json() == []


def test_the_check_names_the_unreachable_and_the_gaps(
    api: TestClient, viewer: dict[str, str]
) -> None:
    body = api.get(f"{API}/oncall/check", headers=viewer).json()
    assert body["ok"] is False
    assert body["unreachable"] == [
        {
            "schedule": "business",
            "person": "cid",
            "name": "Cid Nocontact",
            "reason": "no contact method",
        }
    ]
    assert body["gaps"][0] == {
        "schedule": "business", "from": "2026-11-22T03:00:00Z", "to": "2026-11-23T14:00:00Z",
    }  # fmt: skip


def test_a_feed_token_opens_its_calendar_without_a_bearer_token(
    api: TestClient, responder: dict[str, str]
) -> None:
    made = api.post(
        f"{API}/oncall/feeds", json={"target": "schedule", "name": "primary"}, headers=responder
    )
    assert made.status_code == 201
    feed = made.json()
    assert feed["path"] == f"{API}/oncall/primary.ics?token={feed['token']}"
    answer = api.get(feed["path"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/calendar; charset=utf-8"
    assert icalendar.Calendar.from_ical(answer.text).walk("VEVENT")
    for wrong in (f"{API}/oncall/business.ics", f"{API}/people/ann.ics"):
        refused = api.get(wrong, params={"token": feed["token"]})
        assert refused.status_code == 401
    assert api.get(f"{API}/oncall/primary.ics", params={"token": "tcf_guess"}).status_code == 401
    assert api.get(f"{API}/oncall/primary.ics").status_code == 401
    assert api.get(f"{API}/oncall/primary.ics", headers=responder).status_code == 200
    listed = api.get(f"{API}/oncall/feeds", headers=responder).json()
    assert "token" not in listed[0]
    assert listed[0]["path"] == f"{API}/oncall/primary.ics"
    api.delete(f"{API}/oncall/feeds/{feed['id']}", headers=responder)
    assert api.get(feed["path"]).status_code == 401


def test_the_calendar_agrees_with_who_is_on_call_at_random_instants(
    api: TestClient, viewer: dict[str, str], clock: ManualClock
) -> None:
    for name in ("primary", "business"):
        text = api.get(f"{API}/oncall/{name}.ics", headers=viewer).text
        events = icalendar.Calendar.from_ical(text).walk("VEVENT")
        spans = [(e.decoded("DTSTART"), e.decoded("DTEND"), str(e["SUMMARY"])) for e in events]
        chooser = random.Random(name)  # noqa: S311 - test instants, not secrets
        for _ in range(40):
            at = clock.now() + timedelta(minutes=chooser.randrange(0, 89 * 24 * 60))
            answer = api.get(
                f"{API}/oncall/{name}", params={"at": iso(at), "days": 1}, headers=viewer
            )
            person = answer.json()["on_call"]["name"]
            covering = [summary for start, end, summary in spans if start <= at < end]
            assert covering == ([f"On call: {person} ({name})"] if person else []), at


def test_a_clock_change_shows_in_the_calendar(
    api: TestClient, viewer: dict[str, str], clock: ManualClock
) -> None:
    clock.set(datetime.fromisoformat("2027-03-20T12:00:00+00:00"))
    events = icalendar.Calendar.from_ical(api.get(f"{API}/oncall/primary.ics", headers=viewer).text)
    lengths = {
        e.decoded("DTSTART").date().isoformat(): e.decoded("DTEND") - e.decoded("DTSTART")
        for e in events.walk("VEVENT")
    }
    assert lengths["2027-03-27"] == timedelta(hours=23)  # Berlin springs forward on the 28th
    assert lengths["2027-03-29"] == timedelta(hours=24)


@pytest.mark.parametrize("at", ["9999-12-31T23:00:00Z", "0001-01-02T00:00:00Z"])
def test_times_at_the_ends_of_the_calendar_are_refused_not_overflowed(
    api: TestClient, viewer: dict[str, str], responder: dict[str, str], at: str
) -> None:
    for path in (f"{API}/oncall", f"{API}/oncall/primary"):
        answer = api.get(path, params={"at": at}, headers=viewer)
        assert answer.status_code == 422, (path, answer.text)
        assert "give a time from 1970 to 2199" in answer.json()["error"]["message"]
    body = {"schedule": "primary", "person": "bob", "from": at, "to": "2026-11-23T00:00:00Z"}
    assert api.post(f"{API}/oncall/overrides", json=body, headers=responder).status_code == 422
