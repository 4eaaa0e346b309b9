"""Cumulative-incidence figure (competing risks) in the Kaplan–Meier figure's style.

One panel of rising step curves — one colour per group, one line style per cause — drawn from
a :class:`~captemstats.survival.CumulativeIncidenceResult` (Aalen–Johansen estimates), with
Gray's test per cause and the numbers at risk under the panel at the axis breaks (those still
free of every event, R ``summary(survfit, times = )``), as :func:`~captemstats.figures.km_figure`
lays them out. Nothing is estimated here: curves and counts are read from the result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from captemstats.figures._placement import Box, Step, data_box, place_legend, place_note
from captemstats.figures._theme import SINGLE_COLUMN, group_colors, publication_theme
from captemstats.figures.km import (
    _by_group,
    _draw_risk_table,
    _group_labels,
    axis_breaks,
    panel_with_risk_table,
)

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from captemstats.survival.competing import CumulativeIncidenceResult, GrayTestResult

__all__ = ["cif_figure", "gray_text"]

#: Line styles of the causes, in order (the first cause solid).
CAUSE_STYLES: tuple[Literal["-", "--", ":", "-."], ...] = ("-", "--", ":", "-.")


@dataclass(frozen=True)
class RisingStep(Step):
    """A right-continuous non-decreasing step curve (a cumulative incidence) for placement:
    over ``[x0, x1]`` the drawn line spans F(x0-) up to F(x1), its rises included."""

    def crosses(self, box: Box) -> bool:
        x0, y0, x1, y1 = box
        if x1 < self.x[0] or x0 > self.x[-1]:
            return False
        lo = self.before(max(x0, float(self.x[0])))
        hi = self.value(min(x1, float(self.x[-1])))
        return lo <= y1 and hi >= y0


def gray_text(test: GrayTestResult, label: str | None = None) -> str:
    """``"Gray's test (progression) P = .03"`` via ``formatting.format_p``."""
    from captemstats.formatting import format_p

    text = str(format_p(float(test.p_value))).strip()
    head = f"Gray's test ({label or test.cause})"
    if text[:1] in {"<", ">", "≤", "≥"}:
        return f"{head} P {text[0]} {text[1:].strip()}"
    return f"{head} P = {text.removeprefix('P').strip().removeprefix('=').strip()}"


def cif_figure(
    cif: CumulativeIncidenceResult,
    *,
    causes: Sequence[str] | None = None,
    cause_labels: Mapping[str, str] | None = None,
    gray: Mapping[str, GrayTestResult] | Sequence[GrayTestResult] | None = None,
    breaks: Sequence[float] | None = None,
    time_unit: str = "months",
    xlabel: str | None = None,
    ylabel: str = "Cumulative incidence",
    labels: Mapping[str, str] | Sequence[str] | None = None,
    colors: Mapping[str, str] | Sequence[str] | None = None,
    risk_table: bool = True,
    conf_int: bool = False,
    title: str | None = None,
    width: float = SINGLE_COLUMN * 1.45,
    height: float = 3.2,
) -> Figure:
    """Cumulative incidence of each cause by group, with Gray's tests and numbers at risk.

    Curves are the Aalen–Johansen estimates stored in ``cif``, rising steps from F(0) = 0;
    ``conf_int`` shades the pointwise limits of the result (its ``conf_type``). Groups are
    colours (Okabe–Ito, or ``colors``), causes line styles (:data:`CAUSE_STYLES`); the legend
    names both and goes in the first corner no curve crosses, the Gray's test lines the next
    free spot. The risk table counts, at each break, the subjects still free of every event
    and uncensored (time >= t), as ``cif.at(breaks)``.

    Parameters
    ----------
    cif
        :func:`captemstats.survival.cumulative_incidence`.
    causes
        The causes drawn, in order (default: every cause of ``cif``).
    cause_labels
        Printed cause names (e.g. ``{"1": "Progression", "2": "Death without progression"}``).
    gray
        Optional Gray's tests (:func:`captemstats.survival.gray_test`) printed on the panel: a
        mapping cause -> test, or a sequence (each names its cause).
    breaks
        The x ticks and numbers-at-risk times (default :func:`~captemstats.figures.default_breaks`).
    time_unit, xlabel, ylabel
        The axis labels (``xlabel`` default "Time since CAPTEM start (<unit>)").
    labels, colors
        Printed group names and colours, as :func:`~captemstats.figures.km_figure`.
    risk_table
        Draw the numbers at risk under the panel.
    conf_int
        Shade the pointwise confidence limits.
    title
        Optional title.
    width, height
        Size in inches (the panel; the risk table adds to the height).

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas, outside pyplot; write it with :func:`~captemstats.figures.save_figure`.

    Raises
    ------
    ValueError
        An unknown cause or group label, or breaks that are not increasing from >= 0.

    Examples
    --------
    >>> from captemstats.survival import cumulative_incidence, gray_test
    >>> t = [2.0, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    >>> status = [1, 2, 0, 1, 1, 2, 0, 1, 2, 1]
    >>> arm = list("ABABABABAB")
    >>> cif = cumulative_incidence(t, status, by=arm)
    >>> g = gray_test(t, status, arm, cause=1)
    >>> fig = cif_figure(cif, gray=[g], cause_labels={"1": "Progression", "2": "Death"})
    >>> [a.get_label() for a in fig.axes]
    ['cif', 'risk_table']
    """
    groups = [str(g) for g in cif.groups]
    if isinstance(labels, Mapping):
        named = [str(k) for k in labels if str(k) in groups]
        groups = named + [g for g in groups if g not in named]
    drawn = [str(c) for c in (causes if causes is not None else cif.causes)]
    unknown = [c for c in drawn if c not in cif.causes]
    if unknown:
        raise ValueError(f"cif_figure: causes {unknown} are not in the result {cif.causes}")
    names = _group_labels(groups, labels)
    palette = group_colors(groups, _by_group(groups, colors))
    frame = cif.to_frame()
    t_max = float(frame["time"].max()) if len(frame) else 0.0
    ticks = axis_breaks(breaks, t_max, time_unit, "cif_figure")
    tests = _tests_by_cause(gray)
    with publication_theme():
        fig, ax, ax_risk = panel_with_risk_table(width, height, len(groups), risk_table)
        ax.set_label("cif")
        steps: list[Step] = []
        top = 0.0
        for g in groups:
            for k, cause in enumerate(drawn):
                part = frame[(frame["group"] == g) & (frame["cause"] == cause)].sort_values("time")
                label = f"{names[g]}: {(cause_labels or {}).get(cause, cause)}"
                step, high = _draw(ax, part, palette[g], CAUSE_STYLES[k % 4], label, conf_int)
                steps.append(step)
                top = max(top, high)
        _axes(ax, ticks, t_max, top, xlabel or f"Time since CAPTEM start ({time_unit})", ylabel)
        if title:
            ax.set_title(title, loc="left")
        if ax_risk is not None:
            at = cif.at(ticks.tolist())
            first = at[at["cause"] == str(cif.causes[0])]
            wide = first.pivot(index="group", columns="time", values="n_risk").reindex(groups)
            _draw_risk_table(ax, ax_risk, wide.astype("int64"), groups, names, palette, ticks)
        fig.align_ylabels()
        handles, texts = _legend_entries(groups, names, palette, drawn, cause_labels)
        legend = place_legend(ax, steps, [], handles=handles, labels=texts, handlelength=2.2)
        taken = [data_box(ax, legend)] if legend.get_gid() == "legend-inside" else []
        lines = [gray_text(tests[c], (cause_labels or {}).get(c)) for c in drawn if c in tests]
        if lines:
            note = place_note(ax, "\n".join(lines), steps, [], taken, linespacing=1.3)
            note.set_gid("gray-p")
    return fig


def _legend_entries(
    groups: Sequence[str],
    names: Mapping[str, str],
    palette: Mapping[str, str],
    causes: Sequence[str],
    cause_labels: Mapping[str, str] | None,
) -> tuple[list[Any], list[str]]:
    """Legend handles: one solid line per group in its colour, then (with several causes)
    one grey line per cause in its style — a key for each channel, not every pairing."""
    from matplotlib.lines import Line2D

    handles: list[Any] = [Line2D([], [], color=palette[g]) for g in groups]
    texts = [names[g] for g in groups]
    if len(causes) > 1 or len(groups) == 1:
        for k, c in enumerate(causes):
            color = palette[groups[0]] if len(groups) == 1 else "0.25"
            handles.append(Line2D([], [], color=color, linestyle=CAUSE_STYLES[k % 4]))
            texts.append((cause_labels or {}).get(c, f"cause {c}"))
        if len(groups) == 1:  # one group: the causes are the whole key
            handles, texts = handles[1:], texts[1:]
    return handles, texts


def _tests_by_cause(
    gray: Mapping[str, GrayTestResult] | Sequence[GrayTestResult] | None,
) -> dict[str, GrayTestResult]:
    if gray is None:
        return {}
    if isinstance(gray, Mapping):
        return {str(k): v for k, v in gray.items()}
    return {str(t.cause): t for t in gray}


def _draw(
    ax: Any, part: pd.DataFrame, color: str, style: Any, label: str, conf_int: bool
) -> tuple[Step, float]:
    """One cause's curve of one group from F(0) = 0; its placement step and highest value."""
    x = np.concatenate([[0.0], part["time"].to_numpy(dtype=float)])
    y = np.concatenate([[0.0], part["estimate"].to_numpy(dtype=float)])
    (line,) = ax.step(x, y, where="post", color=color, linestyle=style, label=label)
    line.set_gid("cif-curve")
    high = float(np.nanmax(y)) if len(y) else 0.0
    if conf_int:
        lo = np.concatenate([[0.0], part["lower"].to_numpy(dtype=float)])
        hi = np.concatenate([[0.0], part["upper"].to_numpy(dtype=float)])
        band = ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.12, linewidth=0)
        band.set_gid("cif-ci")
        high = max(high, float(np.nanmax(hi)))
    ok = np.isfinite(y)
    return RisingStep(x[ok], y[ok]), high


def _axes(ax: Any, ticks: np.ndarray, t_max: float, top: float, xlabel: str, ylabel: str) -> None:
    """Limits (0 to a quarter step above the highest curve, at most 1), ticks, labels."""
    x_right = max(t_max, float(ticks[-1])) * 1.02 if max(t_max, ticks[-1]) > 0 else 1.0
    ax.set_xlim(-0.03 * x_right, x_right)
    y_top = min(1.0, max(0.25, np.ceil(top * 4 + 1e-9) / 4))
    ax.set_ylim(0, y_top * 1.02)
    ax.set_yticks(np.linspace(0, y_top, round(float(y_top) / 0.25) + 1))
    ax.set_xticks(ticks)
    ax.set_xticklabels([f"{t:g}" for t in ticks])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
