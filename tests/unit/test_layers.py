"""DESIGN.md's dependency rule, read from the imports of every module under src/tocsin.

Four rules, each with a test on the real tree and one on a synthetic tree that proves the
checker can fail:
1. tocsin layers import only the layers below them; entrypoints reach each other only through
   the doors listed in DOORS;
2. each third-party package is imported only where THIRD_PARTY puts it (an unlisted package
   fails too, so adding a dependency means deciding where it belongs);
3. no table is declared outside store/ (no sqlalchemy Table/MetaData/table call, no CREATE TABLE);
4. no import cycle among app/'s modules, nor anywhere in tocsin (imports under
   `if TYPE_CHECKING:` do not count; imports inside a function do).
"""

from __future__ import annotations

import ast
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "tocsin"
ENTRYPOINTS = {"cli", "api", "web", "worker"}
# What each layer may import from tocsin (besides itself).
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "app": {"core"},
    "config": {"core"},
    "store": {"core", "app"},
    "integrations": {"core", "app"},
    "bootstrap": {"core", "app", "config", "store", "integrations"},
    **{e: {"core", "app", "config", "bootstrap"} for e in ENTRYPOINTS},
}
# The only imports from one entrypoint into another, each through one public module.
DOORS: dict[str, set[str]] = {
    "api/app.py": {"tocsin.web.routes"},  # the app factory mounts the pages: `install(app)`
    "web/": {"tocsin.api.deps"},  # pages share the API's wired-app and session dependencies
    # `tocsin serve` and `tocsin worker`: the server (`api.asgi.serve`), JSON logs, the jobs
    "cli/server.py": {"tocsin.api.asgi", "tocsin.api.logs", "tocsin.worker.loop"},
    "cli/jobs.py": {"tocsin.api.logs", "tocsin.worker.loop"},
}
LAZY_DOORS = ("cli/",)  # inside the command (or for types): the CLI starts without the server
# Where each third-party package may be imported: path prefixes under src/tocsin.
DATABASE = ("store/", "bootstrap.py")  # bootstrap creates the engine; entrypoints never see SQL
HTTP_SERVER = ("api/", "web/")
THIRD_PARTY: dict[str, tuple[str, ...]] = {
    "sqlalchemy": DATABASE,
    "alembic": DATABASE,
    "psycopg": DATABASE,
    "fastapi": HTTP_SERVER,
    "starlette": HTTP_SERVER,
    "anyio": HTTP_SERVER,
    "uvicorn": ("api/",),  # `tocsin serve` calls api.asgi.serve
    "prometheus_client": ("api/",),
    "typer": ("cli/",),
    "rich": ("cli/",),
    # config only parses templates, so a syntax error names its line in tocsin.yaml
    "jinja2": ("integrations/", "web/", "config/sections.py"),
    "httpx": ("integrations/", "cli/remote"),  # adapters; the CLI talking to a server
    "pydantic": ("config/", "api/"),
    "pydantic_core": ("config/", "api/"),
    "yaml": ("config/",),
    "ruamel": ("config/",),  # editing tocsin.yaml with its comments kept
    "argon2": ("integrations/",),
    "cryptography": ("integrations/",),
    "slack_sdk": ("integrations/notifiers/",),  # the Slack adapter
    # typed AWS actions: an adapter like any other, imported lazily by bootstrap
    "boto3": ("integrations/",),
    "markdown_it": ("integrations/postmortems/",),  # the post-mortem preview, HTML off
    "botocore": ("integrations/",),
}
TABLE_MAKERS = {"Table", "MetaData", "table"}
SQLALCHEMY_MODULES = {"sql", "schema", "orm"}  # `from sqlalchemy import sql`: sql.table(...)
CREATE_TABLE = re.compile(r"\bcreate\s+(?:temp(?:orary)?\s+)?table\b", re.IGNORECASE)


@dataclass(frozen=True)
class Import:
    rel: str  # the importing file, relative to the package root: "api/app.py"
    line: int
    module: str  # resolved: `from tocsin.web import routes` is tocsin.web.routes
    typing_only: bool  # under `if TYPE_CHECKING:`
    lazy: bool = False  # inside a function

    @property
    def where(self) -> str:
        return f"tocsin/{self.rel}:{self.line}"


def layer_of(rel: str) -> str:
    return rel.split("/")[0].removesuffix(".py")


def module_of(rel: str, package: str = "tocsin") -> str:
    parts = [package, *rel.removesuffix(".py").split("/")]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_type_checking(test: ast.expr) -> bool:
    name = test.attr if isinstance(test, ast.Attribute) else getattr(test, "id", None)
    return name == "TYPE_CHECKING"


class _Collector(ast.NodeVisitor):
    def __init__(self, rel: str, known: set[str], package: str) -> None:
        self.rel, self.known, self.package = rel, known, package
        self.found: list[Import] = []
        self.typing_only = False
        self.depth = 0  # functions around the node

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self.visit_FunctionDef(node)

    def visit_If(self, node: ast.If) -> None:
        if not _is_type_checking(node.test):
            self.generic_visit(node)
            return
        before, self.typing_only = self.typing_only, True
        for stmt in node.body:
            self.visit(stmt)
        self.typing_only = before
        for stmt in node.orelse:
            self.visit(stmt)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._add(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:  # relative: from the importing module's package
            here = module_of(self.rel, self.package).split(".")
            is_package = self.rel.endswith("__init__.py")
            anchor = here[: len(here) - node.level + (1 if is_package else 0)]
            base = ".".join([*anchor, *([base] if base else [])])
        targets = [f"{base}.{alias.name}" for alias in node.names]
        for module in dict.fromkeys(t if t in self.known else base for t in targets):
            self._add(node, module)

    def _add(self, node: ast.stmt, module: str) -> None:
        self.found.append(Import(self.rel, node.lineno, module, self.typing_only, self.depth > 0))


def sources(root: Path) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(root.rglob("*.py")):
        yield path.relative_to(root).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def imports(root: Path = SRC) -> list[Import]:
    package = root.name
    known = {module_of(p.relative_to(root).as_posix(), package) for p in root.rglob("*.py")}
    found: list[Import] = []
    for rel, tree in sources(root):
        collector = _Collector(rel, known, package)
        collector.visit(tree)
        found += collector.found
    return found


# Rule 1: tocsin layers and the doors between entrypoints.


def _through_a_door(imp: Import) -> bool:
    return any(
        imp.rel.startswith(prefix) and imp.module in modules for prefix, modules in DOORS.items()
    )


def layer_violations(root: Path = SRC) -> list[str]:
    problems = []
    for imp in imports(root):
        layer, parts = layer_of(imp.rel), imp.module.split(".")
        if layer not in ALLOWED or parts[0] != "tocsin" or len(parts) < 2:
            continue
        target = parts[1]
        if target == layer or target in ALLOWED[layer]:
            continue
        if target in ENTRYPOINTS and layer in ENTRYPOINTS:
            if _through_a_door(imp) and imp.rel.startswith(LAZY_DOORS):
                if not (imp.lazy or imp.typing_only):
                    problems.append(
                        f"{imp.where}: import {imp.module} inside the command that needs it"
                    )
            elif not _through_a_door(imp):
                doors: dict[str, list[str]] = {}
                for prefix, modules in DOORS.items():
                    for module in modules:
                        if layer_of(prefix) == layer and module.split(".")[1] == target:
                            doors.setdefault(module, []).append(prefix)
                listed = [f"{m} ({', '.join(p)})" for m, p in sorted(doors.items())]
                problems.append(
                    f"{imp.where}: {layer} must not import {imp.module}"
                    f" (doors to {target}: {'; '.join(listed) or 'none'})"
                )
            continue
        problems.append(f"{imp.where}: {layer} must not import {imp.module}")
    return problems


def test_every_layer_imports_only_what_the_dependency_rule_allows() -> None:
    assert layer_violations() == []


def test_the_layer_checker_catches_a_violation(tmp_path: Path) -> None:
    write(tmp_path, "core/probe.py", "from tocsin.store import database\n")
    write(tmp_path, "store/database.py", "")
    write(tmp_path, "api/deps.py", "from tocsin.web.auth import session\n")
    write(tmp_path, "web/auth.py", "from tocsin.api.deps import App\nfrom tocsin.api import app\n")
    write(tmp_path, "api/app.py", "from tocsin.web import routes\n")
    write(tmp_path, "web/routes.py", "")
    write(
        tmp_path,
        "cli/server.py",
        "from tocsin.api.logs import configure_logging\n"
        "def serve():\n    from tocsin.api.asgi import serve\n    from tocsin.api.app import app\n",
    )
    write(tmp_path, "api/asgi.py", "")
    write(tmp_path, "api/logs.py", "")
    found = layer_violations(tmp_path / "tocsin")
    assert found == [
        "tocsin/api/deps.py:1: api must not import tocsin.web.auth"
        " (doors to web: tocsin.web.routes (api/app.py))",
        "tocsin/cli/server.py:1: import tocsin.api.logs inside the command that needs it",
        "tocsin/cli/server.py:4: cli must not import tocsin.api.app (doors to api:"
        " tocsin.api.asgi (cli/server.py); tocsin.api.logs (cli/server.py, cli/jobs.py))",
        "tocsin/core/probe.py:1: core must not import tocsin.store.database",
        "tocsin/web/auth.py:2: web must not import tocsin.api.app"
        " (doors to api: tocsin.api.deps (web/))",
    ]


def test_nothing_but_an_entrypoint_imports_an_entrypoint() -> None:
    for imp in imports():
        if layer_of(imp.rel) in ENTRYPOINTS or imp.rel == "__main__.py":  # `python -m tocsin`
            continue
        parts = imp.module.split(".")
        assert not (parts[0] == "tocsin" and len(parts) > 1 and parts[1] in ENTRYPOINTS), (
            f"{imp.where} imports the entrypoint {imp.module}"
        )


# Rule 2: third-party packages.


def third_party_violations(root: Path = SRC) -> list[str]:
    problems = []
    for imp in imports(root):
        top = imp.module.split(".")[0]
        if top in sys.stdlib_module_names or top in ("__future__", root.name):
            continue
        places = THIRD_PARTY.get(top)
        if places is None:
            problems.append(
                f"{imp.where}: {top} is not in THIRD_PARTY; add it with where it may be used"
            )
        elif not imp.rel.startswith(places):
            problems.append(f"{imp.where}: {imp.module} only in {', '.join(places)}")
    return problems


def test_third_party_packages_stay_in_their_layers() -> None:
    assert third_party_violations() == []


def test_the_third_party_checker_catches_a_violation(tmp_path: Path) -> None:
    write(tmp_path, "core/probe.py", "import json\nimport yaml\n")
    write(tmp_path, "web/events.py", "from sqlalchemy.exc import SQLAlchemyError\n")
    write(tmp_path, "cli/server.py", "def serve():\n    import uvicorn\n")
    write(tmp_path, "cli/remote_http.py", "import httpx\nimport typer\n")
    write(tmp_path, "app/probe.py", "import requests\n")
    write(tmp_path, "store/uow.py", "import sqlalchemy\nfrom alembic import command\n")
    assert third_party_violations(tmp_path / "tocsin") == [
        "tocsin/app/probe.py:1: requests is not in THIRD_PARTY; add it with where it may be used",
        "tocsin/cli/server.py:2: uvicorn only in api/",
        "tocsin/core/probe.py:2: yaml only in config/",
        "tocsin/web/events.py:1: sqlalchemy.exc only in store/, bootstrap.py",
    ]


# Rule 3: tables are declared in store/ only.


def _sqlalchemy_names(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Local names bound to sqlalchemy's table makers, and to sqlalchemy modules."""
    makers, modules = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy"):
            for alias in node.names:
                if alias.name in TABLE_MAKERS:
                    makers.add(alias.asname or alias.name)
                elif alias.name in SQLALCHEMY_MODULES:
                    modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("sqlalchemy"):
                    modules.add(alias.asname or alias.name.split(".")[0])
    return makers, modules


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _declares_a_table(node: ast.Call, makers: set[str], modules: set[str]) -> bool:
    func = node.func
    if isinstance(func, ast.Name):
        return func.id in makers
    return (
        isinstance(func, ast.Attribute)
        and func.attr in TABLE_MAKERS
        and _root_name(func.value) in modules
    )


def table_violations(root: Path = SRC) -> list[str]:
    problems: list[tuple[str, int, str]] = []
    for rel, tree in sources(root):
        if layer_of(rel) == "store":
            continue
        makers, modules = _sqlalchemy_names(tree)
        docstrings = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr)}
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _declares_a_table(node, makers, modules):
                problems.append((rel, node.lineno, "declares a table; tables live in store/"))
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and CREATE_TABLE.search(node.value)
            ):
                problems.append((rel, node.lineno, "CREATE TABLE outside store/"))
    return [f"tocsin/{rel}:{line}: {what}" for rel, line, what in sorted(problems)]


def test_no_table_is_declared_outside_the_store() -> None:
    assert table_violations() == []


def test_the_table_checker_catches_a_violation(tmp_path: Path) -> None:
    write(
        tmp_path,
        "api/observability.py",
        "from sqlalchemy import column, table as t\n"
        "import sqlalchemy as sa\n"
        "from rich.table import Table\n"
        "INCIDENTS = t('incidents', column('status'))\n"
        "META = sa.MetaData()\n"
        "SHOWN = Table(show_edge=False)\n",
    )
    write(
        tmp_path,
        "bootstrap.py",
        '"""A docstring may say CREATE TABLE."""\nSQL = "create  table if not exists x (id int)"\n',
    )
    write(tmp_path, "store/tables.py", "from sqlalchemy import MetaData\nmetadata = MetaData()\n")
    assert table_violations(tmp_path / "tocsin") == [
        "tocsin/api/observability.py:4: declares a table; tables live in store/",
        "tocsin/api/observability.py:5: declares a table; tables live in store/",
        "tocsin/bootstrap.py:2: CREATE TABLE outside store/",
    ]


# Rule 4: no import cycle among app/'s modules.


def import_cycles(root: Path = SRC, layer: str = "app") -> list[list[str]]:
    """Each cycle once, as a path that starts and ends on the same module; layer "" is all."""
    scope = f"{root.name}.{layer}" if layer else root.name
    graph: dict[str, set[str]] = {}
    for imp in imports(root):
        source = module_of(imp.rel, root.name)
        if source == scope or source.startswith(scope + "."):
            graph.setdefault(source, set())
            inside = imp.module == scope or imp.module.startswith(scope + ".")
            if inside and not imp.typing_only and imp.module != source:
                graph[source].add(imp.module)
    found: dict[frozenset[str], list[str]] = {}
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            loop = path[path.index(module) :]
            start = loop.index(min(loop))  # the same cycle reads the same from any entry
            found.setdefault(frozenset(loop), [*loop[start:], *loop[:start], loop[start]])
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return list(found.values())


def test_app_has_no_import_cycle() -> None:
    assert [" -> ".join(cycle) for cycle in import_cycles()] == []


def test_no_module_of_tocsin_is_in_an_import_cycle() -> None:
    assert [" -> ".join(cycle) for cycle in import_cycles(layer="")] == []


def test_the_cycle_checker_reports_the_path(tmp_path: Path) -> None:
    write(tmp_path, "app/__init__.py", "")
    write(tmp_path, "app/incidents.py", "from tocsin.app import ports\nfrom tocsin.core import x\n")
    write(tmp_path, "app/ports.py", "from tocsin.app.views import View\n")
    write(tmp_path, "app/views.py", "import tocsin.app.incidents\n")
    write(
        tmp_path,
        "app/accounts.py",
        "from typing import TYPE_CHECKING\nfrom tocsin.app.ports import Clock\n"
        "if TYPE_CHECKING:\n    from tocsin.app.users import User\n",
    )
    write(tmp_path, "app/users.py", "from . import accounts\n")
    write(tmp_path, "core/x.py", "")
    cycles = [" -> ".join(cycle) for cycle in import_cycles(tmp_path / "tocsin")]
    assert cycles == [
        "tocsin.app.incidents -> tocsin.app.ports -> tocsin.app.views -> tocsin.app.incidents"
    ]


def write(tmp_path: Path, rel: str, text: str) -> None:
    path = tmp_path / "tocsin" / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
