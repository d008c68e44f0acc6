"""Merchant configuration: typed models (schema), YAML loading with file:line:col
problems, ${ENV} secrets, and whole-config checks. Never imports platform libraries."""

from bot.config.loader import (
    LoadedConfig,
    default_config_path,
    json_schema,
    load_config,
    resolve_database_url,
)

__all__ = [
    "LoadedConfig",
    "default_config_path",
    "json_schema",
    "load_config",
    "resolve_database_url",
]
