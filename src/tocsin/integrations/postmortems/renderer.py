"""Renders a post-mortem draft from a Jinja2 template in a sandbox.

The team's template (a file named in tocsin.yaml) or the seed's outline; unknown variables
fail loudly (StrictUndefined), and a failure is an error naming the template and its line,
never a half-written draft.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import StrictUndefined, TemplateError, TemplateSyntaxError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from tocsin.core.errors import InvalidInput
from tocsin.integrations.postmortems.outlines import OUTLINES


def _env() -> ImmutableSandboxedEnvironment:
    return ImmutableSandboxedEnvironment(
        undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True
    )


def syntax_error(text: str) -> str | None:
    """`line N: message` for a template that does not parse, else None."""
    try:
        _env().parse(text)
    except TemplateSyntaxError as exc:
        return f"line {exc.lineno}: {exc.message or exc}"
    return None


class PostmortemTemplates:
    """The outline of a preset (`p1-p4`, `sev1-sev3`) or the team's own template text."""

    def __init__(self, outline: str, custom: str | None = None, name: str = "") -> None:
        if outline not in OUTLINES:
            raise InvalidInput(f"unknown outline {outline!r}; outlines: {', '.join(OUTLINES)}")
        self._name = name or f"the {outline} outline"
        self._text = custom if custom is not None else OUTLINES[outline]
        problem = syntax_error(self._text)
        if problem:
            raise InvalidInput(f"post-mortem template {self._name}: {problem}")
        self._template = _env().from_string(self._text)

    def render(self, context: Mapping[str, Any]) -> str:
        try:
            text = self._template.render(context)
        except TemplateError as exc:
            line = _line(exc)
            raise InvalidInput(f"post-mortem template {self._name}{line}: {exc}") from None
        return text.rstrip() + "\n"


def _line(exc: BaseException) -> str:
    tb = exc.__traceback__
    lineno = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            lineno = tb.tb_lineno
        tb = tb.tb_next
    return f", line {lineno}" if lineno else ""


class TemplateFile:
    """The team's template file, read at each draft (an edit needs no restart); the preset's
    outline when none is named."""

    def __init__(self, outline: str, path: Path | None = None) -> None:
        self._outline = outline
        self._path = path
        PostmortemTemplates(outline)  # an unknown outline fails now

    def render(self, context: Mapping[str, Any]) -> str:
        return self.templates().render(context)

    def templates(self) -> PostmortemTemplates:
        if self._path is None:
            return PostmortemTemplates(self._outline)
        try:
            text = self._path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InvalidInput(
                f"post-mortem template {self._path} cannot be read ({exc}); fix "
                "`postmortem: template` in tocsin.yaml"
            ) from None
        return PostmortemTemplates(self._outline, text, str(self._path))
