"""Tests that kill surviving mutants of captemstats.cohort (issue 21).

Each table states the rule of the module it pins: a missing input gives a missing derived
variable (never a silent "no"), the derived variables and the cohort's frames are typed and do
not depend on the input's row index, a patient charged to a step gets a reason citing the
step's columns, the STROBE flow carries each step's description and wording, and a registry's
lesion and adverse-event tables feed the cohort unless given explicitly.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from test_cohort import _lesions, patients

from captemstats.cohort import (
    DEFAULT_RULES,
    EligibilityRule,
    apply_eligibility,
    derive_cohort,
    derive_variables,
    lesion_evaluable,
)

NA = None
#: derived variables that are unknown (NA) when their input is unknown, by dtype
STRING_VARS = ("line_group", "age_group", "ki67_group")
BOOLEAN_VARS = (
    "age_le50",
    "ki67_le20",
    "grade_1_2",
    "grade3",
    "pancreas",
    "ecog_0_1",
    "first_line",
    "grade34_ae",
)
FLOAT_VARS = ("age", "pfs_months", "os_months", "followup_months")
EVENT_VARS = ("pfs_event", "os_event")
DERIVED = {*STRING_VARS, *BOOLEAN_VARS, *FLOAT_VARS, *EVENT_VARS}


def _ae(rows: list[tuple[str, int]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pd.Series([p for p, _ in rows], dtype="string"),
            "grade": pd.Series([g for _, g in rows], dtype="Int64"),
        }
    )


# --------------------------------------------------------------------------- missing inputs
@pytest.mark.parametrize(
    ("row", "unknown"),
    [
        ({"line": 0}, ("line_group",)),  # out of range (validation refuses it): no group
        ({"age": NA}, ("age", "age_group", "age_le50")),  # no birth_date column either
        ({"ecog": NA}, ("ecog_0_1",)),  # unknown ECOG is not "ECOG 2+"
        ({"primary_site": NA}, ("pancreas",)),
        ({"grade": NA}, ("grade_1_2", "grade3")),
        ({"ki67": NA}, ("ki67_le20",)),
    ],
)
def test_missing_input_gives_missing_derived_variable(
    row: dict[str, Any], unknown: tuple[str, ...]
) -> None:
    d = derive_variables(patients(row, {}))  # the second patient has every input known
    for col in unknown:
        assert d[col].iloc[0] is pd.NA or pd.isna(d[col].iloc[0]), col
        assert not pd.isna(d[col].iloc[1]), col
    others = DERIVED - set(unknown) - {"grade34_ae", "ki67_le20"}
    assert d.loc[0, sorted(others)].notna().all()


# --------------------------------------------------------------------------- typed output
@pytest.mark.parametrize("with_ae", [False, True])
def test_derived_variables_are_typed_and_only_the_documented_ones(with_ae: bool) -> None:
    frame = patients(
        {},
        {"line": 0, "age": NA, "ecog": NA, "primary_site": NA, "grade": NA, "ki67": NA},
        {"line": 3, "age": 75.0, "grade": "3", "ki67": 70.0, "death_date": "2016-06-01"},
    )
    d = derive_variables(frame, _ae([("P001", 3), ("P003", 2)]) if with_ae else None)
    assert set(d.columns) == set(frame.columns) | DERIVED
    for col in STRING_VARS:
        assert d[col].dtype == "string", col
    for col in BOOLEAN_VARS:
        assert d[col].dtype == "boolean", col
    for col in FLOAT_VARS:
        assert d[col].dtype == "float64", col
    for col in EVENT_VARS:
        assert d[col].dtype == bool, col
    want = [True, False, False] if with_ae else [pd.NA] * 3
    assert d["grade34_ae"].tolist() == want


@pytest.mark.parametrize(
    "index",
    [
        pd.RangeIndex(2, 5, name="_line"),  # file line numbers, as the readers give
        pd.Index([30, 10, 20]),
        pd.Index(["c", "a", "b"]),
    ],
)
def test_derived_variables_do_not_depend_on_the_row_index(index: pd.Index) -> None:
    frame = patients(
        {"line": 2, "age": 45.0, "ki67": 2.0},
        {"line": 0, "age": NA, "ki67": 30.0},
        {"line": 4, "age": 72.0, "ki67": NA},
    )
    plain = derive_variables(frame)
    moved = derive_variables(frame.set_axis(index))
    assert moved.index.equals(index)
    pd.testing.assert_frame_equal(moved.reset_index(drop=True), plain)


# --------------------------------------------------------------------------- eligibility
@pytest.mark.parametrize(
    ("row", "step"),
    [
        # a drug not recorded as given counts as not given
        ({"temozolomide": NA}, "captem_both_drugs"),
        ({"capecitabine": NA, "temozolomide": NA}, "captem_both_drugs"),
        ({"capecitabine": True, "temozolomide": True}, None),
    ],
)
def test_both_drugs_must_be_recorded_as_given(row: dict[str, Any], step: str | None) -> None:
    cohort = derive_cohort(patients(row))
    assert list(cohort.excluded["step"]) == ([] if step is None else [step])


@pytest.mark.parametrize("flag_column", [True, False])
def test_evaluable_disease_needs_evidence_without_a_lesion_table(flag_column: bool) -> None:
    # flag missing (or no flag column) and no lesion table: nothing shows evaluable disease
    frame = patients({"evaluable_disease": NA}, {"evaluable_disease": NA}, {})
    if not flag_column:
        frame = frame.drop(columns="evaluable_disease")
    cohort = derive_cohort(frame)
    kept = ["P003"] if flag_column else []
    assert list(cohort.data["patient_id"]) == kept
    assert set(cohort.excluded["step"]) == {"evaluable_disease"}
    assert len(cohort.excluded) == 3 - len(kept)


def test_a_predicate_answering_na_fails_the_patient() -> None:
    answer = pd.array([True, pd.NA, False], dtype="boolean")
    rule = EligibilityRule("known", "Known", lambda p: pd.Series(answer, index=p.index))
    kept, log, excluded = apply_eligibility(patients({}, {}, {}), (rule,))
    assert kept.tolist() == [True, False, False]
    assert (log.n_kept, log.n_excluded) == (1, 2)
    assert list(excluded["patient_id"]) == ["P002", "P003"]


def test_default_predicates_give_one_plain_bool_per_patient() -> None:
    frame = patients(
        {},
        {"tumour_type": NA, "grade": NA, "ki67": NA, "capecitabine": NA, "cycles": NA},
        {"regular_followup": NA, "evaluable_disease": NA},
    )
    for rule in DEFAULT_RULES:
        passed = rule.predicate(frame)
        assert passed.dtype == bool and passed.index.equals(frame.index), rule.name
    les = _lesions("P002", [("2015-12-20", "target")])
    evaluable = lesion_evaluable(frame, les)
    assert evaluable.dtype == bool and evaluable.tolist() == [False, True, False]


# --------------------------------------------------------------------------- reasons
def _rule(columns: tuple[str, ...]) -> EligibilityRule:
    return EligibilityRule("never", "Never passes", lambda p: p["age"] < 0, columns=columns)


@pytest.mark.parametrize(
    ("row", "rule", "reason"),
    [
        (
            {"grade": "3", "ki67": NA},
            DEFAULT_RULES[1],
            "failed: " + DEFAULT_RULES[1].description + " (grade=3, ki67=<missing>)",
        ),
        (
            {"temozolomide": NA},
            DEFAULT_RULES[2],
            "failed: "
            + DEFAULT_RULES[2].description
            + " (capecitabine=True, temozolomide=<missing>, cycles=6)",
        ),
        # a cited column the table does not have is left out
        ({"age": 80.0}, _rule(("age", "not_a_column")), "failed: Never passes (age=80.0)"),
        # nothing to cite: the step's description alone
        ({}, _rule(()), "Never passes"),
        ({}, _rule(("not_a_column",)), "Never passes"),
    ],
)
def test_reason_cites_each_column_of_the_step_in_order(
    row: dict[str, Any], rule: EligibilityRule, reason: str
) -> None:
    _, _, excluded = apply_eligibility(patients(row), (rule,))
    assert excluded["reason"].tolist() == [reason]


# --------------------------------------------------------------------------- frames
def test_attrition_frame_carries_each_steps_description_and_wording() -> None:
    cohort = derive_cohort(patients({}, {"tumour_type": "NEC"}))
    steps = cohort.attrition.to_frame()
    assert list(steps.columns) == [
        "step",
        "description",
        "wording",
        "n_before",
        "n_excluded",
        "n_after",
    ]
    assert steps["description"].tolist() == [r.description for r in DEFAULT_RULES]
    assert steps["wording"].tolist() == [r.wording for r in DEFAULT_RULES]
    _, log, _ = apply_eligibility(patients({}), ())
    empty = log.to_frame()
    assert empty.empty and list(empty.columns) == list(steps.columns)


@pytest.mark.parametrize(
    "rows",
    [
        [{}, {}],  # nobody excluded
        [{"tumour_type": "NEC"}, {}, {"cycles": 0}, {"regular_followup": False}],
    ],
)
def test_cohort_frames_are_positional_and_typed(rows: list[dict[str, Any]]) -> None:
    frame = patients(*rows).set_axis(pd.RangeIndex(2, 2 + len(rows), name="_line"))
    les = _lesions("P002", [("2015-12-20", "target")])
    cohort = derive_cohort(frame, les)
    assert cohort.data.index.equals(pd.RangeIndex(len(cohort.data)))
    assert set(cohort.data.columns) == set(frame.columns) | DERIVED  # no helper column left
    assert cohort.excluded.index.equals(pd.RangeIndex(len(cohort.excluded)))
    assert list(cohort.excluded.columns) == ["patient_id", "step", "reason"]
    assert (cohort.excluded.dtypes == "string").all()
    assert cohort.to_frame() is cohort.data
    # each kept patient's derived variables are those of the patient alone
    for pid in cohort.data["patient_id"]:
        alone = derive_variables(frame.loc[frame["patient_id"] == pid].reset_index(drop=True))
        mine = cohort.data.loc[cohort.data["patient_id"] == pid].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine[alone.columns], alone)


# --------------------------------------------------------------------------- registry input
def test_adverse_events_given_to_derive_cohort_set_grade34() -> None:
    ae = _ae([("P001", 4), ("P002", 1), ("P003", 3)])
    cohort = derive_cohort(patients({}, {}, {"tumour_type": "NEC"}), adverse_events=ae)
    assert cohort.data["grade34_ae"].tolist() == [True, False]
    assert cohort.adverse_events is not None
    assert cohort.adverse_events["patient_id"].tolist() == ["P001", "P002"]


def test_registry_with_patients_only() -> None:
    cohort = derive_cohort(SimpleNamespace(patients=patients({}, {})))
    assert len(cohort.data) == 2
    assert cohort.lesions is None and cohort.adverse_events is None
    assert cohort.data["grade34_ae"].isna().all()


def test_explicit_tables_win_over_the_registrys() -> None:
    frame = patients({"evaluable_disease": NA}, {"evaluable_disease": NA})
    reg = SimpleNamespace(
        patients=frame,
        lesions=_lesions("P001", [("2015-12-20", "target")]),
        adverse_events=_ae([("P001", 3)]),
    )
    from_registry = derive_cohort(reg)
    assert list(from_registry.data["patient_id"]) == ["P001"]
    assert from_registry.data["grade34_ae"].tolist() == [True]
    explicit = derive_cohort(
        reg,
        _lesions("P002", [("2015-12-20", "non_target")]),
        _ae([("P002", 4)]),
    )
    assert list(explicit.data["patient_id"]) == ["P002"]
    assert explicit.data["grade34_ae"].tolist() == [True]
    assert explicit.lesions is not None and set(explicit.lesions["patient_id"]) == {"P002"}


def test_a_missing_line_gives_missing_line_variables_not_a_crash() -> None:
    # np.select on a nullable comparison used to raise TypeError for a missing line
    p = patients({}, {}, {}).assign(line=pd.array([1, None, 3], dtype="Int64"))
    d = derive_variables(p)
    assert d["line_group"].tolist()[0] == "1" and d["line_group"].tolist()[2] == "3+"
    assert pd.isna(d["line_group"].iloc[1]) and pd.isna(d["first_line"].iloc[1])
    assert str(d["line_group"].dtype) == "string"
