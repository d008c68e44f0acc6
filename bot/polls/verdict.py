"""How clear is the lead? A verdict from the merchant's decision rule, plus the
probability that the leader is truly preferred over the runner-up.

The model. Votes in a single-choice poll are a multinomial sample of the customers'
preferences; with a uniform Dirichlet(1, ..., 1) prior on the true shares, the posterior
is Dirichlet(n_1 + 1, ..., n_k + 1). A property of the Dirichlet is that the leader's
part of the two-way split, p_leader / (p_leader + p_runner_up), is Beta(n_1 + 1, n_2 + 1)
whatever the other options got. So "conditioning on the two-way comparison" changes
nothing here: votes for a third option say nothing about which of the top two is
preferred, and the answer is the same as a uniform prior on the two-way split.

For integer counts the Beta tail is a binomial sum (no sampling, no scipy):
    P(Beta(a, b) > 1/2) = P(Binomial(a + b - 1, 1/2) <= a - 1)
so P(leader truly ahead) = P(Binomial(n_1 + n_2 + 1, 1/2) <= n_1).

In a multiple-choice poll a customer who ticked both (or neither) of the top two says
nothing about which one they prefer; the comparison then uses only the ballots that
picked exactly one of the two (the caller passes those counts as `pair`).
"""

from __future__ import annotations

import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass

from bot import i18n, messages
from bot.config.schema import DecisionRule

# Up to this many trials the binomial sum is done in exact integer arithmetic (most
# polls a small shop runs; < 3 ms); above it, in floating point from the largest term
# downwards (~1e-13 from the exact value, < 2 ms even for 10^6 votes).
EXACT_LIMIT = 4_000
_LN2 = math.log(2.0)


class Verdict(enum.StrEnum):
    CLEAR_WINNER = "clear_winner"
    LEANING = "leaning"
    TOO_CLOSE = "too_close"
    NOT_ENOUGH_VOTES = "not_enough_votes"


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    leader: str | None  # option id with the most votes (config order breaks a tie)
    runner_up: str | None  # the next one; None only when the poll has one option
    p_leader_best: float  # 0..1; exactly 0.5 on a tie or with no votes
    margin: float  # leader's share minus runner-up's share of all votes, 0..1
    voters: int  # customers with a ballot: what min_votes counts
    rule: DecisionRule


def binomial_half_cdf(trials: int, k: int) -> float:
    """P(X <= k) for X ~ Binomial(trials, 1/2)."""
    if k < 0:
        return 0.0
    if k >= trials:
        return 1.0
    if 2 * k >= trials:  # sum the smaller tail: no cancellation in 1 - (almost 1)
        return 1.0 - binomial_half_cdf(trials, trials - k - 1)
    if trials <= EXACT_LIMIT:
        count, binomial = 0, 1
        for j in range(k + 1):
            count += binomial
            binomial = binomial * (trials - j) // (j + 1)
        return count / (1 << trials)  # int / int is correctly rounded, even when huge
    # k is below the mode, so terms shrink as j goes down from k: start at the largest.
    log_term = (
        math.lgamma(trials + 1) - math.lgamma(k + 1) - math.lgamma(trials - k + 1) - trials * _LN2
    )
    term = math.exp(log_term)
    total = 0.0
    j = k
    while j >= 0 and term > total * 1e-17:
        total += term
        term *= j / (trials - j + 1)  # C(n, j-1) / C(n, j)
        j -= 1
    return min(total, 1.0)


def p_ahead(leader: int, runner_up: int) -> float:
    """P(true share of `leader` > true share of `runner_up`) given their vote counts."""
    if leader < 0 or runner_up < 0:
        raise ValueError("vote counts cannot be negative")
    if leader == runner_up:
        return 0.5  # exactly: a tie, or no votes at all
    return binomial_half_cdf(leader + runner_up + 1, leader)


def decide(
    counts: Sequence[tuple[str, int]],
    voters: int,
    rule: DecisionRule,
    pair: tuple[int, int] | None = None,
) -> Decision:
    """counts: (option id, votes) in config order. pair: for multiple-choice polls, the
    ballots that picked the leader but not the runner-up, and the other way round."""
    ranked = sorted(counts, key=lambda item: -item[1])  # stable: config order on ties
    total = sum(votes for _, votes in counts)
    leader, top = ranked[0] if ranked else (None, 0)
    runner_up, second = ranked[1] if len(ranked) > 1 else (None, 0)
    margin = (top - second) / total if total else 0.0
    p = p_ahead(*(pair if pair is not None else (top, second)))
    if voters < max(rule.min_votes, 1) or total == 0:
        verdict = Verdict.NOT_ENOUGH_VOTES
    elif top == second:
        verdict = Verdict.TOO_CLOSE
    elif margin >= rule.min_margin and p >= rule.confidence:
        verdict = Verdict.CLEAR_WINNER
    elif p >= rule.leaning_confidence:
        verdict = Verdict.LEANING
    else:
        verdict = Verdict.TOO_CLOSE
    return Decision(verdict, leader, runner_up, p, margin, voters, rule)


def percent(p: float) -> str:
    """A probability for people: never "100%" or "0%" for something merely likely."""
    if p >= 0.995:
        return messages.P_OVER.format(percent=i18n.percent(0.99))
    if p <= 0.005:
        return messages.P_UNDER.format(percent=i18n.percent(0.01))
    return i18n.percent(p)
