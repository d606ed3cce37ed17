"""`vet`'s quick check (`plain`) never lets through an alert that the field-by-field checks
(`vetted`) would refuse, clean or cut: it may only send more alerts the slow way."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tocsin.core import alert_rules
from tocsin.core.alert_rules import plain, vet, vetted
from tocsin.core.alerts import AlertAction, AlertIn

# Mostly plain text; now and then one character the rules care about, or a length at a limit.
clean = st.text(st.sampled_from(["a", "b", " ", "-", "é"]), max_size=6)
BAD = st.sampled_from(["\t", "\n", "\x00", "\x1f", "\x7f", "\x85", "\x9f", "\ud800", "\udfff"])
dirty = st.tuples(clean, BAD, clean).map("".join)


def texts(max_size: int) -> st.SearchStrategy[str]:
    long = st.integers(max_size - 1, max_size + 1).map(lambda n: "a" * n)
    return st.one_of(clean, clean, clean, clean, dirty, long)


def maybe(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), strategy)


names = st.one_of(clean, clean, st.just("service"), dirty, st.sampled_from(["n" * 100, "n" * 101]))
values = st.one_of(texts(alert_rules.VALUE_MAX), texts(alert_rules.SERVICE_MAX))
labels = st.dictionaries(names, values, max_size=3)
many = st.integers(60, 66).map(lambda n: {f"k{i}": "v" for i in range(n)})

alerts = st.builds(
    AlertIn,
    source=st.just("test"),
    dedup_key=texts(alert_rules.KEY_MAX),
    action=st.just(AlertAction.TRIGGER),
    summary=texts(alert_rules.SUMMARY_MAX),
    severity=maybe(texts(alert_rules.SEVERITY_MAX)),
    component=maybe(texts(alert_rules.SERVICE_MAX)),
    group=maybe(texts(alert_rules.KEY_MAX)),
    alert_class=maybe(texts(alert_rules.KEY_MAX)),
    labels=st.one_of(labels, labels, many),
    annotations=st.one_of(
        st.dictionaries(names, texts(alert_rules.ANNOTATION_MAX), max_size=3), many
    ),
    source_url=maybe(texts(alert_rules.URL_MAX)),
)


@settings(max_examples=1500, deadline=None)
@given(alert=alerts)
def test_a_plain_alert_is_one_the_field_checks_would_keep_unchanged(alert: AlertIn) -> None:
    if plain(alert):
        assert vetted(alert, "alerts[0]") == alert
    assert vet(alert, "alerts[0]") == vetted(alert, "alerts[0]")


def test_ordinary_alerts_take_the_quick_path_and_bad_ones_do_not() -> None:
    ok = AlertIn(
        "test",
        "k1",
        AlertAction.TRIGGER,
        "Error rate above 5% on api",
        severity="critical",
        component="api",
        alert_class="HighErrorRate",
        labels={"alertname": "HighErrorRate", "service": "api", "instance": "i-1"},
        annotations={"summary": "Error rate above 5%", "runbook": "https://r/x"},
        source_url="http://prom/graph?g0.expr=up",
    )
    assert plain(ok)
    assert vet(ok, "") is ok
    assert not plain(
        AlertIn("test", "k1", AlertAction.TRIGGER, "tab\tin a name", labels={"a\tb": "v"})
    )
    assert not plain(AlertIn("test", "k1", AlertAction.TRIGGER, "bell \x07"))
    assert not plain(AlertIn("test", "k" * 256, AlertAction.TRIGGER, "long key"))
