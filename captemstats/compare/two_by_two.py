"""2×2 table tests equal to R: Yates-corrected chi-square and Fisher's exact test with the
conditional maximum-likelihood odds ratio (issue 19, item 4).

* :func:`yates_chi_square_test` — R's ``chisq.test(x, correct = TRUE)``: for a 2×2 table
  X² = Σ (|O − E| − Y)² / E with Y = min(0.5, min |O − E|) (Yates 1934); other shapes get no
  correction, as in R;
* :func:`fisher_exact_2x2` — R's ``fisher.test(x, alternative =, conf.level =, or =)`` for a
  2×2 table: given the margins x = x₁₁ follows Fisher's noncentral hypergeometric law with
  odds ratio ψ, P(x) ∝ C(m, x) C(n, k − x) ψ^x. The estimate is the conditional MLE (the ψ at
  which E_ψ[x] equals the observed x), the CI inverts the two one-sided tests (Cornfield
  1956); both are found as R does, by ``uniroot`` (Brent's zeroin, R's ``R_zeroin2``, ported
  here step for step with R's tolerance ``.Machine$double.eps^0.25``), so the values equal R's
  to rounding, not merely to the root's 1e-4 tolerance. The two-sided P sums the probabilities
  ≤ the observed one × (1 + 1e-7); one-sided P values are the tails.

The unconditional sample odds ratio (ad/bc) is not what R reports; it is not computed here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from captemstats.compare.contingency import ChiSquareResult, _as_count_table, chi_square_test
from captemstats.errors import AnalysisError
from captemstats.results import MethodInfo

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

Alternative = Literal["two.sided", "less", "greater"]
_EPS = float(np.finfo(float).eps)
#: R's ``uniroot`` default tolerance
UNIROOT_TOL = _EPS**0.25


def yates_chi_square_test(table: Any) -> ChiSquareResult:
    """Pearson's chi-square with Yates' continuity correction: R ``chisq.test(x)``.

    Parameters
    ----------
    table
        A 2-D table of counts (array or DataFrame). Only a 2×2 table is corrected (R's rule);
        any other shape gives the uncorrected test of :func:`captemstats.compare.chi_square_test`.

    Returns
    -------
    ChiSquareResult
        Statistic, df, P, observed and expected counts; ``method.continuity_correction`` says
        whether the correction was applied.

    Example
    -------
    >>> r = yates_chi_square_test([[12, 5], [7, 14]])
    >>> round(r.statistic, 6), r.method.software_equivalent
    (3.831933, 'chisq.test(x, correct = TRUE)')
    """
    from scipy.stats import chi2

    base = chi_square_test(table)
    if base.observed.shape != (2, 2):
        return base
    o = base.observed.astype(float)
    e = base.expected
    yates = min(0.5, float(np.abs(o - e).min()))
    stat = float(((np.abs(o - e) - yates) ** 2 / e).sum())
    return ChiSquareResult(
        statistic=stat,
        df=1,
        p_value=float(chi2.sf(stat, 1)),
        observed=base.observed,
        expected=e,
        row_labels=base.row_labels,
        col_labels=base.col_labels,
        min_expected=base.min_expected,
        n_expected_below_5=base.n_expected_below_5,
        method=MethodInfo(
            test="Pearson's chi-square test with Yates' continuity correction",
            continuity_correction=yates > 0,
            software_equivalent="chisq.test(x, correct = TRUE)",
            notes=(f"correction min(0.5, min|O - E|) = {yates:g}",),
        ),
        test="chisq_yates",
    )


def zeroin(f: Callable[[float], float], ax: float, bx: float, tol: float = UNIROOT_TOL) -> float:
    """Brent's root finder as R's ``uniroot(f, c(ax, bx))`` (C ``R_zeroin2``, maxiter 1000).

    Example
    -------
    >>> round(zeroin(lambda x: x * x - 2, 0.0, 2.0), 4)
    1.4142
    """
    fa, fb = f(ax), f(bx)
    if np.isnan(fa) or np.isnan(fb) or fa * fb > 0:
        raise AnalysisError("zeroin: f() values at end points not of opposite sign")
    a, b, c, fc = ax, bx, ax, fa
    if fa == 0.0:
        return a
    if fb == 0.0:
        return b
    for _ in range(1001):
        prev_step = b - a
        if abs(fc) < abs(fb):
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * _EPS * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return b
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:
                q, t1, t2 = fa / fc, fb / fc, fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    raise AnalysisError("zeroin: not converged in 1000 iterations")


class _NCHyper:
    """Fisher's noncentral hypergeometric law of x₁₁ given the margins (R's dnhyper etc.)."""

    def __init__(self, t: npt.NDArray[np.int64]) -> None:
        from scipy.stats import hypergeom

        self.m, self.n = int(t[:, 0].sum()), int(t[:, 1].sum())
        self.k, self.x = int(t[0].sum()), int(t[0, 0])
        self.lo, self.hi = max(0, self.k - self.n), min(self.k, self.m)
        self.support = np.arange(self.lo, self.hi + 1, dtype=np.float64)
        self.logdc = hypergeom.logpmf(self.support, self.m + self.n, self.m, self.k)
        self._hyper = hypergeom(self.m + self.n, self.m, self.k)

    def d(self, ncp: float) -> npt.NDArray[np.float64]:
        with np.errstate(divide="ignore", invalid="ignore"):
            lg = self.logdc + np.log(ncp) * self.support
        w = np.exp(lg - lg.max())
        out: npt.NDArray[np.float64] = w / w.sum()
        return out

    def mean(self, ncp: float) -> float:
        if ncp == 0:
            return float(self.lo)
        if ncp == np.inf:
            return float(self.hi)
        return float((self.support * self.d(ncp)).sum())

    def p(self, q: float, ncp: float, upper: bool = False) -> float:
        if ncp == 1:
            return float(self._hyper.sf(q - 1) if upper else self._hyper.cdf(q))
        if ncp == 0:
            return float(q <= self.lo if upper else q >= self.lo)
        if ncp == np.inf:
            return float(q <= self.hi if upper else q >= self.hi)
        sel = self.support >= q if upper else self.support <= q
        return float(self.d(ncp)[sel].sum())

    def mle(self) -> float:
        x = self.x
        if x == self.lo:
            return 0.0
        if x == self.hi:
            return float("inf")
        mu = self.mean(1.0)
        if mu > x:
            return zeroin(lambda t: self.mean(t) - x, 0.0, 1.0)
        if mu < x:
            return 1 / zeroin(lambda t: self.mean(1 / t) - x, _EPS, 1.0)
        return 1.0

    def upper_limit(self, alpha: float) -> float:
        x = self.x
        if x == self.hi:
            return float("inf")
        p = self.p(x, 1.0)
        if p < alpha:
            return zeroin(lambda t: self.p(x, t) - alpha, 0.0, 1.0)
        if p > alpha:
            return 1 / zeroin(lambda t: self.p(x, 1 / t) - alpha, _EPS, 1.0)
        return 1.0

    def lower_limit(self, alpha: float) -> float:
        x = self.x
        if x == self.lo:
            return 0.0
        p = self.p(x, 1.0, upper=True)
        if p > alpha:
            return zeroin(lambda t: self.p(x, t, upper=True) - alpha, 0.0, 1.0)
        if p < alpha:
            return 1 / zeroin(lambda t: self.p(x, 1 / t, upper=True) - alpha, _EPS, 1.0)
        return 1.0


@dataclass(frozen=True, eq=False)
class Fisher2x2Result:
    """Fisher's exact test of a 2×2 table with the conditional MLE odds ratio and its exact CI."""

    p_value: float
    odds_ratio: float
    lower: float
    upper: float
    alternative: str
    conf_level: float
    null_odds_ratio: float
    observed: npt.NDArray[np.int64]
    method: MethodInfo
    test: str = "fisher"

    def to_frame(self) -> pd.DataFrame:
        """One row: test, alternative, P, conditional MLE odds ratio, CI, level, null OR."""
        import pandas as pd

        keys = ("test", "alternative", "p_value", "odds_ratio", "lower", "upper")
        row = {k: getattr(self, k) for k in keys}
        row |= {"conf_level": self.conf_level, "null_odds_ratio": self.null_odds_ratio}
        return pd.DataFrame([row])


def _p_value(h: _NCHyper, psi: float, alternative: Alternative) -> float:
    """P of the observed x₁₁ under odds ratio ``psi``: a tail, or (two-sided) the sum of the
    probabilities ≤ the observed one × (1 + 1e-7)."""
    x = h.x
    if alternative == "less":
        return h.p(x, psi)
    if alternative == "greater":
        return h.p(x, psi, upper=True)
    if psi == 0:
        return float(x == h.lo)
    if psi == np.inf:
        return float(x == h.hi)
    d = h.d(psi)
    return float(d[d <= d[x - h.lo] * (1 + 1e-7)].sum())


def _conf_int(h: _NCHyper, conf_level: float, alternative: Alternative) -> tuple[float, float]:
    """The CI of the odds ratio: inverted one-sided tests (two-sided: each at half the level)."""
    if alternative == "less":
        return 0.0, h.upper_limit(1 - conf_level)
    if alternative == "greater":
        return h.lower_limit(1 - conf_level), float("inf")
    alpha = (1 - conf_level) / 2
    return h.lower_limit(alpha), h.upper_limit(alpha)


def fisher_exact_2x2(
    table: Any,
    *,
    alternative: Alternative = "two.sided",
    conf_level: float = 0.95,
    null_odds_ratio: float = 1.0,
) -> Fisher2x2Result:
    """Fisher's exact test of a 2×2 table: R ``fisher.test(x, alternative =, conf.level =,
    or =)`` with its conditional MLE odds ratio and confidence interval.

    Parameters
    ----------
    table
        2×2 counts (array or DataFrame); rows and columns as R's matrix (x₁₁ is the top left).
    alternative
        "two.sided" (default), "less" or "greater": the alternative to the null odds ratio.
    conf_level
        Level of the CI (one-sided for "less" [0, U] and "greater" [L, ∞)).
    null_odds_ratio
        The odds ratio under the null (R's ``or``), default 1.

    Returns
    -------
    Fisher2x2Result
        P value, conditional MLE odds ratio (0 or ∞ at the ends of the support), CI limits.

    Example
    -------
    >>> r = fisher_exact_2x2([[3, 1], [1, 3]])
    >>> round(r.p_value, 6), round(r.odds_ratio, 4), r.method.software_equivalent
    (0.485714, 6.4083, 'fisher.test(x)')
    """
    counts, _, _ = _as_count_table(table)
    if counts.shape != (2, 2):
        raise AnalysisError(
            f"fisher_exact_2x2: the table is {counts.shape}, not 2 x 2 "
            "(use captemstats.compare.fisher_test for r x c tables)"
        )
    if alternative not in ("two.sided", "less", "greater"):
        raise AnalysisError(
            f"alternative {alternative!r} is not one of 'two.sided', 'less', 'greater'"
        )
    if not 0 < conf_level < 1:
        raise AnalysisError(f"conf_level {conf_level!r} is not in (0, 1)")
    psi = float(null_odds_ratio)
    if np.isnan(psi) or psi < 0:
        raise AnalysisError(f"null_odds_ratio {psi!r} must be between 0 and Inf")
    h = _NCHyper(counts)
    p = _p_value(h, psi, alternative)
    lower, upper = _conf_int(h, conf_level, alternative)
    args = [] if alternative == "two.sided" else [f'alternative = "{alternative}"']
    args += [] if conf_level == 0.95 else [f"conf.level = {conf_level:g}"]
    args += [] if psi == 1 else [f"or = {psi:g}"]
    return Fisher2x2Result(
        p_value=p,
        odds_ratio=h.mle(),
        lower=lower,
        upper=upper,
        alternative=alternative,
        conf_level=conf_level,
        null_odds_ratio=psi,
        observed=counts,
        method=MethodInfo(
            test="Fisher's exact test",
            ci_method="exact conditional (inverted one-sided tests, Cornfield 1956)",
            conf_level=conf_level,
            software_equivalent="fisher.test(" + ", ".join(["x", *args]) + ")",
            notes=("odds ratio: conditional maximum-likelihood estimate",),
        ),
    )


__all__ = [
    "UNIROOT_TOL",
    "Alternative",
    "Fisher2x2Result",
    "fisher_exact_2x2",
    "yates_chi_square_test",
    "zeroin",
]
