"""`python -m bot.polls.chart_child PATH`, a pickled PollResults on stdin: draw its
results chart to PATH and exit. The bot runs this once per chart (results_chart_in_child)
so that matplotlib's memory goes away with the process."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from bot.polls.chart import results_chart
from bot.polls.results import PollResults


def main(argv: list[str]) -> int:
    results = pickle.loads(sys.stdin.buffer.read())  # from our own parent process
    if len(argv) != 1 or not isinstance(results, PollResults):
        print("usage: python -m bot.polls.chart_child PATH < pickled PollResults", file=sys.stderr)
        return 2
    results_chart(results, Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
