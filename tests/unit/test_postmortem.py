"""The post-mortem document (versions, statuses) and key moments from the timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import preset_config
from tests.support.postmortems import T0, at, scripted
from tocsin.core import postmortem as pm
from tocsin.core.errors import ConcurrentChange, DomainError, InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.timeline import EntryKind

SEV = preset_config("sev1-sev3").severity_model().get("SEV-1")


def moments(inc: Incident) -> dict[str, object]:
    return {m.key: m.at for m in pm.key_moments(inc.pending)}


def test_every_moment_comes_from_the_entry_that_answers_it() -> None:
    inc = scripted(SEV)
    found = {m.key: m for m in pm.key_moments(inc.pending)}
    assert found["detected"].at == at(-1.8333).replace(microsecond=0)  # the alert's first_at
    assert found["detected"].seq == 2
    assert found["detected"].actor == "alertmanager"
    assert found["acknowledged"].at == at(4)
    assert found["acknowledged"].actor == "bob"
    assert found["root_cause"].at == at(45)  # the update marked "Root cause:", not resolve
    assert found["mitigated"].at == at(20)
    assert found["fix"].at == at(90)  # "Fix deployed:"
    assert found["resolved"].at == at(100)
    assert pm.hh_mm(pm.duration(pm.key_moments(inc.pending))) == "01:41"


def test_unrecorded_moments_are_none_and_resolve_answers_root_cause_and_fix() -> None:
    inc = Incident.declare(3, "Slow", SEV, T0, "alice")
    inc.resolve(at(30), "alice", SEV, "a cache stampede", None)
    got = moments(inc)
    assert got["detected"] == T0  # no alerts: the declaration (a report)
    assert got["acknowledged"] is None
    assert got["mitigated"] is None
    assert got["root_cause"] == at(30)  # the resolve that recorded one
    assert got["fix"] is None  # resolve recorded no fix: not invented


def test_marks_in_data_count_and_the_last_resolution_confirms() -> None:
    inc = Incident.declare(3, "Slow", SEV, T0, "alice")
    inc.note(at(5), "bob", "it is the cache")
    inc.pending[-1] = type(inc.pending[-1])(
        inc.pending[-1].seq, EntryKind.NOTE, at(5), "bob", "it is the cache",
        {"marks": ["root_cause"]},
    )  # fmt: skip
    inc.resolve(at(10), "alice", SEV, "cache", "flush")
    inc.reopen(at(20), "alice", "again")
    inc.resolve(at(40), "alice", SEV)
    got = moments(inc)
    assert got["root_cause"] == at(5)
    assert got["fix"] == at(10)  # the first resolve that recorded a fix
    assert got["resolved"] == at(40)


def test_a_draft_for_an_open_incident_is_refused_naming_what_is_missing() -> None:
    inc = Incident.declare(7, "Down", SEV, T0, "alice")
    with pytest.raises(pm.PostmortemNotReady, match=r"INC-7 is still investigating: resolve it "
                       r"first \(root cause, fix\)"):  # fmt: skip
        pm.require_resolved(inc)
    inc.mitigate(at(1), "bob", "rollback")
    with pytest.raises(pm.PostmortemNotReady, match="INC-7 is still mitigated"):
        pm.require_resolved(inc)
    inc.resolve(at(2), "bob", SEV)
    pm.require_resolved(inc)  # resolved: a draft may say "not recorded"


def test_versions_statuses_and_published_history() -> None:
    doc = pm.Postmortem.start(7, "# v1", "alice", "database", "alice", T0)
    assert (doc.current.number, doc.current.status) == (1, pm.S.DRAFT)
    doc.edit("# v2", "bob", T0 + timedelta(minutes=1), expected=1)
    doc.move("review", "bob", T0, expected=2)
    doc.move("return", "carol", T0)
    assert doc.current.status is pm.S.DRAFT
    assert doc.current.text == "# v2\n"
    doc.move("review", "bob", T0)
    published = doc.move("publish", "carol", T0)
    assert published.number == 6
    assert doc.is_published
    doc.edit("# v3", "bob", T0, expected=6)
    assert doc.current.status is pm.S.DRAFT  # a new draft; the published one stays
    assert doc.version(6).text == "# v2\n"
    assert doc.version(6).status is pm.S.PUBLISHED
    doc.move("review", "bob", T0)
    doc.move("publish", "carol", T0)
    assert [v.number for v in doc.published] == [6, 9]
    assert [v.action for v in doc.versions][:3] == ["draft", "edit", "review"]


def test_stale_edits_and_wrong_moves_are_refused() -> None:
    doc = pm.Postmortem.start(7, "# v1", "alice", None, "alice", T0)
    doc.edit("# v2", "bob", T0, expected=1)
    with pytest.raises(ConcurrentChange, match="changed since version 1 \\(now at version 2\\)"):
        doc.edit("# mine", "carol", T0, expected=1)
    with pytest.raises(DomainError, match="cannot publish .* it is draft; allowed now: review"):
        doc.move("publish", "bob", T0)
    with pytest.raises(InvalidInput, match="empty"):
        doc.edit("  \n", "bob", T0, expected=2)
    with pytest.raises(InvalidInput, match="no version 9"):
        doc.version(9)


def test_categories_are_checked_against_the_list() -> None:
    cats = pm.DEFAULT_CATEGORIES["p1-p4"]
    assert pm.check_category("Database", cats) == "database"
    assert pm.check_category(None, cats) is None
    with pytest.raises(InvalidInput, match="unknown root-cause category 'gremlins'"):
        pm.check_category("gremlins", cats)
