"""The review nobody has to remember: when a quarter ends, Tocsin makes its review, keeps it
(the dashboard lists it) and sends it to the configured channel and addresses.

An hourly recurring job (`insights.quarterly`, one chain whichever worker runs it) looks at
the quarter before the current one. Within CATCH_UP of that quarter's end, if no review of it
is stored, it makes one and stores it (a second worker doing the same finds it stored and
keeps the first); then it schedules one `insights.send` job per destination that has not
been sent to yet, keyed by quarter and destination, so each goes once. A send job asks the
Courier once; what came back is stored with the review; a "try later" schedules the next
attempt. A Tocsin that starts more than CATCH_UP after a quarter ended does not send that
quarter's review late (`tocsin report --quarter` makes it on demand).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from tocsin.app.delivery import Courier
from tocsin.app.insights import Insights, StoredReview
from tocsin.app.jobs import JobHandlers, Recurring
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.core.delivery import Next
from tocsin.core.insights import Review, previous_quarter, share, short
from tocsin.core.jobs import Job, JobSpec
from tocsin.core.notify import ContactKind, ContactMethod, Notification, Purpose

log = logging.getLogger(__name__)

QUARTERLY_JOB = "insights.quarterly"
SEND_JOB = "insights.send"
CHAIN = Recurring(QUARTERLY_JOB, QUARTERLY_JOB, timedelta(hours=1))
CATCH_UP = timedelta(days=7)
FINAL = ("sent", "failed")


@dataclass(frozen=True, slots=True)
class Destination:
    key: str  # "channel:ops", "email:lead@example.com": in job keys and `deliveries`
    method: ContactMethod


class QuarterlyReviews:
    def __init__(
        self,
        insights: Insights,
        clock: Clock,
        courier: Courier,
        destinations: list[Destination],
        web_url: str | None = None,
    ) -> None:
        self.insights = insights
        self._clock = clock
        self._courier = courier
        self.destinations = {d.key: d for d in destinations}
        self._web_url = web_url

    def install(self, jobs: JobHandlers) -> None:
        jobs.register(QUARTERLY_JOB, self.check)
        jobs.register(SEND_JOB, self.send)

    def recurring(self) -> list[Recurring]:
        return [CHAIN]

    # -- the hourly look -----------------------------------------------------------------

    def check(self, job: Job, uow: Callable[[], UnitOfWork]) -> None:
        """Schedule the next look first (a failure here never ends the chain), then look."""
        with uow() as tx:
            tx.jobs.schedule(CHAIN.after(self._clock.now()))
            tx.commit()
        self.run(uow)

    def run(self, uow: Callable[[], UnitOfWork]) -> StoredReview | None:
        """The last quarter's review, made and stored if it is time and it is not yet;
        sends scheduled for the destinations it has not reached. None: not the time."""
        now = self._clock.now()
        period = previous_quarter(now)
        if now - period.end > CATCH_UP:
            return None
        store = self.insights.store
        stored = store.stored_review(period.name)
        if stored is None:
            made = self.insights.report(period)
            words = summary(made.review, self._link(period.name))
            fresh = StoredReview(period.name, now, made.review.total, made.markdown,
                                 made.html, {}, words)  # fmt: skip
            if store.add_review(fresh):
                log.info("quarterly review %s made: %s incidents", period.name, fresh.incidents)
            stored = store.stored_review(period.name) or fresh
        pending = [k for k in self.destinations if stored.deliveries.get(k) not in FINAL]
        if pending:
            with uow() as tx:
                for key in pending:
                    payload = {"quarter": stored.quarter, "to": key, "attempt": 0}
                    tx.jobs.schedule(JobSpec(SEND_JOB, payload, now, key=_key(stored, key)))
                tx.commit()
        return stored

    # -- sending -------------------------------------------------------------------------

    def send(self, job: Job, uow: Callable[[], UnitOfWork]) -> None:
        p = job.payload
        destination = self.destinations.get(str(p["to"]))
        stored = self.insights.store.stored_review(str(p["quarter"]))
        if destination is None or stored is None:
            log.info("quarterly review %s to %s: no longer configured", p["quarter"], p["to"])
            return
        if stored.deliveries.get(destination.key) in FINAL:
            return
        attempt = int(p.get("attempt", 0))
        done = self._courier.attempt(destination.method, self._note(stored, destination),
                                     attempt + 1)  # fmt: skip
        self.insights.store.record_delivery(stored.quarter, destination.key, done.status)
        if done.decision.next is Next.RETRY:
            again = {**p, "attempt": attempt + 1}
            key = f"{_key(stored, destination.key)}#{attempt + 1}"
            with uow() as tx:
                due = done.decision.at or self._clock.now()
                tx.jobs.schedule(JobSpec(SEND_JOB, again, due, key=key))
                tx.commit()

    def _note(self, stored: StoredReview, to: Destination) -> Notification:
        mail = to.method.kind is ContactKind.EMAIL
        text = stored.markdown if mail else stored.summary
        return Notification(
            Purpose.UPDATE,
            f"Incident review {stored.quarter}",
            text,
            idempotency_key=_key(stored, to.key),
            extra={"html": stored.html} if mail else {},
        )

    def _link(self, quarter: str) -> str | None:
        if not self._web_url:
            return None
        return f"{self._web_url.rstrip('/')}/insights?quarter={quarter}"


def _key(stored: StoredReview, destination: str) -> str:
    return f"insights.send:{stored.quarter}:{destination}"[:255]


def summary(review: Review, link: str | None) -> str:
    """A few lines for a chat channel: the totals and each severity's headline figures."""
    lines = [f"Incident review {review.period.name}: {review.total} incident(s), "
             f"{review.reopened} reopened, {review.unresolved} unresolved."]  # fmt: skip
    if review.empty:
        lines = [f"Incident review {review.period.name}: no incidents were declared."]
    for s in review.by_severity:
        if s.incidents:
            lines.append(
                f"{s.severity}: {s.incidents}; MTTA median {short(s.mtta.median)}, "
                f"MTTR median {short(s.mttr.median)}; met target {share(s.met_share)}"
            )
    if review.recurring_services:
        names = ", ".join(f"{n} ({c})" for n, c in review.recurring_services[:5])
        lines.append(f"Recurring: {names}")
    if link:
        lines.append(f"The whole review: {link}")
    return "\n".join(lines)
