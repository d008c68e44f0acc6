"""`python -m bot.polls.chart_child PATH [LOCALE]`, a pickled PollResults on stdin: draw
its results chart to PATH, in LOCALE's words (default en), and exit. The bot runs this
once per chart (results_chart_in_child) so that matplotlib's memory goes away with the
process."""

from __future__ import annotations

import pickle
import sys
from pathlib import Path

from bot import i18n
from bot.polls.chart import results_chart
from bot.polls.results import PollResults


def main(argv: list[str]) -> int:
    results = pickle.loads(sys.stdin.buffer.read())  # from our own parent process
    if len(argv) not in (1, 2) or not isinstance(results, PollResults):
        usage = "usage: python -m bot.polls.chart_child PATH [LOCALE] < pickled PollResults"
        print(usage, file=sys.stderr)
        return 2
    locale = i18n.normalize(argv[1]) if len(argv) == 2 else None
    with i18n.use(locale or i18n.DEFAULT_LOCALE):
        results_chart(results, Path(argv[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
