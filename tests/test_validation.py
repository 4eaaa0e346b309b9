"""Validation rules on typed frames: one table row per rule, warnings apart from errors."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captemstats.io import Registry, read_registry
from captemstats.schema import CTCAE_TERMS, TABLES
from captemstats.validation import RULES, ValidationReport, validate

VALID = Path(__file__).parent / "data" / "valid"
TODAY = pd.Timestamp("2026-01-01")


@pytest.fixture(scope="module")
def valid() -> Registry:
    return read_registry(VALID)


def edit(reg: Registry, table: str, row: int, column: str, value: object) -> Registry:
    frame = reg.table(table).copy()
    frame.iloc[row, frame.columns.get_loc(column)] = value
    return dataclasses.replace(reg, **{table: frame})


def edit_many(reg: Registry, table: str, row: int, **values: object) -> Registry:
    for column, value in values.items():
        reg = edit(reg, table, row, column, value)
    return reg


Edit = Callable[[Registry], Registry]
D = pd.Timestamp


# (name, edit, severity, rule, table, line, column)
CASES: list[tuple[str, Edit, str, str, str, int, str]] = [
    ("ki67 negative", lambda r: edit(r, "patients", 0, "ki67", -1.0), "error", "ki67_range",
     "patients", 2, "ki67"),
    ("ki67 above 55", lambda r: edit(r, "patients", 2, "ki67", 60.0), "warning", "ki67_above_55",
     "patients", 4, "ki67"),
    ("grade 3 low ki67", lambda r: edit(r, "patients", 2, "ki67", 12.0), "warning",
     "grade_ki67_mismatch", "patients", 4, "ki67"),
    ("grade 1 high ki67", lambda r: edit(r, "patients", 1, "ki67", 5.0), "warning",
     "grade_ki67_mismatch", "patients", 3, "ki67"),
    ("minor", lambda r: edit(r, "patients", 3, "age", 16.0), "warning", "age_under_18",
     "patients", 5, "age"),
    ("minor by birth date", lambda r: edit(r, "patients", 1, "birth_date", D("2005-01-01")),
     "warning", "age_under_18", "patients", 3, "age"),
    ("age vs birth date", lambda r: edit(r, "patients", 0, "birth_date", D("1930-01-01")),
     "warning", "age_birth_date_mismatch", "patients", 2, "age"),
    ("age 130", lambda r: edit(r, "patients", 0, "age", 130.0), "error", "out_of_range",
     "patients", 2, "age"),
    ("no age", lambda r: edit(r, "patients", 0, "age", np.nan), "error", "age_missing",
     "patients", 2, "age"),
    ("missing sex", lambda r: edit(r, "patients", 4, "sex", pd.NA), "error", "missing_value",
     "patients", 6, "sex"),
    ("cycles negative", lambda r: edit(r, "patients", 4, "cycles", -1), "error",
     "cycles_negative", "patients", 6, "cycles"),
    ("future", lambda r: edit(r, "patients", 7, "last_followup_date", D("2030-01-01")), "error",
     "future_date", "patients", 9, "last_followup_date"),
    ("before 1900", lambda r: edit(r, "patients", 1, "birth_date", D("1850-01-01")), "error",
     "implausible_date", "patients", 3, "birth_date"),
    ("progression before start",
     lambda r: edit(r, "patients", 0, "progression_date", D("2016-01-01")), "error",
     "progression_before_start", "patients", 2, "progression_date"),
    ("death before start", lambda r: edit(r, "patients", 2, "death_date", D("2018-01-01")),
     "error", "death_before_start", "patients", 4, "death_date"),
    ("followup before start",
     lambda r: edit(r, "patients", 3, "last_followup_date", D("2020-01-01")), "error",
     "followup_before_start", "patients", 5, "last_followup_date"),
    ("next therapy before start",
     lambda r: edit(r, "patients", 0, "subsequent_therapy_date", D("2016-01-01")), "error",
     "subsequent_therapy_before_start", "patients", 2, "subsequent_therapy_date"),
    ("start before metastatic",
     lambda r: edit(r, "patients", 7, "metastatic_date", D("2022-10-01")), "warning",
     "start_before_metastatic", "patients", 9, "captem_start_date"),
    ("reason death, alive",
     lambda r: edit(r, "patients", 7, "discontinuation_reason", "death"), "warning",
     "reason_without_date", "patients", 9, "discontinuation_reason"),
    ("duplicate id", lambda r: edit(r, "patients", 3, "patient_id", "P002"), "error",
     "duplicate_patient_id", "patients", 5, "patient_id"),
    ("lesion unknown patient", lambda r: edit(r, "lesions", 0, "patient_id", "X1"), "error",
     "unknown_patient", "lesions", 2, "patient_id"),
    ("negative diameter", lambda r: edit(r, "lesions", 1, "diameter_mm", -3.0), "error",
     "diameter_negative", "lesions", 3, "diameter_mm"),
    ("huge diameter", lambda r: edit(r, "lesions", 1, "diameter_mm", 501.0), "error",
     "diameter_implausible", "lesions", 3, "diameter_mm"),
    ("duplicate lesion", lambda r: edit(r, "lesions", 1, "lesion_id", "L1"), "error",
     "duplicate_lesion", "lesions", 3, "lesion_id"),
    ("target without size", lambda r: edit(r, "lesions", 0, "diameter_mm", np.nan), "error",
     "target_diameter_missing", "lesions", 2, "diameter_mm"),
    ("ae grade 0", lambda r: edit(r, "adverse_events", 0, "grade", 0), "error",
     "ae_grade_range", "adverse_events", 2, "grade"),
    ("ae unknown term", lambda r: edit(r, "adverse_events", 0, "term", "Alopecia"), "warning",
     "unknown_ctcae_term", "adverse_events", 2, "term"),
    ("ae before start", lambda r: edit(r, "adverse_events", 0, "onset_date", D("2015-01-01")),
     "warning", "ae_before_start", "adverse_events", 2, "onset_date"),
    ("ae duplicate", lambda r: edit_many(r, "adverse_events", 1, term="Fatigue", grade=1,
     onset_date=D("2016-03-01")), "warning", "duplicate_adverse_event", "adverse_events", 3,
     "onset_date"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("edit_fn", "severity", "rule", "table", "line", "column"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_each_rule_finds_its_defect_and_nothing_else(
    valid: Registry, edit_fn: Edit, severity: str, rule: str, table: str, line: int, column: str
) -> None:
    report = validate(edit_fn(valid), today=TODAY)
    frame = report.to_frame()
    assert len(frame) == 1, frame[["rule", "line", "column", "message"]]
    got = frame.iloc[0]
    assert (got["severity"], got["rule"], got["table"], got["line"], got["column"]) == (
        severity,
        rule,
        table,
        line,
        column,
    )
    assert RULES[rule][0] == severity
    assert report.ok == (severity == "warning")
    assert got["file"] == f"{table}.csv" and got["message"]


def test_valid_registry_has_no_problem(valid: Registry) -> None:
    report = validate(valid, today=TODAY)
    assert report.ok and report.to_frame().empty
    assert report.errors == () and report.warnings == ()


def test_death_before_progression_is_fine(valid: Registry) -> None:
    reg = edit(valid, "patients", 2, "death_date", D("2019-07-01"))
    reg = edit(reg, "patients", 2, "last_followup_date", D("2019-08-01"))
    assert validate(reg, today=TODAY).ok


def test_ctcae_terms_are_case_insensitive_and_listed(valid: Registry) -> None:
    reg = edit(valid, "adverse_events", 0, "term", "FATIGUE")
    assert validate(reg, today=TODAY).ok
    reg = edit(valid, "adverse_events", 0, "term", "Hiccups")
    (warning,) = validate(reg, today=TODAY).warnings
    assert all(term in warning.message for term in CTCAE_TERMS)


@pytest.mark.parametrize(
    ("sizes", "warn"),
    [
        ([4.2, 2.5, 1.8], True),  # all < 10 with decimals: centimetres?
        ([4.0, 3.0, 2.0], False),  # whole numbers: small but plausible millimetres
        ([42.5, 2.5, 1.8], False),  # one big lesion: millimetres
        ([9.9], True),
    ],
)
def test_centimetre_heuristic(valid: Registry, sizes: list[float], warn: bool) -> None:
    lesions = valid.lesions.copy()
    rows = np.flatnonzero((lesions["patient_id"] == "P001") & (lesions["role"] == "target"))
    values = (sizes * len(rows))[: len(rows)]
    lesions.iloc[rows, lesions.columns.get_loc("diameter_mm")] = values
    report = validate(dataclasses.replace(valid, lesions=lesions), today=TODAY)
    found = [p for p in report.warnings if p.rule == "diameter_centimetres"]
    assert len(found) == int(warn)
    if warn:
        assert found[0].patient_id == "P001" and found[0].line == 2
        assert report.ok  # a warning, not an error


def test_many_defects_are_all_reported_in_one_pass(valid: Registry) -> None:
    reg = edit(valid, "patients", 0, "ki67", 150.0)
    reg = edit(reg, "patients", 1, "cycles", -4)
    reg = edit(reg, "lesions", 5, "diameter_mm", -1.0)
    reg = edit(reg, "adverse_events", 2, "grade", 9)
    rules = set(validate(reg, today=TODAY).to_frame()["rule"])
    assert rules == {"ki67_range", "cycles_negative", "diameter_negative", "ae_grade_range"}


def test_frames_without_row_index_still_validate(valid: Registry) -> None:
    reg = Registry(
        patients=valid.patients.reset_index(drop=True),
        lesions=valid.lesions.reset_index(drop=True),
        adverse_events=edit(valid, "adverse_events", 0, "grade", 7).adverse_events.reset_index(
            drop=True
        ),
    )
    (problem,) = validate(reg, today=TODAY).errors
    assert problem.rule == "ae_grade_range" and problem.line is None and problem.file is None


def test_unreadable_cells_are_reported_once(tmp_path: Path) -> None:
    import shutil

    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    text = (reg / "patients.csv").read_text(encoding="utf-8")
    # sex is required: an unknown code must not ALSO count as a missing value
    (reg / "patients.csv").write_text(text.replace(",female,", ",kadin,", 1), encoding="utf-8")
    report = read_registry(reg).validate(today=TODAY)
    assert list(report.to_frame()["rule"]) == ["unknown_code"]


def test_report_serialisations(valid: Registry) -> None:
    reg = edit(valid, "patients", 0, "ki67", 101.0)
    reg = edit(reg, "patients", 2, "ki67", 60.0)
    report = validate(reg, today=TODAY)
    assert isinstance(report, ValidationReport)
    assert (report.ok, report.n_errors, report.n_warnings) == (False, 1, 1)
    frame = report.to_frame()
    assert list(frame["severity"]) == ["error", "warning"]  # errors first
    data = json.loads(report.to_json())
    assert data["ok"] is False and data["problems"][0]["rule"] == "ki67_range"
    assert data["problems"][0]["line"] == 2
    assert data["sources"]["patients"]["rows"] == 8
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(report)
    text = console.export_text()
    assert "INVALID" in text and "ki67_range" in text and "ki67_above_55" in text
    assert set(report.rule_counts()["rule"]) == {"ki67_range", "ki67_above_55"}


@settings(max_examples=25, deadline=None)
@given(st.permutations(list(range(8))))
def test_problems_do_not_depend_on_row_order(order: list[int]) -> None:
    base = read_registry(VALID)
    reg = edit(base, "patients", 0, "ki67", 200.0)
    reg = edit(reg, "patients", 3, "patient_id", "P002")
    shuffled = dataclasses.replace(reg, patients=reg.patients.iloc[order])
    cols = ["rule", "line", "column", "value"]
    a = validate(reg, today=TODAY).to_frame()[cols]
    b = validate(shuffled, today=TODAY).to_frame()[cols]
    # the first-seen row of a duplicated id depends on order; the set of rules does not
    assert sorted(a["rule"]) == sorted(b["rule"])
    assert set(a.loc[a["rule"] == "ki67_range", "line"]) == set(
        b.loc[b["rule"] == "ki67_range", "line"]
    )


def test_every_rule_id_is_documented() -> None:
    import inspect

    from captemstats.validation import catalogue, rules

    # the rule functions and the catalogue that documents each id (split out of rules.py)
    source = inspect.getsource(rules) + inspect.getsource(catalogue)
    for rule in RULES:
        assert rule in source
    assert set(TABLES) == {"patients", "lesions", "adverse_events"}


# --------------------------------------------------------------------- issue 13: limits, response


def _without_lesions(reg: Registry, responses: list[str | None]) -> Registry:
    patients = reg.patients.copy()
    patients["best_response"] = pd.array(responses, dtype="string")
    return dataclasses.replace(reg, patients=patients, lesions=reg.lesions.iloc[0:0])


@pytest.mark.parametrize(
    ("responses", "lesions", "message"),
    [
        ([None] * 8, False, "best_response is empty for 8 of 8 patients"),
        (["SD", "PR", None, None, None, None, None, "PD"], False, "empty for 5 of 8"),
        (["SD"] * 8, False, None),  # every response recorded: evaluable without lesions
        ([None] * 8, True, None),  # measurements present: RECIST classifies them
    ],
)
def test_response_not_evaluable_without_measurements(
    valid: Registry, responses: list[str | None], lesions: bool, message: str | None
) -> None:
    reg = _without_lesions(valid, responses)
    if lesions:
        reg = dataclasses.replace(reg, lesions=valid.lesions)
    found = [w for w in validate(reg, today=TODAY).warnings if w.rule == "response_not_evaluable"]
    if message is None:
        assert found == []
    else:
        assert len(found) == 1 and message in found[0].message
        assert found[0].message.startswith("response not evaluable from measurements")


@pytest.mark.parametrize("limit", [1, 2, 3, None])
def test_rule_limit_lists_the_first_and_counts_the_rest(valid: Registry, limit: int | None) -> None:
    reg = valid
    for row in range(5):  # five empty required cells of one column
        reg = edit(reg, "patients", row, "center", pd.NA)
    report = validate(reg, today=TODAY, max_problems=limit)
    listed = report.frame[report.frame["rule"] == "missing_value"]
    shown = 5 if limit is None else min(limit, 5)
    assert list(listed["line"]) == [2, 3, 4, 5, 6][:shown]
    assert report.n_errors == 5
    omitted = report.omitted[report.omitted["rule"] == "missing_value"]
    assert int(omitted["n"].sum()) == 5 - shown
    assert all("and " in line and " more error" in line for line in report.omitted_lines())
