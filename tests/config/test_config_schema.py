"""`engagebot schema` describes every key a merchant can write, platforms included, so
an editor can explain each one while typing."""

from __future__ import annotations

import json
from typing import Any

from tests.cli_runner import engagebot


def _keys(schema: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every property of every object in the schema, as 'Model.key'."""
    found: dict[str, dict[str, Any]] = {}
    models = {"Settings": schema, **schema["$defs"]}
    for model, definition in models.items():
        for key, prop in definition.get("properties", {}).items():
            found[f"{model}.{key}"] = prop
    return found


def test_every_key_has_a_description() -> None:
    done = engagebot("schema")
    assert done.returncode == 0
    keys = _keys(json.loads(done.stdout))
    undescribed = sorted(name for name, prop in keys.items() if not prop.get("description"))
    assert undescribed == []
    # Platforms are described down to each key.
    for key in ("DiscordConfig.token", "DiscordConfig.enabled", "SlackConfig.app_token"):
        assert key in keys
    assert "enabled" in keys["Settings.platforms"]["description"]
    assert "${DISCORD_TOKEN}" in keys["DiscordConfig.token"]["description"]
    assert len(keys) > 70


def test_a_key_is_described_by_the_docstring_under_it_in_its_model() -> None:
    keys = _keys(json.loads(engagebot("schema").stdout))
    assert keys["StoreConfig.name"]["description"] == "The shop's name, shown on posts and reports."
    # A key whose value is another block keeps its reference beside the description.
    assert keys["Settings.store"] == {
        "$ref": "#/$defs/StoreConfig",
        "description": "Your shop: name, time zone and currency.",
    }
