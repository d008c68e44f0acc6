"""Posts that Slack refuses for good are not retried every few seconds.

The app releases its claim on a poll post that failed and tries again shortly; for a
channel the bot is not in, an archived channel or a missing scope that only floods Slack
with calls that must fail and the log with the same error. After such an answer the
channel cools down: sends to it fail at once, without calling Slack, until the wait is
over, and the reason is logged once with what to do about it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import PlatformError

log = logging.getLogger(__name__)

COOL_DOWN = timedelta(minutes=10)

# Slack error codes that a retry in a few seconds cannot fix, and what fixes them.
PERMANENT: dict[str, str] = {
    "not_in_channel": "invite the bot to the channel (/invite @ followed by the bot's name)",
    "channel_not_found": "check the channel id in channels: (and invite the bot if private)",
    "is_archived": "unarchive the channel or pick another one in channels:",
    "invalid_blocks": "the message was refused as too large or malformed; please report it",
    "missing_scope": "add the chat:write scope to the Slack app and reinstall it",
    "not_allowed_token_type": "platforms.slack.bot_token must be the xoxb- bot token",
    "restricted_action": "a workspace admin restricts who may post in this channel",
    "restricted_action_read_only_channel": "the channel is read-only for the bot",
    "restricted_action_thread_only_channel": "the channel only allows replies in threads",
    "team_access_not_granted": "grant the Slack app access to this workspace",
    "ekm_access_denied": "a workspace admin has suspended posting (EKM)",
    "account_inactive": "the bot token was deactivated; reinstall the Slack app",
    "token_revoked": "the bot token was revoked; reinstall the Slack app",
    "invalid_auth": "check platforms.slack.bot_token",
    "msg_too_long": "the message is too long for Slack; please report it",
}


@dataclass
class _Blocked:
    code: str
    until: datetime


class ChannelCoolDown:
    """Per channel: the permanent error Slack gave and when sending may be tried again."""

    def __init__(self, clock: Clock, wait: timedelta = COOL_DOWN) -> None:
        self._clock = clock
        self.wait = wait
        self._blocked: dict[str, _Blocked] = {}
        self._logged: set[tuple[str, str]] = set()

    def check(self, channel: str) -> None:
        """Raise PlatformError, without calling Slack, while `channel` cools down."""
        blocked = self._blocked.get(channel)
        if blocked is None:
            return
        if self._clock.now() >= blocked.until:
            del self._blocked[channel]  # the next send asks Slack again
            return
        raise PlatformError(
            f"Slack refused posts to {channel} ({blocked.code}); "
            f"not trying again before {blocked.until:%H:%M:%S}"
        )

    def failed(self, channel: str, code: str) -> bool:
        """Slack refused a post: cool the channel down if the reason is permanent (True)."""
        hint = PERMANENT.get(code)
        if hint is None:
            return False
        self._blocked[channel] = _Blocked(code, self._clock.now() + self.wait)
        minutes = self.wait.total_seconds() / 60
        if (channel, code) not in self._logged:
            self._logged.add((channel, code))
            log.warning(
                "Slack refused to post in channel %s (%s): %s. Not trying again for %.0f min.",
                channel,
                code,
                hint,
                minutes,
            )
        else:
            log.info("Slack still refuses posts in %s (%s)", channel, code)
        return True

    def succeeded(self, channel: str) -> None:
        self._blocked.pop(channel, None)
        self._logged = {key for key in self._logged if key[0] != channel}
