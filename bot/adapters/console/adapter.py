"""Console adapter: one terminal plays every customer (`/as NAME`) and the staff.

Reads lines from stdin on a daemon thread (so a blocked read never holds up exit) and
prints posts, private replies and tally edits to stdout. With piped input it processes
every line and then reports that it is finished, so `printf ... | engagebot run` is a
complete, repeatable demo. At a terminal, everything printed meanwhile (posts, replies,
log lines) goes above the `name> ` prompt being typed at (terminal.py)."""

from __future__ import annotations

import asyncio
import itertools
import logging
import shlex
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import TextIO, cast

from bot import logs, messages
from bot.adapters.console import parse, render
from bot.adapters.console.terminal import LinesAbovePrompt, PromptedTerminal
from bot.adapters.limits import CONSOLE
from bot.clock import Clock
from bot.core.actions import VERSION
from bot.core.content import Content, PollMessage, PromptMessage, ResultsMessage, TextMessage
from bot.core.events import (
    ActionInvoked,
    AdapterReady,
    CommandInvoked,
    EventSink,
    MessageReceived,
)
from bot.core.refs import ChannelRef, MessageRef, UserRef

log = logging.getLogger(__name__)

PLATFORM = "console"
DEFAULT_USER = "merchant"
STAFF_COMMANDS = ("polls", "results", "open", "close")


@dataclass(frozen=True)
class _Private:
    """Private replies are printed indented and addressed, as only that user would see."""

    out: ConsoleAdapter
    user: str

    async def reply_private(self, text: str) -> None:
        indented = render.console_wording(text).replace("\n", "\n     ")
        self.out.write(f"  → {messages.CONSOLE_PRIVATE.format(user=self.user)} {indented}")


class ConsoleAdapter:
    name = PLATFORM
    limits = CONSOLE

    def __init__(
        self,
        clock: Clock,
        staff: list[str] | None = None,
        stdin: TextIO | None = None,
        stdout: TextIO | None = None,
    ) -> None:
        self._clock = clock
        self._staff = set(staff if staff is not None else [DEFAULT_USER])
        self._stdin = stdin or sys.stdin
        self._stdout = stdout or sys.stdout
        self._echo = not self._stdin.isatty()  # a piped transcript shows what was typed
        # A person at a terminal: what the bot prints goes above the prompt.
        at_terminal = not self._echo and self._stdout.isatty()
        self._terminal = PromptedTerminal(self._stdout) if at_terminal else None
        self._stderr: LinesAbovePrompt | None = None
        self.user = DEFAULT_USER
        self.finished = asyncio.Event()  # input ended (LocalInput)
        self.quit_requested = False  # /quit stops the bot; end of input only the console
        self._ids = itertools.count(1)
        self._last_poll: PollMessage | None = None
        self._polls: dict[str, PollMessage] = {}  # every poll shown, for /vote
        self._channels: dict[str, str] = {}  # message id -> channel name, for edits
        self._reader: asyncio.Task[None] | None = None
        self._sink: EventSink | None = None
        self._last_channel = "general"  # chat lines go where the last post went
        self._last_prompt: MessageRef | None = None  # chat lines reply to it

    # -- adapter protocol ---------------------------------------------------------------

    async def start(self, sink: EventSink) -> None:
        self.write(messages.CONSOLE_WELCOME.format(user=self.user))
        self._sink = sink
        await sink.handle(AdapterReady(PLATFORM))

    async def started(self) -> None:
        # Read input only once start-up posts are shown: "1" must find its poll.
        if self._sink is not None and self._reader is None:
            self._take_stderr()
            self._reader = asyncio.create_task(self._read_loop(self._sink))

    async def stop(self) -> None:
        if self._reader is not None and not self._reader.done():
            self._reader.cancel()
        self._give_back_stderr()
        self._stdout.flush()

    def _take_stderr(self) -> None:
        """Log lines and the other lines printed on stderr go above the prompt too."""
        if self._terminal is None or self._stderr is not None:
            return
        self._stderr = LinesAbovePrompt(self._terminal, sys.stderr)
        above = cast(TextIO, self._stderr)  # a text stream, as far as its users can tell
        logs.retarget(sys.stderr, above)
        sys.stderr = above

    def _give_back_stderr(self) -> None:
        if self._stderr is None:
            return
        above, self._stderr = self._stderr, None
        above.close_pending()
        sys.stderr = above.stream
        logs.retarget(cast(TextIO, above), above.stream)

    @property
    def connected(self) -> bool:
        return True  # the terminal is always there (its end is `finished`)

    async def find_sent(self, channel: ChannelRef, key: str, since: datetime) -> MessageRef | None:
        return None  # nothing posted here outlives the process

    async def send(self, channel: ChannelRef, content: Content, *, key: str = "") -> MessageRef:
        """The key is not needed: nothing posted here outlives the process."""
        message_id = f"m{next(self._ids)}"
        self._channels[message_id] = channel.id
        self._last_channel = channel.id
        if isinstance(content, PollMessage):
            self._last_poll = self._polls[content.poll_id] = content
            self.write(render.poll_card(content, channel.id))
        elif isinstance(content, ResultsMessage):
            self.write(render.results_post(content, channel.id))
        elif isinstance(content, TextMessage):
            self.write(render.text_post(content, channel.id))
        elif isinstance(content, PromptMessage):
            self.write(render.prompt_post(content, channel.id))
            self._last_prompt = MessageRef(channel, message_id)
        return MessageRef(channel, message_id)

    async def edit(self, message: MessageRef, content: Content) -> None:
        channel = self._channels.get(message.id, message.channel.id)
        if isinstance(content, PollMessage):
            if self._last_poll is not None and self._last_poll.poll_id == content.poll_id:
                self._last_poll = content
            self._polls[content.poll_id] = content
            self.write(render.tally_line(content, channel))

    def write(self, text: str) -> None:
        if self._terminal is not None:
            self._terminal.write(text + "\n")
            return
        self._stdout.write(text + "\n")
        self._stdout.flush()

    def _prompt(self) -> None:
        """At a terminal, show who is typing (piped input echoes each line instead)."""
        if self._terminal is not None:
            self._terminal.prompt(f"{self.user}> ")
        elif not self._echo:
            self._stdout.write(f"{self.user}> ")
            self._stdout.flush()

    # -- input --------------------------------------------------------------------------

    async def _read_loop(self, sink: EventSink) -> None:
        lines: asyncio.Queue[str | None] = asyncio.Queue()
        loop = asyncio.get_running_loop()

        def pump() -> None:
            for line in self._stdin:
                if self._terminal is not None:  # at once: the next print needs no erasing
                    self._terminal.line_entered()
                loop.call_soon_threadsafe(lines.put_nowait, line)
            loop.call_soon_threadsafe(lines.put_nowait, None)

        threading.Thread(target=pump, name="console-stdin", daemon=True).start()
        try:
            self._prompt()
            while (line := await lines.get()) is not None:
                try:
                    if not await self._handle_line(line.strip(), sink):
                        break
                except Exception:
                    # One odd line must not end the session and drop the rest of a script.
                    log.exception("could not handle console input %r", line.strip()[:80])
                self._prompt()
        finally:
            if self._terminal is not None:
                self._terminal.hide_prompt()
            self.finished.set()

    async def _handle_line(self, line: str, sink: EventSink) -> bool:
        """Process one input line; False means stop."""
        if not line:
            return True
        if self._echo:
            self.write(f"{self.user}> {line}")
        if parse.looks_like_number(line):
            await self._vote_by_number(line, sink)
        elif line.startswith("/"):
            return await self._command(line, sink)
        elif parse.is_real_text(line):
            channel = ChannelRef(PLATFORM, self._current_channel())
            message_id = f"c{uuid.uuid4().hex}"
            await sink.handle(
                MessageReceived(self._user(), channel, line, self._last_prompt, None, message_id)
            )
        return True

    async def _command(self, line: str, sink: EventSink) -> bool:
        try:
            words = shlex.split(line[1:])
        except ValueError:
            words = line[1:].split()
        name, args = (words[0].lower(), tuple(words[1:])) if words else ("", ())
        responder = _Private(self, self.user)
        if name in ("quit", "exit"):
            self.quit_requested = True
            return False
        if name in ("help", ""):
            self.write(render.help_text(self.user))
        elif name == "as":
            if len(args) != 1:
                await responder.reply_private(messages.CONSOLE_AS_USAGE.format())
            else:
                self.user = args[0]
                self.write(messages.CONSOLE_YOU_ARE.format(user=self.user))
        elif name == "vote":
            await self._vote(args, sink)
        elif name in STAFF_COMMANDS:
            channel = ChannelRef(PLATFORM, self._current_channel())
            is_staff = self.user in self._staff
            await sink.handle(
                CommandInvoked(self._user(), channel, name, args, is_staff, responder)
            )
        else:
            self.write(render.unknown_command(name, self.user))
        return True

    async def _vote_by_number(self, typed: str, sink: EventSink) -> None:
        poll = self._last_poll
        responder = _Private(self, self.user)
        if poll is None:
            await responder.reply_private(messages.CONSOLE_NO_POLL_YET.format())
            return
        card = parse.card_by_number(poll, typed)
        if card is None:
            await responder.reply_private(render.number_hint(poll))
            return
        await sink.handle(self._action(card.button.action_id, None))

    async def _vote(self, args: tuple[str, ...], sink: EventSink) -> None:
        """/vote POLL OPTION [OPTION...], or /vote OPTION in the poll shown last. An option
        is a number, an id or a label; what this console cannot resolve goes to the app
        as typed, so a mistyped id gets the same reply it would get anywhere."""
        responder = _Private(self, self.user)
        named = self._polls.get(args[0].lower()) if args else None
        last = self._last_poll
        poll: PollMessage | None
        if named is not None and len(args) >= 2:
            poll, typed = named, args[1:]
        elif named is None and last is not None and (len(args) == 1 or parse.names(last, args)):
            poll, typed = last, args
        elif len(args) >= 2:
            poll, typed = None, args[1:]
        else:
            await responder.reply_private(messages.CONSOLE_VOTE_USAGE.format())
            return
        poll_id = poll.poll_id if poll is not None else args[0]
        options = parse.resolve_options(poll, typed) if poll is not None else typed
        if options is None:
            assert poll is not None
            await responder.reply_private(render.number_hint(poll))
            return
        # Built by hand, not encoded: a mistyped id must reach the app and get its reply.
        action_id = f"{VERSION}:vote:{poll_id}:{options[0]}"
        await sink.handle(self._action(action_id, options))

    def _action(self, action_id: str, selection: tuple[str, ...] | None) -> ActionInvoked:
        return ActionInvoked(
            user=self._user(),
            action_id=action_id,
            delivery_id=f"console:{uuid.uuid4().hex}",
            occurred_at=self._clock.now(),
            responder=_Private(self, self.user),
            selection=selection,
        )

    def _user(self) -> UserRef:
        return UserRef(PLATFORM, self.user, self.user)

    def _current_channel(self) -> str:
        return self._last_channel
