"""GitHub Issues (and GitHub Enterprise Server, whose API is under `/api/v3`).

Create: `POST /repos/{owner}/{repo}/issues` → 201 `{number, html_url, state}`; update:
`PATCH /repos/{owner}/{repo}/issues/{number}` (title, body, assignees, state and
`state_reason`; labels are set at create only); read: `GET` the same. An issue's body ends
with a hidden marker `<!-- tocsin-item-N -->`; after a lost answer, the issue is found again
by listing the repository's issues with the item's first label updated since the item was
made (`GET /repos/{owner}/{repo}/issues?labels=incident&state=all&since=…`, which, unlike
the search API, sees an issue as soon as it is made) and reading their bodies.
"""

from __future__ import annotations

from typing import Any

from tocsin.app.clock import SystemClock
from tocsin.app.ports import Clock
from tocsin.app.trackers import Issue, Remote
from tocsin.core.action_items import TrackerKind
from tocsin.core.timeline import iso
from tocsin.integrations.notifiers.http import DEFAULT_TIMEOUTS, Answer, Timeouts
from tocsin.integrations.trackers.http import Credential, TrackerHttp

GITHUB_API = "https://api.github.com"
PAGES = 10  # at most 1,000 issues looked through for a marker
API_VERSION = "2022-11-28"


def hidden_marker(marker: str) -> str:
    return f"<!-- {marker} -->"


class GitHubTracker:
    kind = TrackerKind.GITHUB

    def __init__(
        self,
        repo: str,
        credential: Credential,
        base_url: str = GITHUB_API,
        timeouts: Timeouts = DEFAULT_TIMEOUTS,
        clock: Clock | None = None,
    ) -> None:
        self._path = f"/repos/{repo}/issues"
        headers = {
            "Authorization": f"Bearer {credential.token}",
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": API_VERSION,
        }
        self._http = TrackerHttp("GitHub", base_url, headers, credential, [credential.token],
                                 timeouts, clock or SystemClock(), _words)  # fmt: skip

    def create(self, issue: Issue) -> Remote:
        fields = self._fields(issue)
        del fields["state"], fields["state_reason"]  # a new issue is open
        fields["labels"] = list(issue.labels)
        return self._remote(self._http.call("POST", self._path, json=fields), "POST")

    def update(self, external_id: str, issue: Issue) -> Remote:
        """Labels are left as they are (the issue's labels may have grown in GitHub), and so
        are the assignees unless the owner maps to a login."""
        path = f"{self._path}/{external_id}"
        return self._remote(self._http.call("PATCH", path, json=self._fields(issue)), "PATCH")

    def read(self, external_id: str) -> Remote:
        return self._remote(self._http.call("GET", f"{self._path}/{external_id}"), "GET")

    def find(self, issue: Issue) -> Remote | None:
        wanted = hidden_marker(issue.marker)
        params: dict[str, Any] = {"state": "all", "since": iso(issue.since), "per_page": 100,
                                  "sort": "created", "direction": "desc"}  # fmt: skip
        if issue.labels:
            params["labels"] = issue.labels[0]
        for page in range(1, PAGES + 1):
            answer = self._http.call("GET", self._path, params={**params, "page": page})
            found = answer.json()
            if not isinstance(found, list):
                return None
            for data in found:
                if isinstance(data, dict) and wanted in str(data.get("body") or ""):
                    return _remote(data)
            if len(found) < params["per_page"]:
                return None
        return None

    def close(self) -> None:
        self._http.close()

    def _fields(self, issue: Issue) -> dict[str, Any]:
        state_reason = ("not_planned" if issue.wont_do else "completed") if issue.closed else None
        return {
            "title": issue.title,
            "body": f"{issue.body}\n\n{hidden_marker(issue.marker)}",
            **({"assignees": [issue.assignee]} if issue.assignee else {}),
            "state": "closed" if issue.closed else "open",
            "state_reason": state_reason,
        }

    def _remote(self, answer: Answer, method: str) -> Remote:
        return _remote(self._http.json(answer, method, self._path))


def _remote(data: dict[str, Any]) -> Remote:
    state = str(data.get("state") or "open")
    if state == "closed" and data.get("state_reason") == "not_planned":
        state = "closed/not_planned"
    return Remote(str(data.get("number")), data.get("html_url"), state)


def _words(answer: Answer) -> str:
    data = answer.json()
    if not isinstance(data, dict):
        return answer.text()
    message = str(data.get("message") or "")
    errors = data.get("errors")
    if isinstance(errors, list) and errors:
        details = "; ".join(
            str(e.get("message") or f"{e.get('field')} {e.get('code')}")
            if isinstance(e, dict) else str(e)
            for e in errors
        )  # fmt: skip
        message = f"{message}: {details}"
    return message or answer.text()
