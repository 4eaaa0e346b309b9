"""The contract of Kaplan–Meier, the log-rank tests and the Cox (Efron/Breslow) engine beyond
the R cross-checks of ``tests/test_survival.py``: written against the survivors of mutation
runs over ``captemstats/survival/km.py``, ``logrank.py`` and ``_efron.py`` (issue 21).

Expected values come from (a) hand computation on the tiny data sets written out below, (b)
R's published algorithms applied by hand (``quantile.survfit``'s ``findq``, the Greenwood and
infinitesimal-jackknife variances, ``survdiff``), or (c) the committed R references of
``tests/reference/`` (``cox_weights_reference.csv``, ``rmst_reference.csv``,
``trend_rho_reference.csv``, ``cox_counting_reference.csv``).

Worked example D (KM step by step), time / event:
``1/1, 2/1, 2/1, 2/0, 3/0, 4/1, 4/0, 5/1``; per distinct time n at risk, d deaths, c censored:
t=1: 8, 1, 0 -> S = 7/8; t=2: 7, 2, 1 -> S = 5/8; t=3: 4, 0, 1 -> S = 5/8;
t=4: 3, 1, 1 -> S = 5/12; t=5: 1, 1, 0 -> S = 0. Greenwood's variance of the cumulative hazard
adds d / (n (n - d)): 1/56, 2/35, 0, 1/6, then infinity (everyone at risk died).
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _compare import LongReference, assert_close, check_rows, problem
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, norm

from captemstats.errors import AnalysisError
from captemstats.survival import (
    KaplanMeierResult,
    MedianEstimate,
    cox_ph,
    kaplan_meier,
    logrank_test,
    logrank_trend_test,
)

REF = Path(__file__).parent / "reference"
ALL = "(all)"
TOL = 2.0**-26  # R's sqrt(.Machine$double.eps), exactly

D_TIME = [1, 2, 2, 2, 3, 4, 4, 5]
D_EVENT = [1, 1, 1, 0, 0, 1, 0, 1]
D_ROWS = [  # time, n at risk, deaths, censored
    (1, 8, 1, 0),
    (2, 7, 2, 1),
    (3, 4, 0, 1),
    (4, 3, 1, 1),
    (5, 1, 1, 0),
]


def d_by_hand() -> tuple[list[float], list[float]]:
    """S and Greenwood's var(log S) of D, step by step in exact fractions (inf at the end)."""
    s, v = Fraction(1), Fraction(0)
    surv, var = [], []
    for _, n, d, _ in D_ROWS:
        s *= Fraction(n - d, n)
        surv.append(float(s))
        if d == n:
            var.append(math.inf)
        else:
            v += Fraction(d, n * (n - d))
            var.append(float(v))
    return surv, var


def limits_by_formula(s: float, se: float, conf_type: str, level: float) -> tuple[float, float]:
    """R's ``survfit_confint`` for one point (NaN where R gives NA)."""
    z = float(norm.ppf(1 - (1 - level) / 2))
    if conf_type == "plain":
        if s == 0:
            return math.nan, math.nan
        return max(s - z * se * s, 0.0), min(s + z * se * s, 1.0)
    if conf_type == "log":
        if s == 0:
            return math.nan, math.nan
        return math.exp(math.log(s) - z * se), min(math.exp(math.log(s) + z * se), 1.0)
    assert conf_type == "log-log"
    if s in (0.0, 1.0):
        return math.nan, math.nan
    k = z * se / math.log(s)
    ll = math.log(-math.log(s))
    return math.exp(-math.exp(ll - k)), math.exp(-math.exp(ll + k))


# ---- the product-limit table ------------------------------------------------------------------


@pytest.mark.parametrize("conf_type", ["log", "plain", "log-log"])
@pytest.mark.parametrize("level", [0.95, 0.9])
def test_worked_example_table(conf_type: str, level: float) -> None:
    """Every column of D's table, by hand; S = 0 at the end: std_err and limits NA, and no
    numpy warning on the way (0 x inf is R's NA, silently)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        km = kaplan_meier(D_TIME, D_EVENT, conf_type=conf_type, conf_level=level)  # type: ignore[arg-type]
        tab = km.table()
    surv, var = d_by_hand()
    assert tab["time"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert tab["n_risk"].tolist() == [r[1] for r in D_ROWS]
    assert tab["n_event"].tolist() == [r[2] for r in D_ROWS]
    assert tab["n_censor"].tolist() == [r[3] for r in D_ROWS]
    for col in ("n_risk", "n_event", "n_censor"):
        assert tab[col].dtype == np.int64, col  # counts of rows are integers
    assert tab["time"].dtype == np.float64
    for i, (s, v) in enumerate(zip(surv, var, strict=True)):
        assert_close(tab["surv"].iloc[i], s, what=f"surv {i}")
        se = math.sqrt(v)
        want_se = math.nan if s == 0 else s * se
        assert_close(tab["std_err"].iloc[i], want_se, what=f"std_err {i}")
        lo, hi = limits_by_formula(s, se, conf_type, level)
        assert_close(tab["lower"].iloc[i], lo, what=f"lower {i}")
        assert_close(tab["upper"].iloc[i], hi, what=f"upper {i}")
    assert km.conf_type == conf_type and km.conf_level == level
    assert km.method.ci_transform == conf_type and km.method.conf_level == level
    assert km.method.software_equivalent == f"R survival::survfit(conf.type='{conf_type}')"


def test_result_records_the_method() -> None:
    """The method record printed in the manuscript's Methods."""
    km = kaplan_meier(D_TIME, D_EVENT)
    assert km.method.test == "Kaplan–Meier product-limit estimator"
    assert km.method.ci_method == "Greenwood variance of the cumulative hazard"
    assert km.method.notes == (
        "median and its CI by quantile.survfit (midpoint rule when S(t) = 0.5 over an interval)",
        "numbers at risk at t count subjects with time >= t",
    )
    assert not km.weighted and not km.robust
    assert km.n_excluded == 0 and km.n == {ALL: 8} and km.n_events == {ALL: 5}


def test_repr_and_frames_of_two_groups() -> None:
    """Group a = D's first four rows, group b = the last four; to_frame stacks the two tables
    with a fresh index and a leading group column."""
    by = ["a"] * 4 + ["b"] * 4
    km = kaplan_meier(D_TIME, D_EVENT, by=by)
    assert repr(km) == "<KaplanMeierResult: 2 groups, n = 8, 5 events; .summary(), .to_frame()>"
    one = kaplan_meier([1.0], [0])
    assert repr(one) == "<KaplanMeierResult: 1 group, n = 1, 0 events; .summary(), .to_frame()>"
    frame = km.to_frame()
    assert list(frame.columns) == [
        "group",
        "time",
        "n_risk",
        "n_event",
        "n_censor",
        "surv",
        "std_err",
        "lower",
        "upper",
    ]
    assert list(frame.index) == list(range(len(frame)))
    # a: 1/1, 2/1, 2/1, 2/0 -> t=1: 4 at risk, S = 3/4; t=2: 3 at risk, 2 deaths, S = 1/4
    # b: 3/0, 4/1, 4/0, 5/1 -> t=3: censored; t=4: 3 at risk, S = 2/3; t=5: S = 0
    assert frame["group"].tolist() == ["a", "a", "b", "b", "b"]
    assert frame["time"].tolist() == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert frame["n_risk"].tolist() == [4, 3, 4, 3, 1]
    assert frame["n_censor"].tolist() == [0, 1, 1, 1, 0]
    np.testing.assert_allclose(frame["surv"], [0.75, 0.25, 1.0, 2 / 3, 0.0], rtol=1e-12)
    assert km.table("b")["surv"].tolist() == frame["surv"].iloc[2:].tolist()


# ---- quantiles: R's quantile.survfit / findq ----------------------------------------------------


@pytest.mark.parametrize(
    ("p", "want"),
    [
        (0.0, 0.0),  # quant[p == 0] <- x[1], the start (0)
        (TOL / 2, None),  # below approx()'s range (y + tol starts at tol): NA
        (TOL, 0.5),  # S = 1 "equals 1 - p within tol" on [0, 1): the midpoint
        (0.125, 1.5),  # 1 - S = 1/8 exactly over [1, 2): midpoint 1.5
        (0.25, 2.0),
        (0.375, 3.0),  # S = 5/8 exactly over [2, 4): midpoint 3 (the censoring at 3 is a dup)
        (0.375 - TOL, 2.0),  # just outside the tolerance: the plain first crossing
        (0.5, 4.0),
        (1 - TOL, 5.0),  # within tol of the end: the last step
        (1.0, 5.0),  # S reaches 0 at 5, the last time: midpoint of 5 and 5
    ],
)
def test_quantile_rules_of_findq(p: float, want: float | None) -> None:
    m = kaplan_meier(D_TIME, D_EVENT).quantile(p)[ALL]
    assert m.estimate == want
    assert m.reached is (want is not None)
    assert (m.quantile, m.conf_level, m.conf_type) == (p, 0.95, "log")


@pytest.mark.parametrize(
    ("p", "want"),
    [
        (0.5, 3.0),  # S = 0.5 from t = 2 to the end (last time 4): (2 + 4) / 2
        (0.5 - TOL, 2.0),  # |p - y_last| = tol exactly is not "within" tol (strict <)
        (0.5 + TOL / 2, None),  # above the curve's maximum 1 - S: not reached (R's NA)
    ],
)
def test_quantile_at_a_flat_end_of_the_curve(p: float, want: float | None) -> None:
    """S = 3/4, 1/2, 1/2, 1/2 (1/1, 2/1, 3/0, 4/0): a flat at the end uses the last time."""
    m = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0]).quantile(p)[ALL]
    assert m.estimate == want


def test_median_limits_read_off_the_confidence_curves() -> None:
    """D with log limits: the lower curve first falls to 0.5 at t = 2 (0.3654); the upper one
    never leaves 1 before S = 0, where it is NA: upper limit not reached."""
    km = kaplan_meier(D_TIME, D_EVENT)
    m = km.median[ALL]
    assert (m.estimate, m.lower, m.upper) == (4.0, 2.0, None)
    assert m.reached and m.lower_reached and not m.upper_reached
    # p just below the largest non-missing 1 - lower (1 - 0.15898 at t = 4), the curve then
    # missing at t = 5: the crossing from below exists, the one from above (y - tol) does not,
    # and the end of the curve is NA, so R has no limit
    surv, var = d_by_hand()
    lo4, _ = limits_by_formula(surv[3], math.sqrt(var[3]), "log", 0.95)
    q = km.quantile(1 - lo4 - TOL / 2)[ALL]
    assert q.lower is None and q.estimate == 5.0


def test_a_flat_end_of_a_confidence_curve_after_a_missing_start() -> None:
    """1/0, 2/1, 3/0 with log-log limits: S = 1, 1/2, 1/2; the limits are NA where S = 1 and
    then flat to the end, so the lower-limit quantile at p = 1 - lower(2) is the midpoint of 2
    and the last time 3 (findq's end-of-curve rule after the NA is skipped)."""
    lo, _ = limits_by_formula(0.5, math.sqrt(0.5), "log-log", 0.95)
    km = kaplan_meier([1, 2, 3], [0, 1, 0], conf_type="log-log")
    assert_close(km.table()["lower"].iloc[1], lo)
    assert km.quantile(1 - lo)[ALL].lower == 2.5


@pytest.mark.parametrize("p", [-0.1, 1.5, 2.0, math.nan])
def test_quantile_probability_outside_the_unit_interval_is_refused(p: float) -> None:
    km = kaplan_meier(D_TIME, D_EVENT)
    with pytest.raises(AnalysisError, match=r"^quantile probability .* is outside \[0, 1\]$"):
        km.quantile(p)


def test_medians_frame_writes_not_reached_as_nan() -> None:
    """Group a (D's first four rows): S = 3/4, 1/4 -> median 2; group b (the last four): S =
    1, 2/3, 0 -> 5; group c, all censored: not reached, every limit missing."""
    km = kaplan_meier([*D_TIME, 7, 8], [*D_EVENT, 0, 0], by=["a"] * 4 + ["b"] * 4 + ["c"] * 2)
    frame = km.medians_frame()
    assert list(frame.columns) == [
        "group",
        "n",
        "n_events",
        "median",
        "lower",
        "upper",
        "reached",
        "upper_reached",
    ]
    assert frame["group"].tolist() == ["a", "b", "c"]
    assert frame["n"].tolist() == [4, 4, 2] and frame["n_events"].tolist() == [3, 2, 0]
    assert frame["median"].iloc[0] == 2.0 and frame["median"].iloc[1] == 5.0
    assert math.isnan(frame["median"].iloc[2])
    assert frame["reached"].tolist() == [True, True, False]
    med = km.median
    for i, g in enumerate(km.groups):
        for col, got in (("lower", med[g].lower), ("upper", med[g].upper)):
            value = frame[col].iloc[i]
            assert (math.isnan(value) and got is None) or value == got, (g, col)
    assert med["a"].lower is not None  # a finite limit is copied, not blanked
    assert frame["upper_reached"].tolist() == [m.upper is not None for m in med.values()]
    assert km.summary().equals(frame)


def test_median_estimate_defaults() -> None:
    m = MedianEstimate(estimate=3.0, lower=None, upper=4.0, reached=True)
    assert (m.quantile, m.conf_level, m.conf_type) == (0.5, 0.95, "log")
    assert m.upper_reached and not m.lower_reached


# ---- milestones and numbers at risk -------------------------------------------------------------


def test_milestones_of_the_worked_example() -> None:
    """summary(fit, times=): S at the last time <= t; before the first time S = 1 with no
    error and no events; n_risk counts time >= t; n_event counts (previous t, t]; at the last
    time the row is estimable, after it missing."""
    surv, var = d_by_hand()
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        km = kaplan_meier(D_TIME, D_EVENT)
        ms = km.survival_at([4.5, 0.5, 1, 2.5, 5, 6])  # sorted on the way in
    assert ms["time"].tolist() == [0.5, 1.0, 2.5, 4.5, 5.0, 6.0]
    assert ms["time"].dtype == np.float64
    assert ms["n_risk"].tolist() == [8, 8, 4, 1, 1, 0]
    assert ms["n_event"].tolist() == [0, 1, 2, 1, 1, 0]
    assert ms["n_risk"].dtype == np.int64 and ms["n_event"].dtype == np.int64
    want_s = [1.0, surv[0], surv[2], surv[3], 0.0, math.nan]
    want_se = [0.0, surv[0] * math.sqrt(var[0]), surv[2] * math.sqrt(var[2])]
    want_se += [surv[3] * math.sqrt(var[3]), math.nan, math.nan]
    for i in range(6):
        assert problem(ms["surv"].iloc[i], want_s[i]) is None, i
        assert problem(ms["std_err"].iloc[i], want_se[i]) is None, i
    assert ms["lower"].iloc[0] == 1.0 and ms["upper"].iloc[0] == 1.0
    lo, hi = limits_by_formula(surv[3], math.sqrt(var[3]), "log", 0.95)
    assert_close(ms["lower"].iloc[3], lo)
    assert_close(ms["upper"].iloc[3], hi)
    assert ms[["lower", "upper"]].iloc[4:].isna().all().all()
    assert ms["group"].tolist() == [ALL] * 6


def test_milestones_between_the_last_two_times_and_extended() -> None:
    """t = 4.5 lies before the last time 5: estimable; t = 7 after it: NaN, or S carried
    forward with extend=True."""
    km = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0])  # S = 3/4, 1/2, 1/2, 1/2
    ms = km.survival_at([3.5, 7])
    assert ms["surv"].iloc[0] == 0.5 and math.isnan(ms["surv"].iloc[1])
    assert ms["surv"].iloc[1:].isna().all() and ms["std_err"].iloc[1:].isna().all()
    ext = km.survival_at([3.5, 7], extend=True)
    assert ext["surv"].tolist() == [0.5, 0.5]
    assert ext["std_err"].iloc[1] == ext["std_err"].iloc[0] > 0
    assert ext["lower"].iloc[1] == ext["lower"].iloc[0]
    assert ext["upper"].iloc[1] == ext["upper"].iloc[0]


def test_milestones_and_at_risk_of_two_groups_are_stacked() -> None:
    km = kaplan_meier(D_TIME, D_EVENT, by=["a"] * 4 + ["b"] * 4)
    ms = km.survival_at([0.0, 2.0])
    assert list(ms.index) == [0, 1, 2, 3]
    assert ms["group"].tolist() == ["a", "a", "b", "b"]
    assert ms["n_risk"].tolist() == [4, 3, 4, 4]
    assert ms["surv"].tolist() == [1.0, 0.25, 1.0, 1.0]
    ar = km.at_risk([0, 2, 3, 9])
    assert list(ar.columns) == ["group", "time", "n_risk"]
    assert list(ar.index) == list(range(8))
    assert ar["group"].tolist() == ["a"] * 4 + ["b"] * 4
    assert ar["time"].tolist() == [0.0, 2.0, 3.0, 9.0] * 2
    assert ar["time"].dtype == np.float64
    assert ar["n_risk"].tolist() == [4, 3, 0, 0, 4, 4, 4, 0]
    assert ar["n_risk"].dtype == np.int64


# ---- input rules ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"conf_type": "logg"}, "^conf_type 'logg' is not one of log, plain, log-log, logit, "),
        ({"conf_level": 0.0}, r"^conf_level 0.0 is not in \(0, 1\)$"),
        ({"conf_level": 1.0}, r"^conf_level 1.0 is not in \(0, 1\)$"),
        ({"conf_level": 1.5}, r"^conf_level 1.5 is not in \(0, 1\)$"),
        ({"by": [None] * 8}, "^kaplan_meier: no observations$"),
    ],
)
def test_refused_arguments(kwargs: dict[str, Any], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        kaplan_meier(D_TIME, D_EVENT, **kwargs)


def test_conf_type_message_lists_every_type() -> None:
    with pytest.raises(AnalysisError) as info:
        kaplan_meier(D_TIME, D_EVENT, conf_type="bad")  # type: ignore[arg-type]
    assert str(info.value).endswith("plain, log-log, logit, arcsin, none")


def test_columns_of_data_by_name() -> None:
    d = pd.DataFrame({"t": D_TIME, "e": D_EVENT, "g": ["a", "b"] * 4, "w": [2.0] * 8})
    by_name = kaplan_meier("t", "e", by="g", weights="w", data=d)
    by_array = kaplan_meier(d["t"], d["e"], by=d["g"], weights=d["w"])
    assert by_name.groups == ["a", "b"]
    assert by_name.to_frame().equals(by_array.to_frame())
    assert by_name.weighted and not by_name.robust


def test_rows_with_a_missing_group_are_excluded_and_counted() -> None:
    km = kaplan_meier([*D_TIME, 9.0], [*D_EVENT, 1], by=["x"] * 8 + [None])
    assert km.n_excluded == 1 and km.n == {"x": 8}
    assert km.table("x").equals(kaplan_meier(D_TIME, D_EVENT).table())


# ---- case weights -----------------------------------------------------------------------------

W_TIME = [1.0, 2.0, 3.0, 4.0]
W_EVENT = [1, 1, 0, 1]
W_WEIGHT = [0.5, 1.5, 2.0, 1.0]


def ij_se_log_by_definition(
    time: list[float], event: list[int], w: list[float]
) -> tuple[list[float], list[float]]:
    """The infinitesimal jackknife of log S(t) from its definition: with weighted counts n_s,
    d_s, d/dw_i log(1 - d_s/n_s) = (d_s Y_i(s) - n_s dN_i(s)) / (n_s (n_s - d_s)), summed over
    s <= t; var = sum_i (w_i A_i(t))^2. Returns the distinct times and se(log S) (None where
    S = 0, whose derivative is 0: S stays 0 whatever the weights)."""
    times = sorted(set(time))
    ns = [sum(wi for ti, wi in zip(time, w, strict=True) if ti >= s) for s in times]
    ds = [
        sum(wi for ti, ei, wi in zip(time, event, w, strict=True) if ti == s and ei) for s in times
    ]
    out = []
    for k in range(len(times)):
        if any(ds[j] == ns[j] for j in range(k + 1)):
            out.append(math.nan)
            continue
        var = 0.0
        for ti, ei, wi in zip(time, event, w, strict=True):
            a = 0.0
            for j in range(k + 1):
                y = 1.0 if ti >= times[j] else 0.0
                dn = 1.0 if (ti == times[j] and ei) else 0.0
                a += (ds[j] * y - ns[j] * dn) / (ns[j] * (ns[j] - ds[j]))
            var += (wi * a) ** 2
        out.append(math.sqrt(var))
    return times, out


def test_fractional_weights_use_the_robust_variance() -> None:
    """Weighted counts n = 5, 4.5, 3, 1 and d = 0.5, 1.5, 0, 1: S = 0.9, 0.6, 0.6, 0; the
    variance is the infinitesimal jackknife (R's default for non-integer weights); where S = 0
    its std_err is 0 (R's jackknife is taken on S, which no weight moves from 0)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        km = kaplan_meier(W_TIME, W_EVENT, weights=W_WEIGHT)
        tab = km.table()
        ms = km.survival_at([0.5, 2.0, 4.0, 5.0])
    assert km.weighted and km.robust
    assert km.method.test == "Kaplan–Meier product-limit estimator with case weights"
    assert km.method.ci_method == "infinitesimal-jackknife (robust) variance of the weighted curve"
    assert km.method.software_equivalent == (
        "R survival::survfit(conf.type='log', weights = w, robust = TRUE)"
    )
    assert km.n == {ALL: 4} and km.n_events == {ALL: 3}  # rows, not weights
    assert tab["n_risk"].tolist() == [5.0, 4.5, 3.0, 1.0]
    assert tab["n_event"].tolist() == [0.5, 1.5, 0.0, 1.0]
    assert tab["n_censor"].tolist() == [0.0, 0.0, 2.0, 0.0]
    for col in ("n_risk", "n_event", "n_censor"):
        assert tab[col].dtype == np.float64, col
    np.testing.assert_allclose(tab["surv"], [0.9, 0.6, 0.6, 0.0], rtol=1e-14)
    _, se = ij_se_log_by_definition(W_TIME, W_EVENT, W_WEIGHT)
    for i in range(3):
        assert_close(tab["std_err"].iloc[i], tab["surv"].iloc[i] * se[i], what=f"std_err {i}")
        lo, hi = limits_by_formula(tab["surv"].iloc[i], se[i], "log", 0.95)
        assert_close(tab["lower"].iloc[i], lo, what=f"lower {i}")
        assert_close(tab["upper"].iloc[i], hi, what=f"upper {i}")
    assert tab["std_err"].iloc[3] == 0.0
    assert math.isnan(tab["lower"].iloc[3]) and math.isnan(tab["upper"].iloc[3])
    # milestones: weighted counts kept as floats, the same std_err rule
    assert ms["n_risk"].tolist() == [5.0, 4.5, 1.0, 0.0]
    assert ms["n_event"].tolist() == [0.0, 2.0, 1.0, 0.0]
    assert ms["std_err"].iloc[0] == 0.0 and ms["std_err"].iloc[2] == 0.0
    assert_close(ms["std_err"].iloc[1], 0.6 * se[1])
    assert math.isnan(ms["surv"].iloc[3])
    ar = km.at_risk([0.0, 2.0, 2.5, 4.5])
    assert list(ar.columns) == ["group", "time", "n_risk"]
    assert ar["n_risk"].tolist() == [5.0, 4.5, 3.0, 0.0]
    assert ar["n_risk"].dtype == np.float64


def test_robust_can_be_switched_by_hand() -> None:
    """robust=False gives Greenwood on the weighted counts, robust=True the jackknife even for
    integer weights; the method record says which."""
    green = kaplan_meier(W_TIME, W_EVENT, weights=W_WEIGHT, robust=False)
    assert green.weighted and not green.robust
    assert green.method.ci_method == "Greenwood variance of the cumulative hazard"
    assert green.method.software_equivalent == "R survival::survfit(conf.type='log', weights = w)"
    # Greenwood on n = 5, 4.5 and d = 0.5, 1.5: 0.5/(5 x 4.5) + 1.5/(4.5 x 3)
    se = math.sqrt(0.5 / (5 * 4.5) + 1.5 / (4.5 * 3))
    assert_close(green.table()["std_err"].iloc[1], 0.6 * se)
    ints = [1.0, 2.0, 1.0, 3.0]
    forced = kaplan_meier(W_TIME, W_EVENT, weights=ints, robust=True)
    assert forced.robust
    _, ij = ij_se_log_by_definition(W_TIME, W_EVENT, ints)
    s = forced.table()["surv"]
    for i in range(3):
        assert_close(forced.table()["std_err"].iloc[i], s.iloc[i] * ij[i], what=f"ij {i}")
    default = kaplan_meier(W_TIME, W_EVENT, weights=ints)
    assert not default.robust  # integer weights: copies of rows, Greenwood (R)


def test_missing_weights_exclude_their_rows() -> None:
    """A row with a missing weight is left out and counted; integer weights elsewhere stay
    Greenwood (the missing one does not make the weights 'fractional')."""
    km = kaplan_meier([*W_TIME, 0.5], [*W_EVENT, 1], weights=[1.0, 2.0, 1.0, 3.0, math.nan])
    assert km.n_excluded == 1 and km.n == {ALL: 4} and not km.robust
    same = kaplan_meier(W_TIME, W_EVENT, weights=[1.0, 2.0, 1.0, 3.0])
    assert km.table().equals(same.table())
    grouped = kaplan_meier(
        [*W_TIME, 0.5], [*W_EVENT, 1], by=["a", "b", "a", "b", "a"], weights=[*W_WEIGHT, np.nan]
    )
    assert grouped.n_excluded == 1 and grouped.n == {"a": 2, "b": 2}


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 12), st.integers(0, 1), st.integers(1, 3)),
        min_size=1,
        max_size=25,
    ),
    st.sampled_from(["log", "plain", "log-log"]),
)
def test_integer_weights_are_copies_of_rows(rows: list[tuple[int, int, int]], ct: str) -> None:
    """A weight of k is k copies of the row: the same curve, counts and Greenwood limits."""
    t = [float(r[0]) for r in rows]
    e = [r[1] for r in rows]
    w = [float(r[2]) for r in rows]
    weighted = kaplan_meier(t, e, weights=w, conf_type=ct).table()  # type: ignore[arg-type]
    copies = kaplan_meier(
        [x for x, k in zip(t, w, strict=True) for _ in range(int(k))],
        [x for x, k in zip(e, w, strict=True) for _ in range(int(k))],
        conf_type=ct,  # type: ignore[arg-type]
    ).table()
    assert weighted["time"].tolist() == copies["time"].tolist()
    for col in ("n_risk", "n_event", "n_censor"):
        assert weighted[col].tolist() == copies[col].astype(float).tolist(), col
    for col in ("surv", "std_err", "lower", "upper"):
        np.testing.assert_allclose(weighted[col], copies[col], rtol=1e-12, atol=1e-15)


WEIGHTS_REF = LongReference(REF / "cox_weights_reference.csv")


def _weighted_km(model: str) -> KaplanMeierResult:
    """As make_cox_weights_reference.R: fractional w = 1 + ((i - 1) %% 4) / 2 on lung's complete
    rows, integer w = 1 + (i - 1) %% 3 on veteran."""
    if model == "km_veteran_integer":
        d = pd.read_csv(REF / "veteran.csv")
        return kaplan_meier(d["time"], d["status"], by=d["trt"], weights=1 + np.arange(len(d)) % 3)
    d = pd.read_csv(REF / "lung.csv").dropna(subset=["time", "status", "ph.ecog", "sex", "age"])
    w = 1 + (np.arange(len(d)) % 4) / 2
    return kaplan_meier(d["time"], (d["status"] == 2).astype(int), by=d["sex"], weights=w)


@pytest.mark.parametrize("model", ["km_veteran_integer", "km_lung_fractional"])
def test_weighted_curves_equal_r(model: str) -> None:
    km = _weighted_km(model)
    frame = km.to_frame()
    for ours, r in [("n_risk", "n.risk"), ("n_event", "n.event"), ("surv", "surv")]:
        check_rows(list(frame[ours]), WEIGHTS_REF.want(model, f"km_{r}"), ours)
    for ours, r in [("std_err", "std.err"), ("lower", "lower"), ("upper", "upper")]:
        check_rows(list(frame[ours]), WEIGHTS_REF.want(model, f"km_{r}"), ours)
    assert km.robust is (model == "km_lung_fractional")


# ---- log-rank: survdiff by hand ---------------------------------------------------------------


def survdiff_by_hand(
    time: list[float],
    event: list[int],
    group: list[str],
    rho: float = 0.0,
    strata: list[str] | None = None,
) -> tuple[list[str], np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """R's survdiff as its C routine defines it, one event time at a time: within a stratum the
    weight is S(t-)^rho of the pooled Kaplan-Meier curve; O_g += w d_g, E_g += w d n_g / n,
    V += w^2 d (n - d) / (n - 1) (diag(p) - p p') with p = n_g / n (0 when n = 1)."""
    groups = sorted(set(group))
    k = len(groups)
    o, e, v = np.zeros(k), np.zeros(k), np.zeros((k, k))
    strata = strata or [""] * len(time)
    for s in sorted(set(strata)):
        rows = [i for i in range(len(time)) if strata[i] == s]
        surv = 1.0
        for t in sorted({time[i] for i in rows if event[i]}):
            at = [sum(1 for i in rows if time[i] >= t and group[i] == g) for g in groups]
            dead = [
                sum(1 for i in rows if time[i] == t and event[i] and group[i] == g) for g in groups
            ]
            n, d = sum(at), sum(dead)
            w = surv**rho
            p = np.array(at, dtype=float) / n
            o += w * np.array(dead, dtype=float)
            e += w * d * p
            if n > 1:
                v += w * w * d * (n - d) / (n - 1) * (np.diag(p) - np.outer(p, p))
            surv *= 1 - d / n
    return groups, o, e, v


def chisq_by_hand(
    o: np.ndarray[Any, Any], e: np.ndarray[Any, Any], v: np.ndarray[Any, Any]
) -> float:
    keep = np.flatnonzero(e > 0)[1:]
    diff = (o - e)[keep]
    return float(diff @ np.linalg.solve(v[np.ix_(keep, keep)], diff))


# two groups, a tie of deaths across the groups at 3, a censoring at an event time (4), and a
# last death with one subject at risk (its variance term is 0, as n - 1 = 0)
L_TIME = [1.0, 2.0, 3.0, 3.0, 4.0, 4.0, 5.0, 7.0, 8.0]
L_EVENT = [1, 1, 1, 1, 1, 0, 0, 1, 1]
L_GROUP = ["a", "b", "a", "b", "b", "a", "b", "a", "a"]
L_STRATA = ["s", "t", "s", "s", "t", "t", "s", "t", "s"]


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0, 2.0])
@pytest.mark.parametrize("stratified", [False, True])
def test_g_rho_test_by_hand(rho: float, stratified: bool) -> None:
    strata = L_STRATA if stratified else None
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        res = logrank_test(L_TIME, L_EVENT, L_GROUP, rho=rho, strata=strata)
        frame = res.to_frame()
    groups, o, e, v = survdiff_by_hand(L_TIME, L_EVENT, L_GROUP, rho, strata)
    assert res.groups == groups and res.n == {"a": 5, "b": 4} and res.n_excluded == 0
    for i, g in enumerate(groups):
        assert_close(res.observed[g], o[i], what=f"O {g}")
        assert_close(res.expected[g], e[i], what=f"E {g}")
        for j in range(len(groups)):
            assert_close(res.variance[i, j], v[i, j], what=f"V {i}{j}")
    chisq = chisq_by_hand(o, e, v)
    assert_close(res.chisq, chisq)
    assert res.df == 1
    assert_close(res.p_value, float(chi2.sf(chisq, 1)), p_value=True)
    assert_close(frame["o_minus_e_sq_over_e"].iloc[1], (o[1] - e[1]) ** 2 / e[1])
    assert repr(res) == (
        f"<LogRankResult: chi-square {chisq:.4g} on 1 df, P = {chi2.sf(chisq, 1):.3g}, "
        "2 groups; .summary(), .to_frame()>"
    )
    assert res.summary().equals(frame)


@pytest.mark.parametrize(
    ("rho", "test", "software", "notes"),
    [
        (0.0, "log-rank test", "R survival::survdiff(rho = 0)", ()),
        (
            1.0,
            "Peto-Peto test (Harrington-Fleming G-rho, rho = 1)",
            "R survival::survdiff(rho = 1)",
            ("weights S(t-)^rho of the pooled Kaplan-Meier curve",),
        ),
        (
            0.5,
            "Harrington-Fleming G-rho test (rho = 0.5)",
            "R survival::survdiff(rho = 0.5)",
            ("weights S(t-)^rho of the pooled Kaplan-Meier curve",),
        ),
        (
            2,
            "Harrington-Fleming G-rho test (rho = 2)",
            "R survival::survdiff(rho = 2)",
            ("weights S(t-)^rho of the pooled Kaplan-Meier curve",),
        ),
    ],
)
def test_g_rho_method_record(rho: float, test: str, software: str, notes: tuple[str, ...]) -> None:
    res = logrank_test(L_TIME, L_EVENT, L_GROUP, rho=rho)
    assert res.method.test == test
    assert res.method.software_equivalent == software
    assert res.method.notes == notes
    assert res.method.variance == "hypergeometric (Mantel-Haenszel)"
    strat = logrank_test(L_TIME, L_EVENT, L_GROUP, rho=rho, strata=L_STRATA)
    assert strat.method.test == "stratified " + test
    assert strat.method.software_equivalent == software[:-1] + ", strata())"


@pytest.mark.parametrize("rho", [math.inf, -math.inf, math.nan])
def test_rho_must_be_finite(rho: float) -> None:
    with pytest.raises(
        AnalysisError,
        match=r"^rho (inf|-inf|nan) must be a finite number \(0 = log-rank, 1 = Peto-Peto\)$",
    ):
        logrank_test(L_TIME, L_EVENT, L_GROUP, rho=rho)


def test_a_group_without_expected_events_has_no_contribution() -> None:
    """Group c is censored before the first death: O = E = 0, so (O - E)^2 / E is 0/0, NaN
    (R prints NaN), without a numpy warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        frame = logrank_test([1.0, 2.0, 0.5, 3.0], [1, 1, 0, 0], ["a", "b", "c", "a"]).to_frame()
    assert frame["expected"].iloc[2] == 0.0
    assert math.isnan(frame["o_minus_e_sq_over_e"].iloc[2])
    assert frame["group"].tolist() == ["a", "b", "c"]


def test_a_singular_variance_is_refused() -> None:
    """Stratum s holds only group b (two deaths): b has expected events but no variance,
    since within s it is the whole risk set; V restricted to b and c is singular."""
    with pytest.raises(AnalysisError, match=r"^log-rank variance matrix is singular$"):
        logrank_test(
            [1.0, 2.0, 1.0, 2.0, 3.0],
            [1, 1, 1, 1, 0],
            ["b", "b", "a", "c", "c"],
            strata=["s", "s", "u", "u", "u"],
        )


def test_log_rank_columns_of_data_by_name() -> None:
    d = pd.DataFrame({"t": L_TIME, "e": L_EVENT, "g": L_GROUP, "s": L_STRATA})
    for fn in (logrank_test, logrank_trend_test):
        named = fn("t", "e", "g", strata="s", rho=0.5, data=d)  # type: ignore[operator]
        plain = fn(L_TIME, L_EVENT, L_GROUP, strata=L_STRATA, rho=0.5)  # type: ignore[operator]
        assert named.chisq == plain.chisq and named.method == plain.method


# ---- the trend test ---------------------------------------------------------------------------


@pytest.mark.parametrize("rho", [0.0, 0.5, 1.0])
@pytest.mark.parametrize(
    ("scores", "used"),
    [
        (None, [1.0, 2.0, 3.0]),
        ([0, 1, 4], [0.0, 1.0, 4.0]),
        ({"x": 2, "y": 1, "z": 0}, [2.0, 1.0, 0.0]),
    ],
)
def test_trend_test_by_hand(rho: float, scores: Any, used: list[float]) -> None:
    """U = s'(O - E), chisq = U^2 / s'Vs on 1 df, with O, E, V of the G-rho test; text labels
    are scored 1..k by default; scores are floats whatever they were given as."""
    group = ["x", "y", "z", "x", "y", "z", "x", "y", "z"]
    res = logrank_trend_test(L_TIME, L_EVENT, group, scores=scores, rho=rho)
    _, o, e, v = survdiff_by_hand(L_TIME, L_EVENT, group, rho)
    s = np.array(used)
    u = float(s @ (o - e))
    assert_close(res.chisq, u * u / float(s @ v @ s))
    assert_close(res.p_value, float(chi2.sf(res.chisq, 1)), p_value=True)
    assert res.scores == dict(zip(["x", "y", "z"], used, strict=True))
    assert all(type(x) is float for x in res.scores.values())
    for i, g in enumerate(["x", "y", "z"]):
        assert_close(res.expected[g], e[i], what=f"E {g}")
        assert_close(res.observed[g], o[i], what=f"O {g}")
    if rho:
        assert res.method.test == f"log-rank test for trend (G-rho, rho = {rho:g})"
        assert res.method.software_equivalent == (
            f"R survival::survdiff(rho = {rho:g}) O, E, var: (s'(O-E))^2 / s'Vs"
        )
    else:
        assert res.method.test == "log-rank test for trend"


TREND_RHO = pd.read_csv(REF / "trend_rho_reference.csv", dtype={"chisq": str, "U": str})


@pytest.mark.parametrize("rho", [0.5, 2.0])
def test_stratified_trend_with_rho_equals_r(rho: float) -> None:
    """make_trend_rho_reference.R: veteran by Karnofsky group, strata = treatment."""
    row = TREND_RHO[(TREND_RHO["data"] == "veteran") & (TREND_RHO["rho"] == rho)]
    row = row[row["strata"] == 1].iloc[0]
    d = pd.read_csv(REF / "veteran.csv")
    res = logrank_trend_test(d["time"], d["status"], d["karno_grp"], strata=d["trt"], rho=rho)
    assert_close(res.chisq, float(row["chisq"]))
    assert res.scores is not None
    s = np.array(list(res.scores.values()))
    oe = np.array([res.observed[g] - res.expected[g] for g in res.groups])
    assert_close(float(s @ oe), float(row["U"]))


# ---- the Cox engine (Efron / Breslow), by its definition -----------------------------------------


def cox_by_hand(
    d: pd.DataFrame, cols: list[str], beta: np.ndarray[Any, Any], ties: str, *, start: bool
) -> tuple[float, np.ndarray[Any, Any], np.ndarray[Any, Any], np.ndarray[Any, Any]]:
    """Log partial likelihood, score, information and score residuals at ``beta`` from their
    definitions, one stratum, event time and Efron sub-step at a time (R's coxfit6 / agfit4).

    At an event time t of a stratum the risk set is the rows with entry < t <= time (entry 0
    without start), the d deaths have mean case weight m; sub-step k = 0..d-1 takes off the
    fraction f = k/d of the deaths' weight (f = 0 for Breslow): S0_k, S1_k, S2_k; the
    log-likelihood adds sum over deaths w_i x_i'beta - m sum_k log S0_k, the score
    sum w_i x_i - m sum_k S1_k/S0_k, the information m sum_k (S2_k/S0_k - xbar_k xbar_k').
    Score residual of row i: delta_i (x_i - mean_k xbar_k) - e^{eta_i} sum_t sum_k c_ik m
    (x_i - xbar_k)/S0_k over the t it is at risk for, c_ik = 1 - f for its own death, else 1.
    """
    x = d[cols].to_numpy(float)
    n, p = x.shape
    time, event = d["time"].to_numpy(float), d["event"].to_numpy(int)
    entry = d["entry"].to_numpy(float) if start else np.zeros(n)
    w = d["w"].to_numpy(float) if "w" in d else np.ones(n)
    strata = d["s"].to_numpy() if "s" in d else np.zeros(n)
    eta = x @ beta
    risk = np.exp(eta)
    loglik, score, info = 0.0, np.zeros(p), np.zeros((p, p))
    resid = np.zeros((n, p))
    for s in sorted(set(strata)):
        for t in sorted({time[i] for i in range(n) if strata[i] == s and event[i]}):
            at = [i for i in range(n) if strata[i] == s and entry[i] < t <= time[i]]
            dead = [i for i in at if time[i] == t and event[i]]
            nd = len(dead)
            m = sum(w[i] for i in dead) / nd
            for i in dead:
                loglik += w[i] * eta[i]
                score += w[i] * x[i]
            for k in range(nd):
                f = k / nd if ties == "efron" else 0.0
                c = {i: (1 - f if i in dead else 1.0) for i in at}
                s0 = sum(c[i] * w[i] * risk[i] for i in at)
                s1 = sum(c[i] * w[i] * risk[i] * x[i] for i in at)
                s2 = sum(c[i] * w[i] * risk[i] * np.outer(x[i], x[i]) for i in at)
                xbar = s1 / s0
                loglik -= m * math.log(s0)
                score -= m * xbar
                info += m * (s2 / s0 - np.outer(xbar, xbar))
                for i in at:
                    resid[i] -= risk[i] * c[i] * m * (x[i] - xbar) / s0
                for i in dead:
                    resid[i] += (x[i] - xbar) / nd
    return loglik, score, info, resid


def cox_data(n: int = 36) -> pd.DataFrame:
    """Small data with tied deaths (times on a grid), censored-only times, late entries,
    fractional weights, two strata, clusters and two covariates, by a fixed rule."""
    i = np.arange(n)
    time = 1.0 + (i * 7) % 11
    time[[4, 9]] = [5.5, 12.0]  # two censored-only times, one of them the last
    return pd.DataFrame(
        {
            "time": time,
            "event": np.where(np.isin(i, [4, 9]), 0, (i * 5) % 7 != 0).astype(int),
            "entry": np.where(i % 3 == 0, time - 1.5, 0.0).clip(0.0),
            "x1": ((i * 3) % 5 - 2) / 2,
            "x2": (i % 4 == 1).astype(float),
            "s": np.where(i % 5 < 2, "u", "v"),
            "w": 1 + (i % 4) / 2,
            "cl": i % 9,
        }
    )


DESIGNS = {
    "plain": {},
    "strata": {"strata": "s"},
    "weights": {"weights": "w", "robust": False},
    "entry": {"start": "entry"},
    "everything": {"strata": "s", "weights": "w", "start": "entry", "robust": False},
}


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("design", list(DESIGNS))
def test_cox_fit_is_the_maximum_of_the_partial_likelihood(design: str, ties: str) -> None:
    """The reported log-likelihoods, score test and model-based standard errors are those of
    the partial likelihood written out by definition, and the fit is its maximum."""
    opts: dict[str, Any] = dict(DESIGNS[design])
    data = cox_data()
    cols = ["x1", "x2"]
    sub = data[["time", "event", *cols]].copy()
    if "strata" in opts:
        sub["s"] = data["s"]
    if "weights" in opts:
        sub["w"] = data["w"]
    start = "start" in opts
    if start:
        sub["entry"] = data["entry"]
    res = cox_ph(data, "time", "event", cols, ties=ties, **opts)  # type: ignore[arg-type]
    ll0, u0, i0, _ = cox_by_hand(sub, cols, np.zeros(2), ties, start=start)
    assert_close(res.loglik_null, ll0, what="loglik at 0")
    assert_close(res.score_test.chisq, float(u0 @ np.linalg.solve(i0, u0)), what="score test")
    beta = np.asarray(res.coef, dtype=float)
    ll, u, info, _ = cox_by_hand(sub, cols, beta, ties, start=start)
    assert_close(res.loglik, ll, what="loglik at the fit")
    # the maximum, as R's convergence rule (eps = 1e-9 on the log-likelihood) defines it: a
    # further Newton step from the fit would gain less than 1e-9 of |loglik|
    assert float(u @ np.linalg.solve(info, u)) / 2 <= 1e-9 * abs(ll)
    np.testing.assert_allclose(res.se, np.sqrt(np.diag(np.linalg.inv(info))), rtol=1e-8)
    n_dead = int(sub["event"].sum())
    assert res.n_events == n_dead and res.n == len(sub)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize(
    ("opts", "clusters"),
    [
        ({"cluster": "cl"}, "cl"),
        ({"cluster": "cl", "start": "entry", "strata": "s"}, "cl"),
        ({"weights": "w"}, None),  # fractional weights: robust by default, each row alone
        ({"weights": "w", "start": "entry", "cluster": "cl"}, "cl"),
    ],
)
def test_robust_variance_is_the_sandwich_of_score_residuals(
    opts: dict[str, Any], clusters: str | None, ties: str
) -> None:
    """V = D'D with D the dfbeta residuals (case weight x score residual x I^-1) summed by
    cluster (Lin & Wei 1989), at the fitted coefficients."""
    data = cox_data()
    cols = ["x1", "x2"]
    sub = data[["time", "event", *cols]].copy()
    for key, col in (("strata", "s"), ("weights", "w"), ("start", "entry")):
        if key in opts:
            sub[col] = data[col]
    with warnings.catch_warnings():  # censored-only times have no mean x-bar: silently
        warnings.simplefilter("error", RuntimeWarning)
        res = cox_ph(data, "time", "event", cols, ties=ties, **opts)  # type: ignore[arg-type]
    _, _, info, resid = cox_by_hand(
        sub, cols, np.asarray(res.coef, dtype=float), ties, start="start" in opts
    )
    dfbeta = (sub["w"].to_numpy()[:, None] if "w" in sub else 1.0) * resid @ np.linalg.inv(info)
    if clusters is not None:
        dfbeta = pd.DataFrame(dfbeta).groupby(data[clusters].to_numpy()).sum().to_numpy()
    np.testing.assert_allclose(res.var, dfbeta.T @ dfbeta, rtol=1e-8)
    assert res.robust_se is not None
    np.testing.assert_allclose(res.robust_se, np.sqrt(np.diag(dfbeta.T @ dfbeta)), rtol=1e-8)


@pytest.mark.parametrize("ties", ["efron", "breslow"])
def test_cox_fit_does_not_depend_on_where_a_covariate_is_centred(ties: str) -> None:
    """A covariate far from 0 (10,000 plus a tenth of x1, a coefficient of about 5 per unit)
    is centred before exp(x beta) is taken, as R does: the fit equals that of the centred
    copy instead of overflowing."""
    data = cox_data().assign(far=lambda f: 10_000 + f["x1"] / 10, near=lambda f: f["x1"] / 10)
    far = cox_ph(data, "time", "event", ["far", "x2"], ties=ties, weights="w", robust=False)
    near = cox_ph(data, "time", "event", ["near", "x2"], ties=ties, weights="w", robust=False)
    assert far.converged and near.converged
    np.testing.assert_allclose(far.coef, near.coef, rtol=1e-8)
    np.testing.assert_allclose(far.se, near.se, rtol=1e-8)
    assert_close(far.loglik, near.loglik)
