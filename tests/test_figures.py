"""Figures: structure (curves, bars, boxes, labels with units) and files written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from captemstats.figures import (
    default_breaks,
    flow_figure,
    km_figure,
    save_figure,
    swimmer_figure,
    waterfall_figure,
)
from captemstats.figures._theme import OKABE_ITO, RESPONSE_COLORS, group_colors


def _axes(fig: Any, label: str) -> Any:
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def _texts(ax: Any) -> list[str]:
    return [t.get_text() for t in ax.texts]


# -- theme and saving -----------------------------------------------------------------------------


def test_group_colors_are_okabe_ito_and_checked() -> None:
    assert set(group_colors(["a", "b", "c"]).values()) <= set(OKABE_ITO.values())
    assert group_colors(["a", "b"], {"a": "red", "b": "blue"}) == {"a": "red", "b": "blue"}
    with pytest.raises(ValueError, match="no entry"):
        group_colors(["a", "b"], {"a": "red"})
    with pytest.raises(ValueError, match="only 1"):
        group_colors(["a", "b"], ["red"])


def test_save_figure_writes_every_format(tmp_path: Path) -> None:
    fig = waterfall_figure(_waterfall_frame())
    paths = save_figure(fig, tmp_path / "out" / "fig", formats=("svg", "pdf", "png"), dpi=300)
    assert sorted(paths) == ["pdf", "png", "svg"]
    assert paths["svg"].read_text().lstrip().startswith("<?xml")
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    from PIL import Image

    with Image.open(paths["png"]) as img:
        assert round(img.info["dpi"][0]) == 300
    # no temporary files left behind
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["fig.pdf", "fig.png", "fig.svg"]


def test_save_figure_rejects_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unsupported"):
        save_figure(waterfall_figure(_waterfall_frame()), tmp_path / "f", formats=("bmp",))
    assert list(tmp_path.iterdir()) == []


# -- waterfall -------------------------------------------------------------------------------------


def _waterfall_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"p{i}" for i in range(8)],
            "best_pct_change": [-100.0, -45.0, -31.0, -10.0, 5.0, 25.0, 180.0, np.nan],
            "bor": ["CR", "PR", "PR", "SD", "SD", "PD", "PD", "NE"],
        }
    )


def test_waterfall_bars_sorted_coloured_and_thresholds() -> None:
    frame = _waterfall_frame()
    fig = waterfall_figure(frame, clip=100.0)
    ax = _axes(fig, "waterfall")
    bars = [p for p in ax.patches if p.get_gid() == "waterfall-bar"]
    assert len(bars) == frame["best_pct_change"].notna().sum()
    heights = [b.get_height() for b in bars]
    assert heights == sorted(heights, reverse=True)
    assert heights[0] == 100.0  # clipped at 100
    colours = [b.get_facecolor() for b in bars]
    from matplotlib.colors import to_rgba

    assert colours[0] == to_rgba(RESPONSE_COLORS["PD"])
    assert colours[-1] == to_rgba(RESPONSE_COLORS["CR"])
    gids = {line.get_gid() for line in ax.lines}
    assert {"threshold-30", "threshold+20"} <= gids
    assert "%" in ax.get_ylabel()
    assert any("Not shown: 1 patient" in t for t in _texts(ax))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [
        "Complete response",
        "Partial response",
        "Stable disease",
        "Progressive disease",
    ]


def test_waterfall_names_missing_columns() -> None:
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['bor'\]"):
        waterfall_figure(pd.DataFrame({"best_pct_change": [1.0]}))


# -- flow diagram ----------------------------------------------------------------------------------


def _attrition() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "step": ["net", "grade", "drugs", "followup"],
            "description": ["Metastatic NET", "Grade/Ki-67", "Both drugs", "Regular follow-up"],
            "n_before": [319, 316, 316, 312],
            "n_excluded": [3, 0, 4, 4],
            "n_after": [316, 316, 312, 308],
        }
    )


def test_flow_boxes_carry_the_attrition_counts() -> None:
    fig = flow_figure(_attrition(), groups={"First line": 139, "Second line": 118, "≥Third": 51})
    ax = _axes(fig, "flow")
    texts = " | ".join(t.replace("\n", " ").replace("\u00a0", " ") for t in _texts(ax))
    assert "(n = 319)" in texts
    for n in (3, 4):
        assert f"Excluded (n = {n})" in texts
    assert "Grade/Ki-67" not in texts  # a step excluding nobody is omitted by default
    assert "analysis (n = 308)" in texts
    assert "(n = 139)" in texts
    kinds = [p.get_gid() for p in ax.patches]
    assert kinds.count("flow-box-excluded") == 3
    assert kinds.count("flow-box-group") == 3
    fig_all = flow_figure(_attrition(), show_empty_steps=True)
    assert [p.get_gid() for p in _axes(fig_all, "flow").patches].count("flow-box-excluded") == 4


def test_flow_refuses_a_log_that_does_not_chain() -> None:
    log = _attrition()
    log.loc[2, "n_after"] = 311
    with pytest.raises(ValueError, match="do not chain"):
        flow_figure(log)


# -- swimmer ---------------------------------------------------------------------------------------


def _swimmer() -> Any:
    from captemstats.recist import SwimmerData

    lanes = pd.DataFrame(
        {
            "patient_id": ["a", "b", "c"],
            "bor": ["PR", "SD", "PD"],
            "treatment_months": [12.0, 20.0, 3.0],
            "followup_months": [30.0, 25.0, 6.0],
            "died": [False, False, True],
        }
    )
    events = pd.DataFrame(
        {
            "patient_id": ["a", "a", "b", "c", "c"],
            "event": ["response", "progression", "progression", "progression", "death"],
            "months": [3.0, 14.0, 21.0, 2.5, 6.0],
        }
    )
    return SwimmerData(lanes=lanes, events=events)


def test_swimmer_lanes_sorted_with_markers() -> None:
    fig = swimmer_figure(_swimmer())
    ax = _axes(fig, "swimmer")
    lanes = [p for p in ax.patches if p.get_gid() == "swimmer-lane"]
    assert [b.get_width() for b in sorted(lanes, key=lambda b: -b.get_y())] == [20.0, 12.0, 3.0]
    offsets = {c.get_gid(): c.get_offsets() for c in ax.collections if c.get_gid()}
    assert len(offsets["event-progression"]) == 3
    assert len(offsets["event-response"]) == 1
    assert len(offsets["event-death"]) == 1
    assert ax.get_xlabel() == "Time since CAPTEM start (months)"


def test_swimmer_limit_is_announced() -> None:
    fig = swimmer_figure(_swimmer(), max_patients=2)
    ax = _axes(fig, "swimmer")
    assert len([p for p in ax.patches if p.get_gid() == "swimmer-lane"]) == 2
    assert any("1 patient(s)" in t for t in _texts(ax))


# -- Kaplan–Meier ----------------------------------------------------------------------------------


def _km_fixture(n: int = 90, seed: int = 7) -> Any:
    from captemstats.survival import km as km_module

    rng = np.random.default_rng(seed)
    group = np.array(["1", "2", "3+"])[rng.integers(0, 3, n)]
    scale = np.select([group == "1", group == "2"], [24.0, 12.0], 9.0)
    t = rng.exponential(scale)
    c = rng.uniform(6, 60, n)
    return km_module.kaplan_meier(np.minimum(t, c).round(1), (t <= c).astype(int), by=group)


def _risk_counts(fig: Any) -> dict[str, list[int]]:
    ax = _axes(fig, "risk_table")
    out: dict[str, list[tuple[float, int]]] = {}
    for t in ax.texts:
        gid = t.get_gid() or ""
        if gid.startswith("risk:"):
            out.setdefault(gid[5:], []).append((t.get_position()[0], int(t.get_text())))
    return {g: [n for _, n in sorted(v)] for g, v in out.items()}


@pytest.mark.parametrize("breaks", [None, [0, 12, 24, 36, 48]])
def test_km_curves_and_risk_table_match_the_result(breaks: list[float] | None) -> None:
    km = _km_fixture()
    fig = km_figure(km, breaks=breaks, labels={"1": "First line"})
    ax = _axes(fig, "km")
    curves = [line for line in ax.lines if line.get_gid() == "km-curve"]
    assert len(curves) == len(km.groups)
    ticks = [float(t) for t in ax.get_xticks()]
    if breaks is not None:
        assert ticks == [float(b) for b in breaks]
    expected = km.at_risk(ticks)
    counts = _risk_counts(fig)
    assert sorted(counts) == sorted(km.groups)
    for g in km.groups:
        assert counts[g] == expected.loc[expected["group"] == g, "n_risk"].tolist()
    # risk-table numbers sit exactly under the ticks
    xs = sorted({t.get_position()[0] for t in _axes(fig, "risk_table").texts})
    assert xs == ticks
    assert "(months)" in ax.get_xlabel()
    assert ax.get_ylabel()
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == f"First line (n = {km.n['1']})"


def test_km_curve_steps_follow_the_survival_table() -> None:
    km = _km_fixture()
    fig = km_figure(km, risk_table=False, legend_n=False)
    ax = _axes(fig, "km")
    assert not [a for a in fig.axes if a.get_label() == "risk_table"]
    curves = [line for line in ax.lines if line.get_gid() == "km-curve"]
    for g, line in zip(km.groups, curves, strict=True):
        table = km.table(g)
        x, y = line.get_data()
        assert list(x[1:]) == table["time"].tolist() and x[0] == 0
        assert list(y[1:]) == table["surv"].tolist() and y[0] == 1
    marks = [line for line in ax.lines if line.get_gid() == "km-censor"]
    n_censor_times = sum(int((km.table(g)["n_censor"] > 0).sum()) for g in km.groups)
    assert sum(len(m.get_xdata()) for m in marks) == n_censor_times
    reached = [m for m in km.median.values() if m.reached]
    guides = [line for line in ax.lines if line.get_gid() == "km-median"]
    assert len(guides) == len(reached) + (1 if reached else 0)


def test_km_logrank_annotation_uses_format_p() -> None:
    from types import SimpleNamespace

    from captemstats import formatting

    fig = km_figure(_km_fixture(), logrank=SimpleNamespace(p_value=0.0123))
    text = [t.get_text() for t in _axes(fig, "km").texts if t.get_gid() == "logrank-p"]
    assert len(text) == 1 and formatting.format_p(0.0123).strip() in text[0]


def test_km_rejects_bad_breaks() -> None:
    with pytest.raises(ValueError, match="increasing"):
        km_figure(_km_fixture(), breaks=[0, 24, 12])


@pytest.mark.parametrize(
    ("t_max", "expected"),
    [
        (5.0, [0, 1, 2, 3, 4, 5]),
        (40.0, [0, 6, 12, 18, 24, 30, 36]),
        (212.1, list(range(0, 181, 36))),
    ],
)
def test_default_breaks_cover_follow_up(t_max: float, expected: list[int]) -> None:
    assert default_breaks(t_max).tolist() == expected
