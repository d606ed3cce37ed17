"""`tocsin runbook list|show|lint|run|approve|runs|output`, `tocsin audit verify|list` and
`tocsin action list|run` against a server (TOCSIN_URL, TOCSIN_TOKEN).

The server runs the steps (its worker does): `run` posts the request, then follows each run
until it has finished (or waits for a second person), so the command prints the output as
the local one does. A typed action runs on the server while the command waits; `lint` reads
the server's runbooks with its settings; `audit verify` checks the server's chain."""

from __future__ import annotations

import time
from typing import Any

from tocsin.cli.remote_http import Api

POLL_S = 0.2
GRACE_S = 30.0  # beyond the step's timeout: a worker must first pick the job up
ACTION_TIMEOUT_S = 120.0  # a typed action runs while the command waits


class RemoteRunbooks:
    def __init__(self, api: Api) -> None:
        self._api = api

    def listed(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._api.get("/runbooks")
        return found

    def show(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._api.get(f"/runbooks/{name}")
        return found

    def run(self, ref: str, name: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._api.post(
            f"/incidents/{ref}/runbooks/{name}/run", body, actor=actor, about=ref
        )
        return answer

    def approve(self, run_id: int, actor: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._api.post(f"/runbook-runs/{run_id}/approve", {}, actor=actor)
        return answer

    def runs(self, ref: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._api.get(f"/incidents/{ref}/runbook-runs", about=ref)
        return found

    def run_record(self, run_id: int) -> dict[str, Any]:
        found: dict[str, Any] = self._api.get(f"/runbook-runs/{run_id}")
        return found

    def lint(self, name: str) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._api.get(f"/runbooks/{name}/lint")["problems"]
        return found

    def audit_verify(self) -> dict[str, Any]:
        found: dict[str, Any] = self._api.get("/audit/verify")
        return found

    def audit_records(self, after: int, limit: int) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._api.get("/audit", [("after", after), ("limit", limit)])
        return found

    def actions(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._api.get("/actions")
        return found

    def action(self, ref: str, name: str, body: dict[str, Any], actor: str) -> dict[str, Any]:
        answer: dict[str, Any] = self._api.post(f"/incidents/{ref}/actions/{name}", body,
                                                actor=actor, about=ref,
                                                timeout_s=ACTION_TIMEOUT_S)  # fmt: skip
        return answer

    def follow(self, run: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        """The run once it finished, waits for approval, or the wait ran out (as it is)."""
        deadline = time.monotonic() + timeout_s + GRACE_S
        while run["status"] in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(POLL_S)
            run = self._api.get(f"/runbook-runs/{run['id']}")
        return run
