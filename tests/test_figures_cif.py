"""The cumulative-incidence figure (issue 19, item 2): every curve, count and P value drawn
is the result's own, laid out as the Kaplan–Meier figure."""

from __future__ import annotations

from functools import cache

import matplotlib
import numpy as np
import pandas as pd
import pytest

from captemstats import read_registry
from captemstats.cohort import derive_cohort
from captemstats.figures import cif_figure, save_figure
from captemstats.figures.cumulative_incidence import gray_text
from captemstats.survival import CumulativeIncidenceResult, cumulative_incidence, gray_test

matplotlib.use("Agg")
CAUSES = {"1": "Progression", "2": "Death without progression"}


@cache
def competing() -> tuple[pd.DataFrame, np.ndarray]:
    d = derive_cohort(read_registry("data/registry")).data
    died_first = d["os_event"].astype(bool) & (d["os_months"] <= d["pfs_months"])
    status = np.where(d["pfs_event"] == 1, np.where(died_first, 2, 1), 0)
    return d, status


def fitted(group: bool = True) -> CumulativeIncidenceResult:
    d, status = competing()
    return cumulative_incidence(d["pfs_months"], status, by=d["line_group"] if group else None)


def test_every_curve_is_the_estimate_of_its_group_and_cause() -> None:
    cif = fitted()
    fig = cif_figure(cif, cause_labels=CAUSES)
    ax = next(a for a in fig.axes if a.get_label() == "cif")
    lines = [ln for ln in ax.get_lines() if ln.get_gid() == "cif-curve"]
    assert len(lines) == len(cif.groups) * len(cif.causes)
    frame = cif.to_frame()
    for line in lines:
        group, cause_name = str(line.get_label()).split(": ")
        cause = next(k for k, v in CAUSES.items() if v == cause_name)
        part = frame[(frame["group"] == group) & (frame["cause"] == cause)]
        np.testing.assert_array_equal(line.get_ydata()[1:], part["estimate"].to_numpy())
        assert line.get_ydata()[0] == 0.0
        assert line.get_linestyle() == ("-" if cause == "1" else "--")


def test_the_risk_table_prints_the_results_numbers_at_risk() -> None:
    cif = fitted()
    breaks = [0.0, 12.0, 24.0, 48.0]
    fig = cif_figure(cif, breaks=breaks)
    risk = next(a for a in fig.axes if a.get_label() == "risk_table")
    at = cif.at(breaks)
    for g in cif.groups:
        printed = [int(t.get_text()) for t in risk.texts if t.get_gid() == f"risk:{g}"]
        want = at[(at["group"] == g) & (at["cause"] == cif.causes[0])]["n_risk"].tolist()
        assert printed == want


def test_grays_tests_are_printed_with_the_cause_names() -> None:
    d, status = competing()
    tests = [gray_test(d["pfs_months"], status, d["line_group"], cause=c) for c in (1, 2)]
    fig = cif_figure(fitted(), gray=tests, cause_labels=CAUSES)
    ax = next(a for a in fig.axes if a.get_label() == "cif")
    note = next(t for t in ax.texts if t.get_gid() == "gray-p")
    assert note.get_text().splitlines() == [
        gray_text(tests[0], "Progression"),
        gray_text(tests[1], "Death without progression"),
    ]
    assert note.get_text().startswith("Gray's test (Progression) P ")


@pytest.mark.parametrize(("p", "text"), [(0.0508, "P = .05"), (0.0004, "P < .001")])
def test_gray_text_formats_p_as_the_km_figure(p: float, text: str) -> None:
    d, status = competing()
    t = gray_test(d["pfs_months"], status, d["line_group"], cause=1)
    object.__setattr__(t, "p_value", p)
    assert gray_text(t, "Progression") == f"Gray's test (Progression) {text}"


def test_one_group_keys_the_causes_only(tmp_path: object) -> None:
    fig = cif_figure(fitted(group=False), cause_labels=CAUSES)
    ax = next(a for a in fig.axes if a.get_label() == "cif")
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == list(CAUSES.values())
    save_figure(fig, f"{tmp_path}/cif")


def test_an_unknown_cause_is_refused() -> None:
    with pytest.raises(ValueError, match="causes"):
        cif_figure(fitted(), causes=["9"])
