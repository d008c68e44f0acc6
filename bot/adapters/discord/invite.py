"""The link that adds the bot to a server, computed offline from the bot token.

A Discord bot token's first dot-separated part is the bot user's id in base64, and a
bot's user id is its application's id (the OAuth2 client id), so the link needs no
network call and shows nothing secret."""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

import discord

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")
# Everything the bot does in a channel, and nothing more. Embed Links is not needed:
# polls are Components V2 layouts, not embeds.
NEEDED = {
    "view_channel": "see the poll channels",
    "send_messages": "post polls, results and daily prompts",
    "attach_files": "upload product images and result charts",
    "read_message_history": "find its own posts again after a crash or restart",
    "create_public_threads": "open a thread for replies to a daily prompt",
    "send_messages_in_threads": "post in those threads",
}


def permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(NEEDED, True))


def client_id_from_token(token: str) -> str | None:
    """The application id encoded in a bot token, or None if it does not look like one."""
    head = token.strip().split(".", 1)[0]
    try:
        decoded = base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None
    return decoded if decoded.isdigit() and 15 <= len(decoded) <= 21 else None


def invite_url(client_id: str, guild_id: str | None = None) -> str:
    query = {
        "client_id": client_id,
        "scope": " ".join(SCOPES),
        "permissions": str(permissions().value),
    }
    if guild_id:  # pre-selects the server in Discord's dialog
        query["guild_id"] = guild_id
    return f"{AUTHORIZE_URL}?{urlencode(query)}"
