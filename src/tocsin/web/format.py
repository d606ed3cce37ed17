"""Pure helpers for the pages: durations, times, severity colours and safe redirects."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from tocsin.core.errors import UnknownSeverity
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import utc

SEVERITY_CLASSES = 4  # sev-0 (most severe, red) … sev-3 (grey); lower ones share sev-3


def duration(delta: timedelta | None) -> str:
    """'45s', '12m', '1h 5m', '2d 3h': short and sortable by eye."""
    if delta is None:
        return "—"
    seconds = max(0, int(delta.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes}m" if minutes else f"{hours}h"
    return f"{minutes}m" if minutes else f"{secs}s"


def utc_text(moment: datetime | None) -> str:
    """How the messages write a time: 2026-11-22 03:00 UTC."""
    return "—" if moment is None else utc(moment).strftime("%Y-%m-%d %H:%M UTC")


def wall_text(moment: datetime | None, zone: str) -> str:
    """A time on a schedule's wall clock: Mon 30 Nov 09:00 CET; None is open-ended."""
    if moment is None:
        return "further notice"
    return moment.astimezone(ZoneInfo(zone)).strftime("%a %d %b %H:%M %Z")


def severity_class(model: SeverityModel, key: str) -> str:
    """A CSS class by rank, since teams name their severities as they like."""
    try:
        rank = model.rank(key)
    except UnknownSeverity:  # a severity since removed from tocsin.yaml
        rank = SEVERITY_CLASSES - 1
    return f"sev-{min(rank, SEVERITY_CLASSES - 1)}"


def safe_next(target: str | None, default: str = "/") -> str:
    """A local path to go to after login; anything that could leave the site becomes `default`."""
    if not target or len(target) > 2000 or "\\" in target:
        return default
    if any(ord(ch) < 0x20 or ord(ch) == 0x7F for ch in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return default
    return target


def link(url: str | None) -> str | None:
    """An alert's link, only when it is plainly http(s): a sender's `javascript:` or
    `data:` URL is shown as text, never made clickable."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    return url.strip() if parts.scheme in ("http", "https") and parts.netloc else None
