"""Commented starter tocsin.yaml files, one per severity style found in real runbooks."""

from __future__ import annotations

import yaml

from tocsin.config.preset_text import HEADER, TAIL

PRESETS = ("p1-p4", "sev1-sev3")

# 🔴 P1 (Critical) ... ⚪ P4 (Low): the ModAx runbook. Acknowledge within 5 minutes for P1
# ("Immediate Response (0-5 minutes)"), post-mortem meeting "within 48 hours".
_P1_P4 = """\
severities:
  - key: P1
    label: Critical
    emoji: "🔴"
    description: "Complete outage, data loss risk, security breach"
    response_target: 5m
    update_every: 30m
    postmortem: {required: true, due_within: 48h}
  - key: P2
    label: High
    emoji: "🟡"
    description: "Major feature broken, significant performance degradation"
    response_target: 15m
    update_every: 1h
    postmortem: {required: true, due_within: 48h}
  - key: P3
    label: Medium
    emoji: "🔵"
    description: "Minor feature issues, non-critical bugs"
    response_target: 1h
    update_every: 4h
    postmortem: {required: false}
  - key: P4
    label: Low
    emoji: "⚪"
    description: "Cosmetic issues, minor inconveniences"
    response_target: 4h
    postmortem: {required: false}
"""

# SEV-1 ... SEV-3: the SaaS runbook's severity table; "Every SEV-1 and SEV-2 incident MUST
# have a post-mortem within 48 hours", SEV-3 "optional but encouraged".
_SEV1_SEV3 = """\
severities:
  - key: SEV-1
    label: Critical
    emoji: "🔴"
    description: "Service down or data breach"
    examples: ["All APIs returning 500", "tenant data leaked", "auth bypass"]
    response_target: 15m
    update_every: 30m
    postmortem: {required: true, due_within: 48h}
  - key: SEV-2
    label: Major
    emoji: "🟠"
    description: "Major feature broken"
    examples: ["AI chat down", "orders not saving", "notifications not sending"]
    response_target: 1h
    update_every: 1h
    postmortem: {required: true, due_within: 48h}
  - key: SEV-3
    label: Minor
    emoji: "🟡"
    description: "Minor degradation"
    examples: ["Slow API responses", "dashboard data delayed", "cosmetic UI bug"]
    response_target: 4h
    update_every: 4h
    postmortem: {required: false}  # optional, but write one when the fix was non-trivial
"""

# name -> (severities text, first key, its title, the commented default_severity)
_SEVERITIES = {  # the severities, the first and second keys, the first's title, the default
    "p1-p4": (_P1_P4, "P1", "P2", "🔴 P1 (Critical)", "P3"),
    "sev1-sev3": (_SEV1_SEV3, "SEV-1", "SEV-2", "🔴 SEV-1 (Critical)", "SEV-2"),
}

# A commented template in each runbook's own style: a block, or a sentence.
_TEMPLATE_EXAMPLE = {
    "p1-p4": """\
#  announcement: |
#    🚨 INCIDENT: {{ incident.title }}
#    Severity: {{ incident.severity }}
#    Status: Investigating
""",
    "sev1-sev3": """\
#  acknowledged: |
#    Investigating {{ incident.title }} ({{ severity.key }}, {{ incident.id }}).
""",
}


def _yaml_string(text: str) -> str:
    """A double-quoted YAML scalar that reads back as exactly `text`."""
    dumped = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30)
    return dumped.strip().removesuffix("...").strip()


def _comment_text(text: str) -> str:
    """`text` fit for a one-line comment: printable characters, single spaces."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(printable.split()) or "the team"


def render_preset(name: str, organization: str = "My team") -> str:
    """The commented tocsin.yaml of preset `name`. Raises ValueError for an unknown name."""
    if name not in _SEVERITIES:
        raise ValueError(f"unknown preset {name!r}; presets: {', '.join(PRESETS)}")
    severities, first, second, title, default = _SEVERITIES[name]
    header = (  # the organization last: its own text may look like a placeholder
        HEADER.replace("__FIRST__", first)
        .replace("__TITLE__", title)
        .replace("__ORGANIZATION_TEXT__", _comment_text(organization))
        .replace("__ORGANIZATION__", _yaml_string(organization))
    )
    tail = (
        TAIL.replace("__DEFAULT__", default)
        .replace("__MESSAGES__", name)
        .replace("__TEMPLATE_EXAMPLE__", _TEMPLATE_EXAMPLE[name])
        .replace("__FIRST__", first)
        .replace("__SECOND__", second)
    )
    return f"{header}{severities}\n{tail}"
