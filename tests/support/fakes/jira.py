"""Jira's REST API: Cloud v3 (ADF descriptions, Basic auth with e-mail and API token) and
Server/Data Center v2 (plain-text descriptions, a personal access token as Bearer), as
Atlassian documents them.

`POST /rest/api/{v}/issue` → 201 `{id, key, self}`; `PUT /rest/api/{v}/issue/{key}` → 204;
`GET /rest/api/{v}/issue/{key}?fields=status` → the issue with `fields.status.statusCategory`;
JQL search `GET /rest/api/3/search/jql` (Cloud) or `/rest/api/2/search` (Server) with
`jql=labels = "…"`. Errors are `{"errorMessages": […], "errors": {field: message}}`: 400 for a
field it will not take, 401 without valid credentials, 404 for an unknown issue, 429 with
`Retry-After` when rate limited. `hang_next_create()` makes the next create happen and its
answer never come.
"""

from __future__ import annotations

import base64
import itertools
import json
import re
from typing import Any

from tests.support.fakes.base import Answer, FakeServer, Fault, Request

RETRY_AFTER = "30"
CATEGORIES = {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}


class FakeJira(FakeServer):
    def __init__(
        self,
        token: str,
        project: str,
        api: int = 3,
        email: str | None = "ops@example.com",
        accounts: frozenset[str] = frozenset({"5b10ac8d82e05b22cc7d4ef5"}),
    ) -> None:
        self.token = token
        self.project = project
        self.api = api
        self.email = email
        self.accounts = accounts
        self.issues: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(10001)
        self._numbers = itertools.count(1)
        self._hang_create = False
        super().__init__(self._answer, self._fault)

    def hang_next_create(self) -> None:
        self._hang_create = True

    def move(self, key: str, category: str) -> None:
        self.issues[key]["category"] = category

    def creates(self) -> list[Request]:
        return [r for r in self.requests if r.method == "POST"]

    def _fault(self, fault: Fault) -> Answer:
        if fault is Fault.RATE_LIMIT:
            return Answer.json(429, {"errorMessages": ["Rate limit exceeded."], "errors": {}},
                               **{"Retry-After": RETRY_AFTER})  # fmt: skip
        return Answer.json(500, {"errorMessages": ["Internal server error"], "errors": {}})

    def _answer(self, request: Request) -> Answer:
        if not self._authorised(request.headers.get("authorization", "")):
            return _errors(401, ["You are not authenticated. Authentication required."])
        root = f"/rest/api/{self.api}"
        search = f"{root}/search/jql" if self.api == 3 else f"{root}/search"
        if request.path == f"{root}/issue" and request.method == "POST":
            return self._create(request)
        if request.path == search and request.method == "GET":
            return self._search(request)
        match = re.fullmatch(re.escape(root) + r"/issue/([A-Z][A-Z0-9_]*-\d+)", request.path)
        if match is None or match.group(1) not in self.issues:
            return _errors(404, ["Issue does not exist or you do not have permission to see it."])
        issue = self.issues[match.group(1)]
        if request.method == "PUT":
            return self._edit(issue, request)
        return Answer.json(200, self._view(issue))

    def _authorised(self, header: str) -> bool:
        if self.email is not None:
            basic = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
            return header == f"Basic {basic}"
        return header == f"Bearer {self.token}"

    def _create(self, request: Request) -> Answer:
        fields = _fields(request)
        if fields is None:
            return _errors(400, ["Unexpected character in the request body."])
        problems = self._problems(fields, creating=True)
        if problems:
            return Answer.json(400, {"errorMessages": [], "errors": problems})
        key = f"{self.project}-{next(self._numbers)}"
        issue_id = str(next(self._ids))
        self.issues[key] = {"id": issue_id, "key": key, "fields": fields, "category": "new"}
        answer = {
            "id": issue_id,
            "key": key,
            "self": f"{self.url}/rest/api/{self.api}/issue/{issue_id}",
        }
        if self._hang_create:
            self._hang_create = False
            return Answer(201, hang=True)
        return Answer.json(201, answer)

    def _edit(self, issue: dict[str, Any], request: Request) -> Answer:
        fields = _fields(request)
        if fields is None:
            return _errors(400, ["Unexpected character in the request body."])
        problems = self._problems(fields, creating=False)
        if problems:
            return Answer.json(400, {"errorMessages": [], "errors": problems})
        issue["fields"].update(fields)
        return Answer(204)

    def _search(self, request: Request) -> Answer:
        jql = request.query.get("jql", [""])[0]
        match = re.fullmatch(r'labels\s*=\s*"([^"]+)"', jql.strip())
        if match is None:
            return _errors(400, [f"Error in the JQL Query: {jql!r}"])
        found = [self._view(i) for i in self.issues.values()
                 if match.group(1) in i["fields"].get("labels", [])]  # fmt: skip
        if self.api == 3:
            return Answer.json(200, {"issues": found, "isLast": True})
        return Answer.json(200, {"startAt": 0, "maxResults": 50, "total": len(found),
                                 "issues": found})  # fmt: skip

    def _problems(self, fields: dict[str, Any], creating: bool) -> dict[str, str]:
        problems = {}
        if creating and (fields.get("project") or {}).get("key") != self.project:
            problems["project"] = "valid project is required"
        if creating and not fields.get("summary"):
            problems["summary"] = "You must specify a summary of the issue."
        description = fields.get("description")
        if description is not None:
            if self.api == 3 and not (
                isinstance(description, dict) and description.get("type") == "doc"
            ):
                problems["description"] = "Operation value must be an Atlassian Document"
            if self.api == 2 and not isinstance(description, str):
                problems["description"] = "Operation value must be a string"
        labels = fields.get("labels", [])
        if any(" " in label for label in labels):
            problems["labels"] = "The label must not contain spaces."
        due = fields.get("duedate")
        if due is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(due)):
            problems["duedate"] = "Error parsing date string: " + str(due)
        assignee = fields.get("assignee")
        if (
            assignee is not None
            and assignee.get("accountId", assignee.get("name")) not in self.accounts
        ):
            problems["assignee"] = "User does not exist or you do not have permission to see it."
        return problems

    def _view(self, issue: dict[str, Any]) -> dict[str, Any]:
        category = issue["category"]
        status = {"name": CATEGORIES[category],
                  "statusCategory": {"key": category, "name": CATEGORIES[category]}}  # fmt: skip
        return {"id": issue["id"], "key": issue["key"],
                "self": f"{self.url}/rest/api/{self.api}/issue/{issue['id']}",
                "fields": {"status": status}}  # fmt: skip


def _fields(request: Request) -> dict[str, Any] | None:
    try:
        data = json.loads(request.body)
    except ValueError:
        return None
    fields = data.get("fields") if isinstance(data, dict) else None
    return fields if isinstance(fields, dict) else None


def _errors(status: int, messages: list[str]) -> Answer:
    return Answer.json(status, {"errorMessages": messages, "errors": {}})
