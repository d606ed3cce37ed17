"""`cloudtrail.events` through boto3 against a local fake of CloudTrail's LookupEvents.

Why a fake: moto's server (the AWS emulator the other typed actions are tested against)
answers LookupEvents with "The lookup_events action has not been implemented". The fake
speaks the wire format boto3 uses for CloudTrail (the AWS JSON 1.1 protocol: a POST to `/`
with `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents`,
timestamps as epoch seconds, errors as `{"__type": …, "message": …}` with a 400), with the
documented response shape (`Events`: EventId, EventName, ReadOnly, EventTime, EventSource,
Username, Resources, CloudTrailEvent; `NextToken` while there are more pages)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3")

from tocsin.app.clock import ManualClock
from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole, Principal
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind
from tocsin.integrations.actions.aws import AwsActions

TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.LookupEvents"
NOW = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
ANN = Principal("ann", AccessRole.RESPONDER, "user")


def event(n: int, name: str, read_only: bool, who: str = "alice") -> dict[str, Any]:
    at = NOW - timedelta(minutes=n)
    return {
        "EventId": f"ev-{n}",
        "EventName": name,
        "ReadOnly": "true" if read_only else "false",
        "AccessKeyId": "ASIAEXAMPLE",
        "EventTime": at.timestamp(),
        "EventSource": "ecs.amazonaws.com",
        "Username": who,
        "Resources": [{"ResourceType": "AWS::ECS::Service", "ResourceName": "modax-internal"}],
        "CloudTrailEvent": json.dumps({"eventName": name}),
    }


PAGES = [
    [event(1, "UpdateService", False), event(3, "DescribeServices", True)],
    [event(9, "RegisterTaskDefinition", False, "deploy-bot")],
]


class Trail(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), TrailHandler)
        self.requests: list[tuple[dict[str, str], dict[str, Any]]] = []
        self.refuse = ""

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class TrailHandler(BaseHTTPRequestHandler):
    server: Trail

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append((dict(self.headers), body))
        if self.headers.get("X-Amz-Target") != TARGET:
            return self._answer(400, {"__type": "UnknownOperationException", "message": "?"})
        if self.server.refuse:
            return self._answer(400, {"__type": self.server.refuse, "message": "not like that"})
        page = int(body.get("NextToken", "0"))
        answer: dict[str, Any] = {"Events": PAGES[page][: body.get("MaxResults", 50)]}
        if page + 1 < len(PAGES):
            answer["NextToken"] = str(page + 1)
        self._answer(200, answer)

    def _answer(self, status: int, data: dict[str, Any]) -> None:
        raw = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def trail() -> Iterator[Trail]:
    server = Trail()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def extra_env(trail: Trail, tmp_path: Path) -> dict[str, str]:
    return {"AWS_ENDPOINT_URL": trail.url, "AWS_DEFAULT_REGION": "eu-west-1",
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_MAX_ATTEMPTS": "1", "HOME": str(tmp_path)}  # fmt: skip


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"


def actions(env: dict[str, str]) -> AwsActions:
    return AwsActions(env, now=lambda: NOW)


DEFAULTS = {"lookup": "", "minutes": 60, "limit": 50, "writes_only": True}


def test_recent_changes_are_read_page_by_page_newest_first(
    trail: Trail, extra_env: dict[str, str]
) -> None:
    done = actions(extra_env).run("cloudtrail.events", dict(DEFAULTS), False)
    assert done.ok, done.error
    assert done.summary == "CloudTrail: 2 event(s) in 60 min (changes only)"
    assert done.output.splitlines() == [
        "2026-11-29T19:59:00Z  UpdateService  ecs.amazonaws.com  alice  modax-internal",
        "2026-11-29T19:51:00Z  RegisterTaskDefinition  ecs.amazonaws.com  deploy-bot  "
        "modax-internal",
    ]
    (headers, first), (_, second) = trail.requests
    assert headers["X-Amz-Target"] == TARGET
    assert first["LookupAttributes"] == [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}]
    assert first["StartTime"] == (NOW - timedelta(minutes=60)).timestamp()
    assert first["EndTime"] == NOW.timestamp()
    assert (first["MaxResults"], "NextToken" in first) == (50, False)
    assert second["NextToken"] == "1"


def test_one_lookup_attribute_and_read_calls_left_out_here(
    trail: Trail, extra_env: dict[str, str]
) -> None:
    given = {**DEFAULTS, "lookup": "ResourceName=modax-internal", "limit": 2}
    done = actions(extra_env).run("cloudtrail.events", given, False)
    assert done.ok, done.error
    (_, body), *_ = trail.requests
    assert body["LookupAttributes"] == [
        {"AttributeKey": "ResourceName", "AttributeValue": "modax-internal"}
    ]
    assert body["MaxResults"] == 2
    assert "DescribeServices" not in done.output
    everything = actions(extra_env).run("cloudtrail.events", {**given, "writes_only": False}, False)
    assert "DescribeServices" in everything.output


def test_a_bad_lookup_is_refused_before_asking_and_aws_errors_are_results(
    trail: Trail, extra_env: dict[str, str]
) -> None:
    bad = actions(extra_env).run("cloudtrail.events", {**DEFAULTS, "lookup": "Colour=red"}, False)
    assert not bad.ok
    assert "Key one of EventName, EventSource" in bad.error
    assert trail.requests == []
    trail.refuse = "InvalidLookupAttributesException"
    refused = actions(extra_env).run("cloudtrail.events", dict(DEFAULTS), False)
    assert not refused.ok
    assert "InvalidLookupAttributesException" in refused.error
    assert "not like that" in refused.error


def test_the_events_land_on_the_incidents_timeline(
    wired: Tocsin, trail: Trail, clock: ManualClock
) -> None:
    ref = wired.incidents.declare("ann", "Deploy broke it", "P2", Scope()).incident.id
    done = wired.actions.run(ref, "cloudtrail.events", {"minutes": "30"}, ANN)
    assert done.ok, done.error
    (entry,) = [e for e in wired.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert entry.text.startswith("cloudtrail.events: CloudTrail: 2 event(s) in 30 min")
    assert "UpdateService" in entry.data["output"]
    sent = trail.requests[0][1]
    assert sent["EndTime"] - sent["StartTime"] == 30 * 60
