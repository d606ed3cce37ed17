"""What alert groups write on incidents, whoever asks: declaring one for a group (from
ingestion, or a person taking a suggestion) and the summary entries on its timeline."""

from __future__ import annotations

from datetime import datetime

from tocsin.app.alert_records import AlertGroup, AlertRow
from tocsin.app.incidents import IncidentService, Outcome
from tocsin.app.ports import UnitOfWork
from tocsin.core import rules
from tocsin.core.alerts import next_milestone, top_values
from tocsin.core.incident import Incident
from tocsin.core.scope import Scope


def declare_for_group(
    incidents: IncidentService,
    uow: UnitOfWork,
    group: AlertGroup,
    worst: AlertRow,
    actor: str,
    now: datetime,
    title: str | None = None,
) -> Outcome:
    """Declare through the one declare path, inside the caller's transaction: the worst
    alert's severity, its summary as the title unless one is given, the group's service as
    the scope; then the first summary entry. The caller saves the incident, links the
    alerts and commits: the handlers for `declared` run at that commit."""
    outcome = incidents.declare_within(
        uow,
        actor,
        (rules.one_line(worst.summary) or rules.slug(group.service)) if title is None else title,
        worst.severity,
        Scope(services=(rules.slug(group.service),)),
        labels=["alert"],
    )
    group.next_milestone = 1
    summarise(outcome.incident, group, f"{worst.integration} (alerts)", now)
    return outcome


def summarise(incident: Incident, group: AlertGroup, actor: str, now: datetime) -> None:
    """A timeline entry at 1, 2, 5, 10, 20, 50 … alerts, not one per alert."""
    if group.alerts < group.next_milestone:
        return
    tops = top_values(group.label_counts)
    text = (
        f"{group.alerts} alert(s) for {group.service}, {group.firing} firing, "
        f"{group.events} event(s) since {group.first_at:%Y-%m-%d %H:%M:%S} UTC"
        + (f"; top: {', '.join(tops)}" if tops else "")
    )
    data = {
        "group_key": group.group_key,
        "alerts": group.alerts,
        "events": group.events,
        "firing": group.firing,
        "first_at": group.first_at.isoformat(),
        "last_at": group.last_at.isoformat(),
        "top": tops,
    }
    incident.record_alerts(now, actor, text, data)
    group.next_milestone = next_milestone(group.alerts)


def all_resolved(incident: Incident, group: AlertGroup, actor: str, now: datetime) -> None:
    """Tell the commander the alerts stopped: the symptom cleared (the cause may not)."""
    n = group.alerts
    text = f"all {n} alert{'' if n == 1 else 's'} resolved at {now:%Y-%m-%d %H:%M:%S} UTC"
    data = {"group_key": group.group_key, "alerts": n, "all_resolved": True}
    incident.record_alerts(now, actor, text, data)
