"""Tests that kill surviving mutants of the contingency tests, the group comparisons and the
characteristics summary (issue 21): captemstats.compare.contingency, .groups, .characteristics
and ._tabulate.

Each table states a rule of those modules: how a table of counts is read (labels, shapes, bad
cells), Pearson's chi-square against scipy's uncorrected ``chi2_contingency``, Fisher's exact
test against exact rational enumeration, gtsummary's chi-square/Fisher choice at an expected
count of exactly 5, the missing-value notes, the order of levels and groups (R's
``factor()``), the inferred variable types (gtsummary's rule), the denominators of the
percentages and the statistics of a continuous variable per group, and the metadata printed in
the manuscript (method names, R equivalents, notes, reasons, error messages). Expected values
come from scipy.stats, the ``statistics`` module, exact fractions or hand counts in the
tables, never from captemstats.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import statistics
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import pytest
from _compare import assert_close
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from captemstats.compare import (
    OVERALL,
    SUMMARY_COLUMNS,
    chi_square_test,
    compare_categorical,
    compare_continuous,
    fisher_test,
    summarize_characteristics,
)
from captemstats.compare.characteristics import (
    add_tests,
    default_variables,
    describe_characteristics,
)
from captemstats.errors import AnalysisError

NAN = float("nan")


def is_nan(x: object) -> bool:
    return x is not None and not isinstance(x, str) and bool(pd.isna(x))


def num(x: float | None) -> float:
    """A statistic that must be there."""
    assert x is not None
    return float(x)


def assert_p(got: float, want: float) -> None:
    assert_close(got, want, p_value=True)


def _tables_with_margins(rows: list[int], cols: list[int]) -> list[list[list[int]]]:
    """Every table of non-negative counts with the given row and column totals."""
    if len(rows) == 1:
        return [[list(cols)]]
    out = []
    for first in itertools.product(*(range(min(rows[0], c) + 1) for c in cols)):
        if sum(first) == rows[0]:
            rest = [c - x for c, x in zip(cols, first, strict=True)]
            out += [[list(first), *t] for t in _tables_with_margins(rows[1:], rest)]
    return out


def exact_fisher(table: list[list[int]]) -> float:
    """Fisher's two-sided P in exact arithmetic: the total multivariate hypergeometric
    probability, given both margins, of every table no more probable than the observed one
    (empty rows and columns left out; small tables only)."""
    t = np.array(table)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    rows, cols = [int(x) for x in t.sum(axis=1)], [int(x) for x in t.sum(axis=0)]
    n = sum(rows)
    margins = math.prod(math.factorial(r) for r in rows + cols)

    def prob(cells: list[list[int]]) -> Fraction:
        den = math.factorial(n) * math.prod(math.factorial(x) for row in cells for x in row)
        return Fraction(margins, den)

    observed = prob(t.tolist())
    probs = [prob(c) for c in _tables_with_margins(rows, cols)]
    return float(sum((p for p in probs if p <= observed), Fraction(0)))


def frame_of(table: list[list[int]], levels: list[str], groups: list[str]) -> pd.DataFrame:
    """One row per patient of a levels x groups table (columns v and g, text)."""
    rows = [
        (levels[i], groups[j])
        for i in range(len(levels))
        for j in range(len(groups))
        for _ in range(table[i][j])
    ]
    return pd.DataFrame(rows, columns=["v", "g"]).astype("string")


def lg(table: list[list[int]]) -> pd.DataFrame:
    """:func:`frame_of` with levels L0, L1, ... and groups G0, G1, ..."""
    return frame_of(
        table, [f"L{i}" for i in range(len(table))], [f"G{j}" for j in range(len(table[0]))]
    )


# ============================================================================ contingency.py


def test_chi_square_reads_a_data_frame_with_its_labels() -> None:
    table = pd.DataFrame([[12, 5, 3], [7, 9, 8]], index=["yes", "no"], columns=[10, 20, 30])
    r = chi_square_test(table)
    assert r.row_labels == ("yes", "no")
    assert r.col_labels == ("10", "20", "30")
    assert r.observed.tolist() == [[12, 5, 3], [7, 9, 8]]
    assert r.observed.dtype == np.int64
    frame = r.to_frame()
    assert frame["row"].tolist() == ["yes"] * 3 + ["no"] * 3
    assert frame["column"].tolist() == ["10", "20", "30"] * 2
    assert frame["observed"].tolist() == [12, 5, 3, 7, 9, 8]


def test_chi_square_labels_an_array_by_position() -> None:
    r = chi_square_test(np.array([[4, 6, 5], [7, 3, 9]]))
    assert r.row_labels == ("0", "1")
    assert r.col_labels == ("0", "1", "2")


#: tables of counts (3 x 4, 2 x 3, 2 x 2, 4 x 2, a row and a column of total 1): chi-square
#: equals scipy's uncorrected test
CHI_TABLES = [
    [[12, 5, 3, 9], [7, 9, 8, 2], [4, 4, 10, 6]],
    [[12, 5, 3], [7, 9, 8]],
    [[12, 5], [7, 14]],
    [[3, 9], [8, 1], [5, 5], [2, 7]],
    [[1, 0, 0], [2, 0, 5], [3, 1, 6]],
]


@pytest.mark.parametrize("table", CHI_TABLES)
def test_chi_square_equals_pearson_without_correction(table: list[list[int]]) -> None:
    want = stats.chi2_contingency(np.array(table), correction=False)
    r = chi_square_test(table)
    assert_close(r.statistic, float(want.statistic))
    assert_p(r.p_value, float(want.pvalue))
    assert r.df == want.dof == (len(table) - 1) * (len(table[0]) - 1)
    np.testing.assert_allclose(r.expected, want.expected_freq, rtol=1e-12)
    assert r.expected.shape == r.observed.shape == np.array(table).shape
    assert_close(r.min_expected, float(want.expected_freq.min()))
    assert r.n_expected_below_5 == int((want.expected_freq < 5).sum())
    assert r.any_expected_below_5 == bool((want.expected_freq < 5).any())
    frame = r.to_frame()
    assert list(frame.columns) == [
        "row",
        "column",
        "observed",
        "expected",
        "statistic",
        "df",
        "p_value",
        "test",
    ]
    np.testing.assert_allclose(frame["expected"], want.expected_freq.ravel(), rtol=1e-12)
    assert (frame["statistic"] == r.statistic).all() and (frame["df"] == r.df).all()
    assert (frame["p_value"] == r.p_value).all() and (frame["test"] == "chisq").all()
    assert r.summary().equals(frame)


def test_chi_square_uses_the_non_empty_rows_and_columns_but_reports_the_full_table() -> None:
    table = [[12, 0, 5], [0, 0, 0], [7, 0, 14]]
    want = stats.chi2_contingency(np.array([[12, 5], [7, 14]]), correction=False)
    r = chi_square_test(table)
    assert_close(r.statistic, float(want.statistic))
    assert_p(r.p_value, float(want.pvalue))
    assert r.df == 1
    assert r.observed.tolist() == table
    # expected counts of the table as given: the empty row and column have expected 0
    assert r.expected[1].tolist() == [0.0, 0.0, 0.0] and r.expected[:, 1].tolist() == [0.0] * 3
    assert r.min_expected == 0.0
    assert r.n_expected_below_5 == 5  # the empty row and column
    assert r.row_labels == ("0", "1", "2") and r.col_labels == ("0", "1", "2")


@pytest.mark.parametrize(
    ("table", "below"),
    [
        ([[5, 5], [5, 5]], 0),  # every expected count exactly 5: none below
        ([[5, 5], [5, 6]], 1),  # expected 100/21 = 4.76 in one cell only
        ([[2, 8], [8, 2]], 0),  # observed 2, expected 5
        ([[1, 9], [4, 6]], 2),  # expected 2.5, 7.5, 2.5, 7.5
    ],
)
def test_expected_counts_below_5_are_counted_strictly(table: list[list[int]], below: int) -> None:
    r = chi_square_test(table)
    assert r.n_expected_below_5 == below
    assert r.any_expected_below_5 == (below > 0)


def test_chi_square_method_and_display() -> None:
    r = chi_square_test([[12, 5], [7, 9]])
    m = r.method
    assert m.test == "Pearson's chi-square test"
    assert m.continuity_correction is False
    assert m.software_equivalent == "chisq.test(x, correct = FALSE)"
    assert m.notes == ("expected counts E = row total × column total / n",)
    assert r.test == "chisq"
    want = stats.chi2_contingency(np.array([[12, 5], [7, 9]]), correction=False)
    assert repr(r) == (
        f"<ChiSquareResult: chi-square {want.statistic:.4g} on 1 df, "
        f"P = {want.pvalue:.3g}; .summary(), .to_frame()>"
    )


@pytest.mark.parametrize(
    ("table", "shape", "rows", "cols"),
    [
        ([[1, 2], [0, 0]], (2, 2), 1, 2),
        ([[1, 0], [2, 0]], (2, 2), 2, 1),
        ([[0, 0, 0], [0, 4, 0]], (2, 3), 1, 1),
        ([[3, 4, 5]], (1, 3), 1, 3),
    ],
)
def test_chi_square_needs_two_non_empty_rows_and_columns(
    table: list[list[int]], shape: tuple[int, int], rows: int, cols: int
) -> None:
    message = (
        f"chi-square test needs at least 2 non-empty rows and columns; table is {shape}"
        f" with {rows} non-empty row(s) and {cols} non-empty column(s)"
    )
    with pytest.raises(AnalysisError, match=re.escape(message)):
        chi_square_test(table)


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([1, 2, 3], "table: a contingency table must be 2-dimensional, got 1"),
        ([[[1, 2]], [[3, 4]]], "table: a contingency table must be 2-dimensional, got 3"),
        ([["a", 1], [1, 1]], "table: counts must be numbers (could not convert string"),
        (
            np.array([[{}, 1], [1, 1]], dtype=object),
            "table: counts must be numbers (float() argument must be",
        ),
        ([[1, 2], [-1, 3]], f"table: cell (1, 0) is {np.int64(-1)!r}; counts must be non-"),
        ([[1, 2], [3, 0.5]], f"table: cell (1, 1) is {np.float64(0.5)!r}; counts must be"),
        ([[1, np.nan], [3, 4]], f"table: cell (0, 1) is {np.float64(np.nan)!r}; counts"),
        ([[1, 1], [np.inf, 4]], f"table: cell (1, 0) is {np.float64(np.inf)!r}; counts"),
        ([[0, -2], [-1, 4]], f"table: cell (0, 1) is {np.int64(-2)!r}; counts"),  # the first
    ],
)
@pytest.mark.parametrize("test", [chi_square_test, fisher_test])
def test_bad_tables_name_the_cell(table: Any, message: str, test: Any) -> None:
    with pytest.raises(AnalysisError, match=re.escape(message)):
        test(table)


@pytest.mark.parametrize("table", [[[0, 3], [4, 0]], [[0, 0], [0, 1]], [[2.0, 3.0], [1.0, 0.0]]])
def test_zero_and_whole_float_cells_are_counts(table: list[list[float]]) -> None:
    assert fisher_test(table).observed.tolist() == [[int(x) for x in row] for row in table]


#: (table, algorithm, shape of the table as given, n): P equals exact enumeration
FISHER_CASES = [
    ([[3, 1], [1, 3]], "hypergeometric", (2, 2), 8),
    ([[2, 0, 3], [1, 4, 1]], "network", (2, 3), 11),
    ([[2, 0], [1, 4], [3, 1]], "network", (3, 2), 11),
    ([[3, 0, 1], [0, 0, 0], [1, 0, 3]], "hypergeometric", (3, 3), 8),  # empty row and column
    ([[1, 0, 0], [2, 3, 1]], "network", (2, 3), 7),  # a row and a column of total 1
    ([[0, 0], [2, 5]], "trivial", (2, 2), 7),  # one non-empty row
    ([[0, 1], [0, 0]], "trivial", (2, 2), 1),  # n = 1
    ([[4, 0, 0], [1, 0, 0]], "trivial", (2, 3), 5),  # one non-empty column
]


@pytest.mark.parametrize(("table", "algorithm", "shape", "n"), FISHER_CASES)
def test_fisher_routes_by_the_non_empty_table(
    table: list[list[int]], algorithm: str, shape: tuple[int, int], n: int
) -> None:
    r = fisher_test(table)
    want = 1.0 if algorithm == "trivial" else exact_fisher(table)
    assert_p(r.p_value, want)
    assert r.algorithm == algorithm
    assert r.shape == shape and r.n == n
    assert r.observed.tolist() == table
    assert r.test == "fisher" and not r.simulated
    assert (r.b, r.seed, r.hits) == (None, None, None)
    assert r.method.test == "Fisher's exact test"
    assert r.method.software_equivalent == "fisher.test(x)"
    tolerance = " (relative tolerance 1e-7)" if algorithm == "hypergeometric" else ""
    assert r.method.notes == ("two-sided: tables as or less probable than observed" + tolerance,)
    assert repr(r) == (
        f"<FisherResult: {shape[0]} x {shape[1]} table, n = {n}, P = {want:.3g} ({algorithm});"
        " .summary(), .to_frame()>"
    )
    frame = r.to_frame()
    assert frame.to_dict("records") == [
        {
            "test": "fisher",
            "p_value": r.p_value,
            "n": n,
            "rows": shape[0],
            "columns": shape[1],
            "algorithm": algorithm,
            "b": None,
            "seed": None,
            "hits": None,
        }
    ]
    assert r.summary().equals(frame)


def test_fisher_of_an_empty_table_is_an_error() -> None:
    with pytest.raises(
        AnalysisError, match=re.escape("Fisher's exact test: the table is empty (all counts are 0)")
    ):
        fisher_test([[0, 0], [0, 0]])
    with pytest.raises(AnalysisError, match="the table is empty"):
        fisher_test([[0, 0], [0, 0]], simulate=True)


def test_fisher_enumeration_limit_is_passed_on() -> None:
    from captemstats.compare import EnumerationTooLarge

    table = [[5, 6, 4, 7], [6, 5, 7, 4], [4, 7, 5, 6]]
    with pytest.raises(EnumerationTooLarge):
        fisher_test(table, max_work=10)


#: (table, b, seed): Monte Carlo on tables with the observed margins
MC_CASES = [
    ([[3, 0], [0, 3]], 400, 1),  # P(as extreme) = 2/20: about 40 hits
    ([[0, 3, 0], [3, 0, 0], [0, 0, 3], [0, 0, 0]], 300, 7),  # permutation tables: 6/1680
    ([[4, 0, 1], [0, 4, 1]], 250, 3),
]


@pytest.mark.parametrize(("table", "b", "seed"), MC_CASES)
def test_monte_carlo_fisher_estimates_the_exact_p(
    table: list[list[int]], b: int, seed: int
) -> None:
    exact = exact_fisher(table)
    r = fisher_test(table, simulate=True, b=b, seed=seed)
    again = fisher_test(table, simulate=True, b=b, seed=seed)
    assert r.hits is not None and 0 <= r.hits <= b
    assert r.p_value == (1 + r.hits) / (b + 1) == again.p_value
    # the hits are binomial(b, exact P): within 5 standard deviations (fixed seed)
    assert abs(r.hits - b * exact) <= 5 * math.sqrt(b * exact * (1 - exact)) + 1
    assert r.hits < b
    t = np.array(table)
    assert r.n == int(t.sum()) and r.shape == t.shape
    assert r.observed.tolist() == table
    assert (r.algorithm, r.test, r.b, r.seed) == ("monte_carlo", "fisher_mc", b, seed)
    assert r.simulated
    assert r.method.test == "Fisher's exact test (Monte Carlo P value)"
    assert r.method.software_equivalent == f"fisher.test(x, simulate.p.value = TRUE, B = {b})"
    assert r.method.notes == (
        f"{b} tables simulated with the observed margins (numpy seed {seed})",
    )
    assert r.to_frame().to_dict("records") == [
        {
            "test": "fisher_mc",
            "p_value": r.p_value,
            "n": r.n,
            "rows": t.shape[0],
            "columns": t.shape[1],
            "algorithm": "monte_carlo",
            "b": b,
            "seed": seed,
            "hits": r.hits,
        }
    ]


def test_monte_carlo_of_a_single_row_is_one_with_every_table_a_hit() -> None:
    r = fisher_test([[0, 0, 0], [2, 3, 1]], simulate=True, b=1, seed=None)
    assert (r.p_value, r.hits, r.b, r.seed) == (1.0, 1, 1, None)
    assert r.shape == (2, 3) and r.n == 6


@pytest.mark.parametrize("b", [0, -3])
def test_monte_carlo_needs_a_positive_b(b: int) -> None:
    with pytest.raises(
        AnalysisError,
        match=re.escape(f"Fisher's exact test: b must be a positive integer, got {b}"),
    ):
        fisher_test([[3, 1], [1, 3]], simulate=True, b=b)


# ---- properties -----------------------------------------------------------------------------

small_tables = st.integers(2, 3).flatmap(
    lambda r: st.integers(2, 3).flatmap(
        lambda c: st.lists(st.integers(0, 3), min_size=r * c, max_size=r * c).map(
            lambda v: np.array(v).reshape(r, c)
        )
    )
)


@settings(max_examples=20, deadline=None)
@given(small_tables, st.randoms(use_true_random=False))
def test_p_values_do_not_depend_on_the_order_of_rows_and_columns(
    table: np.ndarray, rnd: Any
) -> None:
    if table.sum() == 0:
        return
    rp = rnd.sample(range(table.shape[0]), table.shape[0])
    cp = rnd.sample(range(table.shape[1]), table.shape[1])
    other = table[rp][:, cp]
    p = fisher_test(table).p_value
    assert fisher_test(other).p_value == pytest.approx(p, rel=1e-9)
    assert fisher_test(table.T).p_value == pytest.approx(p, rel=1e-9)
    used = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if min(used.shape) >= 2:
        c = chi_square_test(table)
        assert chi_square_test(other).statistic == pytest.approx(c.statistic, rel=1e-9)
        assert chi_square_test(other).p_value == pytest.approx(c.p_value, rel=1e-9)
        assert c.expected.sum() == pytest.approx(table.sum(), rel=1e-12)


# ================================================================================== groups.py


patients = st.lists(
    st.tuples(st.sampled_from(["x", "y", "z", None]), st.sampled_from(["a", "b", "c", None])),
    min_size=1,
    max_size=30,
)


@settings(max_examples=15, deadline=None)
@given(patients, st.randoms(use_true_random=False))
def test_every_patient_is_counted_once_whatever_the_row_order(
    rows: list[tuple[str | None, str | None]], rnd: Any
) -> None:
    data = pd.DataFrame(rows, columns=["v", "g"]).astype("string")
    if data["g"].isna().all():
        return
    cmp = compare_categorical(data, "v", "g")
    assert int(cmp.table.to_numpy().sum()) + cmp.n_missing + cmp.n_missing_by == len(data)
    assert cmp.n_missing_by == int(data["g"].isna().sum())
    order = rnd.sample(range(len(data)), len(data))
    shuffled = compare_categorical(data.iloc[order], "v", "g")
    pd.testing.assert_frame_equal(shuffled.table, cmp.table)
    assert shuffled.test == cmp.test and shuffled.reason == cmp.reason
    if cmp.test is None:
        assert math.isnan(shuffled.p_value)
    else:
        assert_p(shuffled.p_value, cmp.p_value)
    frame = describe_characteristics(data, "g", ["v"]).frame
    sizes = data["g"].value_counts()
    for group, part in frame.groupby("group"):
        size = int(data["g"].notna().sum()) if group == OVERALL else int(sizes[group])
        assert int(part["n"].sum()) + int(part["n_missing"].iloc[0]) == size
        assert (part["denominator"] == part["n"].sum()).all()


#: (table, requested test, code run, reason before the missing-value note)
CHOICES = [
    ([[5, 5], [5, 5]], "auto", "chisq", "all expected counts >= 5 (minimum 5.00): chi-square"),
    ([[5, 5], [10, 10]], "auto", "chisq", "all expected counts >= 5 (minimum 5.00): chi-square"),
    (
        [[5, 5], [5, 6]],
        "auto",
        "fisher",
        "1 of 4 expected counts < 5 (minimum 4.76): Fisher's exact test",
    ),
    (
        [[1, 9], [4, 6]],
        "auto",
        "fisher",
        "2 of 4 expected counts < 5 (minimum 2.50): Fisher's exact test",
    ),
    ([[1, 9], [4, 6]], "chisq", "chisq", "chisq requested (minimum expected count 2.50)"),
    ([[1, 9], [4, 6]], "chisq_yates", "chisq_yates", "chisq_yates requested (minimum expected "),
    ([[9, 3], [4, 8], [2, 6]], "chisq_yates", "chisq", "chisq_yates requested (minimum "),
    ([[9, 3], [4, 8]], "fisher", "fisher", "fisher requested (minimum expected count 5.50)"),
    ([[9, 3], [4, 8]], "fisher_mc", "fisher_mc", "fisher_mc requested (minimum expected "),
]


@pytest.mark.parametrize(("table", "requested", "code", "reason"), CHOICES)
def test_the_test_run_and_its_reason(
    table: list[list[int]], requested: str, code: str, reason: str
) -> None:
    cmp = compare_categorical(lg(table), "v", "g", test=requested, b=500, seed=2)  # type: ignore[arg-type]
    assert cmp.test == code
    assert cmp.reason.startswith(reason)
    assert cmp.reason.endswith("; 0 missing value(s) of 'v' excluded")
    t = np.array(table)
    assert_close(cmp.min_expected, float(stats.contingency.expected_freq(t).min()))
    assert cmp.n == int(t.sum())
    if code in ("chisq", "chisq_yates"):
        want = stats.chi2_contingency(t, correction=code == "chisq_yates")
        assert cmp.chisq is not None and cmp.fisher is None
        assert_close(num(cmp.statistic), float(want.statistic))
        assert_p(cmp.p_value, float(want.pvalue))
        assert cmp.df == want.dof
        assert cmp.method is cmp.chisq.method
        assert cmp.chisq.test == code
    else:
        assert cmp.fisher is not None and cmp.chisq is None
        assert cmp.statistic is None and cmp.df is None
        assert cmp.method is cmp.fisher.method
        assert cmp.fisher.simulated == (code == "fisher_mc")
        if code == "fisher":
            assert_p(cmp.p_value, exact_fisher(table))
        else:
            assert (cmp.fisher.b, cmp.fisher.seed) == (500, 2)
            assert cmp.p_value == (1 + (cmp.fisher.hits or 0)) / 501


def test_too_large_enumeration_falls_back_to_monte_carlo_with_its_settings() -> None:
    table = [[5, 6, 4], [6, 5, 7], [4, 7, 5]]
    cmp = compare_categorical(lg(table), "v", "g", test="fisher", max_work=10, b=99, seed=4)
    assert cmp.test == "fisher_mc"
    expected = stats.contingency.expected_freq(np.array(table))
    min_e, n_small = float(expected.min()), int((expected < 5).sum())
    assert cmp.reason == (
        f"fisher requested (minimum expected count {min_e:.2f}); exact enumeration too large, "
        "Monte Carlo P (B = 99, seed 4); 0 missing value(s) of 'v' excluded"
    )
    assert cmp.fisher is not None and cmp.fisher.simulated
    assert (cmp.fisher.b, cmp.fisher.seed) == (99, 4)
    auto = compare_categorical(lg(table), "v", "g", max_work=10, b=99, seed=4)
    assert auto.test == "fisher_mc"
    assert auto.reason.startswith(
        f"{n_small} of 9 expected counts < 5 (minimum {min_e:.2f}): Fisher's exact test"
    )
    assert "exact enumeration too large, Monte Carlo P (B = 99, seed 4)" in auto.reason
    # with the default limit the exact test runs
    exact = compare_categorical(lg(table), "v", "g", test="fisher")
    assert exact.test == "fisher" and exact.fisher is not None
    assert exact.fisher.algorithm == "network"


@pytest.mark.parametrize(
    ("edit", "n_missing", "n_missing_by", "note"),
    [
        ({}, 0, 0, "0 missing value(s) of 'v' excluded"),
        ({"v": [0, 1]}, 2, 0, "2 missing value(s) of 'v' excluded"),
        (
            {"g": [0]},
            0,
            1,
            "0 missing value(s) of 'v' excluded; 1 row(s) with missing 'g' excluded",
        ),
        (
            {"v": [0, 5, 6], "g": [6, 7, 8]},  # row 6 misses both: counted with 'g' only
            2,
            3,
            "2 missing value(s) of 'v' excluded; 3 row(s) with missing 'g' excluded",
        ),
    ],
)
def test_missing_values_are_counted_and_excluded(
    edit: dict[str, list[int]], n_missing: int, n_missing_by: int, note: str
) -> None:
    frame = lg([[6, 7], [8, 9]])
    for column, rows in edit.items():
        frame.loc[rows, column] = pd.NA
    cmp = compare_categorical(frame, "v", "g")
    assert (cmp.n_missing, cmp.n_missing_by) == (n_missing, n_missing_by)
    assert cmp.n == 30 - n_missing - n_missing_by
    assert cmp.reason.endswith("; " + note)
    assert int(cmp.table.to_numpy().sum()) == cmp.n


@pytest.mark.parametrize(
    ("frame", "kwargs", "reason", "min_expected"),
    [
        (lg([[3, 4]]), {}, "no test: 1 level(s) observed in 2 group(s)", 3.0),
        (lg([[3], [4]]), {}, "no test: 2 level(s) observed in 1 group(s)", 3.0),
        (lg([[1]]), {}, "no test: 1 level(s) observed in 1 group(s)", 1.0),  # n = 1: E = 1
        (
            lg([[3], [4]]),
            {"groups": ["G0", "G9"]},
            "no test: 2 level(s) observed in 1 group(s)",
            0.0,
        ),
        (lg([[3, 4]]), {"levels": ["L0", "L9"]}, "no test: 1 level(s) observed in 2 group(s)", 0.0),
    ],
)
def test_no_test_with_fewer_than_two_observed_levels_or_groups(
    frame: pd.DataFrame, kwargs: dict[str, Any], reason: str, min_expected: float
) -> None:
    cmp = compare_categorical(frame, "v", "g", **kwargs)
    assert cmp.test is None and math.isnan(cmp.p_value)
    assert cmp.reason.startswith(reason + "; 0 missing value(s) of 'v' excluded")
    assert (cmp.statistic, cmp.df, cmp.chisq, cmp.fisher, cmp.method) == (None,) * 5
    assert_close(cmp.min_expected, min_expected)
    assert cmp.n == len(frame)


def test_all_values_missing_gives_an_empty_table_and_no_test() -> None:
    frame = pd.DataFrame({"v": pd.array([None] * 3, dtype="string"), "g": ["a", "b", "a"]})
    cmp = compare_categorical(frame, "v", "g")
    assert cmp.table.shape == (0, 2)
    assert math.isnan(cmp.min_expected)
    assert cmp.reason == (
        "no test: 0 level(s) observed in 0 group(s); 3 missing value(s) of 'v' excluded"
    )
    # a given level: a table of zeros, expected counts 0
    cmp = compare_categorical(frame, "v", "g", levels=["x"])
    assert cmp.table.to_numpy().tolist() == [[0, 0]]
    assert cmp.min_expected == 0.0 and cmp.n == 0


def test_the_comparison_table_is_levels_by_groups_in_the_given_order() -> None:
    frame = frame_of([[1, 2, 0], [3, 0, 4]], ["x", "y"], ["a", "b", "c"])
    cmp = compare_categorical(frame, "v", "g", levels=["y", "w", "x"], groups=["c", "a", "b"])
    assert list(cmp.table.index) == ["y", "w", "x"] and cmp.table.index.name == "v"
    assert list(cmp.table.columns) == ["c", "a", "b"] and cmp.table.columns.name == "g"
    assert cmp.table.to_numpy().tolist() == [[4, 3, 0], [0, 0, 0], [0, 1, 2]]
    assert (cmp.table.dtypes == np.int64).all()
    assert (cmp.variable, cmp.by) == ("v", "g")
    assert cmp.test == "fisher"  # the unused level w has expected counts 0
    assert "of 9 expected counts < 5 (minimum 0.00)" in cmp.reason


def test_categorical_comparison_display() -> None:
    table = [[9, 3], [4, 8]]
    cmp = compare_categorical(lg(table), "v", "g", test="chisq")
    want = stats.chi2_contingency(np.array(table), correction=False)
    assert repr(cmp) == (
        f"<CategoricalComparison: 'v' by 'g', chisq, P = {want.pvalue:.3g}; "
        ".summary(), .to_frame()>"
    )
    rows = cmp.to_frame().to_dict("records")
    assert len(rows) == 1
    row = rows[0]
    assert list(row) == [
        "variable",
        "by",
        "test",
        "statistic",
        "df",
        "p_value",
        "min_expected",
        "n",
        "n_missing",
        "n_missing_by",
        "reason",
    ]
    assert (row["variable"], row["by"], row["test"], row["df"]) == ("v", "g", "chisq", 1)
    assert_close(row["statistic"], float(want.statistic))
    assert_p(row["p_value"], float(want.pvalue))
    assert_close(row["min_expected"], 5.5)
    assert (row["n"], row["n_missing"], row["n_missing_by"]) == (24, 0, 0)
    assert row["reason"] == cmp.reason
    assert cmp.summary().equals(cmp.to_frame())


def test_compare_categorical_errors_name_the_cause() -> None:
    frame = lg([[6, 7], [8, 9]])
    with pytest.raises(AnalysisError, match=re.escape("column 'nope' is not in the data")):
        compare_categorical(frame, "nope", "g")
    with pytest.raises(
        AnalysisError,
        match=re.escape(
            "unknown test 'exact' for 'v'; use auto, chisq, chisq_yates, fisher or fisher_mc"
        ),
    ):
        compare_categorical(frame, "v", "g", test="exact")  # type: ignore[arg-type]


# ---- continuous -----------------------------------------------------------------------------

X_A = [3.1, 0.2, 5.5, 7.0]
X_B = [1.0, 4.4, 2.2, 6.0, 8.5]
X_C = [9.1, 10.2, 0.7]


def cont_frame(samples: dict[str, list[float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "x": [v for vs in samples.values() for v in vs],
            "g": [g for g, vs in samples.items() for _ in vs],
        }
    )


def test_two_groups_without_ties_get_the_exact_wilcoxon_test() -> None:
    cmp = compare_continuous(cont_frame({"A": X_A, "B": X_B}), "x", "g")
    want = stats.mannwhitneyu(X_A, X_B, method="exact")
    assert (cmp.test, cmp.exact, cmp.df) == ("wilcoxon", True, None)
    assert_close(num(cmp.statistic), float(want.statistic))
    assert_p(cmp.p_value, float(want.pvalue))
    assert (
        cmp.reason == "2 groups: Wilcoxon rank-sum test (exact); 0 missing value(s) of 'x' excluded"
    )
    assert cmp.groups == ("A", "B") and cmp.n == {"A": 4, "B": 5}
    assert cmp.result is not None and cmp.method is cmp.result.method
    assert cmp.method.test == "Wilcoxon rank-sum test"


def test_two_groups_with_ties_get_the_normal_approximation() -> None:
    a, b = [1.0, 2.0, 2.0, 4.0], [2.0, 5.0, 6.0, 6.0, 7.0]
    cmp = compare_continuous(cont_frame({"A": a, "B": b}), "x", "g")
    want = stats.mannwhitneyu(a, b, method="asymptotic", use_continuity=True)
    assert (cmp.test, cmp.exact) == ("wilcoxon", False)
    assert_close(num(cmp.statistic), float(want.statistic))
    assert_p(cmp.p_value, float(want.pvalue))
    assert cmp.reason == "2 groups: Wilcoxon rank-sum test; 0 missing value(s) of 'x' excluded"


def test_three_groups_get_kruskal_wallis() -> None:
    cmp = compare_continuous(cont_frame({"A": X_A, "B": X_B, "C": X_C}), "x", "g")
    want = stats.kruskal(X_A, X_B, X_C)
    assert (cmp.test, cmp.df, cmp.exact) == ("kruskal", 2, False)
    assert_close(num(cmp.statistic), float(want.statistic))
    assert_p(cmp.p_value, float(want.pvalue))
    assert cmp.reason == "3 groups: Kruskal–Wallis test; 0 missing value(s) of 'x' excluded"
    assert cmp.groups == ("A", "B", "C")
    assert cmp.method is not None and cmp.method.test == "Kruskal–Wallis rank-sum test"


def test_groups_without_values_are_left_out_of_the_test() -> None:
    data = cont_frame({"A": X_A, "B": [NAN, NAN], "C": X_C})
    data.loc[len(data)] = [100.0, None]  # no group: excluded, not a missing value of x
    data.loc[len(data)] = [NAN, None]  # missing both: counted with the group only
    cmp = compare_continuous(data, "x", "g", groups=["D", "C", "B", "A"])
    want = stats.mannwhitneyu(X_C, X_A, method="exact")
    assert cmp.test == "wilcoxon" and cmp.groups == ("C", "A")
    assert cmp.n == {"D": 0, "C": 3, "B": 0, "A": 4}
    assert (cmp.n_missing, cmp.n_missing_by) == (2, 2)
    assert_close(num(cmp.statistic), float(want.statistic))
    assert_p(cmp.p_value, float(want.pvalue))
    assert cmp.reason == (
        "2 groups: Wilcoxon rank-sum test (exact); 2 missing value(s) of 'x' excluded; "
        "2 row(s) with missing 'g' excluded"
    )
    row = cmp.to_frame().to_dict("records")[0]
    assert (row["n"], row["n_missing"], row["n_missing_by"], row["exact"]) == (7, 2, 2, True)
    assert (row["variable"], row["by"], row["test"]) == ("x", "g", "wilcoxon")
    assert row["df"] is None and row["reason"] == cmp.reason
    assert_p(row["p_value"], float(want.pvalue))


@pytest.mark.parametrize(
    ("samples", "groups", "present", "sizes"),
    [
        ({"A": X_A}, None, 1, {"A": 4}),
        ({"A": X_A, "B": [NAN]}, None, 1, {"A": 4, "B": 0}),
        ({"A": [NAN], "B": [NAN]}, ["A", "B", "C"], 0, {"A": 0, "B": 0, "C": 0}),
    ],
)
def test_no_rank_test_with_fewer_than_two_groups_with_values(
    samples: dict[str, list[float]], groups: list[str] | None, present: int, sizes: dict[str, int]
) -> None:
    data = cont_frame(samples)
    cmp = compare_continuous(data, "x", "g", groups=groups)
    n_missing = int(data["x"].isna().sum())
    assert cmp.test is None and math.isnan(cmp.p_value)
    assert (cmp.statistic, cmp.df, cmp.exact, cmp.result, cmp.method) == (
        None,
        None,
        False,
        None,
        None,
    )
    assert (cmp.variable, cmp.by) == ("x", "g")
    assert cmp.groups == tuple(sizes) and cmp.n == sizes
    assert (cmp.n_missing, cmp.n_missing_by) == (n_missing, 0)
    assert cmp.reason == (
        f"no test: {present} group(s) with values; {n_missing} missing value(s) of 'x' excluded"
    )
    assert repr(cmp) == "<ContinuousComparison: 'x' by 'g', None, P = nan; .summary(), .to_frame()>"


def test_continuous_comparison_display() -> None:
    cmp = compare_continuous(cont_frame({"A": X_A, "B": X_B, "C": X_C}), "x", "g")
    want = stats.kruskal(X_A, X_B, X_C)
    assert repr(cmp) == (
        f"<ContinuousComparison: 'x' by 'g', kruskal, P = {want.pvalue:.3g}; "
        ".summary(), .to_frame()>"
    )
    row = cmp.to_frame().to_dict("records")[0]
    assert list(row) == [
        "variable",
        "by",
        "test",
        "statistic",
        "df",
        "p_value",
        "exact",
        "n",
        "n_missing",
        "n_missing_by",
        "reason",
    ]
    assert (row["df"], row["exact"], row["n"]) == (2, False, 12)
    assert_close(row["statistic"], float(want.statistic))
    assert cmp.summary().equals(cmp.to_frame())


@pytest.mark.parametrize(
    ("column", "message"),
    [
        ("nope", "column 'nope' is not in the data"),
        ("flag", "column 'flag' is not numeric (dtype bool)"),
        ("cat", "column 'cat' is not numeric (dtype category)"),
        ("text", "column 'text' has non-numeric value 'abc' (row 'r2')"),
    ],
)
def test_compare_continuous_errors_name_the_cause(column: str, message: str) -> None:
    data = pd.DataFrame(
        {
            "g": ["a", "b", "a", "b"],
            "flag": [True, False, True, False],
            "cat": pd.Categorical([1, 2, 1, 2]),
            "text": ["1.5", None, "abc", "2"],
        },
        index=["r0", "r1", "r2", "r3"],
    )
    with pytest.raises(AnalysisError, match=re.escape(message)):
        compare_continuous(data, column, "g")


def test_numeric_text_and_missing_values_are_read_as_numbers() -> None:
    data = pd.DataFrame({"g": ["a", "b", "a", "b", "a"], "x": ["1.5", None, "3", "2", "0.5"]})
    cmp = compare_continuous(data, "x", "g")
    want = stats.mannwhitneyu([1.5, 3.0, 0.5], [2.0], method="exact")
    assert cmp.n == {"a": 3, "b": 1} and cmp.n_missing == 1
    assert_p(cmp.p_value, float(want.pvalue))


# ================================================================================ _tabulate.py

#: (values of v, variable name, levels in display order, their counts)
LEVEL_ORDERS = [
    (
        pd.Categorical(["a", "c", "a", "b"], categories=["c", "a", "b", "z"]),
        "v",
        ["c", "a", "b", "z"],
        [1, 2, 1, 0],
    ),
    (pd.array([True, False, True, None], dtype="boolean"), "v", ["True", "False"], [2, 1]),
    (np.array([False, True, False, False]), "v", ["True", "False"], [1, 3]),
    (pd.array([10, 9, 1, None, 10, 1], dtype="Int64"), "v", ["1", "9", "10"], [2, 1, 2]),
    (np.array([3, 12, 3, 2]), "v", ["2", "3", "12"], [1, 2, 1]),
    (np.array([2.0, 1.0, np.nan, 2.0]), "v", ["1", "2"], [1, 2]),  # R prints 1, not 1.0
    (np.array([1.5, 0.5, 1.5, np.nan]), "v", ["0.5", "1.5"], [1, 2]),
    (np.array([np.nan, np.nan, np.nan, np.nan]), "v", [], []),
    (
        pd.array(["lung", "zzz", "pancreas", "aaa", None], dtype="string"),
        "primary_site",  # schema.LABELS order first, then the others sorted
        ["pancreas", "lung", "aaa", "zzz"],
        [1, 1, 1, 1],
    ),
    (
        np.array(["lung", "zzz", "pancreas", "aaa", "lung"], dtype=object),
        "site",
        ["aaa", "lung", "pancreas", "zzz"],
        [1, 2, 1, 1],
    ),
]


@pytest.mark.parametrize(("values", "name", "levels", "counts"), LEVEL_ORDERS)
def test_levels_follow_r_factor_order(
    values: Any, name: str, levels: list[str], counts: list[int]
) -> None:
    n = len(values)
    data = pd.DataFrame({name: values, "g": ["A", "B"] * (n // 2) + ["A"] * (n % 2)})
    cmp = compare_categorical(data, name, "g")
    assert list(cmp.table.index) == levels
    assert cmp.table.sum(axis=1).tolist() == counts
    assert cmp.n_missing == n - sum(counts)
    part = describe_characteristics(data, "g", [name], types={name: "categorical"}).frame
    overall = part[part["group"] == OVERALL]
    assert overall["level"].tolist() == levels and overall["n"].tolist() == counts


@pytest.mark.parametrize(
    ("given", "text"),
    [
        ([2.0, 1.0, 3.0], ["2", "1", "3"]),
        ([np.float64(2.0), np.int64(1), 3], ["2", "1", "3"]),
        (["2", "1", "3"], ["2", "1", "3"]),
    ],
)
def test_given_levels_and_groups_of_whole_numbers_read_as_r_prints_them(
    given: list[Any], text: list[str]
) -> None:
    data = pd.DataFrame({"v": [1.0, 2.0, 3.0, 2.0], "g": [2.0, 1.0, 2.0, 3.0]})
    cmp = compare_categorical(data, "v", "g", levels=given, groups=given)
    assert list(cmp.table.index) == text and list(cmp.table.columns) == text
    # (v, g) = (1, 2), (2, 1), (3, 2), (2, 3)
    assert cmp.table.to_numpy().tolist() == [[0, 1, 1], [1, 0, 0], [1, 0, 0]]


def test_given_numeric_levels_of_a_text_column_keep_their_fractions() -> None:
    data = pd.DataFrame({"v": ["2", "1", "3.5", "1"], "g": ["a", "b", "a", "b"]})
    cmp = compare_categorical(data, "v", "g", levels=[2.0, 1, 3.5])
    assert list(cmp.table.index) == ["2", "1", "3.5"]
    assert cmp.table.to_numpy().tolist() == [[1, 0], [0, 2], [1, 0]]


#: (values of the grouping column, groups in order)
GROUP_ORDERS = [
    (pd.Categorical(["b", "a", "b", "a"], categories=["b", "z", "a"]), ["b", "z", "a"]),
    (np.array([False, True, False, True]), ["True", "False"]),
    (pd.array([False, True, None, True], dtype="boolean"), ["True", "False"]),
    (np.array([10, 9, 10, 9]), ["9", "10"]),
    (np.array([2.0, 10.0, np.nan, 10.0]), ["2", "10"]),
    (np.array([0.5, 10.0, 0.5, 10.0]), ["0.5", "10.0"]),
    (np.array(["b", "a", None, "c"], dtype=object), ["a", "b", "c"]),
]


@pytest.mark.parametrize(("values", "groups"), GROUP_ORDERS)
def test_groups_follow_r_factor_order(values: Any, groups: list[str]) -> None:
    data = pd.DataFrame({"v": ["x", "y", "x", "y"], "g": values})
    cmp = compare_categorical(data, "v", "g")
    assert list(cmp.table.columns) == groups
    assert cmp.n_missing_by == int(pd.isna(pd.Series(values)).sum())
    assert cmp.n == 4 - cmp.n_missing_by


def test_boolean_values_with_missing_values_on_any_index() -> None:
    data = pd.DataFrame(
        {
            "flag": pd.array([True, None, False, True, None], dtype="boolean"),
            "arm": pd.array([True, True, None, False, False], dtype="boolean"),
        },
        index=[7, 3, 5, 1, 9],
    )
    cmp = compare_categorical(data, "flag", "arm")
    assert list(cmp.table.index) == ["True", "False"]
    assert list(cmp.table.columns) == ["True", "False"]
    assert cmp.table.to_numpy().tolist() == [[1, 1], [0, 0]]
    assert (cmp.n_missing, cmp.n_missing_by) == (2, 1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"by": "nope"}, "grouping column 'nope' is not in the data"),
        ({"groups": ["a"]}, "column 'g' has value(s) ['b', 'c'] outside the groups ['a']"),
        ({"levels": ["q"]}, "column 'v' has value(s) ['x', 'y'] outside its levels ['q']"),
        ({"levels": ["y"]}, "column 'v' has value(s) ['x'] outside its levels ['y']"),
    ],
)
def test_values_outside_the_levels_or_groups_are_errors(
    kwargs: dict[str, Any], message: str
) -> None:
    data = pd.DataFrame({"v": ["x", "y", None, "x"], "g": ["c", "a", "b", None]})
    by = kwargs.pop("by", "g")
    with pytest.raises(AnalysisError, match=re.escape(message)):
        compare_categorical(data, "v", by, **kwargs)


#: (a column, the type gtsummary infers)
TYPES = [
    (pd.Categorical([1.5, 2.5, 1.5]), "categorical"),
    (np.array([True, False, True]), "categorical"),
    (pd.array(["1", "2", "1"], dtype="string"), "categorical"),
    (np.array(["1", "2", "1"], dtype=object), "categorical"),
    (np.arange(9), "categorical"),  # 9 distinct whole numbers: a score
    (np.arange(10), "continuous"),  # 10: continuous
    (np.array([1.0, np.nan, 2.0]), "categorical"),
    (np.array([3.0, np.nan, np.nan]), "categorical"),  # one value, whole
    (pd.array([0, 1, None, 2], dtype="Int64"), "categorical"),
    (np.array([1.5, 2.5, 1.5]), "continuous"),  # few values, not whole: measured
    (np.array([np.nan, np.nan, np.nan]), "continuous"),  # no values: not a score
]


@pytest.mark.parametrize(("values", "kind"), TYPES)
def test_variable_types_follow_gtsummary(values: Any, kind: str) -> None:
    data = pd.DataFrame({"v": values, "g": ["a"] * len(values)})
    frame = describe_characteristics(data, "g", ["v"]).frame
    assert set(frame["type"]) == {kind}
    summary = summarize_characteristics(data, "g", ["v"])
    assert summary.comparisons["v"] is not None
    expected_class = "CategoricalComparison" if kind == "categorical" else "ContinuousComparison"
    assert type(summary.comparisons["v"]).__name__ == expected_class


def test_a_column_neither_categorical_nor_numeric_must_be_typed() -> None:
    data = pd.DataFrame({"d": pd.to_datetime(["2020-01-01", "2020-02-01"]), "g": ["a", "b"]})
    with pytest.raises(
        AnalysisError,
        match=re.escape(
            "column 'd' has dtype datetime64[ns]: neither categorical nor numeric; "
            "pass types={...} or convert it"
        ),
    ):
        describe_characteristics(data, "g", ["d"])


# ---- the rows of a summary ------------------------------------------------------------------

#: groups A (3 patients), B (1), C (2, values missing), D (none), and one without a group
ROWS_DATA = pd.DataFrame(
    {
        "g": ["A", "B", "A", "C", "A", "C", None, "E", "E", "F"],
        "v": ["x", "y", "y", None, "x", None, "y", "x", "x", "y"],
        "x": [1.0, 5.0, 2.0, np.nan, 4.0, np.nan, 100.5, 6.0, 9.0, 3.0],
    }
)
ROW_GROUPS = ["A", "B", "C", "D", "E", "F"]
#: group -> (x count, y count, missing v), counted by hand from ROWS_DATA
CAT_COUNTS = {
    "A": (2, 1, 0),
    "B": (0, 1, 0),
    "C": (0, 0, 2),
    "D": (0, 0, 0),
    "E": (2, 0, 0),
    "F": (0, 1, 0),
}
X_VALUES = {"A": [1.0, 2.0, 4.0], "B": [5.0], "C": [], "D": [], "E": [6.0, 9.0], "F": [3.0]}
X_SIZES = {"A": 3, "B": 1, "C": 2, "D": 0, "E": 2, "F": 1}


@pytest.mark.filterwarnings("error")  # empty groups and single values warn nothing
@pytest.mark.parametrize("overall", [True, False])
def test_categorical_rows_count_each_level_with_the_groups_values_as_denominator(
    overall: bool,
) -> None:
    s = describe_characteristics(
        ROWS_DATA, "g", ["v"], groups=ROW_GROUPS, overall=overall, labels={"v": "Value"}
    )
    counts = dict(CAT_COUNTS)
    if overall:
        counts = {OVERALL: tuple(sum(c[i] for c in CAT_COUNTS.values()) for i in range(3))}
        counts.update(CAT_COUNTS)
    frame = s.frame
    assert frame["group"].tolist() == [g for g in counts for _ in range(2)]
    assert frame["level"].tolist() == ["x", "y"] * len(counts)
    assert set(frame["variable"]) == {"v"} and set(frame["label"]) == {"Value"}
    assert set(frame["type"]) == {"categorical"}
    for g, (nx, ny, miss) in counts.items():
        part = frame[frame["group"] == g]
        assert part["n"].tolist() == [nx, ny]
        assert part["denominator"].tolist() == [nx + ny] * 2
        assert part["n_missing"].tolist() == [miss] * 2
        want = [100 * nx / (nx + ny), 100 * ny / (nx + ny)] if nx + ny else [NAN, NAN]
        for got, w in zip(part["pct"].tolist(), want, strict=True):
            assert_close(got, w)
    for column in ("median", "min", "max", "mean", "sd", "p_value"):
        assert frame[column].isna().all() and frame[column].dtype == np.float64, column
    assert frame["test"].isna().all()
    assert s.groups == ((OVERALL,) if overall else ()) + tuple(ROW_GROUPS)
    assert s.group_sizes == {**({OVERALL: 9} if overall else {}), **X_SIZES}
    assert s.n_missing_by == 1 and s.overall is overall
    assert s.variables == ("v",) and s.comparisons == {"v": None}


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("overall", [True, False])
def test_continuous_rows_describe_each_groups_values(overall: bool) -> None:
    s = describe_characteristics(ROWS_DATA, "g", ["x"], groups=ROW_GROUPS, overall=overall)
    values = dict(X_VALUES)
    sizes = dict(X_SIZES)
    if overall:
        values = {OVERALL: [v for vs in X_VALUES.values() for v in vs], **X_VALUES}
        sizes = {OVERALL: 9, **X_SIZES}
    frame = s.frame
    assert frame["group"].tolist() == list(values)
    assert frame["level"].isna().all() and frame["pct"].isna().all()
    assert set(frame["type"]) == {"continuous"} and set(frame["label"]) == {"x"}
    for row in frame.to_dict("records"):
        v = values[row["group"]]
        assert (row["n"], row["denominator"]) == (len(v), sizes[row["group"]])
        assert row["n_missing"] == sizes[row["group"]] - len(v)
        want = {
            "median": statistics.median(v) if v else NAN,
            "min": min(v) if v else NAN,
            "max": max(v) if v else NAN,
            "mean": statistics.fmean(v) if v else NAN,
            "sd": statistics.stdev(v) if len(v) > 1 else NAN,
        }
        for key, w in want.items():
            assert_close(row[key], w, what=f"{row['group']} {key}")


def test_summary_frame_columns_dtypes_and_index() -> None:
    s = describe_characteristics(ROWS_DATA, "g", ["x", "v"])
    frame = s.frame
    assert tuple(frame.columns) == SUMMARY_COLUMNS
    assert frame.index.equals(pd.RangeIndex(len(frame)))
    assert len(frame) == 6 + 6 * 2  # groups all, A, B, C, E, F (D has no rows); v: 2 levels
    for column in ("variable", "label", "type", "level", "group", "test"):
        assert frame[column].dtype == "string", column
    for column in ("n", "denominator", "n_missing"):
        assert frame[column].dtype == "Int64", column
    for column in ("pct", "median", "min", "max", "mean", "sd", "p_value"):
        assert frame[column].dtype == np.float64, column
    assert frame["variable"].tolist() == ["x"] * 6 + ["v"] * 12


def test_no_variables_give_an_empty_typed_frame() -> None:
    s = describe_characteristics(ROWS_DATA, "g", [])
    assert s.frame.empty and tuple(s.frame.columns) == SUMMARY_COLUMNS
    # the dtypes of a summary with rows
    want = describe_characteristics(ROWS_DATA, "g", ["x", "v"]).frame.dtypes
    pd.testing.assert_series_equal(s.frame.dtypes, want)
    assert (
        repr(s)
        == "<CharacteristicsSummary: 0 variables by 'g' (6 groups); .summary(), .to_frame()>"
    )
    tested = add_tests(s, ROWS_DATA)
    assert tested.frame.empty and tested.comparisons == {}
    pd.testing.assert_series_equal(tested.frame.dtypes, want)


# ========================================================================== characteristics.py


def test_default_variables_leave_out_by_dates_and_identifiers() -> None:
    data = pd.DataFrame(
        {
            "arm": ["A", "B", "A"],
            "x": [1.0, 2.0, 3.0],
            "id": np.array(["p1", "p2", "p3"], dtype=object),
            "when": pd.to_datetime(["2020-01-01", "2020-02-01", "2020-03-01"]),
            "sid": pd.array(["s1", "s2", "s3"], dtype="string"),
            "one": np.array(["a", None, None], dtype=object),
            "two": np.array(["a", "b", None], dtype=object),
            "y": np.array(["a", "a", "b"], dtype=object),
            5: [1, 2, 3],
        }
    )
    assert default_variables(data, "arm") == ["x", "one", "y", "5"]
    assert default_variables(data, "x") == ["arm", "one", "y", "5"]
    s = describe_characteristics(data.drop(columns=[5]), "arm")
    assert s.variables == ("x", "one", "y")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"variables": ["nope", "x"]},
            "summarize_characteristics: column(s) ['nope'] not in the data",
        ),
        ({"variables": ["x", "g"]}, "summarize_characteristics: 'g' is the grouping column"),
        ({"by": "zz", "variables": ["x"]}, "grouping column 'zz' is not in the data"),
        (
            {"by": "empty", "variables": ["x"]},
            "column 'empty' has no non-missing values to group by",
        ),
        (
            {"variables": ["x"], "types": {"x": "ordinal"}},
            "type of 'x' must be 'categorical' or 'continuous', got 'ordinal'",
        ),
    ],
)
def test_describe_errors_name_the_cause(kwargs: dict[str, Any], message: str) -> None:
    data = ROWS_DATA.assign(empty=pd.array([None] * len(ROWS_DATA), dtype="string"))
    by = kwargs.pop("by", "g")
    with pytest.raises(AnalysisError, match=re.escape(message)):
        describe_characteristics(data, by, **kwargs)


def test_types_labels_and_levels_override_the_defaults() -> None:
    data = pd.DataFrame(
        {"g": ["a", "b", "a", "b", "a"], "k": [1, 2, 1, 3, 2], "v": ["x", "y", "x", "y", "x"]}
    )
    s = describe_characteristics(
        data,
        "g",
        ["k", "v"],
        types={"k": "continuous"},
        labels={"v": "Vee"},
        levels={"v": ["y", "w", "x"]},
    )
    frame = s.frame
    k = frame[frame["variable"] == "k"]
    assert set(k["type"]) == {"continuous"} and k["level"].isna().all()
    assert set(k["label"]) == {"k"}
    v = frame[(frame["variable"] == "v") & (frame["group"] == OVERALL)]
    assert v["level"].tolist() == ["y", "w", "x"] and v["n"].tolist() == [2, 0, 3]
    assert set(v["label"]) == {"Vee"}
    default = describe_characteristics(data, "g", ["k", "v"]).frame
    assert set(default.loc[default["variable"] == "k", "type"]) == {"categorical"}


def test_summary_display_counts_variables_and_groups() -> None:
    data = pd.DataFrame({"g": ["a", "b", "a"], "x": [1.0, 2.0, 3.0], "v": ["p", "q", "p"]})
    s = describe_characteristics(data, "g", ["x", "v"])
    assert (
        repr(s)
        == "<CharacteristicsSummary: 2 variables by 'g' (3 groups); .summary(), .to_frame()>"
    )
    one = describe_characteristics(data[data["g"] == "a"], "g", ["x"], overall=False)
    assert (
        repr(one)
        == "<CharacteristicsSummary: 1 variable by 'g' (1 group); .summary(), .to_frame()>"
    )
    copy = s.to_frame()
    assert copy.equals(s.frame) and s.summary().equals(s.frame)
    copy.loc[0, "n"] = 99
    assert s.frame.loc[0, "n"] != 99
    assert s.tests == {"x": None, "v": None} and s.methods == []


#: a cohort of 24 patients in groups 1, 2 and 3+
COHORT = pd.DataFrame(
    {
        "line": ["1"] * 8 + ["2"] * 8 + ["3+"] * 8,
        "sex": ["f"] * 6 + ["m"] * 2 + ["f"] * 3 + ["m"] * 5 + ["f"] * 2 + ["m"] * 6,
        "site": ["p"] * 7 + ["q"] + ["p"] * 3 + ["q"] * 5 + ["q"] * 6 + ["r"] * 2,
        "age": [float(a) for a in (41, 52, 63, 47, 58, 69, 44, 55)]
        + [float(a) for a in (50, 61, 72, 46, 57, 68, 43, 54)]
        + [float(a) for a in (65, 71, 59, 77, 62, 74, 80, 67)],
        "score": [0, 1, 1, 2, 0, 1, 3, 0] * 3,
    }
)


def cohort_table(variable: str, groups: list[str]) -> list[list[int]]:
    """A variable's levels (sorted) x groups table, counted with pandas."""
    t = pd.crosstab(COHORT[variable], COHORT["line"])
    return t[groups].to_numpy().tolist()


def test_add_tests_fills_each_variables_p_value_and_test() -> None:
    s = summarize_characteristics(COHORT, "line", ["age", "sex", "site"])
    ages = [COHORT.loc[COHORT["line"] == g, "age"].tolist() for g in ("1", "2", "3+")]
    want = {  # sex: expected counts 11/3 < 5; site: expected counts 2/3 < 5
        "age": ("kruskal", float(stats.kruskal(*ages).pvalue)),
        "sex": ("fisher", exact_fisher(cohort_table("sex", ["1", "2", "3+"]))),
        "site": ("fisher", exact_fisher(cohort_table("site", ["1", "2", "3+"]))),
    }
    assert s.tests == {v: t for v, (t, _) in want.items()}
    for variable, (test, p) in want.items():
        part = s.frame[s.frame["variable"] == variable]
        assert set(part["test"]) == {test}
        for got in part["p_value"]:
            assert_p(got, p)
    assert s.frame["p_value"].dtype == np.float64 and s.frame["test"].dtype == "string"
    sex_cmp = s.comparisons["sex"]
    assert sex_cmp is not None and sex_cmp.test == "fisher"
    assert sex_cmp.by == "line"
    assert list(sex_cmp.table.columns) == ["1", "2", "3+"]  # "all" is not a group to test
    assert [m.test for m in s.methods] == ["Kruskal–Wallis rank-sum test", "Fisher's exact test"]


@pytest.mark.parametrize(
    ("tests", "tested"),
    [
        (True, {"age", "sex", "site"}),
        (False, set()),
        (["site"], {"site"}),
        ({"age", "sex"}, {"age", "sex"}),
    ],
)
def test_only_the_variables_asked_for_are_tested(tests: Any, tested: set[str]) -> None:
    s = summarize_characteristics(COHORT, "line", ["age", "sex", "site"], tests=tests)
    assert {v for v, c in s.comparisons.items() if c is not None} == tested
    assert {v for v, t in s.tests.items() if t is not None} == tested
    frame = s.frame
    untested = ~frame["variable"].isin(list(tested))
    assert frame.loc[untested, "p_value"].isna().all()
    assert frame.loc[untested, "test"].isna().all()
    assert frame.loc[~untested, "p_value"].notna().all()
    assert frame["test"].dtype == "string" and frame["p_value"].dtype == np.float64


def test_tests_without_the_overall_group_and_in_the_given_group_order() -> None:
    groups = ["3+", "1", "2"]
    s = summarize_characteristics(COHORT, "line", ["age", "site"], overall=False, groups=groups)
    assert s.groups == tuple(groups) and s.overall is False
    site = s.comparisons["site"]
    assert site is not None and site.table.columns.tolist() == groups
    assert site.table.to_numpy().tolist() == cohort_table("site", groups)
    assert_p(site.p_value, exact_fisher(cohort_table("site", groups)))
    age = s.comparisons["age"]
    assert age is not None and age.groups == tuple(groups)
    ages = [COHORT.loc[COHORT["line"] == g, "age"].tolist() for g in groups]
    assert_close(num(age.statistic), float(stats.kruskal(*ages).statistic))
    two = summarize_characteristics(
        COHORT[COHORT["line"] != "3+"], "line", ["age"], overall=False, groups=["2", "1"]
    )
    cmp = two.comparisons["age"]
    assert cmp is not None and cmp.test == "wilcoxon" and cmp.groups == ("2", "1")
    assert_close(num(cmp.statistic), float(stats.mannwhitneyu(ages[2], ages[1]).statistic))


def test_missing_values_reach_the_tests() -> None:
    data = COHORT.copy()
    data.loc[[0, 9], "site"] = None
    data.loc[[3], "line"] = None
    s = summarize_characteristics(data, "line", ["site"])
    cmp = s.comparisons["site"]
    assert cmp is not None and (cmp.n_missing, cmp.n_missing_by) == (2, 1)
    assert cmp.reason.endswith(
        "; 2 missing value(s) of 'site' excluded; 1 row(s) with missing 'line' excluded"
    )
    assert s.n_missing_by == 1


def test_the_levels_given_reach_the_tests() -> None:
    s = summarize_characteristics(COHORT, "line", ["sex"], levels={"sex": ["m", "f"]})
    cmp = s.comparisons["sex"]
    assert cmp is not None and list(cmp.table.index) == ["m", "f"]
    with_unused = summarize_characteristics(
        COHORT, "line", ["site"], levels={"site": ["r", "q", "p", "z"]}
    )
    cmp = with_unused.comparisons["site"]
    assert cmp is not None and list(cmp.table.index) == ["r", "q", "p", "z"]
    assert cmp.table.loc["z"].tolist() == [0, 0, 0]


def test_categorical_test_chisq_forces_pearson() -> None:
    s = summarize_characteristics(COHORT, "line", ["sex", "age"], categorical_test="chisq")
    want = stats.chi2_contingency(np.array(cohort_table("sex", ["1", "2", "3+"])), correction=False)
    assert s.tests == {"sex": "chisq", "age": "kruskal"}
    cmp = s.comparisons["sex"]
    min_e = float(want.expected_freq.min())
    assert cmp is not None
    assert cmp.reason.startswith(f"chisq requested (minimum expected count {min_e:.2f})")
    assert_p(cmp.p_value, float(want.pvalue))
    assert [m.test for m in s.methods] == [
        "Pearson's chi-square test",
        "Kruskal–Wallis rank-sum test",
    ]


def test_the_monte_carlo_settings_reach_the_tests() -> None:
    s = summarize_characteristics(COHORT, "line", ["site"], max_work=10, b=99, seed=8)
    cmp = s.comparisons["site"]
    assert cmp is not None and cmp.test == "fisher_mc"
    assert cmp.fisher is not None and (cmp.fisher.b, cmp.fisher.seed) == (99, 8)
    assert cmp.p_value == (1 + (cmp.fisher.hits or 0)) / 100
    assert set(s.frame["test"]) == {"fisher_mc"}


def test_methods_are_listed_once_in_order_of_first_use() -> None:
    data = COHORT.assign(sex2=COHORT["sex"], age2=COHORT["age"])
    s = summarize_characteristics(
        data, "line", ["sex", "age", "sex2", "site", "age2"], tests=["sex", "age", "sex2", "age2"]
    )
    assert [m.test for m in s.methods] == ["Fisher's exact test", "Kruskal–Wallis rank-sum test"]
    only = summarize_characteristics(data, "line", ["site", "age"], tests=["age"])
    assert [m.test for m in only.methods] == ["Kruskal–Wallis rank-sum test"]
    single = summarize_characteristics(COHORT.assign(one="x"), "line", ["one"])
    assert single.tests == {"one": None} and single.methods == []


@pytest.mark.parametrize(
    ("types", "message"),
    [
        (
            {"age": "categorical"},
            "add_tests: 'age' was described as continuous, not categorical; "
            "pass the types given to describe_characteristics",
        ),
        (
            {"sex": "continuous"},
            "add_tests: 'sex' was described as categorical, not continuous; pass the types given",
        ),
    ],
)
def test_add_tests_refuses_a_type_other_than_described(types: dict[str, Any], message: str) -> None:
    s = describe_characteristics(COHORT, "line", ["age", "sex"])
    with pytest.raises(AnalysisError, match=re.escape(message)):
        add_tests(s, COHORT, types=types)


def test_add_tests_needs_the_described_columns() -> None:
    s = describe_characteristics(COHORT, "line", ["age", "sex"])
    with pytest.raises(
        AnalysisError, match=re.escape("add_tests: column(s) ['sex'] not in the data")
    ):
        add_tests(s, COHORT.drop(columns="sex"))


def test_add_tests_refuses_an_unknown_type_of_a_variable_without_rows() -> None:
    data = COHORT.assign(blank=pd.array([None] * len(COHORT), dtype="string"))
    s = describe_characteristics(data, "line", ["blank"])
    assert s.frame.empty  # no levels: no rows, so no described type to compare with
    with pytest.raises(
        AnalysisError,
        match=re.escape("type of 'blank' must be 'categorical' or 'continuous', got 'bogus'"),
    ):
        add_tests(s, data, types={"blank": "bogus"})  # type: ignore[dict-item]


@functools.cache
def plain_summary() -> Any:
    return summarize_characteristics(COHORT, "line", ["age", "sex", "site", "score"])


#: each option of summarize_characteristics, given to the step that uses it
STEP_OPTIONS = [
    ({"labels": {"sex": "Sex"}}, {}),
    ({"overall": False}, {}),
    ({"types": {"score": "continuous"}}, {"types": {"score": "continuous"}}),
    ({"levels": {"site": ["r", "q", "p"]}}, {"levels": {"site": ["r", "q", "p"]}}),
    ({"groups": ["2", "3+", "1"]}, {}),
    ({}, {"tests": ["age"]}),
    ({}, {"max_work": 10, "b": 49, "seed": 5}),
    ({}, {"categorical_test": "chisq"}),
]


@pytest.mark.parametrize(("describe_kw", "test_kw"), STEP_OPTIONS)
def test_summarize_is_describe_then_add_tests(
    describe_kw: dict[str, Any], test_kw: dict[str, Any]
) -> None:
    variables = ["age", "sex", "site", "score"]
    both = summarize_characteristics(COHORT, "line", variables, **{**describe_kw, **test_kw})
    steps = add_tests(
        describe_characteristics(COHORT, "line", variables, **describe_kw), COHORT, **test_kw
    )
    pd.testing.assert_frame_equal(both.frame, steps.frame)
    assert both.groups == steps.groups and both.tests == steps.tests
    # and the option matters
    assert not plain_summary().frame.equals(both.frame)
