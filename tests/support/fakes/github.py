"""GitHub's Issues REST API, as GitHub documents it (api.github.com and Enterprise's /api/v3).

`POST /repos/{owner}/{repo}/issues` → 201 with the issue; `PATCH …/issues/{number}` → 200;
`GET …/issues/{number}` → 200; `GET …/issues?labels=&state=&since=&per_page=&page=` → a list,
most recently created first. Errors are `{"message": …, "documentation_url": …}`: 401
`Bad credentials` (or `Requires authentication` without a token), 404 `Not Found` for an
unknown repository or issue, 422 `Validation Failed` with `errors[]` (a missing title, an
assignee GitHub does not know). Rate limits: the primary limit answers 403 with
`x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); a secondary limit answers
429 with `retry-after` (seconds). `hang_next_create()` makes the next create happen and its
answer never come (the lost 201).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

from tests.support.fakes.base import Answer, FakeServer, Fault, Request

DOCS = "https://docs.github.com/rest/issues/issues"
RETRY_AFTER = "60"


class FakeGitHub(FakeServer):
    def __init__(
        self,
        token: str,
        repo: str,
        now: Callable[[], datetime],
        logins: frozenset[str] = frozenset({"alice-gh", "bob-gh"}),
        prefix: str = "",
    ) -> None:
        self.token = token
        self.repo = repo
        self.logins = logins
        self.prefix = prefix  # "/api/v3" for GitHub Enterprise Server
        self.issues: dict[int, dict[str, Any]] = {}
        self.reset_at = 0  # x-ratelimit-reset of a primary-limit answer
        self.primary_limit = False  # RATE_LIMIT as 403 + x-ratelimit-* instead of 429
        self._now = now
        self._numbers = itertools.count(1)
        self._hang_create = False
        super().__init__(self._answer, self._fault)

    @property
    def api_url(self) -> str:
        return self.url + self.prefix

    def hang_next_create(self) -> None:
        self._hang_create = True

    def close_issue(self, number: int, reason: str = "completed") -> None:
        self.issues[number].update(state="closed", state_reason=reason)

    def creates(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def patches(self) -> list[Request]:
        return [r for r in self.requests if r.method == "PATCH"]

    def _fault(self, fault: Fault) -> Answer:
        if fault is Fault.RATE_LIMIT and self.primary_limit:
            return Answer.json(403, {"message": "API rate limit exceeded for user ID 1.",
                                     "documentation_url": DOCS},
                               **{"x-ratelimit-remaining": "0",
                                  "x-ratelimit-reset": str(self.reset_at)})  # fmt: skip
        if fault is Fault.RATE_LIMIT:
            return Answer.json(429, {"message": "You have exceeded a secondary rate limit.",
                                     "documentation_url": DOCS},
                               **{"retry-after": RETRY_AFTER})  # fmt: skip
        return Answer.json(500, {"message": "Server Error"})

    def _answer(self, request: Request) -> Answer:
        auth = request.headers.get("authorization", "")
        if not auth:
            return _error(401, "Requires authentication")
        if auth != f"Bearer {self.token}":
            return _error(401, "Bad credentials")
        if request.headers.get("accept") != "application/vnd.github+json":
            return _error(415, "Unsupported 'Accept' header")
        base = f"{self.prefix}/repos/{self.repo}/issues"
        if request.path == base and request.method == "POST":
            return self._create(request)
        if request.path == base and request.method == "GET":
            return self._list(request)
        match = re.fullmatch(re.escape(base) + r"/(\d+)", request.path)
        if match is None or int(match.group(1)) not in self.issues:
            return _error(404, "Not Found")
        issue = self.issues[int(match.group(1))]
        if request.method == "PATCH":
            return self._edit(issue, request)
        return Answer.json(200, issue)

    def _create(self, request: Request) -> Answer:
        body = _json(request)
        if body is None:
            return _error(400, "Problems parsing JSON")
        if not body.get("title"):
            return _invalid({"resource": "Issue", "code": "missing_field", "field": "title"})
        bad = self._bad_assignees(body)
        if bad is not None:
            return bad
        number = next(self._numbers)
        now = self._stamp()
        issue = {
            "number": number, "html_url": f"https://github.com/{self.repo}/issues/{number}",
            "state": "open", "state_reason": None, "title": body["title"],
            "body": body.get("body"), "labels": [{"name": n} for n in body.get("labels", [])],
            "assignees": [{"login": a} for a in body.get("assignees", [])],
            "created_at": now, "updated_at": now,
        }  # fmt: skip
        self.issues[number] = issue
        if self._hang_create:
            self._hang_create = False
            return Answer(201, hang=True)
        return Answer.json(201, issue)

    def _edit(self, issue: dict[str, Any], request: Request) -> Answer:
        body = _json(request)
        if body is None:
            return _error(400, "Problems parsing JSON")
        bad = self._bad_assignees(body)
        if bad is not None:
            return bad
        if "state" in body and body["state"] not in ("open", "closed"):
            return _invalid({"resource": "Issue", "code": "invalid", "field": "state"})
        for key in ("title", "body", "state", "state_reason"):
            if key in body:
                issue[key] = body[key]
        if "labels" in body:
            issue["labels"] = [{"name": n} for n in body["labels"]]
        if "assignees" in body:
            issue["assignees"] = [{"login": a} for a in body["assignees"]]
        issue["updated_at"] = self._stamp()
        return Answer.json(200, issue)

    def _list(self, request: Request) -> Answer:
        q = {k: v[0] for k, v in request.query.items()}
        found = sorted(self.issues.values(), key=lambda i: -i["number"])
        if q.get("state", "open") != "all":
            found = [i for i in found if i["state"] == q.get("state", "open")]
        if "labels" in q:
            wanted = set(q["labels"].split(","))
            found = [i for i in found if wanted <= {x["name"] for x in i["labels"]}]
        if "since" in q:
            found = [i for i in found if i["updated_at"] >= q["since"]]
        per_page, page = int(q.get("per_page", 30)), int(q.get("page", 1))
        return Answer.json(200, found[(page - 1) * per_page : page * per_page])

    def _bad_assignees(self, body: dict[str, Any]) -> Answer | None:
        for login in body.get("assignees", []):
            if login not in self.logins:
                return _invalid({"value": login, "resource": "Issue", "field": "assignees",
                                 "code": "invalid"})  # fmt: skip
        return None

    def _stamp(self) -> str:
        return self._now().isoformat().replace("+00:00", "Z")


def _json(request: Request) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    return data if isinstance(data, dict) else None


def _error(status: int, message: str) -> Answer:
    return Answer.json(status, {"message": message, "documentation_url": DOCS})


def _invalid(error: dict[str, Any]) -> Answer:
    return Answer.json(422, {"message": "Validation Failed", "errors": [error],
                             "documentation_url": DOCS})  # fmt: skip
