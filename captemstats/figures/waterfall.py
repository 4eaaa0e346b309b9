"""Waterfall plot of the best percentage change in the sum of target lesions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from captemstats.figures._common import SupportsToFrame, as_frame, require_columns
from captemstats.figures._theme import DOUBLE_COLUMN, RESPONSE_COLORS, new_figure, publication_theme
from captemstats.schema import LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Print order of RECIST 1.1 categories in legends.
RESPONSE_ORDER: tuple[str, ...] = ("CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE")


def waterfall_figure(
    data: pd.DataFrame | SupportsToFrame,
    *,
    value: str = "best_pct_change",
    response: str = "bor",
    thresholds: tuple[float, float] = (-30.0, 20.0),
    colors: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    ylabel: str = "Best change in sum of\ntarget lesions (%)",
    xlabel: str | None = None,
    clip: float | None = 100.0,
    title: str | None = None,
    width: float = DOUBLE_COLUMN,
    height: float = 3.2,
) -> Figure:
    """Waterfall: one bar per patient, sorted from largest increase to largest decrease.

    Bars are coloured by best overall response (``response`` codes of
    :class:`captemstats.schema.Response`); dashed lines mark RECIST 1.1's -30% (partial
    response) and +20% (progression) thresholds (Eisenhauer et al. 2009, §4.3.1). Increases
    above ``clip`` percent are drawn at ``clip`` with a caret mark, as is customary, so one
    patient does not flatten the rest. Patients without a best change (no post-baseline
    target measurement) cannot be drawn; their number is printed on the figure, not
    dropped silently.

    ``data`` is the RECIST engine's per-patient frame (or an object with ``to_frame()``).
    The default x label states the number of bars ("Patients (n = 296)").

    Parameters
    ----------
    data
        :func:`captemstats.recist.waterfall_data` (or the best-response frame).
    value, response
        The columns of the best % change and of the best response.
    thresholds
        The PR and PD lines (percent).
    colors, labels
        Colour and legend label per response code.
    ylabel, xlabel
        Axis labels.
    clip
        Largest increase drawn (percent), None for no clipping.
    title
        Optional title.
    width, height
        Size in inches.

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas, outside pyplot; write it with :func:`save_figure`.

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.recist import waterfall_data
    >>> frame = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "evaluable": True,
    ...                       "best_pct_change": [-44.0, 12.5, -8.0],
    ...                       "bor": ["PR", "SD", "SD"], "bor_confirmed": ["PR", "SD", "SD"]})
    >>> fig = waterfall_figure(waterfall_data(frame))
    >>> fig.axes[0].get_xlabel(), len(fig.axes[0].patches)
    ('Patients (n = 3)', 3)
    """
    frame = require_columns(as_frame(data), (value, response), "waterfall_figure")
    change = pd.to_numeric(frame[value], errors="coerce").to_numpy(dtype="float64")
    codes = frame[response].astype("string").fillna("NE").to_numpy(dtype=object)
    missing = int(np.isnan(change).sum())
    keep = ~np.isnan(change)
    change, codes = change[keep], codes[keep]
    # Largest increase on the left; ties broken by response for a stable order.
    order = np.lexsort((codes.astype(str), -change))
    change, codes = change[order], codes[order]
    shown = np.minimum(change, clip) if clip is not None else change

    palette = {**RESPONSE_COLORS, **(colors or {})}
    unknown = sorted(set(codes) - set(palette))
    if unknown:
        raise ValueError(f"waterfall_figure: no colour for response codes {unknown}")
    names = {**LABELS["best_response"], **(labels or {})}

    with publication_theme():
        fig = new_figure(width, height)
        ax = fig.add_subplot()
        ax.set_label("waterfall")
        x = np.arange(len(change))
        bars = ax.bar(x, shown, width=0.85, color=[palette[c] for c in codes], linewidth=0)
        for bar in bars:
            bar.set_gid("waterfall-bar")
        if clip is not None and (change > clip).any():
            over = change > clip
            ax.scatter(x[over], shown[over] + 3, marker="^", s=8, color="black", linewidths=0)
        for t in thresholds:
            ax.axhline(t, color="0.3", linestyle="--", linewidth=0.8, gid=f"threshold{t:+g}")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlim(-1, max(len(change), 1))
        ax.set_xticks([])
        ax.set_xlabel(xlabel if xlabel is not None else f"Patients (n = {len(change)})")
        ax.set_ylabel(ylabel)
        ax.spines["bottom"].set_visible(False)
        present = [c for c in _ordered(codes, RESPONSE_ORDER)]
        handles = [_patch(palette[c]) for c in present]
        # lower left: the bars there grow upwards (progression), so the legend hides none
        ax.legend(handles, [names.get(c, c) for c in present], loc="lower left", ncols=1)
        if missing:
            ax.text(
                0.01,
                0.02,
                f"Not shown: {missing} patient(s) without a post-baseline target measurement",
                transform=ax.transAxes,
                fontsize=7,
                color="0.3",
            )
        if title:
            ax.set_title(title, loc="left")
    return fig


def _ordered(codes: Sequence[Any], order: Sequence[str]) -> list[str]:
    seen = {str(c) for c in codes}
    return [c for c in order if c in seen] + sorted(seen - set(order))


def _patch(color: str) -> Any:
    from matplotlib.patches import Patch

    return Patch(facecolor=color, linewidth=0)
