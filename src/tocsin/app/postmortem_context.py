"""What a post-mortem template sees: the incident's facts, already escaped for Markdown.

Everything people typed (title, root cause, fix, mitigation, impact, names) goes through
`app/export.py`'s `inline`/`block`, so a template, the team's own included, cannot let a
root cause add a heading, a link or HTML. Facts the timeline does not hold are `None`; the
templates write "not recorded" for them rather than inventing one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tocsin.app.export import block, inline
from tocsin.core import postmortem as pm
from tocsin.core.incident import Incident
from tocsin.core.severity import Severity
from tocsin.core.timeline import EntryKind, TimelineEntry

K = EntryKind
# The first seed's action-item categories, in its words.
ACTION_LABELS = {
    "update-runbooks": "Update runbooks",
    "add-monitoring": "Add monitoring/alerts",
    "fix-root-cause": "Fix root cause",
    "improve-testing": "Improve testing",
    "update-documentation": "Update documentation",
}
_QUIET = (K.MESSAGE, K.PAGE)  # verbatim messages and page attempts: other sections say them


@dataclass(frozen=True, slots=True)
class ActionItemView:
    """An action item as the draft lists it (built by the action items feature)."""

    title: str
    owner: str | None = None
    deadline: str | None = None  # YYYY-MM-DD
    status: str = "open"
    category: str | None = None
    link: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime("%Y-%m-%d %H:%M")


def _moment(m: pm.Moment, day: str) -> dict[str, Any]:
    stamp = _when(m.at)
    time = None if stamp is None else (stamp[11:] if stamp[:10] == day else stamp)
    return {
        "key": m.key,
        "label": m.label,
        "at": stamp,
        "time": time,
        "actor": inline(m.actor) if m.actor else None,
        "seq": m.seq,
    }


def _in_order(moments: list[pm.Moment]) -> list[pm.Moment]:
    """Recorded moments by time (the template's order between equal times), then the ones
    not recorded, in the template's order."""
    recorded = sorted((m for m in moments if m.at is not None), key=lambda m: m.at or 0)
    return recorded + [m for m in moments if m.at is None]


def _minutes(start: datetime | None, end: datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return int((end - start).total_seconds() // 60)


def _item(item: ActionItemView) -> dict[str, Any]:
    return {
        "title": inline(item.title),
        "owner": inline(item.owner) if item.owner else None,
        "deadline": inline(item.deadline) if item.deadline else None,
        "status": inline(item.status),
        "done": item.status.lower() in ("done", "closed"),
        "category": item.category,
        "link": inline(item.link) if item.link else None,
    }


def _entry(e: TimelineEntry) -> dict[str, Any]:
    return {
        "at": _when(e.at),
        "time": e.at.strftime("%H:%M"),
        "kind": e.kind.value.replace("_", " "),
        "actor": inline(e.actor),
        "text": inline(e.text),
    }


def context(
    incident: Incident,
    timeline: list[TimelineEntry],
    severity: Severity,
    author: str,
    category: str | None,
    outline: str,
    action_items: list[ActionItemView],
) -> dict[str, Any]:
    """The template context (documented in docs/postmortems.md)."""
    moments = pm.key_moments(timeline)
    at = {m.key: m.at for m in moments}
    day = (at["detected"] or incident.declared_at).strftime("%Y-%m-%d")
    impact = incident.impact
    items = [_item(i) for i in action_items]
    scope = incident.scope
    tenants = "all tenants" if scope.all_tenants else ", ".join(scope.tenants)
    return {
        "incident": {
            "id": incident.id,
            "title": inline(incident.title),
            "status": incident.status.value,
            "declared_at": _when(incident.declared_at),
            "resolved_at": _when(incident.resolved_at),
            "services": inline(", ".join(scope.services)) or None,
            "tenants": inline(tenants) or None,
            "roles": {role: inline(who) for role, who in sorted(incident.roles.items())},
            "labels": [inline(label) for label in incident.labels],
        },
        "date": day,
        "severity": {
            "key": severity.key,
            "label": inline(severity.label),
            "title": inline(severity.title),
        },
        "duration": pm.hh_mm(pm.duration(moments)),
        "duration_minutes": _minutes(at["detected"], at["resolved"]),
        "author": inline(author),
        "category": category,
        "summary": block(impact.summary) if impact.summary else None,
        "moments": [_moment(m, day) for m in _in_order(moments)],
        "timeline": [_entry(e) for e in timeline if e.kind not in _QUIET],
        "root_cause": block(incident.root_cause) if incident.root_cause else None,
        "mitigation": block(incident.mitigation) if incident.mitigation else None,
        "fix": block(incident.fix) if incident.fix else None,
        "impact": {
            "customer_impact": impact.customer_impact,
            "users_affected": inline(impact.users_affected) if impact.users_affected else None,
            "data_loss": inline(impact.data_loss) if impact.data_loss else None,
            # until service was restored: mitigation applied, else confirmed resolved
            "minutes": _minutes(at["detected"], at["mitigated"] or at["resolved"]),
        },
        "actions_taken": [_entry(e) for e in timeline if e.kind in (K.MITIGATED, K.COMMAND)],
        "action_items": items,
        "action_categories": [
            {
                "key": key,
                "label": ACTION_LABELS.get(key, key),
                "items": [i for i in items if i["category"] == key],
            }
            for key in pm.ACTION_CATEGORIES.get(outline, ())
        ],
        "postmortem_due": _when(incident.postmortem_due),
    }
