"""Tests that kill surviving mutants of captemstats.recist.best_response (issue 21).

Each table pins a rule of the per-patient best response that the other RECIST tests left
open: a patient left out of the denominator is NE (RECIST 1.1 §4.4: every patient gets a
category) and never counts for disease control; a recorded best response counts for disease
control but its confirmation is unknown; the per-patient table is typed the same way whatever
the cohort; assessments of patients with input errors never count; the assessments table
counts days from treatment start (§4.4.1); the optional patient columns are optional; and the
input errors name the table, row, column and the ids they refuse. Every frame is built here
with :mod:`recist_frames` (days from CAPTEM start, which is ``START`` for every patient).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
from recist_frames import START, Visit, lesion_frame, lesion_rows, patient_frame

from captemstats.recist import RecistConfig, assess_timepoints, best_overall_response
from captemstats.recist.best_response import BOR_COLUMNS, BestResponseResult
from captemstats.recist.errors import ErrorRule, RecistInputError

CR, PR, SD, NCNP, PD, NE = "CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE"

#: the dtypes of the per-patient table: nullable, so that "unknown" is NA, never a silent value
SCHEMA: dict[str, str] = {
    "patient_id": "string",
    "bor": "string",
    "bor_confirmed": "string",
    "disease_control": "boolean",
    "disease_control_confirmed": "boolean",
    "evaluable": "boolean",
    "not_evaluable_rule": "string",
    "best_pct_change": "float64",
    "time_to_response_days": "Int64",
    "duration_of_response_days": "Int64",
    "dor_event": "boolean",
    "source": "string",
    "recorded_bor": "string",
    "n_assessments": "Int64",
}

#: one target of 50 mm at baseline (day 0 = treatment start) then one follow-up size
PR_AT_56 = [Visit(0, {"T1": 50.0}), Visit(56, {"T1": 30.0})]  # -40 %: PR (§4.3.1)
SD_AT_56 = [Visit(0, {"T1": 50.0}), Visit(56, {"T1": 45.0})]  # -10 % on day 56 >= 42: SD


def val(x: object) -> object:
    """A cell as a plain value: None when NA, a Python bool for a boolean."""
    if pd.isna(x):  # type: ignore[call-overload]
        return None
    return bool(x) if isinstance(x, bool | np.bool_) else x


def run(
    rows: list[dict[str, object]],
    patients: pd.DataFrame,
    config: RecistConfig = RecistConfig(),  # noqa: B008 — frozen
    *,
    check_at_assess: bool = True,
) -> BestResponseResult:
    """Best response of a constructed cohort; the baseline window is checked when the
    timepoints are assessed unless ``check_at_assess`` is False (then best_overall_response
    checks it)."""
    lesions = lesion_frame(rows)
    tp = assess_timepoints(lesions, config, patients=patients if check_at_assess else None)
    return best_overall_response(tp, patients, config)


# --------------------------------------------------------------------------- typed output
def _all_recorded() -> BestResponseResult:
    return run([], patient_frame(["A", "B"], best_response={"A": PR, "B": SD}))


def _none_evaluable() -> BestResponseResult:
    return run(lesion_rows("A", PR_AT_56), patient_frame(["A", "B"], cycles=1))


def _no_responder() -> BestResponseResult:
    return run(lesion_rows("A", SD_AT_56) + lesion_rows("B", SD_AT_56), patient_frame(["A", "B"]))


def _minimal_patients() -> BestResponseResult:
    patients = patient_frame(["A", "B"])[["patient_id", "captem_start_date", "cycles"]]
    return run(lesion_rows("A", PR_AT_56), patients)


TYPED_COHORTS = [
    # (cohort, column that is NA for every patient of it)
    (_all_recorded, "bor_confirmed"),  # recorded best responses have no confirmation
    (_none_evaluable, "source"),  # nobody's response comes from anywhere
    (_no_responder, "not_evaluable_rule"),  # everybody evaluable ...
    (_no_responder, "dor_event"),  # ... and nobody responded: no duration of response
    (_minimal_patients, "recorded_bor"),  # no best_response column at all
]


@pytest.mark.parametrize(
    ("cohort", "all_na"),
    TYPED_COHORTS,
    ids=[f"{c.__name__.strip('_')}-{col}" for c, col in TYPED_COHORTS],
)
def test_per_patient_table_is_typed_whatever_the_cohort(
    cohort: Callable[[], BestResponseResult], all_na: str
) -> None:
    """The per-patient table has the columns of BOR_COLUMNS in order, with nullable dtypes
    (string codes, boolean flags, Int64 day counts, float64 % change), even when a column is
    NA for every patient: an all-NA column must not fall back to ``object`` (or a day count to
    float), since downstream rates and tables rely on ``pd.NA`` meaning "unknown"."""
    bor = cohort().to_frame()
    assert tuple(bor.columns) == BOR_COLUMNS
    assert {c: str(t) for c, t in bor.dtypes.items()} == SCHEMA
    assert bor[all_na].isna().all()


# --------------------------------------------------------------------------- not evaluable
@pytest.fixture(scope="module")
def not_evaluable_cohort() -> pd.DataFrame:
    # a fixture, not a module-level cache: mutmut forks its test runs from a process that
    # already ran the tests, so a cached result would hide a mutant
    rows = (
        lesion_rows("ONE", PR_AT_56)  # a PR, but only one course given
        + lesion_rows("BASE", [Visit(0, {"T1": 50.0})])  # baseline only
        # baseline 5 days after treatment start: input error (RECIST 1.1 §3.3)
        + lesion_rows("ERR", [Visit(5, {"T1": 50.0}), Visit(56, {"T1": 30.0})])
    )
    patients = patient_frame(["ONE", "NOLES", "BASE", "ERR"], cycles=[1, 6, 6, 6])
    return run(rows, patients).to_frame().set_index("patient_id")


@pytest.mark.parametrize(
    ("pid", "rule"),
    [
        ("ONE", "one_course_only"),
        ("NOLES", "no_lesion_data"),
        ("BASE", "no_post_baseline_assessment"),
        ("ERR", "input_error"),
    ],
)
def test_not_evaluable_patients_are_ne_and_never_disease_control(
    not_evaluable_cohort: pd.DataFrame, pid: str, rule: str
) -> None:
    """RECIST 1.1 §4.4: every patient is assigned a category, "not evaluable" included; a
    patient left out of the response denominator has BOR NE both unconfirmed and confirmed
    (not a missing value), no disease control (DCR counts CR, PR and SD only), no source, no
    waterfall bar and no time to or duration of response — whatever their scans showed."""
    p = not_evaluable_cohort.loc[pid]
    assert (val(p["bor"]), val(p["bor_confirmed"])) == (NE, NE)
    assert (val(p["disease_control"]), val(p["disease_control_confirmed"])) == (False, False)
    assert (val(p["evaluable"]), val(p["not_evaluable_rule"])) == (False, rule)
    assert pd.isna(p["source"]) and pd.isna(p["best_pct_change"])
    assert pd.isna(p["time_to_response_days"]) and pd.isna(p["dor_event"])


@pytest.mark.parametrize(
    ("cycles", "config", "evaluable"),
    [
        (None, RecistConfig(), True),  # unknown count: not known to be one course
        (1, RecistConfig(), False),
        (2, RecistConfig(), True),
        (None, RecistConfig(min_cycles_for_response=3), True),
        (2, RecistConfig(min_cycles_for_response=3), False),
        (3, RecistConfig(min_cycles_for_response=3), True),
    ],
    ids=["unknown", "1", "2", "unknown-min3", "2-min3", "3-min3"],
)
def test_only_a_known_short_treatment_makes_a_patient_not_evaluable(
    cycles: int | None, config: RecistConfig, evaluable: bool
) -> None:
    """The study's one-course rule (CAPTEM paper, Table 2 footnote: patients given one course
    are not evaluable) excludes patients known to have had fewer than
    ``min_cycles_for_response`` cycles; a patient whose number of cycles is not recorded is
    not known to fall under it and is evaluated on their scans (here a PR)."""
    patients = patient_frame(["P1"])
    patients["cycles"] = pd.Series([cycles], dtype="Int64")
    p = run(lesion_rows("P1", PR_AT_56), patients, config).to_frame().iloc[0]
    assert bool(p["evaluable"]) is evaluable
    assert p["bor"] == (PR if evaluable else NE)
    assert (p["not_evaluable_rule"] is pd.NA) is evaluable


# --------------------------------------------------------------------------- recorded BOR
@pytest.mark.parametrize(
    ("recorded", "control"),
    [(CR, True), (PR, True), (SD, True), (NCNP, True), (PD, False), (NE, False)],
)
def test_recorded_best_response_counts_for_disease_control(recorded: str, control: bool) -> None:
    """A patient without lesion rows but with a recorded best response is evaluable on it
    (source "recorded"): disease control is CR, PR, SD or non-CR/non-PD (RECIST 1.1 §4.4.1,
    Table 2; the recorded SD is taken as having met its minimum duration, as there are no
    dates to check), while the confirmed BOR and its disease control are unknown (NA), not NE
    or False, because a recorded response says nothing about its confirmation."""
    patients = patient_frame(["R", "M"], best_response={"R": recorded})
    bor = run(lesion_rows("M", SD_AT_56), patients).to_frame().set_index("patient_id")
    r = bor.loc["R"]
    assert [val(r[c]) for c in ("bor", "source", "recorded_bor", "evaluable")] == [
        recorded,
        "recorded",
        recorded,
        True,
    ]
    assert val(r["disease_control"]) is control
    assert pd.isna(r["bor_confirmed"]) and pd.isna(r["disease_control_confirmed"])
    # the measured patient beside it keeps its own, confirmed, stable disease
    assert list(bor.loc["M", ["bor", "bor_confirmed", "source"]]) == [SD, SD, "measurements"]
    assert bor.loc["M", "disease_control_confirmed"]


# --------------------------------------------------------------------------- counted assessments
def test_assessments_of_patients_with_input_errors_or_unknown_ids_never_count() -> None:
    """RECIST 1.1 §4.4 classifies patients, not rows: a patient with an input error (here a
    baseline after treatment start, §3.3) has no counted assessment and no row in the
    assessments table, and lesion rows of a patient missing from the patients frame are an
    error and do not leak into another patient's results."""
    rows = (
        lesion_rows("OK", PR_AT_56)
        + lesion_rows("ERR", [Visit(5, {"T1": 50.0}), Visit(56, {"T1": 30.0})])
        + lesion_rows("GHOST", [Visit(0, {"T1": 50.0}), Visit(56, {"T1": 80.0})])  # PD
    )
    for patients, errors in [
        (patient_frame(["OK", "ERR"]), {"ERR": ErrorRule.BASELINE_AFTER_START}),
        (patient_frame(["OK"]), {"ERR": ErrorRule.UNKNOWN_PATIENT}),
    ]:
        res = run(rows, patients, check_at_assess=False)
        got = res.errors.set_index("patient_id")["rule"].to_dict()
        assert got == {**{k: v.value for k, v in errors.items()}, "GHOST": "unknown_patient"}
        bor = res.to_frame().set_index("patient_id")
        assert list(bor.index) == list(patients["patient_id"])
        # a single PR on day 56: confirmed BOR SD (Table 3, SD duration met)
        assert list(bor.loc["OK", ["bor", "bor_confirmed", "n_assessments"]]) == [PR, SD, 1]
        assert res.assessments["patient_id"].tolist() == ["OK"]
        if "ERR" in bor.index:
            assert list(bor.loc["ERR", ["bor", "not_evaluable_rule", "n_assessments"]]) == [
                NE,
                "input_error",
                0,
            ]


ASSESSED = {
    # patient: (visits, counted days from start, responses used)
    "R": (
        [
            Visit(-10, {"T1": 50.0}),  # baseline 10 days before treatment start
            Visit(56, {"T1": 30.0}),  # -40 %: PR
            Visit(112, {"T1": 25.0}),  # -50 %: PR, nadir 25
            Visit(168, {"T1": 40.0}),  # +60 % and +15 mm over the nadir: PD
            Visit(224, {"T1": 20.0}),  # after the first PD: not counted
        ],
        [56, 112, 168],
        [PR, PR, PD],
    ),
    "S": ([Visit(-3, {"T1": 40.0}), Visit(50, {"T1": 44.0})], [50], [SD]),
}


@pytest.mark.parametrize("pid", sorted(ASSESSED))
def test_assessments_table_counts_days_from_treatment_start(pid: str) -> None:
    """The assessments table lists, per patient (the first column, typed as text), the
    counted timepoints up to and including the first PD (RECIST 1.1 §4.4.1) with their
    assessment dates and days counted from treatment start, not from the baseline scan (the
    SD and confirmation windows run from treatment start)."""
    rows = [r for p, (visits, _, _) in ASSESSED.items() for r in lesion_rows(p, visits)]
    res = run(rows, patient_frame(["S", "R"]))
    a = res.assessments
    assert a.columns[0] == "patient_id" and str(a["patient_id"].dtype) == "string"
    mine = a[a["patient_id"] == pid]
    _, days, responses = ASSESSED[pid]
    assert mine["day_from_start"].tolist() == days
    assert mine["assessment_date"].tolist() == [START + pd.Timedelta(days=d) for d in days]
    assert mine["response_used"].tolist() == responses


# --------------------------------------------------------------------------- config, method
@pytest.mark.parametrize(
    "config",
    [
        RecistConfig(),
        RecistConfig(max_nr_ne=1, accept_sd=True),
        RecistConfig(confirmation_min_days=56, sd_min_days=56),
    ],
    ids=["defaults", "admiralonco-options", "longer-windows"],
)
def test_result_carries_the_config_it_was_computed_with(config: RecistConfig) -> None:
    """The result records the protocol options used, so that its method record states every
    option that differs from RECIST 1.1's defaults (none for the defaults)."""
    res = run(lesion_rows("P1", PR_AT_56), patient_frame(["P1"]), config)
    assert res.config == config
    assert res.method.notes == config.option_notes()


# --------------------------------------------------------------------------- patients frame
def test_patients_frame_needs_only_id_start_and_cycles() -> None:
    """Only patient_id, captem_start_date and cycles are required: without the recorded best
    response, progression and next-therapy columns every assessment counts, no recorded BOR
    exists (NA) and a patient without lesion rows has no lesion data."""
    bor = _minimal_patients().to_frame().set_index("patient_id")
    # a single PR on day 56: confirmed BOR SD (Table 3, SD duration met)
    assert list(bor.loc["A", ["bor", "bor_confirmed", "source"]]) == [PR, SD, "measurements"]
    assert list(bor.loc["B", ["bor", "not_evaluable_rule"]]) == [NE, "no_lesion_data"]
    assert bor["recorded_bor"].isna().all()


@pytest.mark.parametrize("column", ["patient_id", "captem_start_date", "cycles"])
def test_a_missing_required_patient_column_is_named(column: str) -> None:
    """A patients frame without a required column is refused with a message naming it."""
    patients = patient_frame(["P1"]).drop(columns=column)
    with pytest.raises(RecistInputError, match=f"^patients frame lacks column '{column}'$"):
        run(lesion_rows("P1", PR_AT_56), patients, check_at_assess=False)


@pytest.mark.parametrize(
    ("ids", "shown"),
    [
        (["P1", "P2", "P1"], "P1"),
        (["F", "E", "D", "C", "B", "A"] * 2, "A, B, C, D, E"),  # sorted, at most five
        (["Z", "Y", "Y", "X", "Z"], "Y, Z"),
    ],
    ids=["one", "six", "two"],
)
def test_duplicated_patient_ids_are_refused_naming_them(ids: list[str], shown: str) -> None:
    """Patient ids must be unique (one best response per patient); the error names the
    duplicated ids, sorted, at most five, separated by commas."""
    patients = patient_frame(ids)
    message = f"patients.patient_id is not unique (e.g. {shown})"
    with pytest.raises(RecistInputError, match=f"^{re.escape(message)}$"):
        run([], patients, check_at_assess=False)


def test_missing_treatment_start_is_reported_at_the_baseline_scan() -> None:
    """The SD and confirmation windows count from treatment start (RECIST 1.1 §4.4.1), so an
    empty CAPTEM start date is an input error of the patients table, dated at the patient's
    baseline scan and naming the column; the patient is not evaluable."""
    patients = patient_frame(["P1"])
    patients["captem_start_date"] = pd.NaT
    res = run(lesion_rows("P1", [Visit(-3, {"T1": 50.0}), Visit(56, {"T1": 30.0})]), patients)
    err = res.errors.iloc[0]
    assert len(res.errors) == 1
    assert (err["patient_id"], err["column"], err["rule"]) == (
        "P1",
        "captem_start_date",
        ErrorRule.MISSING_KEY.value,
    )
    assert err["assessment_date"] == START - pd.Timedelta(days=3)
    assert err["message"] == (
        "patients row ? (patient P1, 2020-01-03): captem_start_date — CAPTEM start date is "
        "empty; response windows cannot be computed [missing_key]"
    )
    assert res.to_frame()["not_evaluable_rule"].tolist() == ["input_error"]


def test_an_empty_patients_frame_leaves_every_lesion_row_unknown() -> None:
    """With no patient known, every patient of the lesion rows is an ``unknown_patient``
    error and the per-patient table is empty (it used to crash on broadcasting the empty
    patients' dates against the assessment rows)."""
    rows = lesion_rows("A", PR_AT_56) + lesion_rows("B", SD_AT_56)
    res = run(rows, patient_frame(["A"]).iloc[:0], check_at_assess=False)
    assert len(res.to_frame()) == 0
    assert res.assessments.empty
    assert sorted(res.errors["patient_id"]) == ["A", "B"]
    assert set(res.errors["rule"]) == {"unknown_patient"}
