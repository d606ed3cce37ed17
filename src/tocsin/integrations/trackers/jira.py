"""Jira: Cloud's REST API v3 (description in Atlassian Document Format, Basic auth with an
e-mail and API token) or Server/Data Center's v2 (plain-text description, a personal access
token as Bearer).

Create: `POST /rest/api/{v}/issue` `{fields: {project, summary, issuetype, labels, duedate,
description, assignee}}` → 201 `{id, key, self}`; update: `PUT /rest/api/{v}/issue/{key}` →
204; read: `GET /rest/api/{v}/issue/{key}?fields=status` for
`fields.status.statusCategory.key` (`new`, `indeterminate`, `done`). Each issue carries the
item's marker as a label; after a lost answer it is found by JQL (`labels = "tocsin-item-N"`,
Cloud: `GET /rest/api/3/search/jql`; Server: `GET /rest/api/2/search`). Status is read back,
not written: moving a Jira issue between statuses goes through its workflow's transitions.
"""

from __future__ import annotations

import base64
from typing import Any, Literal

from tocsin.app.clock import SystemClock
from tocsin.app.ports import Clock
from tocsin.app.trackers import Issue, Remote, TrackerUnavailable
from tocsin.core.action_items import TrackerKind
from tocsin.integrations.notifiers.http import DEFAULT_TIMEOUTS, Answer, Timeouts
from tocsin.integrations.trackers.http import Credential, TrackerHttp

ApiVersion = Literal[2, 3]


class JiraTracker:
    kind = TrackerKind.JIRA

    def __init__(
        self,
        base_url: str,
        project: str,
        credential: Credential,
        email: str | None = None,
        api: ApiVersion = 3,
        issue_type: str = "Task",
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._api = api
        self._root = f"/rest/api/{api}"
        self._project = project
        self._issue_type = issue_type
        self._base = base_url.rstrip("/")
        if email:
            basic = base64.b64encode(f"{email}:{credential.token}".encode()).decode()
            auth, secrets = f"Basic {basic}", [credential.token, basic]
        else:
            auth, secrets = f"Bearer {credential.token}", [credential.token]
        headers = {"Authorization": auth, "Accept": "application/json"}
        self._http = TrackerHttp("Jira", base_url, headers, credential, secrets, timeouts,
                                 clock or SystemClock(), _words)  # fmt: skip

    def create(self, issue: Issue) -> Remote:
        fields = {"project": {"key": self._project}, "issuetype": {"name": self._issue_type},
                  "labels": [*issue.labels, issue.marker], **self._fields(issue)}  # fmt: skip
        path = f"{self._root}/issue"
        data = self._http.json(self._http.call("POST", path, json={"fields": fields}), "POST", path)
        key = str(data.get("key") or "")
        if not key:
            raise TrackerUnavailable(f"Jira POST {path}: the answer has no issue key")
        return Remote(key, self._browse(key), "new")

    def update(self, external_id: str, issue: Issue) -> Remote:
        """Labels (the marker among them) are set at create only: those people add stay."""
        self._http.call("PUT", f"{self._root}/issue/{external_id}",
                        json={"fields": self._fields(issue)})  # fmt: skip
        return Remote(external_id, self._browse(external_id), None)

    def read(self, external_id: str) -> Remote:
        path = f"{self._root}/issue/{external_id}"
        answer = self._http.call("GET", path, params={"fields": "status"})
        return self._remote(self._http.json(answer, "GET", path))

    def find(self, issue: Issue) -> Remote | None:
        path = f"{self._root}/search/jql" if self._api == 3 else f"{self._root}/search"
        params = {"jql": f'labels = "{issue.marker}"', "fields": "status", "maxResults": 5}
        data = self._http.json(self._http.call("GET", path, params=params), "GET", path)
        issues = data.get("issues")
        if isinstance(issues, list) and issues and isinstance(issues[0], dict):
            return self._remote(issues[0])
        return None

    def close(self) -> None:
        self._http.close()

    def _fields(self, issue: Issue) -> dict[str, Any]:
        fields: dict[str, Any] = {
            "summary": issue.title,
            "description": adf(issue.body) if self._api == 3 else issue.body,
            "duedate": issue.deadline.isoformat() if issue.deadline else None,
        }
        if issue.assignee:
            key = "accountId" if self._api == 3 else "name"
            fields["assignee"] = {key: issue.assignee}
        return fields

    def _remote(self, data: dict[str, Any]) -> Remote:
        key = str(data.get("key") or "")
        fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
        status = (fields or {}).get("status") or {}
        category = (status.get("statusCategory") or {}) if isinstance(status, dict) else {}
        word = category.get("key") if isinstance(category, dict) else None
        return Remote(key, self._browse(key), str(word) if word else None)

    def _browse(self, key: str) -> str:
        return f"{self._base}/browse/{key}"


def adf(text: str) -> dict[str, Any]:
    """Plain text as an Atlassian Document Format document: one paragraph per line."""
    content = [
        {"type": "paragraph", "content": [{"type": "text", "text": line}]} if line
        else {"type": "paragraph", "content": []}
        for line in text.split("\n")
    ]  # fmt: skip
    return {"type": "doc", "version": 1, "content": content}


def _words(answer: Answer) -> str:
    data = answer.json()
    if not isinstance(data, dict):
        return answer.text()
    messages = [str(m) for m in data.get("errorMessages") or []]
    errors = data.get("errors")
    if isinstance(errors, dict):
        messages += [f"{field}: {message}" for field, message in errors.items()]
    return "; ".join(messages) or answer.text()
