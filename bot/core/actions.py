"""Short, versioned action ids carried by buttons: `v1:vote:<poll>:<option>`.

Everything a click needs is in the id, so buttons keep working after a restart and no
voter data ever lives in the message."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

VERSION = "v1"
_PART = r"[a-z0-9][a-z0-9_-]{0,31}"
# Matched with fullmatch: `$` would also accept a trailing newline ("…:urban\n").
VOTE_PATTERN = re.compile(rf"{VERSION}:vote:(?P<poll>{_PART}):(?P<option>{_PART})")
# Shared with adapters that route clicks by pattern (discord DynamicItem, slack regex).
ACTION_PREFIX = f"{VERSION}:"
MAX_ACTION_ID_LENGTH = 100  # Discord custom_id limit, the tighter of the two


@dataclass(frozen=True)
class VoteAction:
    poll_id: str
    option_id: str


class MalformedAction(ValueError):
    """The id was not produced by this bot (forged, truncated or from another version)."""


def encode_vote(poll_id: str, option_id: str) -> str:
    action_id = f"{VERSION}:vote:{poll_id}:{option_id}"
    if not VOTE_PATTERN.fullmatch(action_id):
        raise ValueError(f"cannot encode vote action for {poll_id!r}/{option_id!r}")
    return action_id


@functools.lru_cache(maxsize=1024)  # a poll's few buttons are clicked over and over
def decode(action_id: str) -> VoteAction:
    match = VOTE_PATTERN.fullmatch(action_id)
    if match is None:
        raise MalformedAction(action_id[:MAX_ACTION_ID_LENGTH])
    return VoteAction(match["poll"], match["option"])
