"""Typed AWS actions and the seeds' own `aws …` commands, against moto in server mode.

The server is started here, on 127.0.0.1 with a port of its own; AWS_ENDPOINT_URL points
both boto3 (typed actions) and the `aws` CLI (shell steps) at it. Actions change moto's state
for real, and what a run printed lands on the incident's timeline."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("boto3")
pytest.importorskip("moto.server")

import boto3
from moto.server import ThreadedMotoServer

from tests.runbooks.support import modax
from tocsin.app.runs import ConfirmationRequired, Request
from tocsin.bootstrap import Tocsin
from tocsin.core.access import AccessRole, Principal
from tocsin.core.execution import RunStatus
from tocsin.core.runbook_import import normalise
from tocsin.core.scope import Scope
from tocsin.core.timeline import EntryKind

ANN = Principal("ann", AccessRole.RESPONDER, "user")
REGION = "eu-west-1"
KEYS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server._server.server_port  # type: ignore[attr-defined]
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def aws(moto_url: str) -> Any:
    def client(service: str) -> Any:
        return boto3.client(
            service,
            endpoint_url=moto_url,
            region_name=REGION,
            **{"aws_access_key_id": "testing", "aws_secret_access_key": "testing"},
        )

    return client


@pytest.fixture
def extra_env(moto_url: str, tmp_path: Path) -> dict[str, str]:
    """What `wired` builds with: the AWS chain pointed at moto, and a PATH with `aws`."""
    bin_dir = str(Path(sys.executable).parent)
    return {
        "AWS_ENDPOINT_URL": moto_url,
        "AWS_DEFAULT_REGION": REGION,
        **KEYS,
        "AWS_MAX_ATTEMPTS": "1",  # moto answers 500 for what it lacks: no retries
        "PATH": f"{bin_dir}:/usr/local/bin:/usr/bin:/bin",
        "HOME": str(tmp_path),
    }


@pytest.fixture
def modax_aws(aws: Any) -> dict[str, str]:
    """The seed's world: cluster, service on revision 2 of 2, a REST API, an SSM switch."""
    ecs = aws("ecs")
    if not ecs.list_clusters()["clusterArns"]:
        ecs.create_cluster(clusterName="modax-cluster")
        for image in ("app:1", "app:2"):
            ecs.register_task_definition(
                family="modax-internal",
                containerDefinitions=[{"name": "app", "image": image, "memory": 128}],
            )
    ecs.delete_service(
        cluster="modax-cluster", service="modax-internal", force=True
    ) if ecs.list_services(cluster="modax-cluster")["serviceArns"] else None
    ecs.create_service(
        cluster="modax-cluster",
        serviceName="modax-internal",
        taskDefinition="modax-internal:2",
        desiredCount=2,
    )
    gw = aws("apigateway")
    api = gw.create_rest_api(name="modax-api")["id"]
    root = gw.get_resources(restApiId=api)["items"][0]["id"]
    gw.put_method(restApiId=api, resourceId=root, httpMethod="GET", authorizationType="NONE")
    gw.put_integration(restApiId=api, resourceId=root, httpMethod="GET", type="MOCK")
    gw.create_deployment(restApiId=api, stageName="production")
    aws("ssm").put_parameter(
        Name="/modax/ai-provider", Value="openai", Type="String", Overwrite=True
    )
    return {"api": api}


def declare(app: Tocsin) -> str:
    scope = Scope(services=("modax-internal",))
    return app.incidents.declare("ann", "API overload", "P2", scope).incident.id


def service(aws: Any) -> dict[str, Any]:
    found = aws("ecs").describe_services(cluster="modax-cluster", services=["modax-internal"])
    return found["services"][0]  # type: ignore[no-any-return]


def test_ecs_scale_dry_run_then_for_real_with_the_state_before_on_the_timeline(
    wired: Tocsin, aws: Any, modax_aws: dict[str, str]
) -> None:
    ref = declare(wired)
    params = {"cluster": "modax-cluster", "service": "modax-internal", "desired_count": "10"}
    dry = wired.actions.run(ref, "ecs.scale", params, ANN, dry_run=True)
    assert dry.summary == "would change modax-cluster/modax-internal desired count 2 → 10"
    assert service(aws)["desiredCount"] == 2
    with pytest.raises(ConfirmationRequired):
        wired.actions.run(ref, "ecs.scale", params, ANN)
    done = wired.actions.run(ref, "ecs.scale", params, ANN, confirm=True)
    assert done.ok
    assert service(aws)["desiredCount"] == 10
    (entry,) = [e for e in wired.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert entry.data["before"] == {"desired_count": 2}
    assert entry.data["after"] == {"desired_count": 10}
    assert [r.action for r in wired.audit.records()] == ["runbook.refused", "action.executed"]


def test_ecs_rollback_moves_the_service_to_the_previous_revision(
    wired: Tocsin, aws: Any, modax_aws: dict[str, str]
) -> None:
    ref = declare(wired)
    params = {"cluster": "modax-cluster", "service": "modax-internal"}
    done = wired.actions.run(ref, "ecs.rollback", params, ANN, confirm=True)
    assert done.ok, done.error
    assert service(aws)["taskDefinition"].endswith("task-definition/modax-internal:1")
    assert done.before["task_definition"].endswith(":2")


def test_api_gateway_throttle_and_cache_and_ssm_switch(
    wired: Tocsin, aws: Any, modax_aws: dict[str, str]
) -> None:
    ref = declare(wired)
    api = modax_aws["api"]
    stage = {"rest_api_id": api, "stage": "production"}
    done = wired.actions.run(
        ref, "apigateway.throttle", {**stage, "rate": "1000", "burst": "500"}, ANN, confirm=True
    )
    assert done.ok, done.error
    settings = aws("apigateway").get_stage(restApiId=api, stageName="production")
    assert settings["methodSettings"]["*/*"]["throttlingRateLimit"] == 1000
    cache = wired.actions.run(
        ref, "apigateway.cache", {**stage, "enabled": "true"}, ANN, confirm=True
    )
    assert (cache.before, cache.after) == ({"enabled": False}, {"enabled": True})
    switch = wired.actions.run(
        ref, "ssm.switch", {"name": "/modax/ai-provider", "value": "anthropic"}, ANN, confirm=True
    )
    assert switch.before["value"] == "openai"
    assert aws("ssm").get_parameter(Name="/modax/ai-provider")["Parameter"]["Value"] == "anthropic"


def test_diagnostics_read_metrics_and_logs(
    wired: Tocsin, aws: Any, modax_aws: dict[str, str]
) -> None:
    ref = declare(wired)
    now = datetime.now(UTC)
    aws("cloudwatch").put_metric_data(
        Namespace="ModAx/Production",
        MetricData=[{"MetricName": "ErrorRate", "Value": 7.5, "Timestamp": now}],
    )
    logs = aws("logs")
    group = f"/aws/ecs/modax-internal-{id(now)}"
    logs.create_log_group(logGroupName=group)
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    logs.put_log_events(
        logGroupName=group,
        logStreamName="s",
        logEvents=[
            {"timestamp": int(now.timestamp() * 1000), "message": "ERROR pool exhausted"},
            {"timestamp": int(now.timestamp() * 1000), "message": "INFO fine"},
        ],
    )
    stats = wired.actions.run(
        ref, "cloudwatch.stats", {"namespace": "ModAx/Production", "metric": "ErrorRate"}, ANN
    )
    assert stats.ok, stats.error
    assert "7.5" in stats.output
    found = wired.actions.run(ref, "logs.filter", {"log_group": group, "pattern": "ERROR"}, ANN)
    assert found.output == "ERROR pool exhausted"
    kinds = [
        e.data.get("action") for e in wired.incidents.timeline(ref) if e.kind is EntryKind.COMMAND
    ]
    assert kinds == ["cloudwatch.stats", "logs.filter"]


AWS_CLI = shutil.which("aws", path=str(Path(sys.executable).parent))


@pytest.mark.skipif(AWS_CLI is None, reason="no aws CLI (PyPI awscli, in the dev extra)")
def test_the_first_seeds_own_aws_commands_run_unchanged_against_moto(
    wired: Tocsin, aws: Any, modax_aws: dict[str, str], runbook_dir: Path
) -> None:
    imported = normalise(modax(), "modax")
    (runbook_dir / "modax.md").write_text(imported.text, encoding="utf-8")
    steps = {s.title: s.number for s in imported.runbook.steps}
    ref = declare(wired)
    made = wired.runbooks.request(
        Request(ref, "modax", ANN, step=steps["Scale ECS service"], confirm=True)
    )
    done = wired.runbooks.execute(made[0].id)
    assert service(aws)["desiredCount"] == 10  # `aws ecs update-service … --desired-count 10`
    assert '"desiredCount": 10' in done.output
    made = wired.runbooks.request(
        Request(ref, "modax", ANN, step=steps["Check recent deployments"])
    )
    deployments = wired.runbooks.execute(made[0].id)
    # It ran to its end: describe-services answered; moto has no CloudTrail lookup-events,
    # so the step's last command (and with it the step) fails, as it would against an account
    # without CloudTrail access.
    assert deployments.status is RunStatus.FAILED
    assert deployments.exit_code not in (None, 0)
    assert "modax-internal:2" in deployments.output  # `--query 'services[0].deployments'`
    entries = [e for e in wired.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert [e.data["title"] for e in entries] == ["Scale ECS service", "Check recent deployments"]
    assert '"desiredCount": 10' in entries[0].data["output"]


ACTION_BOOK = """\
# Scale by action
```tocsin {name="Scale out"}
action: ecs.scale
cluster: modax-cluster
service: $SERVICE
desired_count: $COUNT
```

```bash
echo "a shell step"
```
"""


def test_typed_action_steps_run_when_the_shell_is_off(
    wired: Tocsin, aws: Any, modax_aws: dict[str, str], write_runbook: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from dataclasses import replace

    from tocsin.core.errors import DomainError

    write_runbook("scale", ACTION_BOOK)
    books = wired.runbooks.runbooks
    monkeypatch.setattr(books, "settings", replace(books.settings, shell=False))
    ref = declare(wired)
    with pytest.raises(DomainError, match="runbooks.shell is false"):
        wired.runbooks.request(Request(ref, "scale", ANN, step=2))
    (run,) = wired.runbooks.request(
        Request(ref, "scale", ANN, step=1, confirm=True, values={"COUNT": "7"})
    )
    done = wired.runbooks.execute(run.id)
    assert done.status is RunStatus.SUCCEEDED, done.output
    assert service(aws)["desiredCount"] == 7
    assert done.output.startswith("modax-cluster/modax-internal desired count 2 → 7\n")
    assert 'before: {"desired_count": 2}' in done.output
    (entry,) = [e for e in wired.incidents.timeline(ref) if e.kind is EntryKind.COMMAND]
    assert entry.data["output"] == done.output
    bad = wired.runbooks.request(
        Request(ref, "scale", ANN, step=1, confirm=True, values={"COUNT": "many"})
    )
    failed = wired.runbooks.execute(bad[0].id)
    assert failed.status is RunStatus.FAILED
    assert "desired_count='many': give a number" in failed.output


def test_secrets_manager_rotation_records_versions_never_values(
    wired: Tocsin, aws: Any, modax_aws: dict[str, str]
) -> None:
    sm = aws("secretsmanager")
    name = f"modax/db-{id(sm)}"
    sm.create_secret(Name=name, SecretString="hunter2-db-password")
    ref = declare(wired)
    dry = wired.actions.run(ref, "secretsmanager.rotate", {"secret_id": name}, ANN, dry_run=True)
    assert dry.summary.startswith(f"would rotate {name}")
    done = wired.actions.run(ref, "secretsmanager.rotate", {"secret_id": name}, ANN, confirm=True)
    assert done.ok, done.error
    stages = sm.describe_secret(SecretId=name)["VersionIdsToStages"]
    assert stages[done.before["current_version"]] == ["AWSPREVIOUS"]
    assert stages[done.after["current_version"]] == ["AWSCURRENT"]
    timeline = str([e.data for e in wired.incidents.timeline(ref)])
    assert "hunter2-db-password" not in timeline
