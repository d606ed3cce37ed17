"""The shell reader: variables a step needs, what it sets, its commands, what breaks it."""

from __future__ import annotations

import pytest

from tocsin.core.shell import scan


@pytest.mark.parametrize(
    ("snippet", "needs"),
    [
        ("aws apigateway update-stage --rest-api-id $API_ID", ("API_ID",)),
        ('curl -H "Authorization: Bearer ${ADMIN_TOKEN}" x', ("ADMIN_TOKEN",)),
        ("echo ${REGION:-$FALLBACK}", ("REGION", "FALLBACK")),
        ("echo '$NOT_EXPANDED' $YES", ("YES",)),
        ("# uses $IN_COMMENT\necho hi", ()),
        ("X=1\necho $X $Y", ("Y",)),
        ("export A=1; read -r B; for C in 1 2; do echo $A $B $C $D; done", ("D",)),
        ("echo $1 $@ $? $$ $HOME $PATH", ()),
        ('echo "$(date -d "$WHEN" +%s)"', ("WHEN",)),
        ("echo `cat $FILE`", ("FILE",)),
        ("cat <<EOF\nvalue $INSIDE\nEOF\necho $AFTER", ("INSIDE", "AFTER")),
        ("cat <<'EOF'\nvalue $QUOTED\nEOF", ()),
        ("echo $((1 + 2)) $N", ("N",)),
    ],
)
def test_variables_are_those_bash_would_expand_and_nobody_set(
    snippet: str, needs: tuple[str, ...]
) -> None:
    assert scan(snippet).variables == needs


def test_commands_come_with_their_line_and_nested_ones_are_found() -> None:
    found = scan("aws ecs describe-services \\\n  --cluster c\nkubectl get pods | grep $(whoami)")
    programs = [(c.words[0], c.line) for c in found.commands]
    assert ("aws", 0) in programs
    assert ("kubectl", 2) in programs
    assert ("whoami", 2) in programs
    assert found.commands[0].words[:3] == ("aws", "ecs", "describe-services")


def test_redirections_to_files_are_writes_but_not_to_dev_null_or_a_descriptor() -> None:
    assert scan("echo x > /etc/motd").writes == [(0, "/etc/motd")]
    assert scan("echo x >/dev/null 2>&1").writes == []


@pytest.mark.parametrize(
    ("snippet", "problem"),
    [
        ("echo 'open", "single quote"),
        ('echo "open', "double quote"),
        ("echo $(date", "never closed"),
        ("echo ${X", "${ is never closed"),
        ("echo `date", "never closed"),
        ("cat <<EOF\nno end", "here-document EOF never ends"),
    ],
)
def test_what_does_not_parse_is_reported(snippet: str, problem: str) -> None:
    problems = scan(snippet).problems
    assert problems, snippet
    assert problem in problems[0][1]


def test_a_sound_snippet_has_no_problems() -> None:
    assert scan("echo \"it's fine\" 'really' $(date +%s) `id`").problems == []
