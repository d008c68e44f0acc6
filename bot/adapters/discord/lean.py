"""Clicks parsed without the clicked message's layout.

Every component interaction carries the message clicked, components and all, and
discord.py 2.7.1 builds a full Message from it (`Interaction._from_data`): for a poll, a
container of sections, texts, buttons and galleries, turned into objects on every click
— about a tenth of the CPU a click costs — when the app reads only the message's id.
The interaction parser is wrapped, like READY in endpoints.py, to hand discord.py the
message without its components, embeds and attachments."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from discord import Client

_COMPONENT = 3  # InteractionType.component
_LAYOUT_KEYS = ("components", "embeds", "attachments")


def skip_clicked_layouts(client: Client) -> None:
    parsers: dict[str, Callable[[Any], None]] = client._connection.parsers
    parse_interaction = parsers["INTERACTION_CREATE"]

    def interaction(data: Any) -> None:
        message = data.get("message")
        if data.get("type") == _COMPONENT and isinstance(message, dict):
            data = {**data, "message": {**message, **{key: [] for key in _LAYOUT_KEYS}}}
        parse_interaction(data)

    parsers["INTERACTION_CREATE"] = interaction
