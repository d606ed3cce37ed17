"""Twilio's REST API for Messages and Calls, as documented: form-encoded POSTs under
`/2010-04-01/Accounts/{AccountSid}/`, HTTP Basic auth with the Account SID and Auth Token,
201 with the created resource (`sid` SM… or CA…), and errors as
`{"code", "message", "more_info", "status"}`: 20003 (401, bad credentials), 21211 (400, a
'To' that is not a phone number), 21602 (400, no Body), 21205 (400, no Url or Twiml),
12100 (400, TwiML that does not parse), 20429 (429, too many requests).
"""

from __future__ import annotations

import base64
import itertools
import re
import xml.etree.ElementTree as ET
from typing import Any

from tests.support.fakes.base import Answer, FakeServer, Fault, Request

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


class FakeTwilio(FakeServer):
    def __init__(self, account_sid: str, auth_token: str) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self._n = itertools.count(1)
        super().__init__(self._answer, self._fault)

    @property
    def base_url(self) -> str:
        return f"{self.url}/2010-04-01"

    def _fault(self, fault: Fault) -> Answer:
        if fault is Fault.RATE_LIMIT:
            return _error(429, 20429, "Too Many Requests", **{"Retry-After": "3"})
        return _error(500, 20500, "Internal Server Error")

    def _answer(self, request: Request) -> Answer:
        match = re.fullmatch(r"/2010-04-01/Accounts/([^/]+)/(Messages|Calls)\.json", request.path)
        if not match or request.method != "POST":
            return _error(404, 20404, f"The requested resource {request.path} was not found")
        if not self._authorized(request, match.group(1)):
            return _error(401, 20003, "Authenticate")
        form = request.form()
        to = form.get("To", "")
        if not E164.match(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if match.group(2) == "Messages":
            return self._message(form)
        return self._call(form)

    def _authorized(self, request: Request, sid: str) -> bool:
        expected = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        return (
            sid == self.account_sid and request.headers.get("authorization") == f"Basic {expected}"
        )

    def _message(self, form: dict[str, str]) -> Answer:
        body = form.get("Body", "")
        if not body:
            return _error(400, 21602, "Message body is required.")
        if len(body) > 1600:
            return _error(
                400, 21617, "The concatenated message body exceeds the 1600 character limit."
            )
        sid = f"SM{next(self._n):032x}"
        return Answer.json(201, self._resource(sid, form, body=body, status="queued"))

    def _call(self, form: dict[str, str]) -> Answer:
        twiml = form.get("Twiml")
        if not twiml and not form.get("Url"):
            return _error(400, 21205, "Url parameter is required.")
        if twiml is not None:
            if len(twiml) > 4000:
                return _error(400, 13104, "Twiml exceeds 4000 characters")
            try:
                root = ET.fromstring(twiml)  # noqa: S314 - a test double
            except ET.ParseError:
                return _error(400, 12100, "Document parse failure")
            if root.tag != "Response":
                return _error(400, 12100, "Document parse failure")
        sid = f"CA{next(self._n):032x}"
        return Answer.json(201, self._resource(sid, form, status="queued"))

    def _resource(self, sid: str, form: dict[str, str], **fields: Any) -> dict[str, Any]:
        created = "Sun, 22 Nov 2026 03:00:00 +0000"
        resource = {"sid": sid, "account_sid": self.account_sid, "date_created": created}
        return {**resource, "to": form["To"], "from": form.get("From"), **fields}


def _error(status: int, code: int, message: str, **headers: str) -> Answer:
    return Answer.json(
        status,
        {"code": code, "message": message, "more_info": f"https://www.twilio.com/docs/errors/{code}",
         "status": status},
        **headers,
    )  # fmt: skip
