"""Tests that kill surviving mutants of captemstats.privacy (issue 21).

Each table states the rule of the module docstring it pins (which relations a reader sees,
which cells are withheld, how the KM medians frame and the attrition table are suppressed).
The attacker here is independent of the implementation: it is given the relations of the
layout by hand and asks, with the null space of that linear system, whether any withheld
count is fixed by the published cells.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.linalg import null_space

from captemstats import privacy, sharing
from captemstats.disclosure import Decision
from captemstats.privacy import (
    WITHHELD,
    parse_count,
    suppress_attrition_table,
    suppress_medians,
    suppress_table,
)
from captemstats.tables.table import Column, Table, make_frame

Cell = tuple[int, str]
Relation = tuple[Cell | None, list[Cell]]


def attacker(
    original: Table, shown: Table, relations: list[Relation]
) -> tuple[set[Cell], list[Cell]]:
    """(withheld count cells, those the published cells and ``relations`` determine).

    Row -1 is a column's header N; a relation ``(None, parts)`` has a total the reader knows.
    """
    values: dict[Cell, int] = {}
    hidden: set[Cell] = set()
    for c in original.columns:
        n = privacy._HEADER_N.search(c.label)
        if n:
            values[(-1, c.id)] = int(n.group("n"))
            if not privacy._HEADER_N.search(next(s for s in shown.columns if s.id == c.id).label):
                hidden.add((-1, c.id))
    for r in range(len(original.data)):
        for c in original.columns:
            n0 = parse_count(original.data.loc[r, c.id])
            if n0 is None:
                continue
            values[(r, c.id)] = n0
            if parse_count(shown.data.loc[r, c.id]) is None:
                hidden.add((r, c.id))
    unknown = sorted(hidden)
    if not unknown:
        return hidden, []
    index = {cell: i for i, cell in enumerate(unknown)}
    rows = []
    for total, parts in relations:
        row = np.zeros(len(unknown))
        for p in parts:
            if p in index:
                row[index[p]] += 1.0
        if total is not None and total in index:
            row[index[total]] -= 1.0
        rows.append(row)
    basis = null_space(np.vstack(rows)) if rows else np.eye(len(unknown))
    fixed = [c for c, i in index.items() if np.allclose(basis[i], 0.0, atol=1e-9)]
    return hidden, fixed


def table(rows: list[dict[str, str]], cols: tuple[Column, ...]) -> Table:
    return Table(make_frame(rows, [c.id for c in cols]), cols)


# ---- the relations a reader sees (module docstring), one layout at a time -----------------


def label_total_table() -> Table:
    # a variable whose label row prints its total: the levels add up to it (no header N)
    rows = [
        {"variable": "v", "row_type": "label", "label": "V", "a": "40", "b": "50"},
        {"variable": "v", "row_type": "level", "label": "x", "a": "3", "b": "20"},
        {"variable": "v", "row_type": "level", "label": "y", "a": "37", "b": "30"},
    ]
    return table(rows, (Column("a", "A"), Column("b", "B")))


def header_n_table() -> Table:
    # no printed label total: the levels add up to the column N of the header
    rows = [
        {"variable": "v", "row_type": "label", "label": "V"},
        {"variable": "v", "row_type": "level", "label": "x", "a": "3 (7.5)", "b": "20 (40.0)"},
        {"variable": "v", "row_type": "level", "label": "y", "a": "37 (92.5)", "b": "30 (60.0)"},
    ]
    return table(rows, (Column("a", "A (n = 40)"), Column("b", "B (n = 50)")))


def overall_row_table() -> Table:
    # the survival table: the groups' n add up to the "all" row
    rows = [
        {"variable": "all", "row_type": "stat", "label": "All", "n": "60", "m": "12.0"},
        {"variable": "g", "row_type": "label", "label": "Group"},
        {"variable": "g", "row_type": "level", "label": "x", "n": "3", "m": "9.0"},
        {"variable": "g", "row_type": "level", "label": "y", "n": "27", "m": "11.0"},
        {"variable": "g", "row_type": "level", "label": "z", "n": "30", "m": "14.0"},
    ]
    return table(rows, (Column("n", "n"), Column("m", "Median")))


def total_column_table() -> Table:
    # the "all" column adds up the groups, row by row and in the header Ns; one variable
    rows = [
        {"variable": "v", "row_type": "label", "label": "V"},
        {"variable": "v", "row_type": "level", "label": "x", "all": "23", "a": "3", "b": "20"},
        {"variable": "v", "row_type": "level", "label": "y", "all": "67", "a": "37", "b": "30"},
    ]
    cols = (Column("all", "All (n = 90)"), Column("a", "A (n = 40)"), Column("b", "B (n = 50)"))
    return table(rows, cols)


LAYOUTS = [
    (
        label_total_table,
        [((0, "a"), [(1, "a"), (2, "a")]), ((0, "b"), [(1, "b"), (2, "b")])],
    ),
    (
        header_n_table,
        [((-1, "a"), [(1, "a"), (2, "a")]), ((-1, "b"), [(1, "b"), (2, "b")])],
    ),
    (overall_row_table, [((0, "n"), [(2, "n"), (3, "n"), (4, "n")])]),
    (
        total_column_table,
        [
            ((-1, "all"), [(1, "all"), (2, "all")]),
            ((-1, "a"), [(1, "a"), (2, "a")]),
            ((-1, "b"), [(1, "b"), (2, "b")]),
            ((1, "all"), [(1, "a"), (1, "b")]),
            ((2, "all"), [(2, "a"), (2, "b")]),
            ((-1, "all"), [(-1, "a"), (-1, "b")]),
        ],
    ),
]


@pytest.mark.parametrize(("build", "relations"), LAYOUTS)
def test_each_layout_relation_protects_the_small_count(
    build: object, relations: list[Relation]
) -> None:
    original = build()  # type: ignore[operator]
    out = suppress_table(original, 5)
    hidden, fixed = attacker(original, out, relations)
    assert fixed == []
    small = {cell for cell in hidden if cell[0] >= 0} & {
        (r, c.id)
        for r in range(len(original.data))
        for c in original.columns
        if (n := parse_count(original.data.loc[r, c.id])) is not None and 0 < n < 5
    }
    assert small, "the small count is withheld"
    assert len(hidden) > len(small), "and something beside it"
    for r, c in small:
        assert out.data.loc[r, c] == "<5"
    for r, c in hidden - small:
        assert out.data.loc[r, c] == WITHHELD if r >= 0 else True


#: (layout, expected body after suppression at K=5, expected header labels): the one
#: relation around the small count has one published partner that is the smallest non-zero
#: count (column Ns come last), so exactly that partner is withheld
EXACT = [
    (label_total_table, {"a": ["40", "<5", WITHHELD], "b": ["50", "20", "30"]}, ["A", "B"]),
    (
        header_n_table,
        {"a": ["", "<5", WITHHELD], "b": ["", "20 (40.0)", "30 (60.0)"]},
        ["A (n = 40)", "B (n = 50)"],
    ),
    # the smallest partner of 3 in 60 = 3 + 27 + 30 is 27; the median of the 3-patient
    # group is withheld with its n
    (
        overall_row_table,
        {"n": ["60", "", "<5", WITHHELD, "30"], "m": ["12.0", "", WITHHELD, "11.0", "14.0"]},
        ["n", "Median"],
    ),
]


@pytest.mark.parametrize(("build", "body", "labels"), EXACT)
def test_the_smallest_partner_is_withheld(
    build: object, body: dict[str, list[str]], labels: list[str]
) -> None:
    out = suppress_table(build(), 5)  # type: ignore[operator]
    for col, cells in body.items():
        assert out.data[col].tolist() == cells, col
    assert [c.label for c in out.columns] == labels
    assert privacy.suppression_note(5) in [f.text for f in out.footnotes]


def test_header_n_is_withheld_only_when_the_levels_have_no_denominator() -> None:
    # n/d cells print their denominator d: the reader knows the total, and the header N is
    # not the relation's total, so it is not withheld
    rows = [
        {"variable": "v", "row_type": "label", "label": "V"},
        {"variable": "v", "row_type": "level", "label": "x", "a": "3/40 (7.5)"},
        {"variable": "v", "row_type": "level", "label": "y", "a": "37/40 (92.5)"},
        {"variable": "v", "row_type": "level", "label": "z", "a": "0/40 (0.0)"},
    ]
    original = table(rows, (Column("a", "A (n = 40)"),))
    out = suppress_table(original, 5)
    assert out.data["a"].tolist() == ["", "<5", WITHHELD, "0/40 (0.0)"]
    assert out.columns[0].label == "A (n = 40)"
    _, fixed = attacker(original, out, [(None, [(1, "a"), (2, "a"), (3, "a")])])
    assert fixed == []


def test_one_printed_level_is_no_partition() -> None:
    # a yes/no variable printing only "yes": 3 of the header's 40 is not tied to anything
    rows = [
        {"variable": "v", "row_type": "level", "label": "yes", "a": "3 (7.5)", "b": "30 (60.0)"},
        {"variable": "w", "row_type": "label", "label": "W"},
        {"variable": "w", "row_type": "level", "label": "x", "a": "10 (25.0)", "b": "20 (40.0)"},
        {"variable": "w", "row_type": "level", "label": "y", "a": "30 (75.0)", "b": "30 (60.0)"},
    ]
    out = suppress_table(table(rows, (Column("a", "A (n = 40)"), Column("b", "B (n = 50)"))), 5)
    assert out.data["a"].tolist() == ["<5", "", "10 (25.0)", "30 (75.0)"]
    assert out.data["b"].tolist() == ["30 (60.0)", "", "20 (40.0)", "30 (60.0)"]
    assert [c.label for c in out.columns] == ["A (n = 40)", "B (n = 50)"]


@pytest.mark.parametrize("pcol", ["p", "grade_p"])
def test_p_value_columns_are_not_counts(pcol: str) -> None:
    # a P value printed "1" (or "3") is not a count of 1 patient
    rows = [
        {"variable": "v", "row_type": "label", "label": "V", pcol: "1"},
        {"variable": "v", "row_type": "level", "label": "x", "a": "10", "b": "20", pcol: "3"},
        {"variable": "v", "row_type": "level", "label": "y", "a": "30", "b": "30"},
    ]
    original = table(
        rows, (Column("a", "A (n = 40)"), Column("b", "B (n = 50)"), Column(pcol, "P"))
    )
    assert suppress_table(original, 5) is original


def test_primary_header_n_and_complementary_header_n() -> None:
    # a group of 3 patients: its header prints "(n <5)"; the all column's N gives it back
    # from the other groups', so one more header N (or the total's) is "(n = *)"
    rows = [
        {"variable": "v", "row_type": "label", "label": "V"},
        {"variable": "v", "row_type": "level", "label": "x"}
        | {"all": "43", "a": "3", "b": "20", "c": "20"},
        {"variable": "v", "row_type": "level", "label": "y"}
        | {"all": "60", "a": "0", "b": "30", "c": "30"},
    ]
    cols = (
        Column("all", "All (n = 103)"),
        Column("a", "A (n = 3)"),
        Column("b", "B (n = 50)"),
        Column("c", "C (n = 50)"),
    )
    original = table(rows, cols)
    out = suppress_table(original, 5)
    labels = [c.label for c in out.columns]
    # greedy, smallest non-zero partner first (ties by position), zeros and Ns last: the 20
    # of B beside the 3 (the 0 below it is no complement), then B's N, which with the all
    # column's N would give A's N back
    assert labels == ["All (n = 103)", "A (n <5)", "B (n = *)", "C (n = 50)"]
    assert out.data.loc[1, ["all", "a", "b", "c"]].tolist() == ["43", "<5", WITHHELD, "20"]
    assert out.data.loc[2, ["all", "a", "b", "c"]].tolist() == ["60", "0", "30", "30"]
    relations: list[Relation] = [((-1, "all"), [(-1, "a"), (-1, "b"), (-1, "c")])]
    relations += [((r, "all"), [(r, "a"), (r, "b"), (r, "c")]) for r in (1, 2)]
    relations += [((-1, g), [(1, g), (2, g)]) for g in ("all", "a", "b", "c")]
    _, fixed = attacker(original, out, relations)
    assert fixed == []


# ---- the attrition table: before = excluded + after, after = the next step's before ---------


def attrition(excluded: tuple[int, ...], before: int = 300) -> Table:
    rows = []
    for i, n in enumerate(excluded):
        rows.append(
            {
                "variable": f"s{i}",
                "row_type": "stat",
                "label": f"step {i}",
                "before": str(before),
                "excluded": str(n),
                "after": str(before - n),
            }
        )
        before -= n
    cols = (Column("before", "Before"), Column("excluded", "Excluded"), Column("after", "After"))
    return table(rows, cols)


def attrition_relations(n_steps: int) -> list[Relation]:
    rel: list[Relation] = [((i, "before"), [(i, "excluded"), (i, "after")]) for i in range(n_steps)]
    rel += [((i + 1, "before"), [(i, "after")]) for i in range(n_steps - 1)]
    return rel


@pytest.mark.parametrize(
    "excluded", [(0, 3, 40), (20, 3, 40), (3, 20, 40), (20, 40, 3), (10, 2, 30, 1)]
)
def test_attrition_arithmetic_does_not_give_a_small_exclusion_back(
    excluded: tuple[int, ...],
) -> None:
    original = attrition(excluded)
    out = suppress_attrition_table(original, 7)
    hidden, fixed = attacker(original, out, attrition_relations(len(excluded)))
    assert fixed == []
    small = {(i, "excluded") for i, n in enumerate(excluded) if 0 < n < 7}
    assert small <= hidden
    assert len(hidden) > len(small)
    for r, c in hidden:
        assert out.data.loc[r, c] == ("<7" if (r, c) in small else WITHHELD)


def test_attrition_with_a_decision_withholds_exactly_its_keys() -> None:
    original = attrition((20, 3, 40))
    # the decision's cells, not the string rules' (which would leave step 0 alone)
    keep = {"att|s0|excluded", "att|s1|excluded", "att|s1|after", "att|s2|before"}
    keep |= {"att|s2|excluded"}
    decision = Decision(7, frozenset({"att|s1|excluded"}), frozenset(keep), {}, 0)
    out = suppress_attrition_table(original, 7, decision=decision).data
    assert out["before"].tolist() == ["300", "280", WITHHELD]
    assert out["excluded"].tolist() == [WITHHELD, "<7", WITHHELD]
    assert out["after"].tolist() == ["280", WITHHELD, "237"]
    # without a threshold the option is off, decision or not
    assert suppress_attrition_table(original, None, decision=decision) is original


def test_response_table_without_decision_uses_orr_as_cr_plus_pr() -> None:
    # ORR = CR + PR: with 3 CR and the ORR printed, the PR count alone would give CR back
    rows = [
        {"variable": "BOR", "row_type": "label", "label": "Best overall response"},
        {"variable": "BOR", "row_type": "level", "label": "Complete response (CR)", "a": "3"},
        {"variable": "BOR", "row_type": "level", "label": "Partial response (PR)", "a": "20"},
        {"variable": "ORR", "row_type": "label", "label": "ORR", "a": "23"},
    ]
    original = table(rows, (Column("a", "A"),))
    out = privacy.suppress_response_table(original, 5)
    hidden, fixed = attacker(original, out, [((3, "a"), [(1, "a"), (2, "a")])])
    assert fixed == []
    assert out.data.loc[1, "a"] == "<5"
    assert len(hidden) == 2


# ---- the Kaplan-Meier medians frame ----------------------------------------------------------


def km_frame(ns: list[int], events: list[int | None] | None = None) -> pd.DataFrame:
    k = len(ns)
    return pd.DataFrame(
        {
            "group": [f"g{i}" for i in range(k)],
            "n": ns,
            "n_events": events if events is not None else [max(n - 1, 0) for n in ns],
            "median": [10.0 + i for i in range(k)],
            "lower": [8.0 + i for i in range(k)],
            "upper": [12.0 + i for i in range(k)],
            "reached": [True] * k,
            "upper_reached": [True] * k,
        }
    )


#: (group sizes, min_cell, rows losing their median, rows losing n): a group of 0 patients is
#: no small group; 1..k-1 is; k is not; one small group in a block costs the smallest other
#: group its counts, two small groups protect each other
MEDIAN_CASES = [
    ([0, 40, 50], 5, [], []),
    ([1, 40, 50], 5, [0], [0, 1]),
    ([4, 40, 50], 5, [0], [0, 1]),
    ([5, 40, 50], 5, [], []),
    ([2, 3, 50], 5, [0, 1], [0, 1]),
    ([3], 5, [0], [0]),  # a single group: nothing to add up
    ([60, 3, 40], 5, [1], [1, 2]),
]


@pytest.mark.parametrize(("ns", "k", "no_median", "no_n"), MEDIAN_CASES)
def test_suppress_medians_thresholds(
    ns: list[int], k: int, no_median: list[int], no_n: list[int]
) -> None:
    out = suppress_medians(km_frame(ns), k)
    assert out["suppressed"].tolist() == [i in no_median for i in range(len(ns))]
    assert out.index[out["n"].isna()].tolist() == no_n
    assert out.index[out["n_events"].isna()].tolist() == no_n
    for col in ("median", "lower", "upper"):
        assert out.index[out[col].isna()].tolist() == no_median
    for col in ("reached", "upper_reached"):
        assert out[col].dtype == "boolean"
        assert out.index[out[col].isna()].tolist() == no_median
    assert out["n"].dtype == "Int64" and out["n_events"].dtype == "Int64"


def test_suppress_medians_per_endpoint_and_grouping_block() -> None:
    # the complement is chosen within each (endpoint, grouping) block: the groups of one
    # grouping add up to the overall n, not the groups of another grouping or endpoint
    frame = pd.concat(
        [
            km_frame([3, 40, 50]).assign(endpoint="pfs", grouping="line"),
            km_frame([30, 40, 23]).assign(endpoint="pfs", grouping="grade"),
            km_frame([3, 40, 50]).assign(endpoint="os", grouping="line"),
        ],
        ignore_index=True,
    )
    out = suppress_medians(frame, 5)
    assert out.index[out["n"].isna()].tolist() == [0, 1, 6, 7]
    assert out.index[out["suppressed"]].tolist() == [0, 6]


def test_suppress_medians_keeps_a_missing_event_count_missing() -> None:
    out = suppress_medians(km_frame([40, 50], events=[None, 30]), 5)
    assert out["n_events"].isna().tolist() == [True, False]
    assert out["n"].tolist() == [40, 50]


def test_suppress_medians_rejects_a_non_numeric_n() -> None:
    frame = km_frame([40, 50]).astype({"n": object})
    frame.loc[0, "n"] = "forty"
    with pytest.raises((ValueError, TypeError)):
        suppress_medians(frame, 5)


# ---- the shared folder ----------------------------------------------------------------------


def test_write_shareable_states_the_rule(tmp_path: Path) -> None:
    from captemstats.analysis import analyze

    res = analyze(Path(__file__).parents[1] / "data" / "registry")
    paths = sharing.write_shareable(res, tmp_path / "shared", 5)
    tables = ["survival_medians.csv", "table1.csv", "table2.csv", "table4.csv"]
    assert sorted(paths) == sorted([*tables, "suppression.json"])
    text = paths["suppression.json"].read_text(encoding="utf-8")
    info = {
        "captemstats_version": res.provenance.captemstats_version,
        "min_cell": 5,
        "rule": privacy.suppression_note(5),
        "tables": tables,
    }
    assert text == json.dumps(info, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    with pytest.raises(ValueError, match="min_cell threshold"):
        sharing.shareable_tables(res, 0)


# ---- the threshold and its footnote ---------------------------------------------------------


@pytest.mark.parametrize(("k", "expected"), [(None, None), (0, None), (2, 2), (3, 3), (10, 10)])
def test_check_min_cell_accepts_off_and_integers_from_two(
    k: int | None, expected: int | None
) -> None:
    assert privacy.check_min_cell(k) == expected


@pytest.mark.parametrize("bad", [1, -1, True, 2.0, "5"])
def test_check_min_cell_names_the_rule(bad: object) -> None:
    with pytest.raises(ValueError, match=r"min_cell must be an integer >= 2 \(or 0/None: off\)"):
        privacy.check_min_cell(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("k", [2, 5, 10])
def test_suppression_note_states_the_range_and_both_markers(k: int) -> None:
    assert privacy.primary_marker(k) == f"<{k}"
    assert privacy.suppression_note(k) == (
        f"<{k}: a count between 1 and {k - 1}, suppressed with its percentage; *: withheld so "
        "that a suppressed count cannot be recomputed from the totals, or a statistic of a "
        "suppressed group."
    )


# ---- what suppress_table returns ------------------------------------------------------------


def test_suppressed_table_keeps_its_columns_and_kind_alone_is_not_a_decision() -> None:
    original = label_total_table()
    out = suppress_table(original, 5)
    assert list(out.data.columns) == list(original.data.columns)
    assert out.data.index.tolist() == list(range(len(original.data)))
    # a kind without a decision: the string rules, as without a kind
    by_kind = suppress_table(original, 5, kind="table1")
    assert by_kind.data.equals(out.data)


def test_survival_decision_maps_display_labels_to_group_codes() -> None:
    # the survival table prints a group's label; the decision's key uses its code
    rows = [
        {"variable": "all", "row_type": "stat", "label": "All patients", "n": "60", "m": "12.0"},
        {"variable": "line_group", "row_type": "label", "label": "Line"},
        {"variable": "line_group", "row_type": "level", "label": "First", "n": "3", "m": "9.0"},
        {"variable": "line_group", "row_type": "level", "label": "Later", "n": "57", "m": "11"},
    ]
    original = table(rows, (Column("n", "n"), Column("m", "Median")))
    decision = Decision(
        5,
        frozenset({"km|line_group|1"}),
        frozenset({"km|line_group|1", "km|line_group|2"}),
        {},
        0,
    )
    labels = {"line_group": {"1": "First", "2": "Later"}}
    out = suppress_table(original, 5, decision=decision, kind="survival", group_labels=labels)
    assert out.data["n"].tolist() == ["60", "", "<5", WITHHELD]
    assert out.data["m"].tolist() == ["12.0", "", WITHHELD, "11"]


# ---- statistics withheld with a suppressed group --------------------------------------------


@pytest.mark.parametrize(
    ("n_small", "withheld"),
    [(0, False), (1, True), (3, True), (4, True), (5, False)],
)
def test_statistics_of_a_small_column_go_with_it(n_small: int, withheld: bool) -> None:
    # a group of 1..K-1 patients loses its statistics (median, CI); empty cells stay empty;
    # a group of 0 patients has no statistics to give away, one of K is not small
    rows = [
        {"variable": "age", "row_type": "label", "label": "Age"},
        {"variable": "age", "row_type": "stat", "label": "Median", "a": "50 (18–82)", "b": "61.5"},
        {"variable": "x", "row_type": "label", "label": "X"},
        {"variable": "x", "row_type": "level", "label": "yes", "a": "40 (50.0)", "b": "7"},
        {"variable": "x", "row_type": "level", "label": "no", "a": "40 (50.0)", "b": "8"},
    ]
    cols = (
        Column("a", "A (n = 80)", "Group"),
        Column("b", f"B (n = {n_small})", "Group"),
    )
    out = suppress_table(table(rows, cols), 5)
    assert out.data.loc[1, "b"] == (WITHHELD if withheld else "61.5")
    assert out.data.loc[1, "a"] == "50 (18–82)"
    assert out.data.loc[0, "b"] == "" and out.data.loc[2, "b"] == ""
    assert [c.spanner for c in out.columns] == ["Group", "Group"]


def test_a_hidden_count_takes_only_its_own_variables_stat_rows() -> None:
    # the CI of a withheld ORR count would give it back; the DCR's CI does not
    rows = [
        {"variable": "ORR", "row_type": "label", "label": "ORR", "a": "3", "b": "30"},
        {"variable": "ORR", "row_type": "stat", "label": "95% CI", "a": "(1–9)", "b": "(20–40)"},
        {"variable": "ORR", "row_type": "stat", "label": "note", "a": "", "b": "x"},
        {"variable": "DCR", "row_type": "label", "label": "DCR", "a": "30", "b": "40"},
        {"variable": "DCR", "row_type": "stat", "label": "95% CI", "a": "(20–40)", "b": "(3–5)"},
    ]
    out = suppress_table(table(rows, (Column("a", "A"), Column("b", "B"))), 5).data
    assert out["a"].tolist() == ["<5", WITHHELD, "", "30", "(20–40)"]
    assert out["b"].tolist() == ["30", "(20–40)", "x", "40", "(3–5)"]


def test_a_small_group_row_keeps_its_empty_cells_empty() -> None:
    rows = [
        {"variable": "all", "row_type": "stat", "label": "All", "n": "60", "m": "12.0"},
        {"variable": "g", "row_type": "level", "label": "x", "n": "3", "m": ""},
        {"variable": "g", "row_type": "level", "label": "y", "n": "27", "m": "11.0"},
        {"variable": "g", "row_type": "level", "label": "z", "n": "30", "m": "14.0"},
    ]
    out = suppress_table(table(rows, (Column("n", "n"), Column("m", "Median"))), 5).data
    assert out["n"].tolist() == ["60", "<5", WITHHELD, "30"]
    assert out["m"].tolist() == ["12.0", "", "11.0", "14.0"]


def test_response_table_relations_orr_and_dcr() -> None:
    # ORR = CR + PR and DCR = CR + PR + SD (+ non-CR/non-PD) tie the response counts together
    # beyond their own partition: withholding the smallest level partner (non-CR/non-PD, 6)
    # would leave CR = ORR - PR; the first candidate that protects CR in every relation is PR
    rows = [
        {"variable": "BOR", "row_type": "label", "label": "Best overall response"},
        {"variable": "BOR", "row_type": "level", "label": "Complete response (CR)", "a": "3"},
        {"variable": "BOR", "row_type": "level", "label": "Partial response (PR)", "a": "40"},
        {"variable": "BOR", "row_type": "level", "label": "Stable disease (SD)", "a": "20"},
        {
            "variable": "BOR",
            "row_type": "level",
            "label": "Non-CR/non-PD (non-CR/non-PD)",
            "a": "6",
        },
        {"variable": "BOR", "row_type": "level", "label": "Progression (PD)", "a": "10"},
        {"variable": "ORR", "row_type": "label", "label": "ORR", "a": "43"},
        {"variable": "DCR", "row_type": "label", "label": "DCR", "a": "69"},
    ]
    original = table(rows, (Column("a", "A"), Column("p", "P")))
    out = privacy.suppress_response_table(original, 5)
    relations: list[Relation] = [
        (None, [(r, "a") for r in range(1, 6)]),
        ((6, "a"), [(1, "a"), (2, "a")]),
        ((7, "a"), [(1, "a"), (2, "a"), (3, "a"), (4, "a")]),
    ]
    hidden, fixed = attacker(original, out, relations)
    assert fixed == []
    assert out.data.loc[1, "a"] == "<5"
    assert hidden == {(1, "a"), (2, "a")}
    assert out.data.loc[2, "a"] == WITHHELD
