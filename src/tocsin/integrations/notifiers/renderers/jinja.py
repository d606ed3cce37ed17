"""Plain-text messages from Jinja2 templates, in a sandbox: templates come from tocsin.yaml."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

log = logging.getLogger(__name__)


def format_utc(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


class JinjaRenderer:
    """Renders the team's template; if it fails, the default one, with a warning line. A
    message with neither renders as None: nothing to say."""

    def __init__(self, defaults: Mapping[str, str], overrides: Mapping[str, str | None]) -> None:
        self._env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
        self._env.filters["utc"] = format_utc
        self._defaults = {name: self._env.from_string(text) for name, text in defaults.items()}
        self._overrides: dict[str, Template] = {}
        for name, text in overrides.items():
            if text is not None:
                self._overrides[name] = self._env.from_string(text)

    def render(self, template: str, context: Mapping[str, Any]) -> str | None:
        override = self._overrides.get(template)
        default = self._defaults.get(template)
        if override is not None:
            try:
                return override.render(context).strip()
            except TemplateError as exc:
                log.warning("template %s failed: %s; using the default", template, exc)
                warning = f"⚠ template {template!r} in tocsin.yaml failed: {exc}"
                if default is None:
                    return warning
                return f"{default.render(context).strip()}\n{warning}"
        return None if default is None else default.render(context).strip()

    def check(self, template: str, context: Mapping[str, Any]) -> str | None:
        """The error a team's template raises for this context, or None."""
        override = self._overrides.get(template)
        if override is None:
            return None
        try:
            override.render(context)
        except TemplateError as exc:
            return str(exc)
        return None
