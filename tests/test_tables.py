"""Publication tables: tidy content pinned by snapshots, layout and exports checked.

Fixtures are small deterministic cohorts pushed through the real statistics functions; the
tables only lay their results out. Snapshots live in tests/snapshots/<name>.csv; regenerate
with ``CAPTEM_UPDATE_SNAPSHOTS=1 pytest tests/test_tables.py`` after a deliberate change.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest

from captemstats.adverse import summarize_adverse_events
from captemstats.tables import Column, Footnote, Table, adverse_event_table, response_table
from captemstats.tables.table import make_frame

SNAPSHOTS = Path(__file__).parent / "snapshots"


def assert_snapshot(table: Table, name: str) -> None:
    """Compare the printed content (headers and cells) with tests/snapshots/<name>.csv."""
    path = SNAPSHOTS / f"{name}.csv"
    actual = table.display_frame().astype("string").fillna("")
    if os.environ.get("CAPTEM_UPDATE_SNAPSHOTS") == "1":
        table.to_csv(path)
    assert path.exists(), f"no snapshot {path}; run with CAPTEM_UPDATE_SNAPSHOTS=1"
    expected = pd.read_csv(path, dtype="string", keep_default_na=False)
    pd.testing.assert_frame_equal(actual, expected, check_dtype=False)


# -- Table core -------------------------------------------------------------------------------


def _tiny() -> Table:
    data = make_frame(
        [
            {"variable": "sex", "row_type": "label", "label": "Sex", "p": ".03"},
            {"variable": "sex", "row_type": "level", "label": "Female", "a": "1 (50.0)"},
            {"variable": "sex", "row_type": "level", "label": "Male", "a": "1 (50.0)"},
        ],
        ["a", "p"],
    )
    return Table(
        data=data,
        columns=(Column("a", "All, n (%)", spanner="Cohort"), Column("p", "P")),
        title="Tiny",
        footnotes=(Footnote("Chi-square test.", column="p", rows=(0,)), Footnote("General.")),
        notes=("Bold: P < .05.",),
        bold=((0, "p"),),
    )


def test_table_requires_its_columns() -> None:
    with pytest.raises(ValueError, match="lacks columns"):
        Table(data=pd.DataFrame({"label": ["x"]}), columns=(Column("a", "A"),))


def test_gt_renders_title_footnotes_bold_and_spanner() -> None:
    html = _tiny().as_html()
    for text in (
        "Tiny",
        "All, n (%)",
        "Cohort",
        "Chi-square test.",
        "General.",
        "Bold: P &lt; .05.",
    ):
        assert text in html, text
    assert "font-weight: bold" in html


def test_exports_are_atomic_and_round_trip(tmp_path: Path) -> None:
    table = _tiny()
    csv = table.to_csv(tmp_path / "sub" / "t.csv")
    back = pd.read_csv(csv, dtype="string", keep_default_na=False)
    pd.testing.assert_frame_equal(back, table.display_frame(), check_dtype=False)
    assert list(back.columns[3:]) == ["Cohort: All, n (%)", "P"]
    xlsx = table.to_excel(tmp_path / "t.xlsx")
    sheet = pd.read_excel(xlsx, sheet_name="table", dtype=str, keep_default_na=False)
    assert sheet["Cohort: All, n (%)"].tolist() == table.data["a"].tolist()
    notes = pd.read_excel(xlsx, sheet_name="notes")
    assert "Chi-square test." in notes["text"].tolist()
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["sub", "t.csv", "t.xlsx"]


def test_failed_export_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def boom(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError, match="disk full"):
        _tiny().to_csv(tmp_path / "t.csv")
    assert list(tmp_path.iterdir()) == []


# -- Table 4: adverse events --------------------------------------------------------------------


def _ae_fixture() -> tuple[pd.DataFrame, pd.Series]:
    rows = [
        ("p01", "Anemia", 1, False, False),
        ("p01", "Anemia", 3, True, False),
        ("p02", "Anemia", 2, False, False),
        ("p02", "Fatigue", 4, False, True),
        ("p03", "Fatigue", 1, False, False),
        ("p04", "Diarrhea", 2, True, False),
        ("p05", "Fatigue", 5, False, True),
    ]
    ae = pd.DataFrame(
        rows,
        columns=["patient_id", "term", "grade", "led_to_interruption", "led_to_discontinuation"],
    ).astype({"patient_id": "string", "term": "string", "grade": "Int64"})
    ids = pd.Series([f"p{i:02d}" for i in range(1, 11)], dtype="string")
    return ae, ids


def test_adverse_event_table_snapshot() -> None:
    ae, ids = _ae_fixture()
    table = adverse_event_table(summarize_adverse_events(ae, ids, terms=None))
    assert_snapshot(table, "table4_fixture")


def test_adverse_event_cells_follow_the_summary() -> None:
    ae, ids = _ae_fixture()
    summary = summarize_adverse_events(ae, ids)
    table = adverse_event_table(summary, include_unobserved=False)
    data = table.data.set_index("label")
    assert data.loc["Anemia", "grade_1_2"] == "1 (10.0)"
    assert data.loc["Anemia", "grade_3"] == "1 (10.0)"
    assert data.loc["Anemia", "interruption"] == "1 (10.0)"
    assert data.loc["Fatigue", "grade_4"] == "1 (10.0)"
    assert data.loc["Diarrhea", "grade_3"] == "—"
    # a grade 5 event is never hidden by the default column choice
    assert data.loc["Fatigue", "grade_5"] == "1 (10.0)"
    assert list(table.data["variable"][:-1]) == ["Anemia", "Fatigue", "Diarrhea"]
    assert data.loc["Any grade 3–4 adverse event", "grade_3"] == "2 (20.0)"
    assert "n = 10" in table.title
    assert any("worst" in f.text for f in table.footnotes)


def test_adverse_event_table_rejects_unknown_column() -> None:
    ae, ids = _ae_fixture()
    with pytest.raises(ValueError, match="unknown columns"):
        adverse_event_table(summarize_adverse_events(ae, ids), columns=("grade_9",))


# -- Table 2: response -----------------------------------------------------------------------------


def _bor_frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": [f"p{i:02d}" for i in range(12)],
            "bor": ["CR", "PR", "PR", "SD", "PD", "PR", "SD", "SD", "PD", "PD", "NE", "PR"],
            "evaluable": [True] * 10 + [False, True],
            "line_group": ["1", "1", "1", "1", "2", "2", "2", "3+", "3+", "3+", "1", "2"],
        }
    )


def test_response_table_snapshot_and_cells() -> None:
    from captemstats.recist import response_rates

    rates = response_rates(_bor_frame(), by="line_group")
    table = response_table(rates)
    assert_snapshot(table, "table2_fixture")
    frame = rates.to_frame().set_index(["measure", "group"])
    data = table.data

    def cell(variable: str, row_type: str, column: str) -> str:
        hit = data[(data["variable"] == variable) & (data["row_type"] == row_type)]
        assert len(hit) == 1
        return str(hit[column].iloc[0])

    orr = frame.loc[("ORR", "1")]
    assert cell("ORR", "label", "1") == f"{int(orr['count'])} ({100 * orr['proportion']:.1f})"
    lo, hi = 100 * orr["ci_lower"], 100 * orr["ci_upper"]
    assert cell("ORR", "stat", "1") == f"{lo:.1f}–{hi:.1f}"
    headers = [c.label for c in table.columns]
    assert headers[:2] == ["All patients (n = 11)", "First line (n = 4)"]
    # the not-evaluable patient is neither counted nor shown as a category
    assert "Not evaluable (NE)" not in table.data["label"].tolist()


def test_response_table_with_tests_bolds_and_footnotes() -> None:
    from types import SimpleNamespace

    from captemstats.recist import response_rates

    rates = response_rates(_bor_frame(), by="line_group")
    tests = {
        "distribution": SimpleNamespace(p_value=0.004, test="fisher"),
        "ORR": SimpleNamespace(p_value=0.0004, test="chisq"),
        "DCR": SimpleNamespace(p_value=0.43, test="chisq"),
    }
    table = response_table(rates, tests=tests)
    rows = table.data.reset_index(drop=True)
    orr_row = int(rows.index[(rows["variable"] == "ORR") & (rows["row_type"] == "label")][0])
    dcr_row = int(rows.index[(rows["variable"] == "DCR") & (rows["row_type"] == "label")][0])
    assert (0, "p") in table.bold and (orr_row, "p") in table.bold
    assert (dcr_row, "p") not in table.bold
    marks = {f.text: f.rows for f in table.footnotes if f.column == "p"}
    assert marks["Fisher's exact test"] == (0,)
    assert set(marks["Pearson's chi-square test without continuity correction"]) == {
        orr_row,
        dcr_row,
    }
