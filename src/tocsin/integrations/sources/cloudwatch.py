"""CloudWatch alarms, delivered by an SNS HTTP(S) subscription.

Mapping of an alarm state change (the Notification's `Message`, itself JSON):
- dedup_key: `AlarmArn`, else `{AWSAccountId}:{Region}:{AlarmName}`.
- action: ALARM triggers, OK resolves. INSUFFICIENT_DATA triggers with severity "warning":
  SNS only sends it to a topic named in the alarm's InsufficientDataActions, so someone
  asked to hear about it, and a metric that stops arriving is often the outage itself;
  "warning" lets routing keep it from paging like a real ALARM.
- summary: `AlarmName` (always there; the description is often long or empty).
- severity: none for ALARM or OK (CloudWatch has no severity: routing decides).
- component: `Trigger.Namespace` (AWS/RDS). alert_class: `Trigger.MetricName`.
- labels: each `Trigger.Dimensions` name and value, plus alarm_name, aws_account_id, region,
  namespace and metric_name.
- annotations: description, reason (NewStateReason), new_state, old_state, alarm_arn and the
  trigger's statistic, period, evaluation_periods, comparison_operator and threshold.
- starts_at: `StateChangeTime` when it triggers; ends_at: the same when it resolves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tocsin.core.alert_rules import vet
from tocsin.core.alerts import AlertAction, AlertIn, FieldProblem, Parsed
from tocsin.integrations.sources import sns
from tocsin.integrations.sources.cloudwatch_trigger import trigger_fields
from tocsin.integrations.sources.fields import Reader, as_object, decode, gather

SOURCE = "cloudwatch"
_ACTIONS = {
    "ALARM": AlertAction.TRIGGER,
    "OK": AlertAction.RESOLVE,
    "INSUFFICIENT_DATA": AlertAction.TRIGGER,
}
_ANNOTATED = {
    "AlarmDescription": "description",
    "NewStateReason": "reason",
    "NewStateValue": "new_state",
    "OldStateValue": "old_state",
    "AlarmArn": "alarm_arn",
}


@dataclass(frozen=True, slots=True)
class AlarmNotification:
    """An SNS Notification and the alarm it carried."""

    notification: sns.Notification
    parsed: Parsed


CloudWatchMessage = (
    sns.SubscriptionConfirmation
    | sns.UnsubscribeConfirmation
    | AlarmNotification
    | sns.InvalidMessage
)


def parse_sns(headers: Mapping[str, str], body: bytes) -> CloudWatchMessage:
    """One SNS POST. Verify `envelope` (`sns_signature.verify_message`) before acting."""
    message = sns.parse_envelope(headers, body)
    if isinstance(message, sns.Notification):
        return AlarmNotification(message, parse_message(message.message))
    return message


def parse(payload: object) -> Parsed:
    """A decoded SNS Notification envelope (confirmations go through `parse_sns`)."""
    envelope = as_object(payload, "")
    if isinstance(envelope, FieldProblem):
        return Parsed(problems=[envelope])
    fields = Reader(envelope)
    if fields.text("Type") != "Notification":
        fields.problem("Type", 'expected "Notification"')
    message = fields.text("Message", required=True)
    if fields.problems or message is None:
        return Parsed(problems=fields.problems)
    return parse_message(message)


def parse_message(message: str) -> Parsed:
    """The Notification's `Message` text: a CloudWatch alarm as JSON."""
    alarm = decode(message.encode("utf-8", "surrogatepass"))
    if isinstance(alarm, FieldProblem):
        return Parsed(problems=[FieldProblem("Message", "expected a CloudWatch alarm as JSON")])
    return parse_alarm(alarm)


def parse_alarm(alarm: object, path: str = "Message") -> Parsed:
    """The decoded alarm state change."""
    obj = as_object(alarm, path)
    if isinstance(obj, FieldProblem):
        return Parsed(problems=[obj])
    return gather([_alarm(Reader(obj, path))], [])


def _alarm(fields: Reader) -> AlertIn | list[FieldProblem]:
    name = fields.text("AlarmName", required=True)
    state = fields.text("NewStateValue", required=True)
    changed = fields.time("StateChangeTime")
    ids = {key: fields.text(key) for key in ("AWSAccountId", "Region")}
    annotated = {label: fields.text(key) for key, label in _ANNOTATED.items()}
    metric_labels, metric_notes = trigger_fields(fields)
    if state is not None and state not in _ACTIONS:
        fields.problem("NewStateValue", 'expected "ALARM", "OK" or "INSUFFICIENT_DATA"')
    key = annotated["alarm_arn"] or _fallback_key(ids, name)
    if key is None and not fields.problems:
        fields.problem("AlarmArn", "is required without AWSAccountId and Region")
    if fields.problems or name is None or key is None or state is None:
        return fields.problems
    action = _ACTIONS[state]
    identity = {"alarm_name": name, "aws_account_id": ids["AWSAccountId"], "region": ids["Region"]}
    alert = AlertIn(
        source=SOURCE,
        dedup_key=key,
        action=action,
        summary=name,
        severity="warning" if state == "INSUFFICIENT_DATA" else None,
        component=metric_labels.get("namespace"),
        alert_class=metric_labels.get("metric_name"),
        labels=metric_labels | _present(identity),
        annotations=_present(annotated) | metric_notes,
        starts_at=changed if action is AlertAction.TRIGGER else None,
        ends_at=changed if action is AlertAction.RESOLVE else None,
    )
    return vet(alert, fields.path)


def _fallback_key(ids: Mapping[str, str | None], name: str | None) -> str | None:
    account, region = ids["AWSAccountId"], ids["Region"]
    return f"{account}:{region}:{name}" if account and region and name else None


def _present(values: Mapping[str, str | None]) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}
