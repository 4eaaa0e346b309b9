"""The study analysis of the shipped synthetic registry against R (issue 4).

``analyze("data/registry")`` is compared with ``tests/reference/registry_reference.csv``, made
by ``tests/reference/make_registry_reference.R`` from ``captem_synthetic.csv`` (the analysis
cohort exported by ``tests/reference/export_synthetic.py``, without identifiers or dates):
Kaplan–Meier medians with 95% CIs by line, grade, Ki-67 group and site (the "unknown" grade
and Ki-67 levels left out on both sides), log-rank tests, the Table 3 Cox models (Efron;
multivariable, cluster-robust by centre and univariable), cox.zph, the reverse Kaplan–Meier
follow-up and the Table 1 tests by line (gtsummary's rule). Each R analysis is one test and
must match key for key in both directions, by the shared rule of ``tests/_compare.py`` (1e-8
relative, P values too, on the log scale below 1e-300).

The same CSV also feeds ``make_reference.R`` (rows ``captem_synthetic`` and
``captem_synthetic_os`` of ``datasets.csv``, checked by ``test_survival.py``); the first test
here makes sure it is the current export of the registry.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest
from _compare import problem

from captemstats.analysis import (
    ENDPOINTS,
    GROUPING_EXCLUDED_LEVELS,
    GROUPINGS,
    PRIOR_TREATMENTS,
    TABLE1_VARIABLES,
    analyze,
    table3_covariates,
)

if TYPE_CHECKING:
    from captemstats.analysis import StudyAnalysis
    from captemstats.survival import CoxResult

ROOT = Path(__file__).resolve().parents[1]
REF = ROOT / "tests" / "reference"
P_STATS = {"p"}
ALL = "(all)"

Key = tuple[str, str, str]  # (group, term, stat)
Values = dict[Key, float]


@functools.cache
def exporter() -> ModuleType:
    spec = importlib.util.spec_from_file_location("export_synthetic", REF / "export_synthetic.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def study() -> StudyAnalysis:
    return analyze(ROOT / "data" / "registry")


@functools.cache
def reference() -> pd.DataFrame:
    frame = pd.read_csv(REF / "registry_reference.csv", dtype=str, keep_default_na=False)
    frame["value"] = [math.nan if v == "NA" else float(v) for v in frame["value"]]
    return frame


def r_values(analysis: str) -> Values:
    ref = reference()
    rows = ref[ref["analysis"] == analysis]
    out: Values = {}
    for g, t, s, v in zip(rows["group"], rows["term"], rows["stat"], rows["value"], strict=True):
        assert (g, t, s) not in out, f"{analysis}: duplicate reference row {(g, t, s)}"
        out[(g, t, s)] = float(v)
    return out


def opt(x: float | None) -> float:
    return math.nan if x is None else float(x)


def assert_same(want: Values, got: Values, context: str) -> None:
    assert want, f"{context}: no reference rows"
    missing = sorted(set(want) - set(got))
    extra = sorted(set(got) - set(want))
    assert not missing, f"{context}: not computed by the analysis: {missing[:10]}"
    assert not extra, f"{context}: computed by the analysis but not by R: {extra[:10]}"
    found = (problem(got[k], w, p_value=k[2] in P_STATS, what=str(k)) for k, w in want.items())
    bad = [msg for msg in found if msg is not None]
    assert not bad, f"{context}: {len(bad)} mismatch(es):\n" + "\n".join(bad[:20])


# ---- the analysis in the reference's long format --------------------------------------------

TERMS = list(table3_covariates())  # published names, in the models' term order


def km_values(res: StudyAnalysis, endpoint: str) -> Values:
    out: Values = {}
    for grouping in GROUPINGS:
        km = res.km(endpoint, grouping).km
        term = "all" if grouping == "all" else grouping
        for g in km.groups:
            m = km.median[g]
            out[(g, term, "n")] = float(km.n[g])
            out[(g, term, "events")] = float(km.n_events[g])
            out[(g, term, "median")] = opt(m.estimate)
            out[(g, term, "lower")] = opt(m.lower)
            out[(g, term, "upper")] = opt(m.upper)
    return out


def logrank_values(res: StudyAnalysis, endpoint: str) -> Values:
    out: Values = {}
    for grouping in GROUPINGS:
        test = res.km(endpoint, grouping).logrank
        if test is not None:
            out[(grouping, "", "chisq")] = test.chisq
            out[(grouping, "", "df")] = float(test.df)
            out[(grouping, "", "p")] = test.p_value
    return out


def _cox_terms(fit: CoxResult, names: list[str]) -> Values:
    labels = [c.label for c in table3_covariates().values()]
    assert len(fit.terms) == len(names), (fit.terms, names)
    out: Values = {}
    per_term: dict[str, Any] = {
        "coef": fit.coef,
        "hr": fit.hr,
        "se": fit.se,
        "z": fit.z,
        "p": fit.p_value,
        "lower": fit.lower,
        "upper": fit.upper,
    }
    if fit.robust_se is not None:
        per_term["robust_se"] = fit.robust_se
    for stat, arr in per_term.items():
        for label, name, v in zip(fit.terms, names, arr, strict=True):
            assert labels[TERMS.index(name)] == label, (name, label)
            out[("", name, stat)] = float(v)
    return out


def cox_values(res: StudyAnalysis, endpoint: str, model: str) -> Values:
    out: Values = {}
    if model == "uni":
        fits = res.cox_univariable[endpoint].results
        assert len(fits) == len(TERMS)
        for name, fit in zip(TERMS, fits, strict=True):
            out |= _cox_terms(fit, [name])
            out[("", name, "n")] = float(fit.n)
            out[("", name, "n_events")] = float(fit.n_events)
        return out
    fit = res.cox[endpoint] if model == "" else res.cox_cluster[endpoint]
    out |= _cox_terms(fit, TERMS)
    out[("", "", "n")] = float(fit.n)
    out[("", "", "n_events")] = float(fit.n_events)
    return out


def zph_values(res: StudyAnalysis, endpoint: str) -> Values:
    names = {c.label: name for name, c in table3_covariates().items()} | {"GLOBAL": "GLOBAL"}
    out: Values = {}
    for _, row in res.zph[endpoint].to_frame().iterrows():
        term = names[row["term"]]
        out[("", term, "chisq")] = float(row["chisq"])
        out[("", term, "df")] = float(row["df"])
        out[("", term, "p")] = float(row["p_value"])
    return out


def followup_values(res: StudyAnalysis) -> Values:
    est = res.followup["reverse_km"].overall
    return {
        (ALL, "", "median"): opt(est.median),
        (ALL, "", "lower"): opt(est.lower),
        (ALL, "", "upper"): opt(est.upper),
    }


def table1_values(res: StudyAnalysis) -> Values:
    out: Values = {}
    for variable, cmp in res.characteristics.comparisons.items():
        if cmp is None:
            continue
        test = str(cmp.test)
        out[(variable, test, "p")] = float(cmp.p_value)
        if test in ("chisq", "kruskal"):
            out[(variable, test, "statistic")] = float(cmp.statistic)
            out[(variable, test, "df")] = float(cmp.df)
        if test in ("chisq", "fisher"):
            out[(variable, test, "expected_min")] = float(cmp.min_expected)
    return out


def ours(analysis: str) -> Values:
    res = study()
    if analysis == "table1":
        return table1_values(res)
    if analysis == "followup_reverse_km":
        return followup_values(res)
    m = re.fullmatch(r"(km|logrank|zph|cox|cox_cluster|cox_uni)_(pfs|os)", analysis)
    assert m is not None, f"no captemstats counterpart for R analysis {analysis!r}"
    kind, endpoint = m.groups()
    handlers: dict[str, Callable[[], Values]] = {
        "km": lambda: km_values(res, endpoint),
        "logrank": lambda: logrank_values(res, endpoint),
        "zph": lambda: zph_values(res, endpoint),
        "cox": lambda: cox_values(res, endpoint, ""),
        "cox_cluster": lambda: cox_values(res, endpoint, "cluster"),
        "cox_uni": lambda: cox_values(res, endpoint, "uni"),
    }
    return handlers[kind]()


ANALYSES = list(dict.fromkeys(reference()["analysis"]))


# ---- tests ----------------------------------------------------------------------------------


def test_committed_export_is_current() -> None:
    """captem_synthetic.csv is the export of today's registry and cohort derivation; if this
    fails, rerun export_synthetic.py, make_reference.R and make_registry_reference.R."""
    mod = exporter()
    fresh = mod.csv_text(mod.export_frame(study().cohort.data))
    committed = (REF / "captem_synthetic.csv").read_text(encoding="utf-8")
    assert committed == fresh, (
        "tests/reference/captem_synthetic.csv is stale: rerun "
        "tests/reference/export_synthetic.py and the R scripts"
    )


def test_export_has_no_identifier_or_date() -> None:
    mod = exporter()
    frame = mod.export_frame(study().cohort.data)
    assert list(frame.columns) == list(mod.COLUMNS)
    assert not {"patient_id"} & set(frame.columns)
    assert not any(c.endswith("_date") for c in frame.columns)
    text = mod.csv_text(frame)
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text), "a date in the export"
    assert not re.search(r"\bP\d{4}\b", text), "a patient identifier in the export"
    centers = list(dict.fromkeys(frame["center"]))
    assert centers == [f"C{i:02d}" for i in range(1, len(centers) + 1)]
    assert len(frame) == study().n


def test_reference_covers_the_analysis() -> None:
    """R covers every endpoint, grouping, model and Table 1 test the analysis reports."""
    kinds = {"km", "logrank", "cox", "cox_cluster", "cox_uni", "zph"}
    expected = {f"{k}_{e}" for k in kinds for e in ENDPOINTS} | {"table1", "followup_reverse_km"}
    assert set(ANALYSES) == expected
    ref = reference()
    km = ref[ref["analysis"] == "km_pfs"]
    assert set(km["term"]) == {"all"} | (set(GROUPINGS) - {"all"})
    for grouping, levels in GROUPING_EXCLUDED_LEVELS.items():
        assert not set(km.loc[km["term"] == grouping, "group"]) & set(levels)
    tested = set(TABLE1_VARIABLES) - set(PRIOR_TREATMENTS)
    assert set(ref.loc[ref["analysis"] == "table1", "group"]) == tested


@pytest.mark.parametrize("analysis", ANALYSES)
def test_analysis_matches_r(analysis: str) -> None:
    assert_same(r_values(analysis), ours(analysis), analysis)


def test_paper_results_are_among_the_checked_values() -> None:
    """The headline numbers are checked above (not vacuous): median PFS by line, the Table 3
    PFS hazard ratio of first-line therapy and the grade test of Table 1."""
    r = r_values("km_pfs")
    assert {("1", "line_group", "median"), ("3+", "line_group", "upper")} <= set(r)
    assert ("", "first_line", "hr") in r_values("cox_pfs")
    assert ("", "first_line", "robust_se") in r_values("cox_cluster_os")
    assert ("", "GLOBAL", "p") in r_values("zph_os")
    assert any(k[0] == "grade" and k[2] == "p" for k in r_values("table1"))
