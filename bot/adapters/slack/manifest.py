"""A Slack app manifest for this bot: paste it at api.slack.com/apps → Create New App →
From a manifest, and the app has exactly the scopes, command and events it needs.

Pure data (no Slack library): the scopes follow the Web API methods the adapter calls."""

from __future__ import annotations

from typing import Any

from bot.config.schema import SlackConfig

COMMAND = "/engage"
APP_NAME_MAX = 35  # Slack's limit for an app's name
DISPLAY_NAME_MAX = 80
BOT_SCOPES = (
    "chat:write",  # chat.postMessage, chat.update, chat.postEphemeral
    "files:write",  # product images and result charts (files.uploadV2)
    "commands",  # the /engage staff command
    "channels:history",  # replies in public channels; finding our own posts again
    "groups:history",  # the same in private channels
    "usergroups:read",  # staff_groups: who is in a user group
)
BOT_EVENTS = ("message.channels", "message.groups")


def manifest(name: str, slack: SlackConfig | None, url: str | None = None) -> dict[str, Any]:
    """url: the public https address Slack should call in HTTP mode; default built from
    the config's host, port and path. Socket Mode (the default) needs no URL."""
    socket = (slack is None or slack.mode == "socket") and url is None
    request_url = None if socket else url or _local_url(slack)
    command: dict[str, Any] = {
        "command": COMMAND,
        "description": "Staff: list polls, show results, open or close a poll",
        "usage_hint": "list | results POLL | open POLL | close POLL",
        "should_escape": False,
    }
    events: dict[str, Any] = {"bot_events": list(BOT_EVENTS)}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if request_url is not None:
        command["url"] = request_url
        events["request_url"] = request_url
        interactivity["request_url"] = request_url
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": name[:APP_NAME_MAX],
            "description": "Product polls and daily questions for the shop's community",
        },
        "features": {
            "bot_user": {"display_name": name[:DISPLAY_NAME_MAX], "always_online": True},
            "slash_commands": [command],
        },
        "oauth_config": {"scopes": {"bot": list(BOT_SCOPES)}},
        "settings": {
            "event_subscriptions": events,
            "interactivity": interactivity,
            "org_deploy_enabled": False,
            "socket_mode_enabled": socket,
            "token_rotation_enabled": False,
        },
    }


def _local_url(slack: SlackConfig | None) -> str:
    """Where the bot listens; behind a proxy, pass the public address instead (--url)."""
    assert slack is not None
    host = "localhost" if slack.host in ("0.0.0.0", "::", "") else slack.host
    return f"http://{host}:{slack.port}{slack.path}"
