"""The quarterly review's figures, as plain arithmetic over one row of facts per incident.

Definitions (docs/insights.md says the same, for readers):
- An incident belongs to the period in which it was **declared** (half-open: from the
  period's first instant, up to but not including the next period's).
- It is counted under its **current severity** (the last one it was given).
- **MTTA**: declared -> acknowledged (an incident is acknowledged once; a reopen keeps it).
  Incidents never acknowledged are left out of MTTA, and count as having **missed** the
  response target, unless the target has not passed yet when the review is made (then
  they are left out of the share too).
- **MTTR**: declared -> resolved, the **last** resolve: a reopened incident was not fixed
  at its first resolve. An incident open (or reopened and not resolved again) when the
  review is made is left out and counted as unresolved.
- **Median** is the middle value (the mean of the two middles for an even count);
  **p90** is the nearest rank: the smallest duration that 90 % of them do not exceed.
- **Recurring**: a service or root-cause category with three or more incidents in the
  period; an alert that fired three or more times (it came back twice after resolving).
- **Runbook feedback**: an incident whose services have no runbook (front matter
  `services` or `triggers` naming one of them, as the runbooks directory says now), or
  whose services have one but no runbook step was run by a person (diagnostics Tocsin ran
  by itself do not count).

The facts are kept by the store in the same transaction as the incident (`FactsDelta` says
what new timeline entries add; the rest is the incident's own state), so a review reads one
row per incident and never its timeline.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from tocsin.core.errors import InvalidInput
from tocsin.core.severity import SeverityModel
from tocsin.core.timeline import EntryKind, TimelineEntry, iso

UNCATEGORISED = "uncategorised"
NO_SERVICE = "(no service)"
NO_TENANT = "(no tenant given)"
ALL_TENANTS = "(all tenants)"
GAPS_SHOWN = 50  # incidents listed per runbook finding (the totals count them all)
RECURRING_AT = 3  # incidents of one service or cause; times one alert fired
SYSTEM_ACTOR = "tocsin"  # who runs triggered diagnostics: not a person using the runbook
SEP = "\n"  # between names in a stored list (names are one visible line)

# Entries that change a fact; saves with none of them leave the facts row alone.
FACT_KINDS = frozenset(
    {
        EntryKind.DECLARED,
        EntryKind.ACKNOWLEDGED,
        EntryKind.SEVERITY_CHANGED,
        EntryKind.SCOPE_CHANGED,
        EntryKind.RESOLVED,
        EntryKind.REOPENED,
        EntryKind.CLOSED,
        EntryKind.COMMAND,
    }
)


# -- periods -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Period:
    """[start, end) in UTC, with the name it is shown by ("2026Q3", "2026-07-01 – 2026-08-15")."""

    start: datetime
    end: datetime
    name: str

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise InvalidInput(f"the period {self.name} ends before it starts")

    def months(self) -> list[str]:
        """Each month the period touches, as 'YYYY-MM'."""
        found, (y, m) = [], (self.start.year, self.start.month)
        while datetime(y, m, 1, tzinfo=UTC) < self.end:
            found.append(f"{y:04d}-{m:02d}")
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return found


_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


def quarter(text: str) -> Period:
    """'2026Q3' (or '2026-Q3'): 1 July 2026 00:00 UTC up to 1 October 2026 00:00 UTC."""
    found = _QUARTER.match(text)
    if found is None:
        raise InvalidInput(f"quarter {text!r}: write it as YEARQN, for instance 2026Q3")
    year, q = int(found.group(1)), int(found.group(2))
    return quarter_of(datetime(year, 3 * q - 2, 1, tzinfo=UTC))


def quarter_of(moment: datetime) -> Period:
    """The quarter holding `moment` (UTC)."""
    m = moment.astimezone(UTC)
    q = (m.month - 1) // 3 + 1
    start = datetime(m.year, 3 * q - 2, 1, tzinfo=UTC)
    end = (
        datetime(m.year + 1, 1, 1, tzinfo=UTC)
        if q == 4
        else datetime(m.year, 3 * q + 1, 1, tzinfo=UTC)
    )
    return Period(start, end, f"{m.year}Q{q}")


def previous_quarter(moment: datetime) -> Period:
    return quarter_of(quarter_of(moment).start - timedelta(days=1))


def between(first: date, last: date) -> Period:
    """From the first day to the last one, both whole days, in UTC."""
    if last < first:
        raise InvalidInput(f"--to {last} is before --from {first}")
    start = datetime(first.year, first.month, first.day, tzinfo=UTC)
    end = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    return Period(start, end, f"{first.isoformat()} – {last.isoformat()}")


# -- the facts kept per incident -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactsDelta:
    """What a save's new timeline entries add to the incident's facts row: reopens, the
    first resolve, runbook steps a person ran and which runbooks they came from."""

    reopens: int = 0
    first_resolved_at: datetime | None = None
    steps_run: int = 0
    runbooks: tuple[str, ...] = ()

    @classmethod
    def of(cls, entries: Iterable[TimelineEntry]) -> FactsDelta:
        reopens = steps = 0
        first: datetime | None = None
        runbooks: list[str] = []
        for e in entries:
            if e.kind is EntryKind.REOPENED:
                reopens += 1
            elif e.kind is EntryKind.RESOLVED and first is None:
                first = e.at
            elif e.kind is EntryKind.COMMAND and _person_ran_step(e):
                steps += 1
                name = str(e.data["runbook"])
                if name not in runbooks:
                    runbooks.append(name)
        return cls(reopens, first, steps, tuple(runbooks))


def _person_ran_step(e: TimelineEntry) -> bool:
    """A runbook step that a person asked for and that ran (not skipped, not a typed
    action without a runbook)."""
    return (
        e.actor != SYSTEM_ACTOR
        and bool(e.data.get("runbook"))
        and e.data.get("status") not in ("skipped", None)
    )


@dataclass(frozen=True, slots=True)
class Fact:
    """One incident as the review reads it. Times are seconds since the epoch (UTC)."""

    number: int
    severity: str
    declared: int
    acknowledged: int | None = None
    resolved: int | None = None  # the last resolve; None while open or reopened
    first_resolved: int | None = None
    reopens: int = 0
    services: tuple[str, ...] = ()
    tenants: tuple[str, ...] = ()
    all_tenants: bool = False
    steps_run: int = 0
    runbooks: tuple[str, ...] = ()
    cause: str | None = None

    @property
    def tta(self) -> int | None:
        return None if self.acknowledged is None else self.acknowledged - self.declared

    @property
    def ttr(self) -> int | None:
        return None if self.resolved is None else self.resolved - self.declared


def seconds(moment: datetime | None) -> int | None:
    """Whole seconds since the epoch (what the facts table stores), or None."""
    return None if moment is None else math.floor(moment.timestamp())


def _epoch(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def split(stored: str | None) -> tuple[str, ...]:
    """A stored list of names (SEP between them; empty parts ignored), duplicates dropped."""
    if not stored:
        return ()
    return tuple(dict.fromkeys(p for p in stored.split(SEP) if p))


# -- the figures ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Durations:
    """MTTA or MTTR of one severity: how many, median and p90 in seconds (None: none)."""

    count: int
    median: float | None
    p90: float | None

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "median_s": self.median, "p90_s": self.p90}


@dataclass(frozen=True, slots=True)
class SeverityFigures:
    severity: str
    incidents: int
    target_s: float | None  # the response target; None: the severity has none
    mtta: Durations
    mttr: Durations
    met: int  # acknowledged within the target
    missed: int  # acknowledged later, or never (and the target has passed)
    unresolved: int
    reopened: int

    @property
    def met_share(self) -> float | None:
        decided = self.met + self.missed
        return None if self.target_s is None or decided == 0 else self.met / decided

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "incidents": self.incidents,
            "response_target_s": self.target_s,
            "mtta": self.mtta.to_dict(),
            "mttr": self.mttr.to_dict(),
            "target_met": self.met,
            "target_missed": self.missed,
            "target_met_share": self.met_share,
            "unresolved": self.unresolved,
            "reopened": self.reopened,
        }


@dataclass(frozen=True, slots=True)
class Month:
    month: str  # YYYY-MM
    incidents: int
    by_severity: dict[str, int]
    mtta_median_s: float | None
    mttr_median_s: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": self.month,
            "incidents": self.incidents,
            "by_severity": self.by_severity,
            "mtta_median_s": self.mtta_median_s,
            "mttr_median_s": self.mttr_median_s,
        }


@dataclass(frozen=True, slots=True)
class RecurringAlert:
    integration: str
    dedup_key: str
    service: str
    summary: str
    fired: int  # 1 + the times it fired again after resolving
    events: int
    incident: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "integration": self.integration,
            "dedup_key": self.dedup_key,
            "service": self.service,
            "summary": self.summary,
            "fired": self.fired,
            "events": self.events,
            "incident": self.incident,
        }


@dataclass(frozen=True, slots=True)
class RunbookGap:
    number: int
    services: tuple[str, ...]
    reason: str  # "no runbook" or "runbook not used"
    runbooks: tuple[str, ...] = ()  # the runbooks its services have (unused)
    title: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "incident": f"INC-{self.number}",
            "title": self.title,
            "services": list(self.services),
            "reason": self.reason,
            "runbooks": list(self.runbooks),
        }


@dataclass(frozen=True, slots=True)
class Review:
    period: Period
    as_of: datetime
    total: int
    by_severity: list[SeverityFigures]
    by_service: list[tuple[str, int]]
    by_tenant: list[tuple[str, int]]
    by_cause: list[tuple[str, int]]
    months: list[Month]
    recurring_services: list[tuple[str, int]]
    recurring_causes: list[tuple[str, int]]
    recurring_alerts: list[RecurringAlert]
    no_runbook: list[RunbookGap]  # the first GAPS_SHOWN, by number
    runbook_unused: list[RunbookGap]
    no_runbook_total: int
    runbook_unused_total: int
    reopened: int
    unresolved: int
    extra: dict[str, Any] = field(default_factory=dict)  # sections other tables add

    @property
    def empty(self) -> bool:
        return self.total == 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "period": {
                "name": self.period.name,
                "from": iso(self.period.start),
                "to": iso(self.period.end),
            },
            "as_of": iso(self.as_of),
            "empty": self.empty,
            "incidents": self.total,
            "reopened": self.reopened,
            "unresolved": self.unresolved,
            "by_severity": [s.to_dict() for s in self.by_severity],
            "by_service": pairs(self.by_service),
            "by_tenant": pairs(self.by_tenant),
            "by_cause": pairs(self.by_cause),
            "months": [m.to_dict() for m in self.months],
            "recurring": {
                "services": pairs(self.recurring_services),
                "causes": pairs(self.recurring_causes),
                "alerts": [a.to_dict() for a in self.recurring_alerts],
            },
            "runbooks": {
                "no_runbook": self.no_runbook_total,
                "not_used": self.runbook_unused_total,
                "no_runbook_incidents": [g.to_dict() for g in self.no_runbook],
                "not_used_incidents": [g.to_dict() for g in self.runbook_unused],
            },
            **self.extra,
        }


def pairs(counts: Iterable[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"name": n, "incidents": c} for n, c in counts]


def median(values: Sequence[float]) -> float | None:
    return float(statistics.median(values)) if values else None


def p90(values: Sequence[float]) -> float | None:
    """Nearest rank: the ceil(0.9 n)-th smallest."""
    if not values:
        return None
    ordered = sorted(values)
    return float(ordered[max(math.ceil(0.9 * len(ordered)), 1) - 1])


def durations(values: Sequence[float]) -> Durations:
    return Durations(len(values), median(values), p90(values))


def review(
    period: Period,
    as_of: datetime,
    facts: Iterable[Fact],
    severities: SeverityModel,
    runbooks: Mapping[str, tuple[str, ...]],
    alerts: Sequence[RecurringAlert] = (),
) -> Review:
    """The figures for the incidents declared in `period`, as known at `as_of`.
    `runbooks`: service (casefolded; "*" for every service) -> the runbooks naming it."""
    start, end, now = _epoch(period.start), _epoch(period.end), _epoch(as_of)
    chosen = [f for f in facts if start <= f.declared < end]
    severity = _by_severity(chosen, severities, now)
    services = Counter(s for f in chosen for s in (f.services or (NO_SERVICE,)))
    causes = Counter(f.cause or UNCATEGORISED for f in chosen)
    no_runbook, unused = _runbook_gaps(chosen, runbooks)
    return Review(
        period=period,
        as_of=as_of,
        total=len(chosen),
        by_severity=severity,
        by_service=_ranked(services),
        by_tenant=_ranked(Counter(t for f in chosen for t in _tenants(f))),
        by_cause=_ranked(causes),
        months=_months(period, chosen, severities),
        recurring_services=[
            (s, n) for s, n in _ranked(services) if n >= RECURRING_AT and s != NO_SERVICE
        ],
        recurring_causes=[
            (c, n) for c, n in _ranked(causes) if n >= RECURRING_AT and c != UNCATEGORISED
        ],
        recurring_alerts=sorted(
            (a for a in alerts if a.fired >= RECURRING_AT), key=lambda a: (-a.fired, a.dedup_key)
        ),
        no_runbook=no_runbook[:GAPS_SHOWN],
        runbook_unused=unused[:GAPS_SHOWN],
        no_runbook_total=len(no_runbook),
        runbook_unused_total=len(unused),
        reopened=sum(1 for f in chosen if f.reopens),
        unresolved=sum(1 for f in chosen if f.resolved is None),
    )


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _tenants(f: Fact) -> tuple[str, ...]:
    if f.all_tenants:
        return (ALL_TENANTS,)
    return f.tenants or (NO_TENANT,)


def _order(keys: Iterable[str], severities: SeverityModel) -> list[str]:
    """The model's order; severities no longer configured after them, by name."""
    known = [s.key for s in severities.severities]
    return known + sorted(set(keys) - set(known))


def _by_severity(facts: list[Fact], severities: SeverityModel, now: int) -> list[SeverityFigures]:
    groups: dict[str, list[Fact]] = {}
    for f in facts:
        groups.setdefault(f.severity, []).append(f)
    out = []
    for key in _order(groups, severities):
        group = groups.get(key, [])
        target = _target(severities, key)
        met = missed = 0
        for f in group:
            verdict = _met(f, target, now)
            met += verdict is True
            missed += verdict is False
        out.append(
            SeverityFigures(
                severity=key,
                incidents=len(group),
                target_s=target,
                mtta=durations([t for f in group if (t := f.tta) is not None]),
                mttr=durations([t for f in group if (t := f.ttr) is not None]),
                met=met,
                missed=missed,
                unresolved=sum(1 for f in group if f.resolved is None),
                reopened=sum(1 for f in group if f.reopens),
            )
        )
    return out


def _target(severities: SeverityModel, key: str) -> float | None:
    found = next((s for s in severities.severities if s.key == key), None)
    if found is None or found.response_target is None:
        return None
    return found.response_target.total_seconds()


def _met(f: Fact, target: float | None, now: int) -> bool | None:
    """True: acknowledged within the target; False: later, or never and the target passed;
    None: no target, or never acknowledged and the target not passed yet."""
    if target is None:
        return None
    if f.tta is not None:
        return f.tta <= target
    return False if now - f.declared > target else None


def _months(period: Period, facts: list[Fact], severities: SeverityModel) -> list[Month]:
    by_month: dict[str, list[Fact]] = {m: [] for m in period.months()}
    for f in facts:
        by_month.setdefault(month_of(f.declared), []).append(f)
    out = []
    for month, group in sorted(by_month.items()):
        counts = Counter(f.severity for f in group)
        out.append(
            Month(
                month,
                len(group),
                {k: counts.get(k, 0) for k in _order(counts, severities)},
                median([t for f in group if (t := f.tta) is not None]),
                median([t for f in group if (t := f.ttr) is not None]),
            )
        )
    return out


def month_of(epoch: int) -> str:
    moment = datetime.fromtimestamp(epoch, UTC)
    return f"{moment.year:04d}-{moment.month:02d}"


def _runbook_gaps(
    facts: list[Fact], runbooks: Mapping[str, tuple[str, ...]]
) -> tuple[list[RunbookGap], list[RunbookGap]]:
    every = runbooks.get("*", ())
    missing, unused = [], []
    for f in sorted(facts, key=lambda f: f.number):
        if not f.services:
            continue  # no service named: nothing to look a runbook up by
        names = tuple(
            dict.fromkeys(n for s in f.services for n in (*runbooks.get(s.casefold(), ()), *every))
        )
        if not names:
            missing.append(RunbookGap(f.number, f.services, "no runbook"))
        elif not set(names) & set(f.runbooks):
            unused.append(RunbookGap(f.number, f.services, "runbook not used", names))
    return missing, unused


def runbook_index(runbooks: Iterable[tuple[str, Iterable[str]]]) -> dict[str, tuple[str, ...]]:
    """service (casefolded) -> runbook names, from (runbook, its services and triggers)."""
    index: dict[str, list[str]] = {}
    for name, services in runbooks:
        for service in services:
            names = index.setdefault(service.casefold(), [])
            if name not in names:
                names.append(name)
    return {k: tuple(v) for k, v in index.items()}


def short(seconds_: float | None) -> str:
    """A duration as people read it: 45 s, 12 min, 3.5 h, 2.1 d; '–' for none."""
    if seconds_ is None:
        return "–"
    if seconds_ < 90:
        return f"{seconds_:.0f} s"
    if seconds_ < 90 * 60:
        return f"{seconds_ / 60:.0f} min"
    if seconds_ < 48 * 3600:
        return f"{seconds_ / 3600:.1f} h"
    return f"{seconds_ / 86400:.1f} d"


def share(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f} %"
