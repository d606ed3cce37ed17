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
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

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


Names = str | tuple[str, ...]
"""A list of names: a tuple, or as stored (joined by SEP; see `split`)."""


class Fact(NamedTuple):
    """One incident as the review reads it: the facts row, in the table's column order, so
    the store can hand over its rows as they come. Times are seconds since the epoch (UTC).
    A tuple, not a dataclass: a review reads 100,000 of them."""

    number: int
    severity: str
    declared: int
    acknowledged: int | None = None
    resolved: int | None = None  # the last resolve; None while open or reopened
    reopens: int = 0
    services: Names = ()
    tenants: Names = ()
    all_tenants: bool = False
    runbooks: Names = ()  # whose steps people ran
    cause: str | None = None


def seconds(moment: datetime | None) -> int | None:
    """Whole seconds since the epoch (what the facts table stores), or None."""
    return None if moment is None else math.floor(moment.timestamp())


def _epoch(moment: datetime) -> int:
    return math.floor(moment.timestamp())


def split(stored: str | None) -> tuple[str, ...]:
    """A stored list of names (SEP between them; empty parts ignored), duplicates dropped."""
    if not stored:
        return ()
    if SEP not in stored:
        return (stored,)
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


class PostmortemFact(NamedTuple):
    """A required post-mortem of an incident in the period: its due time and when it was
    first published (epoch seconds; None: not yet)."""

    severity: str
    due: int
    published: int | None


@dataclass(frozen=True, slots=True)
class PostmortemFigures:
    """Post-mortems required for one severity's incidents (or all: severity "all")."""

    severity: str
    required: int
    on_time: int  # first published by the due time
    late: int  # first published after it
    overdue: int  # not published, and the due time has passed
    pending: int  # not published, not due yet

    @property
    def on_time_share(self) -> float | None:
        decided = self.on_time + self.late + self.overdue
        return None if decided == 0 else self.on_time / decided

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "required": self.required,
            "on_time": self.on_time,
            "late": self.late,
            "overdue": self.overdue,
            "pending": self.pending,
            "on_time_share": self.on_time_share,
        }


def postmortem_figures(
    facts: Iterable[PostmortemFact], severities: SeverityModel, as_of: datetime
) -> list[PostmortemFigures]:
    """Per severity in the model's order (those with none required left out), then "all"."""
    now = _epoch(as_of)
    tallies: dict[str, list[int]] = {}
    for severity, due, published in facts:
        t = tallies.setdefault(severity, [0, 0, 0, 0])
        if published is not None:
            t[0 if published <= due else 1] += 1
        else:
            t[2 if now > due else 3] += 1
    out = [
        PostmortemFigures(key, sum(tallies[key]), *tallies[key])
        for key in _order(tallies, severities)
        if key in tallies
    ]
    if out:
        totals = [sum(f[i] for f in tallies.values()) for i in range(4)]
        out.append(PostmortemFigures("all", sum(totals), *totals))
    return out


class ItemFact(NamedTuple):
    """An action item of an incident declared in the period: its status, the end of its
    deadline's day (epoch seconds; None: no deadline) and when it was closed (None: open)."""

    status: str
    deadline: int | None
    closed: int | None


CLOSED_STATUSES = frozenset({"done", "wont_do"})


@dataclass(frozen=True, slots=True)
class ItemFigures:
    """The action items of the period's incidents, as known at the review's `as_of`."""

    total: int
    done: int
    wont_do: int
    open: int  # open or in progress
    overdue: int  # open, and the deadline's day has ended
    closed_on_time: int  # done or won't do by the end of the deadline's day (or no deadline)

    @property
    def closed(self) -> int:
        return self.done + self.wont_do

    @property
    def closed_share(self) -> float | None:
        return None if self.total == 0 else self.closed / self.total

    def to_dict(self) -> dict[str, Any]:
        return {
            "total": self.total,
            "done": self.done,
            "wont_do": self.wont_do,
            "closed": self.closed,
            "open": self.open,
            "overdue": self.overdue,
            "closed_on_time": self.closed_on_time,
            "closed_share": self.closed_share,
        }


def item_figures(facts: Iterable[ItemFact], as_of: datetime) -> ItemFigures | None:
    """None when the period's incidents have no action item."""
    now = _epoch(as_of)
    done = wont = still_open = overdue = on_time = total = 0
    for status, deadline, closed in facts:
        total += 1
        if status in CLOSED_STATUSES:
            done += status == "done"
            wont += status == "wont_do"
            on_time += deadline is None or (closed is not None and closed <= deadline)
        else:
            still_open += 1
            overdue += deadline is not None and now > deadline
    if total == 0:
        return None
    return ItemFigures(total, done, wont, still_open, overdue, on_time)


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
    postmortems: list[PostmortemFigures] = field(default_factory=list)
    action_items: ItemFigures | None = None

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
            "postmortems": [p.to_dict() for p in self.postmortems],
            "action_items": None if self.action_items is None else self.action_items.to_dict(),
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
    postmortems: Iterable[PostmortemFact] = (),
    items: Iterable[ItemFact] = (),
) -> Review:
    """The figures for the incidents declared in `period`, as known at `as_of`
    (`postmortems`: the required post-mortems of those incidents; `items`: their action
    items).
    `runbooks`: service (casefolded; "*" for every service) -> the runbooks naming it.
    One pass over the facts (a review may read 100,000), then per-group arithmetic."""
    tally = _Tally(period, _epoch(as_of), severities, runbooks)
    for f in facts:
        tally.add(f)
    services, causes = tally.services, tally.causes
    no_runbook = [
        RunbookGap(n, s, "no runbook") for n, s, _ in sorted(tally.no_runbook)[:GAPS_SHOWN]
    ]
    unused = [
        RunbookGap(n, s, "runbook not used", rb) for n, s, rb in sorted(tally.unused)[:GAPS_SHOWN]
    ]
    return Review(
        period=period,
        as_of=as_of,
        total=tally.total,
        by_severity=tally.severity_figures(),
        by_service=_ranked(services),
        by_tenant=_ranked(tally.tenants),
        by_cause=_ranked(causes),
        months=tally.month_figures(),
        recurring_services=[
            (s, n) for s, n in _ranked(services) if n >= RECURRING_AT and s != NO_SERVICE
        ],
        recurring_causes=[
            (c, n) for c, n in _ranked(causes) if n >= RECURRING_AT and c != UNCATEGORISED
        ],
        recurring_alerts=sorted(
            (a for a in alerts if a.fired >= RECURRING_AT), key=lambda a: (-a.fired, a.dedup_key)
        ),
        no_runbook=no_runbook,
        runbook_unused=unused,
        no_runbook_total=len(tally.no_runbook),
        runbook_unused_total=len(tally.unused),
        reopened=tally.reopened,
        unresolved=tally.unresolved,
        postmortems=postmortem_figures(postmortems, severities, as_of),
        action_items=item_figures(items, as_of),
    )


@dataclass
class _Group:
    """What one severity, or one month, gathers: durations and counts."""

    incidents: int = 0
    tta: list[int] = field(default_factory=list)
    ttr: list[int] = field(default_factory=list)
    met: int = 0
    missed: int = 0
    unresolved: int = 0
    reopened: int = 0
    by_severity: Counter[str] = field(default_factory=Counter)


class _Tally:
    def __init__(
        self,
        period: Period,
        now: int,
        severities: SeverityModel,
        runbooks: Mapping[str, tuple[str, ...]],
    ) -> None:
        self.start, self.end, self.now = _epoch(period.start), _epoch(period.end), now
        self.period = period
        self.severities = severities
        self.runbooks = runbooks
        self.every = runbooks.get("*", ())
        self.targets = {s.key: _target(severities, s.key) for s in severities.severities}
        self.groups: dict[str, _Group] = {}
        # months: their first instants (epoch) in order, for bisect
        self.month_names = period.months()
        self.month_starts = [_month_start(m) for m in self.month_names]
        self.months: dict[str, _Group] = {m: _Group() for m in self.month_names}
        self.services: Counter[str] = Counter()
        self.tenants: Counter[str] = Counter()
        self.causes: Counter[str] = Counter()
        self.names: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.no_runbook: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
        self.unused: list[tuple[int, tuple[str, ...], tuple[str, ...]]] = []
        self.total = self.reopened = self.unresolved = 0

    def add(self, f: Fact) -> None:
        _, severity, declared, acknowledged, resolved, reopens = f[:6]
        if not self.start <= declared < self.end:
            return
        self.total += 1
        group = self.groups.get(severity)
        if group is None:
            group = self.groups[severity] = _Group()
        month = self.months[self.month_names[bisect_right(self.month_starts, declared) - 1]]
        group.incidents += 1
        month.incidents += 1
        month.by_severity[severity] += 1
        tta = None
        if acknowledged is not None:
            tta = acknowledged - declared
            group.tta.append(tta)
            month.tta.append(tta)
        if resolved is not None:
            ttr = resolved - declared
            group.ttr.append(ttr)
            month.ttr.append(ttr)
        else:
            group.unresolved += 1
            self.unresolved += 1
        if reopens:
            group.reopened += 1
            self.reopened += 1
        target = self.targets.get(severity)
        if target is not None:
            if tta is not None:
                if tta <= target:
                    group.met += 1
                else:
                    group.missed += 1
            elif self.now - declared > target:
                group.missed += 1
        self._names(f)

    def _names(self, f: Fact) -> None:
        services, tenants, all_tenants, runbooks, cause = f[6:11]
        services = split(services) if isinstance(services, str) else services
        counts = self.services
        for s in services or (NO_SERVICE,):
            counts[s] += 1
        tenants = split(tenants) if isinstance(tenants, str) else tenants
        counts = self.tenants
        for t in (ALL_TENANTS,) if all_tenants else tenants or (NO_TENANT,):
            counts[t] += 1
        self.causes[cause or UNCATEGORISED] += 1
        if services:
            self._runbook_gap(f[0], services, runbooks)

    def _runbook_gap(self, number: int, services: tuple[str, ...], used: Names) -> None:
        """Kept as (number, services, runbooks) tuples: most of 100,000 are never shown."""
        names = self.names.get(services)
        if names is None:
            found = (n for s in services for n in self.runbooks.get(s.casefold(), ()))
            names = self.names[services] = tuple(dict.fromkeys((*found, *self.every)))
        if not names:
            self.no_runbook.append((number, services, ()))
        elif not used or not set(names).intersection(
            split(used) if isinstance(used, str) else used
        ):
            self.unused.append((number, services, names))

    def severity_figures(self) -> list[SeverityFigures]:
        out = []
        for key in _order(self.groups, self.severities):
            g = self.groups.get(key) or _Group()
            out.append(
                SeverityFigures(
                    severity=key,
                    incidents=g.incidents,
                    target_s=_target(self.severities, key),
                    mtta=durations(g.tta),
                    mttr=durations(g.ttr),
                    met=g.met,
                    missed=g.missed,
                    unresolved=g.unresolved,
                    reopened=g.reopened,
                )
            )
        return out

    def month_figures(self) -> list[Month]:
        out = []
        for name in self.month_names:
            g = self.months[name]
            counts = g.by_severity
            out.append(
                Month(
                    name,
                    g.incidents,
                    {k: counts.get(k, 0) for k in _order(counts, self.severities)},
                    median(g.tta),
                    median(g.ttr),
                )
            )
        return out


def _month_start(month: str) -> int:
    year, m = (int(p) for p in month.split("-"))
    return _epoch(datetime(year, m, 1, tzinfo=UTC))


def _ranked(counts: Counter[str]) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))


def _order(keys: Iterable[str], severities: SeverityModel) -> list[str]:
    """The model's order; severities no longer configured after them, by name."""
    known = [s.key for s in severities.severities]
    return known + sorted(set(keys) - set(known))


def _target(severities: SeverityModel, key: str) -> float | None:
    found = next((s for s in severities.severities if s.key == key), None)
    if found is None or found.response_target is None:
        return None
    return found.response_target.total_seconds()


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
