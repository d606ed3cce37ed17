"""A scripted incident for the post-mortem tests: fixed times, every key moment recorded."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from tocsin.core.incident import Incident
from tocsin.core.scope import ALL_TENANTS, Impact, Scope
from tocsin.core.severity import Severity

T0 = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def scripted(severity: Severity) -> Incident:
    """INC-7: alerts fired at 02:58:10, declared 03:00, ... resolved 04:40."""
    impact = Impact(
        summary="Every API call returned 500 for 80 minutes.\n- All tenants; *nobody* could log in",
        customer_impact=True,
        users_affected="all tenants",
        data_loss="none",
    )
    scope = Scope(services=("api",), tenants=ALL_TENANTS)
    inc = Incident.declare(
        7, "API returning 500 # for [all](http://x) tenants", severity, T0, "alice",
        scope, impact, ("db",), commander="alice",
    )  # fmt: skip
    first = at(-1.8333).replace(microsecond=0)
    inc.record_alerts(at(0.5), "alertmanager", "1 alert firing", {"first_at": first.isoformat()})
    inc.acknowledge(at(4), "bob")
    inc.post_update(at(10), "bob", "Rolling back to task definition 41")
    inc.mitigate(at(20), "bob", "Rolled back ECS to the previous task definition")
    inc.post_update(at(45), "carol", "Root cause: a migration locked the orders table")
    inc.post_update(at(90), "carol", "Fix deployed: the migration now runs in batches")
    inc.resolve(
        at(100), "alice", severity,
        "A migration held an exclusive lock on `orders`;\n<b>every</b> write waited.",
        "Split the migration into batches of 1000 rows",
    )  # fmt: skip
    return inc


def publish(tocsin: Any, ref: str, actor: str = "ann") -> None:
    """Draft, review and publish the post-mortem, so a resolved P1/P2 incident may close."""
    tocsin.postmortems.draft(ref, actor)
    tocsin.postmortems.move(ref, "review", actor)
    tocsin.postmortems.move(ref, "publish", actor)


CLI_PUBLISH = (("postmortem", "draft"), ("postmortem", "review"), ("postmortem", "publish"))
"""The same through the CLI: each followed by the incident id."""
