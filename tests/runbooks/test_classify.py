"""Diagnostic or mitigation: unmarked steps judged by what their commands do."""

from __future__ import annotations

import pytest

from tocsin.core.classify import classify


@pytest.mark.parametrize(
    "snippet",
    [
        "aws ecs describe-services --cluster c --services s",
        "aws logs tail /aws/ecs/x --since 30m",
        "aws logs filter-log-events --log-group-name g --filter-pattern ERROR",
        "aws cloudwatch get-metric-statistics --namespace N",
        "aws --region eu-west-1 ecs list-services --cluster c",
        "curl https://example.com/health",
        "curl -s -I https://example.com",
        "git log --oneline --since='2 hours ago'",
        "kubectl get pods -n prod | grep -v Running",
        "watch -n 5 'aws cloudwatch get-metric-statistics --namespace N'",
        "sed -n 1,5p file.log",
        "echo hi >/dev/null",
    ],
)
def test_reads(snippet: str) -> None:
    verdict = classify(snippet)
    assert not verdict.changes, verdict.reason
    assert verdict.reason.startswith("reads only")


@pytest.mark.parametrize(
    ("snippet", "why"),
    [
        ("aws ecs update-service --cluster c --desired-count 10", "aws ecs update-service"),
        ("aws application-autoscaling put-scaling-policy --policy-name p", "put-scaling-policy"),
        ("aws apigateway update-stage --rest-api-id x", "update-stage"),
        ("curl -X POST https://api/admin/features -d '{}'", "POST"),
        ("curl --request DELETE https://api/x", "DELETE"),
        ("curl -d 'a=1' https://api/x", "POST"),
        ("sudo systemctl restart nginx", "systemctl restart"),
        ("kill -9 1234", "kill"),
        ("rm -rf /tmp/cache", "rm"),
        ("# Connect to DB and run: SHOW PROCESSLIST; KILL [process_id];", "KILL"),
        ("./scripts/health-check.sh production", "unknown command ./scripts/health-check.sh"),
        ("git push origin main", "git push"),
        ("echo on > /etc/flag", "writes a file"),
        ("sed -i s/a/b/ conf", "sed -i"),
        ("timeout 5 kubectl delete pod x", "kubectl delete"),
    ],
)
def test_changes_and_the_reason_names_the_command(snippet: str, why: str) -> None:
    verdict = classify(snippet)
    assert verdict.changes
    assert why in verdict.reason


def test_one_change_among_reads_makes_the_step_a_mitigation_and_says_which_line() -> None:
    snippet = "aws ecs describe-services --cluster c\n\naws ecs update-service --cluster c"
    verdict = classify(snippet)
    assert verdict.changes
    assert verdict.reason == "aws ecs update-service changes AWS (line 3)"
