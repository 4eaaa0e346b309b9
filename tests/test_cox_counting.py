"""Cox models on counting-process (start, stop] data against R (issue 19, item 4).

References: ``tests/reference/make_cox_counting_reference.R`` (R 4.2.2 / survival 3.5-3;
versions in ``cox_counting_session.csv``): Stanford heart transplant data (time-varying
transplant status, Efron, Breslow, clustered on the patient, case-weighted) and the
synthetic cohort split at 6, 12 and 24 months by ``survSplit``, whose fit must also equal
the unsplit one.
"""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _compare import LongReference, check_rows

from captemstats.errors import AnalysisError
from captemstats.survival import CoxResult, cox_ph, cox_zph

REF = Path(__file__).parent / "reference"
HEART = ["age", "year", "surgery", "transplant"]


REFERENCE = LongReference(REF / "cox_counting_reference.csv")
want = REFERENCE.want


@functools.cache
def fitted(model: str) -> CoxResult:
    if model.startswith("heart"):
        d = pd.read_csv(REF / "heart.csv")
        ties = "breslow" if model == "heart_breslow" else "efron"
        cluster = "id" if model == "heart_cluster" else None
        weights = None
        if model == "heart_weighted":
            d["w"] = 1 + (np.arange(len(d)) % 4) / 2
            weights = "w"
        return cox_ph(
            d, "stop", "event", HEART, start="start", ties=ties, cluster=cluster, weights=weights
        )
    if model == "lung_split":
        d = pd.read_csv(REF / "lung_split.csv").assign(event=lambda f: f["status"].astype(int))
        return cox_ph(d, "tstop", "event", ["ph.ecog", "sex", "age"], start="tstart", cluster="id")
    d = pd.read_csv(REF / "captem_split.csv")
    return cox_ph(
        d, "tstop", "pfs_event", ["ecog_0_1", "first_line", "age"], start="tstart", cluster="id"
    )


MODELS = [
    "heart",
    "heart_breslow",
    "heart_cluster",
    "heart_weighted",
    "lung_split",
    "captem_split",
]


check = check_rows


@pytest.mark.parametrize("model", MODELS)
def test_counting_process_fit_equals_r(model: str) -> None:
    fit = fitted(model)
    check(list(fit.coef), want(model, "coef"), "coef")
    check(list(np.sqrt(np.diag(fit.var))), want(model, "se"), "se")
    check(list(fit.se), want(model, "naive_se"), "model-based se")
    check([fit.loglik_null, fit.loglik], want(model, "loglik"), "loglik")
    check([fit.score_test.chisq], want(model, "score_test"), "score test")
    check([fit.wald_test.chisq], want(model, "wald_test"), "Wald test")
    if model in ("heart_cluster", "heart_weighted", "lung_split", "captem_split"):
        assert fit.robust_score_test is not None
        check([fit.robust_score_test.chisq], want(model, "robust_score_test"), "robust score")


@pytest.mark.parametrize("model", MODELS)
def test_counting_process_concordance_equals_r(model: str) -> None:
    fit = fitted(model)
    ref = want(model, "concordance").set_index("term")["value"]
    for name in ("concordant", "discordant", "tied.x", "tied.y"):
        check([fit.concordance_counts[name]], ref.loc[[name]].reset_index(), name)
    check([fit.concordance], ref.loc[["concordance"]].reset_index(), "concordance")


def test_split_intervals_give_the_unsplit_fit() -> None:
    d = pd.read_csv(REF / "captem_synthetic.csv").dropna(
        subset=["pfs_months", "pfs_event", "ecog_0_1", "first_line", "age", "center"]
    )
    whole = cox_ph(d, "pfs_months", "pfs_event", ["ecog_0_1", "first_line", "age"])
    split = fitted("captem_split")
    np.testing.assert_allclose(split.coef, whole.coef, rtol=1e-10)
    np.testing.assert_allclose(split.se, whole.se, rtol=1e-10)
    assert split.loglik == pytest.approx(whole.loglik, rel=1e-12)


def test_start_at_zero_is_the_right_censored_model() -> None:
    d = pd.read_csv(REF / "veteran.csv").assign(t0=0.0)
    a = cox_ph(d, "time", "status", ["karno", "trt"], start="t0")
    b = cox_ph(d, "time", "status", ["karno", "trt"])
    np.testing.assert_allclose(a.coef, b.coef, rtol=1e-12)
    np.testing.assert_allclose(a.se, b.se, rtol=1e-12)
    assert a.concordance == pytest.approx(b.concordance, rel=1e-12)
    assert "Surv(t0, time, event)" in a.method.software_equivalent


def test_an_interval_that_does_not_start_before_it_stops_is_refused() -> None:
    d = pd.read_csv(REF / "heart.csv")
    d.loc[3, "start"] = d.loc[3, "stop"]
    with pytest.raises(AnalysisError, match=r"row 3 starts at .* needs start < stop"):
        cox_ph(d, "stop", "event", HEART, start="start")


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("transform", ["km", "rank", "identity"])
def test_counting_process_zph_equals_r(model: str, transform: str) -> None:
    table = cox_zph(fitted(model), transform=transform).to_frame()
    check(list(table["chisq"]), want(model, f"zph_{transform}"), f"zph {transform}")
