"""Incident data is kept as it was given: reopen keeps the findings, "no data loss" is not
"unknown", titles and names stay one visible line, services are slugs."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from tocsin.core import snapshot
from tocsin.core.errors import InvalidInput
from tocsin.core.incident import Incident
from tocsin.core.scope import Impact, Scope
from tocsin.core.severity import SeverityModel

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def declare(severities: SeverityModel, title: str = "API returning 500s") -> Incident:
    return Incident.declare(7, title, severities.get("P1"), T0, "alice")


# -- reopen --------------------------------------------------------------------------------


def test_reopen_keeps_the_earlier_mitigation_root_cause_and_fix(
    severities: SeverityModel,
) -> None:
    incident = declare(severities)
    incident.mitigate(T0 + MIN, "alice", "rolled back to v41")
    incident.resolve(T0 + 2 * MIN, "alice", severities.get("P1"), "bad migration", "reverted it")
    incident.reopen(T0 + 3 * MIN, "alice", "errors are back")
    assert (incident.mitigation, incident.root_cause, incident.fix) == (
        "rolled back to v41",
        "bad migration",
        "reverted it",
    )
    assert (incident.mitigated_at, incident.resolved_at, incident.postmortem_due) == (None,) * 3
    assert Incident.replay(incident.pending) == incident
    assert snapshot.from_dict(snapshot.to_dict(incident)) == incident


def test_resolving_again_keeps_findings_not_given_and_replaces_those_given(
    severities: SeverityModel,
) -> None:
    incident = declare(severities)
    incident.resolve(T0 + MIN, "alice", severities.get("P1"), "bad migration", "reverted it")
    incident.reopen(T0 + 2 * MIN, "alice")
    incident.mitigate(T0 + 3 * MIN, "alice", "failed over to the replica")
    incident.resolve(T0 + 4 * MIN, "alice", severities.get("P1"), fix="rebuilt the index")
    assert (incident.mitigation, incident.root_cause, incident.fix) == (
        "failed over to the replica",
        "bad migration",
        "rebuilt the index",
    )
    assert Incident.replay(incident.pending) == incident


# -- data loss -----------------------------------------------------------------------------


def test_no_data_loss_is_stored_as_none_and_differs_from_unknown() -> None:
    unknown = Impact()
    nothing_lost = unknown.merged(data_loss="none")
    assert unknown.data_loss is None
    assert nothing_lost.data_loss == "none"
    assert nothing_lost.to_dict()["data_loss"] == "none"
    assert Impact.from_dict(nothing_lost.to_dict()) == nothing_lost
    assert "data loss unknown" in unknown.describe()
    assert "data loss none" in nothing_lost.describe()


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("None", "none"),
        (" NONE ", "none"),
        ("12 orders", "12 orders"),
        ("unknown", None),
        ("", None),
    ],
)
def test_data_loss_words(given: str, stored: str | None) -> None:
    assert Impact(data_loss="12 orders").merged(data_loss=given).data_loss == stored


def test_leaving_data_loss_out_keeps_it() -> None:
    assert Impact().merged(data_loss="none").merged(summary="x").data_loss == "none"


# -- one visible line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "named"),
    [
        ("API down\n## Root Cause", "a line break"),
        ("API down\r\nforged", "a line break"),
        ("API down\u2028forged", "U+2028"),
        ("API\tdown", "U+0009"),
        ("\u202eAPI down", "U+202E"),
        ("API\u200bdown", "U+200B"),
        ("\ufeffAPI down", "U+FEFF"),
        ("API \u2066down\u2069", "U+2066"),
        ("API down\U000e0041", "U+E0041"),
        ("API\u200d down", "U+200D"),
    ],
)
def test_titles_refuse_line_breaks_and_invisible_or_direction_characters(
    severities: SeverityModel, title: str, named: str
) -> None:
    with pytest.raises(InvalidInput, match=f"^title contains .*{re.escape(named)}"):
        declare(severities, title)


def test_titles_keep_emoji_sequences_and_right_to_left_text(severities: SeverityModel) -> None:
    for title in ("🧑\u200d💻 engineers locked out", "خطأ في الدفع 500", "Zürich 🏳️\u200d🌈"):
        assert declare(severities, title).title == title


@pytest.mark.parametrize("actor", ["alice\nbob", "\u202ealice"])
def test_actors_are_one_visible_line_too(severities: SeverityModel, actor: str) -> None:
    with pytest.raises(InvalidInput, match="actor"):
        Incident.declare(1, "API down", severities.get("P1"), T0, actor)


@pytest.mark.parametrize("field", ["tenants", "endpoints"])
def test_tenants_and_endpoints_are_one_visible_line(field: str) -> None:
    with pytest.raises(InvalidInput, match=field.removesuffix("s")):
        Scope(**{field: ("acme\n## forged",)})  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="U\\+202E"):
        Scope(**{field: ("\u202eacme",)})  # type: ignore[arg-type]


# -- services ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["Payments API", "api/v2", "-api", "a" * 64, "ápi"])
def test_services_must_be_slugs(name: str) -> None:
    with pytest.raises(InvalidInput, match="service .* is not a service name.*payments-api"):
        Scope(services=(name,))


def test_service_names_are_lowercased_and_deduplicated() -> None:
    assert Scope(services=(" API ", "api", "orders_db")).services == ("api", "orders_db")


def test_stored_scopes_read_back_even_if_they_break_todays_rules(
    severities: SeverityModel,
) -> None:
    """Rules tighten; incidents written before still load, and keep their old names."""
    legacy = Scope.from_dict({"services": ["Payments API"], "tenants": [], "endpoints": []})
    assert legacy.services == ("Payments API",)
    widened = legacy.merged(endpoints=["/v1/pay"])
    assert widened.services == ("Payments API",)
    with pytest.raises(InvalidInput, match="is not a service name"):
        legacy.merged(services=["Orders API"])


def test_free_text_keeps_line_breaks_but_not_reordering_characters(
    severities: SeverityModel,
) -> None:
    incident = declare(severities)
    assert incident.note(T0, "alice", "first\nsecond").text == "first\nsecond"
    for text in ("looks fine \u202etxt.exe", "a \u2067b\u2069"):
        with pytest.raises(InvalidInput, match="note contains U\\+20[26].*order"):
            incident.note(T0, "alice", text)
    assert incident.note(T0, "alice", "left\u200fright").text == "left\u200fright"  # RLM
