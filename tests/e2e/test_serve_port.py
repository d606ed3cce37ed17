"""`tocsin serve` on a busy port says so in one line, with the fix, before starting."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from tocsin.config import render_preset


def test_a_busy_port_is_one_line_with_the_fix(tmp_path: Path) -> None:
    config = tmp_path / "tocsin.yaml"
    config.write_text(render_preset("p1-p4"), encoding="utf-8")
    env = {**os.environ, "TOCSIN_CONFIG": str(config), "TOCSIN_DATABASE_URL": ""}
    env.pop("TOCSIN_URL", None)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "tocsin", "serve", "--port", str(port)],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        env["TOCSIN_PORT"] = str(port)
        by_env = subprocess.run(
            [sys.executable, "-m", "tocsin", "serve"],
            env=env, capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
    for result in (done, by_env):
        assert result.returncode == 2, result.stderr
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert len(lines) == 1, result.stderr
        assert f"port {port} on 127.0.0.1 is in use" in lines[0]
        assert f"--port {port + 1}" in lines[0]
    assert not (tmp_path / ".tocsin").exists() or not list((tmp_path / ".tocsin").glob("*.db"))
