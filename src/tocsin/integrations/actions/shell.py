"""Running a step's command: `bash -c` in a new process group, with a clean environment.

The command is the runbook's own text, run by bash as in a terminal (pipes, `$(date …)`);
the variables reach it as environment variables, never pasted into that text, so a value
holding `; rm -rf /`, `$(…)`, backticks or newlines is only ever data. The environment holds
PATH, HOME and LANG, the AWS chain (`AWS_*`) when this process has it, and the step's own
variables: nothing else of Tocsin's (no database URL, no secret key). At the timeout the
whole process group is sent SIGTERM, then SIGKILL; so is what the step left running in the
background when it ends.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Mapping
from pathlib import Path

from tocsin.core.execution import Execution

DEFAULT_PATH = "/usr/local/bin:/usr/bin:/bin"
KILL_GRACE_S = 2.0
CAPTURE_LIMIT = 8 << 20  # bytes kept of one step's output; the rest is counted, not kept


def clean_environment(environ: Mapping[str, str]) -> dict[str, str]:
    env = {
        "PATH": environ.get("PATH", DEFAULT_PATH),
        "HOME": environ.get("HOME", "/"),
        "LANG": environ.get("LANG", "C.UTF-8"),
    }
    env.update({k: v for k, v in environ.items() if k.startswith("AWS_")})
    return env


class ShellRunner:
    def __init__(
        self,
        environ: Mapping[str, str],
        cwd: Path | None = None,
        shell: str = "bash",
        capture_limit: int = CAPTURE_LIMIT,
    ) -> None:
        self._base = clean_environment(environ)
        self._cwd = cwd
        self._shell = shell
        self._limit = capture_limit

    def run(self, command: str, env: Mapping[str, str], timeout_s: float) -> Execution:
        started = time.monotonic()
        try:
            proc = subprocess.Popen(  # noqa: S603 - the runbook's own command, by design
                [self._shell, "-c", command],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                env={**self._base, **env},
                cwd=self._cwd if self._cwd and self._cwd.is_dir() else None,
                start_new_session=True,  # its own process group, killed as one
            )
        except OSError as exc:
            return Execution(None, f"could not start {self._shell}: {exc}", 0)
        kept = bytearray()
        total = [0]
        reader = threading.Thread(target=self._read, args=(proc, kept, total), daemon=True)
        reader.start()
        timed_out = False
        try:
            proc.wait(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=KILL_GRACE_S)
            except subprocess.TimeoutExpired:
                _kill_group(proc.pid, signal.SIGKILL)
                proc.wait()
        _kill_group(proc.pid, signal.SIGKILL)  # what it left behind holds the pipe open
        reader.join(timeout=KILL_GRACE_S)
        duration = int((time.monotonic() - started) * 1000)
        output = kept.decode("utf-8", errors="replace")
        if timed_out:
            output += f"\n[killed after {timeout_s:g} s: the step's timeout]"
        code = None if timed_out else proc.returncode
        return Execution(code, output, duration, timed_out, total[0])

    def _read(self, proc: subprocess.Popen[bytes], kept: bytearray, total: list[int]) -> None:
        assert proc.stdout is not None  # noqa: S101 - PIPE
        fd = proc.stdout.fileno()
        with proc.stdout:
            while chunk := os.read(fd, 65536):
                total[0] += len(chunk)
                room = self._limit - len(kept)
                if room > 0:
                    kept += chunk[:room]


def _kill_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


class LocalProcesses:
    """Which process runs a step, as `host:pid`, and whether one on this host is still there
    (another host's: None, this host cannot tell)."""

    def __init__(self) -> None:
        self._host = socket.gethostname()

    def me(self) -> str:
        return f"{self._host}:{os.getpid()}"

    def alive(self, runner: str) -> bool | None:
        host, _, pid = runner.rpartition(":")
        if host != self._host or not pid.isdigit():
            return None
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            return False
        except PermissionError:  # there, another user's
            return True
        return True
