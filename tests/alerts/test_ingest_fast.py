"""The ASGI fast path answers exactly as the FastAPI routes do, and the writer commits
several requests' batches in one transaction, a bad batch failing alone."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from httpx import Response
from sqlalchemy import event

from tocsin.app.alert_writer import MAX_QUEUED_BYTES, IngestOverloaded, IngestWriter, Job
from tocsin.app.alerts import AlertService, IngestResult
from tocsin.app.ports import AlertFilter, IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import RouteConfig
from tocsin.core.alerts import AlertAction, AlertIn, Parsed
from tocsin.core.routing import Decision, Router
from tocsin.store.uow import SqlUnitOfWork

VIA_FASTAPI = "?via=fastapi"  # a query string: the fast path hands the request to FastAPI


@pytest.fixture
def key(tocsin: Tocsin) -> str:
    tocsin.config.routing.routes.append(RouteConfig(match=["service=~.+"]))
    return tocsin.alert_admin.add_integration("prom", "alertmanager").key


def posted(name: str, **labels: str) -> dict[str, Any]:
    return {"labels": {"alertname": name, "service": "api", **labels}}


def unrouted(name: str) -> dict[str, Any]:
    """No service label: kept, not declared, so both answers name no incident."""
    return {"labels": {"alertname": name}, "status": "firing"}


def webhook(*alerts: dict[str, Any]) -> dict[str, Any]:
    return {"version": "4", "status": "firing", "alerts": list(alerts)}


def same_answer(fast: Response, slow: Response) -> None:
    def headers(r: Response) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in r.headers.items() if k != "x-request-id")

    assert (fast.status_code, headers(fast), fast.content) == (
        slow.status_code,
        headers(slow),
        slow.content,
    )


def both(api: TestClient, url: str, body: Any, **kw: Any) -> tuple[Response, Response]:
    """The same request through the fast path and through FastAPI (a fresh alert each)."""
    first = api.post(url, content=json.dumps(body(1)).encode(), **kw)
    second = api.post(url + VIA_FASTAPI, content=json.dumps(body(2)).encode(), **kw)
    return first, second


@pytest.mark.parametrize(
    ("path", "body", "status"),
    [
        ("/ingest/prometheus/{key}/api/v2/alerts", lambda n: [posted(f"A{n}")], 200),
        ("/ingest/prometheus/{key}/api/v2/alerts", lambda n: [posted(f"A{n}"), {}], 400),
        ("/ingest/prometheus/{key}/api/v2/alerts", lambda n: {"not": "a list"}, 400),
        ("/ingest/prometheus/nope/api/v2/alerts", lambda n: [posted(f"A{n}")], 401),
        ("/ingest/alertmanager/{key}", lambda n: webhook(unrouted(f"W{n}")), 200),
        ("/ingest/alertmanager/{key}", lambda n: webhook(unrouted(f"W{n}"), {"labels": 1}), 400),
        ("/ingest/alertmanager/nope", lambda n: webhook(unrouted(f"W{n}")), 401),
        ("/api/v2/alerts", lambda n: [posted(f"B{n}")], 401),
    ],
)
def test_the_fast_path_answers_byte_for_byte_as_the_routes(
    api: TestClient,
    tocsin: Tocsin,
    key: str,
    path: str,
    body: Callable[[int], Any],
    status: int,
) -> None:
    fast, slow = both(api, path.format(key=key), body)
    assert fast.status_code == status, fast.text
    same_answer(fast, slow)


def test_a_bearer_key_works_and_a_wrong_source_key_is_the_same_401(
    api: TestClient, tocsin: Tocsin, key: str
) -> None:
    fast, slow = both(api, "/api/v2/alerts", lambda n: [posted(f"C{n}")], headers=_bearer(key))
    assert fast.status_code == 200
    same_answer(fast, slow)
    other = tocsin.alert_admin.add_integration("graf", "grafana").key
    fast, slow = both(api, "/api/v2/alerts", lambda n: [posted(f"D{n}")], headers=_bearer(other))
    assert fast.status_code == 401
    same_answer(fast, slow)
    assert tocsin.incidents.find(IncidentFilter()).total == 2


def test_a_body_over_1_mib_gets_413_and_nothing_is_stored(
    api: TestClient, tocsin: Tocsin, key: str
) -> None:
    big = [posted("Big", pad="x" * (1024 * 1024))]
    fast, slow = both(api, f"/ingest/prometheus/{key}/api/v2/alerts", lambda n: big)
    assert fast.status_code == 413
    same_answer(fast, slow)
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 0


def test_an_overloaded_writer_answers_503(api: TestClient, tocsin: Tocsin, key: str) -> None:
    tocsin.alerts.writer = IngestWriter(tocsin.alerts.apply, max_queued=0)
    fast, slow = both(api, f"/ingest/prometheus/{key}/api/v2/alerts", lambda n: [posted("O")])
    assert fast.status_code == 503
    assert fast.json()["error"]["kind"] == "unavailable"
    same_answer(fast, slow)


def test_other_requests_fall_through_to_fastapi(api: TestClient, key: str) -> None:
    assert api.get("/api/v2/alerts").status_code == 405
    assert api.get("/healthz").status_code == 200


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
