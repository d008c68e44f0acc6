"""Private replies on Slack, and the moment each request is acknowledged.

The app calls reply_private only after it has stored the vote (or refused it): that call
is the acknowledgement moment. A click is therefore acked inside reply_private, before
the ephemeral confirmation is sent (to the click's response_url), and never earlier.
A slash command's reply rides in the ack itself when it is ready within the deadline;
otherwise the listener acks with a short "working on it" and the reply follows through
the response_url."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from slack_bolt.context.ack.async_ack import AsyncAck

from bot.adapters.slack.blocks import clip, escape

MAX_REPLY = 3000
PostEphemeral = Callable[[str], Awaitable[None]]


class ClickResponder:
    """For a button click: ack, then an ephemeral message only the clicker sees."""

    def __init__(self, ack: AsyncAck, post: PostEphemeral) -> None:
        self._ack = ack
        self._post = post
        self.acked = False
        self.replies: list[str] = []

    async def acknowledge(self) -> None:
        if not self.acked:
            self.acked = True  # set before awaiting: a second caller must not ack again
            await self._ack()

    async def reply_private(self, text: str) -> None:
        await self.acknowledge()  # the app stored (or refused) the vote before calling us
        self.replies.append(text)
        await self._post(clip(escape(text), MAX_REPLY))


class CommandResponder:
    """For a slash command: the first reply is the ack's body, later ones go to the
    response_url (chat.postEphemeral if that fails). All are ephemeral."""

    def __init__(self, ack: AsyncAck, post: PostEphemeral) -> None:
        self._ack = ack
        self._post = post
        self.acked = False

    async def acknowledge(self, text: str = "") -> None:
        if self.acked:
            return
        self.acked = True
        if text:
            await self._ack(text=clip(escape(text), MAX_REPLY), response_type="ephemeral")
        else:
            await self._ack()

    async def reply_private(self, text: str) -> None:
        if not self.acked:
            await self.acknowledge(text)
            return
        await self._post(clip(escape(text), MAX_REPLY))
