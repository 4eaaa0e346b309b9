"""Group comparisons for the characteristics tables (issue 4, items 5–6).

Reproduces what R and gtsummary report for Table 1 (``tbl_summary(by = line_group) |>
add_p()``) and the response-rate comparisons of Table 2:

* :func:`chi_square_test` — Pearson's chi-square without continuity correction, as R's
  ``chisq.test(x, correct = FALSE)``, with the expected counts;
* :func:`fisher_test` — Fisher's exact test, as R's ``fisher.test``: the 2×2 conditional test,
  the exact r×c test and R's Monte-Carlo form (``simulate.p.value = TRUE``);
* :func:`compare_categorical` — gtsummary's default rule: chi-square when every expected count
  is at least 5, Fisher's exact test otherwise;
* :func:`wilcoxon_rank_sum_test`, :func:`kruskal_wallis_test` and :func:`compare_continuous` —
  R's ``wilcox.test`` (two groups) and ``kruskal.test`` (more than two);
* :func:`summarize_characteristics` — counts, percentages, summaries and P values in one tidy
  frame (:class:`CharacteristicsSummary`), consumed by
  :func:`captemstats.tables.characteristics_table`.

Where scipy differs from R the R behaviour is implemented here: ``scipy.stats.chi2_contingency``
applies Yates' correction to 2×2 tables by default; ``scipy.stats.fisher_exact`` handles r×c
tables (scipy >= 1.15) by resampling, not by R's exact enumeration (it gives 1e-4 where R gives
4.05e-5 for a grade × line table of the synthetic cohort); ``mannwhitneyu`` chooses its
exact/asymptotic method by other rules than R's ``wilcox.test``. P values agree with R to 1e-6
(``tests/test_compare.py`` checks them against ``tests/reference/``).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import MethodInfo

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]

#: The name of the all-patients group in a :class:`CharacteristicsSummary`.
OVERALL = "all"

#: R's ``fisher.test`` relative tolerance for "as or less probable than observed" (2×2 case).
R_REL_ERR = 1 + 1e-7
#: FEXACT's tolerance (``tol`` in ``f2xact``, on the log-probability scale) for the r×c case.
FEXACT_TOL = 3.45254e-7
#: R's default number of Monte-Carlo replicates (``fisher.test(B = 2000)``).
DEFAULT_B = 2000
#: Default seed of the Monte-Carlo P value (the result is reproducible; R uses the session RNG).
DEFAULT_SEED = 20240601
#: Default limit on the partial tables held at one stage of the exact r×c enumeration.
DEFAULT_MAX_WORK = 20_000_000
#: gtsummary's threshold: chi-square only when every expected count is at least this.
MIN_EXPECTED = 5.0

CategoricalTest = Literal["auto", "chisq", "fisher", "fisher_mc"]
VariableType = Literal["categorical", "continuous"]


class EnumerationTooLarge(AnalysisError):
    """The exact r×c Fisher enumeration would exceed its work limit (use the Monte-Carlo form)."""


# -- helpers ----------------------------------------------------------------------------------


def _log_factorials(n: int) -> FloatArray:
    from scipy.special import gammaln

    out: FloatArray = gammaln(np.arange(n + 2, dtype=np.float64) + 1.0)
    return out


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


@dataclass(frozen=True, eq=False)
class ChiSquareResult:
    """Pearson's chi-square test of independence (no continuity correction).

    ``observed``/``expected`` are the table as given (rows × columns); ``min_expected`` and
    ``n_expected_below_5`` describe it, the basis of gtsummary's chi-square/Fisher choice.
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


def chi_square_test(table: Any) -> ChiSquareResult:
    """Pearson's chi-square test without continuity correction: R's
    ``chisq.test(table, correct = FALSE)``.

    X² = Σ (O − E)² / E with E = row total × column total / n, on (r − 1)(c − 1) degrees of
    freedom. The expected counts of the table as given are reported (so an all-zero row shows
    as expected 0); the statistic is computed over its non-empty rows and columns, where R
    would return NaN. ``scipy.stats.chi2_contingency`` would apply Yates' correction to a 2×2
    table unless told not to; this never does.
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


@dataclass(frozen=True, eq=False)
class FisherResult:
    """Fisher's exact test of independence for an r×c table.

    ``algorithm`` is ``"hypergeometric"`` (2×2), ``"network"`` (exact r×c enumeration) or
    ``"monte_carlo"``; for the last, ``b`` tables were simulated with ``seed`` and ``hits`` of
    them were as or less probable than the observed one (P = (1 + hits) / (b + 1)).
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
    table: Any,
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
    """
    counts, _, _ = _as_count_table(table)
    used = _nonempty(counts)
    n = int(counts.sum())
    shape = (int(counts.shape[0]), int(counts.shape[1]))
    if n == 0:
        raise AnalysisError("Fisher's exact test: the table is empty (all counts are 0)")
    if simulate:
        if b < 1:
            raise AnalysisError(f"Fisher's exact test: b must be a positive integer, got {b}")
        p, hits = (1.0, b) if min(used.shape) < 2 else _fisher_monte_carlo(used, b, seed)
        return FisherResult(
            p_value=p,
            n=n,
            shape=shape,
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


def _fisher_2x2(t: IntArray) -> float:
    """R's 2×2 ``fisher.test``: P = Σ d[d <= d_obs · relErr] over the hypergeometric support."""
    from scipy.special import gammaln

    m, nn = int(t[:, 0].sum()), int(t[:, 1].sum())
    k, x = int(t[0].sum()), int(t[0, 0])
    support = np.arange(max(0, k - nn), min(k, m) + 1, dtype=np.float64)
    logd = (
        gammaln(m + 1.0)
        - gammaln(support + 1.0)
        - gammaln(m - support + 1.0)
        + gammaln(nn + 1.0)
        - gammaln(k - support + 1.0)
        - gammaln(nn - k + support + 1.0)
    )
    d = np.exp(logd - logd.max())
    d /= d.sum()
    obs = d[x - int(support[0])]
    return float(min(1.0, max(0.0, d[d <= obs * R_REL_ERR].sum())))


def _allocations(nodes: IntArray, c: int) -> tuple[IntArray, IntArray]:
    """Every way to split a column total ``c`` over each node's rows (xᵢ <= rowᵢ): the parent
    node index of each split and the splits (one row each)."""
    m, r = nodes.shape
    suffix = np.concatenate(
        [np.cumsum(nodes[:, ::-1], axis=1)[:, ::-1], np.zeros((m, 1), np.int64)], axis=1
    )
    parent = np.arange(m)
    rem = np.full(m, c, dtype=np.int64)
    parts: list[IntArray] = []
    for i in range(r):
        cap = nodes[parent, i]
        lo = np.maximum(0, rem - suffix[parent, i + 1])
        hi = np.minimum(rem, cap)
        cnt = np.maximum(hi - lo + 1, 0)
        idx = np.repeat(np.arange(parent.size), cnt)
        offset = np.arange(idx.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        x = lo[idx] + offset
        parts = [p[idx] for p in parts]
        parts.append(x)
        parent = parent[idx]
        rem = rem[idx] - x
    return parent, np.stack(parts, axis=1)


def _allocation_counts(nodes: IntArray, c: int) -> FloatArray:
    """Number of splits of ``c`` over each node's rows with xᵢ <= rowᵢ (vectorised DP)."""
    m = nodes.shape[0]
    ways = np.zeros((m, c + 1))
    ways[:, 0] = 1.0
    grid = np.arange(c + 1)[None, :]
    for i in range(nodes.shape[1]):
        cs = np.cumsum(ways, axis=1)
        back = grid - nodes[:, i : i + 1] - 1
        sub = np.where(back >= 0, np.take_along_axis(cs, np.maximum(back, 0), axis=1), 0.0)
        ways = cs - sub
    out: FloatArray = ways[:, c]
    return out


_CHUNK = 1_000_000
#: Largest smaller dimension for the exact r×c enumeration (vertex search is 2^(r-1)·r).
_MAX_ROWS = 8
#: Largest number of splits of one column held in the node network.
_MAX_EDGES = 2_000_000


def _node_chunks(counts: FloatArray) -> list[tuple[int, int]]:
    """Consecutive node ranges holding about ``_CHUNK`` splits each."""
    ends = np.cumsum(counts)
    cuts = np.searchsorted(ends, np.arange(_CHUNK, ends[-1] if ends.size else 0, _CHUNK))
    bounds = sorted({0, *(int(c) + 1 for c in cuts), counts.size})
    return [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


def _two_column_values(nodes: IntArray, c: int, lf: FloatArray) -> tuple[IntArray, FloatArray]:
    """Completions of nodes with two columns left (c and the rest): each is a split x of c;
    returns the node of each completion (ascending) and its value −Σ log x! − Σ log (r − x)!."""
    parent, x = _allocations(nodes, c)
    values: FloatArray = -lf[x].sum(axis=1) - lf[nodes[parent] - x].sum(axis=1)
    return parent, values


def _unique_rows(a: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Unique rows of a non-negative integer array (values <= n) and the inverse index; rows
    are packed into one int64 key when they fit (much faster than ``np.unique(axis=0)``)."""
    r = a.shape[1]
    if r * math.log2(n + 1) < 62:
        base = np.int64(n + 1) ** np.arange(r, dtype=np.int64)
        keys, inv = np.unique(a @ base, return_inverse=True)
        uniq = (keys[:, None] // base[None, :]) % (n + 1)
        return uniq.astype(np.int64), np.asarray(inv, dtype=np.int64).ravel()
    uniq, inv = np.unique(a, axis=0, return_inverse=True)
    return uniq, np.asarray(inv, dtype=np.int64).ravel()


def _two_column_extremes(nodes: IntArray, c: int, lf: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exact largest and smallest completion values of nodes with two columns left, without
    enumerating them. Each value is Σᵢ gᵢ(xᵢ), gᵢ(x) = −log x! − log (rᵢ − x)!, over splits
    Σ xᵢ = c, 0 <= xᵢ <= rᵢ. gᵢ is concave: the largest comes from the proportional split
    ⌊rᵢc/n⌋ completed greedily and improved by unit exchanges until none gains. The smallest
    (a convex maximisation of −g) lies at a vertex: every row but one at 0 or rᵢ."""
    m, r = nodes.shape
    n = nodes.sum(axis=1)
    if m == 0:
        return np.empty(0), np.empty(0)

    def value(x: IntArray) -> FloatArray:
        out: FloatArray = -(lf[x] + lf[nodes - x]).sum(axis=1)
        return out

    # largest: proportional start, greedy completion, then exchanges
    x = (nodes * c) // np.maximum(n, 1)[:, None]
    rows = np.arange(m)
    with np.errstate(divide="ignore"):
        for _ in range(r + 1):
            deficit = c - x.sum(axis=1)
            if not (deficit > 0).any():
                break
            up = np.where(x < nodes, np.log(nodes - x) - np.log(x + 1), -np.inf)
            best = np.argmax(up, axis=1)
            x[rows, best] += (deficit > 0).astype(np.int64)
        for _ in range(10 * (c + r)):
            up = np.where(x < nodes, np.log(nodes - x) - np.log(x + 1), -np.inf)
            down = np.where(x > 0, np.log(x) - np.log(nodes - x + 1), -np.inf)
            i = np.argmax(up, axis=1)
            masked = down.copy()
            masked[rows, i] = -np.inf
            j = np.argmax(masked, axis=1)
            gain = up[rows, i] + masked[rows, j]
            move = gain > 1e-12
            if not move.any():
                break
            x[rows[move], i[move]] += 1
            x[rows[move], j[move]] -= 1
    largest = value(x)
    # smallest: vertices (row k free, the others at 0 or their total)
    smallest = np.full(m, np.inf)
    for k in range(r):
        others = [i for i in range(r) if i != k]
        for bits in range(1 << len(others)):
            full = np.array([(bits >> b) & 1 for b in range(len(others))], dtype=bool)
            v = np.zeros_like(nodes)
            for b, i in enumerate(others):
                if full[b]:
                    v[:, i] = nodes[:, i]
            v[:, k] = c - v.sum(axis=1)
            ok = (v[:, k] >= 0) & (v[:, k] <= nodes[:, k])
            vals = np.where(ok, value(np.clip(v, 0, nodes)), np.inf)
            smallest = np.minimum(smallest, vals)
    return largest, smallest


def _fisher_rxc(table: IntArray, *, max_work: int) -> float:
    """Exact r×c Fisher P by network enumeration (see :func:`fisher_test`).

    Rows are the smaller dimension; columns are filled in ascending order of their totals. A
    node at stage j is the sorted vector of row totals left after j columns. First the node
    network is built (every split of each column) and, backwards from the nodes with two
    columns left, the exact largest and smallest completion values of every node (FEXACT's
    longest and shortest paths). Then partial tables (node, past value, frequency) flow forward:
    each is settled as soon as its node's bounds decide it — all completions count (add the
    node's closed-form total probability) or none does (drop) — and the rest are expanded and
    merged. At two columns left the remaining partial tables are summed against the node's
    sorted completion values.
    """
    t = table if table.shape[0] <= table.shape[1] else table.T
    n = int(t.sum())
    lf = _log_factorials(n)
    rows = np.sort(t.sum(axis=1)).astype(np.int64)
    cols = np.sort(t.sum(axis=0)).astype(np.int64)
    n_col = cols.size
    if rows.size > _MAX_ROWS:
        raise EnumerationTooLarge(
            f"Fisher's exact test: exact enumeration is limited to tables with at most "
            f"{_MAX_ROWS} non-empty rows or columns (got {table.shape[0]}×{table.shape[1]}); "
            "use the Monte-Carlo P value (simulate=True)"
        )
    const = float(lf[rows].sum() + lf[cols].sum() - lf[n])
    threshold = float(-lf[t].sum() + FEXACT_TOL)

    def too_large(what: str, size: float) -> EnumerationTooLarge:
        return EnumerationTooLarge(
            f"Fisher's exact test: the exact enumeration of this {table.shape[0]}×"
            f"{table.shape[1]} table (n = {n}) needs {size:,.0f} {what}, more than "
            f"max_work = {max_work:,}; use the Monte-Carlo P value (simulate=True)"
        )

    # -- node network: stages 0 .. n_col - 2 (the last stage has two columns left)
    stage_nodes: list[IntArray] = [rows[None, :]]
    edges: list[tuple[IntArray, IntArray, FloatArray]] = []
    for j in range(n_col - 2):
        nodes = stage_nodes[j]
        n_edges = float(_allocation_counts(nodes, int(cols[j])).sum())
        if n_edges > min(max_work, _MAX_EDGES):
            raise too_large(
                f"splits of column {j + 1} (node network limit {_MAX_EDGES:,})", n_edges
            )
        parent, x = _allocations(nodes, int(cols[j]))
        child_rows = np.sort(nodes[parent] - x, axis=1)
        uniq, inv = _unique_rows(child_rows, n)
        edges.append((parent, inv, -lf[x].sum(axis=1)))
        stage_nodes.append(uniq)
    last = stage_nodes[-1]
    last_counts = _allocation_counts(last, int(cols[n_col - 2]))
    if float(last_counts.sum()) > max_work:
        raise too_large("completions at the last two columns", float(last_counts.sum()))
    f_max = [np.empty(0)] * (n_col - 1)
    f_min = [np.empty(0)] * (n_col - 1)
    f_max[-1], f_min[-1] = _two_column_extremes(last, int(cols[n_col - 2]), lf)
    for j in range(n_col - 3, -1, -1):
        parent, child, step = edges[j]
        starts = np.searchsorted(parent, np.arange(stage_nodes[j].shape[0]))
        f_max[j] = np.maximum.reduceat(step + f_max[j + 1][child], starts)
        f_min[j] = np.minimum.reduceat(step + f_min[j + 1][child], starts)
    n_left = np.concatenate([[n], n - np.cumsum(cols)])
    log_sum = [
        lf[n_left[j]] - lf[stage_nodes[j]].sum(axis=1) - lf[cols[j:]].sum()
        for j in range(n_col - 1)
    ]

    total: list[float] = []

    def settle(
        j: int, node: IntArray, val: FloatArray, freq: FloatArray
    ) -> tuple[IntArray, FloatArray, FloatArray]:
        sure = val + f_max[j][node] <= threshold
        if sure.any():
            total.append(
                float((freq[sure] * np.exp(const + val[sure] + log_sum[j][node[sure]])).sum())
            )
        keep = ~sure & (val + f_min[j][node] <= threshold)
        return node[keep], val[keep], freq[keep]

    e_node, e_val, e_freq = settle(0, np.zeros(1, dtype=np.int64), np.zeros(1), np.ones(1))
    for j in range(n_col - 2):
        if e_node.size == 0:
            break
        parent, child, step = edges[j]
        m = stage_nodes[j].shape[0]
        a_start = np.searchsorted(parent, np.arange(m))
        a_count = np.bincount(parent, minlength=m)
        per_entry = a_count[e_node]
        work = float(per_entry.sum())
        if work > max_work:
            raise too_large(f"partial tables at column {j + 1}", work)
        cum = np.cumsum(per_entry)
        kept: list[tuple[IntArray, FloatArray, FloatArray]] = []
        lo = 0
        while lo < e_node.size:
            hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _CHUNK, side="right"))
            hi = max(hi, lo + 1)
            cnt = per_entry[lo:hi]
            ent = np.repeat(np.arange(lo, hi), cnt)
            within = np.arange(ent.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
            alloc = a_start[e_node[ent]] + within
            kept.append(settle(j + 1, child[alloc], e_val[ent] + step[alloc], e_freq[ent]))
            lo = hi
        new_node = np.concatenate([k[0] for k in kept])
        new_val = np.concatenate([k[1] for k in kept])
        new_freq = np.concatenate([k[2] for k in kept])
        # merge partial tables with the same node and (numerically) the same past value
        key_val = np.round(new_val * 1e9).astype(np.int64)
        srt = np.lexsort((key_val, new_node))
        new_node, key_val = new_node[srt], key_val[srt]
        new_val, new_freq = new_val[srt], new_freq[srt]
        first = np.ones(srt.size, dtype=bool)
        first[1:] = (new_node[1:] != new_node[:-1]) | (key_val[1:] != key_val[:-1])
        e_freq = np.bincount(np.cumsum(first) - 1, weights=new_freq).astype(np.float64)
        e_node, e_val = new_node[first], new_val[first]
    if e_node.size:
        total.append(
            _resolve_last_two(
                last,
                last_counts,
                e_node,
                e_val,
                e_freq,
                int(cols[n_col - 2]),
                lf,
                const,
                threshold,
            )
        )
    return float(min(1.0, max(0.0, math.fsum(total))))


def _resolve_last_two(
    nodes: IntArray,
    counts: FloatArray,
    e_node: IntArray,
    e_val: FloatArray,
    e_freq: FloatArray,
    c: int,
    lf: FloatArray,
    const: float,
    threshold: float,
) -> float:
    """Sum, over partial tables with two columns left, of the probability of their completions
    with value <= ``threshold`` − past value: per node the completion values are sorted with
    the partial tables' limits (completions first at ties) and prefix sums of the completions'
    weights are read at each limit. Only nodes holding partial tables are enumerated, in
    chunks of about ``_CHUNK`` completions."""
    order = np.argsort(e_node, kind="stable")
    e_node, e_val, e_freq = e_node[order], e_val[order], e_freq[order]
    used = np.unique(e_node)
    sub = nodes[used]
    sub_counts = counts[used]
    e_sub = np.searchsorted(used, e_node)
    bounds = np.searchsorted(e_sub, np.arange(used.size + 1))
    total = 0.0
    for lo, hi in _node_chunks(sub_counts):
        a, b = bounds[lo], bounds[hi]
        block = sub[lo:hi]
        parent, values = _two_column_values(block, c, lf)
        starts = np.searchsorted(parent, np.arange(hi - lo))
        shift = np.maximum.reduceat(values, starts)
        weight = np.exp(values - shift[parent])
        en = e_sub[a:b] - lo
        limit = threshold - e_val[a:b]
        key_node = np.concatenate([parent, en])
        key_val = np.concatenate([values, limit])
        kind = np.concatenate([np.zeros(parent.size, np.int8), np.ones(en.size, np.int8)])
        srt = np.lexsort((kind, key_val, key_node))
        w_sorted = np.concatenate([weight, np.zeros(en.size)])[srt]
        cum = np.cumsum(w_sorted)
        node_sorted = key_node[srt]
        first = np.searchsorted(node_sorted, np.arange(hi - lo), side="left")
        before = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
        pos = np.flatnonzero(kind[srt] == 1)
        ent = srt[pos] - parent.size
        below = cum[pos] - before[node_sorted[pos]]
        nd = en[ent]
        total += float(
            (e_freq[a:b][ent] * np.exp(const + e_val[a:b][ent] + shift[nd]) * below).sum()
        )
    return total


def _fisher_monte_carlo(table: IntArray, b: int, seed: int | None) -> tuple[float, int]:
    """R's ``fisher.test(simulate.p.value = TRUE)``: (1 + hits) / (b + 1)."""
    n = int(table.sum())
    r, c = table.shape
    lf = _log_factorials(n)
    stat = -lf[table].sum()
    row_labels = np.repeat(np.arange(r), table.sum(axis=1))
    col_of = np.repeat(np.arange(c), table.sum(axis=0))
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // max(n, 1))
    sims: list[FloatArray] = []
    for start in range(0, b, chunk):
        size = min(chunk, b - start)
        perm = rng.permuted(np.tile(row_labels, (size, 1)), axis=1)
        cell = perm * c + col_of + (np.arange(size) * (r * c))[:, None]
        counts = np.bincount(cell.ravel(), minlength=size * r * c).reshape(size, r * c)
        sims.append(-lf[counts].sum(axis=1))
    almost_one = 1 + 64 * np.finfo(float).eps
    hits = int((np.concatenate(sims) <= stat / almost_one).sum())
    return (1 + hits) / (b + 1), hits


# -- rank tests ------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class RankTestResult:
    """A Wilcoxon rank-sum or Kruskal–Wallis test.

    ``statistic`` is R's W (sum of the first group's ranks minus n₁(n₁+1)/2) or the
    tie-corrected Kruskal–Wallis H; ``df`` is k − 1 for Kruskal–Wallis (None for Wilcoxon);
    ``exact`` tells whether the Wilcoxon P is exact.
    """

    test: str
    statistic: float
    p_value: float
    df: int | None
    n: tuple[int, ...]
    exact: bool
    ties: bool
    method: MethodInfo

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
    x: Any, y: Any, *, exact: bool | None = None, correct: bool = True
) -> RankTestResult:
    """Wilcoxon rank-sum (Mann–Whitney) test: R's ``wilcox.test(x, y)`` (two-sided).

    W = Σ ranks of x − n_x(n_x + 1)/2 (mid-ranks for ties). By default (``exact=None``) the P
    value is exact when both samples have fewer than 50 values and there are no ties, as R;
    otherwise the normal approximation with the tie-corrected variance and, when ``correct``,
    the continuity correction of 0.5. Missing values are dropped. scipy's ``mannwhitneyu``
    picks the exact method by different rules, hence this implementation.
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


def kruskal_wallis_test(samples: Sequence[Any]) -> RankTestResult:
    """Kruskal–Wallis rank-sum test: R's ``kruskal.test(list(...))``.

    H = [12 / (N(N + 1)) Σ Rᵢ²/nᵢ − 3(N + 1)] / [1 − Σ(t³ − t)/(N³ − N)] (mid-ranks, tie
    correction), chi-square on k − 1 df, where k counts the groups with at least one value
    (R's ``factor()`` drops empty groups). Missing values are dropped. All values tied gives
    NaN, as R.
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


# -- comparisons of a variable across groups -------------------------------------------------


def _levels_of(s: pd.Series, variable: str, given: Sequence[Any] | None) -> list[str]:
    """Display order of a categorical variable's levels (as text)."""
    import pandas as pd

    if given is not None:
        return [str(v) for v in given]
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [str(v) for v in s.cat.categories]
    if pd.api.types.is_bool_dtype(s.dtype):
        return ["True", "False"]
    if pd.api.types.is_numeric_dtype(s.dtype):  # numbers in numeric order, as R's factor()
        return list(dict.fromkeys(str(v) for v in sorted(s.dropna().unique())))
    present = sorted({str(v) for v in s.dropna().unique()})
    from captemstats.schema import LABELS

    known = [k for k in LABELS.get(variable, {}) if k in present]
    return known + [v for v in present if v not in known]


def _as_text(s: pd.Series) -> pd.Series:
    """Values as strings (booleans as "True"/"False"), missing kept missing (vectorised)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(s.dtype):
        b = s.astype("boolean")
        text = np.where(b.fillna(False).to_numpy(dtype=bool), "True", "False")
        return pd.Series(text, index=s.index, dtype="string").mask(b.isna())
    return s.astype("string")


def _group_codes(
    df: pd.DataFrame, by: str, groups: Sequence[Any] | None
) -> tuple[list[str], IntArray]:
    """The ``by`` groups (category order, else sorted) and each row's code (-1 = missing)."""
    import pandas as pd

    if by not in df.columns:
        raise AnalysisError(f"grouping column {by!r} is not in the data")
    s = df[by]
    if groups is None:
        if isinstance(s.dtype, pd.CategoricalDtype):
            names = [str(v) for v in s.cat.categories]
        elif pd.api.types.is_bool_dtype(s.dtype):
            names = ["True", "False"]
        elif pd.api.types.is_numeric_dtype(s.dtype):
            names = list(dict.fromkeys(str(v) for v in sorted(s.dropna().unique())))
        else:
            names = sorted({str(v) for v in s.dropna().unique()})
    else:
        names = [str(g) for g in groups]
    text = _as_text(s)
    codes = pd.Categorical(text, categories=names).codes.astype(np.int64)
    unknown = text.notna().to_numpy() & (codes < 0)
    if unknown.any():
        bad = sorted({str(v) for v in text[unknown]})
        raise AnalysisError(f"column {by!r} has value(s) {bad} outside the groups {names}")
    return names, codes


def _cross_counts(
    s: pd.Series, variable: str, group_code: IntArray, n_groups: int, levels: Sequence[Any] | None
) -> tuple[list[str], IntArray, IntArray]:
    """Level × group counts (rows with a group and a value), the levels, and missing per group."""
    import pandas as pd

    names = _levels_of(s, variable, levels)
    text = _as_text(s)
    code = pd.Categorical(text, categories=names).codes.astype(np.int64)
    unknown = text.notna().to_numpy() & (code < 0)
    if unknown.any():
        bad = sorted({str(v) for v in text[unknown]})
        raise AnalysisError(f"column {variable!r} has value(s) {bad} outside its levels {names}")
    has_group = group_code >= 0
    ok = has_group & (code >= 0)
    counts = np.bincount(
        code[ok] * n_groups + group_code[ok], minlength=len(names) * n_groups
    ).reshape(len(names), n_groups)
    missing = np.bincount(group_code[has_group & (code < 0)], minlength=n_groups)
    return names, counts.astype(np.int64), missing.astype(np.int64)


@dataclass(frozen=True, eq=False)
class CategoricalComparison:
    """A categorical variable compared across groups: the test gtsummary's rule chose, why,
    and the table it was computed on (levels × groups, missing values excluded)."""

    variable: str
    by: str
    test: str | None
    p_value: float
    statistic: float | None
    df: int | None
    reason: str
    table: pd.DataFrame
    min_expected: float
    n: int
    n_missing: int
    n_missing_by: int
    chisq: ChiSquareResult | None
    fisher: FisherResult | None
    method: MethodInfo | None

    def to_frame(self) -> pd.DataFrame:
        """One row: variable, test, statistic, df, P, minimum expected count, n, missing, reason."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "variable": self.variable,
                    "by": self.by,
                    "test": self.test,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "min_expected": self.min_expected,
                    "n": self.n,
                    "n_missing": self.n_missing,
                    "n_missing_by": self.n_missing_by,
                    "reason": self.reason,
                }
            ]
        )


def _categorical_from_counts(
    variable: str,
    by: str,
    counts: IntArray,
    levels: Sequence[str],
    groups: Sequence[str],
    n_missing: int,
    n_missing_by: int,
    test: CategoricalTest,
    b: int,
    seed: int | None,
    max_work: int,
) -> CategoricalComparison:
    import pandas as pd

    frame = pd.DataFrame(
        counts, index=pd.Index(levels, name=variable), columns=pd.Index(groups, name=by)
    )
    expected = _expected(counts)
    min_e = float(expected.min()) if expected.size else float("nan")
    used = _nonempty(counts)
    n = int(counts.sum())
    missing_note = f"{n_missing} missing value(s) of {variable!r} excluded"
    if n_missing_by:
        missing_note += f"; {n_missing_by} row(s) with missing {by!r} excluded"

    def done(
        code: str | None,
        p: float,
        reason: str,
        chisq: ChiSquareResult | None = None,
        fisher: FisherResult | None = None,
    ) -> CategoricalComparison:
        method = chisq.method if chisq is not None else fisher.method if fisher else None
        return CategoricalComparison(
            variable=variable,
            by=by,
            test=code,
            p_value=p,
            statistic=chisq.statistic if chisq is not None else None,
            df=chisq.df if chisq is not None else None,
            reason=f"{reason}; {missing_note}",
            table=frame,
            min_expected=min_e,
            n=n,
            n_missing=n_missing,
            n_missing_by=n_missing_by,
            chisq=chisq,
            fisher=fisher,
            method=method,
        )

    if used.shape[0] < 2 or used.shape[1] < 2:
        return done(
            None,
            float("nan"),
            f"no test: {used.shape[0]} level(s) observed in {used.shape[1]} group(s)",
        )
    n_small = int((expected < MIN_EXPECTED).sum())
    if test == "auto":
        if n_small == 0:
            chosen: CategoricalTest = "chisq"
            why = f"all expected counts >= {MIN_EXPECTED:g} (minimum {min_e:.2f}): chi-square"
        else:
            chosen = "fisher"
            why = (
                f"{n_small} of {expected.size} expected counts < {MIN_EXPECTED:g} "
                f"(minimum {min_e:.2f}): Fisher's exact test"
            )
    elif test in ("chisq", "fisher", "fisher_mc"):
        chosen, why = test, f"{test} requested (minimum expected count {min_e:.2f})"
    else:
        raise AnalysisError(
            f"unknown test {test!r} for {variable!r}; use auto, chisq, fisher or fisher_mc"
        )
    if chosen == "chisq":
        ch = chi_square_test(frame)
        return done("chisq", ch.p_value, why, chisq=ch)
    if chosen == "fisher":
        try:
            fi = fisher_test(counts, max_work=max_work)
        except EnumerationTooLarge:
            chosen = "fisher_mc"
            why += f"; exact enumeration too large, Monte Carlo P (B = {b}, seed {seed})"
        else:
            return done("fisher", fi.p_value, why, fisher=fi)
    fi = fisher_test(counts, simulate=True, b=b, seed=seed)
    return done("fisher_mc", fi.p_value, why, fisher=fi)


def compare_categorical(
    df: pd.DataFrame,
    variable: str,
    by: str,
    *,
    test: CategoricalTest = "auto",
    levels: Sequence[Any] | None = None,
    groups: Sequence[Any] | None = None,
    b: int = DEFAULT_B,
    seed: int | None = DEFAULT_SEED,
    max_work: int = DEFAULT_MAX_WORK,
) -> CategoricalComparison:
    """Compare a categorical variable across the ``by`` groups as gtsummary's ``add_p()``.

    ``test="auto"``: Pearson's chi-square (no continuity correction) when every expected count
    of the levels × groups table is at least 5, else Fisher's exact test — gtsummary's default
    for categorical variables. The expected counts are those of the table as shown (all levels,
    so an unused level gives expected 0 and Fisher). When the exact r×c enumeration is too
    large the Monte-Carlo P (``b`` tables, ``seed``) is used and ``test`` is ``"fisher_mc"``.
    Rows with a missing value of ``variable`` or ``by`` are counted and excluded (the counts
    and the exclusion are in ``n_missing``, ``n_missing_by`` and ``reason``). Fewer than two
    observed levels or groups: no test (P is NaN, ``test`` None).
    """
    if variable not in df.columns:
        raise AnalysisError(f"column {variable!r} is not in the data")
    group_names, gcode = _group_codes(df, by, groups)
    names, counts, missing = _cross_counts(df[variable], variable, gcode, len(group_names), levels)
    return _categorical_from_counts(
        variable,
        by,
        counts,
        names,
        group_names,
        int(missing.sum()),
        int((gcode < 0).sum()),
        test,
        b,
        seed,
        max_work,
    )


@dataclass(frozen=True, eq=False)
class ContinuousComparison:
    """A continuous variable compared across groups by a rank test (Wilcoxon or
    Kruskal–Wallis), with the groups compared and the missing values excluded."""

    variable: str
    by: str
    test: str | None
    p_value: float
    statistic: float | None
    df: int | None
    exact: bool
    groups: tuple[str, ...]
    n: dict[str, int]
    n_missing: int
    n_missing_by: int
    reason: str
    result: RankTestResult | None
    method: MethodInfo | None

    def to_frame(self) -> pd.DataFrame:
        """One row: variable, test, statistic, df, P, exact, n, missing, reason."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "variable": self.variable,
                    "by": self.by,
                    "test": self.test,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "exact": self.exact,
                    "n": sum(self.n.values()),
                    "n_missing": self.n_missing,
                    "n_missing_by": self.n_missing_by,
                    "reason": self.reason,
                }
            ]
        )


def _numeric(s: pd.Series, variable: str) -> FloatArray:
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise AnalysisError(f"column {variable!r} is not numeric (dtype {s.dtype})")
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    bad = s.notna() & values.isna()
    if bad.any():
        raise AnalysisError(
            f"column {variable!r} has non-numeric value {s[bad].iloc[0]!r} "
            f"(row {s.index[bad.to_numpy()].tolist()[0]!r})"
        )
    out: FloatArray = np.asarray(values.to_numpy(dtype=np.float64), dtype=np.float64)
    return out


def compare_continuous(
    df: pd.DataFrame, variable: str, by: str, *, groups: Sequence[Any] | None = None
) -> ContinuousComparison:
    """Compare a continuous variable across the ``by`` groups as gtsummary's ``add_p()``:
    Wilcoxon rank-sum (R ``wilcox.test``) for two groups, Kruskal–Wallis (R ``kruskal.test``)
    for more. Groups without values are left out; missing values are counted and excluded.
    Fewer than two groups with values: no test (P NaN, ``test`` None)."""
    if variable not in df.columns:
        raise AnalysisError(f"column {variable!r} is not in the data")
    names, gcode = _group_codes(df, by, groups)
    values = _numeric(df[variable], variable)
    ok = (gcode >= 0) & ~np.isnan(values)
    n_missing = int(((gcode >= 0) & np.isnan(values)).sum())
    n_missing_by = int((gcode < 0).sum())
    counts = np.bincount(gcode[ok], minlength=len(names))
    n = {g: int(k) for g, k in zip(names, counts, strict=True)}
    present = [i for i, k in enumerate(counts) if k > 0]
    note = f"{n_missing} missing value(s) of {variable!r} excluded"
    if n_missing_by:
        note += f"; {n_missing_by} row(s) with missing {by!r} excluded"
    samples = [values[ok & (gcode == i)] for i in present]
    if len(present) < 2:
        return ContinuousComparison(
            variable,
            by,
            None,
            float("nan"),
            None,
            None,
            False,
            tuple(names),
            n,
            n_missing,
            n_missing_by,
            f"no test: {len(present)} group(s) with values; {note}",
            None,
            None,
        )
    if len(present) == 2:
        res = wilcoxon_rank_sum_test(samples[0], samples[1])
        why = "2 groups: Wilcoxon rank-sum test" + (" (exact)" if res.exact else "")
    else:
        res = kruskal_wallis_test(samples)
        why = f"{len(present)} groups: Kruskal–Wallis test"
    return ContinuousComparison(
        variable=variable,
        by=by,
        test=res.test,
        p_value=res.p_value,
        statistic=res.statistic,
        df=res.df,
        exact=res.exact,
        groups=tuple(names[i] for i in present),
        n=n,
        n_missing=n_missing,
        n_missing_by=n_missing_by,
        reason=f"{why}; {note}",
        result=res,
        method=res.method,
    )


# -- Table 1 summary --------------------------------------------------------------------------

SUMMARY_COLUMNS: tuple[str, ...] = (
    "variable",
    "label",
    "type",
    "level",
    "group",
    "n",
    "denominator",
    "pct",
    "n_missing",
    "median",
    "min",
    "max",
    "mean",
    "sd",
    "p_value",
    "test",
)


@dataclass(frozen=True, eq=False)
class CharacteristicsSummary:
    """Table 1 content: gtsummary's ``tbl_summary(by = ) |> add_p()`` as a tidy frame.

    ``frame`` has one row per level per group for categorical variables and one row per group
    for continuous ones (level missing), groups ``"all"`` first then the ``by`` groups; see
    :func:`summarize_characteristics` for the columns. ``comparisons`` holds each variable's
    test (None when tests were not requested).
    """

    frame: pd.DataFrame
    by: str
    groups: tuple[str, ...]
    variables: tuple[str, ...]
    group_sizes: dict[str, int]
    n_missing_by: int
    comparisons: dict[str, CategoricalComparison | ContinuousComparison | None]
    overall: bool = True

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    @property
    def tests(self) -> dict[str, str | None]:
        """The test code used for each variable (None: no test)."""
        return {v: (c.test if c is not None else None) for v, c in self.comparisons.items()}

    @property
    def methods(self) -> list[MethodInfo]:
        """The distinct methods used (for a manuscript's statistical-methods paragraph)."""
        seen: dict[str, MethodInfo] = {}
        for c in self.comparisons.values():
            if c is not None and c.method is not None:
                seen.setdefault(c.method.test, c.method)
        return list(seen.values())


def _variable_type(s: pd.Series) -> VariableType:
    import pandas as pd

    if (
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(s.dtype)
        or pd.api.types.is_string_dtype(s.dtype)
        or s.dtype == object
    ):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s.dtype):
        return "continuous"
    raise AnalysisError(
        f"column {s.name!r} has dtype {s.dtype}: neither categorical nor numeric; "
        "pass types={...} or convert it"
    )


def summarize_characteristics(
    df: pd.DataFrame,
    by: str,
    variables: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    overall: bool = True,
    tests: bool | Collection[str] = True,
    types: Mapping[str, VariableType] | None = None,
    levels: Mapping[str, Sequence[Any]] | None = None,
    groups: Sequence[Any] | None = None,
    b: int = DEFAULT_B,
    seed: int | None = DEFAULT_SEED,
    max_work: int = DEFAULT_MAX_WORK,
    categorical_test: CategoricalTest = "auto",
) -> CharacteristicsSummary:
    """Summarise ``variables`` by ``by`` as gtsummary's ``tbl_summary(by = by) |> add_p()``.

    Rows with a missing ``by`` value are excluded (as gtsummary; the number is
    ``n_missing_by``). Groups: ``"all"`` (when ``overall``) then the ``by`` values in category
    order (else sorted, or ``groups``). Variable types: categorical for category, boolean and
    string columns, continuous for other numeric columns (``types`` overrides).

    Frame columns: variable, label, type, level, group, n, denominator, pct, n_missing, median,
    min, max, mean, sd, p_value, test.

    * categorical — one row per level per group: ``n`` patients at the level, ``denominator``
      the group's non-missing values, ``pct`` = 100·n/denominator, ``n_missing`` the group's
      missing values. Levels follow the categorical order (booleans "True" then "False", i.e.
      Yes first; strings in the order of ``schema.LABELS`` when listed there, else sorted, as
      R's ``factor()``), or ``levels[variable]``. Unused categories appear with n = 0.
    * continuous — one row per group, ``level`` missing: median, min, max, mean, sd (n − 1
      denominator), ``n`` non-missing values, ``denominator`` the group size, ``n_missing``.

    ``p_value`` and ``test`` (codes "chisq", "fisher", "fisher_mc", "kruskal", "wilcoxon")
    repeat on every row of the variable (:func:`compare_categorical`,
    :func:`compare_continuous`; ``categorical_test`` is passed to the former as its
    ``test``: ``"auto"`` is gtsummary's rule, ``"chisq"`` Pearson's chi-square for every
    categorical row, as the paper's SPSS analysis); missing when ``tests`` is False (or,
    given as a collection of variable names, does not name the variable — e.g. rows that are
    zero by design in one group) or no test is possible.
    """
    import pandas as pd

    tested = set(variables) if tests is True else set() if tests is False else set(tests)
    labels = dict(labels or {})
    types = dict(types or {})
    levels = dict(levels or {})
    missing_cols = [v for v in variables if v not in df.columns]
    if missing_cols:
        raise AnalysisError(f"summarize_characteristics: column(s) {missing_cols} not in the data")
    if by in variables:
        raise AnalysisError(f"summarize_characteristics: {by!r} is the grouping column")
    group_names, gcode = _group_codes(df, by, groups)
    if not group_names:
        raise AnalysisError(f"column {by!r} has no non-missing values to group by")
    k = len(group_names)
    in_group = gcode >= 0
    sizes = np.bincount(gcode[in_group], minlength=k)
    out_groups = ([OVERALL] if overall else []) + group_names
    n_missing_by = int((~in_group).sum())

    parts: list[pd.DataFrame] = []
    comparisons: dict[str, CategoricalComparison | ContinuousComparison | None] = {}
    for variable in variables:
        s = df[variable]
        kind = types.get(variable) or _variable_type(s)
        label = labels.get(variable, variable)
        if kind == "categorical":
            names, counts, missing = _cross_counts(s, variable, gcode, k, levels.get(variable))
            cmp: CategoricalComparison | ContinuousComparison | None = (
                _categorical_from_counts(
                    variable,
                    by,
                    counts,
                    names,
                    group_names,
                    int(missing.sum()),
                    n_missing_by,
                    categorical_test,
                    b,
                    seed,
                    max_work,
                )
                if variable in tested
                else None
            )
            all_counts = np.column_stack([counts.sum(axis=1), counts]) if overall else counts
            all_missing = np.concatenate([[missing.sum()], missing]) if overall else missing
            denom = all_counts.sum(axis=0)
            with np.errstate(invalid="ignore", divide="ignore"):
                pct = np.where(denom > 0, 100.0 * all_counts / np.maximum(denom, 1), np.nan)
            n_lev = len(names)
            part = pd.DataFrame(
                {
                    "variable": variable,
                    "label": label,
                    "type": "categorical",
                    "level": np.tile(np.array(names, dtype=object), len(out_groups)),
                    "group": np.repeat(np.array(out_groups, dtype=object), n_lev),
                    "n": all_counts.T.ravel(),
                    "denominator": np.repeat(denom, n_lev),
                    "pct": pct.T.ravel(),
                    "n_missing": np.repeat(all_missing, n_lev),
                }
            )
        elif kind == "continuous":
            values = _numeric(s, variable)
            cmp = (
                compare_continuous(df, variable, by, groups=group_names)
                if variable in tested
                else None
            )
            sel = [in_group] if overall else []
            sel += [gcode == i for i in range(k)]
            rows = []
            for g, mask in zip(out_groups, sel, strict=True):
                v = values[mask]
                v = v[~np.isnan(v)]
                rows.append(
                    {
                        "group": g,
                        "n": int(v.size),
                        "denominator": int(mask.sum()),
                        "n_missing": int(mask.sum() - v.size),
                        "median": float(np.median(v)) if v.size else np.nan,
                        "min": float(v.min()) if v.size else np.nan,
                        "max": float(v.max()) if v.size else np.nan,
                        "mean": float(v.mean()) if v.size else np.nan,
                        "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
                    }
                )
            part = pd.DataFrame(rows).assign(
                variable=variable, label=label, type="continuous", level=None, pct=np.nan
            )
        else:
            raise AnalysisError(
                f"type of {variable!r} must be 'categorical' or 'continuous', got {kind!r}"
            )
        comparisons[variable] = cmp
        part["p_value"] = cmp.p_value if cmp is not None else np.nan
        part["test"] = cmp.test if cmp is not None else None
        parts.append(part)

    frame = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame({c: [] for c in SUMMARY_COLUMNS})
    )
    for c in SUMMARY_COLUMNS:
        if c not in frame.columns:
            frame[c] = np.nan
    frame = frame[list(SUMMARY_COLUMNS)].astype(
        {
            "variable": "string",
            "label": "string",
            "type": "string",
            "level": "string",
            "group": "string",
            "n": "Int64",
            "denominator": "Int64",
            "n_missing": "Int64",
            "pct": "float64",
            "p_value": "float64",
            "test": "string",
        }
    )
    return CharacteristicsSummary(
        frame=frame,
        by=by,
        groups=tuple(out_groups),
        variables=tuple(variables),
        group_sizes={
            **({OVERALL: int(sizes.sum())} if overall else {}),
            **{g: int(x) for g, x in zip(group_names, sizes, strict=True)},
        },
        n_missing_by=n_missing_by,
        comparisons=comparisons,
        overall=overall,
    )


__all__ = [
    "DEFAULT_B",
    "DEFAULT_SEED",
    "FEXACT_TOL",
    "OVERALL",
    "CategoricalComparison",
    "CharacteristicsSummary",
    "ChiSquareResult",
    "ContinuousComparison",
    "EnumerationTooLarge",
    "FisherResult",
    "RankTestResult",
    "chi_square_test",
    "compare_categorical",
    "compare_continuous",
    "fisher_test",
    "kruskal_wallis_test",
    "summarize_characteristics",
    "wilcoxon_rank_sum_test",
]
