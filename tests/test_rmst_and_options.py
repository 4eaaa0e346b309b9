"""Issue 19 (items 3-4) against R: RMST (survival's survmean, survRM2's rmst2 contrasts),
Kaplan-Meier conf.type logit/arcsin/none, survdiff(rho =), chisq.test(correct = TRUE) and the
2x2 fisher.test (conditional MLE odds ratio, CI, alternatives).

The R side is ``tests/reference/make_rmst_reference.R`` -> ``rmst_reference.csv`` (long format:
dataset, analysis, group, term, stat, value). Every R row must be matched by ours under the
shared rule of ``tests/_compare.py`` (1e-8 relative, P values too; NA <-> NaN).
"""

from __future__ import annotations

import functools
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _compare import problem

from captemstats.compare import chi_square_test
from captemstats.compare_2x2 import Alternative, fisher_exact_2x2, yates_chi_square_test, zeroin
from captemstats.errors import AnalysisError
from captemstats.survival import kaplan_meier, logrank_test
from captemstats.survival.restricted_mean import rmst

REF = Path(__file__).parent / "reference"
ALL = "(all)"
Key = tuple[str, str, str]
Values = dict[Key, float]
P_STATS = {"p", "difference_p", "ratio_p", "rmtl_ratio_p"}


@functools.cache
def reference() -> pd.DataFrame:
    frame = pd.read_csv(REF / "rmst_reference.csv", dtype=str, keep_default_na=False)
    frame["value"] = [math.nan if v == "NA" else float(v) for v in frame["value"]]
    return frame


def rows(dataset: str, analysis: str, term: str | None = None) -> pd.DataFrame:
    ref = reference()
    sel = (ref["dataset"] == dataset) & (ref["analysis"] == analysis)
    if term is not None:
        sel &= ref["term"] == term
    return ref[sel]


EDGES: dict[str, dict[str, list[Any]]] = {
    "no_events_group": {
        "time": [2, 4, 6, 8, 3, 5, 7, 9],
        "event": [1, 1, 0, 1, 0, 0, 0, 0],
        "g": ["a"] * 4 + ["b"] * 4,
    },
    "ties": {
        "time": [1, 1, 1, 2, 2, 3, 3, 3, 4, 4, 5, 5],
        "event": [1, 1, 0, 1, 0, 1, 1, 0, 1, 1, 0, 1],
        "g": ["a", "b"] * 6,
    },
    "tau_on_event": {
        "time": [1, 2, 3, 4, 5, 6],
        "event": [1, 1, 1, 0, 1, 1],
        "g": ["a", "b", "a", "b", "a", "b"],
    },
    "curve_to_zero": {
        "time": [1, 2, 3, 4, 6, 8],
        "event": [1, 1, 1, 0, 1, 0],
        "g": ["a", "a", "a", "b", "b", "b"],
    },
}


@functools.cache
def data(name: str) -> pd.DataFrame:
    """The data as make_rmst_reference.R prepares it: time, event (0/1), g, s."""
    if name.startswith("edge_"):
        return pd.DataFrame(EDGES[name.removeprefix("edge_")])
    if name in ("lung", "veteran"):
        raw = pd.read_csv(REF / f"{name}.csv")
        if name == "lung":
            return pd.DataFrame(
                {"time": raw["time"], "event": (raw["status"] == 2).astype(int)}
                | {"g": raw["sex"], "s": raw["ph.ecog"]}
            )
        return pd.DataFrame(
            {"time": raw["time"], "event": raw["status"], "g": raw["trt"], "s": raw["celltype"]}
        )
    # the columns of captem_synthetic.csv the reference was made from (see the R script)
    raw = pd.read_csv(REF / "rmst_captem_input.csv", dtype={"line_group": str})
    end = name.removeprefix("captem_")
    return pd.DataFrame(
        {
            "time": raw[f"{end}_months"],
            "event": raw[f"{end}_event"],
            "g": raw["line_group"],
            "s": raw["center"],
        }
    )


DATASETS = ["lung", "veteran", "captem_pfs", "captem_os"]
ALL_SETS = DATASETS + [f"edge_{k}" for k in EDGES]


def assert_matches(ref_rows: pd.DataFrame, ours: Values, context: str) -> None:
    assert len(ref_rows) > 0, f"{context}: no reference rows"
    problems = []
    for group, term, stat, want in zip(
        ref_rows["group"], ref_rows["term"], ref_rows["stat"], ref_rows["value"], strict=True
    ):
        key = (group, term, stat)
        if key not in ours:
            problems.append(f"{key}: not computed by captemstats")
            continue
        msg = problem(ours[key], want, p_value=stat in P_STATS, what=str(key))
        if msg is not None:
            problems.append(msg)
    assert not problems, f"{context}: {len(problems)} mismatch(es):\n" + "\n".join(problems[:20])


# ---- RMST ------------------------------------------------------------------------------------


def ours_rmst(d: pd.DataFrame, tag: str) -> Values:
    tau = float(tag.removesuffix("x"))
    extend = tag.endswith("x")
    out: Values = {}
    for group in (None, d["g"]):
        r = rmst(d["time"], d["event"], by=group, tau=tau, extend=extend)
        for g, e in r.estimates.items():
            for stat, v in (
                ("rmean", e.rmst),
                ("se", e.se),
                ("lower", e.lower),
                ("upper", e.upper),
                ("rmtl", e.rmtl),
            ):
                out[(g, tag, stat)] = v
        for c in r.contrasts:
            key = f"{c.group} vs {c.reference}"
            prefix = c.measure
            out[(key, tag, prefix)] = c.estimate
            for part in ("se", "lower", "upper"):
                out[(key, tag, f"{prefix}_{part}")] = getattr(c, part)
            out[(key, tag, f"{prefix}_p")] = c.p_value
    return out


def rmst_cases() -> list[tuple[str, str]]:
    ref = reference()
    sub = ref[ref["analysis"] == "rmst"]
    return sorted(set(zip(sub["dataset"], sub["term"], strict=True)))


@pytest.mark.parametrize(("dataset", "tag"), rmst_cases())
def test_rmst_matches_r(dataset: str, tag: str) -> None:
    ours = ours_rmst(data(dataset), tag)
    for analysis in ("rmst", "rmst_contrast"):
        ref_rows = rows(dataset, analysis, tag)
        if analysis == "rmst_contrast" and ref_rows.empty:
            continue
        assert_matches(ref_rows, ours, f"{dataset} {analysis} tau={tag}")


# ---- Kaplan-Meier conf.type -----------------------------------------------------------------


def ours_km(d: pd.DataFrame, ct: str) -> tuple[Values, Values]:
    table: Values = {}
    quant: Values = {}
    for group in (None, d["g"]):
        fit = kaplan_meier(d["time"], d["event"], by=group, conf_type=ct)  # type: ignore[arg-type]
        for g in fit.groups:
            t = fit.table(g)
            for i, row in enumerate(t.itertuples(index=False), start=1):
                for stat, col in (
                    ("time", "time"),
                    ("n.risk", "n_risk"),
                    ("n.event", "n_event"),
                    ("surv", "surv"),
                    ("std.err", "std_err"),
                    ("lower", "lower"),
                    ("upper", "upper"),
                ):
                    table[(g, str(i), stat)] = float(getattr(row, col))
            if ct == "none":
                assert t["lower"].isna().all() and t["upper"].isna().all()
        for p in (0.25, 0.5, 0.75):
            for g, m in fit.quantile(p).items():
                for stat, v in (("quantile", m.estimate), ("lower", m.lower), ("upper", m.upper)):
                    quant[(g, format(p, "g"), stat)] = math.nan if v is None else v
    return table, quant


@pytest.mark.parametrize("ct", ["logit", "arcsin", "none"])
@pytest.mark.parametrize("dataset", ALL_SETS)
def test_km_conf_types_match_r(dataset: str, ct: str) -> None:
    table, quant = ours_km(data(dataset), ct)
    assert_matches(rows(dataset, f"km_table_{ct}"), table, f"{dataset} km table {ct}")
    assert_matches(rows(dataset, f"km_quantile_{ct}"), quant, f"{dataset} km quantiles {ct}")


# ---- log-rank rho ---------------------------------------------------------------------------


def logrank_cases() -> list[tuple[str, str]]:
    ref = reference()
    sub = ref[ref["analysis"].str.startswith("logrank_rho")]
    return sorted(set(zip(sub["dataset"], sub["analysis"], strict=True)))


@pytest.mark.parametrize(("dataset", "analysis"), logrank_cases())
def test_logrank_rho_matches_r(dataset: str, analysis: str) -> None:
    d = data(dataset)
    spec = analysis.removeprefix("logrank_rho")
    stratified = spec.endswith("_strata")
    rho = float(spec.removesuffix("_strata"))
    r = logrank_test(d["time"], d["event"], d["g"], strata=d["s"] if stratified else None, rho=rho)
    ours: Values = {("", "", "chisq"): r.chisq, ("", "", "p"): r.p_value}
    for i, g in enumerate(r.groups):
        ours[(g, "", "observed")] = r.observed[g]
        ours[(g, "", "expected")] = r.expected[g]
        for j, h in enumerate(r.groups):
            ours[(g, h, "var")] = float(r.variance[i, j])
    assert_matches(rows(dataset, analysis), ours, f"{dataset} {analysis}")
    assert f"rho = {rho:g}" in r.method.software_equivalent


def test_logrank_rho0_is_the_default() -> None:
    d = data("lung")
    a = logrank_test(d["time"], d["event"], d["g"])
    b = logrank_test(d["time"], d["event"], d["g"], rho=0)
    assert a.chisq == b.chisq and a.method == b.method
    assert a.method.test == "log-rank test"
    peto = logrank_test(d["time"], d["event"], d["g"], rho=1)
    assert peto.method.test.startswith("Peto-Peto")


# ---- 2x2 tables -----------------------------------------------------------------------------


def table_names() -> list[str]:
    sub = rows("tables", "table")
    return list(dict.fromkeys(sub["group"]))


def table_of(name: str) -> np.ndarray[Any, Any]:
    sub = rows("tables", "table")
    cells = np.asarray(sub.loc[sub["group"] == name, "value"], dtype=float)
    return cells.reshape(2, 2, order="F").astype(np.int64)


def of_table(analysis: str, name: str) -> pd.DataFrame:
    sub = rows("tables", analysis)
    return sub[sub["group"] == name]


@pytest.mark.parametrize("name", table_names())
def test_2x2_tests_match_r(name: str) -> None:
    x = table_of(name)
    ours: Values = {}
    y = yates_chi_square_test(x)
    ours[(name, "", "statistic")] = y.statistic
    ours[(name, "", "p")] = y.p_value
    assert_matches(of_table("chisq_yates", name), ours, name)
    ours = {}
    alternatives: tuple[Alternative, ...] = ("two.sided", "less", "greater")
    for alt in alternatives:
        for lev in (0.95, 0.9):
            f = fisher_exact_2x2(x, alternative=alt, conf_level=lev)
            term = f"{alt}@{lev:g}"
            for stat, v in (
                ("p", f.p_value),
                ("estimate", f.odds_ratio),
                ("lower", f.lower),
                ("upper", f.upper),
            ):
                ours[(name, term, stat)] = v
    for psi, label in ((2.0, "2"), (0.0, "0"), (math.inf, "Inf")):
        for alt in alternatives:
            f = fisher_exact_2x2(x, alternative=alt, null_odds_ratio=psi)
            ours[(name, f"{alt}@or{label}", "p")] = f.p_value
    assert_matches(of_table("fisher", name), ours, name)


# ---- edge cases and contracts ----------------------------------------------------------------

BAD: Any = "probit"  # not a valid option anywhere
ERROR_CASES: list[tuple[str, Any, str]] = [
    ("tau beyond a censored last time", lambda: _lung_rmst(1000.0), "survRM2"),
    ("tau before the first time", lambda: rmst([2, 3], [1, 0], tau=1), "smallest observed"),
    ("tau not positive", lambda: rmst([2, 3], [1, 0], tau=0), "> 0"),
    (
        "unknown reference",
        lambda: rmst([2, 3], [1, 0], by=["a", "b"], tau=2, reference="c"),
        "c",
    ),
    ("conf_type unknown", lambda: kaplan_meier([1, 2], [1, 0], conf_type=BAD), "arcsin"),
    ("rho not finite", lambda: logrank_test([1, 2], [1, 1], ["a", "b"], rho=math.nan), "rho"),
    ("fisher 2x3", lambda: fisher_exact_2x2([[1, 2, 3], [4, 5, 6]]), "2 x 2"),
    (
        "fisher alternative",
        lambda: fisher_exact_2x2([[1, 2], [3, 4]], alternative=BAD),
        "alternative",
    ),
    ("fisher null OR", lambda: fisher_exact_2x2([[1, 2], [3, 4]], null_odds_ratio=-1), "null_odds"),
    ("rmst conf_level", lambda: rmst([2, 3], [1, 0], tau=2, conf_level=1.5), "conf_level"),
    ("rmst no rows", lambda: rmst([2, 3], [1, 0], by=[None, None], tau=2), "no observations"),
    ("fisher conf_level", lambda: fisher_exact_2x2([[1, 2], [3, 4]], conf_level=0), "conf_level"),
    ("zeroin same sign", lambda: zeroin(lambda x: x + 1, 0.0, 1.0), "opposite sign"),
]


def _lung_rmst(tau: float) -> Any:
    d = data("lung")
    return rmst(d["time"], d["event"], by=d["g"], tau=tau)


@pytest.mark.parametrize(("case", "call", "message"), ERROR_CASES, ids=[c[0] for c in ERROR_CASES])
def test_errors_name_the_rule(case: str, call: Any, message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        call()


EDGE_CASES: list[tuple[str, dict[str, Any], dict[str, float]]] = [
    # group b has no events: its curve is 1 throughout, so RMST = tau with SE 0
    ("no events", {"data": "edge_no_events_group", "tau": 9.0, "group": "b"}, {"rmst": 9, "se": 0}),
    # a curve that fell to 0 may be integrated past its last time (survRM2's rule allows it)
    ("curve at 0", {"data": "edge_curve_to_zero", "tau": 8.0, "group": "a"}, {"rmst": 2.0}),
    # tau before a group's first time: the whole rectangle, SE 0
    ("group starts later", {"data": "edge_curve_to_zero", "tau": 3.0, "group": "b"}, {"rmst": 3}),
]


@pytest.mark.parametrize(("case", "spec", "want"), EDGE_CASES, ids=[c[0] for c in EDGE_CASES])
def test_rmst_edge_values(case: str, spec: dict[str, Any], want: dict[str, float]) -> None:
    d = data(spec["data"])
    r = rmst(d["time"], d["event"], by=d["g"], tau=spec["tau"])
    e = r.estimates[spec["group"]]
    for k, v in want.items():
        assert getattr(e, k) == pytest.approx(v, abs=1e-12), (case, k)


def test_rmst_reference_group_flips_contrasts() -> None:
    d = data("veteran")
    a = rmst(d["time"], d["event"], by=d["g"], tau=365).contrasts
    b = rmst(d["time"], d["event"], by=d["g"], tau=365, reference="2").contrasts
    assert b[0].estimate == pytest.approx(-a[0].estimate, rel=1e-12)
    assert b[1].estimate == pytest.approx(1 / a[1].estimate, rel=1e-12)
    assert b[0].p_value == pytest.approx(a[0].p_value, rel=1e-12)


def test_rmst_frames_and_methods() -> None:
    d = data("captem_pfs")
    r = rmst(d["time"], d["event"], by=d["g"], tau=12)
    f = r.to_frame()
    assert list(f["group"]) == ["1", "2", "3+"] and (f["rmst"] + f["rmtl"] == 12).all()
    c = r.contrasts_frame()
    assert len(c) == 6 and set(c["measure"]) == {"difference", "ratio", "rmtl_ratio"}
    assert "rmean = 12" in r.method.software_equivalent
    assert "survRM2::rmst2" in r.method.software_equivalent


def test_yates_only_for_2x2() -> None:
    t = [[10, 4, 6], [3, 9, 8]]
    assert yates_chi_square_test(t).statistic == chi_square_test(t).statistic
    y = yates_chi_square_test([[12, 5], [7, 14]])
    assert y.method.continuity_correction is True and y.test == "chisq_yates"
    assert y.statistic < chi_square_test([[12, 5], [7, 14]]).statistic


ZEROIN_CASES: list[tuple[str, Any, float, float, float]] = [
    ("root at the lower end", lambda x: x, 0.0, 1.0, 0.0),
    ("root at the upper end", lambda x: x - 1, 0.0, 1.0, 1.0),
    ("interior root", lambda x: x**3 - 0.5, 0.0, 1.0, 0.5 ** (1 / 3)),
]


@pytest.mark.parametrize(
    ("case", "f", "lo", "hi", "root"), ZEROIN_CASES, ids=[c[0] for c in ZEROIN_CASES]
)
def test_zeroin(case: str, f: Any, lo: float, hi: float, root: float) -> None:
    # R's uniroot tolerance (eps^0.25 ~ 1.2e-4) bounds the error, not machine precision
    assert zeroin(f, lo, hi) == pytest.approx(root, abs=2e-4), case


def test_fisher_frame() -> None:
    f = fisher_exact_2x2([[3, 1], [1, 3]], alternative="greater", conf_level=0.9)
    frame = f.to_frame()
    assert frame.loc[0, "alternative"] == "greater" and frame.loc[0, "upper"] == math.inf
    assert (
        f.method.software_equivalent == 'fisher.test(x, alternative = "greater", conf.level = 0.9)'
    )
