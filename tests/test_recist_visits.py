"""Best overall response from recorded per-visit responses (issue 18, item 3): the same
controls as the lesion-based path, a row for every patient, and refusals that name the rule.

The parity tests feed the lesion-based timepoints' own overall responses back in as recorded
visits: every per-patient result must then be the same, whatever the protocol options.
"""

from __future__ import annotations

from functools import cache

import pandas as pd
import pytest
from recist_frames import START, patient_frame

from captemstats.io import read_registry
from captemstats.recist import (
    RecistConfig,
    assess_timepoints,
    best_overall_response,
    best_response_from_visits,
    timepoints_from_visits,
)
from captemstats.recist.errors import ERROR_COLUMNS, RecistInputError

COMPARED = [
    "bor",
    "bor_confirmed",
    "disease_control",
    "disease_control_confirmed",
    "evaluable",
    "not_evaluable_rule",
    "time_to_response_days",
    "duration_of_response_days",
    "dor_event",
    "recorded_bor",
    "n_assessments",
]


def visits(pid: str, seq: list[tuple[int, str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "patient_id": pid,
            "assessment_date": [START + pd.Timedelta(days=d) for d, _ in seq],
            "overall_response": [r for _, r in seq],
        }
    )


@cache
def shipped() -> tuple[pd.DataFrame, pd.DataFrame]:
    reg = read_registry("data/registry")
    return reg.patients, reg.lesions


def as_visits(lesions: pd.DataFrame, patients: pd.DataFrame, config: RecistConfig) -> pd.DataFrame:
    tp = assess_timepoints(lesions, config, patients=patients)
    assert tp.errors.empty
    targets = tp.baselines.set_index("patient_id")["n_targets"] > 0
    frame = tp.timepoints[["patient_id", "assessment_date", "overall_response"]].copy()
    frame["has_targets"] = frame["patient_id"].map(targets).to_numpy(dtype=bool)
    return frame


CONFIGS = {
    "default": RecistConfig(),
    "no NE between": RecistConfig(max_nr_ne=0),
    "one SD accepted": RecistConfig(accept_sd=True),
    "after next therapy": RecistConfig(count_after_subsequent_therapy=True),
    "DCR at 24 weeks": RecistConfig(dcr_min_sd_weeks=24),
}


@pytest.mark.parametrize("config", CONFIGS.values(), ids=list(CONFIGS))
def test_recorded_visits_give_the_lesion_based_result_on_the_shipped_registry(
    config: RecistConfig,
) -> None:
    patients, lesions = shipped()
    by_lesions = best_overall_response(
        assess_timepoints(lesions, config, patients=patients), patients, config
    ).patients
    by_visits = best_response_from_visits(as_visits(lesions, patients, config), patients, config)
    got = by_visits.patients
    assert got["patient_id"].tolist() == by_lesions["patient_id"].tolist()
    pd.testing.assert_frame_equal(got[COMPARED], by_lesions[COMPARED])
    measured = by_lesions["source"] == "measurements"
    assert measured.sum() > 250
    assert (got.loc[measured, "source"] == "visits").all()
    assert got.loc[measured, "best_pct_change"].isna().all()


def test_every_patient_gets_a_row_with_the_reason_when_nothing_counts() -> None:
    patients = patient_frame(
        ["A", "B", "C", "D", "E"], cycles=[6, 1, 6, 6, 6], best_response={"D": "SD"}
    )
    v = pd.concat(
        [
            visits("A", [(56, "PR"), (112, "PR")]),
            visits("B", [(56, "PR"), (112, "PR")]),  # one course only
        ]
    )
    out = best_response_from_visits(v, patients).patients.set_index("patient_id")
    assert out.loc["A", ["bor", "bor_confirmed", "source"]].tolist() == ["PR", "PR", "visits"]
    assert out.loc["B", ["bor", "not_evaluable_rule"]].tolist() == ["NE", "one_course_only"]
    assert out.loc["C", ["bor", "not_evaluable_rule"]].tolist() == ["NE", "no_lesion_data"]
    # no visits but a recorded best response: used as recorded, confirmation unknown
    assert out.loc["D", ["bor", "source"]].tolist() == ["SD", "recorded"]
    assert pd.isna(out.loc["D", "bor_confirmed"])
    assert out.loc["E", ["evaluable", "not_evaluable_rule"]].tolist() == [False, "no_lesion_data"]


#: (visits as (day, response), patient options, config) -> (BOR, confirmed BOR)
CONTROL_CASES = {
    "confirmed PR 28 days later": ([(56, "PR"), (84, "PR")], {}, RecistConfig(), ("PR", "PR")),
    "27 days is too early": ([(56, "PR"), (83, "PR")], {}, RecistConfig(), ("PR", "SD")),
    "SD breaks a PR confirmation": (
        [(56, "PR"), (84, "SD"), (112, "PR")],
        {},
        RecistConfig(),
        ("PR", "SD"),
    ),
    "unless one SD is accepted": (
        [(56, "PR"), (84, "SD"), (112, "PR")],
        {},
        RecistConfig(accept_sd=True),
        ("PR", "PR"),
    ),
    "visits after next therapy do not count": (
        [(56, "SD"), (112, "PR"), (140, "PR")],
        {"subsequent_day": {"P1": 100}},
        RecistConfig(),
        ("SD", "SD"),
    ),
    "visits after the progression date do not count": (
        [(56, "SD"), (112, "PR"), (140, "PR")],
        {"progression_day": {"P1": 90}},
        RecistConfig(),
        ("SD", "SD"),
    ),
    "only visits up to the first PD count": (
        [(56, "PD"), (112, "PR"), (140, "PR")],
        {},
        RecistConfig(),
        ("PD", "PD"),
    ),
    "SD before the minimum duration is not SD": ([(41, "SD")], {}, RecistConfig(), ("NE", "NE")),
    "SD at the minimum duration is SD": ([(42, "SD")], {}, RecistConfig(), ("SD", "SD")),
    "SD after CR is PD (Table 3 note a)": (
        [(56, "CR"), (112, "SD")],
        {},
        RecistConfig(),
        ("CR", "SD"),
    ),
}


@pytest.mark.parametrize(
    ("seq", "options", "config", "expected"), CONTROL_CASES.values(), ids=list(CONTROL_CASES)
)
def test_the_lesion_based_controls_apply_to_visits(
    seq: list[tuple[int, str]],
    options: dict[str, dict[str, int]],
    config: RecistConfig,
    expected: tuple[str, str],
) -> None:
    patients = patient_frame(["P1"], **options)
    row = best_response_from_visits(visits("P1", seq), patients, config).patients.iloc[0]
    assert (row["bor"], row["bor_confirmed"]) == expected


def test_reclassification_after_cr_is_explained() -> None:
    tp = timepoints_from_visits(visits("P1", [(56, "CR"), (112, "SD"), (140, "PD")]))
    assert tp.timepoints["overall_response"].tolist() == ["CR", "PD", "PD"]
    assert tp.timepoints["explanation"].tolist() == [
        "CR: recorded overall response",
        "PD: recorded SD, PD after an overall CR (RECIST 1.1 Table 3 note a)",
        "PD: recorded overall response",
    ]


def test_days_count_from_the_first_visit_and_from_treatment_start() -> None:
    v = visits("P1", [(56, "SD"), (112, "PR")])
    alone = timepoints_from_visits(v).timepoints
    assert alone["day"].tolist() == [0, 56]
    assert alone["days_from_start"].isna().all()
    started = timepoints_from_visits(v, patient_frame(["P1"])).timepoints
    assert started["days_from_start"].tolist() == [56, 112]


#: a bad visit row -> (rule, column, value shown)
REFUSALS = {
    "code outside RECIST": (visits("P1", [(56, "Partial")]), "invalid_code", "overall_response"),
    "two responses on one date": (
        visits("P1", [(56, "PR"), (56, "SD")]),
        "duplicate_visit",
        "overall_response",
    ),
    "unknown patient": (visits("ZZ", [(56, "PR")]), "unknown_patient", "patient_id"),
    "before treatment start": (visits("P1", [(-3, "SD")]), "visit_before_start", "assessment_date"),
    "no date": (
        visits("P1", [(56, "PR")]).assign(assessment_date=pd.NaT),
        "missing_key",
        "assessment_date",
    ),
}


@pytest.mark.parametrize(("frame", "rule", "column"), REFUSALS.values(), ids=list(REFUSALS))
def test_bad_visits_are_refused_naming_row_column_value_and_rule(
    frame: pd.DataFrame, rule: str, column: str
) -> None:
    patients = patient_frame(["P1"])
    ok = visits("P1", [(84, "PR"), (112, "PR")]) if rule != "unknown_patient" else frame.iloc[:0]
    result = best_response_from_visits(pd.concat([ok, frame]), patients)
    errors = result.errors
    assert list(errors.columns) == list(ERROR_COLUMNS)
    assert errors["rule"].tolist()[0] == rule
    first = errors.iloc[0]
    assert first["column"] == column
    assert first["message"].startswith("visits row ")
    assert f"[{rule}]" in first["message"]
    assert "lesion" not in first["message"]
    if rule != "unknown_patient":
        # the patient is refused, not guessed: NE with the rule, and no response counted
        row = result.patients.set_index("patient_id").loc["P1"]
        assert (row["bor"], row["not_evaluable_rule"]) == ("NE", "input_error")


def test_identical_duplicate_rows_count_once() -> None:
    v = visits("P1", [(56, "PR"), (56, "PR"), (84, "PR")])
    out = best_response_from_visits(v, patient_frame(["P1"]))
    assert out.errors.empty
    assert out.patients.loc[0, "n_assessments"] == 2


def test_a_missing_column_is_refused() -> None:
    with pytest.raises(RecistInputError, match="overall_response"):
        timepoints_from_visits(visits("P1", [(56, "PR")]).drop(columns="overall_response"))
