"""Integration keys travel in URLs; they must not reach the access log, an error log or a
metric label, whichever path the request took and however it ended."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient

from tests.alerts.test_ingest_api import alert, webhook
from tests.api.test_ops import json_lines, lines, scrape
from tocsin.api.app import create_app
from tocsin.api.logs import redact_path
from tocsin.bootstrap import Tocsin

__all__ = ["json_lines"]  # a fixture, imported for the tests below

KEYED = [
    "/ingest/alertmanager/{key}",
    "/ingest/prometheus/{key}/api/v2/alerts",
    "/ingest/grafana/{key}",
    "/ingest/generic/{key}",
    "/ingest/cloudwatch/{key}",
    "/ingest/alertmanager/{key}/extra",  # no such route: a 404, logged all the same
    "/ingest/alertmanager/{key}?x=1",
]


@pytest.fixture
def key(tocsin: Tocsin) -> str:
    return tocsin.alert_admin.add_integration("prod-am", "alertmanager").key


def test_keys_in_ingest_urls_are_replaced_in_the_access_log(
    api: TestClient, key: str, json_lines: io.StringIO
) -> None:
    wrong = "not-the-key-" + "x" * 20
    for template in KEYED:
        for secret in (key, wrong):
            api.post(template.format(key=secret), json=webhook(alert("a")))
    api.get(f"/ingest/alertmanager/{key}")  # 405
    access = [x for x in lines(json_lines) if x["logger"] == "tocsin.api.access"]
    assert len(access) == 2 * len(KEYED) + 1
    assert key not in json_lines.getvalue()
    assert wrong not in json_lines.getvalue()
    paths = {str(x["path"]) for x in access}
    assert "/ingest/alertmanager/{key}" in paths
    assert "/ingest/prometheus/{key}/api/v2/alerts" in paths
    assert all("{key}" in p for p in paths), paths
    assert {x["status"] for x in access} >= {200, 401, 404, 405}


def test_keys_never_become_metric_labels(api: TestClient, key: str) -> None:
    for template in KEYED:
        api.post(template.format(key=key), json=webhook(alert("a")))
    text = api.get("/metrics").text
    assert key not in text
    routes = {dict(labels).get("route") for name, labels in scrape(api) if "http" in name}
    assert "/ingest/alertmanager/{key}" in routes


def test_a_crash_on_a_keyed_url_logs_the_path_without_the_key(
    tocsin: Tocsin, key: str, json_lines: io.StringIO
) -> None:
    app = create_app(tocsin)

    def boom() -> None:
        raise RuntimeError("kaboom")

    app.add_api_route("/ingest/boom/{key}", boom, methods=["POST"])
    with TestClient(app, raise_server_exceptions=False) as client:
        assert client.post(f"/ingest/boom/{key}").status_code == 503
    logged = json_lines.getvalue()
    assert "kaboom" in logged
    assert key not in logged
    crash = next(x for x in lines(json_lines) if x["logger"] == "tocsin.api.errors")
    assert crash["message"] == "unexpected error on POST /ingest/boom/{key}"


@pytest.mark.parametrize(
    ("path", "shown"),
    [
        ("/ingest/alertmanager/abc", "/ingest/alertmanager/{key}"),
        ("/ingest/alertmanager", "/ingest/alertmanager"),
        ("/ingest/prometheus/abc/api/v2/alerts", "/ingest/prometheus/{key}/api/v2/alerts"),
        ("/tocsin/ingest/generic/abc", "/tocsin/ingest/generic/{key}"),  # behind a root path
        ("/api/v1/incidents/INC-3", "/api/v1/incidents/INC-3"),
        ("/v2/enqueue", "/v2/enqueue"),
    ],
)
def test_redact_path(path: str, shown: str) -> None:
    assert redact_path(path) == shown
