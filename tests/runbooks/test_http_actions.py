"""Typed HTTP actions (feature flags, tenant suspend and resume) against a local admin API
written here: the exact request shown with its credential masked, the state before recorded,
the far side's trouble as results, and parameter values that reach the body as data."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from tests.conftest import FAST_HASHER, preset_config
from tests.runbooks.conftest import RUNBOOKS
from tests.support.fakes.admin_api import AdminApi, admin_api
from tocsin.app.clock import ManualClock
from tocsin.app.runs import ConfirmationRequired, Request
from tocsin.bootstrap import Tocsin, build, notifier_problems
from tocsin.config import render_preset
from tocsin.config.runbooks import RunbooksConfig
from tocsin.core.access import AccessRole, Forbidden, Principal
from tocsin.core.errors import DomainError
from tocsin.core.execution import RunStatus
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind
from tocsin.integrations.actions.http import HttpActions

ANN = Principal("ann", AccessRole.RESPONDER, "user")
BOB = Principal("bob", AccessRole.RESPONDER, "user")
VIEWER = Principal("vic", AccessRole.VIEWER, "user")
TOKEN = "adm-tok-7f3c9e1d"  # noqa: S105 - a test value


@pytest.fixture
def admin() -> Iterator[AdminApi]:
    with admin_api(TOKEN) as server:
        yield server


def http_actions(url: str) -> str:
    """`runbooks.http_actions`, indented to go under the conftest's `runbooks:`."""
    return f"""\
  http_actions:
    feature.set:
      summary: "Feature flag: turn one on or off"
      base_url: {url}
      path: /admin/features
      body: {{flag: "{{{{ flag }}}}", enabled: "{{{{ enabled }}}}", why: "{{{{ reason }}}} (Tocsin)"}}
      params:
        flag: {{help: the flag's name}}
        enabled: {{type: bool}}
        reason: {{default: incident}}
      auth: {{env: ADMIN_API_TOKEN}}
      before: {{path: "/admin/features/{{{{ flag }}}}"}}
    tenant.suspend:
      base_url: {url}
      path: "/admin/tenants/{{{{ tenant }}}}/suspend"
      params: {{tenant: {{}}}}
      auth: {{env: ADMIN_API_TOKEN}}
      before: {{path: "/admin/tenants/{{{{ tenant }}}}"}}
      undo: tenant.resume
    tenant.resume:
      base_url: {url}
      path: "/admin/tenants/{{{{ tenant }}}}/resume"
      params: {{tenant: {{}}}}
      auth: {{env: ADMIN_API_TOKEN}}
      before: {{path: "/admin/tenants/{{{{ tenant }}}}"}}
      undo: tenant.suspend
    feature.get:
      kind: diagnostic
      base_url: {url}
      method: GET
      path: "/admin/features/{{{{ flag }}}}"
      params: {{flag: {{}}}}
      auth: {{env: ADMIN_API_TOKEN}}
"""  # noqa: E501


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'tocsin.db'}"  # the adapter is under test, not the store


@pytest.fixture
def app(tmp_path: Path, database_url: str, clock: ManualClock, admin: AdminApi) -> Iterator[Tocsin]:
    (tmp_path / "runbooks").mkdir()
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4") + RUNBOOKS + http_actions(admin.url), "utf-8")
    env = {"TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": database_url,
           "ADMIN_API_TOKEN": TOKEN, "TEST_ADMIN_TOKEN": "x"}  # fmt: skip
    built = build(env=env, cwd=tmp_path, clock=clock, hasher=FAST_HASHER)
    yield built
    built.engine.dispose()


def declare(app: Tocsin, severity: str = "P2") -> str:
    scope = Scope(services=("checkout",))
    return app.incidents.declare("ann", "Checkout broken", severity, scope).incident.id


def test_a_dry_run_reads_the_flag_and_shows_the_exact_request_with_the_credential_masked(
    app: Tocsin, admin: AdminApi
) -> None:
    ref = declare(app)
    params = {"flag": "new-checkout", "enabled": "false"}
    dry = app.actions.run(ref, "feature.set", params, ANN, dry_run=True)
    assert dry.ok, dry.error
    assert dry.summary == f"would POST {admin.url}/admin/features"
    assert dry.before == {"state": {"flag": "new-checkout", "enabled": True}}
    assert dry.output == (
        f"POST {admin.url}/admin/features\nContent-Type: application/json\n"
        'Authorization: Bearer ***\n\n{"flag": "new-checkout", "enabled": false, '
        '"why": "incident (Tocsin)"}'
    )
    assert [(s.method, s.path) for s in admin.seen] == [("GET", "/admin/features/new-checkout")]
    assert admin.flags["new-checkout"] is True
    assert "feature.set" in [s.name for s in app.actions.catalogue()]


def test_a_flag_turned_off_for_real_records_before_and_after_and_never_the_credential(
    app: Tocsin, admin: AdminApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ref = declare(app)
    with pytest.raises(ConfirmationRequired):
        app.actions.run(ref, "feature.set", {"flag": "new-checkout", "enabled": "off"}, ANN)
    with pytest.raises(Forbidden):
        app.actions.run(ref, "feature.set", {"flag": "x", "enabled": "on"}, VIEWER, confirm=True)
    done = app.actions.run(
        ref, "feature.set", {"flag": "new-checkout", "enabled": "off"}, ANN, confirm=True
    )
    assert done.ok, done.error
    assert admin.flags["new-checkout"] is False
    assert admin.seen[-1].headers["Authorization"] == f"Bearer {TOKEN}"
    (entry,) = [e for e in app.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert entry.text == f"feature.set: POST {admin.url}/admin/features → 200"
    assert entry.data["before"] == {"state": {"flag": "new-checkout", "enabled": True}}
    assert entry.data["after"] == {"status": 200, "response": {"ok": True}}
    records = app.audit.records()
    assert [r.action for r in records] == ["runbook.refused", "runbook.refused", "action.executed"]
    stored = json.dumps([e.data for e in app.incidents.timeline(ref)])
    stored += json.dumps([r.detail for r in records])
    assert TOKEN not in stored
    assert TOKEN not in caplog.text
    assert "Bearer ***" in entry.data["output"]
    assert app.audit.verify().broken is None


def test_a_tenant_suspended_names_its_undo_and_resume_sets_it_back(
    app: Tocsin, admin: AdminApi
) -> None:
    ref = declare(app)
    done = app.actions.run(ref, "tenant.suspend", {"tenant": "acme"}, ANN, confirm=True)
    assert done.ok, done.error
    assert admin.tenants["acme"] == "suspended"
    assert done.before == {
        "state": {"tenant": "acme", "status": "active"},
        "undo": "tocsin action run tenant.resume -p tenant=acme",
    }
    back = app.actions.run(ref, "tenant.resume", {"tenant": "acme"}, ANN, confirm=True)
    assert back.ok
    assert admin.tenants["acme"] == "active"
    read = app.actions.run(ref, "feature.get", {"flag": "new-checkout"}, ANN)  # no confirmation
    assert read.ok
    assert '"enabled": true' in read.output


def test_values_reach_the_body_and_path_as_data_never_as_syntax_or_placeholders(
    app: Tocsin, admin: AdminApi
) -> None:
    ref = declare(app)
    nasty = 'a"b\n}, "enabled": true, "x": "{{ enabled }}'
    params = {"flag": nasty, "enabled": "false", "reason": "{{ flag }} $(rm -rf /) `id`"}
    done = app.actions.run(ref, "feature.set", params, ANN, confirm=True)
    assert done.ok, done.error
    posted = json.loads(admin.seen[-1].body)
    why = "{{ flag }} $(rm -rf /) `id` (Tocsin)"
    assert posted == {"flag": nasty, "enabled": False, "why": why}
    assert admin.flags[nasty] is False
    encoded = "a%22b%0A%7D%2C%20%22enabled%22%3A%20true%2C%20%22x%22%3A%20%22%7B%7B%20enabled"
    assert admin.seen[0].path == f"/admin/features/{encoded}%20%7D%7D"
    sneaky = app.actions.run(ref, "tenant.suspend", {"tenant": "../features?x#"}, ANN, confirm=True)
    assert admin.seen[-1].path == "/admin/tenants/..%2Ffeatures%3Fx%23/suspend"
    assert sneaky.ok
    assert admin.tenants["..%2Ffeatures%3Fx%23"] == "suspended"
    dots = app.actions.run(ref, "tenant.suspend", {"tenant": ".."}, ANN, confirm=True)
    assert not dots.ok
    assert "cannot be part of a URL path" in dots.error


@pytest.fixture
def adapter(admin: AdminApi) -> Callable[..., HttpActions]:
    """The adapter alone, from the same configuration, with a short timeout."""
    section = yaml.safe_load("runbooks:\n" + http_actions(admin.url))["runbooks"]
    defs = RunbooksConfig.model_validate(section).http_defs()

    def make(env: dict[str, str] | None = None, url: str | None = None) -> HttpActions:
        short = {n: replace(d, timeout_s=0.3, base_url=url or d.base_url) for n, d in defs.items()}
        return HttpActions(short, {"ADMIN_API_TOKEN": TOKEN} if env is None else env)

    return make


FLAG_OFF = {"flag": "new-checkout", "enabled": False, "reason": "incident"}


@pytest.mark.parametrize(
    ("path", "mode", "words"),
    [
        ("/admin/features", "404", f"{'/admin/features'} answered 404"),
        ("/admin/features", "503", "answered 503"),
        ("/admin/features", "redirect", "answered 302 (redirects are not followed"),
        ("/admin/features", "hang", "timed out after 0.3 s. It may have reached the server"),
        ("/admin/features", "close", "RemoteProtocolError"),
        ("/admin/features/new-checkout", "500", "could not read the state before"),
        ("/admin/features/new-checkout", "hang", "could not read the state before"),
    ],
)
def test_the_far_sides_trouble_is_a_result_with_its_words(
    adapter: Callable[..., HttpActions], admin: AdminApi, path: str, mode: str, words: str
) -> None:
    admin.script[path] = mode
    result = adapter().run("feature.set", dict(FLAG_OFF), False)
    assert not result.ok
    assert words in result.error
    assert TOKEN not in result.error + result.summary  # the 4xx body echoes it: masked
    if path.endswith("new-checkout"):  # the state before could not be read: nothing changed
        assert [s.method for s in admin.seen] == ["GET"]
    assert admin.flags["new-checkout"] is True


def test_a_2xx_with_a_body_that_is_not_json_is_done_and_shown_as_text(
    adapter: Callable[..., HttpActions], admin: AdminApi
) -> None:
    admin.script["/admin/features"] = "garbage"
    result = adapter().run("feature.set", dict(FLAG_OFF), False)
    assert result.ok
    assert result.after["status"] == 200
    assert result.after["response"].startswith("<html>\x00\ufffd not json")
    assert "(not JSON) <html>" in result.output


def test_nothing_is_sent_without_the_credential_or_to_a_closed_port(
    adapter: Callable[..., HttpActions], admin: AdminApi
) -> None:
    unset = adapter(env={}).run("feature.set", dict(FLAG_OFF), True)
    assert not unset.ok
    assert "$ADMIN_API_TOKEN is unset: nothing was sent" in unset.error
    assert admin.seen == []
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{s.getsockname()[1]}"
    refused = adapter(url=closed).run("feature.set", dict(FLAG_OFF), False)
    assert not refused.ok
    assert "ConnectError" in refused.error


ACTION_BOOK = """\
# Checkout

```tocsin {name="Turn the new checkout off"}
action: feature.set
flag: $FLAG
enabled: false
```

```tocsin
action: feature.nope
flag: x
```
"""


def test_an_http_action_step_on_p1_waits_for_a_second_person_then_runs(
    app: Tocsin, admin: AdminApi, tmp_path: Path
) -> None:
    (tmp_path / "runbooks" / "checkout.md").write_text(ACTION_BOOK, "utf-8")
    problems = [p.message for p in app.runbooks.runbooks.lint("checkout")]
    assert any("no action 'feature.nope'" in m for m in problems), problems
    (tmp_path / "runbooks" / "checkout.md").write_text(ACTION_BOOK.split("```tocsin\n")[0])
    ref = declare(app, "P1")
    (run,) = app.runbooks.request(
        Request(ref, "checkout", ANN, step=1, confirm=True, values={"FLAG": "new-checkout"})
    )
    assert run.status is RunStatus.AWAITING_APPROVAL
    assert run.kind == "mitigation"
    assert admin.seen == []
    approved = app.runbooks.approve(run.id, BOB)
    done = app.runbooks.execute(approved.id)
    assert done.status is RunStatus.SUCCEEDED, done.output
    assert admin.flags["new-checkout"] is False
    assert '"enabled": true' in done.output.split("after:")[0]  # the state before
    assert TOKEN not in done.output


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ({"path": "/admin/features/{{ flg }}"}, "placeholder flg is not a parameter"),
        ({"kind": "diagnostic"}, "a diagnostic only reads: method POST changes things"),
        ({"undo": "tenant.nope"}, "undo names tenant.nope, which is not one of"),
        ({"base_url": "ftp://x"}, "base_url"),
    ],
)
def test_configuration_mistakes_name_the_field(change: dict[str, str], words: str) -> None:
    action = {"base_url": "http://x", "path": "/admin/features/{{ flag }}",
              "params": {"flag": {}}, **change}  # fmt: skip
    with pytest.raises(ValidationError, match=words.replace("(", r"\(")):
        RunbooksConfig.model_validate({"http_actions": {"feature.set": action}})
    with pytest.raises(ValidationError, match="ecs.scale is a built-in action"):
        RunbooksConfig.model_validate(
            {"http_actions": {"ecs.scale": {"base_url": "http://x", "path": "/"}}}
        )


def test_a_direct_mitigation_on_p1_waits_for_a_second_person_with_its_values_as_data(
    app: Tocsin, admin: AdminApi
) -> None:
    ref = declare(app, "P1")
    sneaky = "new-checkout\nenabled: true"
    params = {"flag": sneaky, "enabled": "off"}
    waiting = app.actions.run(ref, "feature.set", params, ANN, confirm=True)
    assert waiting.awaiting_approval is not None
    assert waiting.summary == (
        f"feature.set waits for a second person: tocsin runbook approve {waiting.awaiting_approval}"
    )
    assert admin.seen == []
    dry = app.actions.run(ref, "feature.set", params, ANN, dry_run=True)  # a dry run still shows
    assert dry.summary.startswith("would POST")
    with pytest.raises(DomainError, match="a second person must approve"):
        app.runbooks.approve(waiting.awaiting_approval, ANN)
    approved = app.runbooks.approve(waiting.awaiting_approval, BOB)
    done = app.runbooks.execute(approved.id)
    assert done.status is RunStatus.SUCCEEDED, done.output
    assert json.loads(admin.seen[-1].body) == {"flag": sneaky, "enabled": False,
                                               "why": "incident (Tocsin)"}  # fmt: skip
    (entry,) = [e for e in app.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert entry.text.startswith("Feature flag: turn one on or off (mitigation): exit 0")
    assert entry.data["approved_by"] == "bob"
    assert [r.action for r in app.audit.records()] == [
        "runbook.approval_requested", "runbook.refused", "runbook.approved", "runbook.executed"
    ]  # fmt: skip


def test_config_check_names_an_unset_credential(admin: AdminApi) -> None:
    section = yaml.safe_load("runbooks:\n" + http_actions(admin.url))["runbooks"]
    config = preset_config("p1-p4").model_copy(
        update={"runbooks": RunbooksConfig.model_validate(section)}
    )
    problems = notifier_problems(config, {})
    assert [p.field for p in problems] == [
        f"runbooks.http_actions.{name}.auth.env"
        for name in ("feature.set", "tenant.suspend", "tenant.resume", "feature.get")
    ]
    assert "ADMIN_API_TOKEN is not set" in problems[0].message
    assert notifier_problems(config, {"ADMIN_API_TOKEN": TOKEN}) == []
