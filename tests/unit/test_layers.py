"""DESIGN.md's dependency rule, read from the imports of every module under src/tocsin."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tocsin"
ENTRYPOINTS = {"cli", "api", "web", "worker"}
# What each layer may import from tocsin (besides itself). Third-party rules follow below.
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "app": {"core"},
    "config": {"core"},
    "store": {"core", "app"},
    "integrations": {"core", "app"},
    "bootstrap": {"core", "app", "config", "store", "integrations"},
    **{e: {"core", "app", "config", "bootstrap"} for e in ENTRYPOINTS},
}
ALLOWED["api"] |= {"web"}  # the app factory mounts the web pages
ALLOWED["web"] |= {"api"}  # pages reuse the API's auth dependencies
ALLOWED["cli"] |= {"api", "worker"}  # `tocsin serve` starts the API and the worker
CORE_THIRD_PARTY: set[str] = set()  # core: the standard library only


def layer_of(path: Path, root: Path = SRC) -> str:
    parts = path.relative_to(root).parts
    return parts[0].removesuffix(".py") if len(parts) > 1 or parts[0] != "__init__.py" else ""


def tocsin_imports(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(root: Path = SRC) -> list[str]:
    stdlib = __import__("sys").stdlib_module_names
    problems = []
    for path in sorted(root.rglob("*.py")):
        layer = layer_of(path, root)
        if layer not in ALLOWED:
            continue
        for line, module in tocsin_imports(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(root.parent)}:{line}"
            if top == "tocsin":
                target = module.split(".")[1] if "." in module else ""
                if target and target != layer and target not in ALLOWED[layer]:
                    problems.append(f"{where}: {layer} must not import {module}")
            elif layer == "core" and top not in stdlib and top != "__future__":
                problems.append(f"{where}: core imports only the standard library, not {module}")
    return problems


def test_every_layer_imports_only_what_the_dependency_rule_allows() -> None:
    assert violations() == []


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    (tmp_path / "tocsin" / "core").mkdir(parents=True)
    probe = tmp_path / "tocsin" / "core" / "probe.py"
    probe.write_text("import sqlalchemy\nfrom tocsin.store import database\n", encoding="utf-8")
    found = violations(tmp_path / "tocsin")
    assert any("core imports only the standard library, not sqlalchemy" in p for p in found)
    assert any("core must not import tocsin.store" in p for p in found)


def test_nothing_but_an_entrypoint_imports_an_entrypoint() -> None:
    for path in SRC.rglob("*.py"):
        if layer_of(path) in ENTRYPOINTS or path.name == "__main__.py":  # `python -m tocsin`
            continue
        for line, module in tocsin_imports(path):
            parts = module.split(".")
            assert not (parts[0] == "tocsin" and len(parts) > 1 and parts[1] in ENTRYPOINTS), (
                f"{path}:{line} imports the entrypoint {module}"
            )
