"""Test pages on a server: PageTests' calls over /api/v1/people/{person}/page-tests."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from tocsin.app.notice_records import NoticePurpose, NoticeRecord, NoticeStatus
from tocsin.app.pagetests import MethodTest
from tocsin.cli.remote_http import Api
from tocsin.core.notify import ContactKind, ContactMethod
from tocsin.core.timeline import parse_iso


class RemotePageTests:
    def __init__(self, api: Api) -> None:
        self._api = api

    def start(self, person: str, by: str) -> list[NoticeRecord]:
        data = self._api.post(f"/people/{quote(person, safe='')}/page-tests", {}, actor=by)
        with self._api.reading():
            return [notice(n) for n in data]

    def status(self, person: str | None = None) -> list[MethodTest]:
        data = self._api.get("/page-tests", [("person", person)] if person else [])
        with self._api.reading():
            return [
                MethodTest(
                    t["person"],
                    t["name"],
                    method(t["method"]),
                    notice(t["last"]) if t["last"] else None,
                    notice(t["last_delivered"]) if t["last_delivered"] else None,
                )
                for t in data
            ]


def method(data: dict[str, Any]) -> ContactMethod:
    return ContactMethod(ContactKind(data["kind"]), data["address"], data["label"])


def notice(data: dict[str, Any]) -> NoticeRecord:
    requested = parse_iso(data["requested_at"])
    assert requested is not None  # noqa: S101 - always in the answer
    return NoticeRecord(
        int(data["id"]), NoticePurpose.TEST, "", data["person"], method(data["method"]), "",
        "", "", NoticeStatus(data["status"]), int(data["attempts"]), data["detail"], None,
        data["requested_by"], requested, parse_iso(data["delivered_at"]),
        parse_iso(data["acknowledged_at"]), data["acknowledged_via"],
    )  # fmt: skip
