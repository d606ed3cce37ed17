"""Operations: health, readiness, Prometheus metrics, request ids and JSON log lines."""

from __future__ import annotations

import io
import json
import logging
import os
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import create_engine

from tests.conftest import bearer
from tocsin.api.app import create_app
from tocsin.api.logs import JsonFormatter, configure_logging
from tocsin.bootstrap import Tocsin
from tocsin.core.jobs import JobSpec
from tocsin.store.uow import SqlUnitOfWork

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
LOG_FIELDS = {"time", "level", "logger", "message", "pid", "request_id", "method", "path", "status"}


def scrape(api: TestClient) -> Samples:
    response = api.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def incidents(samples: Samples, status: str, severity: str) -> float:
    return samples[("tocsin_incidents", frozenset({("status", status), ("severity", severity)}))]


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What `tocsin serve` would print: the tocsin loggers through the JSON formatter."""
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("tocsin")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    yield out
    logger.removeHandler(handler)
    logger.setLevel(level)


def lines(out: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_healthz_and_readyz_answer(api: TestClient) -> None:
    assert api.get("/healthz").json() == {"status": "ok"}
    ready = api.get("/readyz")
    assert (ready.status_code, ready.json()) == (200, {"status": "ok", "database": "ok"})


def test_readyz_and_metrics_say_so_when_the_database_is_unreachable(
    api: TestClient, tocsin: Tocsin
) -> None:
    working = tocsin.engine
    tocsin.engine = create_engine("sqlite:////nonexistent/dir/tocsin.db")
    try:
        ready = api.get("/readyz")
        samples = scrape(api)
    finally:
        tocsin.engine.dispose()
        tocsin.engine = working
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    assert "unable to open database file" in ready.json()["database"]
    assert samples[("tocsin_database_up", frozenset())] == 0
    assert not any(name == "tocsin_incidents" for name, _ in samples)
    assert api.get("/readyz").status_code == 200


def test_incident_counts_change_after_a_declare(
    api: TestClient, role_tokens: dict[str, str]
) -> None:
    before = scrape(api)
    assert incidents(before, "investigating", "P1") == 0
    assert before[("tocsin_database_up", frozenset())] == 1
    body = {"title": "API 500s", "severity": "P1"}
    declared = api.post("/api/v1/incidents", json=body, headers=bearer(role_tokens["responder"]))
    assert declared.status_code == 201
    after = scrape(api)
    assert incidents(after, "investigating", "P1") == 1
    assert incidents(after, "investigating", "P2") == 0
    assert incidents(after, "closed", "P1") == 0


def test_request_histogram_is_labelled_by_route_template(
    api: TestClient, role_tokens: dict[str, str]
) -> None:
    auth = bearer(role_tokens["viewer"])
    for ref in ("INC-7", "INC-8", "9"):
        assert api.get(f"/api/v1/incidents/{ref}", headers=auth).status_code == 404
    api.get("/no/such/page")
    samples = scrape(api)
    labels = {("method", "GET"), ("route", "/api/v1/incidents/{ref}"), ("status", "404")}
    assert samples[("tocsin_http_request_duration_seconds_count", frozenset(labels))] == 3
    routes = {dict(lbl).get("route") for name, lbl in samples if name.startswith("tocsin_http")}
    assert "unmatched" in routes
    assert not any(r and "INC-" in r for r in routes)


def test_each_app_has_its_own_registry(tocsin: Tocsin) -> None:
    first, second = create_app(tocsin), create_app(tocsin)
    assert first.state.metrics.registry is not second.state.metrics.registry
    with TestClient(second) as client:
        assert "tocsin_incidents" in client.get("/metrics").text


def test_request_id_is_taken_echoed_and_logged(
    api: TestClient, role_tokens: dict[str, str], json_lines: io.StringIO
) -> None:
    response = api.get(
        "/api/v1/incidents", headers={**bearer(role_tokens["viewer"]), "X-Request-ID": "abc-123"}
    )
    assert response.headers["X-Request-ID"] == "abc-123"
    (line,) = [x for x in lines(json_lines) if x["logger"] == "tocsin.api.access"]
    assert LOG_FIELDS | {"duration_ms"} <= line.keys()
    assert line["pid"] == os.getpid()
    assert (line["request_id"], line["method"], line["path"], line["status"]) == (
        "abc-123",
        "GET",
        "/api/v1/incidents",
        200,
    )
    assert line["level"] == "INFO"
    assert isinstance(line["duration_ms"], float)


def test_an_unsafe_request_id_is_replaced(api: TestClient) -> None:
    for given in (b"has spaces", b"x" * 65, b"semi;colon", "é".encode(), b""):
        echoed = api.get("/healthz", headers={b"X-Request-ID": given}).headers["X-Request-ID"]
        assert echoed.encode() != given
        assert re.fullmatch("[0-9a-f]{32}", echoed), echoed


def test_a_request_without_an_id_gets_a_new_one_each_time(api: TestClient) -> None:
    ids = {api.get("/healthz").headers["X-Request-ID"] for _ in range(3)}
    assert len(ids) == 3


def test_a_crash_answers_503_with_the_request_id_on_every_line(
    tocsin: Tocsin, json_lines: io.StringIO
) -> None:
    app = create_app(tocsin)

    def boom() -> None:
        raise RuntimeError("kaboom")

    app.add_api_route("/boom", boom)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/boom", headers={"X-Request-ID": "crash-1"})
    assert response.status_code == 503
    assert response.headers["X-Request-ID"] == "crash-1"
    logged = lines(json_lines)
    assert {x["request_id"] for x in logged} == {"crash-1"}
    crash = next(x for x in logged if x["logger"] == "tocsin.api.errors")
    assert "kaboom" in str(crash["exception"])
    access = next(x for x in logged if x["logger"] == "tocsin.api.access")
    assert (access["status"], access["level"]) == (503, "ERROR")


def test_configure_logging_writes_json_and_leaves_caplog_working(
    caplog: pytest.LogCaptureFixture,
) -> None:
    root = logging.getLogger()
    level, out = root.level, io.StringIO()
    try:
        configure_logging("DEBUG", out)
        handler = configure_logging("INFO", out)  # twice: still one line per record
        logging.getLogger("tocsin.test").info("hello %s", "world")
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
    (line,) = lines(out)
    assert (line["level"], line["logger"], line["message"]) == (
        "INFO",
        "tocsin.test",
        "hello world",
    )
    assert str(line["time"]).endswith("Z")
    assert [r.getMessage() for r in caplog.records] == ["hello world"]


def test_metrics_count_jobs_by_status_dead_ones_included(tocsin: Tocsin, api: TestClient) -> None:
    with SqlUnitOfWork(tocsin.engine) as uow:
        uow.jobs.schedule(JobSpec("nobody-runs-this", {}, tocsin.clock.now()))
        uow.jobs.schedule(JobSpec("later", {}, tocsin.clock.now() + timedelta(hours=1)))
        uow.commit()
    assert tocsin.job_runner.run_due("test") == 1  # no handler: dead at once
    samples = scrape(api)
    jobs = {
        dict(labels)["status"]: value
        for (name, labels), value in samples.items()
        if name == "tocsin_jobs"
    }
    assert jobs == {"queued": 1.0, "running": 0.0, "done": 0.0, "dead": 1.0}
