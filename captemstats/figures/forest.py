"""Forest plot of Cox models: hazard ratios with 95% CIs on a log axis, models side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.figures._theme import PALETTE, TEXT_WIDTH, new_figure, publication_theme

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from captemstats.survival.cox import CoxResult, CoxResultCollection


def forest_figure(
    models: Mapping[str, CoxResult | CoxResultCollection],
    *,
    term_labels: Mapping[str, str] | None = None,
    colors: Sequence[str] | None = None,
    xlabel: str = "Hazard ratio\n(95% CI, log scale)",
    annotate: bool = True,
    alpha: float = 0.05,
    title: str | None = None,
    width: float = TEXT_WIDTH,
    row_height: float = 0.26,
) -> Figure:
    """One panel per model (e.g. ``{"Progression-free survival": pfs, "Overall survival": os}``).

    Each row is a Cox term (label with its reference level, as in Table 3): the HR as a
    square, its 95% CI as a whisker, a dashed line at HR = 1, and — when ``annotate`` — the
    "HR (95% CI)" text (``formatting.format_hr``) and P (``formatting.format_p``) at the
    right, significant P (< ``alpha``) in bold. Rows follow the first model's term order.
    Panels are stacked on one shared log axis: side by side, the term labels and two text
    columns leave each panel under an inch at the manuscript's text width.

    Parameters
    ----------
    models
        Panel title -> Cox model (:func:`captemstats.survival.cox_ph`).
    term_labels
        Row label per term.
    colors
        Colour per panel.
    xlabel
        The shared x label.
    annotate
        Print "HR (95% CI)" and P beside each row.
    alpha
        P values below it are bold.
    title
        Optional title.
    width, row_height
        Width and height per row in inches.

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas, outside pyplot; write it with :func:`save_figure`.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> from captemstats.survival import cox_ph
    >>> pfs = cox_ph(d, "pfs_months", "pfs_event", ["ecog_0_1", "first_line"])
    >>> os = cox_ph(d, "os_months", "os_event", ["ecog_0_1", "first_line"])
    >>> fig = forest_figure({"Progression-free survival": pfs, "Overall survival": os})
    >>> len(fig.axes)
    2
    """
    from captemstats.term_labels import cox_terms

    if not models:
        raise ValueError("forest_figure: no models given")
    frames = {name: cox_terms(result) for name, result in models.items()}
    order: list[str] = []
    labels: dict[str, str] = {}
    for frame in frames.values():
        for term, label in zip(frame["term"], frame["label"], strict=True):
            if term not in labels:
                order.append(term)
                labels[term] = (term_labels or {}).get(term, label)
    n = len(order)
    y = np.arange(n, dtype=float)[::-1]
    pos = dict(zip(order, y, strict=True))
    palette = list(colors) if colors is not None else list(PALETTE)
    with publication_theme():
        fig = new_figure(width, (0.55 + row_height * n) * len(frames) + 0.4, layout="constrained")
        axes = fig.subplots(len(frames), 1, sharex=True, squeeze=False)[:, 0]
        every = np.concatenate(
            [f[c].to_numpy(dtype=float) for f in frames.values() for c in ("lower", "upper")]
        )
        for k, (ax, (name, frame)) in enumerate(zip(axes, frames.items(), strict=True)):
            ax.set_label(f"forest:{name}")
            ys = frame["term"].map(pos).to_numpy(dtype=float)
            hr = frame["hr"].to_numpy(dtype=float)
            lo = frame["lower"].to_numpy(dtype=float)
            hi = frame["upper"].to_numpy(dtype=float)
            color = palette[k % len(palette)]
            ax.hlines(ys, lo, hi, color=color, lw=1.1, gid="forest-ci")
            ax.scatter(hr, ys, marker="s", s=18, color=color, zorder=3, gid="forest-hr")
            ax.axvline(1.0, color="0.4", ls="--", lw=0.7)
            _panel_axes(ax, name, every, xlabel, k == len(frames) - 1)
            ax.set_ylim(-0.7, n - 0.3)
            ax.set_yticks(y)
            ax.set_yticklabels([labels[t] for t in order])
            ax.tick_params(axis="y", length=0)
            if annotate:
                _annotate(ax, ys, hr, lo, hi, frame["p_value"], alpha)
        if title:
            fig.suptitle(title, x=0.01, ha="left", fontsize=9)
    return fig


def _panel_axes(ax: Any, name: str, every: np.ndarray, xlabel: str, last: bool) -> None:
    """A panel's log x axis (one scale for all panels, from every CI limit), title and x
    label (shown on the ``last`` panel only)."""
    ax.set_xscale("log")
    # one scale for every panel (they share the axis)
    finite = np.concatenate([every[np.isfinite(every) & (every > 0)], [1.0]])
    span = max(abs(np.log(finite.min())), abs(np.log(finite.max())), np.log(1.5))
    ax.set_xlim(np.exp(-span * 1.15), np.exp(span * 1.15))
    _log_ticks(ax)
    ax.set_title(name, loc="left", fontsize=9)
    ax.set_xlabel(xlabel)
    # the shared axis is labelled once, under the last panel
    ax.xaxis.label.set_visible(last)


def _annotate(
    ax: Any,
    ys: np.ndarray,
    hr: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    p_values: Any,
    alpha: float,
) -> None:
    """ "HR (95% CI)   P …" right of the panel on each row, bold when P < ``alpha``."""
    from captemstats.formatting import format_hr, format_p

    for yy, h, lw, up, p in zip(ys, hr, lo, hi, p_values, strict=True):
        weight = "bold" if p < alpha else "normal"
        text = f"{format_hr(h, lw, up)}   P {_p_text(format_p(p))}"
        ax.annotate(
            text,
            xy=(1.0, yy),
            xycoords=("axes fraction", "data"),
            xytext=(4, 0),
            textcoords="offset points",
            va="center",
            fontsize=7,
            fontweight=weight,
            annotation_clip=False,
        )


def _p_text(text: str) -> str:
    """``"= .04"`` / ``"< .001"``: a comparator and the P value, spaced (AMA)."""
    text = str(text).strip()
    if text[:1] in {"<", ">", "=", "≤", "≥"}:
        return f"{text[0]} {text[1:].strip()}"
    return f"= {text}"


def _log_ticks(ax: Any) -> None:
    """Sparse, symmetric log-scale ticks printed as plain numbers (0.25, 1, 4): a
    forest panel is narrow, so three labels at most, always including 1."""
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    lo, hi = ax.get_xlim()
    ticks = [1.0]
    for candidates in (
        (0.5, 1.0, 2.0),
        (0.25, 1.0, 4.0),
        (0.1, 1.0, 10.0),
        (0.01, 1.0, 100.0),
    ):
        ticks = [t for t in candidates if lo <= t <= hi]
        # the first set whose ticks reach within a factor 2 of both axis ends
        if ticks and ticks[0] <= 2 * lo and ticks[-1] >= hi / 2:
            break
    ax.xaxis.set_major_locator(FixedLocator(ticks))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
