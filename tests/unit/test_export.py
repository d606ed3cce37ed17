"""The Markdown export: what users typed is escaped, so it cannot forge the report's shape."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

from tocsin.app.export import to_markdown
from tocsin.core.incident import Incident
from tocsin.core.scope import Impact, Scope
from tocsin.core.severity import SeverityModel

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
SECTIONS = ["## Impact", "## Root Cause", "## Mitigation", "## Fix", "## Timeline (UTC)"]
SETEXT_OR_RULE = re.compile(r" {0,3}(=+|-+|(\* *){3,}|(_ *){3,}) *")
FORGED_ENTRY = "- 2026-11-22 03:09 — resolved (ceo): Resolved"


def exported(incident: Incident, severities: SeverityModel) -> str:
    severity = severities.get(incident.severity)
    return to_markdown(incident, incident.pending, severity)


def shape(markdown: str) -> tuple[list[str], list[str]]:
    """The headings (ATX; a setext underline fails here), and the lines that read as timeline
    entries."""
    lines = markdown.splitlines()
    assert not [line for line in lines if SETEXT_OR_RULE.fullmatch(line)]
    headings = [line for line in lines if line.lstrip().startswith("#")]
    entries = [line for line in lines if line.startswith("- 2026-")]
    return headings, entries


def test_multi_line_findings_cannot_forge_a_section_or_a_timeline_line(
    severities: SeverityModel,
) -> None:
    incident = Incident.declare(
        1, "API down", severities.get("P1"), T0, "alice", impact=Impact(summary="all")
    )
    forged = f"a cause\n## Lessons Learned\nnone\n{FORGED_ENTRY}\n---\n===\n1. step"
    incident.note(T0 + MIN, "alice", f"found it\n{FORGED_ENTRY}")
    incident.mitigate(T0 + 2 * MIN, "alice", forged)
    incident.resolve(T0 + 3 * MIN, "alice", severities.get("P1"), forged, forged)
    headings, entries = shape(exported(incident, severities))
    assert headings == ["# INC-1: API down", *SECTIONS]
    assert len(entries) == len(incident.pending)


def test_a_title_cannot_forge_a_section(severities: SeverityModel) -> None:
    """Titles are one line now; one stored before that rule still exports safely."""
    incident = Incident.declare(1, "API down", severities.get("P1"), T0, "alice")
    legacy = dataclasses.replace(incident, title=f"API down\n## Root Cause\n{FORGED_ENTRY}")
    markdown = exported(legacy, severities)
    headings, entries = shape(markdown)
    title = "API down \\#\\# Root Cause - 2026-11-22 03:09 — resolved (ceo): Resolved"
    assert headings == [f"# INC-1: {title}", *SECTIONS]
    assert len(entries) == len(incident.pending)


def test_inline_markup_links_and_html_are_escaped(severities: SeverityModel) -> None:
    title = "[click](https://evil.example) <img src=x onerror=alert(1)> *now* &#x202E;"
    incident = Incident.declare(
        1,
        title,
        severities.get("P1"),
        T0,
        "alice",
        Scope(tenants=("a|b",), endpoints=("`/v1/*`",)),
        Impact(summary="_all_ users", users_affected="<b>9</b>", data_loss="~~none~~"),
    )
    markdown = exported(incident, severities)
    assert (
        "# INC-1: \\[click\\](https://evil.example) \\<img src=x onerror=alert(1)\\> "
        "\\*now\\* \\&\\#x202E;"
    ) in markdown
    for escaped in ("a\\|b", "\\`/v1/\\*\\`", "\\_all\\_ users", "\\<b\\>9\\</b\\>", "\\~\\~none"):
        assert escaped in markdown
    assert "<img" not in markdown.replace("\\<img", "")


def test_line_breaks_in_findings_are_kept_as_hard_breaks(severities: SeverityModel) -> None:
    incident = Incident.declare(1, "API down", severities.get("P1"), T0, "alice")
    incident.resolve(T0 + MIN, "alice", severities.get("P1"), "first line\nsecond line\\")
    markdown = exported(incident, severities)
    assert "first line\\\nsecond line\\\\\n" in markdown


def test_data_loss_unknown_and_none_read_differently(severities: SeverityModel) -> None:
    unknown = Incident.declare(1, "API down", severities.get("P1"), T0, "alice")
    none = Incident.declare(
        2, "API down", severities.get("P1"), T0, "alice", impact=Impact(data_loss="none")
    )
    assert "- Data loss: unknown" in exported(unknown, severities)
    assert "- Data loss: none" in exported(none, severities)
