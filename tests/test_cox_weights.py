"""Cox models and Kaplan–Meier curves with case weights against R (issue 19, item 4).

References: ``tests/reference/make_cox_weights_reference.R`` (R 4.2.2 / survival 3.5-3;
versions in ``cox_weights_session.csv``). R's defaults are followed: non-integer weights (or
a cluster) make the variance robust, integer weights keep the model-based one.
"""

from __future__ import annotations

import functools
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _compare import LongReference, check_rows

from captemstats.errors import AnalysisError
from captemstats.survival import CoxResult, KaplanMeierResult, cox_ph, cox_zph, kaplan_meier

REF = Path(__file__).parent / "reference"


REFERENCE = LongReference(REF / "cox_weights_reference.csv")
want = REFERENCE.want


def fractional(n: int) -> np.ndarray:
    return 1 + (np.arange(n) % 4) / 2


@functools.cache
def fitted(model: str) -> CoxResult:
    if model.startswith("lung"):
        d = pd.read_csv(REF / "lung.csv").dropna(subset=["time", "status", "ph.ecog", "sex", "age"])
        d = d.assign(event=(d["status"] == 2).astype(int), w=fractional(len(d)))
        ties = "breslow" if model.endswith("breslow") else "efron"
        return cox_ph(d, "time", "event", ["ph.ecog", "sex", "age"], ties=ties, weights="w")
    if model == "veteran_integer":
        d = pd.read_csv(REF / "veteran.csv")
        d["w"] = 1 + np.arange(len(d)) % 3
        return cox_ph(d, "time", "status", ["karno", "trt", "age"], weights="w")
    d = pd.read_csv(REF / "captem_synthetic.csv").dropna(
        subset=["os_months", "os_event", "ecog_0_1", "first_line", "age", "center"]
    )
    d["w"] = fractional(len(d))
    return cox_ph(
        d, "os_months", "os_event", ["ecog_0_1", "first_line", "age"], cluster="center", weights="w"
    )


MODELS = ["lung_fractional", "lung_fractional_breslow", "veteran_integer", "captem_os_cluster"]


check = check_rows


@pytest.mark.parametrize("model", MODELS)
def test_weighted_fit_equals_r(model: str) -> None:
    fit = fitted(model)
    check(list(fit.coef), want(model, "coef"), "coef")
    check([fit.loglik_null, fit.loglik], want(model, "loglik"), "loglik")
    check([fit.score_test.chisq], want(model, "score_test"), "score test")
    check([fit.wald_test.chisq], want(model, "wald_test"), "Wald test")


@pytest.mark.parametrize("model", MODELS)
def test_variance_is_robust_exactly_when_r_makes_it_so(model: str) -> None:
    fit = fitted(model)
    robust = bool(want(model, "robust")["value"].iloc[0])
    assert (fit.robust_se is not None) == robust
    check(list(np.sqrt(np.diag(fit.var))), want(model, "se"), "se")
    check(list(fit.se), want(model, "naive_se"), "model-based se")
    if robust:
        assert fit.robust_score_test is not None
        check([fit.robust_score_test.chisq], want(model, "robust_score_test"), "robust score")


@pytest.mark.parametrize("model", MODELS)
def test_weighted_concordance_equals_r(model: str) -> None:
    fit = fitted(model)
    ref = want(model, "concordance").set_index("term")["value"]
    for name in ("concordant", "discordant", "tied.x", "tied.y"):
        check([fit.concordance_counts[name]], ref.loc[[name]].reset_index(), name)
    check([fit.concordance], ref.loc[["concordance"]].reset_index(), "concordance")


@pytest.mark.parametrize("model", MODELS)
def test_weighted_zph_equals_r(model: str) -> None:
    check(list(cox_zph(fitted(model)).to_frame()["chisq"]), want(model, "zph_chisq"), "zph")


def test_integer_weights_are_replicated_rows_under_breslow() -> None:
    # under Breslow ties a weight of k is k copies of the row: same estimates and SEs (not
    # under Efron, where copies add tied deaths that change the approximation, in R as here)
    d = pd.read_csv(REF / "veteran.csv")
    w = 1 + np.arange(len(d)) % 3
    weighted = cox_ph(
        d.assign(w=w), "time", "status", ["karno", "trt"], weights="w", ties="breslow"
    )
    copies = d.loc[d.index.repeat(w)].reset_index(drop=True)
    plain = cox_ph(copies, "time", "status", ["karno", "trt"], ties="breslow")
    np.testing.assert_allclose(weighted.coef, plain.coef, rtol=1e-10)
    np.testing.assert_allclose(weighted.se, plain.se, rtol=1e-10)
    assert weighted.loglik == pytest.approx(plain.loglik, rel=1e-12)
    assert weighted.concordance == pytest.approx(plain.concordance, rel=1e-12)


def test_unit_weights_change_nothing() -> None:
    d = pd.read_csv(REF / "veteran.csv").assign(w=1.0)
    a = cox_ph(d, "time", "status", ["karno", "trt"], weights="w")
    b = cox_ph(d, "time", "status", ["karno", "trt"])
    np.testing.assert_array_equal(a.coef, b.coef)
    assert a.robust_se is None
    assert a.concordance_counts == b.concordance_counts


def test_robust_can_be_forced_off_or_on() -> None:
    d = pd.read_csv(REF / "veteran.csv")
    d["w"] = fractional(len(d))
    off = cox_ph(d, "time", "status", ["karno"], weights="w", robust=False)
    assert off.robust_se is None
    on = cox_ph(d.assign(w=1.0), "time", "status", ["karno"], weights="w", robust=True)
    assert on.robust_se is not None
    assert "robust = TRUE" in on.method.software_equivalent


@pytest.mark.parametrize(
    ("weights", "match"),
    [([0.0] + [1.0] * 136, "must be finite and > 0"), ([-1.0] * 137, "must be finite and > 0")],
    ids=["zero", "negative"],
)
def test_bad_weights_are_refused_naming_the_row(weights: list[float], match: str) -> None:
    d = pd.read_csv(REF / "veteran.csv").assign(w=weights)
    with pytest.raises(AnalysisError, match=match):
        cox_ph(d, "time", "status", ["karno"], weights="w")


def test_missing_weights_exclude_the_row_and_count_it() -> None:
    d = pd.read_csv(REF / "veteran.csv").assign(w=1.0)
    d.loc[:2, "w"] = np.nan
    fit = cox_ph(d, "time", "status", ["karno"], weights="w")
    assert (fit.n, fit.n_excluded) == (len(d) - 3, 3)


@pytest.mark.parametrize("model", MODELS)
def test_weighted_scaled_schoenfeld_residuals_equal_r(model: str) -> None:
    z = cox_zph(fitted(model))
    check([float(v) for j in range(z.y.shape[1]) for v in z.y[:, j]], want(model, "zph_y"), "y")


def km_fit(model: str, robust: bool | None = None) -> KaplanMeierResult:
    if model.startswith("km_lung"):
        d = pd.read_csv(REF / "lung.csv").dropna(subset=["time", "status", "ph.ecog", "sex", "age"])
        d = d.assign(event=(d["status"] == 2).astype(int), w=fractional(len(d)))
        return kaplan_meier(d["time"], d["event"], by=d["sex"], weights=d["w"], robust=robust)
    if model == "km_veteran_integer":
        d = pd.read_csv(REF / "veteran.csv")
        w = 1 + np.arange(len(d)) % 3
        return kaplan_meier(d["time"], d["status"], by=d["trt"], weights=w)
    d = pd.read_csv(REF / "captem_synthetic.csv").dropna(
        subset=["os_months", "os_event", "ecog_0_1", "first_line", "age", "center"]
    )
    return kaplan_meier(d["os_months"], d["os_event"], weights=fractional(len(d)))


KM_MODELS = {
    "km_lung_fractional": None,
    "km_lung_fractional_greenwood": False,
    "km_veteran_integer": None,
    "km_captem_fractional": None,
}


@pytest.mark.parametrize(("model", "robust"), KM_MODELS.items(), ids=list(KM_MODELS))
def test_weighted_kaplan_meier_equals_r(model: str, robust: bool | None) -> None:
    km = km_fit(model, robust)
    table = km.to_frame()
    for ours, r in [
        ("time", "time"),
        ("n_risk", "n.risk"),
        ("n_event", "n.event"),
        ("surv", "surv"),
        ("std_err", "std.err"),
        ("lower", "lower"),
        ("upper", "upper"),
    ]:
        check(list(table[ours]), want(model, f"km_{r}"), ours)
    medians = [km.median[g].estimate for g in km.groups]
    check([math.nan if m is None else m for m in medians], want(model, "km_median"), "median")
    robust_used = "robust" in km.method.ci_method
    assert robust_used == (model in ("km_lung_fractional", "km_captem_fractional"))


def test_weighted_numbers_at_risk_are_sums_of_weights() -> None:
    km = kaplan_meier([1.0, 2.0, 3.0], [1, 0, 1], weights=[0.5, 1.5, 2.0])
    assert km.at_risk([0.0, 2.0, 4.0])["n_risk"].tolist() == [4.0, 3.5, 0.0]
    assert (km.n["(all)"], km.n_events["(all)"]) == (3, 2)


def test_weighted_milestones_keep_fractional_counts() -> None:
    km = kaplan_meier([1.0, 2.0, 3.0, 4.0], [1, 1, 0, 1], weights=[0.5, 1.5, 2.0, 1.0])
    row = km.survival_at([2.5]).iloc[0]
    assert (row["n_risk"], row["n_event"]) == (3.0, 2.0)
    assert row["surv"] == pytest.approx((1 - 0.5 / 5.0) * (1 - 1.5 / 4.5), rel=1e-15)
