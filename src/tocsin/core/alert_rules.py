"""What an alert may hold before it is stored: every source parser vets what it built.

Text meant for people (summary, annotations, the source's link) is cleaned: control
characters and lone UTF-16 surrogates become U+FFFD, and an over-long summary or annotation
is cut. What identifies or routes an alert (its key, label names and values, severity,
service) is refused when it cannot be stored as sent: a per-alert problem naming the field,
never a failed batch. The limits are the columns' and are documented in docs/alerts.md.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace

from tocsin.core.alerts import AlertIn, FieldProblem

KEY_MAX = 255  # dedup keys and fingerprints: alerts.dedup_key
SEVERITY_MAX = 40  # the source's severity word: alerts.source_severity
SERVICE_MAX = 100  # a `service` label or component becomes alerts.service
NAME_MAX = 100  # a label or annotation name
VALUE_MAX = 1024  # a label value
LABELS_MAX = 64  # labels, and annotations, per alert
SUMMARY_MAX = 1024  # cut, as PagerDuty does
ANNOTATION_MAX = 8192  # cut
URL_MAX = 2048  # a longer link is dropped, with a problem

# C0 controls but tab and newline, DEL, C1 controls, lone surrogates.
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_NAME_BANNED = r"\x00-\x1f\x7f-\x9f\ud800-\udfff"  # what a label or annotation name may not hold
_NAME = re.compile(rf"^[^{_NAME_BANNED}]{{1,100}}$")
_NOT_IN_NAME = re.compile(rf"[{_NAME_BANNED}]")
REPLACEMENT = "\ufffd"


def clean(text: str) -> str:
    """People's text with every control character and lone surrogate made visible as U+FFFD
    (tabs and new lines stay): it can be stored anywhere and printed on any terminal."""
    return _UNPRINTABLE.sub(REPLACEMENT, text)


def unprintable(text: str) -> str | None:
    """The first character that cannot be stored as sent, as `U+XXXX`, or None."""
    found = _UNPRINTABLE.search(text)
    return None if found is None else f"U+{ord(found.group()):04X}"


def vet(alert: AlertIn, path: str) -> AlertIn | list[FieldProblem]:
    """The alert ready to store, or the problems that refuse it (`path` is where it was in
    the body, e.g. `alerts[3]`)."""
    return alert if plain(alert) else vetted(alert, path)


def vetted(alert: AlertIn, path: str) -> AlertIn | list[FieldProblem]:
    """`vet`, field by field: each problem names its field."""
    problems: list[FieldProblem] = []

    def at(name: str) -> str:
        return f"{path}.{name}" if path else name

    _word(problems, at("dedup_key"), alert.dedup_key, KEY_MAX)
    _word(problems, at("severity"), alert.severity, SEVERITY_MAX)
    _word(problems, at("component"), alert.component, SERVICE_MAX)
    for name in ("group", "alert_class"):
        _word(problems, at(name), getattr(alert, name), KEY_MAX)
    _pairs(problems, at("labels"), alert.labels, VALUE_MAX)
    _word(problems, at("labels.service"), alert.labels.get("service"), SERVICE_MAX)
    _pairs(problems, at("annotations"), alert.annotations, None)
    url = alert.source_url
    if url is not None and (len(url) > URL_MAX or unprintable(url)):
        problems.append(
            FieldProblem(at("source_url"), f"must be a link of at most {URL_MAX} characters")
        )
    if problems:
        return problems
    return replace(
        alert,
        summary=clean(alert.summary[:SUMMARY_MAX]),
        annotations={k: clean(v[:ANNOTATION_MAX]) for k, v in alert.annotations.items()},
    )


def plain(alert: AlertIn) -> bool:
    """True only if `vetted` would find no problem and change nothing: every limit kept and
    not one character to refuse or clean, checked with one search per kind of text instead
    of one per field (the per-field checks, which name the field, run only when this fails).
    Label and annotation names may hold no control character at all, not even a tab."""
    labels, annotations = alert.labels, alert.annotations
    if len(labels) > LABELS_MAX or len(annotations) > LABELS_MAX:
        return False
    url = alert.source_url or ""
    service = labels.get("service") or ""
    if (
        len(alert.dedup_key) > KEY_MAX
        or len(alert.severity or "") > SEVERITY_MAX
        or len(alert.component or "") > SERVICE_MAX
        or len(alert.group or "") > KEY_MAX
        or len(alert.alert_class or "") > KEY_MAX
        or len(service) > SERVICE_MAX
        or len(url) > URL_MAX
        or len(alert.summary) > SUMMARY_MAX
    ):
        return False
    for pairs, limit in ((labels, VALUE_MAX), (annotations, ANNOTATION_MAX)):
        for name, value in pairs.items():
            if not 0 < len(name) <= NAME_MAX or len(value) > limit:
                return False
    if _NOT_IN_NAME.search("".join(labels) + "".join(annotations)):
        return False
    text = "".join(
        (
            alert.dedup_key,
            alert.severity or "",
            alert.component or "",
            alert.group or "",
            alert.alert_class or "",
            url,
            alert.summary,
            *labels.values(),
            *annotations.values(),
        )
    )
    return _UNPRINTABLE.search(text) is None


def _word(problems: list[FieldProblem], field: str, value: str | None, limit: int) -> None:
    if value is None:
        return
    if len(value) > limit:
        problems.append(FieldProblem(field, f"is {len(value)} characters; the limit is {limit}"))
    elif bad := unprintable(value):
        problems.append(FieldProblem(field, f"contains the control character {bad}; remove it"))


def _pairs(
    problems: list[FieldProblem], field: str, pairs: Mapping[str, str], limit: int | None
) -> None:
    if len(pairs) > LABELS_MAX:
        problems.append(FieldProblem(field, f"has {len(pairs)} entries; the limit is {LABELS_MAX}"))
        return
    for name, value in pairs.items():
        if not _NAME.match(name):
            problems.append(
                FieldProblem(
                    f"{field}.{name[:40]!r}",
                    f"a name must be 1 to {NAME_MAX} printable characters",
                )
            )
        elif limit is not None:
            _word(problems, f"{field}.{name}", value, limit)
