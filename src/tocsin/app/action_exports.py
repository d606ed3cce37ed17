"""Exporting action items to trackers (GitHub Issues, Jira) and reading their status back.

An export is an `actions.export` job per item, tracker and item revision, scheduled in the
transaction that asks for it (or that changed an item exported before), so nothing is lost
when the tracker is down: the item stays, the job is retried with backoff (never before the
tracker's Retry-After), and the error is on the item's export state for lists to show.

Never two issues for one item. The first export creates; every later one updates the issue
whose id is stored. The id is stored in its own transaction the moment the tracker answers
the create. If that answer is lost (the request reached the tracker, the connection died
before the 201), the next attempt first asks the tracker for an issue carrying the item's
marker (docs/action-items.md) and adopts it instead of creating another.

Status comes back by `actions.sync` (a recurring job, and `tocsin actions sync`): for each
open exported item, the tracker's status word is read; when it changed since the last look,
the item takes the matching status (a tracker's change wins; ours goes out on export).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import timedelta

from tocsin.app.action_items import (
    OPEN_STATUSES,
    ActionItems,
    ItemFilter,
    note_on_incident,
    parse_item,
)
from tocsin.app.jobs import JobHandlers, Recurring
from tocsin.app.ports import Clock, UnitOfWork
from tocsin.app.refs import parse_ref
from tocsin.app.trackers import Issue, Remote, Tracker, TrackerRefused, TrackerUnavailable
from tocsin.core import action_items as rules
from tocsin.core.action_items import ActionItem, Export, ItemStatus, TrackerKind
from tocsin.core.errors import InvalidInput
from tocsin.core.jobs import Job, JobSpec

log = logging.getLogger(__name__)

EXPORT_JOB = "actions.export"
SYNC_JOB = "actions.sync"
MAX_ERROR = 500
CREATE_LEASE = timedelta(minutes=5)  # how long one worker may take to find or create an issue


@dataclass(frozen=True, slots=True)
class Scheduled:
    item: ActionItem
    tracker: TrackerKind
    new: bool  # False: that revision's export was already queued (or ran)


@dataclass(frozen=True, slots=True)
class SyncResult:
    checked: int
    changed: list[ActionItem]
    errors: list[str]


class Exports:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Clock,
        items: ActionItems,
        trackers: Mapping[TrackerKind, Tracker],
        default: TrackerKind | None = None,
        assignees: Mapping[TrackerKind, Mapping[str, str]] | None = None,
        incident_url: Callable[[int], str | None] = lambda _: None,
        sync_every: timedelta = timedelta(minutes=15),
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._items = items
        self.trackers = dict(trackers)
        self.default = default
        self._assignees = assignees or {}
        self._incident_url = incident_url
        self.chain = Recurring(SYNC_JOB, SYNC_JOB, sync_every)

    def install(self, jobs: JobHandlers) -> None:
        jobs.register(EXPORT_JOB, self.handle_export)
        jobs.register(SYNC_JOB, self.handle_sync)
        self._items.on_change.append(self._reexport)

    def close(self) -> None:
        for tracker in self.trackers.values():
            tracker.close()

    def recurring(self) -> list[Recurring]:
        return [self.chain] if self.trackers else []

    # -- asking for exports ----------------------------------------------------------------

    def export(
        self, refs: list[str], to: str | None = None, incident: str | int | None = None
    ) -> list[Scheduled]:
        """Schedule an export of each item (or of the incident's items) to one tracker."""
        kind = self._kind(to)
        with self._uow() as uow:
            if incident is not None:
                found = self._items.for_incident(uow, parse_ref(incident))
            else:
                found = [self._item(uow, parse_item(ref)) for ref in refs]
            if not found:
                raise InvalidInput("no action items to export; name some (AI-3) or --incident")
            done = [Scheduled(item, kind, self.schedule(uow, item, kind)) for item in found]
            uow.commit()
        return done

    def schedule(self, uow: UnitOfWork, item: ActionItem, kind: TrackerKind) -> bool:
        key = f"{EXPORT_JOB}:{item.id}:{kind.value}:r{item.revision}"
        payload = {"item": item.id, "tracker": kind.value}
        spec = JobSpec(EXPORT_JOB, payload, self._clock.now(), item.incident, key)
        if uow.jobs.schedule(spec) and item.export(kind) is None:
            uow.action_items.put_export(item.id, Export(kind))  # shown as pending at once
            return True
        return False

    def _reexport(self, uow: UnitOfWork, item: ActionItem) -> None:
        for state in item.exports:
            if state.tracker in self.trackers:
                self.schedule(uow, item, state.tracker)

    # -- the export job --------------------------------------------------------------------

    def handle_export(self, job: Job, uow: Callable[[], UnitOfWork]) -> None:
        kind = TrackerKind(job.payload["tracker"])
        tracker = self._tracker(kind)
        with uow() as tx:
            item = self._item(tx, int(job.payload["item"]))
        issue = self.issue(item, kind)
        state = item.export(kind)
        try:
            if state is not None and state.external_id is not None:
                remote = tracker.update(state.external_id, issue)
            else:
                remote = self._first(tracker, item, issue)
        except (TrackerUnavailable, TrackerRefused) as exc:
            with self._uow() as tx:
                tx.action_items.note_error(item.id, kind, str(exc)[:MAX_ERROR])
                tx.commit()
            raise
        self._record(item.id, kind, remote)

    def _first(self, tracker: Tracker, item: ActionItem, issue: Issue) -> Remote:
        """No issue id is stored: claim the right to create (one worker at a time), look
        for an issue a lost answer made, and create only when there is none."""
        now = self._clock.now()
        with self._uow() as tx:
            claim = tx.action_items.claim_create(item.id, tracker.kind, now, now + CREATE_LEASE)
            tx.commit()
        if claim.external_id is not None:  # another job stored it meanwhile
            return tracker.update(claim.external_id, issue)
        if not claim.granted:
            words = f"another worker is creating the {tracker.kind} issue for {item.ref}"
            raise TrackerUnavailable(f"{words}; this export runs after it", claim.until)
        assert claim.until is not None  # noqa: S101 - granted
        try:
            found = tracker.find(issue)
            created = found is None
            if found is None:
                found = tracker.create(issue)
            else:
                log.info("%s: adopting %s %s found by its marker", item.ref, tracker.kind, found)
        except (TrackerUnavailable, TrackerRefused):
            with self._uow() as tx:  # the next attempt looks for the issue first
                tx.action_items.release_create(item.id, tracker.kind, claim.until)
                tx.commit()
            raise
        self._record(item.id, tracker.kind, found)
        if created and not issue.closed:
            return found  # made from this revision: nothing more to say
        updated = tracker.update(found.external_id, issue)
        return replace(updated, url=updated.url or found.url, status=updated.status or found.status)

    def _record(self, item_id: int, kind: TrackerKind, remote: Remote) -> None:
        with self._uow() as tx:
            tx.action_items.record_export(
                item_id, kind, (remote.external_id, remote.url, remote.status), self._clock.now()
            )
            tx.commit()

    def issue(self, item: ActionItem, kind: TrackerKind) -> Issue:
        lines = [
            f"Owner: @{item.owner}",
            f"Deadline: {item.deadline.isoformat() if item.deadline else 'none'}",
            f"Priority: {item.priority.value}",
            f"Category: {item.category.label}",
            f"Incident: INC-{item.incident}"
            + (f" ({url})" if (url := self._incident_url(item.incident)) else ""),
        ]
        if item.runbook:
            lines.append(f"Runbook: {item.runbook}")
        if item.postmortem:
            lines.append(f"Post-mortem: {item.postmortem}")
        lines.append(f"Tocsin action item {item.ref}; its status is synced back to Tocsin.")
        return Issue(
            title=item.title,
            body="\n".join(lines),
            labels=item.labels,
            marker=item.marker,
            owner=item.owner,
            assignee=self._assignees.get(kind, {}).get(item.owner),
            deadline=item.deadline,
            priority=item.priority.value,
            closed=item.status.closed,
            wont_do=item.status is ItemStatus.WONT_DO,
            since=item.created_at,
        )

    # -- status back -----------------------------------------------------------------------

    def handle_sync(self, job: Job, uow: Callable[[], UnitOfWork]) -> None:
        with uow() as tx:
            tx.jobs.schedule(self.chain.after(self._clock.now()))
            tx.commit()
        result = self.sync()
        log.info("synced %s action items: %s changed, %s errors",
                 result.checked, len(result.changed), len(result.errors))  # fmt: skip

    def sync(self) -> SyncResult:
        checked, changed, errors = 0, [], []
        for kind, tracker in self.trackers.items():
            query = ItemFilter(statuses=OPEN_STATUSES, exported_to=kind)
            with self._uow() as tx:
                found = tx.action_items.find(query)
            for item in found:
                checked += 1
                try:
                    moved = self._sync_one(tracker, item)
                except TrackerUnavailable as exc:
                    errors.append(f"{item.ref} ({kind}): {exc}")
                    break  # rate limited or down: the next round tries again
                except TrackerRefused as exc:
                    errors.append(f"{item.ref} ({kind}): {exc}")
                    continue
                if moved is not None:
                    changed.append(moved)
        return SyncResult(checked, changed, errors)

    def _sync_one(self, tracker: Tracker, item: ActionItem) -> ActionItem | None:
        state = item.export(tracker.kind)
        if state is None or state.external_id is None:  # exported_to found it: not reached
            return None
        remote = tracker.read(state.external_id)
        now = self._clock.now()
        with self._uow() as tx:
            current = self._item(tx, item.id)
            moved = None
            if remote.status and remote.status != state.remote_status:
                new = rules.status_from_remote(tracker.kind, remote.status, current.status)
                if new is not current.status:
                    moved = rules.with_status(current, new, now)
                    tx.action_items.save(moved)
                    text = f"Action item {item.ref} is {new.value} in {tracker.kind.value}"
                    note_on_incident(tx, item.incident, "tocsin", text, now)
            tx.action_items.record_sync(item.id, tracker.kind, remote.url, remote.status, now)
            tx.commit()
        return moved

    # -- helpers ---------------------------------------------------------------------------

    def _kind(self, to: str | None) -> TrackerKind:
        if to is None:
            if self.default is None:
                raise InvalidInput("no tracker is configured: add `trackers:` to tocsin.yaml "
                                   "(see docs/action-items.md)")  # fmt: skip
            return self.default
        try:
            kind = TrackerKind(to.strip().lower())
        except ValueError:
            raise InvalidInput(f"--to {to!r}: use github or jira") from None
        if kind not in self.trackers:
            raise InvalidInput(f"trackers.{kind.value} is not configured in tocsin.yaml; "
                               "add it (see docs/action-items.md)")  # fmt: skip
        return kind

    def _tracker(self, kind: TrackerKind) -> Tracker:
        tracker = self.trackers.get(kind)
        if tracker is None:
            raise TrackerRefused(f"trackers.{kind.value} is not configured (or its token is "
                                 "not set); configure it, then `tocsin jobs retry`")  # fmt: skip
        return tracker

    @staticmethod
    def _item(uow: UnitOfWork, item_id: int) -> ActionItem:
        item = uow.action_items.get(item_id)
        if item is None:
            raise InvalidInput(f"no action item AI-{item_id}; list them with `tocsin actions list`")
        return item
