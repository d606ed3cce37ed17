"""The Alertmanager-shaped ingestion routes: what they answer, byte for byte, for good, bad
and unauthenticated posts; and the writer committing several requests' batches in one
transaction, a bad batch failing alone."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from tests import payloads
from tocsin.app.alert_writer import MAX_QUEUED_BYTES, IngestOverloaded, IngestWriter, Job
from tocsin.app.alerts import AlertService, IngestResult
from tocsin.app.ports import AlertFilter, IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import IntegrationConfig, RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.routing import Decision, Router
from tocsin.store.uow import SqlUnitOfWork


@pytest.fixture
def key(tocsin: Tocsin) -> str:
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    return tocsin.alert_admin.add_integration("prom", "alertmanager").key


def posted(name: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, "service": "api", **labels}}


def unrouted(name: str) -> dict[str, Any]:
    """No service label: kept, not declared, so the answer names no incident."""
    return {"labels": {"alertname": name}, "status": "firing"}


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {"version": "4", "status": "firing", "alerts": list(alerts)}


UNAUTHENTICATED = (
    b'{"error":{"kind":"unauthenticated","message":"missing or wrong integration key"}}'
)
SUCCESS = b'{"status":"success","accepted":1,"declared":[],"attached":[],"suppressed":0}'
PARTIAL = (
    b'{"status":"partial","accepted":1,"declared":[],"attached":[],"suppressed":0,'
    b'"errors":["alerts[1].labels: expected an object of strings"]}'
)


API = "/ingest/prometheus/{key}/api/v2/alerts"
HOOK = "/ingest/alertmanager/{key}"
TEXT, JSON = "text/plain; charset=utf-8", "application/json"


@pytest.mark.parametrize(
    ("path", "body", "status", "content_type", "answer", "stored"),
    [
        (API, [posted("A")], 200, None, b"", 1),
        (API, [posted("A"), {}], 400, TEXT, b"[1].labels: is required", 1),
        (API, {"not": "a list"}, 400, TEXT, b"body: expected a list of alerts", 0),
        (API + "?x=1", [posted("A")], 200, None, b"", 1),
        ("/ingest/prometheus/nope/api/v2/alerts", [posted("A")], 401, JSON, UNAUTHENTICATED, 0),
        ("/api/v2/alerts", [posted("B")], 401, JSON, UNAUTHENTICATED, 0),
        (HOOK, webhook(unrouted("W")), 200, JSON, SUCCESS, 1),
        (HOOK + "?x=1", webhook(unrouted("W")), 200, JSON, SUCCESS, 1),
        (HOOK, webhook(unrouted("W"), {"labels": 1}), 400, JSON, PARTIAL, 1),
        ("/ingest/alertmanager/nope", webhook(unrouted("W")), 401, JSON, UNAUTHENTICATED, 0),
        ("/ingest/alertmanager", webhook(unrouted("W")), 401, JSON, UNAUTHENTICATED, 0),
    ],
)
def test_the_routes_answer_as_alertmanager_senders_expect(
    api: TestClient,
    tocsin: Tocsin,
    key: str,
    path: str,
    body: Any,
    status: int,
    content_type: str | None,
    answer: bytes,
    stored: int,
) -> None:
    got = api.post(path.format(key=key), content=json.dumps(body).encode())
    assert (got.status_code, got.content) == (status, answer), got.text
    assert got.headers.get("content-type") == content_type
    assert (got.headers.get("www-authenticate") == "Bearer") == (status == 401)
    assert tocsin.alert_admin.alerts(AlertFilter()).total == stored


def test_a_bearer_key_works_and_a_wrong_source_key_is_the_same_401(
    api: TestClient, tocsin: Tocsin, key: str
) -> None:
    got = api.post("/api/v2/alerts", json=[posted("C")], headers=_bearer(key))
    assert (got.status_code, got.content) == (200, b"")
    other = tocsin.alert_admin.add_integration("graf", "grafana").key
    got = api.post("/api/v2/alerts", json=[posted("D")], headers=_bearer(other))
    assert (got.status_code, got.content) == (401, UNAUTHENTICATED)
    got = api.post(f"/ingest/alertmanager/{other}", json=webhook(posted("E")))
    assert (got.status_code, got.content) == (401, UNAUTHENTICATED)
    assert tocsin.incidents.find(IncidentFilter()).total == 1


def test_a_cached_key_still_checks_its_source(api: TestClient, tocsin: Tocsin, key: str) -> None:
    """The second request finds the key in the process's cache; a Grafana route must still
    refuse an Alertmanager key."""
    first = api.post(f"/ingest/prometheus/{key}/api/v2/alerts", json=[posted("F1")])
    assert first.status_code == 200
    again = api.post(f"/ingest/prometheus/{key}/api/v2/alerts", json=[posted("F2")])
    assert again.status_code == 200
    grafana = api.post(f"/ingest/grafana/{key}", json=webhook(posted("F3")))
    assert (grafana.status_code, grafana.content) == (401, UNAUTHENTICATED)


def test_a_body_over_1_mib_gets_413_and_nothing_is_stored(
    api: TestClient, tocsin: Tocsin, key: str
) -> None:
    big = json.dumps([posted("Big", pad="x" * (1024 * 1024))]).encode()
    for path in (f"/ingest/prometheus/{key}/api/v2/alerts", f"/ingest/alertmanager/{key}"):
        got = api.post(path, content=big)
        assert got.status_code == 413
        assert got.json()["error"]["kind"] == "too_large"
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 0


def test_an_overloaded_writer_answers_503(api: TestClient, tocsin: Tocsin, key: str) -> None:
    tocsin.alerts.writer = IngestWriter(tocsin.alerts.apply, max_queued=0)
    for path in (f"/ingest/prometheus/{key}/api/v2/alerts", f"/ingest/alertmanager/{key}"):
        got = api.post(path, json=[posted("O")])
        assert got.status_code == 503
        assert got.json()["error"]["kind"] == "unavailable"


def test_grafana_and_generic_take_the_key_in_the_path_or_as_a_bearer(
    api: TestClient, tocsin: Tocsin
) -> None:
    graf = tocsin.alert_admin.add_integration("graf", "grafana").key
    gen = tocsin.alert_admin.add_integration("gen", "generic").key
    grafana_body = payloads.raw("grafana", "firing.json")
    generic_body = payloads.raw("generic", "single.json")
    for path, auth in ((f"/ingest/grafana/{graf}", {}), ("/ingest/grafana", _bearer(graf))):
        got = api.post(path, content=grafana_body, headers=auth)
        assert (got.status_code, got.json()["accepted"]) == (200, 2), got.text
    for path, auth in ((f"/ingest/generic/{gen}", {}), ("/ingest/generic", _bearer(gen))):
        got = api.post(path, content=generic_body, headers=auth)
        assert (got.status_code, got.json()["accepted"]) == (200, 1), got.text
    for path in (f"/ingest/grafana/{gen}", f"/ingest/generic/{graf}", "/ingest/generic"):
        got = api.post(path, content=generic_body)
        assert (got.status_code, got.content) == (401, UNAUTHENTICATED)


def test_a_grafana_signature_is_checked_when_configured(
    api: TestClient, tocsin: Tocsin, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = b"s3cret"
    env = "TOCSIN_TEST_GRAFANA_HMAC"
    monkeypatch.setenv(env, secret.decode())
    tocsin.config.integrations.append(
        IntegrationConfig(name="graf", source="grafana", hmac_secret_env=env)
    )
    key = tocsin.alert_admin.add_integration("graf", "grafana").key
    body = payloads.raw("grafana", "firing.json")
    signature = hmac.new(secret, body, hashlib.sha256).hexdigest()
    signed = api.post(
        f"/ingest/grafana/{key}",
        content=body,
        headers={"X-Grafana-Alerting-Signature": signature},
    )
    assert signed.status_code == 200, signed.text
    forged = api.post(
        f"/ingest/grafana/{key}",
        content=body,
        headers={"X-Grafana-Alerting-Signature": "0" * 64},
    )
    assert forged.status_code == 401
    assert forged.json()["error"]["message"] == "bad or missing signature"


def test_other_methods_get_405_naming_post(api: TestClient, key: str) -> None:
    got = api.get("/api/v2/alerts")
    assert got.status_code == 405
    assert got.headers["allow"] == "POST"
    assert api.get("/healthz").status_code == 200


def test_the_openapi_document_declares_the_key_and_the_request_bodies(api: TestClient) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]

    def schema(path: str) -> Any:
        return paths[path]["post"]["requestBody"]["content"]["application/json"]["schema"]

    assert schema("/ingest/prometheus/{key}/api/v2/alerts")["type"] == "array"
    assert schema("/ingest/prometheus/{key}/api/v2/alerts")["items"]["required"] == ["labels"]
    assert schema("/ingest/alertmanager/{key}")["required"] == ["alerts"]
    assert schema("/api/v2/alerts") == schema("/ingest/prometheus/{key}/api/v2/alerts")
    assert "Authorization: Bearer KEY" in paths["/api/v2/alerts"]["post"]["description"]
    assert sorted(paths["/api/v2/alerts"]["post"]["responses"]) == [
        "200",
        "400",
        "401",
        "413",
        "503",
    ]
    for path in ("/ingest/alertmanager/{key}", "/ingest/prometheus/{key}/api/v2/alerts"):
        params = paths[path]["post"]["parameters"]
        assert [(p["name"], p["in"], p["required"]) for p in params] == [("key", "path", True)]
    # PagerDuty's Events API v2: the routing key is in the body, not the path.
    assert schema("/v2/enqueue")["required"] == ["routing_key", "event_action"]
    assert schema("/v2/enqueue")["properties"]["payload"]["required"] == [
        "summary", "source", "severity",
    ]  # fmt: skip
    assert schema("/v2/change/enqueue")["required"] == ["routing_key", "payload"]
    assert "parameters" not in paths["/v2/enqueue"]["post"]


# -- group commit --------------------------------------------------------------------------


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def alert_in(name: str) -> AlertIn:
    labels = {"alertname": name, "service": "api", "severity": "critical"}
    return AlertIn("alertmanager", name, AlertAction.TRIGGER, name, labels=labels)


class FailsOn:
    """The configured router, failing for one alert name: a batch that breaks mid-way."""

    def __init__(self, router: Callable[[], Router], name: str) -> None:
        self._router = router
        self._name = name

    def __call__(self) -> Router:
        real = self._router()
        name = self._name

        class Failing:
            def decide(self, alert: AlertIn) -> Decision:
                if alert.labels.get("alertname") == name:
                    raise RuntimeError("routing broke")
                return real.decide(alert)

        return Failing()  # type: ignore[return-value]


def test_queued_batches_share_one_commit_and_a_bad_one_fails_alone(
    tocsin: Tocsin, key: str
) -> None:
    service = tocsin.alerts
    commits: list[int] = []
    event.listen(tocsin.engine, "commit", lambda _conn: commits.append(1))
    jobs = [Job("prom", lambda n=n: Parsed([alert_in(f"G{n}")])) for n in range(5)]
    service.apply(jobs)
    assert len(commits) == 1
    results = [job.future.result(timeout=0) for job in jobs]
    assert all(isinstance(r, IngestResult) and r.accepted == 1 for r in results)
    assert tocsin.incidents.find(IncidentFilter()).total == 5

    broken = AlertService(
        lambda: SqlUnitOfWork(tocsin.engine),
        tocsin.clock,
        FailsOn(tocsin.config.router, "Bad"),
        tocsin.incidents,
    )
    jobs = [Job("prom", lambda n=n: Parsed([alert_in(n)])) for n in ("H1", "Bad", "H2")]
    jobs.append(Job("prom", lambda: Parsed([], [])))
    jobs.append(Job("prom", lambda: (_ for _ in ()).throw(ValueError("parse broke"))))
    broken.apply(jobs)
    assert isinstance(jobs[1].future.exception(timeout=0), RuntimeError)
    assert isinstance(jobs[4].future.exception(timeout=0), ValueError)
    assert [j.future.result(timeout=0).accepted for j in (jobs[0], jobs[2], jobs[3])] == [1, 1, 0]
    keys = {a.dedup_key for a in tocsin.alert_admin.alerts(AlertFilter()).items}
    assert keys == {"G0", "G1", "G2", "G3", "G4", "H1", "H2"}


def test_the_writer_thread_answers_after_commit(tocsin: Tocsin, key: str) -> None:
    future = tocsin.alerts.submit("prom", lambda: Parsed([alert_in("T1")]))
    result = future.result(timeout=30)
    assert isinstance(result, IngestResult)
    assert result.declared == ["INC-1"]
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 1


def test_the_writer_refuses_past_its_byte_bound_but_never_an_empty_queue() -> None:
    started, release = threading.Event(), threading.Event()

    def apply(jobs: list[Job]) -> None:
        started.set()
        release.wait(30)
        for job in jobs:
            job.future.set_result(None)

    writer = IngestWriter(apply)
    first = writer.submit(Job("prom", Parsed, size=1))
    assert started.wait(30)  # the thread holds the first job: the queue is empty
    big = writer.submit(Job("prom", Parsed, size=MAX_QUEUED_BYTES + 1))  # alone: accepted
    with pytest.raises(IngestOverloaded):
        writer.submit(Job("prom", Parsed, size=1))
    release.set()
    assert first.result(30) is None
    assert big.result(30) is None
