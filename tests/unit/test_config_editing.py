"""Editing tocsin.yaml in place: comments, order, quotes and spacing survive; a change that
would break the file, or a file that changed under the edit, leaves it as it was."""

from __future__ import annotations

import difflib
import os
import textwrap
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml.comments import CommentedMap

from tocsin.config import PRESETS, ConfigError, load_config, render_preset
from tocsin.config import editing as editing_module
from tocsin.config.changes import add_integration
from tocsin.config.editing import ConfigChanged, edit_config, file_digest
from tocsin.config.roundtrip import RoundTrip, add_item, scalar
from tocsin.core.errors import InvalidInput

SEVERITIES = """\
severities:
  - key: P1
    label: Critical
"""


def write(tmp_path: Path, text: str, name: str = "tocsin.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(textwrap.dedent(text).encode("utf-8"))
    return path


def added(before: str, after: str) -> list[str]:
    """The lines `after` adds to `before`; fails if it removes or changes any."""
    diff = list(difflib.ndiff(before.splitlines(), after.splitlines()))
    assert [line for line in diff if line.startswith("- ")] == []
    return [line[2:] for line in diff if line.startswith("+ ")]


def refused(path: Path, change: Callable[[CommentedMap], None], **kw: Any) -> ConfigError:
    """Run an edit that must be refused; check the file kept its bytes, inode and folder."""
    before, inode, listing = path.read_bytes(), path.stat().st_ino, sorted(path.parent.iterdir())
    with pytest.raises(ConfigError) as caught:
        edit_config(path, change, **kw)
    assert path.read_bytes() == before
    assert path.stat().st_ino == inode
    assert sorted(path.parent.iterdir()) == listing  # no temporary file left behind
    assert caught.value.path == path
    return caught.value


def test_integration_add_keeps_comments_key_order_quotes_and_flow_style(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """\
        # Top of the file: who owns this.
        # A second line.

        version: 1  # the format
        organization: 'Acme, Inc.'  # single quotes stay single
        severities:
          - key: P1
            label: "Critical"  # double quotes stay double
            postmortem: {required: true, due_within: 48h}

        # Storage, between two sections.
        database:
          sqlite_synchronous: NORMAL  # inline
        """,
    )
    before = path.read_text(encoding="utf-8")
    config = edit_config(path, add_integration("prod-am", "alertmanager"))
    after = path.read_text(encoding="utf-8")
    assert added(before, after) == [
        "",
        "integrations:",
        "  - name: prod-am",
        "    source: alertmanager",
    ]
    assert after.startswith(before)  # appended below everything, nothing reordered
    assert config.integration("prod-am") is not None
    assert load_config(path) == config


@pytest.mark.parametrize("preset", PRESETS)
def test_every_preset_is_written_back_byte_for_byte_and_only_gains_the_entry(
    tmp_path: Path, preset: str
) -> None:
    path = write(tmp_path, render_preset(preset, "Zoë's Team"))
    before = path.read_bytes()
    edit_config(path, lambda document: None)
    assert path.read_bytes() == before
    edit_config(path, add_integration("grafana", "grafana"))
    edit_config(path, add_integration("am", "alertmanager"))
    assert added(before.decode(), path.read_text(encoding="utf-8")) == [
        "",
        "integrations:",
        "  - name: grafana",
        "    source: grafana",
        "  - name: am",
        "    source: alertmanager",
    ]


def test_a_new_item_goes_above_the_comment_that_heads_the_next_section(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        SEVERITIES
        + """\
integrations:
  - name: old
    source: generic  # kept on its line

# Routing: heads the next section and stays with it.
routing:
  routes: []
""",
    )
    edit_config(path, add_integration("new", "grafana"))
    assert path.read_text(encoding="utf-8") == SEVERITIES + (
        """\
integrations:
  - name: old
    source: generic  # kept on its line
  - name: new
    source: grafana

# Routing: heads the next section and stays with it.
routing:
  routes: []
"""
    )


def test_an_empty_list_is_filled_where_it_stands(tmp_path: Path) -> None:
    path = write(tmp_path, f"integrations: []  # none yet\n\n# next up\n{SEVERITIES}")
    edit_config(path, add_integration("am", "alertmanager"))
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith("integrations:")
    assert lines[0].endswith("# none yet")
    assert lines[1:5] == ["  - name: am", "    source: alertmanager", "", "# next up"]
    assert path.read_text(encoding="utf-8").endswith(SEVERITIES)


def test_a_null_key_is_filled_keeping_its_comment_on_its_line() -> None:
    trip = RoundTrip("people:  # none yet\n# next up\nteams: 1\n")
    add_item(trip.document, "people", CommentedMap([("handle", scalar("no"))]))
    assert trip.text() == "people:  # none yet\n  - handle: 'no'\n# next up\nteams: 1\n"


@pytest.mark.parametrize("word", ["on", "no", "null", "true", "123", "0x1f", "1_000"])
def test_a_word_the_loader_would_read_as_another_type_is_quoted(tmp_path: Path, word: str) -> None:
    """YAML 1.1 (the loader) reads bare `on` as true; the entry must read back as the name."""
    path = write(tmp_path, SEVERITIES)
    config = edit_config(path, add_integration(word, "generic"))
    assert f"  - name: '{word}'\n" in path.read_text(encoding="utf-8")
    assert [i.name for i in config.integrations] == [word]


def test_an_edit_that_would_make_the_file_invalid_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "# keep me\n" + SEVERITIES)
    error = refused(path, add_integration("Bad Name", "generic"))
    assert str(error).startswith(f"{path}: not changed: the edit would make it invalid\n")
    assert f"{path}: integrations[0].name: " in str(error)
    assert all(problem.line is None for problem in error.problems)  # no line of a file unwritten

    def drop_severities(document: CommentedMap) -> None:
        del document["severities"]

    assert "severities" in str(refused(path, drop_severities))


def test_a_change_that_raises_writes_nothing(tmp_path: Path) -> None:
    path = write(tmp_path, SEVERITIES + "integrations:\n  - name: am\n    source: generic\n")
    with pytest.raises(InvalidInput, match="integration am is already in tocsin.yaml"):
        edit_config(path, add_integration("am", "grafana"))
    assert path.read_text(encoding="utf-8").count("name: am") == 1


def test_a_file_that_does_not_load_is_refused_with_its_own_line(tmp_path: Path) -> None:
    path = write(tmp_path, SEVERITIES + "colour: blue\n")
    error = refused(path, add_integration("am", "alertmanager"))
    [problem] = error.problems
    assert (problem.line, "colour" in problem.message) == (4, True)


def test_a_file_written_back_with_another_meaning_is_refused(tmp_path: Path) -> None:
    """ruamel reads YAML 1.2 and rewrites the string 0e3 as 0e0; the loader would see it."""
    path = write(tmp_path, SEVERITIES + "organization: 0e3\n")
    error = refused(path, add_integration("am", "alertmanager"))
    assert [p.field for p in error.problems] == ["organization"]
    assert "writing the file back would change this value" in str(error)


def rewrite_in_place(path: Path, text: bytes) -> None:
    with path.open("r+b") as handle:
        handle.write(text)


def save_by_rename(path: Path, text: bytes) -> None:  # as most editors save
    (path.parent / "swap").write_bytes(text)
    os.replace(path.parent / "swap", path)


@pytest.mark.parametrize("other_writer", [rewrite_in_place, save_by_rename])
def test_a_file_changed_during_the_edit_is_refused_and_left_as_the_other_writer_left_it(
    tmp_path: Path, other_writer: Callable[[Path, bytes], None]
) -> None:
    path = write(tmp_path, SEVERITIES)
    theirs = SEVERITIES.replace("Critical", "Hand-edited").encode()
    change = add_integration("am", "alertmanager")

    def edited_meanwhile(document: CommentedMap) -> None:
        change(document)
        other_writer(path, theirs)

    with pytest.raises(ConfigChanged) as caught:
        edit_config(path, edited_meanwhile)
    assert str(caught.value) == (
        f"{path}: not changed: the file changed while it was being edited; "
        "look at it and run the command again"
    )
    assert path.read_bytes() == theirs
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tocsin.yaml"]


def test_a_digest_taken_before_a_change_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, SEVERITIES)
    digest = file_digest(path)
    path.write_text(SEVERITIES + "organization: Changed\n", encoding="utf-8")
    error = refused(path, add_integration("am", "alertmanager"), expected_digest=digest)
    assert isinstance(error, ConfigChanged)
    assert "changed since it was read" in str(error)
    edit_config(path, add_integration("am", "alertmanager"), expected_digest=file_digest(path))
    assert load_config(path).integration("am") is not None


def test_editors_running_at_once_all_land(tmp_path: Path) -> None:
    path = write(tmp_path, SEVERITIES)
    names = [f"source-{n}" for n in range(6)]
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        list(pool.map(lambda name: edit_config(path, add_integration(name, "generic")), names))
    assert sorted(i.name for i in load_config(path).integrations) == names


def test_an_editor_that_waited_for_the_lock_reads_the_file_the_other_one_wrote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file is replaced between opening it and getting the lock: read it again."""
    path = write(tmp_path, SEVERITIES)
    real_flock, calls = editing_module.fcntl.flock, []

    def flock(fd: int, operation: int) -> None:
        calls.append(fd)
        if len(calls) == 1:  # another editor finishes while this one waits
            edit_config(path, add_integration("first", "generic"))
        real_flock(fd, operation)

    monkeypatch.setattr(editing_module.fcntl, "flock", flock)
    edit_config(path, add_integration("second", "generic"))
    assert [i.name for i in load_config(path).integrations] == ["first", "second"]
    assert len(calls) == 3  # the waiting editor, the other one, the waiting one again


def test_non_ascii_text_line_endings_and_bom_survive(tmp_path: Path) -> None:
    text = (
        "# Équipe d'astreinte — 当番 🔔\r\n"
        'organization: "Zoë & Søren 🚒"  # ünïcode\r\n' + SEVERITIES.replace("\n", "\r\n")
    )
    path = tmp_path / "tocsin.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    edit_config(path, add_integration("am", "alertmanager"))
    assert path.read_bytes() == b"\xef\xbb\xbf" + (
        text + "\r\nintegrations:\r\n  - name: am\r\n    source: alertmanager\r\n"
    ).encode("utf-8")
    assert load_config(path).organization == "Zoë & Søren 🚒"


def test_tabs_and_odd_indentation_round_trip(tmp_path: Path) -> None:
    """Three-space mappings, dashes flush with their key, tabs in comments and a block."""
    text = (
        "#\tTabbed\tcomment\n"
        "severities:\n"
        "- key: P1\n"
        "  label: Critical  # a\ttabbed comment\n"
        "  postmortem:\n"
        "     required: true\n"
        "templates:\n"
        "   announcement: |\n"
        "      🚨 {{ incident.title }}\n"
        "      \tindented with a tab\n"
        "integrations:\n"
        "- name: old\n"
        "  source: generic\n"
    )
    path = tmp_path / "tocsin.yaml"
    path.write_bytes(text.encode("utf-8"))
    edit_config(path, lambda document: None)
    assert path.read_bytes() == text.encode("utf-8")
    config = edit_config(path, add_integration("new", "grafana"))
    assert path.read_text(encoding="utf-8") == text + "- name: new\n  source: grafana\n"
    assert config.templates.announcement == "🚨 {{ incident.title }}\n\tindented with a tab\n"


def test_comments_above_a_document_start_survive(tmp_path: Path) -> None:
    path = write(tmp_path, "# owned by the SRE team\n---\n" + SEVERITIES)
    edit_config(path, add_integration("am", "alertmanager"))
    assert path.read_text(encoding="utf-8").startswith("# owned by the SRE team\n---\nseverities:")


def test_mode_and_symlink_are_kept(tmp_path: Path) -> None:
    real = write(tmp_path, SEVERITIES, "real.yaml")
    real.chmod(0o640)
    link = tmp_path / "tocsin.yaml"
    link.symlink_to(real.name)
    edit_config(link, add_integration("am", "alertmanager"))
    assert link.is_symlink()
    assert (real.stat().st_mode & 0o777) == 0o640
    assert load_config(real).integration("am") is not None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["real.yaml", "tocsin.yaml"]


def test_a_missing_file_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no config file at .*run `tocsin init`"):
        edit_config(tmp_path / "tocsin.yaml", add_integration("am", "alertmanager"))
