"""Golden files: the drafts of a scripted incident (fixed clock) in each preset's outline and
in a team's own template. Set TOCSIN_UPDATE_GOLDEN=1 to write them again, then read the diff."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import preset_config
from tests.support.postmortems import scripted
from tocsin.app.postmortem_context import ActionItemView, context
from tocsin.core.errors import InvalidInput
from tocsin.integrations.postmortems.renderer import PostmortemTemplates, TemplateFile

GOLDEN = Path(__file__).resolve().parents[1] / "golden"
ITEMS = [
    ActionItemView("Batch every migration", "carol", "2026-12-01", "open", "fix-root-cause"),
    ActionItemView("Alert on lock waits", "bob", None, "done", "add-monitoring", "https://x/1"),
    ActionItemView("Write the *orders* runbook", None, None, "open", None),
]


def draft(preset: str, key: str, template: str | None = None, items: bool = True) -> str:
    severity = preset_config(preset).severity_model().get(key)
    inc = scripted(severity)
    ctx = context(inc, inc.pending, severity, "alice", "database", preset, ITEMS if items else [])
    return PostmortemTemplates(preset, template).render(ctx)


def check(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("TOCSIN_UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8")


def test_second_seed_outline() -> None:
    check("postmortem_sev1_sev3.md", draft("sev1-sev3", "SEV-1"))


def test_second_seed_outline_without_action_items() -> None:
    text = draft("sev1-sev3", "SEV-1", items=False)
    assert "## Action Items\n- [ ] _To write: action — owner: name, deadline: date_\n" in text


def test_first_seed_outline() -> None:
    check("postmortem_p1_p4.md", draft("p1-p4", "P1"))


def test_custom_template() -> None:
    template = (GOLDEN / "custom_template.md.j2").read_text(encoding="utf-8")
    check("postmortem_custom.md", draft("sev1-sev3", "SEV-1", template))


def test_user_text_cannot_add_markup() -> None:
    text = draft("sev1-sev3", "SEV-1")
    assert "# Incident Post-Mortem: API returning 500 \\# for \\[all\\](http://x) tenants" in text
    assert "\\<b\\>every\\</b\\> write waited." in text
    assert "\n- All tenants" not in text  # the summary's list item stays text


def test_second_seed_sections_in_order() -> None:
    text = draft("sev1-sev3", "SEV-1")
    heads = [line for line in text.splitlines() if line.startswith("## ")]
    assert heads == [
        "## Summary", "## Timeline (UTC)", "## Root Cause", "## Impact", "## Mitigation",
        "## Fix", "## Action Items", "## Lessons Learned",
    ]  # fmt: skip
    for field in ("**Date**: 2026-11-22", "**Severity**: SEV-1", "**Duration**: 01:41",
                  "**Author**: alice"):  # fmt: skip
        assert field in text


def test_a_broken_team_template_names_its_line(tmp_path: Path) -> None:
    bad = tmp_path / "pm.md.j2"
    bad.write_text("# {{ incident.id }}\n\n{% for m in moments %}\n", encoding="utf-8")
    with pytest.raises(InvalidInput, match=r"pm.md.j2: line 3: .*endfor"):
        TemplateFile("sev1-sev3", bad).render({})
    bad.write_text("# {{ incident.id }}\n{{ nonsense.field }}\n", encoding="utf-8")
    severity = preset_config("sev1-sev3").severity_model().get("SEV-1")
    inc = scripted(severity)
    ctx = context(inc, inc.pending, severity, "alice", None, "sev1-sev3", [])
    with pytest.raises(InvalidInput, match=r"line 2: 'nonsense' is undefined"):
        TemplateFile("sev1-sev3", bad).render(ctx)


def test_the_seed_template_has_the_sections_the_default_outline_writes() -> None:
    """The second seed (when present) holds the template the default outline follows."""
    seeds = Path(__file__).resolve().parents[3] / "shared" / "seeds"
    found = [p for p in seeds.glob("*.txt") if "## Post-Mortem Template" in _read(p)]
    if not found:
        pytest.skip("the seeds are not beside the repository")
    seed = _read(found[0])
    template = seed.split("## Post-Mortem Template", 1)[1].split("```markdown", 1)[1]
    template = template.split("```", 1)[0]
    ours = draft("sev1-sev3", "SEV-1")
    for line in template.splitlines():
        if line.startswith("## "):
            assert line in ours
    for label in ("Alert fired / user reported", "On-call acknowledged", "Root cause identified",
                  "Mitigation applied", "Fix deployed", "Confirmed resolved"):  # fmt: skip
        assert label in template
        assert label in ours


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")
