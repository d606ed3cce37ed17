"""Suggested incidents: alert groups routed with `suggest` that a person declares an incident
for, or dismisses. Declaring takes the one declare path (`declare_for_group`, as ingestion
does), in one transaction that holds the group's lock, links its alerts and commits, so the
handlers for `declared` run for it like for any other declare."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from tocsin.app.alert_incidents import declare_for_group
from tocsin.app.alert_records import AlertGroup, Dismissal, Suggestion
from tocsin.app.incidents import IncidentService, Outcome
from tocsin.app.ports import AlertFilter, Clock, SuggestionFilter, UnitOfWork
from tocsin.core.alerts import AlertStatus
from tocsin.core.errors import DomainError, InvalidInput, NotFound
from tocsin.core.incident import format_id

_GROUP = re.compile(r"^[0-9a-f]{32}$")
_ALERT = re.compile(r"^[1-9][0-9]{0,9}$")
ALERT_ID_MAX = 2**31 - 1  # the column's range
_HOW = "give a group key (32 hex characters) or an alert id (a whole number)"


@dataclass(frozen=True, slots=True)
class SuggestionPage:
    items: list[Suggestion]
    total: int


@dataclass(frozen=True, slots=True)
class AlertRef:
    """What `GROUP|ALERT` names: a group key, or an alert id (whose group is meant)."""

    group_key: str | None = None
    alert_id: int | None = None

    def __str__(self) -> str:
        return self.group_key or str(self.alert_id)

    @classmethod
    def parse(cls, text: str) -> AlertRef:
        ref = text.strip().lower()
        if _GROUP.match(ref):
            return cls(group_key=ref)
        if _ALERT.match(ref) and int(ref) <= ALERT_ID_MAX:
            return cls(alert_id=int(ref))
        shown = repr(text if len(text) <= 40 else text[:40] + "…")
        raise InvalidInput(
            f"ref {shown}: {_HOW}, as `tocsin alert suggestions` and "
            "`tocsin alert list --json` show them"
        )


class GroupAlreadyDeclared(DomainError):
    """The group's alerts already belong to an open incident."""


class NothingFiring(DomainError):
    """No alert of the group fires: there is nothing to declare or dismiss."""


class Suggestions:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        incidents: IncidentService,
        reader: Callable[[], UnitOfWork] | None = None,
    ) -> None:
        self._uow = uow
        self._read = reader or uow
        self._clock = clock
        self._incidents = incidents

    @property
    def _order(self) -> tuple[str, ...]:
        return tuple(self._incidents.severities.keys)

    def list(self, dismissed: bool = False, limit: int = 50, offset: int = 0) -> SuggestionPage:
        """The worst first (severity, then the most recent alert); `dismissed`: the
        dismissed ones instead, with who and when."""
        query = SuggestionFilter(self._order, dismissed, limit, offset)
        with self._read() as uow:
            return SuggestionPage(
                uow.alerts.suggestions(query), uow.alerts.count_suggestions(query)
            )

    def declare(self, ref: str, actor: str, title: str | None = None) -> Outcome:
        """Declare an incident for the group (`ref`: its key, or one of its alerts' id) with
        its firing alerts linked; refused when it has an open incident or nothing fires."""
        with self._uow() as uow:
            group = self._locked_group(uow, AlertRef.parse(ref))
            self._refuse_open(uow, group)
            worst = uow.alerts.find(
                AlertFilter(AlertStatus.FIRING, group_key=group.group_key,
                            severity_order=self._order, limit=1)
            )  # fmt: skip
            if not worst:
                raise NothingFiring(
                    f"alert group {group.group_key} has no firing alert; there is nothing to "
                    "declare for (declare by hand with `tocsin declare`)"
                )
            now = self._clock.now()
            outcome = declare_for_group(self._incidents, uow, group, worst[0], actor, now, title)
            number = outcome.incident.number
            uow.incidents.save(outcome.incident)
            uow.alerts.link_group(group.group_key, number, firing=True)
            group.incident = number
            uow.alerts.save_group(group)
            uow.commit()
        return outcome

    def dismiss(self, ref: str, actor: str) -> Dismissal:
        """Stop suggesting the group until it fires again after all its alerts resolved.
        The first dismissal is kept: who and when."""
        with self._uow() as uow:
            group = self._locked_group(uow, AlertRef.parse(ref))
            self._refuse_open(uow, group)
            if group.firing == 0:
                raise NothingFiring(
                    f"alert group {group.group_key} has no firing alert; there is nothing "
                    "to dismiss"
                )
            if group.dismissed_at is None or group.dismissed_by is None:
                group.dismissed_at = self._clock.now()
                group.dismissed_by = actor
                uow.alerts.save_group(group)
                uow.commit()
        return Dismissal(group.group_key, group.service, group.dismissed_at, group.dismissed_by)

    def _locked_group(self, uow: UnitOfWork, ref: AlertRef) -> AlertGroup:
        key = ref.group_key
        if ref.alert_id is not None:
            alert = uow.alerts.alert(ref.alert_id)
            if alert is None:
                raise NotFound(f"no alert {ref.alert_id}; see `tocsin alert list --json`")
            key = alert.group_key
        assert key is not None  # noqa: S101 - AlertRef holds one or the other
        uow.alerts.lock_groups([key])  # counted and declared one at a time, as ingestion does
        group = uow.alerts.group(key)
        if group is None:
            raise NotFound(
                f"no alert group {key}; see `tocsin alert suggestions` or "
                "`tocsin alert list --json`"
            )
        return group

    def _refuse_open(self, uow: UnitOfWork, group: AlertGroup) -> None:
        number = group.incident
        if number is not None and uow.alerts.incident_open(number):
            incident = format_id(number)
            raise GroupAlreadyDeclared(
                f"alert group {group.group_key} belongs to {incident}, which is open; "
                f"see it with `tocsin show {incident}`"
            )
