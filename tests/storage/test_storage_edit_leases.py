"""Edit leases (one process at a time edits a poll message) and the tallies read each
lease tick: compare-and-set on both backends."""

from __future__ import annotations

import asyncio

from storage_helpers import POLL, at, user, vote

from bot.core.refs import ChannelRef, MessageRef
from bot.storage.base import EditLease
from bot.storage.sqlite import SqliteStore

A, B = "host:100:1", "host:200:2"
M1 = MessageRef(ChannelRef("discord", "900"), "1")
M2 = MessageRef(ChannelRef("slack", "C1"), "1700000000.000100")
WANTED = {M1: "helmets", M2: "helmets"}


def holders(leases: list[EditLease]) -> dict[MessageRef, str]:
    return {lease.message: lease.holder for lease in leases}


async def test_a_free_lease_is_taken_and_renewed_by_its_holder_only(store: SqliteStore) -> None:
    taken = await store.take_edit_leases(WANTED, A, at(0), at(20))
    assert holders(taken) == {M1: A, M2: A}
    assert {lease.expires_at for lease in taken} == {at(20)}
    assert {lease.poll_id for lease in taken} == {"helmets"}

    # Another process sees A's lease and does not get it while it runs.
    refused = await store.take_edit_leases({M1: "helmets"}, B, at(5), at(25))
    assert refused == [EditLease(M1, "helmets", A, at(20))]

    renewed = await store.take_edit_leases(WANTED, A, at(10), at(30))
    assert holders(renewed) == {M1: A, M2: A}
    assert {lease.expires_at for lease in renewed} == {at(30)}


async def test_an_expired_lease_or_a_gone_holders_lease_is_taken_over(
    store: SqliteStore,
) -> None:
    await store.take_edit_leases(WANTED, A, at(0), at(20))
    # At 20 s A's lease ran out (A died on another machine): B takes M1.
    assert holders(await store.take_edit_leases({M1: "helmets"}, B, at(20), at(40))) == {M1: B}
    # A is known to be gone (same machine): B takes M2 before it expires.
    early = await store.take_edit_leases({M2: "helmets"}, B, at(1), at(21), steal_from=[A])
    assert holders(early) == {M2: B}
    # A's renewal comes too late: both are B's now.
    assert holders(await store.take_edit_leases(WANTED, A, at(2), at(22))) == {M1: B, M2: B}


async def test_released_leases_are_free_at_once(store: SqliteStore) -> None:
    await store.take_edit_leases(WANTED, A, at(0), at(20))
    await store.release_edit_leases(A, [M1])
    assert holders(await store.take_edit_leases(WANTED, B, at(1), at(21))) == {M1: B, M2: A}
    await store.release_edit_leases(A)
    await store.release_edit_leases(B, [M2])  # not B's: nothing happens
    assert holders(await store.take_edit_leases(WANTED, B, at(2), at(22))) == {M1: B, M2: B}
    assert await store.take_edit_leases({}, B, at(3), at(23)) == []


async def test_racing_processes_get_each_lease_once(store: SqliteStore) -> None:
    wanted = {MessageRef(ChannelRef("discord", "900"), str(n)): "helmets" for n in range(20)}
    rounds = await asyncio.gather(
        *(store.take_edit_leases(wanted, f"host:{n}:1", at(0), at(20)) for n in range(8))
    )
    for message in wanted:
        told = [holders(leases)[message] for leases in rounds]
        winners = [r for r, holder in enumerate(told) if holder == f"host:{r}:1"]
        assert len(winners) == 1, (message, told)


async def test_tallies_of_several_polls_in_one_read(voting_store: SqliteStore) -> None:
    await voting_store.ensure_polls(["other"])
    await voting_store.open_poll("other", at(0), None, "test")
    await vote(voting_store, user(1), "aero")
    await vote(voting_store, user(2), "urban")
    await vote(voting_store, user(3, "slack"), "aero")
    tallies = await voting_store.tallies([POLL, "other", "never-voted"])
    assert tallies[POLL] == await voting_store.tally(POLL)
    assert tallies[POLL].counts == {"aero": 2, "urban": 1} and tallies[POLL].voters == 3
    assert tallies["other"].counts == {} and tallies["never-voted"].voters == 0
    assert set(tallies) == {POLL, "other", "never-voted"}
