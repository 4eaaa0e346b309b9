"""Kaplan–Meier figure with censor marks, median guides, log-rank P and a risk table.

The layout follows ggsurvfit's layered design (Sjoberg et al., ggsurvfit): the risk table is
its own panel sharing the x axis with the curves, and its columns are exactly the axis
breaks, so each number sits under its tick. The numbers are those at risk AT each break
(R ``summary(survfit, times = breaks)``: subjects with time >= t), taken from
``KaplanMeierResult.at_risk(breaks)`` — not recomputed here, and not lifelines' counts just
after the break.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from captemstats.figures._placement import Step, data_box, place_legend, place_note
from captemstats.figures._theme import SINGLE_COLUMN, group_colors, new_figure, publication_theme

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from captemstats.survival.km import KaplanMeierResult, MedianEstimate
    from captemstats.survival.logrank import LogRankResult

#: Legend and risk-table label of a single curve the caller does not name.
ALL_PATIENTS = "All patients"

#: Break steps tried for month axes (multiples of 6 and 12 read naturally as years).
_MONTH_STEPS: tuple[float, ...] = (1, 2, 3, 6, 12, 24, 36, 48, 60, 120, 240)


def km_figure(
    km: KaplanMeierResult,
    *,
    logrank: LogRankResult | None = None,
    breaks: Sequence[float] | None = None,
    time_unit: str = "months",
    xlabel: str | None = None,
    ylabel: str = "Survival probability",
    labels: Mapping[str, str] | Sequence[str] | None = None,
    colors: Mapping[str, str] | Sequence[str] | None = None,
    risk_table: bool = True,
    censor_marks: bool = True,
    median_lines: bool = True,
    conf_int: bool = False,
    legend_n: bool = True,
    title: str | None = None,
    width: float = SINGLE_COLUMN * 1.45,
    height: float = 3.2,
) -> Figure:
    """Kaplan–Meier curves of every group of ``km`` (a ``KaplanMeierResult``).

    Curves are right-continuous steps of the product-limit estimate starting at S(0) = 1;
    ``censor_marks`` draws a "+" at each censoring time; ``median_lines`` draws dashed guides
    to S = 0.5 for groups whose median is reached (never for "not reached");
    ``conf_int`` shades the pointwise CI stored in the result (its ``method`` states the
    transform). ``logrank`` (a ``LogRankResult``) adds "Log-rank P = …" formatted by
    :func:`captemstats.formatting.format_p`. ``breaks`` are the x ticks and the risk-table
    times (default: multiples of 6/12 months covering the follow-up). ``labels`` rename
    groups (mapping, or a sequence in ``km.groups`` order); a mapping also sets the order
    of the curves, legend and risk-table rows (groups it does not name follow in
    ``km.groups`` order). ``colors`` likewise (default Okabe–Ito, in that order). A single
    group the caller does not name is labelled "All patients". The legend and the log-rank
    P go where no curve or median guide runs (:mod:`captemstats.figures._placement`): the
    first free corner, else above the panel.

    Parameters
    ----------
    km
        :func:`captemstats.survival.kaplan_meier` (e.g. ``res.km("pfs", "line_group").km``).
    logrank
        Optional log-rank test printed on the panel.
    breaks
        The x ticks and numbers-at-risk times (default :func:`default_breaks`).
    time_unit
        The time unit of the axis label and the default breaks.
    xlabel, ylabel
        Axis labels.
    labels
        Printed group names (and order).
    colors
        Colours per group (default Okabe–Ito).
    risk_table
        Draw the numbers at risk under the panel.
    censor_marks, median_lines, conf_int
        Censoring marks, median guides and the confidence band.
    legend_n
        Add each group's n to its legend entry.
    title
        Optional title.
    width, height
        Size in inches (the panel; the risk table adds to the height).

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas, outside pyplot; write it with :func:`save_figure`.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> from captemstats.survival import kaplan_meier, logrank_test
    >>> km = kaplan_meier(d["pfs_months"], d["pfs_event"], by=d["line_group"])
    >>> lr = logrank_test(d["pfs_months"], d["pfs_event"], d["line_group"])
    >>> fig = km_figure(km, logrank=lr, labels={"1": "First line", "2": "Second line",
    ...                                        "3+": "Third line or later"})
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (2, 'Time since CAPTEM start (months)')
    """
    groups = [str(g) for g in km.groups]
    if isinstance(labels, Mapping):
        # curves, legend and risk-table rows in the order the caller lists the groups
        # ("<3%, 3%–20%, 21%–55%"), not the fit's sorted order; unnamed groups follow
        named = [str(k) for k in labels if str(k) in groups]
        groups = named + [g for g in groups if g not in named]
    names = _group_labels(groups, labels)
    palette = group_colors(groups, _by_group(groups, colors))
    curves = _curves(km, groups)
    t_max = max((float(c["time"].max()) for c in curves.values() if len(c)), default=0.0)
    ticks = axis_breaks(breaks, t_max, time_unit, "km_figure")
    at_risk = at_risk_matrix(km, groups, ticks.tolist()) if risk_table else None
    at_zero = at_risk_matrix(km, groups, [0.0]) if legend_n else None

    with publication_theme():
        fig, ax, ax_risk = panel_with_risk_table(width, height, len(groups), risk_table)
        ax.set_label("km")
        for g in groups:
            label = names[g]
            if at_zero is not None:
                label = f"{label} (n = {int(at_zero.to_numpy()[groups.index(g), 0])})"
            _draw_curve(ax, curves[g], palette[g], label, censor_marks, conf_int)
        if median_lines:
            _draw_medians(ax, km, groups)
        _format_axes(ax, ticks, t_max, xlabel or f"Time since CAPTEM start ({time_unit})", ylabel)
        if title:
            ax.set_title(title, loc="left")
        if ax_risk is not None and at_risk is not None:
            _draw_risk_table(ax, ax_risk, at_risk, groups, names, palette, ticks)
        fig.align_ylabels()
        _place_legend_and_p(ax, km, curves, groups, logrank, conf_int, median_lines)
    return fig


def axis_breaks(
    breaks: Sequence[float] | None, t_max: float, time_unit: str, who: str
) -> np.ndarray:
    """The x ticks and risk-table times: ``breaks`` checked (increasing, from >= 0), else
    :func:`default_breaks`; ``who`` names the figure in the error."""
    ticks = np.asarray(breaks if breaks is not None else default_breaks(t_max, time_unit), float)
    if ticks.ndim != 1 or len(ticks) == 0 or np.any(np.diff(ticks) <= 0) or ticks[0] < 0:
        raise ValueError(f"{who}: breaks must be increasing and >= 0, got {ticks.tolist()}")
    return ticks


def panel_with_risk_table(
    width: float, height: float, n_rows: int, risk_table: bool
) -> tuple[Figure, Axes, Axes | None]:
    """A figure with the curves panel and, under it (sharing the x axis), the numbers-at-risk
    panel sized for ``n_rows`` groups (None without a risk table)."""
    risk_h = 0.22 + 0.16 * n_rows if risk_table else 0.0
    fig = new_figure(width, height + risk_h, layout="constrained")
    if not risk_table:
        return fig, fig.add_subplot(), None
    grid = fig.add_gridspec(2, 1, height_ratios=[height, risk_h])
    ax = fig.add_subplot(grid[0])
    return fig, ax, fig.add_subplot(grid[1], sharex=ax)


def default_breaks(t_max: float, time_unit: str = "months", max_breaks: int = 9) -> np.ndarray:
    """Axis breaks from 0 covering ``[0, t_max]``: month steps of 1–240 (6/12 multiples
    preferred), otherwise matplotlib's ``MaxNLocator`` "nice" steps.

    Parameters
    ----------
    t_max
        The longest time on the axis.
    time_unit
        ``"months"`` for month steps, anything else for matplotlib's steps.
    max_breaks
        The most breaks wanted.

    Returns
    -------
    numpy.ndarray
        The breaks, from 0.

    Examples
    --------
    >>> default_breaks(40.0).tolist()
    [0.0, 6.0, 12.0, 18.0, 24.0, 30.0, 36.0]
    """
    if t_max <= 0:
        return np.array([0.0])
    if time_unit == "months":
        step = next((s for s in _MONTH_STEPS if t_max / s <= max_breaks - 1), _MONTH_STEPS[-1])
        return np.arange(0.0, math.floor(t_max / step) * step + step / 2, step)
    from matplotlib.ticker import MaxNLocator

    locs = MaxNLocator(nbins=max_breaks - 1, steps=[1, 2, 2.5, 5, 10]).tick_values(0, t_max)
    return np.asarray([v for v in locs if 0 <= v <= t_max], dtype=float)


def logrank_text(logrank: LogRankResult) -> str:
    """``"Log-rank P = .01"`` / ``"Log-rank P < .001"`` via ``formatting.format_p``."""
    from captemstats.formatting import format_p

    text = str(format_p(float(logrank.p_value))).strip()
    if text[:1] in {"P", "p"}:
        return f"Log-rank {text}"
    if text[:1] in {"<", ">", "≤", "≥"}:
        # spaced like "P = .01" (AMA: "P < .001"), not "P <.001"
        return f"Log-rank P {text[0]} {text[1:].strip()}"
    return f"Log-rank P = {text}"


# -- reading the result object ----------------------------------------------------------------


def _curves(km: Any, groups: Sequence[str]) -> dict[str, pd.DataFrame]:
    """Per-group survival table (time, n_censor, surv, lower, upper) from ``km.to_frame()``."""
    frame = km.to_frame()
    if "group" in frame.columns:
        key = frame["group"].astype("string")
        out = {g: frame.loc[key == g].sort_values("time") for g in groups}
    elif len(groups) == 1:
        out = {groups[0]: frame.sort_values("time")}
    else:
        raise ValueError("km_figure: km.to_frame() has no 'group' column")
    for g, table in out.items():
        missing = {"time", "surv", "n_censor"} - set(table.columns)
        if missing:
            raise ValueError(f"km_figure: survival table of {g!r} lacks {sorted(missing)}")
    return out


def at_risk_matrix(
    km: KaplanMeierResult, groups: Sequence[str], times: Sequence[float]
) -> pd.DataFrame:
    """Numbers at risk as a groups × times frame, from ``km.at_risk(times)``.

    Accepts the long (group, time, n_risk) or wide (groups × times) form of the result.
    """
    raw = km.at_risk(list(map(float, times)))
    if isinstance(raw, pd.DataFrame) and {"time", "n_risk"} <= set(raw.columns):
        long = raw.assign(group=raw["group"].astype("string") if "group" in raw else groups[0])
        wide = long.pivot(index="group", columns="time", values="n_risk")
    else:
        wide = pd.DataFrame(raw)
        wide.index = wide.index.astype("string")
    wide = wide.reindex(index=list(groups))
    if wide.shape[1] != len(times) or wide.isna().any().any():
        raise ValueError("km_figure: km.at_risk(breaks) did not give one count per group and break")
    wide.columns = list(map(float, times))
    return wide.astype("int64")


def median_of(km: KaplanMeierResult, group: str) -> MedianEstimate:
    """The median of ``group``; ``km.median`` read as a mapping by group, a sequence in
    ``km.groups`` order or a single estimate (or a method giving one of those)."""
    median: Any = km.median
    if callable(median):
        median = median()
    estimate: MedianEstimate
    if isinstance(median, Mapping):
        estimate = median[group]
    elif isinstance(median, pd.Series | list | tuple):
        estimate = median[list(map(str, km.groups)).index(group)]
    else:
        estimate = median
    return estimate


# -- drawing ------------------------------------------------------------------------------------


def _draw_curve(
    ax: Any, table: pd.DataFrame, color: str, label: str, censor_marks: bool, conf_int: bool
) -> None:
    t = table["time"].to_numpy(dtype=float)
    s = table["surv"].to_numpy(dtype=float)
    x = np.concatenate([[0.0], t])
    y = np.concatenate([[1.0], s])
    (line,) = ax.step(x, y, where="post", color=color, label=label)
    line.set_gid("km-curve")
    if conf_int and {"lower", "upper"} <= set(table.columns):
        lo = np.concatenate([[1.0], table["lower"].to_numpy(dtype=float)])
        hi = np.concatenate([[1.0], table["upper"].to_numpy(dtype=float)])
        band = ax.fill_between(x, lo, hi, step="post", color=color, alpha=0.15, linewidth=0)
        band.set_gid("km-ci")
    if censor_marks:
        cens = table["n_censor"].to_numpy(dtype=float) > 0
        if cens.any():
            (marks,) = ax.plot(
                t[cens],
                s[cens],
                linestyle="none",
                marker="+",
                markersize=5,
                markeredgewidth=0.9,
                color=color,
            )
            marks.set_gid("km-censor")


def _reached_medians(km: Any, groups: Sequence[str]) -> list[float]:
    reached = []
    for g in groups:
        m = median_of(km, g)
        if bool(getattr(m, "reached", False)) and m.estimate is not None:
            est = float(m.estimate)
            if math.isfinite(est):
                reached.append(est)
    return reached


def _median_segments(km: Any, groups: Sequence[str]) -> list[tuple[float, float, float, float]]:
    """The dashed median guides as (x0, y0, x1, y1): down from S = 0.5, and along it."""
    reached = _reached_medians(km, groups)
    segs = [(est, 0.0, est, 0.5) for est in reached]
    return segs + ([(0.0, 0.5, max(reached), 0.5)] if reached else [])


def _draw_medians(ax: Any, km: Any, groups: Sequence[str]) -> None:
    for x0, y0, x1, y1 in _median_segments(km, groups):
        ax.plot([x0, x1], [y0, y1], ls="--", lw=0.7, color="0.45", gid="km-median")


def _step(table: pd.DataFrame, column: str) -> Step | None:
    """The drawn step curve of one column of a group's survival table (None if absent)."""
    if column not in table.columns:
        return None
    y = np.concatenate([[1.0], table[column].to_numpy(dtype=float)])
    x = np.concatenate([[0.0], table["time"].to_numpy(dtype=float)])
    ok = np.isfinite(y)
    return Step(x[ok], y[ok]) if ok.sum() > 1 else None


def _format_axes(ax: Any, ticks: np.ndarray, t_max: float, xlabel: str, ylabel: str) -> None:
    """The curves panel's limits, ticks at the breaks, and axis labels."""
    x_right = max(t_max, float(ticks[-1])) * 1.02 if max(t_max, ticks[-1]) > 0 else 1.0
    # A little room left of 0 so the first risk-table number clears the group labels.
    ax.set_xlim(-0.03 * x_right, x_right)
    ax.set_ylim(0, 1.02)
    ax.set_xticks(ticks)
    ax.set_xticklabels([_tick(t) for t in ticks])
    ax.set_yticks([0, 0.25, 0.5, 0.75, 1.0])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)


def _place_legend_and_p(
    ax: Any,
    km: Any,
    curves: Mapping[str, pd.DataFrame],
    groups: Sequence[str],
    logrank: Any,
    conf_int: bool,
    median_lines: bool,
) -> None:
    """The legend and the log-rank P, placed clear of the drawn curves and guides."""
    # Legend and log-rank P last, once the panel has its final size: each goes where no
    # curve or median guide runs (figures._placement), the legend above the panel if
    # no corner is free.
    drawn = ("surv", "lower", "upper") if conf_int else ("surv",)
    steps = [_step(curves[g], col) for g in groups for col in drawn]
    keep = [st for st in steps if st is not None]
    guides = _median_segments(km, groups) if median_lines else []
    legend = place_legend(ax, keep, guides, handlelength=1.6)
    if logrank is not None:
        taken = [data_box(ax, legend)] if legend.get_gid() == "legend-inside" else []
        note = place_note(ax, logrank_text(logrank), keep, guides, taken)
        note.set_gid("logrank-p")


def _draw_risk_table(
    ax: Any,
    ax_risk: Any,
    at_risk: pd.DataFrame,
    groups: Sequence[str],
    names: Mapping[str, str],
    palette: Mapping[str, str],
    ticks: np.ndarray,
) -> None:
    ax_risk.set_label("risk_table")
    n = len(groups)
    ys = np.arange(n)[::-1].astype(float)
    for g, y in zip(groups, ys, strict=True):
        for t, count in zip(ticks, at_risk.loc[g].to_numpy(), strict=True):
            ax_risk.text(
                t, y, str(int(count)), ha="center", va="center", fontsize=7.5, gid=f"risk:{g}"
            )
    ax_risk.set_ylim(-0.6, n - 0.4)
    ax_risk.set_yticks(ys)
    ax_risk.set_yticklabels([names[g] for g in groups])
    for label, g in zip(ax_risk.get_yticklabels(), groups, strict=True):
        label.set_color(palette[g])
    ax_risk.tick_params(axis="both", length=0)
    ax_risk.tick_params(axis="y", pad=8)
    ax_risk.tick_params(axis="x", labelbottom=False)
    for side in ("top", "right", "bottom", "left"):
        ax_risk.spines[side].set_visible(False)
    ax_risk.set_title("Number at risk", loc="left", fontsize=8, pad=2, fontweight="bold")
    ax.tick_params(axis="x", labelbottom=True)


def _group_labels(
    groups: Sequence[str], labels: Mapping[str, str] | Sequence[str] | None
) -> dict[str, str]:
    given = _by_group(groups, labels) or {}
    # A single unnamed curve is the whole cohort (the fit names it "(all)"): say so.
    if len(groups) == 1 and groups[0] not in given:
        return {groups[0]: ALL_PATIENTS}
    return {g: str(given.get(g, g)) for g in groups}


def _by_group(
    groups: Sequence[str], values: Mapping[str, str] | Sequence[str] | None
) -> dict[str, str] | None:
    if values is None:
        return None
    if isinstance(values, Mapping):
        return {str(k): v for k, v in values.items()}
    if len(values) != len(groups):
        raise ValueError(f"{len(values)} values given for {len(groups)} groups {list(groups)}")
    return dict(zip(groups, values, strict=True))


def _tick(t: float) -> str:
    return f"{t:g}"
