"""`tocsin postmortem …` against a server (TOCSIN_URL, TOCSIN_TOKEN): the same calls as
`cli/postmortems.py`'s local adapter, answered by `/api/v1/…/postmortem`."""

from __future__ import annotations

from typing import Any

from tocsin.cli.remote_http import Api, Params


class RemotePostmortems:
    def __init__(self, api: Api) -> None:
        self._api = api

    def draft(
        self, ref: str, actor: str, author: str | None, category: str | None, again: bool
    ) -> dict[str, Any]:
        body = {"author": author, "category": category, "again": again}
        made: dict[str, Any] = self._api.post(
            f"/incidents/{ref}/postmortem/draft", body, actor=actor, about=ref
        )
        return made

    def show(self, ref: str, version: int | None) -> dict[str, Any]:
        params: Params | None = [("version", version)] if version else None
        found: dict[str, Any] = self._api.get(f"/incidents/{ref}/postmortem", params, about=ref)
        return found

    def edit(
        self, ref: str, actor: str, text: str, version: int, category: str | None
    ) -> dict[str, Any]:
        body = {"text": text, "version": version, "category": category}
        made: dict[str, Any] = self._api.put(
            f"/incidents/{ref}/postmortem", body, actor=actor, about=ref
        )
        return made

    def move(self, ref: str, action: str, actor: str, version: int | None) -> dict[str, Any]:
        made: dict[str, Any] = self._api.post(
            f"/incidents/{ref}/postmortem/{action}", {"version": version}, actor=actor, about=ref
        )
        return made

    def history(self, ref: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._api.get(
            f"/incidents/{ref}/postmortem/history", about=ref
        )
        return found

    def overview(self, overdue: bool) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._api.get(
            "/postmortems", [("overdue", "true" if overdue else "false")]
        )
        return found
