"""Cohort derivation: eligibility steps (STROBE attrition) and the Methods' derived variables.

Rules are checked table-driven, one patient per row, at their boundaries; the attrition
invariants (input = kept + sum of exclusions, exactly one step per excluded patient, each
charged to the first rule it fails) are checked on hand-made registries, on generated ones
with every kind of ineligible patient, and by hypothesis on random registries.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captemstats.cohort import (
    DAYS_PER_MONTH,
    DEFAULT_RULES,
    EligibilityRule,
    apply_eligibility,
    derive_cohort,
    derive_variables,
    lesion_evaluable,
)
from captemstats.errors import AnalysisError

STEP_NAMES = [r.name for r in DEFAULT_RULES]

BASE: dict[str, Any] = {
    "sex": "female",
    "age": 60.0,
    "ecog": 0,
    "comorbidity": False,
    "primary_site": "pancreas",
    "grade": "2",
    "ki67": 10.0,
    "metastatic_sites": "liver",
    "prior_curative_surgery": False,
    "diagnosis_date": "2015-01-01",
    "captem_start_date": "2016-01-01",
    "line": 1,
    "cycles": 6,
    "capecitabine": True,
    "temozolomide": True,
    "progression_date": None,
    "death_date": None,
    "last_followup_date": "2017-01-01",
    "tumour_type": "NET",
    "regular_followup": True,
    "evaluable_disease": True,
}
DATES = (
    "diagnosis_date",
    "captem_start_date",
    "progression_date",
    "death_date",
    "last_followup_date",
    "birth_date",
)
DTYPES = {
    "patient_id": "string",
    "sex": "string",
    "age": "float64",
    "ecog": "Int64",
    "comorbidity": "boolean",
    "primary_site": "string",
    "grade": "string",
    "ki67": "float64",
    "metastatic_sites": "string",
    "prior_curative_surgery": "boolean",
    "line": "Int64",
    "cycles": "Int64",
    "capecitabine": "boolean",
    "temozolomide": "boolean",
    "tumour_type": "string",
    "regular_followup": "boolean",
    "evaluable_disease": "boolean",
}


def patients(*overrides: dict[str, Any]) -> pd.DataFrame:
    """A typed patients frame, one row per override dict (on top of an eligible patient)."""
    rows = [{"patient_id": f"P{i + 1:03d}", **BASE, **o} for i, o in enumerate(overrides)]
    frame = pd.DataFrame(rows)
    for col in DATES:
        if col in frame.columns:
            frame[col] = pd.to_datetime(frame[col]).astype("datetime64[ns]")
    return frame.astype({c: t for c, t in DTYPES.items() if c in frame.columns})


def first_failed_step(row: dict[str, Any], lesions: pd.DataFrame | None = None) -> str | None:
    frame = patients(row)
    cohort = derive_cohort(frame, lesions)
    if len(cohort.data) == 1:
        return None
    assert len(cohort.excluded) == 1
    return str(cohort.excluded["step"].iloc[0])


# --------------------------------------------------------------------------- eligibility
NA = None
ELIGIBILITY_CASES: list[tuple[dict[str, Any], str | None]] = [
    # tumour type: confirmed NET only
    ({"tumour_type": "NET"}, None),
    ({"tumour_type": "NEC"}, "metastatic_net"),
    ({"tumour_type": NA}, "metastatic_net"),
    # grade 1-2: Ki-67 unknown allowed, never above 55 %
    ({"grade": "1", "ki67": NA}, None),
    ({"grade": "2", "ki67": NA}, None),
    ({"grade": "1", "ki67": 0.5}, None),
    ({"grade": "2", "ki67": 55.0}, None),
    ({"grade": "2", "ki67": 55.1}, "grade_ki67"),
    # grade 3 NET: Ki-67 known and <= 55 %
    ({"grade": "3", "ki67": 55.0}, None),
    ({"grade": "3", "ki67": 55.1}, "grade_ki67"),
    ({"grade": "3", "ki67": 21.0}, None),
    ({"grade": "3", "ki67": NA}, "grade_ki67"),
    # unknown grade: Ki-67 1-20 % inclusive
    ({"grade": "unknown", "ki67": 0.5}, "grade_ki67"),
    ({"grade": "unknown", "ki67": 0.99}, "grade_ki67"),
    ({"grade": "unknown", "ki67": 1.0}, None),
    ({"grade": "unknown", "ki67": 20.0}, None),
    ({"grade": "unknown", "ki67": 20.5}, "grade_ki67"),
    ({"grade": "unknown", "ki67": 21.0}, "grade_ki67"),
    ({"grade": "unknown", "ki67": NA}, "grade_ki67"),
    ({"grade": NA, "ki67": 10.0}, "grade_ki67"),
    # at least one cycle of both drugs
    ({"cycles": 1}, None),
    ({"cycles": 0}, "captem_both_drugs"),
    ({"cycles": NA}, "captem_both_drugs"),
    ({"capecitabine": False}, "captem_both_drugs"),
    ({"temozolomide": False}, "captem_both_drugs"),
    ({"capecitabine": NA}, "captem_both_drugs"),
    ({"capecitabine": False, "temozolomide": False}, "captem_both_drugs"),
    # regular follow-up: only an explicit "no" excludes
    ({"regular_followup": False}, "regular_followup"),
    ({"regular_followup": NA}, None),
    # measurable or evaluable disease
    ({"evaluable_disease": False}, "evaluable_disease"),
    # a patient failing several rules is charged to the first one only
    ({"tumour_type": "NEC", "capecitabine": False}, "metastatic_net"),
    ({"grade": "3", "ki67": 70.0, "regular_followup": False}, "grade_ki67"),
    ({"cycles": 0, "regular_followup": False, "evaluable_disease": False}, "captem_both_drugs"),
    ({"regular_followup": False, "evaluable_disease": False}, "regular_followup"),
]


@pytest.mark.parametrize(("row", "step"), ELIGIBILITY_CASES)
def test_eligibility_rule(row: dict[str, Any], step: str | None) -> None:
    assert first_failed_step(row) == step


def _lesions(pid: str, rows: list[tuple[str, str]]) -> pd.DataFrame:
    """Lesion rows (assessment_date, role) of one patient."""
    return pd.DataFrame(
        {
            "patient_id": pd.Series([pid] * len(rows), dtype="string"),
            "assessment_date": pd.to_datetime([d for d, _ in rows]).astype("datetime64[ns]"),
            "role": pd.Series([r for _, r in rows], dtype="string"),
        }
    )


@pytest.mark.parametrize(
    ("flag", "lesion_rows", "step"),
    [
        # flag missing: decided by a target or non-target lesion at the first assessment
        (NA, [("2015-12-20", "target")], None),
        (NA, [("2015-12-20", "non_target"), ("2016-04-01", "target")], None),
        (NA, [("2015-12-20", "new"), ("2016-04-01", "target")], "evaluable_disease"),
        (NA, [], "evaluable_disease"),
        # the recorded flag wins over the lesion table
        (True, [], None),
        (False, [("2015-12-20", "target")], "evaluable_disease"),
    ],
)
def test_evaluable_disease_from_lesions(
    flag: bool | None, lesion_rows: list[tuple[str, str]], step: str | None
) -> None:
    les = _lesions("P001", lesion_rows)
    assert first_failed_step({"evaluable_disease": flag}, les) == step


def test_evaluable_disease_without_flag_column_or_lesions() -> None:
    frame = patients({}, {}).drop(columns="evaluable_disease")
    les = _lesions("P002", [("2015-12-20", "target")])
    cohort = derive_cohort(frame, les)
    assert list(cohort.data["patient_id"]) == ["P002"]
    assert list(cohort.excluded["step"]) == ["evaluable_disease"]
    assert lesion_evaluable(frame, les.iloc[0:0]).tolist() == [False, False]


def test_regular_followup_column_optional() -> None:
    frame = patients({}, {}).drop(columns="regular_followup")
    assert len(derive_cohort(frame).data) == 2


def test_reason_cites_rule_and_values() -> None:
    cohort = derive_cohort(patients({"grade": "3", "ki67": 70.0}, {"temozolomide": False}))
    reasons = dict(zip(cohort.excluded["patient_id"], cohort.excluded["reason"], strict=True))
    assert "grade=3" in reasons["P001"] and "ki67=70.0" in reasons["P001"]
    assert "temozolomide=False" in reasons["P002"] and "cycles=6" in reasons["P002"]
    assert reasons["P002"].startswith("failed: At least one cycle of CAPTEM")


# --------------------------------------------------------------------------- attrition
def _check_attrition(frame: pd.DataFrame, cohort: Any) -> None:
    """The STROBE invariants of a derived cohort over its input ``frame``."""
    log = cohort.attrition
    kept = set(cohort.data["patient_id"])
    excluded = cohort.excluded
    assert log.n_input == len(frame)
    assert log.n_input == log.n_kept + log.n_excluded
    assert log.n_kept == len(cohort.data)
    assert log.n_excluded == len(excluded)
    assert excluded["patient_id"].is_unique  # exactly one step per excluded patient
    assert kept.isdisjoint(set(excluded["patient_id"]))
    assert kept | set(excluded["patient_id"]) == set(frame["patient_id"])
    steps = log.to_frame()
    assert list(steps["step"]) == [r.name for r in cohort.rules]
    assert (steps["n_before"] - steps["n_excluded"] == steps["n_after"]).all()
    assert (steps["n_after"].to_numpy()[:-1] == steps["n_before"].to_numpy()[1:]).all()
    assert steps["n_before"].iloc[0] == log.n_input
    by_step = excluded["step"].value_counts()
    for s in log.steps:
        assert by_step.get(s.name, 0) == s.n_excluded
    # each excluded patient fails its step and passes every earlier one; kept pass all
    work = frame.set_index(frame["patient_id"].astype(str), drop=False)
    outcomes = {
        r.name: r.predicate(work).astype("boolean").fillna(False).astype(bool) for r in cohort.rules
    }
    names = [r.name for r in cohort.rules]
    for pid, step in zip(excluded["patient_id"], excluded["step"], strict=True):
        i = names.index(step)
        assert not outcomes[step][pid]
        assert all(outcomes[n][pid] for n in names[:i])
    for pid in kept:
        assert all(outcomes[n][pid] for n in names)


def test_attrition_accounts_for_every_patient() -> None:
    frame = patients(*(row for row, _ in ELIGIBILITY_CASES))
    cohort = derive_cohort(frame)
    _check_attrition(frame, cohort)
    expected = pd.Series([s for _, s in ELIGIBILITY_CASES if s]).value_counts().to_dict()
    assert cohort.excluded["step"].value_counts().to_dict() == expected


def test_attrition_on_generated_registry_with_every_ineligible_kind() -> None:
    from captemstats.synth import ALL_INELIGIBLE, generate_registry

    reg = generate_registry(40, seed=3, n_ineligible=12, ineligible_kinds=ALL_INELIGIBLE)
    cohort = derive_cohort(reg)
    _check_attrition(reg.patients, cohort)
    assert cohort.attrition.n_input == 52
    assert cohort.attrition.n_kept == 40
    # kinds are cycled: nec, grade_ki67, one_drug, no_cycles, irregular, not_evaluable
    counts = cohort.excluded["step"].value_counts().to_dict()
    assert counts == {
        "metastatic_net": 2,
        "grade_ki67": 2,
        "captem_both_drugs": 4,
        "regular_followup": 2,
        "evaluable_disease": 2,
    }
    # lesions and adverse events are restricted to the kept patients
    kept = set(cohort.data["patient_id"])
    assert cohort.lesions is not None and set(cohort.lesions["patient_id"]) <= kept
    assert cohort.adverse_events is not None
    assert set(cohort.adverse_events["patient_id"]) <= kept


def test_custom_rules_are_configurable() -> None:
    rules = (
        DEFAULT_RULES[0],
        EligibilityRule(
            "age_limit", "Age 18-75", lambda p: p["age"].between(18, 75), columns=("age",)
        ),
    )
    frame = patients({"age": 80.0}, {"age": 75.0}, {"tumour_type": "NEC", "age": 90.0})
    cohort = derive_cohort(frame, rules=rules)
    _check_attrition(frame, cohort)
    assert list(cohort.data["patient_id"]) == ["P002"]
    assert dict(zip(cohort.excluded["patient_id"], cohort.excluded["step"], strict=True)) == {
        "P001": "age_limit",
        "P003": "metastatic_net",
    }
    assert "age=80.0" in cohort.excluded["reason"].iloc[1]


def test_rule_errors() -> None:
    frame = patients({})
    with pytest.raises(AnalysisError, match="unique"):
        apply_eligibility(frame, (DEFAULT_RULES[0], DEFAULT_RULES[0]))
    bad = EligibilityRule("bad", "bad", lambda p: pd.Series([True, False]))
    with pytest.raises(AnalysisError, match=r"'bad'.*one bool per patient"):
        apply_eligibility(frame, (bad,))
    with pytest.raises(AnalysisError, match="captem_start_date"):
        derive_cohort(frame.drop(columns="captem_start_date"))


def test_empty_excluded_frame_and_no_rules() -> None:
    cohort = derive_cohort(patients({}, {}))
    assert cohort.excluded.empty and list(cohort.excluded.columns) == [
        "patient_id",
        "step",
        "reason",
    ]
    kept, log, _ = apply_eligibility(patients({}), ())
    assert kept.all() and log.n_kept == log.n_input == 1 and log.n_excluded == 0


_maybe = st.one_of(st.none(), st.booleans())
_row = st.fixed_dictionaries(
    {
        "tumour_type": st.sampled_from(["NET", "NET", "NEC", None]),
        "grade": st.sampled_from(["1", "2", "3", "unknown", None]),
        "ki67": st.one_of(
            st.none(),
            st.sampled_from([0.5, 1.0, 2.9, 3.0, 20.0, 20.5, 21.0, 55.0, 55.1, 70.0]),
            st.floats(0, 100, allow_nan=False),
        ),
        "capecitabine": st.sampled_from([True, True, False, None]),
        "temozolomide": st.sampled_from([True, True, False, None]),
        "cycles": st.one_of(st.none(), st.integers(0, 3)),
        "regular_followup": _maybe,
        "evaluable_disease": _maybe,
    }
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_row, min_size=0, max_size=25), st.permutations(range(len(DEFAULT_RULES))))
def test_attrition_invariants_on_random_registries(
    rows: list[dict[str, Any]], order: list[int]
) -> None:
    frame = patients(*rows) if rows else patients({}).iloc[0:0]
    rules = tuple(DEFAULT_RULES[i] for i in order)  # any order of the steps
    cohort = derive_cohort(frame, rules=rules)
    _check_attrition(frame, cohort)
    # the kept set does not depend on the order of the steps
    kept_default, _, _ = apply_eligibility(frame)
    assert set(cohort.data["patient_id"]) == set(frame.loc[kept_default, "patient_id"])


# --------------------------------------------------------------------------- derived variables
def derived(*overrides: dict[str, Any]) -> pd.DataFrame:
    return derive_variables(patients(*overrides))


@pytest.mark.parametrize(
    ("age", "group", "le50"),
    [
        (22.0, "<50", True),
        (49.0, "<50", True),
        (49.5, "<50", True),
        (50.0, "50-70", True),
        (50.5, "50-70", False),
        (51.0, "50-70", False),
        (70.0, "50-70", False),
        (70.5, ">70", False),
        (71.0, ">70", False),
    ],
)
def test_age_groups(age: float, group: str, le50: bool) -> None:
    d = derived({"age": age})
    assert d["age_group"].iloc[0] == group
    assert bool(d["age_le50"].iloc[0]) is le50


@pytest.mark.parametrize(
    ("birth", "age", "group"),
    [
        ("1966-01-01", 50.0, "50-70"),  # 50th birthday on the CAPTEM start day
        ("1966-01-02", 49.0, "<50"),  # one day short of 50
        ("1945-01-02", 70.0, "50-70"),
        ("1945-01-01", 71.0, ">70"),
    ],
)
def test_age_from_birth_date_when_age_missing(birth: str, age: float, group: str) -> None:
    d = derived({"age": np.nan, "birth_date": birth})
    assert d["age"].iloc[0] == age
    assert d["age_group"].iloc[0] == group


def test_recorded_age_wins_over_birth_date() -> None:
    assert derived({"age": 33.0, "birth_date": "1950-06-01"})["age"].iloc[0] == 33.0


@pytest.mark.parametrize(
    ("ki67", "group", "le20"),
    [
        (0.5, "<3", True),
        (2.9, "<3", True),
        (3.0, "3-20", True),
        (20.0, "3-20", True),
        (20.5, "21-55", False),
        (21.0, "21-55", False),
        (55.0, "21-55", False),
        (55.1, ">55", None),
        (None, "unknown", None),
    ],
)
def test_ki67_groups(ki67: float | None, group: str, le20: bool | None) -> None:
    d = derived({"ki67": ki67})
    assert d["ki67_group"].iloc[0] == group
    value = d["ki67_le20"].iloc[0]
    assert (value is pd.NA) if le20 is None else (bool(value) is le20)


@pytest.mark.parametrize(
    ("line", "group", "first"),
    [(1, "1", True), (2, "2", False), (3, "3+", False), (4, "3+", False), (9, "3+", False)],
)
def test_line_groups(line: int, group: str, first: bool) -> None:
    d = derived({"line": line})
    assert d["line_group"].iloc[0] == group
    assert bool(d["first_line"].iloc[0]) is first


@pytest.mark.parametrize(
    ("grade", "g12", "g3"),
    [("1", True, False), ("2", True, False), ("3", False, True), ("unknown", None, None)],
)
def test_grade_indicators(grade: str, g12: bool | None, g3: bool | None) -> None:
    d = derived({"grade": grade})
    for col, want in (("grade_1_2", g12), ("grade3", g3)):
        value = d[col].iloc[0]
        assert (value is pd.NA) if want is None else (bool(value) is want)


@pytest.mark.parametrize(
    ("site", "pancreas"),
    [("pancreas", True), ("gastrointestinal", False), ("lung", False), ("unknown", False)],
)
def test_site_pancreas_vs_others(site: str, pancreas: bool) -> None:
    assert bool(derived({"primary_site": site})["pancreas"].iloc[0]) is pancreas


@pytest.mark.parametrize(("ecog", "ok"), [(0, True), (1, True), (2, False), (3, False)])
def test_ecog_0_1_vs_2(ecog: int, ok: bool) -> None:
    assert bool(derived({"ecog": ecog})["ecog_0_1"].iloc[0]) is ok


START = pd.Timestamp("2016-01-01")


def _months(date: str, since: pd.Timestamp = START) -> float:
    return (pd.Timestamp(date) - since).days / 30.4375


@pytest.mark.parametrize(
    ("prog", "death", "last", "pfs_end", "pfs_event", "os_end", "os_event"),
    [
        # no event: both censored at last follow-up
        (None, None, "2017-01-01", "2017-01-01", False, "2017-01-01", False),
        # progression only: PFS event at progression, OS censored
        ("2016-07-01", None, "2017-01-01", "2016-07-01", True, "2017-01-01", False),
        # death without progression: PFS and OS events at death
        (None, "2016-10-01", "2016-09-15", "2016-10-01", True, "2016-10-01", True),
        # progression then death: PFS at progression, OS at death
        ("2016-05-01", "2017-03-01", "2017-02-01", "2016-05-01", True, "2017-03-01", True),
        # progression and death on the same day
        ("2016-05-01", "2016-05-01", "2016-05-01", "2016-05-01", True, "2016-05-01", True),
        # a progression recorded after death: death is the earlier event
        ("2017-05-01", "2017-03-01", "2017-03-01", "2017-03-01", True, "2017-03-01", True),
    ],
)
def test_pfs_os_definitions(
    prog: str | None,
    death: str | None,
    last: str,
    pfs_end: str,
    pfs_event: bool,
    os_end: str,
    os_event: bool,
) -> None:
    d = derived({"progression_date": prog, "death_date": death, "last_followup_date": last})
    assert d["pfs_months"].iloc[0] == pytest.approx(_months(pfs_end), rel=1e-15)
    assert bool(d["pfs_event"].iloc[0]) is pfs_event
    assert d["os_months"].iloc[0] == pytest.approx(_months(os_end), rel=1e-15)
    assert bool(d["os_event"].iloc[0]) is os_event
    fu_end = death if death is not None else last
    assert d["followup_months"].iloc[0] == pytest.approx(
        _months(fu_end, pd.Timestamp("2015-01-01")), rel=1e-15
    )


def test_months_are_days_over_30_4375() -> None:
    assert DAYS_PER_MONTH == 30.4375 == 365.25 / 12
    # 2016-01-01 + 30.4375 * 4 = 121.75 days: whole days are divided, not calendar months
    d = derived({"last_followup_date": "2016-05-01"}, {"last_followup_date": "2020-01-01"})
    assert d["os_months"].tolist() == [121 / 30.4375, 1461 / 30.4375]
    assert d["os_months"].iloc[1] == 48.0  # four years of 365.25 days


def test_grade34_adverse_events() -> None:
    ae = pd.DataFrame(
        {
            "patient_id": pd.Series(["P001", "P001", "P002", "P003", "P999"], dtype="string"),
            "grade": pd.Series([1, 3, 4, 2, 3], dtype="Int64"),
        }
    )
    d = derive_variables(patients({}, {}, {}, {}), ae)
    assert d["grade34_ae"].tolist() == [True, True, False, False]
    assert derived({})["grade34_ae"].isna().all()  # no adverse-event table given


def test_derived_variables_leave_input_untouched() -> None:
    frame = patients({"age": np.nan, "birth_date": "1970-01-01"})
    before = frame.copy()
    derive_variables(frame)
    pd.testing.assert_frame_equal(frame, before)
