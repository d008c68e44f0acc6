"""The claim key of a post, carried where Discord shows it again later.

Discord's `nonce` (with `enforce_nonce`) stops a second message for the same key only
for a few minutes, and message history does not return it. So the key is also carried
by the message itself, invisibly: as the numeric `id` of its first top-level component.
Components accept an optional 32-bit `id`, Discord keeps the ones given and numbers the
others around them, and returns them with the message (components/reference, "Anatomy
of a Component"). Customers never see it.

An edit replaces every component, so edits set the same id again (the adapter remembers
it per message). find_sent is only needed for a post whose id the app never learned,
and the app cannot edit a message whose id it does not know: a marker lost by an edit
after a restart costs nothing."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

MAX_KEY = 25  # Discord refuses a longer nonce
# Ids Discord generates are small sequential numbers (a message holds at most 40
# components): markers stay above them, inside a positive 32-bit integer.
FLOOR = 1 << 16
CEILING = (1 << 31) - 1


def marker_for(key: str) -> int:
    """The component id standing for `key` (31 bits of its hash, above FLOOR)."""
    digest = int.from_bytes(hashlib.blake2b(key.encode(), digest_size=8).digest(), "big")
    return FLOOR + digest % (CEILING - FLOOR)


def marker_of(components: Sequence[object]) -> int | None:
    """The marker a fetched message carries on one of its top-level components."""
    for component in components:
        value = getattr(component, "id", None)
        if isinstance(value, int) and FLOOR <= value < CEILING:
            return value
    return None


def check_key(key: str) -> None:
    if len(key) > MAX_KEY:
        raise ValueError(f"a post key has at most {MAX_KEY} characters, not {len(key)}")
