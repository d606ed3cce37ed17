"""The one JSON shape of each on-call answer: the API's, and the CLI's --json (locally and
through a server). `cli/remote_oncall.py` reads them back."""

from __future__ import annotations

from typing import Any

from tocsin.app.oncall import Reachability, WhoIsOn
from tocsin.app.oncall_records import CalendarFeed, OverrideRecord
from tocsin.core.oncall import OnCall, Shift
from tocsin.core.timeline import iso


def span_json(span: OnCall | None, names: dict[str, str]) -> dict[str, Any] | None:
    if span is None:
        return None
    name = names.get(span.person, span.person) if span.person else None
    return {
        "person": span.person,
        "name": name,
        "since": iso(span.since),
        "until": iso(span.until),
    }


def who_json(who: WhoIsOn) -> dict[str, Any]:
    names = dict(who.names)
    return {
        "schedule": who.schedule,
        "time_zone": who.time_zone,
        "at": iso(who.at),
        "on_call": span_json(who.current, names),
        "next": span_json(who.next, names),
    }


def shift_json(shift: Shift, name: str | None = None) -> dict[str, Any]:
    return {
        "person": shift.person,
        "name": name or shift.person,
        "from": iso(shift.start),
        "to": iso(shift.end),
        "layer": shift.layer,
        "replaces": shift.replaces,
    }


def override_json(record: OverrideRecord) -> dict[str, Any]:
    return {
        "id": record.id,
        "schedule": record.schedule,
        "person": record.person,
        "from": iso(record.starts_at),
        "to": iso(record.ends_at),
        "created_by": record.created_by,
        "created_at": iso(record.created_at),
        "reason": record.reason,
    }


def reachability_json(report: Reachability) -> dict[str, Any]:
    return {
        "ok": report.ok,
        "from": iso(report.start),
        "to": iso(report.end),
        "unreachable": [
            {"schedule": u.schedule, "person": u.person, "name": u.name, "reason": u.reason}
            for u in report.unreachable
        ],
        "gaps": [
            {"schedule": g.schedule, "from": iso(g.start), "to": iso(g.end)} for g in report.gaps
        ],
    }


def feed_json(feed: CalendarFeed) -> dict[str, Any]:
    return {
        "id": feed.id,
        "target": feed.target.value,
        "name": feed.name,
        "created_by": feed.created_by,
        "created_at": iso(feed.created_at),
    }


def feed_path(feed: CalendarFeed, secret: str | None = None) -> str:
    """The feed's path under the API, with its secret when given."""
    base = "oncall" if feed.target.value == "schedule" else "people"
    path = f"/api/v1/{base}/{feed.name}.ics"
    return f"{path}?token={secret}" if secret else path
