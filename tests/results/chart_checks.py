"""What every chart must satisfy, checked on the drawn figure: each text inside the image
(the renderer's window extents), each drawn character in a font of the chain, no glyph
matplotlib had to replace with a box. And the PNGs kept for people to look at."""

from __future__ import annotations

import itertools
import warnings
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from bot.polls import chart
from bot.polls.chart_fonts import FontChain

# Looked at by people (git ignores it); each test also keeps its own copy in tmp_path.
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "charts"


def drawn_texts(figure: Figure) -> list[Text]:
    """Every Text artist that puts ink on the image."""
    FigureCanvasAgg(figure).draw()
    return [
        text
        for text in figure.findobj(Text)
        if isinstance(text, Text) and text.get_visible() and text.get_text().strip()
    ]


def extent(text: Text) -> Bbox:
    return text.get_window_extent(text.figure.canvas.get_renderer())  # type: ignore[union-attr]


def assert_texts_inside(figure: Figure) -> None:
    width, height = figure.bbox.width, figure.bbox.height
    for text in drawn_texts(figure):
        box = extent(text)
        assert box.x0 >= -0.5 and box.y0 >= -0.5, (text.get_text(), box)
        assert box.x1 <= width + 0.5 and box.y1 <= height + 0.5, (text.get_text(), box)


def assert_no_missing_glyphs(figure: Figure, fonts: FontChain) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        texts = drawn_texts(figure)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    assert missing == []
    for text in texts:
        for char in text.get_text():
            assert char.isspace() or fonts.covers(char), (char, text.get_text())


def assert_apart(texts: list[Text]) -> None:
    """No two of these texts overlap (date labels, say)."""
    boxes = sorted((extent(text) for text in texts), key=lambda box: box.x0)
    for left, right in itertools.pairwise(boxes):
        assert left.x1 < right.x0, (left, right)


def keep(figure: Figure, name: str, tmp_path: Path) -> Path:
    """Save the PNG in the test's tmp folder and in tests/artifacts/charts."""
    path = chart.save(figure, tmp_path / f"{name}.png")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / path.name).write_bytes(path.read_bytes())
    return path
