"""Which question a prompt day gets.

The store hands out a day number (0, 1, 2, ...) per prompt set; the question follows from
it alone, so a restart or a second process continues the same sequence. Shuffle draws a
new order per cycle: no question repeats until every one was used, and a cycle never
starts with the question the previous one ended on."""

from __future__ import annotations

import random
from typing import Literal

Order = Literal["sequence", "shuffle"]


def _cycle_order(prompt_id: str, cycle: int, count: int) -> list[int]:
    order = list(range(count))
    random.Random(f"{prompt_id}:{cycle}").shuffle(order)  # str seeds are stable across runs
    return order


def cycle_order(prompt_id: str, cycle: int, count: int) -> list[int]:
    if count <= 2:
        return list(range(count))  # with two questions, alternating is the only no-repeat
    order = _cycle_order(prompt_id, cycle, count)
    # Swapping the first two never changes the last, so the previous cycle's last is raw.
    if cycle > 0 and order[0] == _cycle_order(prompt_id, cycle - 1, count)[-1]:
        order[0], order[1] = order[1], order[0]
    return order


def question_index(order: Order, prompt_id: str, seq: int, count: int) -> int:
    if count <= 0:
        raise ValueError("a prompt set needs at least one question")
    if order == "sequence":
        return seq % count
    cycle, position = divmod(seq, count)
    return cycle_order(prompt_id, cycle, count)[position]
