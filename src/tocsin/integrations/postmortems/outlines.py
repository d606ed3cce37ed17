"""The built-in post-mortem outlines, one per seed (Jinja2, rendered in a sandbox).

The context is escaped Markdown (app/postmortem_context.py): a value is either text to
place as it is, or None when the timeline does not record it ("not recorded"). Sections that
people write (summary, lessons) start as a prompt in italics.
"""

from __future__ import annotations

# One action item as a checklist line (a macro: both outlines write it the same way).
_ITEM = (
    "{% macro item_line(item) -%}\n"
    '- [{{ "x" if item.done else " " }}] {{ item.title }}'
    ' — owner: {{ item.owner or "unassigned" }}, deadline: {{ item.deadline or "none" }}'
    "{% if item.link %} ({{ item.link }}){% endif %}\n"
    "{%- endmacro %}"
)
_MINUTES = (
    "{% macro minutes(value) -%}\n"
    "{% if value is none %}not recorded{% else %}{{ value }} minutes{% endif %}\n"
    "{%- endmacro %}"
)

# The SaaS runbook's "Post-Mortem Template" (preset sev1-sev3), section for section.
SEV1_SEV3 = (
    _ITEM
    + _MINUTES
    + """\
# Incident Post-Mortem: {{ incident.title }}

**Date**: {{ date }}
**Severity**: {{ severity.key }}
**Duration**: {{ duration or "not recorded" }} (from detection to resolution)
**Author**: {{ author }}
{%- if category %}
**Root-cause category**: {{ category }}{% endif %}

## Summary
{{ summary or "_To write: one-paragraph description of what happened._" }}

## Timeline (UTC)
{% for m in moments -%}
- {{ m.time or "not recorded" }} — {{ m.label }}{% if m.actor %} ({{ m.actor }}){% endif %}
{% endfor %}
## Root Cause
{{ root_cause or "Not recorded." }}

## Impact
- Users affected: {{ impact.users_affected or "not recorded" }}
- Duration of impact: {{ minutes(impact.minutes) }}
- Data loss: {{ impact.data_loss or "not recorded" }}

## Mitigation
{{ mitigation or "Not recorded." }}

## Fix
{{ fix or "Not recorded." }}

## Action Items
{% for item in action_items -%}
{{ item_line(item) }}
{% else -%}
- [ ] _To write: action — owner: name, deadline: date_
{% endfor %}
## Lessons Learned
_To write: what we'd do differently next time._
"""
)

# The ModAx runbook's incident report (preset p1-p4): "Timeline of events, Root cause
# analysis, Impact assessment, Actions taken, Lessons learned", and its action items by
# category ("Update runbooks, Add monitoring/alerts, Fix root cause, Improve testing,
# Update documentation").
P1_P4 = (
    _ITEM
    + _MINUTES
    + """\
# Incident Report {{ incident.id }}: {{ incident.title }}

- **Severity**: {{ severity.title }}
- **Date**: {{ date }}
- **Duration**: {{ minutes(duration_minutes) }}
- **Author**: {{ author }}
- **Services**: {{ incident.services or "not recorded" }}

## Timeline of Events
{% for m in moments -%}
- {{ m.at or "not recorded" }} — {{ m.label }}{% if m.actor %} ({{ m.actor }}){% endif %}
{% endfor %}
### All entries
{% for e in timeline -%}
- {{ e.at }} — {{ e.kind }} ({{ e.actor }}): {{ e.text }}
{% endfor %}
## Root Cause Analysis
{{ root_cause or "Not recorded." }}

- Category: {{ category or "not recorded" }}

## Impact Assessment
- Customer impact: {{ {True: "yes", False: "no"}.get(impact.customer_impact, "not recorded") }}
- Users affected: {{ impact.users_affected or "not recorded" }}
- Tenants: {{ incident.tenants or "not recorded" }}
- Duration of impact: {{ minutes(impact.minutes) }}
- Data loss: {{ impact.data_loss or "not recorded" }}

## Actions Taken
{% for e in actions_taken -%}
- {{ e.at }} — {{ e.kind }} ({{ e.actor }}): {{ e.text }}
{% else -%}
- not recorded
{% endfor %}
- Fix applied: {{ fix or "not recorded" }}

## Lessons Learned
_To write: what went well, what did not, what we would do differently._

## Action Items
{% for group in action_categories -%}
### {{ group.label }}
{% for item in group["items"] -%}
{{ item_line(item) }}
{% else -%}
- [ ] _none yet_
{% endfor %}
{% endfor -%}
{% set keys = action_categories | map(attribute="key") | list -%}
{% set others = action_items | rejectattr("category", "in", keys) | list -%}
{% if others -%}
### Other
{% for item in others -%}
{{ item_line(item) }}
{% endfor %}
{% endif -%}
"""
)

OUTLINES = {"sev1-sev3": SEV1_SEV3, "p1-p4": P1_P4}
