"""Every manuscript figure for the shipped synthetic registry: structure, not pixels.

The figures are built by running the manuscript's own figure cells (``fig-*`` chunks of
report/index.qmd) on one ``analyze("data/registry")`` result, then read back through the
artists' gids (see captemstats/figures/*.py): Kaplan–Meier curves (``km-curve``), the risk
table (texts ``risk:<group>`` on the axes labelled ``risk_table``), forest whiskers and
squares (``forest-ci``, ``forest-hr``), waterfall bars (``waterfall-bar``), swimmer lanes
(``swimmer-lane``) and flow boxes (``flow-box-<kind>``). Each is compared with the result it
draws: curves with ``km.table``, numbers at risk with ``km.at_risk`` at the axis ticks, rows
with ``res.cox`` terms, bars with ``waterfall_data``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from test_tables_registry import ROOT, manuscript_chunks, manuscript_namespace, run_chunk

from captemstats.figures.km import ALL_PATIENTS
from captemstats.formatting import format_p
from captemstats.recist import waterfall_data
from captemstats.study import CAPTEM_STUDY

#: KM figures of the manuscript: chunk → (endpoint, grouping or None, labels in the setup cell).
KM_FIGURES: dict[str, tuple[str, str | None, str | None]] = {
    "fig-line": ("pfs", "line_group", "LINES"),
    "fig-grade": ("pfs", "grade", "GRADES"),
    "fig-ki67": ("pfs", "ki67_group", "KI67"),
    "suppfig-pfs-all": ("pfs", None, None),
    "suppfig-os-all": ("os", None, None),
    "suppfig-os-line": ("os", "line_group", "LINES"),
    "suppfig-os-grade": ("os", "grade", "GRADES"),
    "suppfig-os-ki67": ("os", "ki67_group", "KI67"),
    "suppfig-pfs-site": ("pfs", "primary_site", "SITES"),
    "suppfig-os-site": ("os", "primary_site", "SITES"),
}
OTHER_FIGURES = ("suppfig-flow", "suppfig-forest", "suppfig-waterfall", "suppfig-swimmer")


@pytest.fixture(scope="module")
def res() -> Any:
    from captemstats.analysis import analyze

    return analyze(ROOT / "data" / "registry")


@pytest.fixture(scope="module")
def ns(res: Any) -> dict[str, Any]:
    return manuscript_namespace(res)


@pytest.fixture(scope="module")
def figures(ns: dict[str, Any]) -> dict[str, Any]:
    from matplotlib.figure import Figure

    chunks = manuscript_chunks()
    built = {
        label: run_chunk(code, ns, label)
        for label, code in chunks.items()
        if label.startswith(("fig-", "suppfig-"))
    }
    for label, fig in built.items():
        assert isinstance(fig, Figure), f"{label} does not end in a Figure"
    return built


def test_every_manuscript_figure_is_covered(figures: dict[str, Any]) -> None:
    assert set(figures) == set(KM_FIGURES) | set(OTHER_FIGURES)


def _axes(fig: Any, label: str) -> Any:
    (ax,) = [a for a in fig.axes if a.get_label() == label]
    return ax


def _all_texts(fig: Any) -> list[str]:
    from matplotlib.text import Text

    return [t.get_text() for t in fig.findobj(Text) if t.get_text()]


# -- Kaplan–Meier ----------------------------------------------------------------------------------


@pytest.mark.parametrize("label", sorted(KM_FIGURES))
def test_km_curves_risk_table_and_labels(
    figures: dict[str, Any], res: Any, ns: dict[str, Any], label: str
) -> None:
    endpoint, grouping, labels_name = KM_FIGURES[label]
    sc = res.km(endpoint, grouping) if grouping else res.km(endpoint)
    km = sc.km
    # the legend names are the study's (captemstats.study.Grouping.legend), which the
    # manuscript's figures take through ManuscriptItems
    names: dict[str, str] = (
        dict(CAPTEM_STUDY.grouping(grouping).legend_labels) if labels_name and grouping else {}
    )
    # drawn in the order the manuscript lists the groups, then any it does not name
    order = [g for g in names if g in km.groups] + [g for g in km.groups if g not in names]
    if len(order) == 1 and order[0] not in names:
        # one unnamed curve is the whole cohort: "All patients", never the fit's "(all)"
        names = {order[0]: ALL_PATIENTS}
    fig = figures[label]
    ax = _axes(fig, "km")

    # one curve per group, each the KM step function of its group
    curves = [line for line in ax.lines if line.get_gid() == "km-curve"]
    assert len(curves) == len(km.groups)
    for g, line in zip(order, curves, strict=True):
        table = km.table(g)
        x, y = line.get_data()
        np.testing.assert_array_equal(x, np.concatenate([[0.0], table["time"].to_numpy(float)]))
        np.testing.assert_array_equal(y, np.concatenate([[1.0], table["surv"].to_numpy(float)]))

    # the risk table: one row per group, one number per axis tick, = km.at_risk(ticks)
    ticks = [float(t) for t in ax.get_xticks()]
    assert ticks[0] == 0.0 and ticks == sorted(ticks)
    risk = _axes(fig, "risk_table")
    counts: dict[str, list[tuple[float, int]]] = {}
    for t in risk.texts:
        gid = t.get_gid() or ""
        if gid.startswith("risk:"):
            counts.setdefault(gid[5:], []).append((t.get_position()[0], int(t.get_text())))
    assert sorted(counts) == sorted(km.groups)
    expected = km.at_risk(ticks)
    for g in km.groups:
        xs, ns_ = zip(*sorted(counts[g]), strict=True)
        assert list(xs) == ticks, g
        assert list(ns_) == expected.loc[expected["group"] == g, "n_risk"].astype(int).tolist(), g
    row_names = [t.get_text() for t in risk.get_yticklabels()]
    assert row_names == [names.get(g, g) for g in order]
    assert risk.get_title(loc="left") == "Number at risk"

    # legend: "<name> (n = <at risk at 0>)", in drawing order
    at0 = km.at_risk([0.0]).set_index("group")["n_risk"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == [f"{names.get(g, g)} (n = {int(at0[g])})" for g in order]

    # axes labelled, the time axis with its unit
    assert re.search(r"\bmonths?\b", ax.get_xlabel(), flags=re.I), ax.get_xlabel()
    assert "survival" in ax.get_ylabel().lower()
    assert ax.get_ylim()[0] == 0.0

    # log-rank P (formatted by format_p) for a comparison, none for a single curve
    p_texts = [t.get_text() for t in ax.texts if t.get_gid() == "logrank-p"]
    if sc.logrank is None:
        assert p_texts == []
    else:
        assert p_texts == [f"Log-rank P {_p(format_p(sc.logrank.p_value))}"]


def _p(text: str) -> str:
    return f"{text[0]} {text[1:]}" if text[:1] in "<>" else f"= {text}"


# -- forest ----------------------------------------------------------------------------------------


def test_forest_one_row_per_cox_term_per_model(figures: dict[str, Any], res: Any) -> None:
    from captemstats.tables.cox import cox_terms

    fig = figures["suppfig-forest"]
    labels = None
    for name, endpoint in (("PFS", "pfs"), ("OS", "os")):
        ax = _axes(fig, f"forest:{name}")
        terms = cox_terms(res.cox[endpoint])
        (ci,) = [c for c in ax.collections if c.get_gid() == "forest-ci"]
        (hr,) = [c for c in ax.collections if c.get_gid() == "forest-hr"]
        segments = ci.get_segments()
        assert len(segments) == len(terms) == len(hr.get_offsets())
        np.testing.assert_allclose(hr.get_offsets()[:, 0], terms["hr"].to_numpy())
        np.testing.assert_allclose([s[0][0] for s in segments], terms["lower"].to_numpy())
        np.testing.assert_allclose([s[1][0] for s in segments], terms["upper"].to_numpy())
        notes = [t for t in ax.texts if " P " in t.get_text()]
        assert len(notes) == len(terms)
        bold = [t.get_fontweight() == "bold" for t in notes]
        assert bold == (terms["p_value"] < 0.05).tolist()
        assert ax.get_xscale() == "log"
        assert "hazard ratio" in ax.get_xlabel().lower()
        labels = terms["label"].tolist()
    first = _axes(fig, "forest:PFS")
    assert [t.get_text() for t in first.get_yticklabels()] == labels


# -- waterfall -------------------------------------------------------------------------------------


def test_waterfall_one_bar_per_measured_evaluable_patient(
    figures: dict[str, Any], res: Any
) -> None:
    data = waterfall_data(res.responses)
    ax = _axes(figures["suppfig-waterfall"], "waterfall")
    bars = [p for p in ax.patches if p.get_gid() == "waterfall-bar"]
    assert len(bars) == len(data) > 0
    heights = np.array([b.get_height() for b in bars])
    expected = np.minimum(np.sort(data["best_pct_change"].to_numpy(float))[::-1], 100.0)
    np.testing.assert_array_equal(heights, expected)
    assert "%" in ax.get_ylabel()
    assert f"(n = {len(data)})" in ax.get_xlabel()


# -- swimmer ---------------------------------------------------------------------------------------


def test_swimmer_lanes_are_anonymous_sequence_numbers(
    figures: dict[str, Any], res: Any, tmp_path: Path
) -> None:
    from captemstats.figures import save_figure

    fig = figures["suppfig-swimmer"]
    ax = _axes(fig, "swimmer")
    lanes = [p for p in ax.patches if p.get_gid() == "swimmer-lane"]
    assert len(lanes) == min(60, res.n)
    numbers = [int(t.get_text()) for t in ax.get_yticklabels()]
    assert numbers[0] == 1 and numbers[-1] == len(lanes) and numbers == sorted(numbers)
    assert "sequence number" in ax.get_ylabel()
    assert re.search(r"\(months\)", ax.get_xlabel())
    ids = set(res.cohort.data["patient_id"].astype(str))
    texts = _all_texts(fig)
    assert not [t for t in texts if any(i in t for i in ids)]
    # nor in the file a journal receives (gids and ids are written into SVG)
    svg = save_figure(fig, tmp_path / "swimmer", formats=("svg",))["svg"].read_text()
    assert not [i for i in ids if re.search(rf"\b{re.escape(i)}\b", svg)]


# -- flow ------------------------------------------------------------------------------------------


def test_flow_boxes_carry_the_attrition_counts(figures: dict[str, Any], res: Any) -> None:
    ax = _axes(figures["suppfig-flow"], "flow")
    text = " | ".join(t.replace("\n", " ").replace("\u00a0", " ") for t in _all_texts(ax.figure))
    log = res.cohort.attrition.to_frame()
    assert f"(n = {int(log['n_before'].iloc[0])})" in text
    excluded = log[log["n_excluded"] > 0]
    for _, step in excluded.iterrows():
        assert f"Excluded (n = {int(step['n_excluded'])})" in text
    assert f"analysis (n = {res.n})" in text
    for n in res.n_by_line.values():
        assert f"(n = {n})" in text
    kinds = [p.get_gid() for p in ax.patches]
    assert kinds.count("flow-box-excluded") == len(excluded)
    assert kinds.count("flow-box-group") == len(res.n_by_line)


# -- files -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("label", ["fig-line", "suppfig-forest"])
def test_save_writes_svg_pdf_and_300_dpi_png(
    figures: dict[str, Any], label: str, tmp_path: Path
) -> None:
    from PIL import Image

    from captemstats.figures import save_figure

    paths = save_figure(figures[label], tmp_path / label)
    assert sorted(paths) == ["pdf", "png", "svg"]
    svg = paths["svg"].read_text(encoding="utf-8")
    assert svg.lstrip().startswith("<?xml")
    xlabel = figures[label].axes[0].get_xlabel()
    assert xlabel.split("\n")[0] in svg  # text stays text (svg.fonttype = none)
    assert paths["pdf"].read_bytes()[:5] == b"%PDF-"
    with Image.open(paths["png"]) as img:
        assert tuple(round(d) for d in img.info["dpi"]) == (300, 300)
        width_in = img.size[0] / 300
    assert width_in > 0.8 * figures[label].get_size_inches()[0]  # rendered at 300 dpi
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        f"{label}.{ext}" for ext in ("pdf", "png", "svg")
    )


#: The manuscript's text width: A4 (21 cm) less 2.2 cm side margins (_quarto.yml, and the
#: DOCX reference document), in inches; a wider figure is scaled down to it.
TEXT_WIDTH_IN = (21.0 - 2 * 2.2) / 2.54


@pytest.mark.parametrize("label", sorted(set(KM_FIGURES) | set(OTHER_FIGURES)))
def test_text_is_at_least_7_pt_where_the_figure_is_printed(
    figures: dict[str, Any], label: str
) -> None:
    """Every text of the figure, at the size it prints in the PDF and DOCX (its tight bounding
    box scaled to fit the text width), is 7 pt or more (journals' minimum)."""
    from matplotlib.text import Text

    fig = figures[label]
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()
    width = fig.get_tightbbox(renderer).width  # inches, what savefig(bbox="tight") keeps
    scale = min(1.0, TEXT_WIDTH_IN / width)
    sizes = [
        t.get_fontsize()
        for t in fig.findobj(Text)
        if t.get_text().strip() and t.get_visible() and t.get_figure() is fig
    ]
    assert sizes
    assert min(sizes) * scale >= 7.0, (label, min(sizes), round(scale, 3))
