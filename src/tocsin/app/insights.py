"""The quarterly incident review: which period, the figures (core/insights.py) over the
facts the store keeps per incident, rendered as Markdown and HTML (integrations/report/).

The same `Review` feeds `tocsin report`, `/api/v1/insights` and the web Insights page, so
the three never disagree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Protocol

from tocsin.app.ports import Clock
from tocsin.app.runbooks import Runbooks
from tocsin.core.errors import InvalidInput
from tocsin.core.insights import (
    Fact,
    ItemFact,
    Period,
    PostmortemFact,
    RecurringAlert,
    Review,
    between,
    previous_quarter,
    quarter,
    review,
    runbook_index,
)
from tocsin.core.severity import SeverityModel


@dataclass(frozen=True, slots=True)
class PeriodData:
    """What the store read for a period, in one snapshot."""

    facts: list[Fact]
    alerts: list[RecurringAlert]
    postmortems: list[PostmortemFact] = field(default_factory=list)  # the required ones
    items: list[ItemFact] = field(default_factory=list)  # the incidents' action items


@dataclass(frozen=True, slots=True)
class StoredReview:
    """A quarter's review as it was made when the quarter ended, and where it went."""

    quarter: str
    made_at: datetime
    incidents: int
    markdown: str
    html: str
    deliveries: dict[str, str]  # destination -> sent, retry or failed
    summary: str = ""  # the few lines a chat channel gets


class InsightsStore(Protocol):
    def read(self, start: datetime, end: datetime) -> PeriodData: ...
    def titles(self, numbers: list[int]) -> dict[int, str]: ...
    def rebuild(self) -> int: ...  # facts rows written again from the incidents
    def stored_review(self, quarter: str) -> StoredReview | None: ...
    def add_review(self, review: StoredReview) -> bool: ...  # False: that quarter's exists
    def record_delivery(self, quarter: str, destination: str, status: str) -> None: ...
    def reviews(self, limit: int) -> list[StoredReview]: ...  # newest first, no text


class ReportRenderer(Protocol):
    def markdown(self, review: Review) -> str: ...
    def html(self, review: Review) -> str: ...
    def fragment(self, review: Review) -> str: ...  # the body, for a page with its own layout


@dataclass(frozen=True, slots=True)
class Report:
    review: Review
    markdown: str
    html: str


def choose_period(
    quarter_name: str | None, first: date | None, last: date | None, now: datetime
) -> Period:
    """--quarter, or --from and --to (whole days, UTC), or neither: the last whole quarter."""
    if quarter_name and (first or last):
        raise InvalidInput("give --quarter, or --from and --to, not both")
    if quarter_name:
        return quarter(quarter_name)
    if first or last:
        if first is None or last is None:
            raise InvalidInput("--from and --to go together: give both days (YYYY-MM-DD)")
        return between(first, last)
    return previous_quarter(now)


class Insights:
    def __init__(
        self,
        store: InsightsStore,
        clock: Clock,
        severities: SeverityModel,
        runbooks: Runbooks | None,
        renderer: ReportRenderer,
    ) -> None:
        self._store = store
        self._clock = clock
        self._severities = severities
        self._runbooks = runbooks
        self.renderer = renderer

    def review(self, period: Period) -> Review:
        data = self._store.read(period.start, period.end)
        found = review(
            period, self._clock.now(), data.facts, self._severities, self._runbook_index(),
            data.alerts, data.postmortems, data.items,
        )  # fmt: skip
        return self._titled(found)

    def report(self, period: Period) -> Report:
        found = self.review(period)
        return Report(found, self.renderer.markdown(found), self.renderer.html(found))

    def period(
        self, quarter_name: str | None = None, first: date | None = None, last: date | None = None
    ) -> Period:
        return choose_period(quarter_name, first, last, self._clock.now())

    def rebuild(self) -> int:
        return self._store.rebuild()

    @property
    def store(self) -> InsightsStore:
        return self._store

    def recent_reviews(self, limit: int = 4) -> list[StoredReview]:
        """The reviews made at the last quarters' ends (the dashboard lists them)."""
        return self._store.reviews(limit)

    def stored_review(self, quarter_name: str) -> StoredReview | None:
        return self._store.stored_review(quarter(quarter_name).name)

    def _runbook_index(self) -> dict[str, tuple[str, ...]]:
        if self._runbooks is None:
            return {}
        return runbook_index(
            (rb.name, (*rb.services, *(rb.trigger.services if rb.trigger else ())))
            for rb in self._runbooks.readable()
        )

    def _titled(self, found: Review) -> Review:
        gaps = [*found.no_runbook, *found.runbook_unused]
        if not gaps:
            return found
        titles = self._store.titles([g.number for g in gaps])
        name: Callable[[int], str] = lambda n: titles.get(n, "")  # noqa: E731
        return replace(
            found,
            no_runbook=[replace(g, title=name(g.number)) for g in found.no_runbook],
            runbook_unused=[replace(g, title=name(g.number)) for g in found.runbook_unused],
        )
