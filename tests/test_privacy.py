"""Small-cell suppression (captemstats.privacy): primary and complementary suppression on the
display tables, withheld statistics of small groups, KM medians, and the --min-cell options.

The attacker here is independent of the implementation: it rebuilds the relations a reader
sees (levels add up to the column N, the all-patients column adds up the groups) from the
*unsuppressed* table and asks, with the null space of that linear system, whether any hidden
count is fixed by the published cells.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.linalg import null_space
from typer.testing import CliRunner

from captemstats import privacy, sharing
from captemstats.disclosure import CountSystem, Decision, count_system, determined, plan
from captemstats.privacy import (
    WITHHELD,
    check_min_cell,
    parse_count,
    suppress_medians,
    suppress_response_table,
    suppress_table,
)
from captemstats.tables.table import Column, Table, make_frame

if TYPE_CHECKING:
    from captemstats.analysis import StudyAnalysis

VALID = Path(__file__).parent / "data" / "valid"


def contingency(counts: list[list[int]], *, pct: bool = True) -> Table:
    """A Table 1-like table: one variable, ``counts[level][group]``, an all-patients column
    and column Ns in the headers."""
    arr = np.asarray(counts, dtype=int)
    totals = arr.sum(axis=0)
    n_all = int(totals.sum())
    groups = [f"g{j}" for j in range(arr.shape[1])]
    rows = [{"variable": "v", "row_type": "label", "label": "Variable", "p": ".04"}]
    for i, level in enumerate(arr):
        row = {"variable": "v", "row_type": "level", "label": f"L{i}"}
        cells = {"all": (int(level.sum()), n_all)} | {
            g: (int(level[j]), int(totals[j])) for j, g in enumerate(groups)
        }
        for cid, (n, d) in cells.items():
            row[cid] = f"{n} ({100 * n / d:.1f})" if pct and d else str(n)
        rows.append(row)
    cols = (
        Column("all", f"All (n = {n_all})"),
        *(Column(g, f"Group {g} (n = {int(totals[j])})") for j, g in enumerate(groups)),
        Column("p", "P value"),
    )
    return Table(make_frame(rows, [c.id for c in cols]), cols)


def recoverable(original: Table, suppressed: Table) -> list[tuple[int, str]]:
    """Hidden count cells that the published cells determine (attacker's view)."""
    data, shown = original.data, suppressed.data
    ids = [c.id for c in original.columns if c.id != "p"]
    levels = list(data.index[data["row_type"] == "level"])
    hidden = [(r, c) for r in levels for c in ids if parse_count(shown.loc[r, c]) is None]
    if not hidden:
        return []
    index = {cell: k for k, cell in enumerate(hidden)}
    published = {c.id for c in suppressed.columns if re.search(r"\(n = \d+\)", c.label)}
    equations: list[list[tuple[float, tuple[int, str]]]] = []
    for c in ids:  # levels add up to the column N, when the header still prints it
        if c in published:
            equations.append([(1.0, (r, c)) for r in levels])
    for r in levels:  # all = sum of groups
        equations.append([(-1.0, (r, "all"))] + [(1.0, (r, c)) for c in ids if c != "all"])
    rows = []
    for eq in equations:
        row = np.zeros(len(hidden))
        for sign, cell in eq:
            if cell in index:
                row[index[cell]] += sign
        rows.append(row)
    basis = null_space(np.vstack(rows))
    return [cell for cell, k in index.items() if np.allclose(basis[k], 0.0, atol=1e-9)]


def test_primary_suppression_hides_small_counts_and_their_percentages() -> None:
    table = contingency([[3, 40, 30], [50, 2, 60], [45, 41, 9]])
    out = suppress_table(table, 5)
    cells = out.data.loc[out.data["row_type"] == "level", ["all", "g0", "g1", "g2"]]
    assert cells.loc[1, "g0"] == "<5"
    assert cells.loc[2, "g1"] == "<5"
    flat = cells.to_numpy().ravel().tolist()
    assert not any(s.startswith(("3 ", "2 ")) for s in flat)
    assert "(4.0)" not in " ".join(flat)  # 3/75: the percentage went with the count
    assert privacy.suppression_note(5) in [f.text for f in out.footnotes]
    assert out.data.loc[0, "p"] == ".04"  # P values are not counts


@pytest.mark.parametrize(
    "counts",
    [
        [[3, 40, 30], [50, 60, 70]],  # one small cell: row and column complements needed
        [[1, 2, 3], [40, 50, 60], [45, 46, 47]],  # a whole small row
        [[4, 30], [30, 4]],  # diagonal small cells
        [[0, 0, 2], [10, 20, 30]],  # zeros around a small cell
        [[7, 8], [9, 10]],  # nothing small: unchanged
    ],
)
def test_no_hidden_count_can_be_recomputed_from_the_totals(counts: list[list[int]]) -> None:
    table = contingency(counts)
    out = suppress_table(table, 5)
    assert recoverable(table, out) == []
    if not any(0 < n < 5 for row in counts for n in row):
        assert out is table


def test_without_complementary_suppression_the_attacker_recovers_the_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    table = contingency([[3, 40, 30], [50, 60, 70]])
    monkeypatch.setattr(privacy, "_complement", lambda primary, known, relations: set(primary))
    assert recoverable(table, suppress_table(table, 5)) != []


@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 4).flatmap(
        lambda n_levels: st.integers(1, 3).flatmap(
            lambda n_groups: st.lists(
                st.lists(st.integers(0, 40), min_size=n_groups, max_size=n_groups),
                min_size=n_levels,
                max_size=n_levels,
            )
        )
    ),
    st.integers(2, 11),
)
def test_property_suppressed_tables_protect_every_small_count(
    counts: list[list[int]], k: int
) -> None:
    table = contingency(counts)
    out = suppress_table(table, k)
    assert recoverable(table, out) == []
    levels = out.data[out.data["row_type"] == "level"]
    for col in ("all", *(f"g{j}" for j in range(len(counts[0])))):
        for cell in levels[col]:
            n = parse_count(cell)
            assert n is None or n == 0 or n >= k  # no small count printed


def test_small_group_column_withholds_its_statistics() -> None:
    rows = [
        {"variable": "age", "row_type": "label", "label": "Age"},
        {"variable": "age", "row_type": "stat", "label": "Median", "all": "53 (18–82)",
         "a": "50 (18–82)", "b": "61 (55–70)"},
        {"variable": "sex", "row_type": "label", "label": "Sex"},
        {"variable": "sex", "row_type": "level", "label": "F", "all": "40 (50.0)",
         "a": "38 (50.7)", "b": "2 (40.0)"},
        {"variable": "sex", "row_type": "level", "label": "M", "all": "40 (50.0)",
         "a": "37 (49.3)", "b": "3 (60.0)"},
    ]  # fmt: skip
    cols = (Column("all", "All (n = 80)"), Column("a", "A (n = 75)"), Column("b", "B (n = 5)"))
    table = Table(make_frame(rows, ["all", "a", "b"]), cols)
    out = suppress_table(table, 6)
    assert out.data.loc[1, "b"] == WITHHELD  # median (min-max) of a 5-patient group
    assert out.data.loc[1, "a"] == "50 (18–82)"
    assert {out.data.loc[3, "b"], out.data.loc[4, "b"]} == {"<6"}
    assert "(n <6)" in out.columns[2].label
    assert "n = 80" not in out.columns[0].label or "n = 75" not in out.columns[1].label


def test_study_tables_on_the_shipped_registry() -> None:
    from captemstats.analysis import analyze
    from captemstats.tables import (
        adverse_event_table,
        characteristics_table,
        response_table,
        survival_summary_table,
    )

    res = analyze(Path(__file__).parents[1] / "data" / "registry")
    t1 = characteristics_table(res.characteristics)
    s1 = suppress_table(t1, 5)
    assert recoverable_by_variable(t1, s1) == []
    t2 = response_table(res.response_rates, tests=res.response_tests)
    s2 = suppress_response_table(t2, 5)
    body = s2.data.drop(columns=["variable", "row_type", "label", "p"])
    for cell in body.to_numpy().ravel():
        n = parse_count(cell)
        assert n is None or n == 0 or n >= 5
    # a CI row under a hidden ORR count is withheld with it (the CI would give the count)
    for measure in ("ORR", "DCR"):
        head = s2.data.index[(s2.data["variable"] == measure) & (s2.data["row_type"] == "label")]
        ci = head[0] + 1
        for col in body.columns:
            if parse_count(s2.data.loc[head[0], col]) is None:
                assert s2.data.loc[ci, col] == WITHHELD
    ae = suppress_table(adverse_event_table(res.adverse), 5)
    assert "<5" in ae.data.to_numpy()
    groupings = ["all", "line_group", "grade", "ki67_group", "primary_site"]
    km = {e: {g: (res.km(e, g).km, res.km(e, g).logrank) for g in groupings} for e in ("pfs", "os")}
    sv = suppress_table(survival_summary_table(km["pfs"], km["os"]), 45)
    small = sv.data["n"] == "<45"
    assert small.any()
    assert (sv.data.loc[small, ["pfs_median", "os_median"]] == WITHHELD).all(axis=None)


def recoverable_by_variable(original: Table, suppressed: Table) -> list[tuple[str, int, str]]:
    """The attacker of :func:`recoverable`, one Table 1 variable at a time (multi-level)."""
    found = []
    for variable in pd.unique(original.data["variable"]):
        rows = original.data["variable"] == variable
        if int((original.data.loc[rows, "row_type"] == "level").sum()) < 2:
            continue
        part = Table(original.data.loc[rows], original.columns)
        shown = Table(suppressed.data.loc[rows], suppressed.columns)
        found += [(str(variable), r, c) for r, c in recoverable(part, shown)]
    return found


def test_suppress_medians_hides_small_groups_and_a_complement() -> None:
    frame = pd.DataFrame(
        {
            "group": ["a", "b", "c"],
            "n": [3, 40, 60],
            "n_events": [2, 30, 41],
            "median": [5.0, 11.0, 14.0],
            "lower": [1.0, 9.0, 12.0],
            "upper": [np.nan, 13.0, 17.0],
            "reached": [True, True, True],
            "upper_reached": [False, True, True],
        }
    )
    out = suppress_medians(frame, 5)
    assert out["suppressed"].tolist() == [True, False, False]
    assert out.loc[0, ["median", "lower", "upper"]].isna().all()
    assert pd.isna(out.loc[0, "n"]) and pd.isna(out.loc[0, "n_events"])
    assert pd.isna(out.loc[1, "n"])  # complement: 103 - 60 - n_b would give n_a
    assert out.loc[2, "n"] == 60 and out.loc[1, "median"] == 11.0
    assert suppress_medians(frame, None) is frame


def test_min_cell_off_and_invalid_values() -> None:
    table = contingency([[3, 40], [50, 60]])
    assert suppress_table(table, None) is table
    assert suppress_table(table, 0) is table
    for bad in (1, -3, True, 2.5):
        with pytest.raises(ValueError, match="min_cell"):
            check_min_cell(bad)  # type: ignore[arg-type]


def test_analyze_min_cell_writes_only_suppressed_tables(tmp_path: Path) -> None:
    from captemstats.cli import _register, app

    _register()
    registry = Path(__file__).parents[1] / "data" / "registry"
    out = tmp_path / "shared"
    result = CliRunner().invoke(
        app, ["analyze", "--registry", str(registry), "--out", str(out), "--min-cell", "5"]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "suppression.json",
        "survival_medians.csv",
        "table1.csv",
        "table2.csv",
        "table4.csv",
    ]
    assert json.loads((out / "suppression.json").read_text())["min_cell"] == 5
    for name in names[1:]:
        frame = pd.read_csv(out / name, dtype=str, keep_default_na=False)
        for cell in frame.iloc[:, 3:].to_numpy().ravel():
            n = parse_count(cell)
            assert n is None or n == 0 or n >= 5, (name, cell)
    bad = CliRunner().invoke(app, ["analyze", "--registry", str(registry), "--min-cell", "1"])
    assert bad.exit_code != 0
    full = tmp_path / "full"
    assert CliRunner().invoke(app, ["analyze", "-r", str(registry), "-o", str(full)]).exit_code == 0
    mixed = CliRunner().invoke(
        app, ["analyze", "-r", str(registry), "-o", str(full), "--min-cell", "5"]
    )
    assert mixed.exit_code != 0
    assert not (full / "suppression.json").exists()


def test_report_min_cell_is_passed_to_the_document(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from captemstats.cli import _register, app

    _register()
    seen: dict[str, object] = {}

    class Result:
        outputs: ClassVar[dict[str, Path]] = {}
        engine = "captemstats"
        cache_hit = False
        timings: ClassVar[dict[str, float]] = {}
        warnings: tuple[str, ...] = ()

    def fake_render(qmd: Path, **kw: object) -> Result:
        seen.update(kw)
        return Result()

    monkeypatch.setattr("captemstats.render.engine.render_document", fake_render)
    doc = Path(__file__).parent / "data" / "qmd" / "article.qmd"
    args = ["report", "--registry", str(VALID), "--document", str(doc), "--out", str(tmp_path)]
    assert CliRunner().invoke(app, [*args, "--min-cell", "5"]).exit_code == 0
    assert seen["params"] == {"registry": str(VALID.resolve()), "min_cell": 5}
    assert CliRunner().invoke(app, args).exit_code == 0
    assert "min_cell" not in seen["params"]  # type: ignore[operator]


@pytest.mark.parametrize(
    ("excluded", "hidden"),
    [
        ((0, 6, 5), {(1, "excluded"), (2, "excluded")}),  # two small steps hide each other
        ((0, 3, 40), {(1, "excluded")}),  # one small step needs complements
        ((0, 30, 40), set()),  # nothing small
    ],
)
def test_attrition_table_hides_small_exclusions_and_their_arithmetic(
    excluded: tuple[int, int, int], hidden: set[tuple[int, str]]
) -> None:
    from captemstats.privacy import suppress_attrition_table

    before = 300
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
    table = Table(make_frame(rows, [c.id for c in cols]), cols)
    out = suppress_attrition_table(table, 7).data
    for r, col in hidden:
        assert out.loc[r, col] in ("<7", "*")
    small = [(i, "excluded") for i, n in enumerate(excluded) if 0 < n < 7]
    if not small:
        assert out.equals(table.data)
        return
    for r, col in small:
        assert out.loc[r, col] == "<7"
        # neither before − after on the step nor the neighbouring steps give the count away
        b, a = parse_count(out.loc[r, "before"]), parse_count(out.loc[r, "after"])
        assert b is None or a is None


def test_withheld_figure_states_why() -> None:
    from captemstats.figures import withheld_figure

    fig = withheld_figure("Withheld: small cells.")
    texts = [t.get_text() for ax in fig.axes for t in ax.texts if t.get_gid() == "withheld"]
    assert texts == ["Withheld: small cells."]


# --------------------------------------------------------------------------- count-based plan
# The planner (captemstats.disclosure) decides on the counts; the check below is independent of
# its min/max search: a hidden cell is safe when the published numbers, the relations and the
# bounds admit an integer solution with that cell at a value other than its true one.


def other_value_exists(system: CountSystem, decision: Decision, key: str) -> bool:
    """An integer completion of the published numbers where ``key`` differs from its value."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    keys = sorted(system.values)
    at = {k: i for i, k in enumerate(keys)}
    lo = np.array([float(system.values[k]) for k in keys])
    hi = lo.copy()
    for k in decision.hidden | system.unpublished:
        small = k in decision.primary
        lo[at[k]], hi[at[k]] = (1.0, decision.min_cell - 1.0) if small else (0.0, system.n_max)
    a = np.zeros((len(system.relations), len(keys)))
    r_lo, r_hi = [], []
    for i, (coefs, low, high) in enumerate(system.relations):
        for k, c in coefs.items():
            a[i, at[k]] += c
        r_lo.append(low)
        r_hi.append(high)
    true = system.values[key]
    for below in (True, False):
        b_lo, b_hi = lo.copy(), hi.copy()
        if below:
            b_hi[at[key]] = min(b_hi[at[key]], true - 1)
        else:
            b_lo[at[key]] = max(b_lo[at[key]], true + 1)
        if np.any(b_lo > b_hi):
            continue
        sol = milp(
            np.zeros(len(keys)),
            constraints=LinearConstraint(a, r_lo, r_hi),
            bounds=Bounds(b_lo, b_hi),
            integrality=np.ones(len(keys)),
        )
        if sol.status == 0:
            return True
    return False


def grid_system(counts: list[list[int]]) -> CountSystem:
    """A two-way table with row totals, column totals and the grand total, as a reader sees
    Table 1 (levels by line, the all-patients column, the column n)."""
    values: dict[str, int] = {}
    relations: list[tuple[dict[str, float], float, float]] = []
    arr = np.asarray(counts, dtype=int)
    for i, row in enumerate(arr):
        for j, n in enumerate(row):
            values[f"c|{i}|{j}"] = int(n)
        values[f"c|{i}|all"] = int(row.sum())
        relations.append(
            ({f"c|{i}|{j}": 1 for j in range(arr.shape[1])} | {f"c|{i}|all": -1}, 0, 0)
        )
    for j in (*range(arr.shape[1]), "all"):
        col = arr.sum() if j == "all" else arr[:, j].sum()
        values[f"N|{j}"] = int(col)
        relations.append(({f"c|{i}|{j}": 1 for i in range(arr.shape[0])} | {f"N|{j}": -1}, 0, 0))
    return CountSystem(values, relations)


@pytest.mark.parametrize(
    ("counts", "k", "must_hide"),
    [
        # one small cell: its row and column partners go too (a 2x2 block of hidden cells)
        ([[3, 40], [50, 60]], 5, {"c|0|0", "c|0|1", "c|1|0", "c|1|1"}),
        # a zero beside the small cell is no complement: 0 + x + 8 = 9 gives x back
        ([[0, 1, 8], [139, 117, 43]], 5, {"c|0|1"}),
        # two small cells in one row protect each other only with a third unknown
        ([[2, 3, 40], [30, 30, 30]], 5, {"c|0|0", "c|0|1"}),
        # nothing below the threshold: nothing hidden
        ([[10, 20], [30, 40]], 5, set()),
    ],
)
def test_plan_hides_the_small_cells_and_leaves_none_determined(
    counts: list[list[int]], k: int, must_hide: set[str]
) -> None:
    system = grid_system(counts)
    decision = plan(system, k)
    assert must_hide <= decision.hidden
    assert decision.primary == {key for key, n in system.values.items() if 0 < n < k}
    assert not must_hide or len(decision.hidden) > len(decision.primary)
    for key in decision.hidden:
        assert other_value_exists(system, decision, key), key
        assert decision.marker(key) == (f"<{k}" if key in decision.primary else WITHHELD)
    assert determined(system, decision.primary, decision.hidden, k) == []


@settings(max_examples=25, deadline=None, derandomize=True)
@given(
    st.lists(st.lists(st.integers(0, 12), min_size=2, max_size=4), min_size=2, max_size=4).filter(
        lambda rows: len({len(r) for r in rows}) == 1
    ),
    st.sampled_from([3, 5, 10]),
)
def test_plan_on_random_tables_leaves_no_hidden_cell_determined(
    counts: list[list[int]], k: int
) -> None:
    system = grid_system(counts)
    decision = plan(system, k)
    for key in decision.primary:
        assert other_value_exists(system, decision, key), (counts, key)


@pytest.fixture(scope="module")
def shipped() -> StudyAnalysis:
    from captemstats.analysis import analyze

    return analyze(Path(__file__).parents[1] / "data" / "registry")


@pytest.mark.parametrize("k", [5, 10])
def test_one_decision_drives_tables_prose_and_csv(
    shipped: StudyAnalysis, k: int, tmp_path: Path
) -> None:
    from captemstats.disclosure import plan_disclosure
    from captemstats.prose import ProseNumbers

    decision = plan_disclosure(shipped, k)
    tables = sharing.shareable_tables(shipped, k, decision)
    t1 = tables["table1"].data
    for key in decision.hidden:
        part = key.split("|")
        if part[0] != "t1" or part[1] == "N":
            continue
        rows = t1[(t1["variable"] == part[1]) & (t1["row_type"] == "level")]
        if rows.empty or (part[2] == "False" and len(rows) == 1):
            continue  # not printed (the "no" row of a previous treatment)
        level = decision.levels[part[1]].index(part[2])
        assert rows.iloc[level][part[3]] == decision.marker(key), key
    txt = ProseNumbers(shipped, min_cell=k, decision=decision)
    assert txt.n_not_evaluable == (
        decision.marker("t2|NOTEVAL|all") or str(txt.n - txt.n_evaluable())
    )
    assert "range" not in txt.continuous("age") and "withheld" in txt.followup_spread
    header = tables["table2"].columns[0].label
    assert ("(n = *)" in header) == decision.is_hidden("t2|N|all")
    paths = sharing.write_shareable(shipped, tmp_path / "out", k)
    shared = pd.read_csv(paths["table1.csv"], dtype=str, keep_default_na=False)
    assert shared.iloc[:, 3:].to_numpy().tolist() == t1.iloc[:, 3:].to_numpy().tolist()
    for key in decision.primary:
        assert other_value_exists(count_system(shipped), decision, key), key


@pytest.mark.slow
@pytest.mark.parametrize(("n", "seed"), [(120, 3), (60, 11)])
def test_plan_on_small_random_cohorts(n: int, seed: int, tmp_path: Path) -> None:
    from captemstats.analysis import analyze
    from captemstats.synth.generate import generate_registry, write_registry

    write_registry(generate_registry(n, seed=seed), tmp_path / "reg")
    res = analyze(tmp_path / "reg")
    system = count_system(res)
    for k in (5, 10):
        decision = plan(system, k)
        assert decision.primary  # a small cohort has small cells to protect
        for key in decision.primary:
            assert other_value_exists(system, decision, key), (n, seed, k, key)
