"""Typed AWS actions through boto3 (core/actions.py lists them and checks their parameters).

Credentials and region come from the standard AWS chain: the `AWS_*` variables given here
(this process's environment in production), else boto3's own chain (profiles, instance
roles). `AWS_ENDPOINT_URL` points every client elsewhere (an emulator in tests). Each
mitigation reads the state first (`before`, enough to undo it) and, in a dry run, stops
there and says what it would change. AWS errors are results (ok false, the error's words),
never exceptions: they go on the timeline like a failed command.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tocsin.core.actions import ActionResult, action_spec

Handler = Callable[[dict[str, Any], bool], ActionResult]


class AwsActions:
    def __init__(self, environ: Mapping[str, str], now: Callable[[], datetime] | None = None):
        self._env = environ
        self._now = now or (lambda: datetime.now(UTC))
        self._handlers: dict[str, Handler] = {
            "ecs.scale": self._ecs_scale,
            "ecs.rollback": self._ecs_rollback,
            "apigateway.throttle": self._apigw_throttle,
            "apigateway.cache": self._apigw_cache,
            "ssm.switch": self._ssm_switch,
            "secretsmanager.rotate": self._rotate_secret,
            "ecs.deployments": self._ecs_deployments,
            "cloudwatch.stats": self._cloudwatch_stats,
            "logs.filter": self._logs_filter,
            "rds.status": self._rds_status,
            "cloudtrail.events": self._cloudtrail_events,
        }

    def run(self, name: str, params: dict[str, Any], dry_run: bool) -> ActionResult:
        spec = action_spec(name)
        try:
            return self._handlers[name](params, dry_run)
        except (ClientError, BotoCoreError) as exc:
            return ActionResult(name, dry_run, False, f"{name} failed: {exc}", error=str(exc))
        except (KeyError, IndexError) as exc:  # an answer without what we looked for
            return ActionResult(name, dry_run, False, f"{spec.name}: not found ({exc})",
                                error=f"not found: {exc}")  # fmt: skip

    def client(self, service: str) -> Any:
        env = self._env
        session = boto3.session.Session(
            aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=env.get("AWS_SESSION_TOKEN"),
            region_name=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            profile_name=env.get("AWS_PROFILE"),
        )
        return session.client(service, endpoint_url=env.get("AWS_ENDPOINT_URL"))

    # -- mitigations -----------------------------------------------------------------------

    def _service(self, cluster: str, service: str) -> dict[str, Any]:
        found = self.client("ecs").describe_services(cluster=cluster, services=[service])
        return found["services"][0]  # type: ignore[no-any-return]

    def _ecs_scale(self, p: dict[str, Any], dry: bool) -> ActionResult:
        svc = self._service(p["cluster"], p["service"])
        before, after = (
            {"desired_count": svc["desiredCount"]},
            {"desired_count": p["desired_count"]},
        )
        what = f"{p['cluster']}/{p['service']} desired count {before['desired_count']} → " \
               f"{p['desired_count']}"  # fmt: skip
        if not dry:
            self.client("ecs").update_service(
                cluster=p["cluster"], service=p["service"], desiredCount=p["desired_count"]
            )
        return ActionResult("ecs.scale", dry, True, _would(what, dry), before, after)

    def _ecs_rollback(self, p: dict[str, Any], dry: bool) -> ActionResult:
        ecs = self.client("ecs")
        current = self._service(p["cluster"], p["service"])["taskDefinition"]
        family_rev = current.rsplit("/", 1)[-1]
        family, revision = family_rev.rsplit(":", 1)
        arns = ecs.list_task_definitions(familyPrefix=family, sort="DESC")["taskDefinitionArns"]
        older = [a for a in arns if int(a.rsplit(":", 1)[-1]) < int(revision)]
        if not older:
            why = f"{family_rev} has no earlier revision to roll back to"
            before = {"task_definition": current}
            return ActionResult("ecs.rollback", dry, False, why, before, error=why)
        target = older[0]
        what = f"{p['cluster']}/{p['service']} {family_rev} → {target.rsplit('/', 1)[-1]}"
        if not dry:
            ecs.update_service(cluster=p["cluster"], service=p["service"], taskDefinition=target)
        return ActionResult("ecs.rollback", dry, True, _would(what, dry),
                            {"task_definition": current}, {"task_definition": target})  # fmt: skip

    def _stage(self, p: dict[str, Any]) -> dict[str, Any]:
        found = self.client("apigateway").get_stage(
            restApiId=p["rest_api_id"], stageName=p["stage"]
        )
        return found  # type: ignore[no-any-return]

    def _apigw_throttle(self, p: dict[str, Any], dry: bool) -> ActionResult:
        settings = self._stage(p).get("methodSettings", {}).get("*/*", {})
        before = {"rate": settings.get("throttlingRateLimit"),
                  "burst": settings.get("throttlingBurstLimit")}  # fmt: skip
        after = {"rate": p["rate"], "burst": p["burst"]}
        what = (f"{p['rest_api_id']}/{p['stage']} throttling rate {before['rate']} → {p['rate']}, "
                f"burst {before['burst']} → {p['burst']}")  # fmt: skip
        if not dry:
            ops = [
                {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(p["rate"])},
                {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(p["burst"])},
            ]
            self.client("apigateway").update_stage(
                restApiId=p["rest_api_id"], stageName=p["stage"], patchOperations=ops
            )
        return ActionResult("apigateway.throttle", dry, True, _would(what, dry), before, after)

    def _apigw_cache(self, p: dict[str, Any], dry: bool) -> ActionResult:
        before = {"enabled": bool(self._stage(p).get("cacheClusterEnabled", False))}
        after = {"enabled": p["enabled"]}
        what = (
            f"{p['rest_api_id']}/{p['stage']} cache {_on(before['enabled'])} → {_on(p['enabled'])}"
        )
        if not dry:
            op = {
                "op": "replace",
                "path": "/cacheClusterEnabled",
                "value": str(p["enabled"]).lower(),
            }
            self.client("apigateway").update_stage(
                restApiId=p["rest_api_id"], stageName=p["stage"], patchOperations=[op]
            )
        return ActionResult("apigateway.cache", dry, True, _would(what, dry), before, after)

    def _ssm_switch(self, p: dict[str, Any], dry: bool) -> ActionResult:
        ssm = self.client("ssm")
        current = ssm.get_parameter(Name=p["name"])["Parameter"]
        before = {"value": current["Value"], "type": current["Type"]}
        if current["Type"] == "SecureString":
            before["value"] = "(a SecureString: not recorded)"
        what = f"{p['name']}: {before['value']} → {p['value']}"
        if not dry:
            ssm.put_parameter(Name=p["name"], Value=p["value"], Type=current["Type"],
                              Overwrite=True)  # fmt: skip
        return ActionResult("ssm.switch", dry, True, _would(what, dry), before,
                            {"value": p["value"]})  # fmt: skip

    def _rotate_secret(self, p: dict[str, Any], dry: bool) -> ActionResult:
        """The versions are recorded, never a value: AWSPREVIOUS is the way back."""
        sm = self.client("secretsmanager")
        stages = sm.describe_secret(SecretId=p["secret_id"]).get("VersionIdsToStages", {})
        current = next((v for v, s in stages.items() if "AWSCURRENT" in s), None)
        before = {"current_version": current}
        if dry:
            what = f"would rotate {p['secret_id']} (now version {current})"
            return ActionResult("secretsmanager.rotate", dry, True, what, before)
        made = sm.rotate_secret(SecretId=p["secret_id"], RotateImmediately=True)
        after = {"current_version": made.get("VersionId")}
        what = f"{p['secret_id']} rotated: version {current} → {after['current_version']}"
        return ActionResult("secretsmanager.rotate", dry, True, what, before, after)

    # -- diagnostics -----------------------------------------------------------------------

    def _ecs_deployments(self, p: dict[str, Any], dry: bool) -> ActionResult:
        deployments = self._service(p["cluster"], p["service"]).get("deployments", [])
        rows = [{k: d.get(k) for k in ("status", "taskDefinition", "desiredCount", "runningCount",
                                        "rolloutState")} for d in deployments]  # fmt: skip
        summary = f"{p['cluster']}/{p['service']}: {len(rows)} deployment(s)"
        return ActionResult("ecs.deployments", dry, True, summary, output=_json(rows))

    def _cloudwatch_stats(self, p: dict[str, Any], dry: bool) -> ActionResult:
        end = self._now() + timedelta(minutes=1)  # up to now, whatever the service rounds to
        dims = [
            {"Name": k.strip(), "Value": v.strip()}
            for k, _, v in (d.partition("=") for d in p["dimensions"].split(",") if d.strip())
        ]
        stats = [s.strip() for s in p["statistics"].split(",") if s.strip()]
        found = self.client("cloudwatch").get_metric_statistics(
            Namespace=p["namespace"], MetricName=p["metric"], Dimensions=dims,
            StartTime=end - timedelta(minutes=p["minutes"]), EndTime=end, Period=p["period"],
            Statistics=stats,
        )  # fmt: skip
        points = sorted(found.get("Datapoints", []), key=lambda d: d["Timestamp"])
        rows = [{"at": d["Timestamp"].isoformat(), **{s: d.get(s) for s in stats}} for d in points]
        summary = f"{p['namespace']} {p['metric']}: {len(rows)} datapoint(s) in {p['minutes']} min"
        return ActionResult("cloudwatch.stats", dry, True, summary, output=_json(rows))

    def _logs_filter(self, p: dict[str, Any], dry: bool) -> ActionResult:
        start = self._now() - timedelta(minutes=p["minutes"])
        kwargs: dict[str, Any] = {"logGroupName": p["log_group"], "limit": p["limit"],
                                  "startTime": int(start.timestamp() * 1000)}  # fmt: skip
        if p["pattern"]:
            kwargs["filterPattern"] = p["pattern"]
        events = self.client("logs").filter_log_events(**kwargs).get("events", [])
        lines = [e.get("message", "").rstrip("\n") for e in events]
        summary = f"{p['log_group']}: {len(lines)} event(s) in {p['minutes']} min"
        return ActionResult("logs.filter", dry, True, summary, output="\n".join(lines))

    def _rds_status(self, p: dict[str, Any], dry: bool) -> ActionResult:
        found = self.client("rds").describe_db_instances(DBInstanceIdentifier=p["db_instance"])
        status = found["DBInstances"][0]["DBInstanceStatus"]
        return ActionResult("rds.status", dry, True, f"{p['db_instance']}: {status}",
                            output=status)  # fmt: skip

    def _cloudtrail_events(self, p: dict[str, Any], dry: bool) -> ActionResult:
        """LookupEvents, newest first, a page of at most 50 at a time up to `limit`. It takes
        one lookup attribute: without `lookup`, ReadOnly=false asks for changes only; with
        one, read-only calls are left out here."""
        key, _, value = p["lookup"].partition("=")
        key, value = key.strip(), value.strip()
        why = ""
        if key and (key not in TRAIL_KEYS or not value):
            why = f"lookup={p['lookup']!r}: write one Key=Value, Key one of {', '.join(TRAIL_KEYS)}"
        elif not 1 <= p["limit"] <= MAX_TRAIL_EVENTS:
            why = f"limit={p['limit']}: give 1 to {MAX_TRAIL_EVENTS}"
        if why:
            return ActionResult("cloudtrail.events", dry, False, why, error=why)
        if not key and p["writes_only"]:
            key, value = "ReadOnly", "false"
        end = self._now()
        kwargs: dict[str, Any] = {"StartTime": end - timedelta(minutes=p["minutes"]),
                                  "EndTime": end}  # fmt: skip
        if key:
            kwargs["LookupAttributes"] = [{"AttributeKey": key, "AttributeValue": value}]
        trail, events = self.client("cloudtrail"), list[dict[str, Any]]()
        while len(events) < p["limit"]:
            page = trail.lookup_events(**kwargs, MaxResults=min(50, p["limit"] - len(events)))
            events += page.get("Events", [])
            if not page.get("NextToken"):
                break
            kwargs["NextToken"] = page["NextToken"]
        if p["writes_only"]:
            events = [e for e in events if str(e.get("ReadOnly", "false")).lower() != "true"]
        lines = [_trail_line(e) for e in events[: p["limit"]]]
        writes = " (changes only)" if p["writes_only"] else ""
        summary = f"CloudTrail: {len(lines)} event(s) in {p['minutes']} min{writes}"
        return ActionResult("cloudtrail.events", dry, True, summary, output="\n".join(lines))


MAX_TRAIL_EVENTS = 500
TRAIL_KEYS = ("EventName", "EventSource", "ResourceName", "ResourceType", "Username",
              "AccessKeyId", "EventId", "ReadOnly")  # fmt: skip


def _trail_line(event: dict[str, Any]) -> str:
    """`time  event  source  who  resources`, one line per event."""
    at = event.get("EventTime")
    when = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if isinstance(at, datetime) else "?"
    names = ",".join(r.get("ResourceName", "") for r in event.get("Resources", []) or [])
    return "  ".join((when, event.get("EventName", "?"), event.get("EventSource", "?"),
                      event.get("Username", "?"), names or "-"))  # fmt: skip


def _would(what: str, dry: bool) -> str:
    return f"would change {what}" if dry else what


def _on(value: bool) -> str:
    return "on" if value else "off"


def _json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)
