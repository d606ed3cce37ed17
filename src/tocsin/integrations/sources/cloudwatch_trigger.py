"""The `Trigger` of a CloudWatch alarm message: which metric, compared how."""

from __future__ import annotations

from tocsin.core.alerts import FieldProblem
from tocsin.integrations.sources.fields import Reader, at, to_text

_LABELS = {"Namespace": "namespace", "MetricName": "metric_name"}
_TEXTS = {"Statistic": "statistic", "ComparisonOperator": "comparison_operator"}
_NUMBERS = {"Period": "period", "EvaluationPeriods": "evaluation_periods", "Threshold": "threshold"}


def trigger_fields(alarm: Reader) -> tuple[dict[str, str], dict[str, str]]:
    """(labels, annotations) from the alarm's Trigger; its problems go to `alarm`. A
    composite or metric-math alarm lacks some of these: what is absent is left out."""
    value = alarm.value.get("Trigger")
    if value is None:
        return {}, {}
    if not isinstance(value, dict):
        alarm.problem("Trigger", "expected an object")
        return {}, {}
    trigger = Reader(value, at(alarm.path, "Trigger"))
    labels = dimensions(trigger) | _texts(trigger, _LABELS)
    annotations = _texts(trigger, _TEXTS) | _numbers(trigger)
    alarm.problems.extend(trigger.problems)
    return labels, annotations


def dimensions(trigger: Reader) -> dict[str, str]:
    """`Dimensions: [{name, value}]` as labels."""
    items = trigger.value.get("Dimensions")
    if items is None:
        return {}
    if not isinstance(items, list):
        trigger.problem("Dimensions", "expected a list of {name, value}")
        return {}
    found: dict[str, str] = {}
    for index, item in enumerate(items):
        name = item.get("name") if isinstance(item, dict) else None
        value = item.get("value") if isinstance(item, dict) else None
        if isinstance(name, str) and isinstance(value, str):
            found[name] = value
        else:
            where = at(at(trigger.path, "Dimensions"), index)
            trigger.problems.append(FieldProblem(where, "expected {name, value} strings"))
    return found


def _texts(trigger: Reader, names: dict[str, str]) -> dict[str, str]:
    found = {label: trigger.text(key) for key, label in names.items()}
    return {label: text for label, text in found.items() if text is not None}


def _numbers(trigger: Reader) -> dict[str, str]:
    found: dict[str, str] = {}
    for key, label in _NUMBERS.items():
        value = trigger.value.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool):
            found[label] = to_text(value)
        elif value is not None:
            trigger.problem(key, "expected a number")
    return found
