"""ManuscriptItems: one call per table and figure family of the manuscript, with the study's
labels and the disclosure decision applied by the library (issue 16).

Each item equals what the manuscript's chunks built by hand before (the builders and the
suppression called directly), for the full and for a shared version; figures of a shared
version draw no count and no individual patient.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from captemstats.analysis import StudyAnalysis, analyze
from captemstats.disclosure import plan_disclosure
from captemstats.manuscript_items import ManuscriptItems
from captemstats.privacy import (
    suppress_attrition_table,
    suppress_response_table,
    suppress_table,
)
from captemstats.study import CAPTEM_STUDY
from captemstats.tables import (
    adverse_event_table,
    characteristics_table,
    response_table,
    survival_summary_table,
)
from captemstats.tables.appendix import attrition_table

REGISTRY = Path(__file__).parents[1] / "data" / "registry"
LINES = CAPTEM_STUDY.grouping("line_group").legend_labels


@pytest.fixture(scope="module")
def res() -> StudyAnalysis:
    return analyze(REGISTRY)


def _by_hand(res: StudyAnalysis, k: int | None) -> dict[str, pd.DataFrame]:
    decision = plan_disclosure(res, k) if k else None
    hidden = decision is not None and decision.is_hidden("t2|NOTEVAL|all")
    groupings = [g.column for g in CAPTEM_STUDY.groupings]
    labels = {g: CAPTEM_STUDY.grouping(g).legend_labels for g in groupings if g != "all"}
    fits = {
        e: {g: (res.km(e, g).km, res.km(e, g).logrank) for g in groupings} for e in ("pfs", "os")
    }
    t1 = characteristics_table(
        res.characteristics, group_labels=LINES, title="", methods=res.methods
    )
    t2 = response_table(
        res.response_rates,
        tests=res.response_tests,
        group_labels=LINES,
        n_treated=None if hidden else res.n,
        title="",
        methods=res.methods,
    )
    sv = survival_summary_table(fits["pfs"], fits["os"], group_labels=labels, title="")
    return {
        "table1": suppress_table(t1, k, decision=decision, kind="table1").data,
        "table2": suppress_response_table(t2, k, decision=decision).data,
        "table4": suppress_table(
            adverse_event_table(res.adverse, title=""), k, decision=decision, kind="table4"
        ).data,
        "attrition": suppress_attrition_table(
            attrition_table(res.cohort.attrition, title=""), k, decision=decision
        ).data,
        "survival": suppress_table(
            sv, k, decision=decision, kind="survival", group_labels=labels
        ).data,
    }


@pytest.mark.parametrize("k", [None, 5, 11])
def test_tables_equal_the_builders_with_the_suppression(res: StudyAnalysis, k: int | None) -> None:
    items = ManuscriptItems(res, min_cell=k)
    got = {
        "table1": items.table1().data,
        "table2": items.table2().data,
        "table4": items.table4().data,
        "attrition": items.attrition_table().data,
        "survival": items.survival_table().data,
    }
    for name, expected in _by_hand(res, k).items():
        pd.testing.assert_frame_equal(got[name], expected, obj=name)


def test_a_shared_version_withholds_cells_the_full_one_prints(res: StudyAnalysis) -> None:
    full, shared = ManuscriptItems(res), ManuscriptItems(res, min_cell=11)
    assert not full.suppress and full.decision is None
    assert shared.suppress and shared.decision is not None
    assert not full.table1().data.equals(shared.table1().data)


def _texts(fig: plt.Figure, prefix: str) -> list[str]:
    return [
        t.get_text() for ax in fig.axes for t in ax.texts if str(t.get_gid()).startswith(prefix)
    ]


def _legend(fig: plt.Figure) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().texts]


def test_km_figure_takes_the_legend_labels_and_drops_counts_when_shared(res: StudyAnalysis) -> None:
    full = ManuscriptItems(res).km("os", "grade")
    shared = ManuscriptItems(res, min_cell=5).km("os", "grade")
    try:
        legend = [
            t.get_text() for ax in full.axes if ax.get_legend() for t in ax.get_legend().texts
        ]
        assert any(text.startswith("Grade 1") for text in legend)
        assert _texts(full, "risk:") and not _texts(shared, "risk:")
        shared_legend = _legend(shared)
        assert shared_legend and not any("n =" in text or "(n" in text for text in shared_legend)
        assert full.axes[0].get_xlabel() == CAPTEM_STUDY.time_axis_label
        assert full.axes[0].get_ylabel() == "Overall survival probability"
    finally:
        plt.close(full)
        plt.close(shared)


@pytest.mark.parametrize("name", ["flow", "waterfall", "swimmer"])
def test_patient_level_figures_are_withheld_from_a_shared_version(
    res: StudyAnalysis, name: str
) -> None:
    fig = getattr(ManuscriptItems(res, min_cell=5), name)()
    try:
        assert _texts(fig, "withheld")
    finally:
        plt.close(fig)
    fig = getattr(ManuscriptItems(res), name)()
    try:
        assert not _texts(fig, "withheld")
    finally:
        plt.close(fig)


@pytest.mark.parametrize(
    "grouping", [g.column for g in CAPTEM_STUDY.groupings if g.column != "all"]
)
def test_every_level_of_a_grouping_has_a_legend_name(res: StudyAnalysis, grouping: str) -> None:
    # every level the analysis finds in the shipped registry, unknowns included
    levels = {str(v) for v in res.cohort.data[grouping].dropna().unique()}
    names = CAPTEM_STUDY.grouping(grouping).legend_labels
    assert levels and levels <= set(names)
    assert all(names.values())


def test_the_methods_state_non_default_recist_options(res: StudyAnalysis) -> None:
    from dataclasses import replace

    from captemstats.recist.config import RecistConfig

    assert ManuscriptItems(res).recist_options == ""
    spec = replace(CAPTEM_STUDY, recist=RecistConfig(max_nr_ne=1))
    text = ManuscriptItems(analyze(REGISTRY, study=spec)).recist_options
    assert text.startswith(" Protocol options: ") and "at most 1 NE" in text
