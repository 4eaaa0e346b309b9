"""Group comparisons (captemstats.compare) against R, plus properties and the study summary.

R values come from tests/reference/: small_reference.csv and <dataset>_reference.csv (made by
make_reference.R; inputs listed in datasets.csv) and compare_reference.csv (made by
make_compare_reference.R from compare_input.csv and the tables written in it). Agreement: the
shared rule of tests/_compare.py (1e-8 relative, P values too, on the log scale below 1e-300).
"""

from __future__ import annotations

import itertools
import math
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _compare import assert_close
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captemstats.compare import (
    OVERALL,
    CategoricalComparison,
    CharacteristicsSummary,
    EnumerationTooLarge,
    chi_square_test,
    compare_categorical,
    compare_continuous,
    fisher_test,
    kruskal_wallis_test,
    summarize_characteristics,
    wilcoxon_rank_sum_test,
)
from captemstats.compare._network import _two_column_extremes, _two_column_values
from captemstats.errors import AnalysisError

REF = Path(__file__).parent / "reference"


# -- reference helpers ------------------------------------------------------------------------


@cache
def reference(name: str) -> pd.DataFrame:
    frame = pd.read_csv(REF / name, dtype={"group": str, "term": str}, keep_default_na=False)
    frame["value"] = pd.to_numeric(frame["value"].replace("NA", np.nan))
    return frame


def ref_value(name: str, analysis: str, group: str, stat: str, term: str = "") -> float:
    r = reference(name)
    hit = r[
        (r["analysis"] == analysis)
        & (r["group"] == group)
        & (r["stat"] == stat)
        & (r["term"] == term)
    ]
    assert len(hit) == 1, (name, analysis, group, stat, term)
    return float(hit["value"].iloc[0])


def ref_table(name: str, group: str) -> np.ndarray:
    r = reference(name)
    rows = r[(r["analysis"] == "table") & (r["group"] == group)]
    dim = rows.loc[rows["stat"] == "dim", "value"].astype(int).tolist()
    return rows.loc[rows["stat"] == "cells", "value"].to_numpy().astype(int).reshape(dim)


def ref_values(name: str, group: str) -> np.ndarray:
    r = reference(name)
    return r.loc[(r["analysis"] == "values") & (r["group"] == group), "value"].to_numpy()


def table_names(name: str) -> list[str]:
    r = reference(name)
    return list(pd.unique(r.loc[r["analysis"] == "table", "group"]))


def assert_rel(actual: float, expected: float) -> None:
    assert_close(actual, expected)


def assert_p(actual: float, expected: float) -> None:
    assert_close(actual, expected, p_value=True)


TABLE_CASES = [("small_reference.csv", g) for g in table_names("small_reference.csv")] + [
    ("compare_reference.csv", g) for g in table_names("compare_reference.csv")
]


# -- chi-square and Fisher on R's tables ------------------------------------------------------


@pytest.mark.parametrize(("source", "name"), TABLE_CASES)
def test_chi_square_matches_r(source: str, name: str) -> None:
    res = chi_square_test(ref_table(source, name))
    assert_rel(res.statistic, ref_value(source, "chisq", name, "statistic"))
    assert_p(res.p_value, ref_value(source, "chisq", name, "p"))
    if source == "compare_reference.csv":
        assert res.df == ref_value(source, "chisq", name, "df")
        assert_rel(res.min_expected, ref_value(source, "chisq", name, "expected_min"))
        assert res.any_expected_below_5 == (res.min_expected < 5)
    assert res.method.continuity_correction is False
    assert len(res.to_frame()) == res.observed.size


@pytest.mark.parametrize(("source", "name"), TABLE_CASES)
def test_fisher_matches_r(source: str, name: str) -> None:
    table = ref_table(source, name)
    res = fisher_test(table)
    assert_p(res.p_value, ref_value(source, "fisher", name, "p"))
    assert res.algorithm == ("hypergeometric" if table.shape == (2, 2) else "network")
    assert res.test == "fisher"
    assert not res.simulated


def _dataset_pairs(column: str) -> list[tuple[str, str]]:
    config = pd.read_csv(REF / "datasets.csv", dtype=str, keep_default_na=False)
    return [
        (row["name"], pair.strip())
        for _, row in config.iterrows()
        for pair in row[column].split(";")
        if pair.strip()
    ]


@pytest.mark.parametrize(("dataset", "pair"), _dataset_pairs("cat_tests"))
def test_dataset_categorical_tests_match_r(dataset: str, pair: str) -> None:
    data = pd.read_csv(REF / f"{dataset}.csv")
    row, col = pair.split("~")
    table = pd.crosstab(data[row], data[col])  # R's table(): missing values left out
    source = f"{dataset}_reference.csv"
    ch = chi_square_test(table)
    assert_rel(ch.statistic, ref_value(source, "chisq", pair, "statistic"))
    assert ch.df == ref_value(source, "chisq", pair, "df")
    assert_p(ch.p_value, ref_value(source, "chisq", pair, "p"))
    assert_rel(ch.min_expected, ref_value(source, "chisq", pair, "expected_min"))
    assert_p(fisher_test(table).p_value, ref_value(source, "fisher", pair, "p"))
    # the same through the data-frame interface, with the test forced
    for test, analysis in (("chisq", "chisq"), ("fisher", "fisher")):
        cmp = compare_categorical(data, row, col, test=test)  # type: ignore[arg-type]
        assert cmp.test == test
        assert_p(cmp.p_value, ref_value(source, analysis, pair, "p"))
        assert cmp.n_missing == int(data.loc[data[col].notna(), row].isna().sum())


@pytest.mark.parametrize(("dataset", "pair"), _dataset_pairs("cont_tests"))
def test_dataset_rank_tests_match_r(dataset: str, pair: str) -> None:
    data = pd.read_csv(REF / f"{dataset}.csv")
    value, group = pair.split("~")
    source = f"{dataset}_reference.csv"
    cmp = compare_continuous(data, value, group)
    n_groups = data.loc[data[value].notna(), group].dropna().nunique()
    expected_test = "wilcoxon" if n_groups == 2 else "kruskal"
    assert cmp.test == expected_test
    assert_rel(float(cmp.statistic or 0), ref_value(source, expected_test, pair, "statistic"))
    assert_p(cmp.p_value, ref_value(source, expected_test, pair, "p"))
    if expected_test == "kruskal":
        assert cmp.df == ref_value(source, "kruskal", pair, "df")


# -- rank tests -------------------------------------------------------------------------------


def test_wilcoxon_exact_small_reference() -> None:
    a, b = ref_values("small_reference.csv", "a"), ref_values("small_reference.csv", "b")
    res = wilcoxon_rank_sum_test(a, b)
    assert res.exact
    assert_rel(
        res.statistic, ref_value("small_reference.csv", "wilcoxon_exact", "a~b", "statistic")
    )
    assert_p(res.p_value, ref_value("small_reference.csv", "wilcoxon_exact", "a~b", "p"))


@pytest.mark.parametrize("pair", ["ex_x~ex_y", "tie_x~tie_y", "big_x~big_y"])
def test_wilcoxon_branches_match_r(pair: str) -> None:
    src = "compare_reference.csv"
    x, y = (ref_values(src, s) for s in pair.split("~"))
    res = wilcoxon_rank_sum_test(x, y)
    assert res.exact == bool(ref_value(src, "wilcoxon", pair, "exact"))
    assert_rel(res.statistic, ref_value(src, "wilcoxon", pair, "statistic"))
    assert_p(res.p_value, ref_value(src, "wilcoxon", pair, "p"))


def test_wilcoxon_exact_distribution_matches_enumeration() -> None:
    """The exact null of W (additions-only DP) equals brute-force enumeration of subsets."""
    x, y = [3.1, 0.2, 5.5], [1.0, 4.4, 2.2, 6.0]
    res = wilcoxon_rank_sum_test(x, y)
    ranks = np.argsort(np.argsort(np.array(x + y))) + 1
    w_obs = ranks[:3].sum() - 6
    ws = np.array([sum(c) - 6 for c in itertools.combinations(range(1, 8), 3)])
    tail = min((ws <= w_obs).mean(), (ws >= w_obs).mean())
    assert res.p_value == pytest.approx(min(1.0, 2 * tail), abs=1e-12)


def test_kruskal_matches_r() -> None:
    src = "compare_reference.csv"
    samples = [ref_values(src, f"kw_{i}") for i in (1, 2, 3)]
    res = kruskal_wallis_test(samples)
    assert res.ties
    assert res.df == 2
    assert_rel(res.statistic, ref_value(src, "kruskal", "kw_1~kw_2~kw_3", "statistic"))
    assert_p(res.p_value, ref_value(src, "kruskal", "kw_1~kw_2~kw_3", "p"))


def test_kruskal_drops_empty_groups_and_nan() -> None:
    full = kruskal_wallis_test([[1.0, 2.0, np.nan], [3.0, 4.5], [], [0.5, 9.0]])
    same = kruskal_wallis_test([[1.0, 2.0], [3.0, 4.5], [0.5, 9.0]])
    assert full.df == 2
    assert full.statistic == pytest.approx(same.statistic)


# -- the 3-group data set summarised as gtsummary would ---------------------------------------


@cache
def input_summary() -> tuple[pd.DataFrame, pd.DataFrame]:
    data = pd.read_csv(REF / "compare_input.csv", dtype={"line_group": str})
    summary = summarize_characteristics(
        data, "line_group", ["site", "sex", "prior_ssa", "age", "ki67"]
    )
    return data, summary.to_frame()


@pytest.mark.parametrize("variable", ["site", "sex", "prior_ssa"])
def test_categorical_summary_matches_r(variable: str) -> None:
    src = "compare_reference.csv"
    _, frame = input_summary()
    part = frame[frame["variable"] == variable]
    assert list(pd.unique(part["group"])) == [OVERALL, "1", "2", "3+"]
    r = reference(src)
    rows = r[(r["analysis"] == "summary_cat") & (r["group"] == variable)]
    for _, ref_row in rows[rows["stat"] == "n"].iterrows():
        level, group = ref_row["term"].split("|")
        ours = part[(part["level"].str.lower() == level.lower()) & (part["group"] == group)]
        assert len(ours) == 1, (level, group)
        assert int(ours["n"].iloc[0]) == ref_row["value"]
        assert_rel(
            float(ours["pct"].iloc[0]),
            ref_value(src, "summary_cat", variable, "pct", ref_row["term"]),
        )
    for group in (OVERALL, "1", "2", "3+"):
        n_missing = part.loc[part["group"] == group, "n_missing"].unique()
        assert n_missing.tolist() == [
            ref_value(src, "summary_cat", group=variable, stat="n_missing", term=group)
        ]
    # gtsummary's rule: chi-square when every expected count >= 5, else Fisher
    min_expected = ref_value(src, "test_cat", variable, "expected_min")
    test = "chisq" if min_expected >= 5 else "fisher"
    assert set(part["test"]) == {test}
    assert_p(float(part["p_value"].iloc[0]), ref_value(src, "test_cat", variable, f"{test}_p"))


@pytest.mark.parametrize("variable", ["age", "ki67"])
def test_continuous_summary_matches_r(variable: str) -> None:
    src = "compare_reference.csv"
    data, frame = input_summary()
    part = frame[frame["variable"] == variable].set_index("group")
    assert part["level"].isna().all()
    for group in (OVERALL, "1", "2", "3+"):
        r = reference(src)
        rows = r[
            (r["analysis"] == "summary_cont") & (r["group"] == variable) & (r["term"] == group)
        ]
        for _, ref_row in rows.iterrows():
            assert_rel(float(part.loc[group, ref_row["stat"]]), float(ref_row["value"]))
    assert set(part["test"]) == {"kruskal"}
    assert_p(float(part["p_value"].iloc[0]), ref_value(src, "test_cont", variable, "kruskal_p"))
    two = compare_continuous(data[data["line_group"] != "3+"], variable, "line_group")
    assert two.test == "wilcoxon"
    assert_rel(
        float(two.statistic or 0), ref_value(src, "test_cont", variable, "wilcoxon_1v2_statistic")
    )
    assert_p(two.p_value, ref_value(src, "test_cont", variable, "wilcoxon_1v2_p"))


def test_boolean_levels_are_yes_first() -> None:
    _, frame = input_summary()
    levels = frame.loc[frame["variable"] == "prior_ssa", "level"]
    assert list(pd.unique(levels)) == ["True", "False"]


# -- exact algorithms against brute force -----------------------------------------------------


def _brute_force_fisher(table: np.ndarray) -> float:
    """Enumerate every table with the margins (tiny tables only) and sum P <= P_obs."""
    from scipy.special import gammaln

    rows, cols = table.sum(axis=1), table.sum(axis=0)
    n = table.sum()

    def log_p(t: np.ndarray) -> float:
        return float(
            gammaln(rows + 1).sum()
            + gammaln(cols + 1).sum()
            - gammaln(n + 1)
            - gammaln(t + 1).sum()
        )

    def fill(prefix: list[list[int]], rem_rows: np.ndarray) -> list[np.ndarray]:
        j = len(prefix)
        if j == len(cols) - 1:
            return [np.array([*prefix, list(rem_rows)]).T]
        out = []
        for x in itertools.product(*(range(int(r) + 1) for r in rem_rows)):
            if sum(x) == cols[j]:
                out += fill([*prefix, list(x)], rem_rows - np.array(x))
        return out

    obs = log_p(table)
    probs = np.array([log_p(t) for t in fill([], rows.copy())])
    return float(np.exp(probs[probs <= obs + 3.45254e-7]).sum())


small_tables = st.integers(2, 3).flatmap(
    lambda r: st.integers(2, 4).flatmap(
        lambda c: st.lists(
            st.integers(0, 4 if r * c <= 6 else 2), min_size=r * c, max_size=r * c
        ).map(lambda v: np.array(v).reshape(r, c))
    )
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_tables)
def test_fisher_equals_brute_force_enumeration(table: np.ndarray) -> None:
    if table.sum() == 0:
        with pytest.raises(AnalysisError, match="empty"):
            fisher_test(table)
        return
    rows_ok = (table.sum(axis=1) > 0).sum() >= 2 and (table.sum(axis=0) > 0).sum() >= 2
    res = fisher_test(table)
    if not rows_ok:
        assert res.p_value == 1.0
        return
    used = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    expected = _brute_force_fisher(used)
    if used.shape == (2, 2):  # R's 2×2 path uses the relative tolerance 1e-7 instead
        assert res.p_value == pytest.approx(expected, abs=1e-6)
    else:
        assert res.p_value == pytest.approx(min(1.0, expected), abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 9), min_size=2, max_size=4),
    st.data(),
)
def test_two_column_extremes_equal_enumeration(row_totals: list[int], data: st.DataObject) -> None:
    from captemstats.compare._exact import _log_factorials

    nodes = np.sort(np.array([row_totals], dtype=np.int64), axis=1)
    total = int(nodes.sum())
    c = data.draw(st.integers(0, total))
    lf = _log_factorials(max(total, 1))
    largest, smallest = _two_column_extremes(nodes, c, lf)
    _, values = _two_column_values(nodes, c, lf)
    assert largest[0] == pytest.approx(values.max(), abs=1e-9)
    assert smallest[0] == pytest.approx(values.min(), abs=1e-9)


# -- Monte Carlo ------------------------------------------------------------------------------


def test_monte_carlo_fisher_is_reproducible_and_close_to_exact() -> None:
    table = ref_table("compare_reference.csv", "grade4x3")
    exact = fisher_test(table).p_value
    a = fisher_test(table, simulate=True, b=4000, seed=7)
    b = fisher_test(table, simulate=True, b=4000, seed=7)
    assert a.p_value == b.p_value
    assert a.test == "fisher_mc" and a.simulated
    assert a.p_value == (1 + (a.hits or 0)) / (4000 + 1)
    # exact P is 4e-5: almost no simulated table is as extreme
    assert a.p_value <= 10 / 4001
    table2 = ref_table("compare_reference.csv", "sparse2x5")
    exact2 = fisher_test(table2).p_value
    mc = fisher_test(table2, simulate=True, b=4000, seed=11)
    se = math.sqrt(exact2 * (1 - exact2) / 4000)
    assert abs(mc.p_value - exact2) < 5 * se + 1 / 4001
    assert exact < 1e-4


def test_too_large_enumeration_falls_back_to_monte_carlo() -> None:
    table = ref_table("compare_reference.csv", "study3x5")
    with pytest.raises(EnumerationTooLarge, match="simulate=True"):
        fisher_test(table, max_work=1000)
    frame = pd.DataFrame(
        {
            "g": np.repeat(["a", "b", "c"], table.sum(axis=1)),
            "v": np.concatenate([np.repeat(list("vwxyz"), r) for r in table]),
        }
    )
    cmp = compare_categorical(frame, "v", "g", max_work=1000, b=500, seed=3)
    assert cmp.test == "fisher_mc"
    assert "Monte Carlo" in cmp.reason
    assert cmp.fisher is not None and cmp.fisher.b == 500


# -- gtsummary's choice of test (table-driven) ------------------------------------------------


def _frame_from_table(table: list[list[int]]) -> pd.DataFrame:
    t = np.array(table)
    rows = [
        (f"L{i}", f"G{j}")
        for i in range(t.shape[0])
        for j in range(t.shape[1])
        for _ in range(t[i, j])
    ]
    return pd.DataFrame(rows, columns=["v", "g"]).astype("string")


@pytest.mark.parametrize(
    ("table", "test", "reason"),
    [
        ([[10, 12], [9, 15]], "chisq", "all expected counts >= 5"),
        ([[10, 12, 7], [9, 15, 8]], "chisq", "all expected counts >= 5"),
        ([[10, 1], [3, 15]], "fisher", "1 of 4 expected counts < 5"),
        ([[30, 20, 25], [1, 0, 2], [20, 22, 21]], "fisher", "3 of 9 expected counts < 5"),
        ([[5, 7, 9]], None, "no test"),
    ],
)
def test_auto_rule_chooses_like_gtsummary(
    table: list[list[int]], test: str | None, reason: str
) -> None:
    cmp = compare_categorical(_frame_from_table(table), "v", "g")
    assert cmp.test == test
    assert reason in cmp.reason
    assert "0 missing value(s)" in cmp.reason
    expected = chi_square_test(np.array(table)).min_expected if len(table) > 1 else None
    if expected is not None:
        assert cmp.min_expected == pytest.approx(expected)
    assert len(cmp.to_frame()) == 1


def test_missing_values_are_counted_and_excluded() -> None:
    frame = _frame_from_table([[10, 12], [9, 15]])
    frame.loc[[0, 1, 2], "v"] = pd.NA
    frame.loc[[30], "g"] = pd.NA
    cmp = compare_categorical(frame, "v", "g")
    assert cmp.n_missing == 3 and cmp.n_missing_by == 1
    assert cmp.n == len(frame) - 4
    assert "3 missing value(s) of 'v' excluded; 1 row(s) with missing 'g' excluded" in cmp.reason


def test_unused_category_level_forces_fisher_and_is_shown() -> None:
    frame = _frame_from_table([[20, 22], [25, 21]])
    frame["v"] = pd.Categorical(frame["v"], categories=["L1", "unused", "L0"])
    cmp = compare_categorical(frame, "v", "g")
    assert list(cmp.table.index) == ["L1", "unused", "L0"]
    assert cmp.test == "fisher"
    summary = summarize_characteristics(frame, "g", ["v"]).to_frame()
    assert list(pd.unique(summary["level"])) == ["L1", "unused", "L0"]
    assert (summary.loc[summary["level"] == "unused", "n"] == 0).all()


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ([[1, -1], [2, 3]], "non-negative integers"),
        ([[1, 0.5], [2, 3]], "non-negative integers"),
        ([1, 2, 3], "2-dimensional"),
        ([[0, 0], [0, 0]], "empty"),
    ],
)
def test_bad_tables_raise(table: list[object], message: str) -> None:
    with pytest.raises(AnalysisError, match=message):
        fisher_test(table)


def test_errors_name_the_problem() -> None:
    frame = _frame_from_table([[10, 12], [9, 15]])
    with pytest.raises(AnalysisError, match="'nope' is not in the data"):
        compare_categorical(frame, "nope", "g")
    with pytest.raises(AnalysisError, match="unknown test 'exact'"):
        compare_categorical(frame, "v", "g", test="exact")  # type: ignore[arg-type]
    with pytest.raises(AnalysisError, match="at least 2 non-empty rows"):
        chi_square_test([[1, 2], [0, 0]])
    with pytest.raises(AnalysisError, match="non-numeric value 'L0'"):
        compare_continuous(frame, "v", "g")
    with pytest.raises(AnalysisError, match="outside the groups"):
        compare_categorical(frame, "v", "g", groups=["G0"])
    with pytest.raises(AnalysisError, match="needs values in both groups"):
        wilcoxon_rank_sum_test([1.0, 2.0], [np.nan])


# -- properties -------------------------------------------------------------------------------

tables_3x3 = st.lists(st.integers(1, 30), min_size=9, max_size=9).map(
    lambda v: np.array(v).reshape(3, 3)
)


@settings(max_examples=50, deadline=None)
@given(tables_3x3, st.permutations(range(3)), st.permutations(range(3)))
def test_chi_square_invariant_to_transpose_and_permutation(
    table: np.ndarray, rp: list[int], cp: list[int]
) -> None:
    base = chi_square_test(table)
    for other in (table.T, table[rp][:, cp]):
        res = chi_square_test(other)
        assert res.statistic == pytest.approx(base.statistic, rel=1e-12, abs=1e-12)
        assert res.p_value == pytest.approx(base.p_value, rel=1e-12, abs=1e-15)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(st.integers(0, 8), min_size=6, max_size=6).map(lambda v: np.array(v).reshape(2, 3)),
    st.permutations(range(3)),
)
def test_fisher_p_in_unit_interval_and_invariant(table: np.ndarray, cp: list[int]) -> None:
    if table.sum() == 0:
        return
    p = fisher_test(table).p_value
    assert 0 < p <= 1
    assert fisher_test(table.T).p_value == pytest.approx(p, abs=1e-12)
    assert fisher_test(table[::-1][:, cp]).p_value == pytest.approx(p, abs=1e-12)
    mc = fisher_test(table, simulate=True, b=99, seed=1).p_value
    assert 1 / 100 <= mc <= 1


summary_frames = st.integers(5, 60).flatmap(
    lambda n: st.tuples(
        st.lists(st.sampled_from(["1", "2", "3+", None]), min_size=n, max_size=n),
        st.lists(st.sampled_from(["a", "b", "c", None]), min_size=n, max_size=n),
        st.lists(st.sampled_from([True, False, None]), min_size=n, max_size=n),
        st.lists(st.one_of(st.none(), st.floats(0, 100)), min_size=n, max_size=n),
    )
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(summary_frames)
def test_summary_counts_and_percentages_add_up(
    cols: tuple[list[str | None], list[str | None], list[bool | None], list[float | None]],
) -> None:
    g, v, flag, x = cols
    data = pd.DataFrame(
        {
            "g": pd.array(g, dtype="string"),
            "v": pd.array(v, dtype="string"),
            "flag": pd.array(flag, dtype="boolean"),
            "x": pd.array([np.nan if a is None else a for a in x], dtype="float64"),
        }
    )
    if data["g"].notna().sum() == 0:
        with pytest.raises(AnalysisError):
            summarize_characteristics(data, "g", ["v"])
        return
    s = summarize_characteristics(data, "g", ["v", "flag", "x"])
    frame = s.to_frame()
    sizes = data["g"].value_counts()
    for (variable, group), part in frame.groupby(["variable", "group"], sort=False):
        size = len(data[data["g"].notna()]) if group == OVERALL else int(sizes.get(group, 0))
        missing = int(part["n_missing"].iloc[0])
        if variable == "x":
            assert int(part["n"].iloc[0]) + missing == size
            continue
        assert int(part["n"].sum()) + missing == size
        assert (part["denominator"] == part["n"].sum()).all()
        if part["n"].sum() > 0:
            assert part["pct"].sum() == pytest.approx(100.0)
    cat = frame[frame["type"] == "categorical"]
    overall_n = cat[cat["group"] == OVERALL].set_index(["variable", "level"])["n"]
    by_n = cat[cat["group"] != OVERALL].groupby(["variable", "level"])["n"].sum()
    assert (overall_n.sort_index() == by_n.sort_index()).all()
    assert s.n_missing_by == int(data["g"].isna().sum())


# -- the shipped synthetic registry -----------------------------------------------------------

STUDY_VARIABLES = [
    "age",
    "age_group",
    "sex",
    "ecog",
    "comorbidity",
    "primary_site",
    "grade",
    "ki67",
    "metastatic_sites",
    "prior_curative_surgery",
    "prior_ssa",
    "prior_prrt",
    "prior_chemo",
    "prior_everolimus",
    "prior_sunitinib",
    "prior_locoregional",
    "concomitant_ssa",
]


@pytest.fixture(scope="module")
def registry_summary() -> tuple[pd.DataFrame, CharacteristicsSummary]:
    import captemstats
    from captemstats.cohort import derive_cohort

    root = Path(__file__).parent.parent / "data" / "registry"
    data = derive_cohort(captemstats.read_registry(root)).data
    summary = summarize_characteristics(
        data, "line_group", STUDY_VARIABLES, types={"ecog": "categorical"}
    )
    return data, summary


def test_registry_summary_counts_add_to_all(
    registry_summary: tuple[pd.DataFrame, CharacteristicsSummary],
) -> None:
    data, summary = registry_summary
    frame = summary.to_frame()
    assert summary.groups == (OVERALL, "1", "2", "3+")
    sizes = summary.group_sizes
    assert sizes[OVERALL] == len(data) == sizes["1"] + sizes["2"] + sizes["3+"]
    cat = frame[frame["type"] == "categorical"]
    by_line = cat[cat["group"] != OVERALL].groupby(["variable", "level"], sort=False)["n"].sum()
    overall = cat[cat["group"] == OVERALL].set_index(["variable", "level"])["n"]
    pd.testing.assert_series_equal(by_line, overall, check_names=False)
    for variable, part in cat.groupby("variable"):
        for group, g in part.groupby("group"):
            assert int(g["n"].sum()) + int(g["n_missing"].iloc[0]) == sizes[str(group)], variable
    tests = summary.tests
    assert set(tests.values()) <= {"chisq", "fisher", "fisher_mc", "kruskal"}
    assert tests["age"] == "kruskal"
    for variable in ("grade", "primary_site", "prior_sunitinib"):
        comparison = summary.comparisons[variable]
        assert isinstance(comparison, CategoricalComparison)
        assert (comparison.min_expected < 5) == (comparison.test in ("fisher", "fisher_mc"))


def test_registry_summary_builds_characteristics_table(
    registry_summary: tuple[pd.DataFrame, CharacteristicsSummary],
) -> None:
    from captemstats.tables import characteristics_table

    _, summary = registry_summary
    # the plain gtsummary layout (no "Number" row, no yes-only blocks) whose rows this counts
    table = characteristics_table(summary, blocks={}, number_row=False)
    shown = table.display_frame().astype("string").fillna("")
    headers = list(shown.columns)
    assert headers[-1] == "P value"
    sizes = summary.group_sizes
    assert any(f"(n = {sizes[OVERALL]})" in h for h in headers)
    assert any(f"First line (n = {sizes['1']})" in h for h in headers)
    frame = summary.to_frame()
    n_rows = sum(
        1 + (2 if part["type"].iloc[0] == "continuous" else part["level"].nunique())
        for _, part in frame.groupby("variable", sort=False)
    )
    assert len(shown) == n_rows
    # each tested variable's P sits on its heading row
    p_cells = shown.iloc[:, -1]
    assert (p_cells != "").sum() == sum(
        1 for c in summary.comparisons.values() if c is not None and c.test
    )


@pytest.mark.parametrize("name", ["age3x3", "small5x4", "sparse2x5"])
def test_fisher_chunked_enumeration_gives_the_same_p(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """Tiny chunks exercise the chunked expansion and last-stage sums."""
    import captemstats.compare._exact as compare

    table = ref_table("compare_reference.csv", name)
    whole = fisher_test(table).p_value
    monkeypatch.setattr(compare, "_CHUNK", 37)
    chunked = fisher_test(table).p_value
    assert chunked == pytest.approx(whole, abs=1e-13)
    assert_p(chunked, ref_value("compare_reference.csv", "fisher", name, "p"))


def test_numeric_levels_and_groups_follow_numeric_order() -> None:
    frame = pd.DataFrame(
        {
            "v": pd.array([10, 9, 1, None, 10, 1], dtype="Int64"),
            "g": [2.0, 10.0, 2.0, 10.0, 2.0, 10.0],
        }
    )
    cmp = compare_categorical(frame, "v", "g")
    assert list(cmp.table.index) == ["1", "9", "10"]
    # whole-number floats print as R's factor() labels them: "2", "10" (not "2.0")
    assert list(cmp.table.columns) == ["2", "10"]
    assert cmp.table.to_numpy().tolist() == [[1, 1], [0, 1], [2, 0]]
    assert cmp.n_missing == 1
