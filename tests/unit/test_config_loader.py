"""Loading tocsin.yaml: every problem names its line, its field and a way to fix it."""

from __future__ import annotations

import textwrap
from datetime import timedelta
from pathlib import Path

import pytest

from tocsin.config import ConfigError, ConfigProblem, find_config_path, load_config

MINIMAL = """\
version: 1
severities:
  - key: P1
    label: Critical
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tocsin.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[ConfigProblem]:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.path == path
    return caught.value.problems


def only_problem(tmp_path: Path, text: str) -> ConfigProblem:
    [problem] = problems(tmp_path, text)
    return problem


def test_a_minimal_file_loads(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, MINIMAL))
    assert config.severity_model().keys == ["P1"]
    assert config.organization == "My team"


def test_an_unknown_key_names_its_line_and_the_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "    colour: red\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}:5: severities[0]: unknown key 'colour'; allowed: key, label, emoji, "
        "description, examples, response_target, update_every, postmortem, paging"
    )


def test_a_misspelt_key_gets_a_suggestion(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "databse:\n  url: sqlite://\n")
    assert problem == ConfigProblem(
        5,
        "",
        "unknown key 'databse' (did you mean 'database'?); allowed: version, organization, "
        "severities, default_severity, services, people, schedules, channels, messages, templates, "
        "database, integrations, routing, escalation, notifiers, runbooks, postmortem, trackers, "
        "server, insights",
    )


def test_a_bad_duration_names_line_field_and_fix(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL + "    response_target: fast\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == (
        f"{path}:5: severities[0].response_target: invalid duration 'fast': "
        "use a number followed by s, m, h or d, e.g. 15m or 1h30m"
    )


def test_a_duplicate_severity_key_points_at_the_second_one(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "  - key: p1\n    label: Again\n")
    assert (problem.line, problem.field) == (5, "severities[1].key")
    assert "duplicate severity key 'p1': severities[0] already uses it" in problem.message


def test_a_duplicate_yaml_key_names_both_lines(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "    label: Twice\n")
    assert problem == ConfigProblem(
        5, "severities[0]", "duplicate key 'label': first on line 4, again on line 5"
    )


def test_every_duplicate_yaml_key_is_reported(tmp_path: Path) -> None:
    found = problems(tmp_path, MINIMAL + "version: 1\norganization: a\norganization: b\n")
    assert [(p.line, p.message[:26]) for p in found] == [
        (5, "duplicate key 'version': f"),
        (7, "duplicate key 'organizatio"),
    ]


def test_a_bad_time_zone_suggests_a_real_one(tmp_path: Path) -> None:
    text = MINIMAL + "people:\n  - handle: ann\n    name: Ann\n    timezone: CET+1\n"
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.field) == (8, "people[0].timezone")
    assert "unknown time zone 'CET+1'" in problem.message
    assert "Europe/Berlin" in problem.message


def test_default_severity_must_be_a_key(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "default_severity: P3\n")
    assert problem == ConfigProblem(
        5, "default_severity", "default_severity 'P3' is not one of the severities: P1"
    )


def test_a_yaml_syntax_error_has_its_line(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "  - key: [P2\n    label: x\n")
    assert problem.line == 6
    assert problem.message.startswith("invalid YAML: ")


def test_a_tab_indent_gets_a_hint(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "severities:\n  - key: P1\n\tlabel: x\n")
    assert problem.line == 3
    assert problem.message.endswith("indent with spaces, not tabs")


def test_a_control_character_is_reported_with_its_line(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "organization: a\x1bb\n")
    assert problem == ConfigProblem(
        5, "", "invalid YAML: control character U+001B is not allowed; delete it"
    )


def test_a_key_yaml_reads_as_a_boolean_asks_for_quotes(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "    on: true\n")
    assert problem == ConfigProblem(5, "severities[0]", "key True is not text; put it in quotes")


def test_a_folded_template_error_points_at_its_key(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "templates:\n  update: >\n    a\n    {{ b\n")
    assert (problem.line, problem.field) == (6, "templates.update")


def test_a_key_left_empty_says_so(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "services:\n")
    assert problem == ConfigProblem(
        5, "services", "Input should be a valid list (got an empty value)"
    )


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_an_empty_file_says_what_to_do(tmp_path: Path, text: str) -> None:
    problem = only_problem(tmp_path, text)
    assert problem.message.startswith("the file is empty; run `tocsin init`")


def test_the_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "- P1\n- P2\n")
    assert problem.message == (
        "the top level must be a mapping of keys (version, severities, ...), not a list"
    )


def test_a_missing_file_says_how_to_get_one(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "tocsin.yaml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.problems == [
        ConfigProblem(
            None,
            "",
            f"no config file at {path}; run `tocsin init` to write one, or set TOCSIN_CONFIG",
        )
    ]


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_bytes(MINIMAL.encode() + b"organization: caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path)


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "tocsin.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_config(path).severities[0].key == "P1"


def test_a_bad_template_points_at_the_line_inside_the_block(tmp_path: Path) -> None:
    text = (
        MINIMAL + "templates:\n  announcement: |\n    Hello {{ incident.title }}\n    {{ oops }\n"
    )
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.field) == (8, "templates.announcement")
    assert "line 2 of the template" in problem.message


def test_an_unknown_channel_type_lists_the_types(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "channels:\n  - name: chat\n    type: teams\n")
    assert problem == ConfigProblem(
        7,
        "channels[0].type",
        "unknown type 'teams'; allowed types: slack, telegram, email, webhook",
    )


def test_a_channel_without_type_lists_the_types(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "channels:\n  - name: chat\n")
    assert (problem.line, problem.field) == (6, "channels[0].type")
    assert problem.message == "missing key 'type'; allowed types: slack, telegram, email, webhook"


def test_errors_inside_a_channel_drop_the_type_tag(tmp_path: Path) -> None:
    text = MINIMAL + "channels:\n  - name: chat\n    type: email\n    from: a@example.com\n"
    text += "    to: [b@example.com]\n    smtp_host: smtp\n    port: 587\n"
    problem = only_problem(tmp_path, text)
    assert (problem.line, problem.field) == (11, "channels[0]")
    assert problem.message.startswith("unknown key 'port' (did you mean 'smtp_port'?); allowed:")
    assert "from, smtp_host, smtp_port" in problem.message


def test_a_missing_key_points_at_its_parent(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, "version: 1\nseverities:\n  - key: P1\n")
    assert problem == ConfigProblem(3, "severities[0]", "missing required key 'label'")


def test_a_wrong_choice_shows_what_was_given(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "database:\n  sqlite_synchronous: normal\n")
    assert problem == ConfigProblem(
        6, "database.sqlite_synchronous", "Input should be 'NORMAL' or 'FULL' (got 'normal')"
    )


def test_all_problems_come_back_in_file_order(tmp_path: Path) -> None:
    text = (
        MINIMAL.replace("version: 1", "version: 2") + "    update_every: soon\norganization: [a]\n"
    )
    found = problems(tmp_path, text)
    assert [(p.line, p.field) for p in found] == [
        (1, "version"),
        (5, "severities[0].update_every"),
        (6, "organization"),
    ]


def test_yaml_anchors_and_merge_keys_work(tmp_path: Path) -> None:
    text = """\
    severities:
      - &p1 {key: P1, label: Critical, response_target: 5m}
      - <<: *p1
        key: P2
    """
    config = load_config(write(tmp_path, text))
    assert [(s.key, s.label) for s in config.severities] == [("P1", "Critical"), ("P2", "Critical")]
    assert config.severities[1].response_target == timedelta(minutes=5)


def test_a_recursive_alias_is_an_error_not_a_hang(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "organization: &x [*x]\n")
    assert (problem.line, problem.field) == (5, "organization")


def test_unsafe_tags_are_refused(tmp_path: Path) -> None:
    problem = only_problem(tmp_path, MINIMAL + "organization: !!python/name:os.system\n")
    assert problem.line == 5
    assert "invalid YAML" in problem.message


def test_find_config_path_prefers_the_environment(tmp_path: Path) -> None:
    assert find_config_path({}, tmp_path) == tmp_path / "tocsin.yaml"
    assert find_config_path({"TOCSIN_CONFIG": "  "}, tmp_path) == tmp_path / "tocsin.yaml"
    assert find_config_path({"TOCSIN_CONFIG": "ops/t.yaml"}, tmp_path) == tmp_path / "ops/t.yaml"
    absolute = tmp_path / "elsewhere.yaml"
    assert find_config_path({"TOCSIN_CONFIG": str(absolute)}, Path("/")) == absolute
