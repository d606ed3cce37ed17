"""Routing: which alerts declare at once, which a person is asked about, and the default."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml

from tests.conftest import preset_config
from tocsin.config import ConfigError, TocsinConfig, load_config, render_preset
from tocsin.core.alerts import AlertAction, AlertIn
from tocsin.core.routing import DeclareMode, Route, Router

WORDS = ("critical", "error", "high", "warning", "info", "low", None)


def alert(severity: str | None, **labels: str) -> AlertIn:
    labels = {"alertname": "HighErrorRate", "service": "api", **labels}
    return AlertIn("alertmanager", "fp", AlertAction.TRIGGER, "5xx", severity, labels=labels)


def modes(config: TocsinConfig) -> dict[str | None, str]:
    router = config.router()
    return {word: router.decide(alert(word)).declare.value for word in WORDS}


def with_routing(preset: str, routing: str) -> TocsinConfig:
    data = yaml.safe_load(render_preset(preset))
    data["routing"] = yaml.safe_load(textwrap.dedent(routing))
    return TocsinConfig.model_validate(data)


@pytest.mark.parametrize("preset", ["p1-p4", "sev1-sev3"])
def test_the_shipped_default_declares_critical_and_error_alerts_and_suggests_the_rest(
    preset: str,
) -> None:
    assert modes(preset_config(preset)) == {
        "critical": "auto",
        "error": "auto",
        "high": "auto",
        "warning": "suggest",
        "info": "suggest",
        "low": "suggest",
        None: "suggest",
    }


def test_the_default_routes_severity_is_kept_when_it_declares() -> None:
    router = preset_config("sev1-sev3").router()
    assert [router.decide(alert(w)).severity for w in ("critical", "error", "warning")] == [
        "SEV-1",
        "SEV-2",
        "SEV-3",
    ]


def test_auto_declare_at_null_on_the_default_suggests_everything() -> None:
    config = with_routing("p1-p4", "default: {declare: suggest, auto_declare_at: null}")
    assert set(modes(config).values()) == {"suggest"}


def test_a_written_default_without_auto_declare_at_still_declares_critical_and_error() -> None:
    config = with_routing("p1-p4", "default: {declare: suggest, group_by: [alertname]}")
    assert modes(config)["critical"] == "auto"
    assert modes(config)["warning"] == "suggest"


def test_auto_declare_at_on_a_route_picks_how_severe_declares_at_once() -> None:
    config = with_routing(
        "p1-p4",
        """
        routes:
          - match: ["service=api"]
            declare: suggest
            auto_declare_at: p1
        """,
    )
    router = config.router()
    assert [router.decide(alert(w)).declare for w in ("critical", "error")] == [
        DeclareMode.AUTO,
        DeclareMode.SUGGEST,
    ]
    # a route other than the default gets no implicit threshold
    plain = with_routing("p1-p4", 'routes: [{match: ["service=api"], declare: suggest}]')
    assert plain.router().decide(alert("critical")).declare is DeclareMode.SUGGEST


def test_never_and_auto_routes_keep_their_mode_whatever_the_severity() -> None:
    never = with_routing("p1-p4", "default: {declare: never}")
    assert set(modes(never).values()) == {"never"}
    auto = with_routing("p1-p4", "default: {declare: auto}")
    assert set(modes(auto).values()) == {"auto"}


def test_the_router_without_a_threshold_suggests_as_before() -> None:
    router = Router((), ("P1", "P2"), Route(declare=DeclareMode.SUGGEST))
    assert router.decide(alert("critical")).declare is DeclareMode.SUGGEST
    ranked = Router((), ("P1", "P2"), Route(declare=DeclareMode.SUGGEST, auto_rank=0))
    assert [ranked.decide(alert(w)).declare for w in ("critical", "error")] == [
        DeclareMode.AUTO,
        DeclareMode.SUGGEST,
    ]


def write(tmp_path: Path, routing: str) -> Path:
    path = tmp_path / "tocsin.yaml"
    path.write_text(render_preset("p1-p4") + textwrap.dedent(routing), encoding="utf-8")
    return path


def test_an_unknown_auto_declare_at_names_its_line_field_and_the_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "routing:\n  default:\n    declare: suggest\n    auto_declare_at: P9\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    lines = path.read_text(encoding="utf-8").splitlines()
    assert problem.line is not None
    assert lines[problem.line - 1].strip() == "auto_declare_at: P9"
    assert problem.field == "routing.default.auto_declare_at"
    assert problem.message == "severity 'P9' is not one of the severities: P1, P2, P3, P4"


def test_an_unknown_severity_in_a_route_names_its_field(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "routing:\n  routes:\n    - match: [a=b]\n      severity_map: {critical: P0}\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert problem.field == "routing.routes[0].severity_map.critical"
    assert "severity 'P0' is not one of the severities" in problem.message


def test_auto_declare_at_on_a_route_that_does_not_suggest_is_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "routing:\n  routes:\n    - match: [a=b]\n"
        "      declare: never\n      auto_declare_at: P1\n",
    )
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    [problem] = caught.value.problems
    assert problem.field == "routing.routes[0].auto_declare_at"
    assert "only with declare: suggest" in problem.message
