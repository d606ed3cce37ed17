"""Which Tocsin a benchmark serves: this checkout's `src/`, and others beside it.

    run.py --tocsin-src before=/work/wt-before        # [LABEL=]DIR, repeatable

A benchmark serves this checkout's code by default (its `src/` first on PYTHONPATH, so a
worktree is measured even though the shared venv's editable install points elsewhere).
Each `--tocsin-src` adds a checkout (a git work tree with `src/tocsin`, or a directory
holding `tocsin/`) whose servers run the same way with that `src/` instead. The harness
itself (load generator, serve script) stays this checkout's, so the same load is measured
against both versions in the same run; only the api_latency seed is the checkout's own when
it has one (`seeder`), so that rows are built by code that matches that `src/`.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
THIS_LABEL = "this"


@dataclass(frozen=True, slots=True)
class Checkout:
    label: str
    src: Path
    """The directory that holds the `tocsin` package: first on the servers' PYTHONPATH."""

    @property
    def root(self) -> Path:
        return self.src.parent if self.src.name == "src" else self.src

    @property
    def seeder(self) -> Path:
        """Where `bench.api_latency.seed` comes from: this checkout's own if it has one,
        else the harness's."""
        own = self.root / "bench" / "api_latency" / "seed.py"
        return self.root if own.is_file() else ROOT

    def env(self, base: Mapping[str, str] | None = None, *, bench: bool = False) -> dict[str, str]:
        """`base` (the environment) with PYTHONPATH set to this checkout's src (then, with
        `bench`, the root `bench.api_latency.seed` comes from); an inherited PYTHONPATH is
        dropped."""
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join([str(self.src), *([str(self.seeder)] if bench else [])])
        return env

    def python(self, code: str, *args: str, bench: bool = False, what: str = "") -> str:
        """Run `code` with this checkout's tocsin (and its seed, with `bench`); its stdout."""
        done = subprocess.run(  # noqa: S603 - our interpreter, our code
            [sys.executable, "-c", code, *args],
            env=self.env(bench=bench),
            cwd=self.seeder,  # `python -c` puts the working directory first on sys.path
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            doing = what or code.strip().splitlines()[0]
            raise RuntimeError(f"[{self.label}] {doing} failed:\n{done.stderr[-2000:]}")
        return done.stdout.strip()

    def describe(self) -> dict[str, Any]:
        changed = _git(self.root, "status", "--porcelain", "--", "src").splitlines()
        return {
            "label": self.label,
            "src": str(self.src),
            "git_commit": _git(self.root, "rev-parse", "--short", "HEAD").strip() or None,
            "git_branch": _git(self.root, "rev-parse", "--abbrev-ref", "HEAD").strip() or None,
            "src_changes": changed,
            "seed_from": str(self.seeder),
        }


def this(label: str = THIS_LABEL) -> Checkout:
    return Checkout(label, ROOT / "src")


def parse(spec: str) -> Checkout:
    """`[LABEL=]DIR`; the label defaults to the directory's name."""
    label, sep, path = spec.partition("=")
    if not sep:
        label, path = "", spec
    where = Path(path).expanduser().resolve()
    for src in (where / "src", where):
        if (src / "tocsin" / "__init__.py").is_file():
            return Checkout(label or where.name, src)
    raise ValueError(
        f"--tocsin-src {spec}: no tocsin package in {where}/src or {where}; give a checkout "
        "of Tocsin (e.g. made with `git worktree add`)"
    )


def chosen(own_label: str, extra: list[str]) -> list[Checkout]:
    """This checkout, then each `--tocsin-src`; labels must differ (they name the servers)."""
    found = [this(own_label), *(parse(spec) for spec in extra)]
    labels = [c.label for c in found]
    if len(set(labels)) != len(labels):
        raise ValueError(f"checkout labels must differ, got {labels}: use LABEL=DIR / --label")
    for c in found:
        if not c.label.replace("-", "").replace("_", "").isalnum():
            raise ValueError(f"label {c.label!r}: use letters, digits, - and _ only")
    return found


def _git(where: Path, *args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed git commands
        ["git", *args],  # noqa: S607
        cwd=where,
        capture_output=True,
        text=True,
        check=False,
    )
    return done.stdout
