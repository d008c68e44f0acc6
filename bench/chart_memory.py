"""What drawing a results chart costs the bot's memory: resident set size (RSS) of a
process that has loaded the bot, before and after its first charts, when the chart is
drawn in the process itself and when it is drawn in a one-shot child process (what
`engagebot run` does). Each way runs in a fresh interpreter. Prints figures, asserts
nothing. Linux only (reads /proc/self/status).

    python bench/chart_memory.py [--charts N]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def rss_mb(field: str = "VmRSS") -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def sample_results() -> object:
    from bot.config.schema import PollConfig
    from bot.polls.results import build_results
    from bot.storage.base import PollRecord, PollState, Tally

    votes = {f"option-{i}": 100 - 9 * i for i in range(9)}
    poll = PollConfig.model_validate(
        {
            "id": "bench",
            "question": "Which of these nine long-named helmets should we stock this spring?",
            "channels": ["community"],
            "options": [{"id": key, "label": f"{key} with a long name 自行车 🚲"} for key in votes],
        }
    )
    tally = Tally("bench", votes, sum(votes.values()))
    return build_results(poll, PollRecord("bench", PollState.CLOSED), tally)


def measure(way: str, charts: int) -> dict[str, float]:
    """In this (fresh) process: load the bot, then draw charts the given way."""
    import bot.app  # noqa: F401  (what `engagebot run` has loaded before any chart)
    from bot.polls import chart

    draw = chart.results_chart if way == "in-process" else chart.results_chart_in_child
    results = sample_results()
    figures: dict[str, float] = {"bot loaded": rss_mb()}
    seconds: list[float] = []
    with tempfile.TemporaryDirectory() as folder:
        for index in range(charts):
            start = time.perf_counter()
            draw(results, Path(folder) / f"{index}.png")  # type: ignore[arg-type]
            seconds.append(time.perf_counter() - start)
            gc.collect()
            figures[f"after chart {index + 1}"] = rss_mb()
    figures["peak"] = rss_mb("VmHWM")
    figures["first chart s"] = seconds[0]
    figures["next charts s"] = sum(seconds[1:]) / max(len(seconds) - 1, 1)
    figures["matplotlib loaded"] = float("matplotlib" in sys.modules)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--charts", type=int, default=3)
    parser.add_argument("--way", choices=("in-process", "child"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:  # the measuring child
        print(json.dumps(measure(args.way, args.charts)))
        return
    print(f"RSS in MB of a process that loaded the bot and drew {args.charts} results charts")
    for way in ("in-process", "child"):
        command = [sys.executable, __file__, "--way", way, "--charts", str(args.charts)]
        output = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT)
        figures = json.loads(output.stdout.splitlines()[-1])
        print(f"\n{way}:")
        for name, value in figures.items():
            unit = "" if name == "matplotlib loaded" else (" s" if name.endswith(" s") else " MB")
            shown = ("yes" if value else "no") if unit == "" else f"{value:8.2f}{unit}"
            print(f"  {name:<20} {shown}")


if __name__ == "__main__":
    main()
