"""Every source parser, on any JSON at all: it answers with problems, it never raises.

Random JSON rarely looks like a payload, so besides wholly random values each recorded
payload is also mutated: one node anywhere in it is replaced with random JSON.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests import payloads
from tocsin.core.alerts import AlertIn, Parsed
from tocsin.integrations.sources import (
    SOURCES,
    alertmanager,
    cloudwatch,
    generic,
    grafana,
    pagerduty,
    sns,
    sns_signature,
)
from tocsin.integrations.sources.generic import GenericMapping

NOW = datetime(2024, 11, 22, 3, 10, tzinfo=UTC)
KNOWN_KEYS = [
    *("alerts", "status", "labels", "annotations", "startsAt", "endsAt", "fingerprint"),
    *("groupKey", "generatorURL", "values", "silenceURL", "routing_key", "event_action"),
    *("dedup_key", "payload", "summary", "source", "severity", "timestamp", "links", "href"),
    *("custom_details", "Type", "Message", "MessageId", "TopicArn", "Timestamp", "Token"),
    *("SubscribeURL", "AlarmName", "AlarmArn", "NewStateValue", "Trigger", "Dimensions"),
    *("name", "value", "Region", "AWSAccountId", "StateChangeTime", "starts_at", "ends_at"),
]
texts = st.text(max_size=12) | st.text(st.characters(exclude_categories=()), max_size=4)
scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | texts
    | st.sampled_from(["firing", "resolved", "trigger", "ALARM", "OK", "0001-01-01T00:00:00Z"])
    | st.sampled_from(["2024-11-22T03:00:00+14:00", "0001-01-01T00:00:00+01:00", "critical"])
)
keys = st.sampled_from(KNOWN_KEYS) | texts
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=5),
    max_leaves=20,
)


def well_formed(parsed: object) -> None:
    """What every parser promises, whatever it was given."""
    assert isinstance(parsed, Parsed)
    for alert in parsed.alerts:
        assert isinstance(alert, AlertIn)
        assert isinstance(alert.dedup_key, str)
        assert isinstance(alert.summary, str)
        assert alert.dedup_key
        assert alert.summary
        for when in (alert.starts_at, alert.ends_at):
            assert when is None or when.utcoffset() is not None
        for mapping in (alert.labels, alert.annotations):
            assert all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items())
    for problem in parsed.problems:
        assert isinstance(problem.field, str)
        assert isinstance(problem.message, str)
        assert problem.field
        assert problem.message


def paths(value: object, here: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    found = [here]
    if isinstance(value, dict):
        for key, child in value.items():
            found += paths(child, (*here, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += paths(child, (*here, index))
    return found


def replaced(value: object, path: tuple[object, ...], new: object) -> object:
    if not path:
        return new
    copied = copy.deepcopy(value)
    node = copied
    for step in path[:-1]:
        node = node[step]  # type: ignore[index]
    node[path[-1]] = new  # type: ignore[index]
    return copied


def mutated(source: str, name: str) -> st.SearchStrategy[object]:
    original = payloads.load(source, name)
    return st.tuples(st.sampled_from(paths(original)), json_values).map(
        lambda pick: replaced(original, pick[0], pick[1])
    )


PARSERS: dict[str, Callable[[object], object]] = {
    **SOURCES,
    "alertmanager_api_v2": lambda payload: alertmanager.parse_api_v2(payload, now=NOW),
    "pagerduty_event": lambda payload: pagerduty.parse_event(payload).parsed,
    "generic_nested": lambda payload: generic.parse(
        payload, GenericMapping(items="data.events", summary="title", dedup_key="check.id")
    ),
}
EACH = settings(max_examples=50, deadline=None)  # every CI run samples afresh
RECORDED = [(source, name) for source in SOURCES for name in payloads.names(source)]


@pytest.mark.parametrize("parser", sorted(PARSERS))
@EACH
@given(payload=json_values)
def test_any_json_gives_a_well_formed_result(parser: str, payload: object) -> None:
    well_formed(PARSERS[parser](payload))


@pytest.mark.parametrize(("source", "name"), RECORDED)
@EACH
@given(data=st.data())
def test_a_recorded_payload_with_any_node_replaced_still_parses(
    source: str, name: str, data: st.DataObject
) -> None:
    payload = data.draw(mutated(source, name))
    parser = {"api_v2_alerts.json": "alertmanager_api_v2", "nested.json": "generic_nested"}
    well_formed(PARSERS[parser.get(name, source)](payload))
    if source == "pagerduty":
        pagerduty.parse_change(payload)
    if source == "cloudwatch":
        sns_and_signature(payload, data.draw(st.dictionaries(st.just(sns.TYPE_HEADER), texts)))


def sns_and_signature(envelope: object, headers: dict[str, str]) -> None:
    message = cloudwatch.parse_sns(headers, json.dumps(envelope).encode())
    if isinstance(message, cloudwatch.AlarmNotification):
        well_formed(message.parsed)
    if isinstance(envelope, dict):
        assert sns_signature.verify(envelope, b"not a certificate") is False
        sns_signature.string_to_sign(envelope)


@EACH
@given(body=st.binary(max_size=64) | json_values.map(lambda v: json.dumps(v).encode()))
def test_any_body_gives_a_well_formed_result(body: bytes) -> None:
    for parse_bytes in (alertmanager.parse_bytes, grafana.parse_bytes, generic.parse_bytes):
        well_formed(parse_bytes(body))
    well_formed(pagerduty.parse_bytes(body).parsed)
    pagerduty.parse_change_bytes(body)
    message = cloudwatch.parse_sns({}, body)
    if isinstance(message, cloudwatch.AlarmNotification):
        well_formed(message.parsed)


@EACH
@given(
    url=texts
    | st.sampled_from(["https://sns.eu-west-1.amazonaws.com/x.pem"]).map(lambda u: u + "\n")
)
def test_url_checks_never_raise(url: str) -> None:
    assert sns_signature.allowed_cert_url(url) in (True, False)
    assert sns_signature.allowed_subscribe_url(url) in (True, False)


@EACH
@given(secret=st.binary(), body=st.binary(), signature=texts, timestamp=st.none() | texts)
def test_hmac_check_never_raises(
    secret: bytes, body: bytes, signature: str, timestamp: str | None
) -> None:
    assert grafana.verify_hmac(secret, body, signature, timestamp) in (True, False)


@EACH
@given(payload=json_values, items=st.none() | texts, summary=texts, status=st.none() | texts)
def test_any_generic_mapping_never_raises(
    payload: object, items: str | None, summary: str, status: str | None
) -> None:
    mapping = GenericMapping(items=items, summary=summary, status=status, labels=summary)
    well_formed(generic.parse(payload, mapping))
