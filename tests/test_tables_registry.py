"""Every manuscript table for the shipped synthetic registry: snapshots and structure.

The tables are built by running the manuscript's own table cells (``tbl-*`` chunks of
report/index.qmd) on one ``analyze("data/registry")`` result, so the test follows what the
manuscript prints. Two things are checked:

- snapshots: the printed content (``Table.display_frame()``: labels, cells and headers) and
  the footnotes, notes and bold cells are compared with tests/snapshots/registry_<name>.csv
  and registry_<name>_notes.csv;
- structure: the cells are compared with the library results they lay out (Table 2's ORR
  with ``res.response_rates``, Table 3's rows with ``res.cox``, Table 4 with
  ``res.adverse``...), so a snapshot regenerated from a wrong table would still fail.

Regenerating the snapshots after a deliberate change (off by default, so the test can fail)::

    CAPTEM_UPDATE_SNAPSHOTS=1 .venv/bin/pytest -p no:cacheprovider tests/test_tables_registry.py

(the same switch as tests/test_tables.py); review ``git diff tests/snapshots`` before committing.
"""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from captemstats.formatting import format_median, format_number, format_p
from captemstats.tables import COMORBIDITY_NOTE, Table

ROOT = Path(__file__).resolve().parents[1]
QMD = ROOT / "report" / "index.qmd"
SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE = os.environ.get("CAPTEM_UPDATE_SNAPSHOTS") == "1"

#: Manuscript table chunk → snapshot name.
TABLES: dict[str, str] = {
    "supptbl-attrition": "attrition",
    "tbl-characteristics": "table1",
    "supptbl-survival": "survival",
    "tbl-cox": "table3",
    "supptbl-cox-univariable": "cox_univariable",
    "supptbl-cox-cluster": "cox_cluster",
    "tbl-response": "table2",
    "tbl-adverse": "table4",
    "supptbl-reproduction": "reproduction",
    "supptbl-audit": "audit",
    "supptbl-provenance": "provenance",
}

_ANALYZE_CALL = "res = analyze(registry, mapping=mapping, methods=methods)"


# -- running the manuscript's cells ----------------------------------------------------------------


def manuscript_chunks(path: Path = QMD) -> dict[str, str]:
    """The python chunks of a .qmd keyed by their ``#| label:`` ("setup" for the chunk that
    calls ``analyze``); option lines are dropped."""
    text = path.read_text(encoding="utf-8")
    chunks: dict[str, str] = {}
    for body in re.findall(r"^```\{python\}\n(.*?)^```", text, flags=re.M | re.S):
        label = re.search(r"^#\|\s*label:\s*(\S+)", body, flags=re.M)
        code = "\n".join(line for line in body.splitlines() if not line.startswith("#|"))
        if label:
            chunks[label.group(1)] = code
        elif re.search(r"^#\|\s*tags:\s*\[parameters\]", body, flags=re.M):
            chunks["parameters"] = code
        elif _ANALYZE_CALL in code:
            chunks["setup"] = code
    return chunks


def manuscript_namespace(res: Any) -> dict[str, Any]:
    """The manuscript's setup cell run with ``res`` given (its ``analyze`` call removed)."""
    setup = manuscript_chunks()["setup"]
    assert _ANALYZE_CALL in setup, "report/index.qmd no longer analyses with " + _ANALYZE_CALL
    ns: dict[str, Any] = {}
    # the document's parameters with their defaults (registry, mapping, min_cell), then ours
    exec(compile(manuscript_chunks()["parameters"], "index.qmd:parameters", "exec"), ns)
    ns.update(res=res, registry=str(ROOT / "data" / "registry"))
    exec(compile(setup.replace(_ANALYZE_CALL, ""), "index.qmd:setup", "exec"), ns)
    return ns


def run_chunk(code: str, ns: dict[str, Any], name: str) -> Any:
    """Run a cell like Jupyter: the statements, then the value of a final expression."""
    tree = ast.parse(code)
    last = tree.body[-1] if tree.body else None
    if isinstance(last, ast.Expr):
        tree.body.pop()
    exec(compile(tree, f"index.qmd:{name}", "exec"), ns)
    if not isinstance(last, ast.Expr):
        return None
    return eval(compile(ast.Expression(last.value), f"index.qmd:{name}", "eval"), ns)


# -- fixtures --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def res() -> Any:
    from captemstats.analysis import analyze

    return analyze(ROOT / "data" / "registry")


@pytest.fixture(scope="module")
def tables(res: Any) -> dict[str, Table]:
    chunks = manuscript_chunks()
    missing = sorted(set(TABLES) - set(chunks))
    assert not missing, f"report/index.qmd has no chunks {missing}"
    ns = manuscript_namespace(res)
    built = {name: run_chunk(chunks[label], ns, label) for label, name in TABLES.items()}
    for name, table in built.items():
        assert isinstance(table, Table), f"{name}: the chunk does not end in a Table"
    return built


def test_every_manuscript_table_is_covered() -> None:
    labels = {k for k in manuscript_chunks() if k.startswith(("tbl-", "supptbl-"))}
    assert labels == set(TABLES), "add the new manuscript table to TABLES (and a snapshot)"


# -- snapshots -------------------------------------------------------------------------------------


def notes_frame(table: Table) -> pd.DataFrame:
    """Title, footnotes (with what they mark), source notes and bold cells as rows."""
    rows = [("title", table.title, "", ""), ("stub_header", table.stub_header, "", "")]
    rows += [
        ("footnote", f.text, f.column or "", " ".join(map(str, f.rows))) for f in table.footnotes
    ]
    rows += [("note", text, "", "") for text in table.notes]
    rows += [("bold", "", col, str(row)) for row, col in table.bold]
    return pd.DataFrame(rows, columns=["kind", "text", "column", "rows"], dtype="string")


def _compare(actual: pd.DataFrame, path: Path) -> None:
    actual = actual.astype("string").fillna("").reset_index(drop=True)
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        actual.to_csv(path, index=False, lineterminator="\n")
    assert path.exists(), f"no snapshot {path.name}; run with CAPTEM_UPDATE_SNAPSHOTS=1"
    expected = pd.read_csv(path, dtype="string", keep_default_na=False)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


@pytest.mark.parametrize("name", sorted(TABLES.values()))
def test_table_matches_snapshot(tables: dict[str, Table], name: str) -> None:
    table = tables[name]
    _compare(table.display_frame(), SNAPSHOTS / f"registry_{name}.csv")
    _compare(notes_frame(table), SNAPSHOTS / f"registry_{name}_notes.csv")


def test_snapshot_comparison_can_fail(tables: dict[str, Table], tmp_path: Path) -> None:
    if UPDATE:
        pytest.skip("snapshots are being regenerated")
    path = tmp_path / "snap.csv"
    frame = tables["table3"].display_frame()
    frame.to_csv(path, index=False)
    changed = frame.copy()
    changed.iloc[0, 3] = "0.01"
    with pytest.raises(AssertionError):
        _compare(changed, path)


# -- exports ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["table1", "table2", "table3", "table4", "survival"])
def test_csv_and_xlsx_round_trip(tables: dict[str, Table], name: str, tmp_path: Path) -> None:
    table = tables[name]
    expected = table.display_frame().astype("string")
    back = pd.read_csv(
        table.to_csv(tmp_path / f"{name}.csv"), dtype="string", keep_default_na=False
    )
    pd.testing.assert_frame_equal(back, expected, check_dtype=False)
    xlsx = table.to_excel(tmp_path / f"{name}.xlsx")
    sheet = pd.read_excel(xlsx, sheet_name="table", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(sheet.astype("string"), expected, check_dtype=False)
    notes = pd.read_excel(xlsx, sheet_name="notes", dtype=str, keep_default_na=False)
    assert [f.text for f in table.footnotes] == notes.loc[
        notes["kind"] == "footnote", "text"
    ].tolist()
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{name}.csv", f"{name}.xlsx"]


# -- structure against the library results ---------------------------------------------------------


def _rows(table: Table, variable: str, row_type: str | None = None) -> pd.DataFrame:
    d = table.data
    hit = d[(d["variable"] == variable) & ((d["row_type"] == row_type) if row_type else True)]
    assert len(hit), f"no row {variable!r} ({row_type})"
    return hit


def _cell(table: Table, variable: str, row_type: str, column: str) -> str:
    hit = _rows(table, variable, row_type)
    assert len(hit) == 1, f"{len(hit)} rows {variable!r} ({row_type})"
    return str(hit[column].iloc[0])


def _bold_rows(table: Table, column: str) -> set[int]:
    return {row for row, col in table.bold if col == column}


def _n_pct(n: Any, pct: Any) -> str:
    return f"{int(n)} ({format_number(float(pct), 1)})"


def test_table1_counts_tests_and_layout(tables: dict[str, Table], res: Any) -> None:
    table = tables["table1"]
    summary = res.characteristics
    frame = summary.to_frame().assign(group=lambda f: f["group"].astype("string"))
    sizes = {str(k): int(v) for k, v in summary.group_sizes.items()}
    overall = str(summary.groups[0])  # the all-patients column comes first
    assert overall == "all"
    ids = {g: ("all" if g == overall else g) for g in sizes}
    # the paper's Number row, then the column headers state the same N
    number = _rows(table, "n", "label").iloc[0]
    for g, n in sizes.items():
        assert str(number[ids[g]]) == _n_pct(n, 100.0 * n / sizes[overall])
        assert f"(n = {n})" in table.headers()[ids[g]]
    assert sum(n for g, n in sizes.items() if g != overall) == sizes[overall]
    # every categorical cell is the summary's n (%); a block's single row is the "yes" count
    # ("—" when zero, the paper's convention)
    data = table.data
    cat = frame[frame["type"] == "categorical"]
    assert (cat["n_missing"] == 0).all()  # else cells print "n/d (%)"
    for variable, part in cat.groupby("variable", sort=False):
        rows = data[data["variable"] == variable]
        levels = list(dict.fromkeys(part["level"].astype("string")))
        block = not (rows["row_type"] == "label").any()
        if block:
            assert rows["row_type"].tolist() == ["level"], variable
            pairs = [(next(lv for lv in levels if lv in ("True", "yes")), rows.index[0])]
        else:
            level_rows = rows.index[rows["row_type"] == "level"]
            assert len(level_rows) == len(levels), variable
            pairs = list(zip(levels, level_rows, strict=True))
        for level, row in pairs:
            for _, c in part[part["level"].astype("string") == level].iterrows():
                zero = block and int(c["n"]) == 0
                expected = "—" if zero else _n_pct(c["n"], c["pct"])
                assert str(data.loc[row, ids[str(c["group"])]]) == expected, (variable, level)
    # continuous variables: median (min–max) and mean ± SD from the summary
    for variable, part in frame[frame["type"] == "continuous"].groupby("variable"):
        med = _rows(table, str(variable), "stat")
        for _, c in part.iterrows():
            cells = med[ids[str(c["group"])]].tolist()
            assert cells[0].startswith(f"{format_number(c['median'], 0)} (")
            assert cells[1] == f"{format_number(c['mean'], 2)} ± {format_number(c['sd'], 2)}"
    # P on each tested variable's first row, formatted by format_p, bold iff < .05
    for variable, test in summary.tests.items():
        if not test:
            continue
        p = frame.loc[frame["variable"] == variable, "p_value"].dropna().iloc[0]
        row = int(_rows(table, variable).index[0])
        assert str(data.loc[row, "p"]) == format_p(p), variable
        assert (row in _bold_rows(table, "p")) == (p < 0.05), variable
        marked = [f.text for f in table.footnotes if f.column == "p" and row in f.rows]
        assert len(marked) == 1, f"{variable}: the test used ({test}) is not footnoted once"
    assert "Bold values indicate statistically significant (P < .05)." in table.notes
    comorbidity = int(_rows(table, "comorbidity", "label").index[0])
    assert any(f.text == COMORBIDITY_NOTE and f.rows == (comorbidity,) for f in table.footnotes)
    # the paper's row order: Number row, then the summary's variables in order
    seen = [v for v in dict.fromkeys(data["variable"]) if v in set(frame["variable"])]
    assert seen == list(dict.fromkeys(frame["variable"]))
    assert data["variable"].iloc[0] == "n"


def test_table2_rates_cis_and_p(tables: dict[str, Table], res: Any) -> None:
    table = tables["table2"]
    rates = res.response_rates.to_frame()
    rates = rates.assign(group=rates["group"].astype("string")).set_index(["measure", "group"])
    ids = {"All patients": "all", "1": "1", "2": "2", "3+": "3+"}
    for measure in ("ORR", "DCR"):
        for group, col in ids.items():
            r = rates.loc[(measure, group)]
            assert _cell(table, measure, "label", col) == (
                f"{int(r['count'])} ({format_number(100 * r['proportion'], 1)})"
            )
            lo, hi = format_number(100 * r["ci_lower"], 1), format_number(100 * r["ci_upper"], 1)
            assert _cell(table, measure, "stat", col) == f"{lo}–{hi}"
        p = res.response_tests[measure].p_value
        assert _cell(table, measure, "label", "p") == format_p(p)
    for group, col in ids.items():
        assert f"(n = {int(rates.loc[('ORR', group), 'n'])})" in table.headers()[col]
    # categories: CR, PR, SD, PD counts sum to the evaluable patients of each group
    bor = _rows(table, "bor", "level")
    for group, col in ids.items():
        counts = [int(str(c).split(" ")[0]) for c in bor[col]]
        assert sum(counts) == int(rates.loc[("ORR", group), "n"])
    assert _cell(table, "bor", "label", "p") == format_p(res.response_tests["distribution"].p_value)
    assert any("Clopper–Pearson" in f.text for f in table.footnotes)


def test_table3_rows_are_the_cox_terms(tables: dict[str, Table], res: Any) -> None:
    table = tables["table3"]
    pfs, os_ = (res.cox[e].to_frame() for e in ("pfs", "os"))
    assert table.data["variable"].tolist() == pfs["term"].tolist() == os_["term"].tolist()
    for key, frame in (("pfs", pfs), ("os", os_)):
        assert table.data[f"{key}_hr"].tolist() == [format_number(h, 2) for h in frame["hr"]]
        assert table.data[f"{key}_ci"].tolist() == [
            f"{format_number(lo, 2)}–{format_number(hi, 2)}"
            for lo, hi in zip(frame["lower"], frame["upper"], strict=True)
        ]
        assert table.data[f"{key}_p"].tolist() == [format_p(p) for p in frame["p_value"]]
        assert _bold_rows(table, f"{key}_p") == set(frame.index[frame["p_value"] < 0.05].tolist())
        size = next(f.text for f in table.footnotes if f.column == f"{key}_hr")
        result = res.cox[key]
        assert size.startswith(f"{result.n} patients, {result.n_events} events")
    # every row spells out its comparison (reference level) and prints ranges with en dashes
    for label in table.data["label"]:
        assert " vs" in label, label
        assert not re.search(r"\d-\d|%-\d", label), label
    first = int(_rows(table, "First-line therapy vs. subsequent therapies").index[0])
    assert any(f.column == "label" and f.rows == (first,) for f in table.footnotes)


def test_table4_counts_are_the_adverse_summary(tables: dict[str, Table], res: Any) -> None:
    table = tables["table4"]
    summary = res.adverse
    counts = summary.counts
    body = table.data.iloc[:-1]
    assert body["variable"].tolist() == [str(t) for t in counts.index]
    assert [c.id for c in table.columns] == ["grade_1_2", "grade_3", "grade_4", "interruption"]
    assert int(counts["grade_5"].sum()) == 0  # else a grade 5 column would be shown
    d = summary.denominator
    for band in ("grade_1_2", "grade_3", "grade_4", "interruption"):
        expected = [
            "—" if int(n) == 0 else f"{int(n)} ({format_number(100 * int(n) / d, 1)})"
            for n in counts[band]
        ]
        assert body[band].tolist() == expected, band
    last = table.data.iloc[-1]
    assert last["variable"] == "grade34_any"
    assert str(last["grade_3"]).startswith(f"{summary.grade34_patients} (")
    assert any(f"n = {d}" in f.text for f in table.footnotes)


def test_survival_table_medians_n_and_logrank(tables: dict[str, Table], res: Any) -> None:
    table = tables["survival"]
    for grouping in ("line_group", "grade", "ki67_group", "primary_site"):
        rows = _rows(table, grouping)
        head, levels = rows.iloc[0], rows.iloc[1:]
        assert head["row_type"] == "label" and head["label"] != grouping
        for key in ("pfs", "os"):
            sc = res.km(key, grouping)
            assert head[f"{key}_p"] == format_p(sc.logrank.p_value)
            at0 = sc.km.at_risk([0.0]).set_index("group")["n_risk"]
            assert sorted(levels["n"].astype(int).tolist()) == sorted(at0.astype(int).tolist())
            medians = sorted(levels[f"{key}_median"].tolist())
            assert medians == sorted(format_median(sc.km.median[g]) for g in sc.km.groups)
    overall = _rows(table, "all").iloc[0]
    assert overall["label"] == "All patients"
    assert overall["n"] == str(res.n)
    assert overall["pfs_median"] == format_median(
        res.km("pfs").km.median[res.km("pfs").km.groups[0]]
    )


def test_attrition_table_chains_to_the_cohort(tables: dict[str, Table], res: Any) -> None:
    log = res.cohort.attrition.to_frame()
    data = tables["attrition"].data
    assert data["excluded"].astype(int).tolist() == log["n_excluded"].astype(int).tolist()
    assert int(data["after"].iloc[-1]) == res.n


def test_table_html_marks_bold_p_and_footnotes(tables: dict[str, Table]) -> None:
    html = tables["table1"].as_html()
    assert html.count("font-weight: bold") >= len(tables["table1"].bold)
    for f in tables["table1"].footnotes:
        assert f.text.replace("'", "&#x27;") in html or f.text in html, f.text


def _iter_tables(tables: dict[str, Table]) -> Iterator[tuple[str, Table]]:
    yield from sorted(tables.items())


def test_no_patient_identifier_in_any_table(tables: dict[str, Table], res: Any) -> None:
    ids = set(res.cohort.data["patient_id"].astype(str))
    for name, table in _iter_tables(tables):
        cells = set(table.display_frame().astype("string").fillna("").to_numpy().ravel())
        assert not (cells & ids), name
