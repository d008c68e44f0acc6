"""Who may use staff commands: listed Slack user ids, or members of listed user groups.

Group membership comes from usergroups.users.list (scope usergroups:read) and is cached
briefly: a burst of commands costs one lookup, and a removal takes effect within a
minute. If Slack cannot be asked, the last known members are used (none at first)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.adapters.slack.pacing import error_code, paced
from bot.clock import Clock

log = logging.getLogger(__name__)

GROUP_CACHE = timedelta(seconds=60)


class StaffDirectory:
    def __init__(
        self,
        client: AsyncWebClient,
        users: Iterable[str],
        groups: Iterable[str],
        clock: Clock,
        ttl: timedelta = GROUP_CACHE,
    ) -> None:
        self._client = client
        self._users = frozenset(users)
        self._groups = tuple(groups)
        self._clock = clock
        self._ttl = ttl
        self._members: dict[str, frozenset[str]] = {}
        self._fetched: dict[str, datetime] = {}
        self._lock = asyncio.Lock()

    async def is_staff(self, user_id: str) -> bool:
        if user_id in self._users:
            return True
        for group in self._groups:
            if user_id in await self._group_members(group):
                return True
        return False

    async def _group_members(self, group: str) -> frozenset[str]:
        async with self._lock:
            fetched = self._fetched.get(group)
            if fetched is not None and self._clock.now() - fetched < self._ttl:
                return self._members[group]
            try:
                response = await paced(
                    lambda: self._client.usergroups_users_list(usergroup=group),
                    "usergroups.users.list",
                    clock=self._clock,
                )
                users = response.get("users") or []
                self._members[group] = frozenset(str(u) for u in users)
            except SlackApiError as error:
                log.warning(
                    "could not read members of Slack user group %s (%s); "
                    "the app needs the usergroups:read scope",
                    group,
                    error_code(error) or "no answer",
                )
                self._members.setdefault(group, frozenset())
            self._fetched[group] = self._clock.now()
            return self._members[group]
