"""STROBE flow diagram drawn from the cohort's attrition log."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from captemstats.figures._common import as_frame, require_columns
from captemstats.figures._theme import DOUBLE_COLUMN, new_figure, publication_theme

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

    from captemstats.cohort import AttritionLog

# Geometry in inches: the axes span the whole figure with 1 data unit = 1 inch, so box sizes
# follow directly from the number of text lines at the theme's 8 pt.
_LINE = 0.15
_PAD = 0.14
_GAP = 0.35
_MAIN_W = 2.7
_SIDE_W = 3.1
_MAIN_X = 0.25
_SIDE_X = _MAIN_X + _MAIN_W + 0.55
# Non-breaking spaces keep "n = 11" on one line when a box text wraps.
_EQ = "\u00a0=\u00a0"


@dataclass(frozen=True, slots=True)
class _Box:
    x: float
    y_top: float
    w: float
    text: str
    kind: str

    @property
    def h(self) -> float:
        return self.text.count("\n") * _LINE + _LINE + 2 * _PAD

    @property
    def cx(self) -> float:
        return self.x + self.w / 2


def flow_figure(
    attrition: AttritionLog | pd.DataFrame,
    *,
    start_label: str = "Patients treated with CAPTEM in the registry",
    final_label: str = "Patients included in the analysis",
    groups: Mapping[str, int] | None = None,
    step_labels: Mapping[str, str] | None = None,
    show_empty_steps: bool = False,
    title: str | None = None,
    width: float = DOUBLE_COLUMN,
) -> Figure:
    """STROBE flow diagram (von Elm et al. 2007, STROBE item 13 and its flow diagram).

    ``attrition`` is the cohort's ``AttritionLog`` (or its ``to_frame()``): one row per
    eligibility step, in order, with ``n_before``, ``n_excluded``, ``n_after`` and a step
    description (column ``description``, ``reason``, ``label``, ``step`` or ``name``, the
    first present). The main column shows the patients remaining after each step; each
    exclusion is a side box with its count. ``groups`` optionally maps the analysis cohort's
    subgroups (e.g. treatment lines) to their sizes, drawn as a row of boxes at the bottom.
    Steps that exclude nobody are omitted unless ``show_empty_steps``. A step's box reads
    "Excluded (n = k): criterion not met — <description>"; ``step_labels`` (keyed by the
    ``step`` column) replaces the description with custom text.

    The counts are drawn as given; the diagram checks that they chain
    (``n_after = n_before - n_excluded`` and each ``n_before`` equals the previous
    ``n_after``) and raises ``ValueError`` otherwise, so an inconsistent log cannot be drawn.

    Parameters
    ----------
    attrition
        The cohort's attrition log (``StudyAnalysis.cohort.attrition``) or its frame.
    start_label, final_label
        Texts of the first and last boxes.
    groups
        Subgroup sizes drawn at the bottom.
    step_labels
        Custom text per step.
    show_empty_steps
        Also draw steps that exclude nobody.
    title
        Optional title.
    width
        Width in inches.

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas, outside pyplot; write it with :func:`save_figure`.

    Raises
    ------
    ValueError
        The counts do not chain.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> cohort = derive_cohort(read_registry("data/registry"))
    >>> fig = flow_figure(cohort.attrition, groups={"First line": 139, "Second line": 118,
    ...                                             "Third line or later": 51})
    >>> texts = [" ".join(t.get_text().split()) for t in fig.axes[0].texts]
    >>> texts[0]
    'Patients treated with CAPTEM in the registry (n = 319)'
    >>> texts[4]
    'Patients included in the analysis (n = 308)'
    """
    frame = require_columns(
        as_frame(attrition), ("n_before", "n_excluded", "n_after"), "flow_figure"
    )
    if frame.empty:
        raise ValueError("flow_figure: the attrition log has no steps")
    text_col = next(
        (c for c in ("description", "reason", "label", "step", "name") if c in frame.columns),
        None,
    )
    if text_col is None:
        raise ValueError("flow_figure: the attrition log has no step description column")
    before = frame["n_before"].astype("int64").to_numpy()
    excluded = frame["n_excluded"].astype("int64").to_numpy()
    after = frame["n_after"].astype("int64").to_numpy()
    bad = (after != before - excluded).nonzero()[0].tolist()
    bad += [i for i in range(1, len(frame)) if before[i] != after[i - 1]]
    if bad:
        raise ValueError(f"flow_figure: attrition log rows {sorted(set(bad))} do not chain")

    boxes, arrows = _layout(
        start=f"{start_label}\n(n{_EQ}{before[0]})",
        steps=[
            (_step_text(frame, i, text_col, step_labels), int(excluded[i]), int(after[i]))
            for i in range(len(frame))
            if show_empty_steps or excluded[i] > 0
        ],
        final_label=final_label,
        final_n=int(after[-1]),
        groups=groups,
    )
    height = max(b.y_top for b in boxes) + 0.1 + (0.35 if title else 0)
    with publication_theme():
        fig = new_figure(width, height)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_label("flow")
        ax.set_xlim(0, width)
        ax.set_ylim(0, height)
        ax.set_axis_off()
        for box in boxes:
            _draw_box(ax, box)
        for (x0, y0), (x1, y1) in arrows:
            ax.annotate(
                "",
                xy=(x1, y1),
                xytext=(x0, y0),
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": "black",
                    "lw": 0.8,
                    "shrinkA": 0,
                    "shrinkB": 0,
                },
            )
        if title:
            ax.text(_MAIN_X, height - 0.2, title, fontsize=9, fontweight="bold", va="center")
    return fig


def _layout(
    *,
    start: str,
    steps: list[tuple[str, int, int]],
    final_label: str,
    final_n: int,
    groups: Mapping[str, int] | None,
) -> tuple[list[_Box], list[tuple[tuple[float, float], tuple[float, float]]]]:
    """Place boxes top-down (y measured downwards here, flipped at the end)."""
    main_wrap, side_wrap = 40, 46
    boxes: list[_Box] = []
    arrows: list[tuple[tuple[float, float], tuple[float, float]]] = []
    y = 0.1
    current = _Box(_MAIN_X, y, _MAIN_W, _wrap(start, main_wrap), "main")
    boxes.append(current)
    y += current.h
    for k, (text, n_excl, n_after) in enumerate(steps):
        side = _Box(
            _SIDE_X,
            0.0,
            _SIDE_W,
            _wrap(f"Excluded (n{_EQ}{n_excl}): {text}", side_wrap),
            "excluded",
        )
        gap = max(2 * _GAP, side.h + 0.2)
        mid = y + gap / 2
        side = _Box(side.x, mid - side.h / 2, side.w, side.text, side.kind)
        boxes.append(side)
        arrows.append(((current.cx, mid), (side.x, mid)))
        last = k == len(steps) - 1
        label = f"{final_label}\n(n{_EQ}{n_after})" if last else f"Remaining\n(n{_EQ}{n_after})"
        nxt = _Box(_MAIN_X, y + gap, _MAIN_W, _wrap(label, main_wrap), "main")
        arrows.append(((current.cx, y), (nxt.cx, nxt.y_top)))
        boxes.append(nxt)
        current = nxt
        y = nxt.y_top + nxt.h
    if not steps:
        nxt = _Box(
            _MAIN_X,
            y + 2 * _GAP,
            _MAIN_W,
            _wrap(f"{final_label}\n(n{_EQ}{final_n})", main_wrap),
            "main",
        )
        arrows.append(((current.cx, y), (nxt.cx, nxt.y_top)))
        boxes.append(nxt)
        current = nxt
        y = nxt.y_top + nxt.h
    if groups:
        k = len(groups)
        span = _SIDE_X + _SIDE_W - _MAIN_X
        w = min(2.2, (span - 0.15 * (k - 1)) / k)
        top = y + 2 * _GAP
        for i, (name, n) in enumerate(groups.items()):
            box = _Box(_MAIN_X + i * (w + 0.15), top, w, _wrap(f"{name}\n(n{_EQ}{n})", 28), "group")
            boxes.append(box)
            arrows.append(((current.cx, y), (box.cx, box.y_top)))
    total = max(b.y_top + b.h for b in boxes) + 0.1
    flipped = [_Box(b.x, total - b.y_top, b.w, b.text, b.kind) for b in boxes]
    flipped_arrows = [((x0, total - y0), (x1, total - y1)) for (x0, y0), (x1, y1) in arrows]
    return flipped, flipped_arrows


def _step_text(frame: Any, i: int, text_col: str, step_labels: Mapping[str, str] | None) -> str:
    if step_labels and "step" in frame.columns:
        custom = step_labels.get(str(frame["step"].iloc[i]))
        if custom is not None:
            return custom
    return f"criterion not met — {frame[text_col].iloc[i]}"


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.fill(part, width) for part in text.split("\n"))


def _draw_box(ax: Any, box: _Box) -> None:
    from matplotlib.patches import FancyBboxPatch

    face = {"main": "white", "excluded": "#F2F2F2", "group": "white"}[box.kind]
    patch = FancyBboxPatch(
        (box.x, box.y_top - box.h),
        box.w,
        box.h,
        boxstyle="round,pad=0,rounding_size=0.05",
        facecolor=face,
        edgecolor="black",
        linewidth=0.8,
        gid=f"flow-box-{box.kind}",
    )
    ax.add_patch(patch)
    ax.text(
        box.cx if box.kind != "excluded" else box.x + _PAD,
        box.y_top - box.h / 2,
        box.text,
        ha="center" if box.kind != "excluded" else "left",
        va="center",
        fontsize=8,
        linespacing=1.25,
    )
