"""Who is on call on the dashboard and /oncall; a schedule's page: the timeline of the next
14 days, its shifts, and the override form (responder, CSRF)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.support.oncall import oncall_config, wire
from tests.web.conftest import login, session_csrf
from tocsin.app.clock import ManualClock
from tocsin.app.notice_records import NoticeStatus
from tocsin.bootstrap import Tocsin
from tocsin.store.uow import SqlUnitOfWork

_ROW = re.compile(r'<th scope="row">([^<]+)</th>(.*?)</tr>', re.S)
_SPAN = re.compile(r'<td colspan="(\d+)" class="slot ([\w-]+)"')


@pytest.fixture
def tocsin(tmp_path: Path, database_url: str, clock: ManualClock) -> Iterator[Tocsin]:
    wired = wire(tmp_path, database_url, clock, oncall_config())
    yield wired
    wired.engine.dispose()


def rows(html: str) -> dict[str, list[tuple[int, str]]]:
    """Each timeline row: its day and (columns, class) of each cell."""
    return {
        day: [(int(n), css) for n, css in _SPAN.findall(cells)] for day, cells in _ROW.findall(html)
    }


def test_the_dashboard_shows_who_is_on_call_now(viewer: TestClient) -> None:
    html = viewer.get("/").text
    section = html[html.index('<section class="oncall-now"') :]
    section = section[: section.index("</section>")]
    assert '<a class="card-title" href="/oncall/primary">primary</a>' in section
    assert '<strong class="on-call-person">Ann Example</strong> until' in section
    assert "Sun 22 Nov 09:00 CET" in section
    assert "Next: Bob Example from" in section
    assert "Nobody on call until" in section  # business, on a Sunday
    assert 'href="/oncall"' in html  # the menu


def test_a_schedule_page_shows_fourteen_days_as_the_wall_clock_has_them(
    viewer: TestClient, clock: ManualClock
) -> None:
    clock.set(datetime(2027, 3, 20, 12, tzinfo=UTC))
    assert login(viewer, "vic").status_code == 303  # the session from November has expired
    html = viewer.get("/oncall/primary").text
    found = rows(html)
    assert len(found) == 14
    assert next(iter(found)) == "Sat 20 Mar"
    lengths = {day: sum(n for n, _ in cells) for day, cells in found.items()}
    assert lengths["Sun 28 Mar"] == 23 * 4  # Berlin springs forward
    assert {n for day, n in lengths.items() if day != "Sun 28 Mar"} == {24 * 4}
    saturday = found["Sat 20 Mar"]
    assert [n for n, _ in saturday] == [36, 60]  # hand-off at 09:00
    assert saturday[0][1] != saturday[1][1]  # two people, two colours
    assert "Shifts" in html
    assert "Add override" not in html  # a viewer gets no form


def test_a_responder_adds_and_removes_an_override_from_the_page(
    tocsin: Tocsin, responder: TestClient
) -> None:
    csrf = session_csrf(responder)
    form = {"csrf": csrf, "person": "cid", "from": "2026-11-22T10:00", "to": "2026-11-22T12:00"}
    made = responder.post("/oncall/primary/overrides", data=form, follow_redirects=False)
    assert (made.status_code, made.headers["location"]) == (303, "/oncall/primary#overrides")
    [override] = tocsin.oncall.overrides()
    assert (override.person, override.created_by) == ("cid", "ann")
    assert override.starts_at == datetime(2026, 11, 22, 9, tzinfo=UTC)  # 10:00 in Berlin
    html = responder.get("/oncall/primary").text
    assert "Cid Nocontact from" in html
    assert f"Remove override {override.id}" in html
    removed = responder.post(
        f"/oncall/primary/overrides/{override.id}/remove",
        data={"csrf": csrf},
        follow_redirects=False,
    )
    assert (removed.status_code, tocsin.oncall.overrides()) == (303, [])


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"person": "cid", "from": "2026-11-22T12:00", "to": "2026-11-22T10:00"}, "must end after"),
        ({"person": "zed", "to": "2026-11-22T10:00"}, "unknown person"),
        ({"person": "cid", "to": "soon"}, "to: give a date and time"),
        ({"person": "cid", "to": ""}, "to: give the end of the override"),
    ],
)
def test_a_bad_override_is_refused_on_the_page(
    tocsin: Tocsin, responder: TestClient, fields: dict[str, str], message: str
) -> None:
    answer = responder.post(
        "/oncall/primary/overrides", data={"csrf": session_csrf(responder), **fields}
    )
    assert answer.status_code == 422
    assert message in answer.text
    assert tocsin.oncall.overrides() == []


def test_viewers_and_forged_forms_cannot_add_overrides(
    tocsin: Tocsin, viewer: TestClient, responder: TestClient
) -> None:
    form = {"person": "cid", "to": "2026-11-22T12:00"}
    as_viewer = viewer.post(
        "/oncall/primary/overrides", data={"csrf": session_csrf(viewer), **form}
    )
    assert as_viewer.status_code == 403
    forged = responder.post("/oncall/primary/overrides", data={"csrf": "forged", **form})
    assert forged.status_code == 403
    assert tocsin.oncall.overrides() == []


def test_an_unknown_schedule_is_a_404_page(viewer: TestClient) -> None:
    answer = viewer.get("/oncall/nope")
    assert answer.status_code == 404
    assert "no schedule nope; schedules: primary, business" in answer.text


def test_the_oncall_page_lists_every_schedule(viewer: TestClient) -> None:
    html = viewer.get("/oncall").text
    assert html.count('class="card oncall-card') == 2
    assert 'aria-current="page">On call' in html


def test_a_refused_override_keeps_what_was_typed(responder: TestClient) -> None:
    fields = {"person": "cid", "from": "2026-11-22T12:00", "to": "2026-11-22T10:00"}
    answer = responder.post(
        "/oncall/primary/overrides",
        data={"csrf": session_csrf(responder), **fields, "reason": "swap <with> bo"},
    )
    assert answer.status_code == 422
    html = answer.text
    assert '<option value="cid" selected>' in html
    assert 'name="from" type="datetime-local" value="2026-11-22T12:00"' in html
    assert 'name="to" type="datetime-local" value="2026-11-22T10:00"' in html
    assert 'value="swap &lt;with&gt; bo"' in html


def test_the_oncall_page_shows_each_methods_last_test_and_sends_one(
    tocsin: Tocsin, responder: TestClient, viewer: TestClient, clock: ManualClock
) -> None:
    """The last delivered test per person and method, acknowledged or not; a responder
    sends one from the page (the worker delivers it)."""
    html = viewer.get("/oncall").text
    section = html[html.index('<section class="page-tests"') :]
    assert section.count('<tr class="page-test">') == 4  # ann: email, sms, voice; bob: slack
    assert "never" in section
    assert "Send a test page" not in section  # a viewer gets no form
    made = responder.post(
        "/oncall/page-tests",
        data={"csrf": session_csrf(responder), "person": "ann"},
        follow_redirects=False,
    )
    assert (made.status_code, made.headers["location"]) == (303, "/oncall#page-tests")
    tests = tocsin.page_tests.status("ann")
    assert {t.last.status.value for t in tests if t.last} == {"queued"}
    [email] = [t for t in tests if t.method.kind.value == "email"]
    assert email.last is not None
    with SqlUnitOfWork(tocsin.engine) as uow:  # as the worker records a delivery
        delivered = replace(email.last, status=NoticeStatus.SENT, sent_at=clock.now())
        uow.notices.save(delivered)
        uow.commit()
    tocsin.page_tests.acknowledge(email.last.id, "email link")
    html = responder.get("/oncall").text
    row = next(r for r in html.split('<tr class="page-test">') if "ann@example.com" in r)
    assert "2026-11-22 03:00" in row  # delivered (the test clock), acknowledged via email
    assert "via email link" in row
    assert "Send a test page" in html
    refused = responder.post(
        "/oncall/page-tests", data={"csrf": session_csrf(responder), "person": "cid"}
    )
    assert refused.status_code == 422
    assert "no contact method" in refused.text
