"""Charts for agendas, drawn as PNG images.

Figures are built with :class:`matplotlib.figure.Figure` and never through
pyplot, so no GUI backend is touched and drawing is safe from any thread.
"""

from __future__ import annotations

import io
import math
import textwrap
from collections.abc import Sequence

from matplotlib.axes import Axes
from matplotlib.container import BarContainer
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH, HEIGHT, DPI = 8, 4.5, 100  # 800 x 450 pixels
CURRENT_COLOUR = "#1f6feb"
PREVIOUS_COLOUR = "#b8c4d6"


def comparison_chart(
    *,
    title: str,
    labels: Sequence[str],
    current: Sequence[float | None],
    previous: Sequence[float | None],
    current_label: str = "This quarter",
    previous_label: str = "Last quarter",
) -> bytes:
    """A grouped bar chart setting each label's current value beside its previous one.

    A value of None (an average of nothing) draws no bar, and says "no data" where it would be.
    """
    if not len(labels) == len(current) == len(previous):
        raise ValueError(
            f"{len(labels)} labels, {len(current)} current and {len(previous)} previous values"
        )
    # Margins set from the labels, not by a layout engine: constrained layout drew every
    # chart twice and took a third of its time (bench/RESULTS.md, agenda at scale).
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    axes = figure.add_subplot()
    # An explicit y spares matplotlib from measuring every tick label to place the title
    # (a quarter of the drawing time); with no ticks on top it lands at the same place.
    axes.set_title(title, fontsize=15, loc="left", fontweight="bold", y=1.0)
    if not labels:
        axes.set_axis_off()
        axes.text(0.5, 0.5, "No data", ha="center", va="center", fontsize=18, color="grey")
        return _png(figure)

    positions = range(len(labels))
    width = 0.4
    crowded = len(labels) > 6
    if crowded:
        names = [label if len(label) <= 24 else f"{label[:23]}…" for label in labels]
    else:
        names = [textwrap.fill(label, 18, max_lines=2, placeholder="…") for label in labels]
    known = [v for v in (*current, *previous) if v is not None]
    _fit(figure, names, crowded, top=max((*known, 0)))
    previous_bars = _bars(axes, previous, -width / 2, width, previous_label, PREVIOUS_COLOUR)
    current_bars = _bars(axes, current, width / 2, width, current_label, CURRENT_COLOUR)
    if len(labels) <= 8:
        for bars in (previous_bars, current_bars):
            axes.bar_label(bars, fmt=_number, padding=2, fontsize=9 if crowded else 10)
    if crowded:
        axes.set_xticks(list(positions), names, fontsize=9, rotation=30, ha="right")
    else:
        axes.set_xticks(list(positions), names, fontsize=11)
    axes.tick_params(axis="y", labelsize=10)
    axes.yaxis.set_major_formatter(lambda value, _position: _number(value))
    if all(float(v).is_integer() for v in (*current, *previous) if v is not None):
        # Counts: no ticks at 0.2 of a deal.
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.margins(y=0.15)
    # With one or two labels, keep bars from stretching across the whole chart.
    pad = max(0.0, (3 - len(labels)) / 2)
    axes.set_xlim(-0.6 - pad, len(labels) - 0.4 + pad)
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", alpha=0.3)
    axes.set_axisbelow(True)
    # Above the plot, level with the title, so it never covers a bar.
    axes.legend(fontsize=10, frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=2)
    return _png(figure)


def _bars(
    axes: Axes,
    values: Sequence[float | None],
    shift: float,
    width: float,
    label: str,
    colour: str,
) -> BarContainer:
    """One series of bars; where a value is None, "no data" stands in the bar's place."""
    known = [(p + shift, v) for p, v in enumerate(values) if v is not None]
    bars = axes.bar([p for p, _ in known], [v for _, v in known], width, label=label, color=colour)
    for position, value in enumerate(values):
        if value is None:
            axes.text(
                position + shift,
                0,
                "no data",
                rotation=90,
                ha="center",
                va="bottom",
                fontsize=9,
                color="grey",
                fontstyle="italic",
            )
    return bars


def _fit(figure: Figure, names: Sequence[str], crowded: bool, top: float) -> None:
    """Room for the title and legend above, the y tick labels left, the names below.

    Widths are estimated from DejaVu Sans's average advance (about 0.6 em), in pixels.
    """
    em = DPI / 72  # pixels per point
    tick_chars = max(3, len(_number(math.ceil(top * 1.2))))
    left = 16 + tick_chars * 0.62 * 10 * em
    if crowded:
        longest = max(len(name) for name in names)
        bottom = 20 + longest * 0.6 * 9 * em * 0.5 + 9 * em
        # A long first name, drawn slanting left from its tick, needs room too.
        slot = (WIDTH * DPI - left) / (len(names) + 0.2)
        left = max(left, 8 + len(names[0]) * 0.6 * 9 * em * 0.87 - 0.6 * slot)
    else:
        lines = max(name.count("\n") + 1 for name in names)
        bottom = 18 + lines * 1.25 * 11 * em
    width, height = WIDTH * DPI, HEIGHT * DPI
    figure.subplots_adjust(
        left=left / width, right=1 - 10 / width, bottom=bottom / height, top=1 - 44 / height
    )


def _number(value: float) -> str:
    """Thousands separated, at most two decimals: 48,000 / 3.4 / 0.33."""
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    # zlib's fastest level: a few kB more per chart, a fifth of the chart's time less.
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})
    return buffer.getvalue()
