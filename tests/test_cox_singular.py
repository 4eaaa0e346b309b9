"""Cox models without information (issue 21): R's aliasing, the library's errors, and cox_zph's
invariance to affine changes of a covariate.

R's ``coxph`` (survival 3.5, ``singular.ok = TRUE``) walks the columns in model order and
reports a column that is a linear combination of earlier ones — or constant among the subjects
at risk at every event time — with an ``NA`` coefficient, fitting the rest as if it were absent.
When no column is left, there is nothing to estimate: captemstats refuses with its own error
(R would iterate on rounding noise). Expected values below come from fitting the reduced model
with captemstats itself (the R cross-checks of the reduced models live in test_survival.py).
"""

from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pandas as pd
import pytest
from _compare import assert_close
from hypothesis import given
from hypothesis import strategies as st

from captemstats.errors import AnalysisError
from captemstats.survival import cox_ph, cox_zph
from captemstats.survival._alias import chol_ginverse, estimable_columns

# deaths at 2..9; the first two rows are censored before any death
TIME = [1.0, 1.0, 2.0, 3.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 9.0]
EVENT = [0, 0, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0]
A = [0.0, 1.0, 1.0, 0.0, 2.0, 1.0, 3.0, 0.0, 2.0, 1.0, 0.0, 4.0]
B = [1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0]


def frame() -> pd.DataFrame:
    d = pd.DataFrame({"time": TIME, "event": EVENT, "a": A, "b": B})
    return d.assign(
        a2=2 * d["a"] + 1,  # collinear with a
        ab=d["a"] - 3 * d["b"],  # collinear with a and b together
        const=5.0,
        early=[3.0, -2.0, *[7.0] * 10],  # varies only among those censored before any death
        stratum=[0, 1] * 6,
        by_stratum=[10.0, 20.0] * 6,  # constant within each stratum
    )


ALIASED = [
    # (model columns, strata, estimable columns)
    (["a", "a2"], None, [True, False]),
    (["a2", "a"], None, [True, False]),  # the later of two collinear columns goes, as in R
    (["a", "b", "ab"], None, [True, True, False]),
    (["a", "const"], None, [True, False]),
    (["early", "a"], None, [False, True]),
    (["a", "by_stratum"], "stratum", [True, False]),
]


@pytest.mark.parametrize(("columns", "strata", "estimable"), ALIASED)
def test_aliased_column_is_na_and_the_rest_is_the_reduced_fit(
    columns: list[str], strata: str | None, estimable: list[bool]
) -> None:
    d = frame()
    full = cox_ph(d, "time", "event", columns, strata=strata)
    kept = [c for c, k in zip(columns, estimable, strict=True) if k]
    reduced = cox_ph(d, "time", "event", kept, strata=strata)
    assert list(np.isnan(full.coef)) == [not k for k in estimable]
    for arr in (full.hr, full.se, full.z, full.p_value, full.lower, full.upper):
        assert list(np.isnan(arr)) == [not k for k in estimable]
    np.testing.assert_array_equal(full.coef[estimable], reduced.coef)
    np.testing.assert_array_equal(full.se[estimable], reduced.se)
    assert full.loglik == reduced.loglik
    assert (full.lr_test.df, full.wald_test.df, full.score_test.df) == (len(kept),) * 3
    assert full.lr_test.p_value == reduced.lr_test.p_value
    assert full.concordance == reduced.concordance
    # R's fit$var: zero rows and columns for the aliased coefficient
    dropped = ~np.array(estimable)
    assert (full.var[dropped] == 0).all() and (full.var[:, dropped] == 0).all()
    names = [c for c, k in zip(columns, estimable, strict=True) if not k]
    assert any("not estimable" in w and names[0] in w for w in full.warnings), full.warnings
    with pytest.raises(AnalysisError, match="not estimable"):
        cox_zph(full)


@pytest.mark.parametrize(
    ("columns", "strata"),
    [(["const"], None), (["early"], None), (["by_stratum"], "stratum"), (["const", "early"], None)],
)
def test_no_estimable_covariate_is_a_library_error(columns: list[str], strata: str | None) -> None:
    with pytest.raises(AnalysisError, match=r"no covariate can be estimated: \[") as info:
        cox_ph(frame(), "time", "event", columns, strata=strata)
    assert all(repr(c) in str(info.value) for c in columns)
    assert "constant among the subjects at risk" in str(info.value)


def test_found_by_hypothesis_constant_after_the_censored_rows() -> None:
    """The example that used to escape as numpy's "Singular matrix": x varies only among
    subjects censored at time 1, before every death."""
    time = [1.0] * 16 + [2.0] * 8 + [3.0, 4.0, 4.0, 5.0, 5.0]
    event = [0] * 16 + [0, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    x = [0.0] * 14 + [1.0, 2.0] + [0.0] * 13
    d = pd.DataFrame({"time": time, "event": event, "x": x})
    for column in (d["x"], 3 * d["x"] + 7, -d["x"]):
        with pytest.raises(AnalysisError, match="no covariate can be estimated"):
            cox_ph(d.assign(v=column), "time", "event", ["v"])


def test_estimable_columns_is_scale_free() -> None:
    """The decision is on the data, so rescaling a column by 1e-150 or 1e150 changes nothing."""
    d = frame()
    t, e = d["time"].to_numpy(), d["event"].to_numpy(float)
    s = np.zeros(len(d), dtype=np.intp)
    x = d[["a", "b", "ab"]].to_numpy()
    for scale in (1e-150, 1.0, 1e150):
        assert list(estimable_columns(t, e, x * scale, s)) == [True, True, False]


@pytest.mark.parametrize(
    ("imat", "inverse", "zeroed"),
    [
        ([[4.0]], [[0.25]], [False]),
        ([[0.0]], [[0.0]], [True]),
        ([[-1e-17]], [[0.0]], [True]),  # rounding noise of either sign
        ([[4.0, 2.0], [2.0, 1.0]], [[0.25, 0.0], [0.0, 0.0]], [False, True]),  # 2nd = 1st / 2
        ([[1e-30, 0.0], [0.0, 1.0]], [[0.0, 0.0], [0.0, 1.0]], [True, False]),  # below toler
        ([[2.0, 0.0], [0.0, 8.0]], [[0.5, 0.0], [0.0, 0.125]], [False, False]),
    ],
)
def test_generalised_inverse_as_r_chinv2(
    imat: list[list[float]], inverse: list[list[float]], zeroed: list[bool]
) -> None:
    inv, mask = chol_ginverse(np.array(imat))
    assert inv.tolist() == inverse
    assert mask.tolist() == zeroed


def test_monotone_likelihood_is_flagged_alike_for_every_coding() -> None:
    """Found by the long hypothesis run: only the first death has another x than the rest of
    its risk set, so beta runs off to infinity and the information at the estimate is rounding
    noise — exactly 0 for one coding, 1e-14 for another. Every coding must still fit, with the
    infinite-coefficient warning (R's coxph fits and warns), never a refusal for one only."""
    rng = np.random.default_rng(7)
    n = 40
    time = np.concatenate(([1.0, 3.0], rng.integers(4, 100, n - 2).astype(float)))
    event = np.concatenate(([0, 1], rng.integers(0, 2, n - 2)))
    x = np.concatenate(([1.0, 3.0], np.zeros(n - 2)))
    d = pd.DataFrame({"time": time, "event": event, "x": x})
    fits = [
        cox_ph(d.assign(v=c), "time", "event", ["v"]) for c in (d["x"], -d["x"], 3 * d["x"] + 7)
    ]
    for fit in fits:
        assert any("may be infinite: v" in w for w in fit.warnings), fit.warnings
        # the likelihood-ratio test does not need the vanished information: one answer
        assert_close(fit.lr_test.p_value, fits[0].lr_test.p_value, p_value=True, rel=1e-10)
    # where the information is exactly 0 the coefficient is NA with all its statistics (R)
    vanished = [f for f in fits if np.isnan(f.coef[0])]
    assert all(np.isnan([f.se[0], f.hr[0], f.z[0], f.p_value[0]]).all() for f in vanished)


# ---- cox_zph: x and a·x + b give one test ---------------------------------------------------


def zph_frame() -> pd.DataFrame:
    rng = np.random.default_rng(20261201)
    n = 60
    x = rng.integers(-3, 4, n).astype(float)
    time = np.ceil(rng.exponential(10 * np.exp(-0.2 * x)))
    event = (rng.random(n) < 0.8).astype(int)
    return pd.DataFrame({"time": time, "event": event, "x": x})


@pytest.mark.parametrize("transform", ["km", "rank", "identity", "log"])
@pytest.mark.parametrize(("scale", "shift"), [(-1.0, 0.0), (3.0, 7.0), (1e-6, -40.0), (1e6, 1e3)])
def test_zph_invariant_to_affine_change_of_covariate(
    transform: str, scale: float, shift: float
) -> None:
    d = zph_frame()
    base = cox_zph(cox_ph(d, "time", "event", ["x"]), transform=transform)
    other = cox_zph(cox_ph(d.assign(x=scale * d["x"] + shift), "time", "event", ["x"]), transform)
    # 1e-7: a·x + b is centred again before fitting, which rounds differently at |a| = 1e6
    assert_close(other.chisq[0], base.chisq[0], rel=1e-7, what="zph chisq")
    assert_close(other.p_value[0], base.p_value[0], p_value=True, rel=1e-7, what="zph P")


def test_zph_undefined_for_x_and_3x_plus_7_alike() -> None:
    """x varies within the risk set at the first event time only (the subject with x = 1 is
    censored at 1.5): the test is 0/0 for every coding, which used to depend on rounding."""
    d = pd.DataFrame(
        {
            "time": [1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
            "event": [1, 0, 1, 1, 1, 1, 1, 1],
            "x": [0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0],
        }
    )
    for column in (d["x"], 3 * d["x"] + 7, -d["x"], 1e-9 * d["x"]):
        fit = cox_ph(d.assign(v=column), "time", "event", ["v"])
        with pytest.raises(AnalysisError, match=r"undefined for \['v'\]"):
            cox_zph(fit)


def test_near_collinear_covariates_converge_as_r_bounds_the_newton_update() -> None:
    """Ki-67 <= 20 % and grade 1-2 nearly collinear in a 60-patient cohort: the unbounded
    Newton update sent exp(x beta) past overflow ("information not finite") where R fits;
    with coxfit6's bound |beta_j| <= 200 / max|x_j - mean| the fit equals R's
    (tests/reference/make_cox_collinear_reference.R)."""
    from pathlib import Path

    here = Path(__file__).resolve().parent / "reference"
    d = pd.read_csv(here / "cox_near_collinear.csv")
    want = pd.read_csv(here / "cox_near_collinear_reference.csv").set_index("term")
    terms = [c for c in d.columns if c not in ("time", "event")]
    fit = cox_ph(d, "time", "event", terms)
    for term, coef, se in zip(terms, fit.coef, fit.se, strict=True):
        assert_close(coef, want.loc[term, "coef"], what=f"{term} coef")
        assert_close(se, want.loc[term, "se"], what=f"{term} se")
    assert_close(fit.loglik, want.loc["loglik", "coef"], what="loglik")


@given(
    n=st.integers(5, 120),
    p=st.integers(1, 5),
    kind=st.sampled_from(["random", "collinear", "constant", "near", "integer", "offset"]),
    seed=st.integers(0, 2**31 - 1),
    n_strata=st.sampled_from([1, 2]),
)
def test_the_full_rank_shortcut_decides_as_the_column_by_column_path(
    n: int, p: int, kind: str, seed: int, n_strata: int
) -> None:
    # issue 20: a design whose Gram matrix is clearly non-singular skips the per-column
    # projections (one stratum: without even a centred copy, from X'X - n m m'); the columns
    # kept must be those the exact path keeps (R's aliasing); "offset" columns have means
    # far larger than their spread, where X'X - n m m' cancels most digits
    from captemstats.survival import _alias

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, p))
    if kind == "collinear" and p > 1:
        x[:, -1] = 2 * x[:, 0]
    elif kind == "constant":
        x[:, 0] = 3.0
    elif kind == "near" and p > 1:
        x[:, 1] = x[:, 0] + rng.normal(scale=1e-7, size=n)
    elif kind == "integer":
        x = np.round(x)
    elif kind == "offset":
        x = 2015.0 + 1e-4 * x
    t = rng.exponential(size=n).round(1)
    e = (rng.random(n) < 0.7).astype(float)
    s = rng.integers(0, n_strata, size=n).astype(np.intp)
    fast = _alias.estimable_columns(t, e, x, s)
    with (
        patch.object(_alias, "_clearly_full_rank", return_value=False),
        patch.object(_alias, "_uncentred_gram_full_rank", return_value=False),
    ):
        exact = _alias.estimable_columns(t, e, x, s)
    assert np.array_equal(fast, exact)
