"""Posts that Slack refuses for good are not retried every few seconds.

The app releases its claim on a poll post that failed and tries again shortly; for a
channel the bot is not in, an archived channel or a missing scope that only floods Slack
with calls that must fail and the log with the same error. After such an answer the
channel cools down: sends to it fail at once, without calling Slack, until the wait is
over, and the reason is logged once with what to do about it. The timing is the
platform-neutral CoolDown (bot/core/cooldown.py); which answers are permanent, and what
fixes them, is Slack's and lives here."""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.clock import Clock
from bot.core.cooldown import CoolDown
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


class ChannelCoolDown:
    """Per channel: the permanent error Slack gave and when sending may be tried again."""

    def __init__(self, clock: Clock, wait: timedelta = COOL_DOWN) -> None:
        self.wait = wait
        self._refused = CoolDown(clock)

    def check(self, channel: str) -> None:
        """Raise PlatformError, without calling Slack, while `channel` cools down."""
        refusal = self._refused.refusal(channel)
        if refusal is None:
            return
        raise PlatformError(
            f"Slack refused posts to {channel} ({refusal.why}); "
            f"not trying again before {refusal.until:%H:%M:%S}"
        )

    def failed(self, channel: str, code: str) -> bool:
        """Slack refused a post: cool the channel down if the reason is permanent (True)."""
        hint = PERMANENT.get(code)
        if hint is None:
            return False
        if self._refused.refuse(channel, self.wait, code):
            log.warning(
                "Slack refused to post in channel %s (%s): %s. Not trying again for %.0f min.",
                channel,
                code,
                hint,
                self.wait.total_seconds() / 60,
            )
        else:
            log.info("Slack still refuses posts in %s (%s)", channel, code)
        return True

    def succeeded(self, channel: str) -> None:
        self._refused.lifted(channel)
