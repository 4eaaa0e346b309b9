"""A stand-in for a figure withheld from a shared document (small-cell suppression).

Figures that show individual patients (swimmer, waterfall) or counts no suppression rule
reaches (a flow diagram's exclusion boxes) cannot be published beyond the study team when
``--min-cell`` is on. The stand-in keeps the document's numbering and cross-references intact
and says why the figure is missing.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from captemstats.figures._theme import new_figure

if TYPE_CHECKING:
    from matplotlib.figure import Figure


def withheld_figure(
    reason: str = "Withheld from this shared version: it shows counts below the small-cell "
    "threshold or individual patients.",
    *,
    width: float = 5.0,
    height: float = 1.2,
) -> Figure:
    """A framed text panel stating ``reason`` (a matplotlib ``Figure``, Agg canvas).

    Parameters
    ----------
    reason
        The text printed.
    width, height
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas, outside pyplot; write it with :func:`save_figure`.

    Examples
    --------
    >>> fig = withheld_figure("Withheld: counts below 5.")
    >>> [t.get_text() for t in fig.axes[0].texts]
    ['Withheld: counts below 5.']
    """
    fig = new_figure(width, height)
    ax = fig.add_axes((0.01, 0.02, 0.98, 0.96))
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_linestyle("--")
        spine.set_color("0.5")
    ax.text(
        0.5,
        0.5,
        textwrap.fill(reason, 80),
        ha="center",
        va="center",
        fontsize=8,
        color="0.25",
        transform=ax.transAxes,
        gid="withheld",
    )
    return fig
