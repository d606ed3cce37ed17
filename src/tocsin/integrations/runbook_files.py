"""The runbooks directory: `NAME.md` files, read as they are (the team's git is the editor)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from tocsin.core.errors import NotFound
from tocsin.core.runbook import NAME, RunbookExists


class RunbookDirectory:
    def __init__(self, path: Path) -> None:
        self.path = path

    def names(self) -> list[str]:
        try:
            found = [p.stem for p in self.path.glob("*.md") if p.is_file()]
        except OSError:  # missing or unreadable: no runbooks (list and lint say where)
            return []
        return sorted(name for name in found if NAME.match(name))

    def read(self, name: str) -> str:
        path = self._path(name)
        try:
            return path.read_text(encoding="utf-8")
        except FileNotFoundError:
            known = ", ".join(self.names()) or "none"
            raise NotFound(f"no runbook {name!r} in {self.path}; runbooks: {known}") from None
        except UnicodeDecodeError as exc:
            raise NotFound(f"runbook {path} is not UTF-8 ({exc.reason}): "
                           "bring it in with `tocsin runbook import`") from None  # fmt: skip

    def write(self, name: str, text: str, replace: bool = False) -> str:
        path = self._path(name)
        if path.exists() and not replace:
            raise RunbookExists(f"runbook {path} exists: pass --force to replace it, or "
                                  "--name to import under another name")  # fmt: skip
        self.path.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=f".{name}.", suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as out:
            out.write(text)
        os.replace(tmp, path)
        return str(path)

    def _path(self, name: str) -> Path:
        if not NAME.match(name) or name.startswith("."):
            raise NotFound(f"no runbook {name!r}: names are letters, digits, . _ - "
                           f"(the file NAME.md in {self.path})")  # fmt: skip
        return self.path / f"{name}.md"
