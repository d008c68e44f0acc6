"""Staff slash commands `/poll list|results|open|close` and who counts as staff.

Everyone can see the commands; the app refuses non-staff privately (it gets
is_staff=False), so a customer who tries one learns why nothing happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import discord
from discord import app_commands

from bot import i18n, messages
from bot.i18n import Text

GROUP = "poll"
# Handler(interaction, app command name, args): names are the app's (see bot/commands.py).
Handler = Callable[[discord.Interaction[Any], str, tuple[str, ...]], Awaitable[None]]


def _shown(text: Text) -> app_commands.locale_str:
    """A name or description Discord shows in each user's language (see CatalogTranslator)."""
    return app_commands.locale_str(text.msgid, context=text.context)


class CatalogTranslator(app_commands.Translator):
    """Slash command names and descriptions from our gettext catalogs, for every Discord
    locale whose language has one; English (the msgids) otherwise."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        name = i18n.normalize(locale.value)
        if name is None or name.startswith(i18n.DEFAULT_LOCALE):
            return None
        wanted = string.extras.get("context")
        with i18n.reader(name):
            translated = str(Text(string.message, wanted))
        return translated if translated != string.message else None


def poll_commands(handler: Handler) -> app_commands.Group:
    group = app_commands.Group(
        name=_shown(messages.DISCORD_CMD_GROUP_NAME),
        description=_shown(messages.DISCORD_CMD_GROUP),
        guild_only=True,
    )
    poll_arg = _shown(messages.DISCORD_CMD_POLL_ARG)
    poll_name = _shown(messages.DISCORD_CMD_POLL_ARG_NAME)

    @group.command(
        name=_shown(messages.DISCORD_CMD_LIST_NAME), description=_shown(messages.DISCORD_CMD_LIST)
    )
    async def list_polls(interaction: discord.Interaction[Any]) -> None:
        await handler(interaction, "polls", ())

    @group.command(
        name=_shown(messages.DISCORD_CMD_RESULTS_NAME),
        description=_shown(messages.DISCORD_CMD_RESULTS),
    )
    @app_commands.describe(poll=poll_arg)
    @app_commands.rename(poll=poll_name)
    async def results(interaction: discord.Interaction[Any], poll: str) -> None:
        await handler(interaction, "results", (poll,))

    @group.command(
        name=_shown(messages.DISCORD_CMD_OPEN_NAME), description=_shown(messages.DISCORD_CMD_OPEN)
    )
    @app_commands.describe(poll=poll_arg)
    @app_commands.rename(poll=poll_name)
    async def open_poll(interaction: discord.Interaction[Any], poll: str) -> None:
        await handler(interaction, "open", (poll,))

    @group.command(
        name=_shown(messages.DISCORD_CMD_CLOSE_NAME), description=_shown(messages.DISCORD_CMD_CLOSE)
    )
    @app_commands.describe(poll=poll_arg)
    @app_commands.rename(poll=poll_name)
    async def close_poll(interaction: discord.Interaction[Any], poll: str) -> None:
        await handler(interaction, "close", (poll,))

    return group


class StaffRule:
    """Staff are the users listed by id, and members holding a listed role (by id or by
    name, case-insensitive). Role names need the guild's roles, which the `guilds`
    intent provides."""

    def __init__(self, users: Iterable[str], roles: Iterable[str]) -> None:
        self.users = {str(user).strip() for user in users}
        wanted = [str(role).strip() for role in roles]
        self.role_ids = {role for role in wanted if role.isdigit()}
        self.role_names = {role.casefold() for role in wanted}

    def allows(self, user: discord.User | discord.Member) -> bool:
        if str(user.id) in self.users:
            return True
        if not isinstance(user, discord.Member):
            return False
        return any(
            str(role.id) in self.role_ids or role.name.casefold() in self.role_names
            for role in user.roles
        )
