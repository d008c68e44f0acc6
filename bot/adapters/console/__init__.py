"""The local terminal "platform": the zero-setup default, and a scriptable demo."""

from bot.adapters.console.adapter import ConsoleAdapter

__all__ = ["ConsoleAdapter"]
