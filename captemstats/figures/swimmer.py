"""Swimmer plot: time on treatment per patient with response and progression markers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from captemstats.figures._common import require_columns
from captemstats.figures._theme import (
    OKABE_ITO,
    RESPONSE_COLORS,
    TEXT_WIDTH,
    new_figure,
    publication_theme,
)
from captemstats.figures.waterfall import RESPONSE_ORDER
from captemstats.schema import LABELS

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from captemstats.recist.patient_metrics import SwimmerData

#: Marker per event of ``SwimmerData.events`` (matplotlib marker, colour, legend text).
EVENT_MARKERS: dict[str, tuple[str, str, str]] = {
    "response": ("^", OKABE_ITO["black"], "First response (CR/PR)"),
    "progression": ("X", OKABE_ITO["vermillion"], "Progression"),
    "death": ("o", OKABE_ITO["black"], "Death"),
}


def swimmer_figure(
    swimmer: SwimmerData,
    *,
    time_unit: str = "months",
    events: Sequence[str] = ("response", "progression", "death"),
    show_followup: bool = True,
    max_patients: int | None = None,
    colors: Mapping[str, str] | None = None,
    xlabel: str | None = None,
    title: str | None = None,
    width: float = TEXT_WIDTH,
    lane_height: float = 0.022,
) -> Figure:
    """One lane per patient, longest time on treatment on top.

    ``swimmer`` is ``captemstats.recist.SwimmerData`` (``lanes``: patient_id, bor,
    treatment_<unit>, followup_<unit>; ``events``: patient_id, event, <unit>). The bar is the
    time on CAPTEM coloured by best overall response (RECIST 1.1); a thin grey line continues
    to the last follow-up or death when ``show_followup``; markers show the first response,
    progression and death. ``time_unit`` is "months" or "days" (the columns of SwimmerData).
    ``max_patients`` keeps the longest lanes and prints how many were left out. Lanes are
    labelled by anonymous sequence numbers (1 = longest treatment, see :func:`lane_numbers`);
    no patient id is drawn or stored in the figure.

    Parameters
    ----------
    swimmer
        :func:`captemstats.recist.swimmer_data`.
    time_unit
        ``"months"`` or ``"days"``.
    events
        The events marked.
    show_followup
        Draw the follow-up after treatment.
    max_patients
        Keep only the longest lanes.
    colors
        Colour per best response.
    xlabel, title
        Axis label and optional title.
    width, lane_height
        Width and height per lane in inches.

    Returns
    -------
    matplotlib.figure.Figure
        On the Agg canvas, outside pyplot; write it with :func:`save_figure`.

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.recist import SwimmerData
    >>> lanes = pd.DataFrame({"patient_id": ["P1", "P2"], "bor": ["PR", "PD"],
    ...                       "treatment_months": [6.6, 3.0], "followup_months": [13.1, 4.9],
    ...                       "treatment_days": [200.0, 90.0], "followup_days": [400.0, 150.0],
    ...                       "died": [False, True]})
    >>> events = pd.DataFrame({"patient_id": ["P1", "P2", "P2"],
    ...                        "event": ["response", "progression", "death"],
    ...                        "months": [1.8, 2.8, 4.9], "day": [56.0, 84.0, 150.0],
    ...                        "response": ["PR", None, None]})
    >>> fig = swimmer_figure(SwimmerData(lanes=lanes, events=events))
    >>> fig.axes[0].get_xlabel()
    'Time since CAPTEM start (months)'
    """
    lanes = getattr(swimmer, "lanes", None)
    ev = getattr(swimmer, "events", None)
    if not isinstance(lanes, pd.DataFrame) or not isinstance(ev, pd.DataFrame):
        raise TypeError("swimmer_figure expects SwimmerData (with .lanes and .events frames)")
    if time_unit not in ("months", "days"):
        raise ValueError(f"swimmer_figure: time_unit must be 'months' or 'days', not {time_unit!r}")
    tcol, fcol = f"treatment_{time_unit}", f"followup_{time_unit}"
    ecol = "months" if time_unit == "months" else "day"
    require_columns(lanes, ("patient_id", "bor", tcol, fcol), "swimmer_figure (lanes)")
    require_columns(ev, ("patient_id", "event", ecol), "swimmer_figure (events)")

    order, hidden = _lane_order(lanes, tcol, max_patients)
    n = len(order)
    ids = order["patient_id"].astype("string").to_numpy(dtype=object)
    y = np.arange(n, dtype=float)[::-1]
    pos = dict(zip(ids, y, strict=True))
    treat = order[tcol].to_numpy(dtype=float, na_value=np.nan)
    follow = order[fcol].to_numpy(dtype=float, na_value=np.nan)
    codes = order["bor"].astype("string").fillna("NE").to_numpy(dtype=object)
    palette = {**RESPONSE_COLORS, **(colors or {})}
    unknown = sorted(set(codes) - set(palette))
    if unknown:
        raise ValueError(f"swimmer_figure: no colour for response codes {unknown}")

    with publication_theme():
        fig = new_figure(width, max(2.5, 0.9 + lane_height * n), layout="constrained")
        ax = fig.add_subplot()
        ax.set_label("swimmer")
        if show_followup:
            ax.hlines(y, np.nan_to_num(treat), follow, color="0.75", lw=0.6, gid="followup")
        bars = ax.barh(
            y, np.nan_to_num(treat), height=0.8, color=[palette[c] for c in codes], linewidth=0
        )
        for bar in bars:
            bar.set_gid("swimmer-lane")
        handles, names = _response_legend(codes, palette)
        sub = ev[ev["patient_id"].astype("string").isin(set(ids))]
        _draw_events(ax, sub, events, pos, ecol, handles, names)
        _label_lanes(ax, n, xlabel or f"Time since CAPTEM start ({time_unit})")
        # outside the lanes: a legend inside would hide the longest follow-up lines
        ax.legend(handles, names, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=7)
        if hidden:
            _hidden_note(ax, hidden)
        if title:
            ax.set_title(title, loc="left")
    return fig


def lane_numbers(n: int) -> np.ndarray:
    """Sequence numbers labelled on the lane axis: 1, then every 5th (n ≤ 40) or 10th lane,
    every lane when n ≤ 10; always including n."""
    if n <= 0:
        return np.zeros(0, dtype=np.int64)
    if n <= 10:
        return np.arange(1, n + 1, dtype=np.int64)
    step = 5 if n <= 40 else 10
    ticks = np.unique(np.concatenate([[1], np.arange(step, n + 1, step), [n]]))
    if len(ticks) > 2 and ticks[-1] - ticks[-2] < step / 2:  # n just past a multiple
        ticks = np.delete(ticks, -2)
    return ticks.astype(np.int64)


def _lane_order(
    lanes: pd.DataFrame, tcol: str, max_patients: int | None
) -> tuple[pd.DataFrame, int]:
    """The lanes longest time on treatment first (ties by id), cut to ``max_patients``, and
    how many were left out."""
    order = lanes.assign(_t=lanes[tcol].fillna(-1.0)).sort_values(
        ["_t", "patient_id"], ascending=[False, True], kind="stable"
    )
    hidden = 0
    if max_patients is not None and len(order) > max_patients:
        hidden = len(order) - max_patients
        order = order.iloc[:max_patients]
    return order, hidden


def _draw_events(
    ax: Any,
    sub: pd.DataFrame,
    events: Sequence[str],
    pos: Mapping[Any, float],
    ecol: str,
    handles: list[Any],
    names: list[str],
) -> None:
    """The event markers on the lanes, each event's legend entry added to ``handles`` and
    ``names``."""
    for name in events:
        if name not in EVENT_MARKERS:
            raise ValueError(f"swimmer_figure: unknown event {name!r}; use {list(EVENT_MARKERS)}")
        marker, color, text = EVENT_MARKERS[name]
        rows = sub[sub["event"] == name]
        if rows.empty:
            continue
        ys = rows["patient_id"].astype("string").map(pos).to_numpy(dtype=float)
        xs = rows[ecol].to_numpy(dtype=float)
        ax.scatter(
            xs, ys, marker=marker, s=9, color=color, linewidths=0, zorder=3, gid=f"event-{name}"
        )
        handles.append(_marker(marker, color))
        names.append(text)


def _label_lanes(ax: Any, n: int, xlabel: str) -> None:
    """The axes' limits, lane numbers and labels."""
    ax.set_ylim(-1, n)
    # Lanes are numbered 1..n from the top (longest treatment first): anonymous
    # sequence numbers, never the registry's patient ids.
    seq = lane_numbers(n)
    ax.set_yticks(n - seq.astype(float), [str(k) for k in seq], fontsize=7)
    ax.tick_params(axis="y", length=2)
    ax.set_xlim(left=0)
    ax.set_ylabel(f"Patient (sequence number, n = {n})")
    ax.set_xlabel(xlabel)
    ax.spines["left"].set_visible(False)


def _hidden_note(ax: Any, hidden: int) -> None:
    """How many lanes ``max_patients`` left out, above the panel's right end."""
    ax.text(
        0.99,
        1.0,
        f"{hidden} patient(s) with shorter treatment not shown",
        transform=ax.transAxes,
        ha="right",
        va="bottom",
        fontsize=7,
        color="0.3",
    )


def _response_legend(codes: Any, palette: Mapping[str, str]) -> tuple[list[Any], list[str]]:
    from matplotlib.patches import Patch

    seen = {str(c) for c in codes}
    present = [c for c in RESPONSE_ORDER if c in seen] + sorted(seen - set(RESPONSE_ORDER))
    labels = LABELS["best_response"]
    return (
        [Patch(facecolor=palette[c], linewidth=0) for c in present],
        [f"Best response: {labels.get(c, c)}" for c in present],
    )


def _marker(marker: str, color: str) -> Any:
    from matplotlib.lines import Line2D

    return Line2D([], [], linestyle="none", marker=marker, color=color, markersize=4)
