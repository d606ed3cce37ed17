"""CloudWatch alarms through SNS: real signatures made with a generated key and certificate,
subscription confirmation for allowed topics only, and moto's SNS server as a real sender."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient

from tests.e2e.remote_server import serving
from tests.payloads import load
from tests.support.sns_signing import make_certificate, make_key, sign
from tocsin.app.ports import AlertFilter, IncidentFilter
from tocsin.bootstrap import Tocsin
from tocsin.config.routing import IntegrationConfig, RouteConfig

ALLOWED_TOPIC = "arn:aws:sns:eu-west-1:123456789012:tocsin-alarms"
TEXT = {"Content-Type": "text/plain; charset=UTF-8"}


@pytest.fixture(scope="module")
def rsa_key() -> rsa.RSAPrivateKey:
    return make_key()


@pytest.fixture
def fetched(tocsin: Tocsin, rsa_key: rsa.RSAPrivateKey) -> list[str]:
    """Every URL Tocsin fetches; certificates come from the test's key."""
    urls: list[str] = []
    pem = make_certificate(rsa_key)

    def fetch(url: str) -> bytes:
        urls.append(url)
        return pem

    tocsin.sources.fetch = fetch
    return urls


@pytest.fixture
def key(tocsin: Tocsin) -> str:
    tocsin.config.integrations.append(
        IntegrationConfig(name="aws", source="cloudwatch", allowed_topic_arns=[ALLOWED_TOPIC])
    )
    tocsin.config.routing.routes.append(RouteConfig(match=["alarm_name=~.+"], service="orders"))
    return tocsin.alert_admin.add_integration("aws", "cloudwatch").key


def signed(rsa_key: rsa.RSAPrivateKey, name: str, **changes: Any) -> bytes:
    message = {**load("cloudwatch", name), **changes}  # type: ignore[dict-item]
    return json.dumps(sign(rsa_key, message, "2")).encode()


def test_a_signed_alarm_is_accepted(
    api: TestClient, tocsin: Tocsin, key: str, fetched: list[str], rsa_key: rsa.RSAPrivateKey
) -> None:
    answer = api.post(
        f"/ingest/cloudwatch/{key}",
        content=signed(rsa_key, "notification_alarm.json"),
        headers=TEXT,
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["declared"] == ["INC-1"]
    assert fetched[0].startswith("https://sns.eu-west-1.amazonaws.com/")


def test_a_tampered_alarm_is_refused_and_not_stored(
    api: TestClient, tocsin: Tocsin, key: str, fetched: list[str], rsa_key: rsa.RSAPrivateKey
) -> None:
    body = json.loads(signed(rsa_key, "notification_alarm.json"))
    body["Message"] = body["Message"].replace("orders-db", "other-db")
    answer = api.post(f"/ingest/cloudwatch/{key}", content=json.dumps(body), headers=TEXT)
    assert answer.status_code == 401
    assert tocsin.alert_admin.alerts(AlertFilter()).total == 0


def test_subscriptions_are_confirmed_only_for_allowed_topics(
    api: TestClient, key: str, fetched: list[str], rsa_key: rsa.RSAPrivateKey
) -> None:
    subscribe = (
        "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
        f"&TopicArn={ALLOWED_TOPIC}&Token=abc"
    )
    body = signed(
        rsa_key, "subscription_confirmation.json", TopicArn=ALLOWED_TOPIC, SubscribeURL=subscribe
    )
    answer = api.post(f"/ingest/cloudwatch/{key}", content=body, headers=TEXT)
    assert (answer.status_code, answer.json()["status"]) == (200, "confirmed")
    assert fetched[-1] == subscribe
    other = signed(rsa_key, "subscription_confirmation.json")
    refused = api.post(f"/ingest/cloudwatch/{key}", content=other, headers=TEXT)
    assert refused.status_code == 403
    assert "allowed_topic_arns" in refused.json()["error"]["message"]
    assert all("MyTopic" not in url for url in fetched if "ConfirmSubscription" in url)


# -- moto's SNS as a real sender ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def moto_sns(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("moto_server") or str(Path(os.sys.executable).parent / "moto_server")
    port = free_port()
    log = (tmp_path / "moto.log").open("wb")
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=log)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{url}/moto-api/", timeout=1)
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def test_moto_sns_delivers_an_alarm_that_becomes_an_incident(
    tocsin: Tocsin, key: str, moto_sns: str
) -> None:
    tocsin.sources.sns_verified = lambda envelope: True  # moto signs with a fixed fake signature
    sns = boto3.client(
        "sns",
        endpoint_url=moto_sns,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
    )
    alarm = load("cloudwatch", "notification_alarm.json")
    assert isinstance(alarm, dict)
    with serving(tocsin) as url:
        topic = sns.create_topic(Name="tocsin-alarms")["TopicArn"]
        sns.subscribe(TopicArn=topic, Protocol="http", Endpoint=f"{url}/ingest/cloudwatch/{key}")
        sns.publish(TopicArn=topic, Message=alarm["Message"], Subject="ALARM")
        assert tocsin.incidents.find(IncidentFilter()).total == 1
    [row] = tocsin.alert_admin.alerts(AlertFilter(integration="aws")).items
    assert row.labels["alarm_name"] == "orders-db-high-connections"
