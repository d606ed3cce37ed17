"""A preset's tocsin.yaml without its `escalation:` section, for tests that write their own."""

from __future__ import annotations

import re

from tocsin.config import render_preset

_SECTION = re.compile(r"^escalation:\n(?:(?:  |#  ).*\n)*", re.MULTILINE)


def without_escalation(text: str) -> str:
    found, count = _SECTION.subn("", text)
    assert count == 1, "the preset has one escalation: section"
    return found


def bare_preset(name: str = "p1-p4") -> str:
    return without_escalation(render_preset(name))
