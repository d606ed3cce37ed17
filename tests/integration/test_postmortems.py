"""Post-mortems stored on SQLite and PostgreSQL: versions, stale edits, due dates kept with
the incident, closing refused while a required post-mortem is unpublished."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tocsin.app.clock import ManualClock
from tocsin.app.postmortems import PostmortemRequired
from tocsin.bootstrap import Tocsin
from tocsin.core.errors import ConcurrentChange, NotFound
from tocsin.core.postmortem import PostmortemNotReady, PostmortemStatus


def resolved_p1(tocsin: Tocsin, clock: ManualClock) -> str:
    inc = tocsin.incidents.declare("alice", "API down", "P1", commander="carol").incident
    clock.advance(timedelta(minutes=5))
    tocsin.incidents.acknowledge(inc.id, "bob")
    clock.advance(timedelta(minutes=30))
    tocsin.incidents.resolve(inc.id, "bob", "a lock", "batches")
    return inc.id


def test_draft_versions_and_publishing_are_stored(tocsin: Tocsin, clock: ManualClock) -> None:
    ref = resolved_p1(tocsin, clock)
    pms = tocsin.postmortems
    due = pms.summary(ref)
    assert due is not None
    assert due.due == clock.now() + timedelta(hours=48)
    assert due.version == 0
    first = pms.draft(ref, "bob", category="database")
    assert (first.number, first.status, first.author) == (1, PostmortemStatus.DRAFT, "carol")
    assert "# Incident Report INC-1: API down" in first.text
    pms.edit(ref, "bob", first.text + "\nMore.\n", expected=1)
    with pytest.raises(ConcurrentChange, match="changed since version 1"):
        pms.edit(ref, "dave", "# mine", expected=1)
    pms.move(ref, "review", "bob")
    published = pms.move(ref, "publish", "carol")
    pms.edit(ref, "bob", "# after publishing\n", expected=published.number)
    doc = pms.get(ref)
    assert [v.status.value for v in doc.versions] == [
        "draft", "draft", "in_review", "published", "draft",
    ]  # fmt: skip
    assert doc.version(4).text.endswith("More.\n")  # the published text, unchanged
    summary = pms.summary(ref)
    assert summary is not None
    assert (summary.version, summary.published_version) == (5, 4)
    assert pms.overview(overdue=True) == []


def test_closing_waits_for_a_published_postmortem(tocsin: Tocsin, clock: ManualClock) -> None:
    ref = resolved_p1(tocsin, clock)
    with pytest.raises(PostmortemRequired, match=r"cannot close INC-1: its post-mortem is "
                       r"required \(P1, due .*\) and is not written"):  # fmt: skip
        tocsin.incidents.close(ref, "bob")
    assert tocsin.incidents.get(ref).status.value == "resolved"  # rolled back whole
    pms = tocsin.postmortems
    pms.draft(ref, "bob")
    pms.move(ref, "review", "bob")
    with pytest.raises(PostmortemRequired, match="and is in_review"):
        tocsin.incidents.close(ref, "bob")
    pms.move(ref, "publish", "carol")
    assert tocsin.incidents.close(ref, "bob").incident.status.value == "closed"


def test_overdue_list_and_reopen(tocsin: Tocsin, clock: ManualClock) -> None:
    ref = resolved_p1(tocsin, clock)
    minor = tocsin.incidents.declare("alice", "Typo", "P4").incident.id
    tocsin.incidents.resolve(minor, "bob")
    assert tocsin.postmortems.summary(minor) is None  # P4: none required
    tocsin.incidents.close(minor, "bob")  # and closing is not held up
    clock.advance(timedelta(hours=49))
    assert [s.incident for s in tocsin.postmortems.overview(overdue=True)] == [1]
    tocsin.incidents.reopen(ref, "bob", "back")
    assert tocsin.postmortems.overview(overdue=True) == []
    summary = tocsin.postmortems.summary(ref)
    assert summary is not None
    assert summary.due is None


def test_refusals(tocsin: Tocsin, clock: ManualClock) -> None:
    inc = tocsin.incidents.declare("alice", "API down", "P1").incident
    with pytest.raises(PostmortemNotReady, match=r"INC-1 is still investigating: resolve it "
                       r"first \(root cause, fix\)"):  # fmt: skip
        tocsin.postmortems.draft(inc.id, "bob")
    with pytest.raises(NotFound, match="INC-1 has no post-mortem yet; draft one with"):
        tocsin.postmortems.show(inc.id)
