"""discord invite-url, slack manifest: what a platform needs to know about this bot,
printed so nobody picks permissions or scopes by hand. Neither prints a secret.
health: the container's health check, asked where the config says the bot listens."""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import click
import yaml

from bot.cli import main
from bot.cli.common import chosen_path, config_option, fail, format_option
from bot.config import LoadedConfig, load_config
from bot.errors import EngageBotError

HEALTH_TIMEOUT = 4.0  # seconds; Docker's HEALTHCHECK gives the whole command 5

CLIENT_ID_HINT = (
    "hint: export DISCORD_TOKEN first, or pass --client-id "
    "(Developer Portal → your application → General Information → Application ID)"
)


@main.group()
def discord() -> None:
    """Discord setup helpers."""


@discord.command("invite-url")
@config_option
@click.option(
    "--client-id", help="The application id (default: read from the bot token in the config)."
)
def invite_url(config_path: Path | None, client_id: str | None) -> None:
    """Print the link that adds the bot to a server with exactly the permissions it needs."""
    from bot.adapters.discord import invite  # loads discord.py: only for this command

    guild: str | None = None
    if client_id is None:
        config = _load_without_secrets(config_path)
        settings = config.settings.platforms.discord
        token = settings.token.get_secret_value() if settings is not None else ""
        if settings is None or not token:
            problem = "has no platforms.discord block with a token"
        elif token.startswith("${"):
            problem = "reads the Discord token from an environment variable that is not set"
        else:
            client_id = invite.client_id_from_token(token)
            problem = "has a Discord token that does not look like a bot token"
        if client_id is None:
            click.echo(f"error: {chosen_path(config_path)} {problem}", err=True)
            click.echo(CLIENT_ID_HINT, err=True)
            raise SystemExit(2)
        if settings is not None and len(settings.guilds) == 1:
            guild = settings.guilds[0]
    elif not (client_id.isdigit() and 15 <= len(client_id) <= 21):
        raise click.BadParameter("an application id is a number of 17 to 20 digits")
    click.echo(invite.invite_url(client_id, guild))


class _SecretsNotNeeded(Mapping[str, str]):
    """The environment, an unset variable standing for itself (`${NAME}`): a Slack
    manifest is made before the app, and so its tokens, exist; an invite link needs only
    the Discord token's public part; neither prints a secret. The config checks leave a
    value that still reads `${…}` to the platform's own start-up."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._env = env

    def __getitem__(self, name: str) -> str:
        return self._env.get(name) or f"${{{name}}}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._env)

    def __len__(self) -> int:
        return len(self._env)


def _load_without_secrets(config_path: Path | None) -> LoadedConfig:
    try:
        return load_config(chosen_path(config_path), env=_SecretsNotNeeded(os.environ))
    except EngageBotError as error:
        fail(error)


@main.group()
def slack() -> None:
    """Slack setup helpers."""


@slack.command("manifest")
@config_option
@format_option("yaml", "json")
@click.option(
    "--url",
    help="Public https address Slack should send requests to (HTTP mode; "
    "default: built from platforms.slack host, port and path).",
)
def slack_manifest(config_path: Path | None, fmt: str, url: str | None) -> None:
    """Print a Slack app manifest: scopes, /engage, interactivity, events, Socket Mode."""
    from bot.adapters.slack.manifest import manifest

    if url is not None and not url.startswith(("https://", "http://")):
        raise click.BadParameter("write a full address, e.g. https://bot.example.com/slack/events")
    config = _load_without_secrets(config_path)
    slack_settings = config.settings.platforms.slack
    data = manifest(config.settings.store.name, slack_settings, url)
    if fmt == "json":
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), nl=False)
    if slack_settings is not None and slack_settings.mode == "http" and url is None:
        click.echo(
            "note: Slack needs a public https address; pass it with --url "
            "(e.g. the reverse proxy in front of this bot).",
            err=True,
        )


__all__ = ["discord", "invite_url", "slack", "slack_manifest"]


@main.command("health")
@config_option
@click.option("--ready", is_flag=True, help="Ask /readyz (platforms and database) instead.")
def health(config_path: Path | None, ready: bool) -> None:
    """Ask the running bot's web host whether it is up (for container health checks).

    The address comes from the config's web: block (or Slack's mode: http host and port),
    so the check follows the port the merchant chose. Exit 0 when it answers 200."""
    from bot.web.host import web_settings

    settings = web_settings(_load_without_secrets(config_path))
    if settings is None:
        # Nothing serves /healthz: a failing check would only mark a working bot unhealthy.
        click.echo("no web host in the config (add a web: block to serve /healthz); not checked")
        return
    path = "/readyz" if ready else "/healthz"
    url = f"http://{_local_address(settings.host)}:{settings.port}{path}"
    request = urllib.request.Request(url)
    if ready and settings.token:
        request.add_header("Authorization", f"Bearer {settings.token}")
    try:
        with urllib.request.urlopen(request, timeout=HEALTH_TIMEOUT) as answer:
            click.echo(f"{path}: {answer.status}")
    except urllib.error.HTTPError as refused:
        click.echo(f"{path}: {refused.code}", err=True)
        sys.exit(1)
    except OSError as error:
        reason = getattr(error, "reason", error)
        click.echo(f"{path}: no answer from {url} ({reason})", err=True)
        sys.exit(1)


def _local_address(host: str) -> str:
    """Where this machine reaches a server bound to host (0.0.0.0 means every address)."""
    if host in ("", "0.0.0.0"):
        return "127.0.0.1"
    if host == "::":
        return "[::1]"
    return f"[{host}]" if ":" in host else host
