"""Where a legend or a note goes in a Kaplan–Meier panel: the first corner no curve crosses.

A survival curve is a non-increasing step function from S(0) = 1, so whether it crosses a
rectangle ``[x0, x1] × [y0, y1]`` (data units) is exact and cheap: over ``[x0, x1]`` it takes
every value between S(x1) and S(x0) (its vertical drops included), and nothing beyond the last
time it is drawn to. Corners are tried in the order KM panels are usually empty (upper right
when the curves fall, lower left when they fall late); a legend no corner can hold goes
above the panel, outside the data, so it never covers a curve.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Legend locations tried inside the panel, in order (upper left never: every curve starts there).
LEGEND_CORNERS: tuple[str, ...] = ("upper right", "lower left", "lower right", "center right")

#: (x, y, ha, va) in axes fractions for a one-line note such as "Log-rank P = .01".
NOTE_SPOTS: tuple[tuple[float, float, str, str], ...] = (
    (0.98, 0.98, "right", "top"),
    (0.98, 0.62, "right", "top"),
    (0.98, 0.02, "right", "bottom"),
    (0.05, 0.02, "left", "bottom"),
    (0.98, 0.35, "right", "center"),
)

Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in data units


@dataclass(frozen=True)
class Step:
    """A right-continuous non-increasing step curve drawn from ``x[0]`` to ``x[-1]``."""

    x: np.ndarray
    y: np.ndarray

    def value(self, t: float) -> float:
        """S(t): the value of the last step at or before ``t`` (the first before ``x[0]``)."""
        i = int(np.searchsorted(self.x, t, side="right")) - 1
        return float(self.y[max(i, 0)])

    def before(self, t: float) -> float:
        """S(t-): the value just before ``t`` (the top of a drop at ``t``)."""
        i = int(np.searchsorted(self.x, t, side="left")) - 1
        return float(self.y[max(i, 0)])

    def crosses(self, box: Box) -> bool:
        """True when the curve (drops included) passes through ``box``.

        Over ``[x0, x1]`` the drawn line spans S(x1) up to S(x0-), the top of a drop at x0.
        """
        x0, y0, x1, y1 = box
        if x1 < self.x[0] or x0 > self.x[-1]:
            return False
        lo = self.value(min(x1, float(self.x[-1])))
        hi = self.before(max(x0, float(self.x[0])))
        return lo <= y1 and hi >= y0


def segment_crosses(seg: Box, box: Box) -> bool:
    """True when the axis-parallel segment ``(xa, ya, xb, yb)`` meets ``box``."""
    xa, ya, xb, yb = seg
    x0, y0, x1, y1 = box
    return min(xa, xb) <= x1 and max(xa, xb) >= x0 and min(ya, yb) <= y1 and max(ya, yb) >= y0


def overlaps(a: Box, b: Box) -> bool:
    return a[0] <= b[2] and a[2] >= b[0] and a[1] <= b[3] and a[3] >= b[1]


def is_free(
    box: Box, curves: Iterable[Step], segments: Iterable[Box], taken: Sequence[Box]
) -> bool:
    """No curve, guide segment or already placed box meets ``box``."""
    return (
        not any(c.crosses(box) for c in curves)
        and not any(segment_crosses(s, box) for s in segments)
        and not any(overlaps(box, t) for t in taken)
    )


def data_box(ax: Any, artist: Any) -> Box:
    """``artist``'s drawn extent in ``ax``'s data units (the figure must have been drawn)."""
    renderer = ax.figure.canvas.get_renderer()
    (x0, y0), (x1, y1) = ax.transData.inverted().transform(artist.get_window_extent(renderer))
    return (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))


def place_legend(ax: Any, curves: Sequence[Step], segments: Sequence[Box], **kw: Any) -> Any:
    """A legend in the first free corner of :data:`LEGEND_CORNERS`, else above the panel.

    Parameters
    ----------
    ax
        The matplotlib axes holding the labelled curves.
    curves, segments
        What the legend must not cover (curves as :class:`Step`, guides as segments).
    **kw
        Passed to ``ax.legend`` (e.g. ``handlelength``).

    Returns
    -------
    matplotlib.legend.Legend
        The placed legend; ``legend.get_gid()`` is ``"legend-inside"`` or ``"legend-above"``.

    Example
    -------
    >>> Step(np.array([0.0, 5.0]), np.array([1.0, 0.4])).crosses((6.0, 0.0, 9.0, 1.0))
    False
    """
    for loc in LEGEND_CORNERS:
        legend = ax.legend(loc=loc, **kw)
        ax.figure.draw_without_rendering()
        if is_free(data_box(ax, legend), curves, segments, ()):
            legend.set_gid("legend-inside")
            return legend
    n = len(legend.get_texts())
    ncol = n if sum(len(t.get_text()) for t in legend.get_texts()) <= 64 else min(n, 2)
    legend = ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.01), ncol=ncol, **kw)
    legend.set_gid("legend-above")
    return legend


def place_note(
    ax: Any,
    text: str,
    curves: Sequence[Step],
    segments: Sequence[Box],
    taken: Sequence[Box],
    **kw: Any,
) -> Any:
    """A one-line ``ax.text`` at the first free spot of :data:`NOTE_SPOTS` (else the first)."""
    for x, y, ha, va in NOTE_SPOTS:
        note = ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, **kw)
        ax.figure.draw_without_rendering()
        if is_free(data_box(ax, note), curves, segments, taken):
            return note
        note.remove()
    x, y, ha, va = NOTE_SPOTS[0]
    return ax.text(x, y, text, transform=ax.transAxes, ha=ha, va=va, **kw)
