"""Find, read and validate tocsin.yaml; every problem comes back with its line."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from tocsin.config.problems import ConfigError, ConfigProblem
from tocsin.config.schema import TocsinConfig
from tocsin.config.translate import problems_from
from tocsin.config.yamlsource import YamlProblems, parse_yaml

CONFIG_ENV = "TOCSIN_CONFIG"
CONFIG_FILE = "tocsin.yaml"
JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_INIT_HINT = f"run `tocsin init` to write one, or set {CONFIG_ENV}"


def find_config_path(env: Mapping[str, str], cwd: Path) -> Path:
    """$TOCSIN_CONFIG when set (relative to `cwd`), else tocsin.yaml in `cwd`."""
    configured = env.get(CONFIG_ENV, "").strip()
    return cwd / configured if configured else cwd / CONFIG_FILE


def load_config(path: Path) -> TocsinConfig:
    """Read and validate the file. Raises ConfigError listing every problem found."""
    return parse_config(path, _read(path))


def parse_config(path: Path, text: str) -> TocsinConfig:
    """Validate `text` as the content of `path`. Raises ConfigError listing every problem."""
    try:
        document = parse_yaml(text)
    except YamlProblems as exc:
        raise ConfigError(path, exc.problems) from None
    _require_mapping(path, document.data)
    try:
        return TocsinConfig.model_validate(document.data)
    except ValidationError as exc:
        raise ConfigError(path, problems_from(exc, TocsinConfig, document)) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise unreadable(path, exc) from None


def unreadable(path: Path, exc: OSError | UnicodeDecodeError) -> ConfigError:
    """The ConfigError for a file that cannot be read or decoded, naming the fix."""
    if isinstance(exc, FileNotFoundError):
        message = f"no config file at {path}; {_INIT_HINT}"
    elif isinstance(exc, UnicodeDecodeError):
        message = f"not UTF-8 text (byte {exc.start}); save the file as UTF-8"
    else:
        message = f"cannot read the config file: {exc.strerror or exc}"
    return ConfigError(path, [ConfigProblem(None, "", message)])


def _require_mapping(path: Path, data: Any) -> None:
    if isinstance(data, dict):
        return
    if data is None:
        message = (
            f"the file is empty; run `tocsin init` to write a commented one, or set {CONFIG_ENV}"
        )
    else:
        message = (
            f"the top level must be a mapping of keys (version, severities, ...), "
            f"not a {type(data).__name__}"
        )
    raise ConfigError(path, [ConfigProblem(1, "", message)])


def dump_schema() -> dict[str, Any]:
    """The JSON Schema of tocsin.yaml, for editors (yaml-language-server) and CI checks."""
    return {"$schema": JSON_SCHEMA_DIALECT, **TocsinConfig.model_json_schema()}
