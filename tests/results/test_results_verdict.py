"""The verdict and p_leader_best, checked against values computed independently here:
exact rational integration of the Beta density (small counts) and a numerical
integration of it (large counts), plus closed forms. Never against the binomial-sum
formula verdict.py uses."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest

from bot.config import load_config
from bot.config.schema import DecisionRule
from bot.errors import ConfigError
from bot.polls import verdict
from bot.polls.verdict import Verdict, decide, p_ahead, percent
from tests.results.results_helpers import write_shop


def exact_beta_tail(a: int, b: int) -> Fraction:
    """P(X > 1/2) for X ~ Beta(a, b), exactly: expand (1-x)^(b-1) and integrate each
    power of x from 1/2 to 1; the normaliser B(a, b) = (a-1)!(b-1)!/(a+b-1)!."""
    integral = Fraction(0)
    for k in range(b):
        power = a + k  # integral of x^(a-1+k) is x^(a+k)/(a+k)
        term = Fraction(math.comb(b - 1, k) * (-1) ** k, power)
        integral += term * (1 - Fraction(1, 2**power))
    beta = Fraction(math.factorial(a - 1) * math.factorial(b - 1), math.factorial(a + b - 1))
    return integral / beta


def numeric_beta_tail(a: int, b: int, steps: int = 20_000) -> float:
    """P(X > 1/2) for X ~ Beta(a, b) by Simpson's rule on the log-density, over the
    part of (1/2, 1) where the density is not negligibly small (15 sd around the mean)."""
    n = a + b
    mean = a / n
    sd = math.sqrt(a * b / (n * n * (n + 1)))
    low, high = max(0.5, mean - 15 * sd), min(1.0, mean + 15 * sd)
    if low >= high:
        return 0.0
    log_norm = math.lgamma(n) - math.lgamma(a) - math.lgamma(b)

    def density(x: float) -> float:
        if x <= 0.0 or x >= 1.0:
            return 0.0
        return math.exp(log_norm + (a - 1) * math.log(x) + (b - 1) * math.log1p(-x))

    h = (high - low) / steps
    weights = [1 if i in (0, steps) else 4 if i % 2 else 2 for i in range(steps + 1)]
    return h / 3 * math.fsum(w * density(low + i * h) for i, w in enumerate(weights))


@pytest.mark.parametrize(
    ("leader", "runner_up"),
    [(1, 0), (2, 1), (3, 1), (5, 3), (12, 7), (23, 19), (40, 30), (19, 23), (50, 49)],
)
def test_small_counts_match_exact_integration(leader: int, runner_up: int) -> None:
    expected = exact_beta_tail(leader + 1, runner_up + 1)
    assert p_ahead(leader, runner_up) == pytest.approx(float(expected), abs=1e-12)


@pytest.mark.parametrize(
    ("leader", "runner_up"),
    [(230, 190), (1_000, 950), (10_100, 9_950), (10_300, 10_000), (500_000, 499_000)],
)
def test_large_counts_match_numerical_integration(leader: int, runner_up: int) -> None:
    # The last three take the floating-point path (more than EXACT_LIMIT trials).
    assert p_ahead(leader, runner_up) == pytest.approx(
        numeric_beta_tail(leader + 1, runner_up + 1), abs=1e-8
    )


def test_both_summation_paths_agree_with_integration_at_the_boundary() -> None:
    leader, runner_up = 2_010, 1_980  # 3,991 trials: the exact path
    exact = p_ahead(leader, runner_up)
    limit = verdict.EXACT_LIMIT
    verdict.EXACT_LIMIT = 100  # force the log-space path for the same counts
    try:
        in_logs = p_ahead(leader, runner_up)
    finally:
        verdict.EXACT_LIMIT = limit
    reference = numeric_beta_tail(leader + 1, runner_up + 1)
    assert exact == pytest.approx(reference, abs=1e-9)
    assert in_logs == pytest.approx(reference, abs=1e-9)


def test_closed_forms() -> None:
    # Beta(n+1, 1) has density (n+1) x^n: P(X > 1/2) = 1 - 2^-(n+1).
    for n in (0, 1, 2, 5, 30):
        assert p_ahead(n, 0) == pytest.approx(1 - 2.0 ** -(n + 1), abs=1e-15)
    assert p_ahead(0, 0) == 0.5 and p_ahead(7, 7) == 0.5 and p_ahead(40_000, 40_000) == 0.5
    for a, b in ((3, 1), (23, 19), (20_500, 20_000)):
        assert p_ahead(a, b) + p_ahead(b, a) == pytest.approx(1.0, abs=1e-12)
    assert p_ahead(1_000_000, 0) == 1.0  # no overflow, no nonsense
    with pytest.raises(ValueError):
        p_ahead(-1, 0)


RULE = DecisionRule(min_votes=20, min_margin=0.10)


def counts(**votes: int) -> list[tuple[str, int]]:
    return list(votes.items())


def test_not_enough_votes_counts_customers_not_option_votes() -> None:
    # 30 option votes from 15 customers (multiple choice): min_votes counts customers.
    decision = decide(counts(a=20, b=10), voters=15, rule=RULE)
    assert decision.verdict is Verdict.NOT_ENOUGH_VOTES
    assert decision.leader == "a" and decision.runner_up == "b"
    assert decide(counts(a=20, b=10), voters=20, rule=RULE).verdict is not (
        Verdict.NOT_ENOUGH_VOTES
    )


def test_zero_votes_is_never_decided_even_without_a_minimum() -> None:
    decision = decide(counts(a=0, b=0), voters=0, rule=DecisionRule(min_votes=0))
    assert decision.verdict is Verdict.NOT_ENOUGH_VOTES
    assert decision.p_leader_best == 0.5 and decision.margin == 0.0


def test_tie_is_too_close_with_even_odds() -> None:
    decision = decide(counts(a=15, b=15, c=3), voters=33, rule=RULE)
    assert decision.verdict is Verdict.TOO_CLOSE
    assert decision.p_leader_best == 0.5 and decision.leader == "a"


def test_clear_winner_needs_margin_and_confidence() -> None:
    clear = decide(counts(a=40, b=15, c=5), voters=60, rule=RULE)
    assert clear.verdict is Verdict.CLEAR_WINNER
    assert clear.margin == pytest.approx(25 / 60)
    assert clear.p_leader_best == pytest.approx(float(exact_beta_tail(41, 16)), abs=1e-12)


def test_leaning_when_only_one_of_the_two_holds() -> None:
    # A 20-point margin, but 15 to 10 is only ~84% sure: leaning.
    sure_enough = decide(counts(a=15, b=10), voters=25, rule=RULE)
    assert 0.75 <= sure_enough.p_leader_best < 0.95
    assert sure_enough.verdict is Verdict.LEANING
    # A huge poll: certain, but a 4-point lead is below the 10 points asked for.
    small_margin = decide(counts(a=5_200, b=4_800), voters=10_000, rule=RULE)
    assert small_margin.p_leader_best > 0.999
    assert small_margin.verdict is Verdict.LEANING


def test_too_close_below_the_leaning_confidence() -> None:
    decision = decide(counts(a=23, b=19), voters=42, rule=RULE)
    assert decision.p_leader_best == pytest.approx(float(exact_beta_tail(24, 20)), abs=1e-12)
    assert decision.p_leader_best < 0.75
    assert decision.verdict is Verdict.TOO_CLOSE


def test_third_options_do_not_change_the_head_to_head() -> None:
    with_third = decide(counts(a=30, b=20, c=100), voters=150, rule=RULE)
    without = decide(counts(a=30, b=20), voters=50, rule=RULE)
    assert with_third.leader == "c" and with_third.runner_up == "a"
    assert without.p_leader_best == pytest.approx(float(exact_beta_tail(31, 21)), abs=1e-12)


def test_multiple_choice_uses_only_ballots_that_separate_the_two() -> None:
    # 30 vs 25 votes, but 22 customers ticked both: only 8 vs 3 say who is preferred.
    decision = decide(counts(a=30, b=25), voters=36, rule=RULE, pair=(8, 3))
    assert decision.p_leader_best == pytest.approx(float(exact_beta_tail(9, 4)), abs=1e-12)
    assert decision.p_leader_best != pytest.approx(p_ahead(30, 25))


def test_custom_confidence_thresholds() -> None:
    strict = DecisionRule(min_votes=1, min_margin=0.0, confidence=0.99, leaning_confidence=0.9)
    decision = decide(counts(a=15, b=10), voters=25, rule=strict)
    assert decision.verdict is Verdict.TOO_CLOSE  # ~84%: below both thresholds


def test_percent_never_claims_certainty() -> None:
    assert percent(0.9999) == "over 99%" and percent(0.001) == "under 1%"
    assert percent(0.8361) == "84%"


def test_decision_keys_in_the_config(tmp_path: Path) -> None:
    path = write_shop(tmp_path)
    text = path.read_text().replace(
        "min_margin: 0.10}", "min_margin: 0.10, confidence: 0.9, leaning_confidence: 0.7}"
    )
    path.write_text(text)
    rule = load_config(path).settings.polls[0].decision
    assert (rule.confidence, rule.leaning_confidence) == (0.9, 0.7)

    path.write_text(text.replace("leaning_confidence: 0.7", "leaning_confidence: 0.97"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 1
    assert "leaning_confidence is 0.97 but confidence is only 0.9" in problems[0]
    lines = path.read_text().splitlines()
    row = next(i for i, line in enumerate(lines) if "decision:" in line)
    column = lines[row].index("0.97") + 1
    assert problems[0].startswith(f"{path}:{row + 1}:{column}: ")  # on the value itself
