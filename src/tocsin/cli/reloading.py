"""`tocsin reload`: apply tocsin.yaml to the running server and workers without a restart.

With TOCSIN_URL set it asks that server (`POST /api/v1/admin/reload`, an admin token), which
answers with the file's problems if it refuses it. Locally it checks the file first (the
same problems, exit 1, nothing signalled), then sends SIGHUP to every `tocsin serve` and
`tocsin worker` started from this tocsin.yaml: each writes `.tocsin/run/KIND-PID.pid` beside
it while it runs (`pid_file`)."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import typer

from tocsin import bootstrap
from tocsin.cli.common import JsonOpt, handled, out, print_json
from tocsin.cli.remote import settings_from
from tocsin.cli.remote_http import Api
from tocsin.config import ConfigError, find_config_path, load_config
from tocsin.core.errors import NotFound

commands = typer.Typer()


def run_dir(config_path: Path) -> Path:
    return config_path.resolve().parent / ".tocsin" / "run"


@contextmanager
def pid_file(config_path: Path, kind: str) -> Iterator[Path]:
    """`.tocsin/run/KIND-PID.pid` while the block runs, so `tocsin reload` finds this process."""
    path = run_dir(config_path) / f"{kind}-{os.getpid()}.pid"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{os.getpid()}\n", encoding="utf-8")
    try:
        yield path
    finally:
        with suppress(FileNotFoundError):
            path.unlink()


def running(config_path: Path) -> list[tuple[str, int]]:
    """(kind, pid) of each process with a pid file that is still a live tocsin; a stale file
    (the process was killed) is removed."""
    found = []
    folder = run_dir(config_path)
    for entry in sorted(folder.glob("*.pid")) if folder.is_dir() else []:
        kind, _, pid_text = entry.stem.rpartition("-")
        pid = int(pid_text) if pid_text.isdigit() else 0
        if pid and _is_tocsin(pid):
            found.append((kind, pid))
        else:
            with suppress(FileNotFoundError):
                entry.unlink()
    return found


def _is_tocsin(pid: int) -> bool:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"tocsin" in command


@commands.command()
@handled
def reload(as_json: JsonOpt = False) -> None:
    """Apply tocsin.yaml to the running `tocsin serve` and `tocsin worker` processes without
    a restart. A file with problems is refused, and the running ones keep the old one."""
    settings = settings_from(os.environ)
    if settings is not None:
        api = Api(settings.url, settings.token)
        try:
            answer = api.post("/admin/reload", {})
        finally:
            api.close()
        if as_json:
            print_json(answer)
            return
        later = answer.get("restart_needed") or []
        note = f" (at the next restart: {', '.join(later)})" if later else ""
        out.print(f"[green]✔[/green] {settings.url} reloaded {answer['config']}{note}")
        return
    path = find_config_path(os.environ, Path.cwd())
    config = load_config(path)
    problems = bootstrap.template_problems(config)
    if problems:
        raise ConfigError(path, problems)
    processes = running(path)
    if not processes:
        raise NotFound(
            f"no running tocsin serve or tocsin worker for {path}; the file is valid and "
            "applies when one starts"
        )
    for _kind, pid in processes:
        os.kill(pid, signal.SIGHUP)
    if as_json:
        listed = [{"kind": kind, "pid": pid} for kind, pid in processes]
        print_json({"config": str(path), "signalled": listed})
        return
    names = ", ".join(f"tocsin {kind} (pid {pid})" for kind, pid in processes)
    out.print(f"[green]✔[/green] {path} is valid; asked {names} to reload it (see their logs)")
