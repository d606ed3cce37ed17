"""The set-up a fresh machine goes through: which Debian packages `make run` and `make test`
ask apt for, and what each installs into .venv (once, not on every run).

apt-get, pip and the checks run against stubs in a temporary directory: nothing is
installed, and the outcome does not depend on what this machine already has.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "install-system-deps.sh"
BASH = shutil.which("bash") or "/bin/bash"
MAKE = shutil.which("make")


def stub(directory: Path, name: str, body: str) -> None:
    path = directory / name
    path.write_text(f"#!{BASH}\n{body}\n", encoding="utf-8")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


def packages_asked_for(tmp_path: Path, *args: str) -> list[str]:
    """Run the script on a machine with nothing installed; the packages it asks apt for."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    stub(bin_dir, "apt-get", f'echo "$*" >> {log}')
    stub(bin_dir, "id", "echo 0")  # as root: no sudo
    for absent in ("dpkg-query", "ls", "python3", "grep"):
        stub(bin_dir, absent, "exit 1")
    env = {"PATH": str(bin_dir), "HOME": str(tmp_path)}
    done = subprocess.run(
        [BASH, str(SCRIPT), *args], env=env, capture_output=True, text=True, check=False
    )
    assert done.returncode == 1, done.stdout + done.stderr  # still missing: stubs install none
    installs = [line for line in log.read_text().splitlines() if line.startswith("install")]
    assert len(installs) == 1, installs
    return installs[0].split()[3:]  # after: install -y --no-install-recommends


def test_make_run_asks_only_for_what_running_needs(tmp_path: Path) -> None:
    assert packages_asked_for(tmp_path, "--run") == ["python3-venv"]


def test_the_tests_get_chromium_and_what_playwrights_driver_links_against(
    tmp_path: Path,
) -> None:
    asked = packages_asked_for(tmp_path)
    assert set(asked) == {
        "python3-venv",
        "postgresql",
        "chromium",
        "libatomic1",
        "prometheus-alertmanager",
    }


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """The Makefile beside a pyproject.toml, with a .venv whose python only logs pip calls."""
    if MAKE is None:
        pytest.skip("no make")
    shutil.copy(ROOT / "Makefile", tmp_path / "Makefile")
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n", encoding="utf-8")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    stub(bin_dir, "python", f'echo "$*" >> {tmp_path / "pip.log"}')
    return tmp_path


def make(project: Path, target: str) -> list[str]:
    """The pip installs `make target` ran."""
    log = project / "pip.log"
    log.unlink(missing_ok=True)
    env = {**os.environ, "MAKEFLAGS": ""}
    subprocess.run(
        [MAKE or "make", "-s", target], cwd=project, env=env, check=True, capture_output=True
    )
    return log.read_text().splitlines() if log.exists() else []


def test_run_installs_tocsin_without_the_test_extras_once(project: Path) -> None:
    pip = "-m pip install --disable-pip-version-check"
    assert make(project, "run-venv") == [f"{pip} -e ."]
    assert make(project, "run-venv") == []
    assert make(project, "venv") == [f"{pip} -e .[dev]"]
    assert make(project, "venv") == []
    assert make(project, "run-venv") == []  # the dev install covers running


def test_a_changed_pyproject_installs_again(project: Path) -> None:
    pip = "-m pip install --disable-pip-version-check"
    assert make(project, "venv") == [f"{pip} -e .[dev]"]
    earlier = (project / "pyproject.toml").stat().st_mtime - 10
    for stamp in (project / ".venv").glob(".installed-*"):
        os.utime(stamp, (earlier, earlier))  # as if pyproject.toml changed since
    assert make(project, "run-venv") == [f"{pip} -e ."]
    assert make(project, "venv") == [f"{pip} -e .[dev]"]
    assert make(project, "run-venv") == []
