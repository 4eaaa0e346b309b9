"""Tests that kill surviving mutants of captemstats.compare.rank (issue 21).

The oracles are independent of the implementation: the exact null distribution of W is
enumerated with itertools; the P values are scipy's ``mannwhitneyu`` (the same U = W of the
first sample, its exact law without ties, and the same tie-corrected normal approximation with
or without the 0.5 continuity correction as R's ``wilcox.test``) and scipy's ``kruskal`` (the
same tie-corrected H on k − 1 df as R's ``kruskal.test``). Where R and scipy part (all values
tied: R's z and H are 0/0 = NaN) the expected value is R's, derived in the test's comment. The
rules pinned: R's choice of the exact P (fewer than 50 values in each group and no ties, or
``exact=``), the cap of the two-sided P at 1, dropped missing values, the error messages and
the method records printed in the manuscript's Methods.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from _compare import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import kruskal, mannwhitneyu

from captemstats.compare import kruskal_wallis_test, wilcoxon_rank_sum_test
from captemstats.compare.rank import _wilcoxon_counts
from captemstats.errors import AnalysisError
from captemstats.results import MethodInfo

EXACT_METHOD = MethodInfo(
    test="Wilcoxon rank-sum test",
    continuity_correction=None,
    software_equivalent="wilcox.test(x, y)",
    notes=("exact null distribution of W",),
)
NORMAL_METHOD = MethodInfo(
    test="Wilcoxon rank-sum test",
    continuity_correction=True,
    software_equivalent="wilcox.test(x, y)",
    notes=("normal approximation, tie-corrected variance, continuity correction",),
)
NORMAL_METHOD_UNCORRECTED = MethodInfo(
    test="Wilcoxon rank-sum test",
    continuity_correction=False,
    software_equivalent="wilcox.test(x, y)",
    notes=("normal approximation, tie-corrected variance",),
)
KRUSKAL_METHOD = MethodInfo(
    test="Kruskal–Wallis rank-sum test",
    software_equivalent="kruskal.test(x, g)",
    notes=("chi-square approximation, tie-corrected",),
)


def scipy_p(x: list[float], y: list[float], *, exact: bool, correct: bool = True) -> float:
    method = "exact" if exact else "asymptotic"
    return float(mannwhitneyu(x, y, use_continuity=correct, method=method).pvalue)


# -- the exact null distribution of W ---------------------------------------------------------


@pytest.mark.parametrize(("m", "n"), [(1, 1), (1, 4), (4, 1), (2, 2), (3, 2), (2, 6), (4, 4)])
def test_wilcoxon_counts_equal_subset_enumeration(m: int, n: int) -> None:
    """Entry w is the number of m-subsets of the ranks 1..m+n whose sum minus m(m+1)/2 is w."""
    want = np.zeros(m * n + 1)
    for subset in itertools.combinations(range(1, m + n + 1), m):
        want[sum(subset) - m * (m + 1) // 2] += 1
    got = _wilcoxon_counts(m, n)
    assert got.shape == want.shape
    assert got.tolist() == want.tolist()
    assert got.sum() == math.comb(m + n, m)


# -- Wilcoxon: P values against scipy ---------------------------------------------------------

untied_samples = st.tuples(st.integers(1, 9), st.integers(1, 9)).flatmap(
    lambda sizes: st.permutations(range(sizes[0] + sizes[1])).map(
        lambda perm: (
            [0.5 + 1.25 * v for v in perm[: sizes[0]]],
            [0.5 + 1.25 * v for v in perm[sizes[0] :]],
        )
    )
)


@settings(max_examples=60)
@given(untied_samples)
def test_wilcoxon_without_ties_is_exact_as_r(samples: tuple[list[float], list[float]]) -> None:
    x, y = samples
    res = wilcoxon_rank_sum_test(x, y)
    assert res.statistic == mannwhitneyu(x, y).statistic  # W of x = U of x
    assert res.exact and not res.ties
    assert res.n == (len(x), len(y))
    assert_close(res.p_value, scipy_p(x, y, exact=True), p_value=True)
    assert res.method == EXACT_METHOD


tied_samples = st.tuples(
    st.lists(st.integers(0, 4), min_size=1, max_size=12),
    st.lists(st.integers(0, 4), min_size=1, max_size=12),
).filter(lambda s: len(set(s[0] + s[1])) > 1)  # all tied: see the NaN test below


@settings(max_examples=60)
@given(tied_samples, st.booleans())
def test_wilcoxon_normal_approximation_as_r(
    samples: tuple[list[int], list[int]], correct: bool
) -> None:
    x, y = ([float(v) for v in s] for s in samples)
    res = wilcoxon_rank_sum_test(x, y, correct=correct)
    ties = len(set(x + y)) < len(x) + len(y)
    assert res.ties == ties
    assert res.exact == (not ties)
    assert res.statistic == mannwhitneyu(x, y).statistic
    assert_close(res.p_value, scipy_p(x, y, exact=not ties, correct=correct), p_value=True)
    if ties:
        assert res.method == (NORMAL_METHOD if correct else NORMAL_METHOD_UNCORRECTED)


# (x, y, exact=, correct=, whether the P is exact): R's rule — exact when both groups have
# fewer than 50 values and there are no ties, unless exact= says otherwise; ties always force
# the normal approximation
def _spread(n: int, start: float) -> list[float]:
    return [start + 2.0 * i for i in range(n)]


EXACT_RULE = [
    ("49 and 49 values", _spread(49, 0.0), _spread(49, 1.0), None, True, True),
    ("50 and 49 values", _spread(50, 0.0), _spread(49, 1.0), None, True, False),
    ("49 and 50 values", _spread(49, 0.0), _spread(50, 1.0), None, True, False),
    ("50 and 50 values", _spread(50, 0.0), _spread(50, 1.0), None, True, False),
    ("one value each", [2.0], [1.0], None, True, True),
    ("one x value", [2.5], [1.0, 4.0, 3.0], None, True, True),
    ("exact=False, small", [1.2, 3.4, 2.2, 0.5], [4.1, 5.0, 3.9], False, True, False),
    ("exact=False, uncorrected", [1.2, 3.4, 2.2, 0.5], [4.1, 5.0, 3.9], False, False, False),
    ("exact=True, 50 and 50", _spread(50, 0.0), _spread(50, 1.0), True, True, True),
    ("exact=True with ties", [1.0, 2.0, 2.0], [3.0, 4.0], True, True, False),
]


@pytest.mark.parametrize(
    ("case", "x", "y", "exact", "correct", "is_exact"), EXACT_RULE, ids=[c[0] for c in EXACT_RULE]
)
def test_wilcoxon_chooses_the_exact_p_as_r(
    case: str, x: list[float], y: list[float], exact: bool | None, correct: bool, is_exact: bool
) -> None:
    res = wilcoxon_rank_sum_test(x, y, exact=exact, correct=correct)
    assert res.exact is is_exact, case
    assert_close(res.p_value, scipy_p(x, y, exact=is_exact, correct=correct), p_value=True)
    if is_exact:
        want_method = EXACT_METHOD
    else:
        want_method = NORMAL_METHOD if correct else NORMAL_METHOD_UNCORRECTED
    assert res.method == want_method, case


# (x, y, P): cases whose P follows from a hand count or from R's formulas
WILCOXON_VALUES = [
    # W = 2 = m n / 2: P(W <= 2) = 4/6 of the 6 splits, doubled to 4/3 and capped at 1
    ("centre of the law", [1.0, 4.0], [2.0, 3.0], 1.0),
    # W = 0 of C(4, 2) = 6 equally likely splits: 2 * 1/6
    ("lowest W", [1.0, 2.0], [3.0, 4.0], 1 / 3),
    # W = 4: upper tail P(W >= 4) = 1/6, doubled
    ("highest W", [3.0, 4.0], [1.0, 2.0], 1 / 3),
]


@pytest.mark.parametrize(
    ("case", "x", "y", "p"), WILCOXON_VALUES, ids=[c[0] for c in WILCOXON_VALUES]
)
def test_wilcoxon_exact_values(case: str, x: list[float], y: list[float], p: float) -> None:
    assert_close(wilcoxon_rank_sum_test(x, y).p_value, p, p_value=True, what=case)


@pytest.mark.parametrize("correct", [True, False])
def test_wilcoxon_small_variance_normal_approximation(correct: bool) -> None:
    """x = [1], y = [1, 2]: mid-ranks 1.5, 1.5, 3, W = 0.5, tie term (2³ − 2)/(3·2) = 1, so
    σ² = 1·2/12·(4 − 1) = 0.5 (σ < 1) and z = (0.5 − 1 + 0.5·correct)/σ."""
    res = wilcoxon_rank_sum_test([1.0], [1.0, 2.0], correct=correct)
    z = (0.5 - 1.0 + (0.5 if correct else 0.0)) / math.sqrt(0.5)
    from scipy.stats import norm

    assert res.statistic == 0.5
    assert_close(res.p_value, 2 * norm.cdf(-abs(z)), p_value=True)
    assert_close(res.p_value, scipy_p([1.0], [1.0, 2.0], exact=False, correct=correct))


@pytest.mark.parametrize("correct", [True, False])
def test_wilcoxon_all_values_tied_gives_nan_as_r(correct: bool) -> None:
    """All tied: the tie term is (N³ − N)/(N(N − 1)) = N + 1, so σ = 0 and R's z = 0/0."""
    res = wilcoxon_rank_sum_test([3.0, 3.0], [3.0, 3.0, 3.0], correct=correct)
    assert res.statistic == 3.0
    assert res.ties and not res.exact
    assert math.isnan(res.p_value)
    assert res.method == (NORMAL_METHOD if correct else NORMAL_METHOD_UNCORRECTED)


def test_wilcoxon_drops_missing_values() -> None:
    """None and NaN are missing values (as R's NA), dropped before ranking."""
    res = wilcoxon_rank_sum_test([1.0, None, 3.0, math.nan], [2.0, None])
    same = wilcoxon_rank_sum_test([1.0, 3.0], [2.0])
    assert res.n == (2, 1)
    assert res.statistic == same.statistic == 1.0
    assert res.p_value == same.p_value == 1.0


def test_wilcoxon_frame_and_display() -> None:
    res = wilcoxon_rank_sum_test([1.2, 3.4, 2.2, 0.5], [4.1, 5.0, 3.9])
    want = pd.DataFrame(
        [
            {
                "test": "wilcoxon",
                "statistic": 0.0,
                "df": None,
                "p_value": res.p_value,
                "n": 7,
                "exact": True,
                "ties": False,
            }
        ]
    )
    pd.testing.assert_frame_equal(res.to_frame(), want)
    pd.testing.assert_frame_equal(res.summary(), want)
    assert res.test == "wilcoxon" and res.df is None
    assert repr(res).startswith("<RankTestResult: wilcoxon, statistic 0, P = 0.0571, n = (4, 3)")


# -- Kruskal–Wallis ---------------------------------------------------------------------------

kw_samples = st.lists(
    st.lists(st.integers(0, 6), min_size=1, max_size=8), min_size=2, max_size=4
).filter(lambda gs: len({v for g in gs for v in g}) > 1)


@settings(max_examples=60)
@given(kw_samples)
def test_kruskal_equals_scipy(groups: list[list[int]]) -> None:
    samples = [[float(v) for v in g] for g in groups]
    res = kruskal_wallis_test(samples)
    want = kruskal(*samples)
    values = [v for g in samples for v in g]
    assert_close(res.statistic, float(want.statistic))
    assert_close(res.p_value, float(want.pvalue), p_value=True)
    assert res.df == len(samples) - 1
    assert res.n == tuple(len(g) for g in samples)
    assert res.ties == (len(set(values)) < len(values))
    assert res.exact is False
    assert res.method == KRUSKAL_METHOD


# (groups, ties): ties is whether any value occurs more than once
KW_TIES = [
    ("no ties, 2 groups", [[1.0, 2.0], [3.0, 4.5]], False),
    ("one pair tied", [[1.0, 2.0], [2.0, 4.5], [7.0]], True),
    ("three tied", [[1.0, 2.0], [2.0, 2.0], [7.0]], True),
]


@pytest.mark.parametrize(("case", "groups", "ties"), KW_TIES, ids=[c[0] for c in KW_TIES])
def test_kruskal_reports_ties(case: str, groups: list[list[float]], ties: bool) -> None:
    res = kruskal_wallis_test(groups)
    assert res.ties is ties, case
    want = kruskal(*groups)
    assert_close(res.statistic, float(want.statistic))
    assert_close(res.p_value, float(want.pvalue), p_value=True)


def test_kruskal_all_values_tied_gives_nan_as_r() -> None:
    """All tied: Σ(t³ − t)/(N³ − N) = 1, so R's H = 0/0 and its P are NaN."""
    res = kruskal_wallis_test([[2.0, 2.0], [2.0], [2.0, None]])
    assert math.isnan(res.statistic) and math.isnan(res.p_value)
    assert res.df == 2 and res.n == (2, 1, 1) and res.ties


def test_kruskal_frame() -> None:
    res = kruskal_wallis_test([[1.2, 3.4, 2.2], [4.1, 5.0, 3.9], [2.0, 6.1]])
    want = pd.DataFrame(
        [
            {
                "test": "kruskal",
                "statistic": res.statistic,
                "df": 2,
                "p_value": res.p_value,
                "n": 8,
                "exact": False,
                "ties": False,
            }
        ]
    )
    pd.testing.assert_frame_equal(res.to_frame(), want)
    assert res.test == "kruskal"


# -- errors -----------------------------------------------------------------------------------

ERRORS = [
    (
        "x infinite",
        lambda: wilcoxon_rank_sum_test([1.0, math.inf], [2.0]),
        r"^x: infinite values are not allowed$",
    ),
    (
        "y infinite",
        lambda: wilcoxon_rank_sum_test([1.0], [2.0, -math.inf]),
        r"^y: infinite values are not allowed$",
    ),
    (
        "x empty",
        lambda: wilcoxon_rank_sum_test([math.nan], [2.0, 3.0]),
        r"^Wilcoxon rank-sum test needs values in both groups \(got 0 and 2\)$",
    ),
    (
        "group 2 infinite",
        lambda: kruskal_wallis_test([[1.0], [2.0, math.inf], [3.0]]),
        r"^group 2: infinite values are not allowed$",
    ),
    (
        "one group with values",
        lambda: kruskal_wallis_test([[1.0, 2.0], [], [math.nan]]),
        r"^Kruskal–Wallis test needs at least 2 groups with values \(got 1\)$",
    ),
]


@pytest.mark.parametrize(("case", "call", "message"), ERRORS, ids=[c[0] for c in ERRORS])
def test_errors_name_the_cause(case: str, call: object, message: str) -> None:
    assert callable(call)
    with pytest.raises(AnalysisError, match=message):
        call()
