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

# "On-call engineer (0-15 min)", first on the escalation path; "Check #modax-oncall".
_ONCALL_ENGINEER = """\
#schedules:
#  - name: oncall-engineer
#    description: "On-call engineer: first to respond (0-15 min); see #modax-oncall"
#    time_zone: Europe/Berlin
#    layers:
#      - people: [ann, bob]
#        rotation: weekly
#        handoff: "09:00"
#        start: 2026-01-05  # a Monday: hand-offs on Mondays at 09:00
"""

# "On-call person has AWS Console access, CloudWatch access, and ECS deploy permissions"; the
# post-mortem timeline is in UTC ("HH:MM - On-call acknowledged").
_ON_CALL_OWNER = """\
#schedules:
#  - name: on-call
#    description: "Owns the alarm: acknowledges, has AWS Console, CloudWatch and ECS deploy access"
#    time_zone: UTC
#    layers:
#      - name: weekdays
#        people: [ann, bob]
#        rotation: daily
#        handoff: "09:00"
#        start: 2026-01-05
#        restrictions:
#          - {days: [mon-fri], from: "00:00", to: "00:00"}  # whole days, Monday to Friday
#      - name: weekend  # a later layer wins where it has someone
#        people: [bob, ann]
#        rotation: weekly
#        handoff: "00:00"
#        start: 2026-01-10  # a Saturday
#        restrictions:
#          - {days: [weekend], from: "00:00", to: "00:00"}
"""

_SCHEDULES = {"p1-p4": _ONCALL_ENGINEER, "sev1-sev3": _ON_CALL_OWNER}

# The people the first runbook's path names beyond the on-call engineer.
_LEADS = """\
#  - {handle: engineering-lead, name: Engineering Lead, email: lead@example.com}
#  - {handle: cto, name: CTO, email: cto@example.com}
#  - {handle: ceo, name: CEO, email: ceo@example.com}
"""

# "On-call engineer (0-15 min) -> Engineering lead (15-30 min) -> CTO (30+ min for P1) ->
# CEO (60+ min for P1 with customer impact)": the first runbook's escalation path, exactly.
_FIRST_PATH = """\
# The P1-P4 runbook's path: the on-call engineer at once, the engineering lead at 15 minutes,
# the CTO at 30 for P1, the CEO at 60 for P1 with customer impact (a P1's 5-minute response
# target passing unacknowledged brings the next step forward). The schedule and people it
# names are placeholders: fill in people and schedules above (or change the names here),
# then uncomment default_policy to start paging. Until then Tocsin pages nobody and
# `tocsin config check` warns of each name it cannot find.
escalation:
  policies:
    - name: first-seed
      steps:
        - {after: 0m, notify: [schedule:oncall-engineer]}
        - {after: 15m, notify: [person:engineering-lead]}
        - {after: 30m, notify: [person:cto], severities: [P1]}
        - {after: 60m, notify: [person:ceo], severities: [P1], customer_impact: true}
#  routes:  # tried in order; the first whose services and severities match wins
#    - {severities: [P4], policy: null}  # P4 pages nobody
#  default_policy: first-seed  # when no route matches
#  announce:  # where the announcement, updates and RESOLVED are posted, as jobs
#    - {channels: [incidents]}
"""

# "Page the on-call person who owns the alarm" and keep the team channel in the loop.
_SECOND_PATH = """\
# The SEV runbook's path: the on-call person who owns the alarm is paged and the team
# channel gets the same step, again every 15 minutes (repeat: 2 more rounds) while nobody
# acknowledges. The schedule and channel it names are placeholders: fill in schedules and
# channels above, then uncomment default_policy to start paging. Until then Tocsin pages
# nobody and `tocsin config check` warns of each name it cannot find.
escalation:
  policies:
    - name: second-seed
      repeat: 2
      steps:
        - {after: 0m, notify: [schedule:on-call, channel:incidents]}
#  default_policy: second-seed
#  announce:  # every update is posted to the team channel as it is written
#    - {channels: [incidents]}
"""

_PATHS = {"p1-p4": (_LEADS, _FIRST_PATH), "sev1-sev3": ("", _SECOND_PATH)}

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
        .replace("__SCHEDULES__\n", _SCHEDULES[name])
        .replace("__PEOPLE_EXTRA__", _PATHS[name][0])
        .replace("__ESCALATION__", _PATHS[name][1])
    )
    return f"{header}{severities}\n{tail}"
