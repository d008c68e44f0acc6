"""The interactive console's terminal: the merchant types after a `name> ` prompt on the
last line, while the bot prints whenever something happens (a tally edit, a scheduled
results post, a log line from any thread, the dashboard's address). Everything printed
goes above the prompt: the prompt line is erased, the text written, and the prompt drawn
again below it, so nothing lands in the line being typed.

Only for a terminal on both ends; piped input keeps its plain transcript."""

from __future__ import annotations

import io
import threading
from typing import TextIO

ERASE_LINE = "\r\x1b[K"  # to the line's start, then clear it


class PromptedTerminal:
    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._lock = threading.Lock()  # log lines come from other threads too
        self._prompt = ""  # what is on the last line; "" when the cursor is on a fresh one

    def prompt(self, text: str) -> None:
        with self._lock:
            self._prompt = text
            self._out.write(text)
            self._out.flush()

    def line_entered(self) -> None:
        """Enter was pressed: the cursor is on a fresh line, the prompt is history."""
        with self._lock:
            self._prompt = ""

    def hide_prompt(self) -> None:
        """Input ended (Ctrl-D): the last words printed should not follow a prompt."""
        with self._lock:
            if self._prompt:
                self._out.write(ERASE_LINE)
                self._out.flush()
            self._prompt = ""

    def write(self, text: str, stream: TextIO | None = None) -> None:
        """Whole lines (ending in a newline) above the prompt, on stream (default out)."""
        with self._lock:
            if self._prompt:
                self._out.write(ERASE_LINE)
                self._out.flush()
            target = stream or self._out
            target.write(text)
            target.flush()
            if self._prompt:
                self._out.write(self._prompt)
                self._out.flush()


class LinesAbovePrompt(io.TextIOBase):
    """A stand-in for stderr (log handlers, print): complete lines go above the prompt;
    a line written in pieces (print writes its end separately) waits for its end."""

    def __init__(self, terminal: PromptedTerminal, stream: TextIO) -> None:
        super().__init__()
        self.terminal = terminal
        self.stream = stream
        self._pending = ""
        self._lock = threading.Lock()

    def write(self, text: str) -> int:
        with self._lock:
            lines, newline, self._pending = (self._pending + text).rpartition("\n")
            if newline:
                self.terminal.write(lines + newline, self.stream)
        return len(text)

    def flush(self) -> None:
        """A partial line stays pending: written alone it would carry the prompt along."""

    def close_pending(self) -> None:
        """Write what is left of a partial line (when the terminal is handed back)."""
        with self._lock:
            rest, self._pending = self._pending, ""
        if rest:
            self.terminal.write(rest + "\n", self.stream)

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.stream.encoding
