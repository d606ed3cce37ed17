"""The iCalendar writer: what the icalendar package reads back is exactly what was written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.app.calendar import Event, calendar, fold

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
texts = st.text(
    st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="\r"), max_size=300
)


@settings(max_examples=80, deadline=None)
@given(summary=texts, description=texts, name=texts)
def test_any_text_survives_escaping_and_folding(summary: str, description: str, name: str) -> None:
    event = Event("uid-1@tocsin", NOW, NOW + timedelta(hours=25), summary, description)
    text = calendar(name or "x", [event], NOW)
    for line in text.split("\r\n"):
        assert len(line.encode()) <= 75
    parsed = icalendar.Calendar.from_ical(text)
    [vevent] = parsed.walk("VEVENT")
    assert str(vevent["SUMMARY"]) == summary
    assert str(vevent.get("DESCRIPTION", "")) == description
    assert (vevent.decoded("DTSTART"), vevent.decoded("DTEND")) == (event.start, event.end)


def test_long_lines_fold_between_characters() -> None:
    line = "SUMMARY:" + "ü" * 60
    folded = fold(line)
    pieces = folded.split("\r\n ")
    assert "".join(pieces) == line
    assert [len(p.encode()) for p in pieces] == [74, 54]


def test_a_calendar_without_shifts_is_still_a_calendar() -> None:
    text = calendar("On call: primary", [], NOW)
    parsed = icalendar.Calendar.from_ical(text)
    assert (str(parsed["X-WR-CALNAME"]), parsed.walk("VEVENT")) == ("On call: primary", [])
    assert text.endswith("END:VCALENDAR\r\n")
