"""Running one CLI command locally and then through a server, and comparing the answers:
what the remote CLI's "answers as the local one" tests share."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import Cli, Ran
from tests.e2e.remote_server import Server

VIA = " via token:ci"
Both = Callable[..., tuple[Ran, Ran]]

_ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z")
_SHOWN_TIME = re.compile(r"(?:\d{4}-)?\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?(?: UTC)?")


def point_at(monkeypatch: pytest.MonkeyPatch, url: str, token: str | None) -> None:
    monkeypatch.setenv("TOCSIN_URL", url)
    if token is None:
        monkeypatch.delenv("TOCSIN_TOKEN", raising=False)
    else:
        monkeypatch.setenv("TOCSIN_TOKEN", token)


def normalised(value: Any) -> Any:
    """Times become <t>; the token behind an actor (alice via token:ci) is dropped."""
    if isinstance(value, str):
        return _SHOWN_TIME.sub("<t>", _ISO.sub("<t>", value)).replace(VIA, "")
    if isinstance(value, dict):
        return {k: normalised(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalised(v) for v in value]
    return value


def local_and_remote(
    server: Server,
    bare_cli: Cli,
    project: Path,
    monkeypatch: pytest.MonkeyPatch,
    config: str | None = None,
) -> Both:
    """Runs a command on a local project (its config under local/: `config`, or what
    `tocsin init` writes), then on the server as a responder."""
    token = server.token("ci", "responder")
    (project / "local").mkdir()
    monkeypatch.setenv("TOCSIN_CONFIG", str(project / "local" / "tocsin.yaml"))
    if config is None:
        assert bare_cli("init").code == 0
    else:
        (project / "local" / "tocsin.yaml").write_text(config, encoding="utf-8")

    def run(*args: str, json: bool = True) -> tuple[Ran, Ran]:
        monkeypatch.delenv("TOCSIN_URL", raising=False)
        local = bare_cli(*args, json=json)
        point_at(monkeypatch, server.url, token)
        return local, bare_cli(*args, json=json)

    return run


def answers_alike(both: Both, script: Iterable[tuple[str, ...]]) -> list[int]:
    """Each command's exit code and JSON answer, remote as local; the exit codes."""
    codes = []
    for args in script:
        local, remote = both(*args)
        assert remote.code == local.code, (args, local, remote)
        assert normalised(remote.out) == normalised(local.out), args
        codes.append(remote.code)
    return codes
