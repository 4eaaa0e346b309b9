"""Contingency-table tests equal to R: Pearson's chi-square and Fisher's exact test.

* :func:`chi_square_test` — Pearson's chi-square without continuity correction, as R's
  ``chisq.test(x, correct = FALSE)``, with the expected counts (Pearson 1900);
* :func:`fisher_test` — Fisher's exact test, as R's ``fisher.test``: the 2×2 conditional test,
  the exact r×c test (Mehta & Patel's network algorithm, R's FEXACT; the enumeration is in
  :mod:`captemstats.compare._exact`) and R's Monte-Carlo form (``simulate.p.value = TRUE``).

Where scipy differs from R the R behaviour is implemented here: ``scipy.stats.chi2_contingency``
applies Yates' correction to 2×2 tables by default; ``scipy.stats.fisher_exact`` handles r×c
tables (scipy >= 1.15) by resampling, not by R's exact enumeration (it gives 1e-4 where R gives
4.05e-5 for a grade × line table of the synthetic cohort). P values agree with R to 1e-6
(``tests/test_compare.py`` checks them against ``tests/reference/``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.compare._exact import (
    DEFAULT_MAX_WORK,
    FEXACT_TOL,
    EnumerationTooLarge,
    _fisher_2x2,
    _fisher_monte_carlo,
    _fisher_rxc,
)
from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]

#: R's default number of Monte-Carlo replicates (``fisher.test(B = 2000)``).
DEFAULT_B = 2000
#: Default seed of the Monte-Carlo P value (the result is reproducible; R uses the session RNG).
DEFAULT_SEED = 20240601
#: gtsummary's threshold: chi-square only when every expected count is at least this.
MIN_EXPECTED = 5.0


# -- helpers ----------------------------------------------------------------------------------


def _as_count_table(table: Any, name: str = "table") -> tuple[IntArray, list[str], list[str]]:
    """A 2-D table of non-negative integer counts with its row and column labels."""
    import pandas as pd

    if isinstance(table, pd.DataFrame):
        rows = [str(x) for x in table.index]
        cols = [str(x) for x in table.columns]
        values = table.to_numpy()
    else:
        values = np.asarray(table)
        rows = cols = []
    if values.ndim != 2:
        raise AnalysisError(f"{name}: a contingency table must be 2-dimensional, got {values.ndim}")
    try:
        as_float = values.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"{name}: counts must be numbers ({exc})") from exc
    bad = ~np.isfinite(as_float) | (as_float < 0) | (as_float != np.round(as_float))
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        raise AnalysisError(
            f"{name}: cell ({i}, {j}) is {values[i, j]!r}; counts must be non-negative integers"
        )
    counts = as_float.astype(np.int64)
    if not rows:
        rows = [str(i) for i in range(counts.shape[0])]
        cols = [str(j) for j in range(counts.shape[1])]
    return counts, rows, cols


def _nonempty(counts: IntArray) -> IntArray:
    """The table without all-zero rows and columns."""
    out: IntArray = counts[counts.sum(axis=1) > 0][:, counts.sum(axis=0) > 0]
    return out


def _expected(counts: IntArray) -> FloatArray:
    n = counts.sum()
    if n == 0:
        return np.zeros(counts.shape, dtype=np.float64)
    out: FloatArray = np.outer(counts.sum(axis=1), counts.sum(axis=0)) / float(n)
    return out


# -- Pearson chi-square -----------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class ChiSquareResult(Displayed):
    """Pearson's chi-square test of independence (no continuity correction).

    ``observed``/``expected`` are the table as given (rows × columns); ``min_expected`` and
    ``n_expected_below_5`` describe it, the basis of gtsummary's chi-square/Fisher choice.

    Examples
    --------
    >>> from captemstats.compare import chi_square_test
    >>> r = chi_square_test([[12, 5], [7, 9]])
    >>> r.expected.round(2).tolist(), round(r.min_expected, 2)
    ([[9.79, 7.21], [9.21, 6.79]], 6.79)
    """

    statistic: float
    df: int
    p_value: float
    observed: IntArray
    expected: FloatArray
    row_labels: tuple[str, ...]
    col_labels: tuple[str, ...]
    min_expected: float
    n_expected_below_5: int
    method: MethodInfo
    test: str = "chisq"

    def _headline(self) -> str:
        return f"chi-square {self.statistic:.4g} on {self.df} df, P = {self.p_value:.3g}"

    def summary(self) -> pd.DataFrame:
        """The test: statistic, df, P and the smallest expected count (:meth:`to_frame`)."""
        return self.to_frame()

    @property
    def any_expected_below_5(self) -> bool:
        return self.n_expected_below_5 > 0

    def to_frame(self) -> pd.DataFrame:
        """One row per cell: row, column, observed, expected, with the test's statistic, df, P."""
        import pandas as pd

        r, c = self.observed.shape
        return pd.DataFrame(
            {
                "row": np.repeat(np.array(self.row_labels, dtype=object), c),
                "column": np.tile(np.array(self.col_labels, dtype=object), r),
                "observed": self.observed.ravel(),
                "expected": self.expected.ravel(),
                "statistic": self.statistic,
                "df": self.df,
                "p_value": self.p_value,
                "test": self.test,
            }
        )


def chi_square_test(table: pd.DataFrame | npt.ArrayLike) -> ChiSquareResult:
    """Pearson's chi-square test without continuity correction: R's
    ``chisq.test(table, correct = FALSE)``.

    X² = Σ (O − E)² / E with E = row total × column total / n, on (r − 1)(c − 1) degrees of
    freedom. The expected counts of the table as given are reported (so an all-zero row shows
    as expected 0); the statistic is computed over its non-empty rows and columns, where R
    would return NaN. ``scipy.stats.chi2_contingency`` would apply Yates' correction to a 2×2
    table unless told not to; this never does.

    Parameters
    ----------
    table
        A 2-D table of counts (nested lists, an array or a data frame; the index and columns
        of a data frame become the row and column labels).

    Returns
    -------
    ChiSquareResult
        The statistic, df, P, the observed and expected counts and the smallest expected
        count.

    Notes
    -----
    Pearson (1900); the expected counts decide gtsummary's choice between this test and
    Fisher's (every expected count at least 5).

    Examples
    --------
    >>> r = chi_square_test([[12, 5], [7, 9]])
    >>> round(r.statistic, 4), r.df, round(r.p_value, 4), r.n_expected_below_5
    (2.4306, 1, 0.119, 0)
    """
    from scipy.stats import chi2

    counts, rows, cols = _as_count_table(table)
    expected = _expected(counts)
    used = _nonempty(counts)
    if used.shape[0] < 2 or used.shape[1] < 2:
        raise AnalysisError(
            f"chi-square test needs at least 2 non-empty rows and columns; table is {counts.shape}"
            f" with {used.shape[0]} non-empty row(s) and {used.shape[1]} non-empty column(s)"
        )
    e = _expected(used)
    stat = float(((used - e) ** 2 / e).sum())
    df = (used.shape[0] - 1) * (used.shape[1] - 1)
    return ChiSquareResult(
        statistic=stat,
        df=df,
        p_value=float(chi2.sf(stat, df)),
        observed=counts,
        expected=expected,
        row_labels=tuple(rows),
        col_labels=tuple(cols),
        min_expected=float(expected.min()),
        n_expected_below_5=int((expected < MIN_EXPECTED).sum()),
        method=MethodInfo(
            test="Pearson's chi-square test",
            continuity_correction=False,
            software_equivalent="chisq.test(x, correct = FALSE)",
            notes=("expected counts E = row total × column total / n",),
        ),
    )


# -- Fisher's exact test ----------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class FisherResult(Displayed):
    """Fisher's exact test of independence for an r×c table.

    ``algorithm`` is ``"hypergeometric"`` (2×2), ``"network"`` (exact r×c enumeration) or
    ``"monte_carlo"``; for the last, ``b`` tables were simulated with ``seed`` and ``hits`` of
    them were as or less probable than the observed one (P = (1 + hits) / (b + 1)).

    Examples
    --------
    >>> from captemstats.compare import fisher_test
    >>> r = fisher_test([[2, 0, 3], [1, 4, 1]], simulate=True, b=999, seed=1)
    >>> r.algorithm, r.b, r.p_value == (1 + r.hits) / (r.b + 1)
    ('monte_carlo', 999, True)
    """

    p_value: float
    n: int
    shape: tuple[int, int]
    algorithm: str
    observed: IntArray
    method: MethodInfo
    b: int | None = None
    seed: int | None = None
    hits: int | None = None
    test: str = "fisher"

    def _headline(self) -> str:
        rows, cols = self.shape
        return f"{rows} x {cols} table, n = {self.n}, P = {self.p_value:.3g} ({self.algorithm})"

    def summary(self) -> pd.DataFrame:
        """The test: P and how it was computed (:meth:`to_frame`)."""
        return self.to_frame()

    @property
    def simulated(self) -> bool:
        return self.algorithm == "monte_carlo"

    def to_frame(self) -> pd.DataFrame:
        """One row: test, P value, n, table shape, algorithm and Monte-Carlo settings."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "test": self.test,
                    "p_value": self.p_value,
                    "n": self.n,
                    "rows": self.shape[0],
                    "columns": self.shape[1],
                    "algorithm": self.algorithm,
                    "b": self.b,
                    "seed": self.seed,
                    "hits": self.hits,
                }
            ]
        )


def fisher_test(
    table: pd.DataFrame | npt.ArrayLike,
    *,
    simulate: bool = False,
    b: int = DEFAULT_B,
    seed: int | None = DEFAULT_SEED,
    max_work: int = DEFAULT_MAX_WORK,
) -> FisherResult:
    """Fisher's exact test: R's ``fisher.test(table)`` (two-sided).

    *2×2 tables* — the conditional test: given the margins, x₁₁ is hypergeometric; P sums the
    probabilities of the tables whose probability is ≤ the observed one × (1 + 1e-7) (R's
    ``relErr``).

    *r×c tables* — P is the total probability, under the multivariate hypergeometric law given
    both margins, of the tables as or less probable than the observed one. R computes it with
    FEXACT (Mehta & Patel's network algorithm, ACM TOMS 643); this computes the same quantity
    with the same tolerance (a table counts when log P ≤ log P_obs + 3.45254e-7, FEXACT's
    ``tol``) by a vectorised network enumeration of the same network: columns are filled one
    at a time; partial tables leading to the same remaining row totals (sorted, a node) and
    with the same past probability are merged; a node whose every completion is ≤ P_obs adds
    its closed-form total probability at once, and one whose every completion is more probable
    is dropped. As in FEXACT the decision uses each node's exact longest and shortest path
    (most and least probable completion), found here by a backward pass over the node network
    from closed-form two-column extremes rather than by FEXACT's f3xact/f4xact searches; the
    partial tables left at two columns are summed against each node's sorted completions. The
    P value is the same (agreement with R ~1e-11); the order of work differs, and the cost is
    bounded by vectorised array sizes instead of FEXACT's workspace. FEXACT's chi-square
    shortcut is not used (R disables it: ``fisher.test`` passes ``expect = -1``). When the node
    network (about 2 million splits per column), the partial tables of a stage or the
    completions at the last two columns exceed ``max_work``, or the smaller dimension exceeds
    8, :class:`EnumerationTooLarge` is raised (R's analogue is the "FEXACT error 7 … increase
    workspace" failure); use ``simulate=True`` instead. A 3×5 table with n = 308 takes about
    a second.

    *Monte Carlo* (``simulate=True``, any shape) — R's ``simulate.p.value = TRUE``: ``b`` random
    tables with the observed margins (uniform random pairing of row and column labels, the law
    of R's ``r2dtable``), statistic −Σ log xᵢⱼ!, P = (1 + #{sim ≤ obs / (1 + 64ε)}) / (b + 1).
    The draws come from numpy's generator seeded with ``seed``, so they differ from R's.

    Rows and columns with zero totals are dropped (they do not change P); a table left with a
    single row or column has P = 1.

    Parameters
    ----------
    table
        A 2-D table of counts, as :func:`chi_square_test`.
    simulate
        Monte-Carlo P value instead of the exact one (R ``simulate.p.value = TRUE``).
    b
        Number of simulated tables (R's ``B``).
    seed
        Seed of the simulation (None: fresh entropy).
    max_work
        Size limit of the exact enumeration (see above).

    Returns
    -------
    FisherResult
        The P value, the algorithm used and, for the simulation, ``b``, ``seed`` and
        ``hits``.

    Raises
    ------
    EnumerationTooLarge
        The exact r×c enumeration exceeds ``max_work`` (use ``simulate=True``).

    Examples
    --------
    >>> r = fisher_test([[3, 1], [1, 3]])
    >>> round(r.p_value, 4), r.algorithm
    (0.4857, 'hypergeometric')
    >>> r = fisher_test([[2, 0, 3], [1, 4, 1]])
    >>> round(r.p_value, 4), r.algorithm
    (0.1082, 'network')
    """
    counts, _, _ = _as_count_table(table)
    used = _nonempty(counts)
    n = int(counts.sum())
    shape = (int(counts.shape[0]), int(counts.shape[1]))
    if n == 0:
        raise AnalysisError("Fisher's exact test: the table is empty (all counts are 0)")
    if simulate:
        return _fisher_simulated(counts, used, b, seed)
    if min(used.shape) < 2:
        p, algorithm = 1.0, "trivial"
    elif used.shape == (2, 2):
        p, algorithm = _fisher_2x2(used), "hypergeometric"
    else:
        p, algorithm = _fisher_rxc(used, max_work=max_work), "network"
    return FisherResult(
        p_value=p,
        n=n,
        shape=shape,
        algorithm=algorithm,
        observed=counts,
        method=MethodInfo(
            test="Fisher's exact test",
            software_equivalent="fisher.test(x)",
            notes=(
                "two-sided: tables as or less probable than observed"
                + (" (relative tolerance 1e-7)" if algorithm == "hypergeometric" else ""),
            ),
        ),
    )


def _fisher_simulated(counts: IntArray, used: IntArray, b: int, seed: int | None) -> FisherResult:
    """The Monte-Carlo form of :func:`fisher_test` (``used``: the non-empty rows and columns)."""
    if b < 1:
        raise AnalysisError(f"Fisher's exact test: b must be a positive integer, got {b}")
    p, hits = (1.0, b) if min(used.shape) < 2 else _fisher_monte_carlo(used, b, seed)
    return FisherResult(
        p_value=p,
        n=int(counts.sum()),
        shape=(int(counts.shape[0]), int(counts.shape[1])),
        algorithm="monte_carlo",
        observed=counts,
        b=b,
        seed=seed,
        hits=hits,
        test="fisher_mc",
        method=MethodInfo(
            test="Fisher's exact test (Monte Carlo P value)",
            software_equivalent=f"fisher.test(x, simulate.p.value = TRUE, B = {b})",
            notes=(f"{b} tables simulated with the observed margins (numpy seed {seed})",),
        ),
    )


__all__ = [
    "DEFAULT_B",
    "DEFAULT_MAX_WORK",
    "DEFAULT_SEED",
    "FEXACT_TOL",
    "MIN_EXPECTED",
    "ChiSquareResult",
    "EnumerationTooLarge",
    "FisherResult",
    "chi_square_test",
    "fisher_test",
]
