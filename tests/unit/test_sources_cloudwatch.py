"""CloudWatch alarms through SNS: envelopes, confirmations and the alarm mapping."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from tests import payloads
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem
from tocsin.integrations.sources import cloudwatch, sns

ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:orders-db-high-connections"


def post(name: str, **headers: str) -> cloudwatch.CloudWatchMessage:
    envelope = payloads.load("cloudwatch", name)
    assert isinstance(envelope, dict)
    sent = {
        "x-amz-sns-message-type": envelope["Type"],
        "x-amz-sns-message-id": envelope["MessageId"],
        "x-amz-sns-topic-arn": envelope["TopicArn"],
        "Content-Type": "text/plain; charset=UTF-8",
    }
    return cloudwatch.parse_sns(sent | headers, payloads.raw("cloudwatch", name))


def alarm_of(message: cloudwatch.CloudWatchMessage) -> AlertIn:
    assert isinstance(message, cloudwatch.AlarmNotification)
    assert message.parsed.problems == []
    [alert] = message.parsed.alerts
    return alert


def test_an_alarm_triggers_keyed_by_its_arn() -> None:
    message = post("notification_alarm.json")
    assert isinstance(message, cloudwatch.AlarmNotification)
    assert message.notification.subject == 'ALARM: "orders-db-high-connections" in EU (Ireland)'
    assert message.notification.envelope["Type"] == "Notification"
    assert alarm_of(message) == AlertIn(
        source="cloudwatch",
        dedup_key=ARN,
        action=AlertAction.TRIGGER,
        summary="orders-db-high-connections",
        severity=None,
        component="AWS/RDS",
        alert_class="DatabaseConnections",
        labels={
            "DBInstanceIdentifier": "orders-db",
            "namespace": "AWS/RDS",
            "metric_name": "DatabaseConnections",
            "alarm_name": "orders-db-high-connections",
            "aws_account_id": "123456789012",
            "region": "EU (Ireland)",
        },
        annotations={
            "description": "RDS orders-db has too many connections",
            "reason": "Threshold Crossed: 1 datapoint [412.0 (22/11/24 03:04:00)] was greater "
            "than or equal to the threshold (400.0).",
            "new_state": "ALARM",
            "old_state": "OK",
            "alarm_arn": ARN,
            "statistic": "AVERAGE",
            "comparison_operator": "GreaterThanOrEqualToThreshold",
            "period": "60",
            "evaluation_periods": "1",
            "threshold": "400.0",
        },
        starts_at=datetime(2024, 11, 22, 3, 5, 31, 100000, tzinfo=UTC),
    )


def test_ok_resolves_the_same_alarm() -> None:
    alert = alarm_of(post("notification_ok.json"))
    assert (alert.dedup_key, alert.action) == (ARN, AlertAction.RESOLVE)
    assert alert.starts_at is None
    assert alert.ends_at == datetime(2024, 11, 22, 3, 25, 31, 100000, tzinfo=UTC)


def test_insufficient_data_is_a_warning_keyed_without_an_arn() -> None:
    alert = alarm_of(post("notification_insufficient_data.json"))
    assert alert.action is AlertAction.TRIGGER
    assert alert.severity == "warning"
    assert alert.dedup_key == "123456789012:US East (Ohio):checkout-ecs-running-tasks"
    assert alert.labels["ServiceName"] == "checkout"
    assert alert.labels["ClusterName"] == "shop-prod"
    assert "description" not in alert.annotations  # AlarmDescription was null


def test_a_bad_alarm_names_its_fields_under_message() -> None:
    message = post("notification_bad_alarm.json")
    assert isinstance(message, cloudwatch.AlarmNotification)
    assert message.parsed.alerts == []
    assert message.parsed.problems == [
        FieldProblem("Message.Trigger.Dimensions[0]", "expected {name, value} strings"),
        FieldProblem("Message.NewStateValue", 'expected "ALARM", "OK" or "INSUFFICIENT_DATA"'),
    ]


def test_a_message_that_is_not_an_alarm_is_a_problem() -> None:
    message = post("notification_plain_text.json")
    assert isinstance(message, cloudwatch.AlarmNotification)
    assert message.parsed.problems == [
        FieldProblem("Message", "expected a CloudWatch alarm as JSON")
    ]
    assert cloudwatch.parse_message("[1]").problems == [
        FieldProblem("Message", "expected an object")
    ]


def test_a_subscription_confirmation_carries_what_confirming_needs() -> None:
    message = post("subscription_confirmation.json")
    assert isinstance(message, sns.SubscriptionConfirmation)
    assert message.topic_arn == "arn:aws:sns:us-west-2:123456789012:MyTopic"
    assert message.token.startswith("2336412f37fb687f5d51e6e241d09c805a5a57b30d712f794cc5f6a98")
    assert message.subscribe_url.startswith(
        "https://sns.us-west-2.amazonaws.com/?Action=ConfirmSubscription&"
    )
    assert message.envelope["SignatureVersion"] == "1"


def test_an_unsubscribe_confirmation_is_told_apart() -> None:
    message = post("unsubscribe_confirmation.json")
    assert isinstance(message, sns.UnsubscribeConfirmation)
    assert message.message_id == "47138184-6831-46b8-8f7c-afc488602d7d"


@pytest.mark.parametrize(
    ("headers", "problem"),
    [
        ({"X-Amz-Sns-Message-Type": "SubscriptionConfirmation"}, "x-amz-sns-message-type"),
        ({"x-amz-sns-topic-arn": "arn:aws:sns:us-east-1:1:other"}, "x-amz-sns-topic-arn"),
    ],
)
def test_headers_must_agree_with_the_body(headers: dict[str, str], problem: str) -> None:
    message = post("notification_alarm.json", **headers)
    assert isinstance(message, sns.InvalidMessage)
    assert [p.field for p in message.problems] == [f"headers.{problem}"]


def test_broken_envelopes_are_invalid_messages() -> None:
    assert cloudwatch.parse_sns({}, b"not json") == sns.InvalidMessage(
        [FieldProblem("body", "not valid JSON (JSONDecodeError)")]
    )
    assert cloudwatch.parse_sns({}, b"[]") == sns.InvalidMessage(
        [FieldProblem("body", "expected an object")]
    )
    unknown = cloudwatch.parse_sns({}, json.dumps({"Type": "Gossip"}).encode())
    assert unknown == sns.InvalidMessage(
        [FieldProblem("Type", "unknown SNS message type 'Gossip'")]
    )
    partial = cloudwatch.parse_sns({}, json.dumps({"Type": "Notification"}).encode())
    assert isinstance(partial, sns.InvalidMessage)
    assert [p.field for p in partial.problems] == ["MessageId", "TopicArn", "Message", "Timestamp"]


def test_parse_takes_a_decoded_notification_envelope() -> None:
    parsed = cloudwatch.parse(payloads.load("cloudwatch", "notification_alarm.json"))
    assert [a.dedup_key for a in parsed.alerts] == [ARN]
    confirmation = cloudwatch.parse(payloads.load("cloudwatch", "subscription_confirmation.json"))
    assert confirmation.problems == [FieldProblem("Type", 'expected "Notification"')]


def test_an_alarm_without_arn_or_account_cannot_be_keyed() -> None:
    alarm = {"AlarmName": "x", "NewStateValue": "ALARM", "Trigger": []}
    assert cloudwatch.parse_alarm(alarm).problems == [
        FieldProblem("Message.Trigger", "expected an object")
    ]
    alarm = {"AlarmName": "x", "NewStateValue": "ALARM"}
    assert cloudwatch.parse_alarm(alarm).problems == [
        FieldProblem("Message.AlarmArn", "is required without AWSAccountId and Region")
    ]
