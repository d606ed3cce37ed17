"""Integrations and their keys, silences, maintenance windows, and reading stored alerts."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from tocsin.app import audit
from tocsin.app.alert_records import AlertRow, Integration
from tocsin.app.ports import AlertFilter, Clock, UnitOfWork
from tocsin.app.views import silence_json
from tocsin.core import rules
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.routing import Matcher
from tocsin.core.silences import (
    MaintenanceWindow,
    OverlappingMaintenance,
    Silence,
    first_overlap,
)
from tocsin.core.timeline import iso

SOURCES = ("alertmanager", "pagerduty", "cloudwatch", "grafana", "generic")
KEY_CACHE = timedelta(seconds=30)
MAX_CACHED_KEYS = 1_000


@dataclass(frozen=True, slots=True)
class AlertPage:
    items: list[AlertRow]
    total: int


def check_source(source: str) -> str:
    if source not in SOURCES:
        raise InvalidInput(f"unknown source {source!r}; valid sources: {', '.join(SOURCES)}")
    return source


def new_key() -> str:
    """32 hex characters: the length PagerDuty's routing keys have, so its clients accept it."""
    return secrets.token_hex(16)


class AlertAdmin:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._uow = uow
        self._read = reader or uow
        self._keys: dict[str, tuple[Integration, datetime]] = {}
        self._clock = clock

    # -- integrations --------------------------------------------------------------------

    def add_integration(self, name: str, source: str) -> Integration:
        check_source(source)
        slug = rules.handle(name, "integration name")
        with self._uow() as uow:
            if any(i.name == slug for i in uow.alerts.integrations()):
                raise InvalidInput(f"integration {slug} exists; rotate its key instead")
            uow.alerts.add_integration(slug, source, new_key(), self._clock.now())
            uow.commit()
        return self.integration(slug)

    def rotate_key(self, name: str) -> Integration:
        self._keys.clear()
        with self._uow() as uow:
            if not uow.alerts.rotate_integration(name, new_key(), self._clock.now()):
                raise NotFound(f"no integration {name}; list them with `tocsin integration list`")
            uow.commit()
        return self.integration(name)

    def integrations(self) -> list[Integration]:
        with self._read() as uow:
            return uow.alerts.integrations()

    def integration(self, name: str) -> Integration:
        found = [i for i in self.integrations() if i.name == name]
        if not found:
            raise NotFound(f"no integration {name}; list them with `tocsin integration list`")
        return found[0]

    def authenticate(self, key: str | None, source: str) -> Integration:
        """The integration a key opens, for this source only. Wrong, missing or another
        source's key: the same answer, saying nothing of whether the integration exists."""
        if key:
            found = self._by_key(key.strip())
            matches = found is not None and secrets.compare_digest(found.key, key.strip())
            if found is not None and matches and found.source == source:
                return found
        raise Unauthenticated("missing or wrong integration key")

    def authenticate_cached(self, key: str | None, source: str) -> Integration | None:
        """`authenticate` when the key is in the cache (no I/O, safe on an event loop);
        None when the answer needs the database: then call `authenticate`."""
        if not key:
            return None
        cached = self._keys.get(key.strip())
        if cached is None or cached[1] <= self._clock.now():
            return None
        return self.authenticate(key, source)

    def _by_key(self, key: str) -> Integration | None:
        """Known keys are cached for KEY_CACHE: every alert request presents one. A rotation
        here takes effect at once; in another process within that time."""
        now = self._clock.now()
        cached = self._keys.get(key)
        if cached is not None and cached[1] > now:
            return cached[0]
        with self._read() as uow:
            found = uow.alerts.integration_by_key(key)
        if found is not None:
            if len(self._keys) >= MAX_CACHED_KEYS:
                self._keys.clear()
            self._keys[key] = (found, now + KEY_CACHE)
        return found

    # -- silences and maintenance --------------------------------------------------------

    def silence(
        self,
        matchers: Iterable[str],
        starts: datetime | None,
        ends: datetime,
        author: str,
        comment: str,
    ) -> Silence:
        parsed = [Matcher.parse(m) for m in matchers]
        start = self._future_window(starts, ends)
        with self._uow() as uow:
            draft = Silence.new(parsed, start, ends, author, comment)
            silence_id = uow.alerts.add_silence(draft)
            silence = Silence.new(parsed, start, ends, author, comment, silence_id)
            detail = silence_json(silence)
            audit.append(uow, self._clock.now(), author, "silence.added", None, detail)
            uow.commit()
        return silence

    def _future_window(self, starts: datetime | None, ends: datetime) -> datetime:
        now = self._clock.now()
        if ends <= now:
            raise InvalidInput("ends_at is in the past; give an end in the future")
        return starts or now

    def expire_silence(self, silence_id: int, actor: str) -> None:
        """End a silence now; audited (the alerts it held back count again at once)."""
        now = self._clock.now()
        with self._uow() as uow:
            if not uow.alerts.expire_silence(silence_id, now):
                raise NotFound(f"no active silence {silence_id}; see `tocsin silence list`")
            audit.append(uow, now, actor, "silence.expired", None, {"silence": silence_id})
            uow.commit()

    def silences(self, include_expired: bool = False) -> list[Silence]:
        with self._read() as uow:
            return uow.alerts.silences(self._clock.now(), include_expired)

    def maintenance(
        self, service: str, starts: datetime | None, ends: datetime, author: str, comment: str
    ) -> MaintenanceWindow:
        """A new window; refused when it overlaps one of the same service (edit that one)."""
        start = self._future_window(starts, ends)
        with self._uow() as uow:
            draft = MaintenanceWindow.new(service, start, ends, author, comment)
            self._refuse_overlap(uow, draft, "adding")
            window_id = uow.alerts.add_window(draft)
            window = replace(draft, id=window_id)
            audit.append(uow, self._clock.now(), author, "maintenance.added", None, _detail(window))
            uow.commit()
        return window

    def end_maintenance(self, window_id: int, actor: str) -> MaintenanceWindow:
        """End a window now (one not started yet is cancelled); audited."""
        now = self._clock.now()
        with self._uow() as uow:
            before = self._window(uow, window_id)
            after = before.ended(now)
            uow.alerts.update_window(after)
            audit.append(uow, now, actor, "maintenance.ended", None, _detail(after, before))
            uow.commit()
        return after

    def edit_maintenance(
        self,
        window_id: int,
        actor: str,
        starts: datetime | None = None,
        ends: datetime | None = None,
        comment: str | None = None,
    ) -> MaintenanceWindow:
        """New times or comment for a window that has not ended, checked as a new window
        is (and for overlaps); refused whole, nothing changed, if any part is wrong."""
        now = self._clock.now()
        with self._uow() as uow:
            before = self._window(uow, window_id)
            after = before.edited(now, starts, ends, comment)
            self._refuse_overlap(uow, after, "moving")
            uow.alerts.update_window(after)
            audit.append(uow, now, actor, "maintenance.edited", None, _detail(after, before))
            uow.commit()
        return after

    def _window(self, uow: UnitOfWork, window_id: int) -> MaintenanceWindow:
        found = uow.alerts.window(window_id)
        if found is None:
            raise NotFound(f"no maintenance {window_id}; see `tocsin maintenance list`")
        return found

    def _refuse_overlap(self, uow: UnitOfWork, window: MaintenanceWindow, doing: str) -> None:
        """Overlapping windows of one service are refused, not merged: merging would change
        another person's window (its times, its comment) behind their back."""
        other = first_overlap(window, uow.alerts.windows(self._clock.now()))
        if other is not None:
            raise OverlappingMaintenance(
                f"{doing} this window would overlap maintenance {other.id} for {other.service} "
                f"({iso(other.starts_at)} to {iso(other.ends_at)}, by {other.author}); extend "
                f"that one instead: tocsin maintenance edit {other.id} --ends ..., or choose "
                "times that do not overlap"
            )

    def windows(self, include_expired: bool = False) -> list[MaintenanceWindow]:
        with self._read() as uow:
            return uow.alerts.windows(self._clock.now(), include_expired)

    # -- reading alerts and recording changes --------------------------------------------

    def alerts(self, query: AlertFilter) -> AlertPage:
        with self._read() as uow:
            return AlertPage(uow.alerts.find(query), uow.alerts.count(query))

    def record_change(
        self, integration: str, summary: str, source: str | None, at: datetime | None, details: Any
    ) -> None:
        with self._uow() as uow:
            uow.alerts.add_change(
                integration, summary, source, at or self._clock.now(), details or {}
            )
            uow.commit()


def _detail(window: MaintenanceWindow, before: MaintenanceWindow | None = None) -> dict[str, Any]:
    """The audit record's detail: the window as it is, and what it was."""

    def shown(w: MaintenanceWindow) -> dict[str, Any]:
        return {"starts_at": iso(w.starts_at), "ends_at": iso(w.ends_at), "comment": w.comment}

    detail = {"maintenance": window.id, "service": window.service, **shown(window)}
    if before is not None:
        detail["before"] = shown(before)
    return detail
