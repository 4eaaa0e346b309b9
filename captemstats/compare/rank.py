"""Rank tests equal to R: Wilcoxon rank-sum (Mann–Whitney) and Kruskal–Wallis.

* :func:`wilcoxon_rank_sum_test` — R's ``wilcox.test(x, y)`` (two groups; Wilcoxon 1945,
  Mann & Whitney 1947): exact null distribution of W without ties and below 50 values per
  group, else the normal approximation with the tie-corrected variance and continuity
  correction;
* :func:`kruskal_wallis_test` — R's ``kruskal.test`` (more than two groups; Kruskal & Wallis
  1952): tie-corrected H, chi-square on k − 1 df.

Where scipy differs from R the R behaviour is implemented here: ``mannwhitneyu`` chooses its
exact/asymptotic method by other rules than R's ``wilcox.test``. P values agree with R to 1e-6
(``tests/test_compare.py`` checks them against ``tests/reference/``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, eq=False, repr=False)
class RankTestResult(Displayed):
    """A Wilcoxon rank-sum or Kruskal–Wallis test.

    ``statistic`` is R's W (sum of the first group's ranks minus n₁(n₁+1)/2) or the
    tie-corrected Kruskal–Wallis H; ``df`` is k − 1 for Kruskal–Wallis (None for Wilcoxon);
    ``exact`` tells whether the Wilcoxon P is exact.

    Examples
    --------
    >>> from captemstats.compare import wilcoxon_rank_sum_test
    >>> r = wilcoxon_rank_sum_test([1.2, 3.4, 2.2, 0.5], [4.1, 5.0, 3.9])
    >>> r.test, r.n, r.df, r.method.software_equivalent
    ('wilcoxon', (4, 3), None, 'wilcox.test(x, y)')
    """

    test: str
    statistic: float
    p_value: float
    df: int | None
    n: tuple[int, ...]
    exact: bool
    ties: bool
    method: MethodInfo

    def _headline(self) -> str:
        return f"{self.test}, statistic {self.statistic:.4g}, P = {self.p_value:.3g}, n = {self.n}"

    def summary(self) -> pd.DataFrame:
        """The test: statistic, df and P (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "test": self.test,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "n": sum(self.n),
                    "exact": self.exact,
                    "ties": self.ties,
                }
            ]
        )


def _clean(values: Any, name: str) -> FloatArray:
    arr = np.asarray(values, dtype=np.float64).ravel()
    if np.isinf(arr).any():
        raise AnalysisError(f"{name}: infinite values are not allowed")
    out: FloatArray = arr[~np.isnan(arr)]
    return out


def _wilcoxon_counts(m: int, n: int) -> FloatArray:
    """Frequencies of W = 0..m·n (the null distribution of R's ``dwilcox`` times C(m+n, m)):
    subsets of size m of the ranks 1..m+n counted by rank sum, by additions only."""
    big = m + n
    max_sum = m * (2 * big - m + 1) // 2
    f = np.zeros((m + 1, max_sum + 1))
    f[0, 0] = 1.0
    for i in range(1, big + 1):
        f[1:, i:] = f[1:, i:] + f[:-1, : max_sum + 1 - i]
    base = m * (m + 1) // 2
    out: FloatArray = f[m, base : base + m * n + 1]
    return out


def wilcoxon_rank_sum_test(
    x: npt.ArrayLike, y: npt.ArrayLike, *, exact: bool | None = None, correct: bool = True
) -> RankTestResult:
    """Wilcoxon rank-sum (Mann–Whitney) test: R's ``wilcox.test(x, y)`` (two-sided).

    W = Σ ranks of x − n_x(n_x + 1)/2 (mid-ranks for ties). By default (``exact=None``) the P
    value is exact when both samples have fewer than 50 values and there are no ties, as R;
    otherwise the normal approximation with the tie-corrected variance and, when ``correct``,
    the continuity correction of 0.5. Missing values are dropped. scipy's ``mannwhitneyu``
    picks the exact method by different rules, hence this implementation.

    Parameters
    ----------
    x, y
        The two samples (missing values are dropped).
    exact
        True: exact P; False: normal approximation; None: R's rule (above).
    correct
        Continuity correction of the normal approximation.

    Returns
    -------
    RankTestResult
        W (``statistic``), the two-sided P value and whether it is exact.

    Notes
    -----
    Wilcoxon (1945); Mann & Whitney (1947).

    Examples
    --------
    >>> r = wilcoxon_rank_sum_test([1.2, 3.4, 2.2, 0.5], [4.1, 5.0, 3.9])
    >>> r.statistic, round(r.p_value, 4), r.exact
    (0.0, 0.0571, True)
    """
    from scipy.stats import norm, rankdata

    xs, ys = _clean(x, "x"), _clean(y, "y")
    nx, ny = xs.size, ys.size
    if nx == 0 or ny == 0:
        raise AnalysisError(
            f"Wilcoxon rank-sum test needs values in both groups (got {nx} and {ny})"
        )
    ranks = rankdata(np.concatenate([xs, ys]))
    w = float(ranks[:nx].sum() - nx * (nx + 1) / 2)
    _, tie_counts = np.unique(ranks, return_counts=True)
    ties = bool((tie_counts > 1).any())
    use_exact = (nx < 50 and ny < 50) if exact is None else exact
    use_exact = use_exact and not ties
    if use_exact:
        freq = _wilcoxon_counts(nx, ny)
        cdf = np.cumsum(freq) / freq.sum()
        wi = round(w)
        p = 1.0 - cdf[wi - 1] if w > nx * ny / 2 else cdf[wi]
        p_value = min(2.0 * float(p), 1.0)
        note = "exact null distribution of W"
    else:
        z = w - nx * ny / 2
        tie_term = float((tie_counts**3 - tie_counts).sum()) / ((nx + ny) * (nx + ny - 1))
        sigma = math.sqrt(nx * ny / 12 * ((nx + ny + 1) - tie_term))
        corr = float(np.sign(z)) * 0.5 if correct else 0.0
        zz = (z - corr) / sigma if sigma > 0 else float("nan")
        p_value = float(2 * min(norm.cdf(zz), norm.sf(zz))) if sigma > 0 else float("nan")
        note = "normal approximation, tie-corrected variance" + (
            ", continuity correction" if correct else ""
        )
    return RankTestResult(
        test="wilcoxon",
        statistic=w,
        p_value=p_value,
        df=None,
        n=(int(nx), int(ny)),
        exact=bool(use_exact),
        ties=ties,
        method=MethodInfo(
            test="Wilcoxon rank-sum test",
            continuity_correction=None if use_exact else correct,
            software_equivalent="wilcox.test(x, y)",
            notes=(note,),
        ),
    )


def kruskal_wallis_test(samples: Sequence[npt.ArrayLike]) -> RankTestResult:
    """Kruskal–Wallis rank-sum test: R's ``kruskal.test(list(...))``.

    H = [12 / (N(N + 1)) Σ Rᵢ²/nᵢ − 3(N + 1)] / [1 − Σ(t³ − t)/(N³ − N)] (mid-ranks, tie
    correction), chi-square on k − 1 df, where k counts the groups with at least one value
    (R's ``factor()`` drops empty groups). Missing values are dropped. All values tied gives
    NaN, as R.

    Parameters
    ----------
    samples
        One sequence of values per group (missing values are dropped).

    Returns
    -------
    RankTestResult
        H (``statistic``), ``df`` = k − 1 and the chi-square P value.

    Notes
    -----
    Kruskal & Wallis (1952).

    Examples
    --------
    >>> r = kruskal_wallis_test([[1.2, 3.4, 2.2], [4.1, 5.0, 3.9], [2.0, 6.1]])
    >>> round(r.statistic, 4), r.df, round(r.p_value, 4)
    (2.8889, 2, 0.2359)
    """
    from scipy.stats import chi2, rankdata

    groups = [g for g in (_clean(s, f"group {i + 1}") for i, s in enumerate(samples)) if g.size]
    if len(groups) < 2:
        raise AnalysisError(
            f"Kruskal–Wallis test needs at least 2 groups with values (got {len(groups)})"
        )
    sizes = np.array([g.size for g in groups])
    ranks = rankdata(np.concatenate(groups))
    n = ranks.size
    label = np.repeat(np.arange(len(groups)), sizes)
    rsum = np.bincount(label, weights=ranks)
    _, tie_counts = np.unique(ranks, return_counts=True)
    denom = 1 - float((tie_counts**3 - tie_counts).sum()) / (n**3 - n)
    raw = 12 * float((rsum**2 / sizes).sum()) / (n * (n + 1)) - 3 * (n + 1)
    stat = raw / denom if denom > 0 else float("nan")
    df = len(groups) - 1
    return RankTestResult(
        test="kruskal",
        statistic=stat,
        p_value=float(chi2.sf(stat, df)) if math.isfinite(stat) else float("nan"),
        df=df,
        n=tuple(int(s) for s in sizes),
        exact=False,
        ties=bool((tie_counts > 1).any()),
        method=MethodInfo(
            test="Kruskal–Wallis rank-sum test",
            software_equivalent="kruskal.test(x, g)",
            notes=("chi-square approximation, tie-corrected",),
        ),
    )


__all__ = ["RankTestResult", "kruskal_wallis_test", "wilcoxon_rank_sum_test"]
