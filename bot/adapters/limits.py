"""Each platform's limits, kept free of platform imports so config checks can use them."""

from __future__ import annotations

from bot.core.adapter import PlatformLimits

CONSOLE = PlatformLimits(
    max_options=50, max_label_length=200, edit_interval=0.0, persistent_messages=False
)
# Discord: a button label is at most 80 characters; Components V2 allows 40 components
# per message, and a product card (section + its text + its vote button, then the photo's
# media gallery) takes four: container, header and footer + 4 × 9 cards = 39.
# A reused nonce returns the first message for "a few minutes" (Discord API docs): two
# minutes is well inside that.
DISCORD = PlatformLimits(max_options=9, max_label_length=80, edit_interval=2.0, resend_window=120.0)
# Slack: button text at most 75 characters; 50 blocks per message, three per card.
# chat.update is Tier 3 for the whole workspace: one process holds all its edits.
SLACK = PlatformLimits(
    max_options=15, max_label_length=75, edit_interval=5.0, edits_share_a_budget=True
)

LIMITS: dict[str, PlatformLimits] = {"console": CONSOLE, "discord": DISCORD, "slack": SLACK}

# The largest image file each platform takes as an upload. Discord: 10 MiB for a bot in a
# server without boosts. Slack accepts 1 GB; no product photo needs more than 50 MiB. The
# console uploads nothing, but a config should not name a file no platform could take.
MIB = 1024 * 1024
MAX_IMAGE_BYTES: dict[str, int] = {"console": 50 * MIB, "discord": 10 * MIB, "slack": 50 * MIB}
