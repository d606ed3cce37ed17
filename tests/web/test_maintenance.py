"""Maintenance windows ended early and edited (API, CLI use cases, web), overlapping windows
of one service refused with the other window and the fix named, every change in the audit
log, and bad input answered 422 naming the field with the stored window unchanged."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import bearer
from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.silences import MaintenanceWindow, suppression

API = "/api/v1/maintenance"


@pytest.fixture
def auth(tocsin: Tocsin) -> dict[str, str]:
    return bearer(tocsin.accounts.create_token("ops", "responder", "tests")[1])


def add(api: TestClient, auth: dict[str, str], service: str = "checkout", **body: Any) -> Any:
    body = {"service": service, "ends_at": "2026-11-22T05:00:00Z", "comment": "db upgrade", **body}
    return api.post(API, json=body, headers=auth)


def stored(tocsin: Tocsin) -> list[MaintenanceWindow]:
    return tocsin.alert_admin.windows(include_expired=True)


def audit_actions(tocsin: Tocsin) -> list[tuple[str, dict[str, Any]]]:
    return [(r.action, r.detail) for r in tocsin.audit.records() if "maintenance" in r.action]


def test_a_window_ended_early_pages_again_and_the_end_is_audited(
    api: TestClient, tocsin: Tocsin, auth: dict[str, str], clock: ManualClock
) -> None:
    made = add(api, auth).json()
    now = clock.now()
    assert suppression({}, "checkout", now, [], tocsin.alert_admin.windows()) == "maintenance:1"
    clock.advance(timedelta(minutes=10))
    ended = api.post(f"{API}/{made['id']}/end", headers=auth)
    assert ended.status_code == 200, ended.text
    assert ended.json()["ends_at"] == "2026-11-22T03:10:00Z"
    assert tocsin.alert_admin.windows() == []
    assert suppression({}, "checkout", clock.now(), [], stored(tocsin)) is None
    action, detail = audit_actions(tocsin)[-1]
    assert action == "maintenance.ended"
    assert detail["before"]["ends_at"] == "2026-11-22T05:00:00Z"
    assert detail["ends_at"] == "2026-11-22T03:10:00Z"
    again = api.post(f"{API}/{made['id']}/end", headers=auth)
    assert again.status_code == 422
    assert "already ended" in again.json()["error"]["message"]
    assert api.post(f"{API}/99/end", headers=auth).status_code == 404


def test_a_window_not_started_yet_is_cancelled_by_ending_it(
    api: TestClient, tocsin: Tocsin, auth: dict[str, str]
) -> None:
    made = add(api, auth, starts_at="2026-11-22T04:00:00Z").json()
    ended = api.post(f"{API}/{made['id']}/end", headers=auth).json()
    assert ended["starts_at"] == ended["ends_at"] == "2026-11-22T03:00:00Z"


def test_an_edit_extends_a_window_and_is_audited_with_what_it_was(
    api: TestClient, tocsin: Tocsin, auth: dict[str, str]
) -> None:
    made = add(api, auth).json()
    body = {"ends_at": "2026-11-22T07:00:00Z", "comment": "db upgrade, second pass"}
    edited = api.patch(f"{API}/{made['id']}", json=body, headers=auth)
    assert edited.status_code == 200, edited.text
    assert edited.json()["ends_at"] == "2026-11-22T07:00:00Z"
    assert stored(tocsin)[0].comment == "db upgrade, second pass"
    action, detail = audit_actions(tocsin)[-1]
    assert (action, detail["before"]["comment"]) == ("maintenance.edited", "db upgrade")


BAD_EDITS: list[tuple[dict[str, Any], str]] = [
    ({"ends_at": "2026-11-22T02:00:00Z"}, "ends_at"),  # in the past
    ({"starts_at": "2026-11-22T06:00:00Z"}, "ends_at"),  # after the end
    ({"ends_at": "2026-11-22T07:00:00"}, "ends_at"),  # no timezone
    ({"ends_at": "tomorrow"}, "ends_at"),
    ({"comment": ""}, "comment"),
    ({"comment": "x" * 1001}, "comment"),
    ({"comment": "ok", "author": "mallory"}, "author"),  # not a field one may edit
]


def test_a_bad_edit_is_422_naming_the_field_and_changes_nothing(
    api: TestClient, tocsin: Tocsin, auth: dict[str, str]
) -> None:
    made = add(api, auth).json()
    before = stored(tocsin)
    for body, field in BAD_EDITS:
        answer = api.patch(f"{API}/{made['id']}", json=body, headers=auth)
        assert answer.status_code == 422, (body, answer.text)
        assert field in answer.text, body
        assert stored(tocsin) == before
    assert [a for a, _ in audit_actions(tocsin)] == ["maintenance.added"]


def test_an_overlapping_window_is_refused_naming_the_other_and_the_fix(
    api: TestClient, tocsin: Tocsin, auth: dict[str, str]
) -> None:
    first = add(api, auth).json()
    later = add(api, auth, starts_at="2026-11-22T04:00:00Z", ends_at="2026-11-22T09:00:00Z")
    assert later.status_code == 409, later.text
    message = later.json()["error"]["message"]
    assert f"maintenance {first['id']} for checkout" in message
    assert f"tocsin maintenance edit {first['id']} --ends" in message
    assert add(api, auth, service="search").status_code == 201  # another service: its own
    after = add(api, auth, starts_at="2026-11-22T05:00:00Z", ends_at="2026-11-22T06:00:00Z")
    assert after.status_code == 201  # back to back is not an overlap
    before = stored(tocsin)
    moved = api.patch(
        f"{API}/{first['id']}", json={"ends_at": "2026-11-22T05:30:00Z"}, headers=auth
    )
    assert moved.status_code == 409
    assert f"maintenance {after.json()['id']} for checkout" in moved.json()["error"]["message"]
    assert stored(tocsin) == before


def test_the_page_ends_and_extends_a_window(
    responder: TestClient, tocsin: Tocsin, clock: ManualClock
) -> None:
    window = tocsin.alert_admin.maintenance(
        "checkout", None, clock.now() + timedelta(hours=1), "ann", "db upgrade"
    )
    page = responder.get("/alerts").text
    assert f'action="/alerts/maintenance/{window.id}/end"' in page
    csrf = page.split('name="csrf" value="')[1].split('"')[0]
    form = {"csrf": csrf, "duration": "3h", "comment": "longer"}
    edited = responder.post(
        f"/alerts/maintenance/{window.id}/edit", data=form, follow_redirects=False
    )
    assert edited.status_code == 303
    assert stored(tocsin)[0].ends_at == clock.now() + timedelta(hours=3)
    bad = responder.post(f"/alerts/maintenance/{window.id}/edit", data=form | {"duration": "x"})
    assert bad.status_code == 422
    assert "duration: write it like 30m" in bad.text
    ended = responder.post(
        f"/alerts/maintenance/{window.id}/end", data={"csrf": csrf}, follow_redirects=False
    )
    assert ended.status_code == 303
    assert tocsin.alert_admin.windows() == []


def test_silences_added_and_expired_are_audited_with_who_and_what(
    api: TestClient, tocsin: Tocsin, auth: dict[str, str]
) -> None:
    """Silencing alerts is as sensitive as a maintenance window: both go to the audit log,
    in the change's own transaction."""
    body = {"matchers": ["service=checkout"], "ends_at": "2026-11-22T05:00:00Z",
            "comment": "noisy during the migration"}  # fmt: skip
    made = api.post("/api/v1/silences", json=body, headers=auth)
    assert made.status_code == 201, made.text
    assert api.delete(f"/api/v1/silences/{made.json()['id']}", headers=auth).status_code == 200
    records = [r for r in tocsin.audit.records() if r.action.startswith("silence.")]
    assert [(r.action, r.actor) for r in records] == [
        ("silence.added", "token:ops"),
        ("silence.expired", "token:ops"),
    ]
    assert records[0].detail["matchers"] == ["service=checkout"]
    assert records[0].detail["comment"] == "noisy during the migration"
    assert records[1].detail == {"silence": made.json()["id"]}
    assert api.delete("/api/v1/silences/99", headers=auth).status_code == 404
    assert len([r for r in tocsin.audit.records() if r.action.startswith("silence.")]) == 2
