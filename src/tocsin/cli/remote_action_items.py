"""`tocsin actions add|list|set|done|export` against a server (TOCSIN_URL, TOCSIN_TOKEN): the
methods the commands call on the local ActionItems and Exports, over /api/v1. `sync` talks
to the trackers, so it runs where their tokens are: on the server's host."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from tocsin.app.action_exports import Scheduled
from tocsin.app.action_items import Changes, parse_item
from tocsin.cli.remote_http import Api
from tocsin.core.action_items import ActionItem, Draft, ItemStatus, TrackerKind, item_from_dict
from tocsin.core.errors import InvalidInput


class RemoteActionItems:
    def __init__(self, api: Api) -> None:
        self._api = api

    def today(self) -> date:
        return datetime.now(UTC).date()

    def get(self, ref: str | int) -> ActionItem:
        return self._item(self._api.get(f"/action-items/{parse_item(ref)}"))

    def list(
        self,
        incident: str | int | None = None,
        owner: str | None = None,
        overdue: bool = False,
        statuses: tuple[ItemStatus, ...] = (),
    ) -> list[ActionItem]:
        params: list[tuple[str, str | int]] = [("overdue", "true")] if overdue else []
        if incident is not None:
            params.append(("incident", str(incident)))
        if owner is not None:
            params.append(("owner", owner))
        if statuses:
            params.append(("status", statuses[0].value))
        data = self._api.get("/action-items", params=params)
        with self._api.reading():
            return [item_from_dict(d) for d in data["items"]]

    def add(self, incident: str | int, draft: Draft, actor: str) -> ActionItem:
        deadline = (
            draft.deadline.isoformat() if isinstance(draft.deadline, date) else draft.deadline
        )
        body = {"title": draft.title, "owner": draft.owner, "deadline": deadline or None,
                "priority": draft.priority, "labels": list(draft.labels),
                "category": draft.category, "runbook": draft.runbook,
                "postmortem": draft.postmortem}  # fmt: skip
        ref = str(incident)
        answer = self._api.post(f"/incidents/{ref}/action-items", body, actor=actor, about=ref)
        return self._item(answer)

    def edit(self, ref: str | int, changes: Changes, actor: str) -> ActionItem:
        body: dict[str, Any] = {k: v for k, v in {
            "title": changes.title, "owner": changes.owner, "deadline": changes.deadline,
            "priority": changes.priority, "category": changes.category,
            "runbook": changes.runbook, "status": changes.status,
        }.items() if v is not None}  # fmt: skip
        if changes.labels is not None:
            body["labels"] = list(changes.labels)
        return self._item(self._api.patch(f"/action-items/{parse_item(ref)}", body))

    def set_status(self, ref: str | int, status: str, actor: str) -> ActionItem:
        return self.edit(ref, Changes(status=status), actor)

    def _item(self, data: Any) -> ActionItem:
        with self._api.reading():
            return item_from_dict(data)


class RemoteExports:
    def __init__(self, api: Api, items: RemoteActionItems) -> None:
        self._api = api
        self._items = items

    def export(
        self, refs: list[str], to: str | None = None, incident: str | int | None = None
    ) -> list[Scheduled]:
        found = (
            [i.ref for i in self._items.list(incident=incident)] if incident is not None else refs
        )
        if not found:
            raise InvalidInput("no action items to export; name some (AI-3) or --incident")
        done = []
        for ref in found:
            item_id = parse_item(ref)
            answer = self._api.post(f"/action-items/{item_id}/export", {"to": to})
            with self._api.reading():
                tracker, new = TrackerKind(answer["tracker"]), bool(answer["queued"])
            done.append(Scheduled(self._items.get(item_id), tracker, new))
        return done
