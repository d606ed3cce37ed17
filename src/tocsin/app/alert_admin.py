"""Integrations and their keys, silences, maintenance windows, and reading stored alerts."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tocsin.app.alert_records import AlertRow, Integration
from tocsin.app.ports import AlertFilter, Clock, UnitOfWork
from tocsin.core import rules
from tocsin.core.access import Unauthenticated
from tocsin.core.errors import InvalidInput, NotFound
from tocsin.core.routing import Matcher
from tocsin.core.silences import MaintenanceWindow, Silence

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
            uow.commit()
        return Silence.new(parsed, start, ends, author, comment, silence_id)

    def _future_window(self, starts: datetime | None, ends: datetime) -> datetime:
        now = self._clock.now()
        if ends <= now:
            raise InvalidInput("ends_at is in the past; give an end in the future")
        return starts or now

    def expire_silence(self, silence_id: int) -> None:
        with self._uow() as uow:
            if not uow.alerts.expire_silence(silence_id, self._clock.now()):
                raise NotFound(f"no active silence {silence_id}; see `tocsin silence list`")
            uow.commit()

    def silences(self, include_expired: bool = False) -> list[Silence]:
        with self._read() as uow:
            return uow.alerts.silences(self._clock.now(), include_expired)

    def maintenance(
        self, service: str, starts: datetime | None, ends: datetime, author: str, comment: str
    ) -> MaintenanceWindow:
        start = self._future_window(starts, ends)
        with self._uow() as uow:
            draft = MaintenanceWindow.new(service, start, ends, author, comment)
            window_id = uow.alerts.add_window(draft)
            uow.commit()
        return MaintenanceWindow.new(service, start, ends, author, comment, window_id)

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
