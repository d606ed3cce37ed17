from __future__ import annotations

from datetime import timedelta

import pytest

from tocsin.app.refs import parse_ref
from tocsin.core.errors import InvalidInput, UnknownSeverity
from tocsin.core.severity import Severity, SeverityModel


def test_unknown_severity_lists_the_valid_keys(severities: SeverityModel) -> None:
    with pytest.raises(UnknownSeverity) as caught:
        severities.get("P9")
    assert str(caught.value) == "unknown severity 'P9'; valid severities: P1, P2, P3, P4"


def test_lookup_is_case_insensitive_and_ranked(severities: SeverityModel) -> None:
    assert severities.get(" p2 ").key == "P2"
    assert [severities.rank(k) for k in ("P1", "P4")] == [0, 3]


def test_title_follows_the_seed() -> None:
    sev = Severity("P1", "Critical", "🔴", response_target=timedelta(minutes=5))
    assert sev.title == "🔴 P1 (Critical)"


def test_duplicate_keys_are_refused() -> None:
    with pytest.raises(ValueError, match="unique"):
        SeverityModel((Severity("P1", "a"), Severity("p1", "b")))


@pytest.mark.parametrize(("ref", "number"), [("INC-42", 42), ("inc-7", 7), ("12", 12), (3, 3)])
def test_incident_refs(ref: str | int, number: int) -> None:
    assert parse_ref(ref) == number


@pytest.mark.parametrize("ref", ["foo", "INC-", "INC-0", "INC-1x", ""])
def test_bad_refs_say_what_ids_look_like(ref: str) -> None:
    with pytest.raises(InvalidInput, match="ids look like INC-42"):
        parse_ref(ref)
