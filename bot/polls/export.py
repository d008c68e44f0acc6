"""Votes as rows for spreadsheets: one row per option a customer chose.

Customers appear under a pseudonym: an HMAC-SHA256 of their platform account keyed with
a random per-database secret (the secrets table), truncated to 16 hex characters. The
same customer gets the same pseudonym in every export from the same database, across
polls and platforms accounts stay distinct; without the database the pseudonym cannot
be turned back into a platform user id. Raw ids only when asked for (--raw-ids)."""

from __future__ import annotations

import csv
import hashlib
import hmac
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from bot.config.schema import PollConfig
from bot.storage.base import Ballot, Store

SECRET_NAME = "voter-pseudonyms"
PSEUDONYM_LENGTH = 16  # hex characters: 64 bits, no collisions at shop scale
FIELDS = ("poll", "time", "platform", "voter", "option", "label")
RAW_FIELDS = ("user_id", "user_name")


def pseudonym(key: bytes, voter_key: str) -> str:
    digest = hmac.new(key, voter_key.encode("utf-8"), hashlib.sha256).hexdigest()
    return digest[:PSEUDONYM_LENGTH]


@dataclass(frozen=True)
class VoteRow:
    poll: str
    time: str  # ISO 8601 in the store's zone, with its offset: when the customer voted
    platform: str
    voter: str  # pseudonym
    option: str
    label: str
    user_id: str | None = None  # only with raw ids
    user_name: str | None = None

    def as_dict(self, raw_ids: bool) -> dict[str, Any]:
        data = {name: getattr(self, name) for name in FIELDS}
        if raw_ids:
            data.update({name: getattr(self, name) for name in RAW_FIELDS})
        return data


def rows(
    poll: PollConfig, ballots: Iterable[Ballot], key: bytes, raw_ids: bool, zone: ZoneInfo
) -> list[VoteRow]:
    """zone: the store's, so times read like the report's days (the offset keeps them
    exact for a spreadsheet that converts)."""
    labels = {option.id: option.label for option in poll.options}
    found: list[VoteRow] = []
    for ballot in sorted(ballots, key=lambda b: (b.cast_at, b.voter.key)):
        for option in ballot.options:
            found.append(
                VoteRow(
                    poll=poll.id,
                    time=ballot.cast_at.astimezone(zone).isoformat(),
                    platform=ballot.voter.platform,
                    voter=pseudonym(key, ballot.voter.key),
                    option=option,
                    label=labels.get(option, option),
                    user_id=ballot.voter.id if raw_ids else None,
                    user_name=ballot.voter.name if raw_ids else None,
                )
            )
    return found


async def vote_rows(
    store: Store, poll: PollConfig, zone: ZoneInfo, raw_ids: bool = False
) -> list[VoteRow]:
    key = await store.secret(SECRET_NAME)
    return rows(poll, await store.ballots(poll.id), key, raw_ids, zone)


def write_csv(found: list[VoteRow], out: TextIO, raw_ids: bool) -> None:
    names = FIELDS + RAW_FIELDS if raw_ids else FIELDS
    writer = csv.DictWriter(out, fieldnames=names, lineterminator="\n")
    writer.writeheader()
    for row in found:
        writer.writerow(row.as_dict(raw_ids))
