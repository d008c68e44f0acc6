"""`discord invite-url` and `slack manifest`, run as the merchant runs them."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import yaml

from tests.cli_runner import engagebot
from tests.conftest import REPO

FULL = str(REPO / "config" / "example-full.yaml")
APP_ID = "1234567890123456789"
# Discord's documented bitwise permission flags
# (https://discord.com/developers/docs/topics/permissions#permissions-bitwise-permission-flags)
DOCUMENTED_BITS = {
    "VIEW_CHANNEL": 1 << 10,
    "SEND_MESSAGES": 1 << 11,
    "ATTACH_FILES": 1 << 15,
    "READ_MESSAGE_HISTORY": 1 << 16,
    "CREATE_PUBLIC_THREADS": 1 << 35,
    "SEND_MESSAGES_IN_THREADS": 1 << 38,
}
NO_TOKENS = {"DISCORD_TOKEN": "", "SLACK_BOT_TOKEN": "", "SLACK_APP_TOKEN": ""}


def fake_token(app_id: str) -> str:
    head = base64.b64encode(app_id.encode()).decode().rstrip("=")
    return f"{head}.GabcDe.secret-part-never-printed"


def query(url: str) -> dict[str, list[str]]:
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "discord.com", "/oauth2/authorize")
    return parse_qs(parts.query)


def test_invite_url_from_the_token_has_the_documented_permissions() -> None:
    token = fake_token(APP_ID)
    env = NO_TOKENS | {"DISCORD_TOKEN": token}
    result = engagebot("discord", "invite-url", "-c", FULL, env=env)
    assert result.returncode == 0, result.stderr
    assert "secret-part" not in result.stdout + result.stderr
    params = query(result.stdout.strip())
    assert params["client_id"] == [APP_ID]
    assert params["scope"] == ["bot applications.commands"]
    assert params["permissions"] == [str(sum(DOCUMENTED_BITS.values()))]
    assert params["guild_id"] == ["123456789012345678"]  # the one server in the config


def test_invite_url_with_client_id_needs_no_config_or_token() -> None:
    result = engagebot("discord", "invite-url", "--client-id", APP_ID, "-c", "/nonexistent")
    assert result.returncode == 0, result.stderr
    assert query(result.stdout.strip())["client_id"] == [APP_ID]


def test_invite_url_without_a_token_says_what_to_do() -> None:
    result = engagebot("discord", "invite-url", "-c", FULL, env=NO_TOKENS)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "DISCORD_TOKEN" in result.stderr and "--client-id" in result.stderr

    bad = engagebot("discord", "invite-url", "-c", FULL, env={"DISCORD_TOKEN": "not-a-token"})
    assert bad.returncode == 2
    assert "does not look like a" in bad.stderr and "bot token" in bad.stderr
    assert "not-a-token" not in bad.stderr

    wrong = engagebot("discord", "invite-url", "--client-id", "12abc")
    assert wrong.returncode == 2 and "Traceback" not in wrong.stderr


def test_slack_manifest_socket_mode_before_any_token_exists() -> None:
    result = engagebot("slack", "manifest", "-c", FULL, env=NO_TOKENS)
    assert result.returncode == 0, result.stderr
    data = yaml.safe_load(result.stdout)
    assert data["display_information"]["name"] == "Velo Corner"
    assert data["features"]["bot_user"]["display_name"] == "Velo Corner"
    assert set(data["oauth_config"]["scopes"]["bot"]) >= {
        "chat:write",
        "files:write",
        "commands",
        "channels:history",
        "groups:history",
        "usergroups:read",
    }
    [command] = data["features"]["slash_commands"]
    assert command["command"] == "/engage" and "url" not in command
    settings = data["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"] == {"is_enabled": True}
    assert settings["event_subscriptions"] == {"bot_events": ["message.channels", "message.groups"]}


def test_slack_manifest_http_mode_uses_the_configured_address(tmp_path: Path) -> None:
    config = tmp_path / "bot.yaml"
    config.write_text(
        "store: {name: Velo Corner}\n"
        "platforms:\n"
        "  slack:\n"
        "    mode: http\n"
        "    bot_token: ${SLACK_BOT_TOKEN}\n"
        "    signing_secret: ${SLACK_SIGNING_SECRET}\n"
        "    host: bot.example.com\n"
        "    port: 8443\n"
        "    path: /hooks/slack\n",
        encoding="utf-8",
    )
    result = engagebot("slack", "manifest", "-c", str(config), "--format", "json", env=NO_TOKENS)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    url = "http://bot.example.com:8443/hooks/slack"
    assert data["settings"]["socket_mode_enabled"] is False
    assert data["settings"]["event_subscriptions"]["request_url"] == url
    assert data["settings"]["interactivity"]["request_url"] == url
    assert data["features"]["slash_commands"][0]["url"] == url
    assert "--url" in result.stderr  # Slack needs a public https address

    public = "https://shop.example.com/slack/events"
    override = engagebot("slack", "manifest", "-c", str(config), "--url", public, env=NO_TOKENS)
    data = yaml.safe_load(override.stdout)
    assert data["settings"]["event_subscriptions"]["request_url"] == public
    assert data["features"]["slash_commands"][0]["url"] == public


def test_slack_manifest_for_a_slack_only_config_before_the_app_exists(tmp_path: Path) -> None:
    """The manifest creates the app, so its tokens cannot be set yet."""
    config = tmp_path / "bot.yaml"
    config.write_text(
        "store: {name: Velo Corner}\n"
        "platforms:\n"
        "  slack: {bot_token: '${SLACK_BOT_TOKEN}', app_token: '${SLACK_APP_TOKEN}'}\n"
        "channels:\n"
        "  community: {slack: C0123ABCD}\n",
        encoding="utf-8",
    )
    result = engagebot("slack", "manifest", "-c", str(config), env=NO_TOKENS)
    assert result.returncode == 0, result.stderr
    assert yaml.safe_load(result.stdout)["settings"]["socket_mode_enabled"] is True
