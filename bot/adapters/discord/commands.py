"""Staff slash commands `/poll list|results|open|close` and who counts as staff.

Everyone can see the commands; the app refuses non-staff privately (it gets
is_staff=False), so a customer who tries one learns why nothing happened."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import discord
from discord import app_commands

from bot import messages

GROUP = "poll"
# Handler(interaction, app command name, args): names are the app's (see bot/commands.py).
Handler = Callable[[discord.Interaction[Any], str, tuple[str, ...]], Awaitable[None]]


def poll_commands(handler: Handler) -> app_commands.Group:
    group = app_commands.Group(name=GROUP, description=messages.DISCORD_CMD_GROUP, guild_only=True)

    @group.command(name="list", description=messages.DISCORD_CMD_LIST)
    async def list_polls(interaction: discord.Interaction[Any]) -> None:
        await handler(interaction, "polls", ())

    @group.command(name="results", description=messages.DISCORD_CMD_RESULTS)
    @app_commands.describe(poll=messages.DISCORD_CMD_POLL_ARG)
    async def results(interaction: discord.Interaction[Any], poll: str) -> None:
        await handler(interaction, "results", (poll,))

    @group.command(name="open", description=messages.DISCORD_CMD_OPEN)
    @app_commands.describe(poll=messages.DISCORD_CMD_POLL_ARG)
    async def open_poll(interaction: discord.Interaction[Any], poll: str) -> None:
        await handler(interaction, "open", (poll,))

    @group.command(name="close", description=messages.DISCORD_CMD_CLOSE)
    @app_commands.describe(poll=messages.DISCORD_CMD_POLL_ARG)
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
