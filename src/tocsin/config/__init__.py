"""tocsin.yaml: the schema, the loader that points at lines, and the commented presets."""

from tocsin.config.loader import dump_schema, find_config_path, load_config
from tocsin.config.presets import PRESETS, render_preset
from tocsin.config.problems import ConfigError, ConfigProblem
from tocsin.config.schema import TocsinConfig

__all__ = [
    "PRESETS",
    "ConfigError",
    "ConfigProblem",
    "TocsinConfig",
    "dump_schema",
    "find_config_path",
    "load_config",
    "render_preset",
]
