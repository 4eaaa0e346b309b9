"""Tests that kill surviving mutants of the RECIST 1.1 timepoint and sequence rules (issue 21).

Each table pins a rule of :mod:`captemstats.recist.sequence`, :mod:`~captemstats.recist.classify`,
:mod:`~captemstats.recist.timepoint` or :mod:`~captemstats.recist.baseline` that the other RECIST
tests left open: the protocol limits on a confirmation (at most ``max_nr_ne`` NE and, with
``accept_sd``, one SD between a CR/PR and its confirmation), the disease-control rule, and
the rules of the guideline cited on each table. Every expected value is worked out by hand
from the rule in the comment next to it (RECIST 1.1, Eisenhauer et al. 2009; the sequence
defaults: confirmation 28 days, SD minimum 42 days from treatment start).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from recist_frames import START, Visit, case, lesion_frame, lesion_rows, patient_frame

from captemstats.recist import RecistConfig, assess_timepoints, bor_from_sequence
from captemstats.recist.classify import choose
from captemstats.recist.sequence import _confirmed, disease_control
from captemstats.recist.timepoint import TIMEPOINT_COLUMNS, TimepointResult, start_dates

CR, PR, SD, NCNP, PD, NE = "CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE"

#: (key, day from start, response) for each assessment of one or more patients
Seq = list[tuple[int, float, str]]


def sequence(rows: Seq) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["key", "day_from_start", "response"])


def confirmed_bor(rows: Seq, config: RecistConfig) -> dict[int, str]:
    out = bor_from_sequence(sequence(rows), config)["bor_confirmed"]
    return {int(k): str(out[k]) for k in out.index.to_numpy(dtype=np.int64)}


MAX_NE_0 = RecistConfig(max_nr_ne=0)
MAX_NE_1 = RecistConfig(max_nr_ne=1)
ACCEPT_SD = RecistConfig(accept_sd=True)
ACCEPT_SD_NE_0 = RecistConfig(accept_sd=True, max_nr_ne=0)
ACCEPT_SD_NE_1 = RecistConfig(accept_sd=True, max_nr_ne=1)

# ---- RECIST 1.1 §4.4.1 with admiralonco's limits: what may lie between a CR/PR and the
# first CR/PR at least 28 days later that confirms it. When nothing confirms, the best
# response falls back to SD if an SD-or-better assessment lies >= 42 days after start, else
# PD if any, else NE (Table 3).
CONFIRMATION_LIMITS: list[tuple[str, RecistConfig, Seq, dict[int, str]]] = [
    ("PR-PR, nothing between", MAX_NE_0, [(0, 28, PR), (0, 56, PR)], {0: PR}),
    ("one NE between, none allowed", MAX_NE_0, [(0, 28, PR), (0, 42, NE), (0, 70, PR)], {0: SD}),
    ("one NE between, one allowed", MAX_NE_1, [(0, 28, PR), (0, 42, NE), (0, 70, PR)], {0: PR}),
    ("CR-NE-CR, none allowed", MAX_NE_0, [(0, 28, CR), (0, 42, NE), (0, 70, CR)], {0: SD}),
    ("CR-NE-CR, one allowed", MAX_NE_1, [(0, 28, CR), (0, 42, NE), (0, 70, CR)], {0: CR}),
    (
        "two NE between, one allowed",
        MAX_NE_1,
        [(0, 28, PR), (0, 35, NE), (0, 42, NE), (0, 70, PR)],
        {0: SD},
    ),
    # the repeat 12 days later is too early and nothing comes later: no SD at >= 42 days
    ("repeat too early", MAX_NE_0, [(0, 28, PR), (0, 40, PR)], {0: NE}),
    ("lone PR before 42 days", MAX_NE_0, [(0, 28, PR)], {0: NE}),
    # an early repeat does not count as an NE between the response and its confirmation
    ("early repeat between", MAX_NE_0, [(0, 28, PR), (0, 40, PR), (0, 70, PR)], {0: PR}),
    # an NE after the confirmation, or before the response, is not between them
    ("NE after the confirmation", MAX_NE_0, [(0, 28, PR), (0, 56, PR), (0, 84, NE)], {0: PR}),
    ("NE before the response", MAX_NE_0, [(0, 14, NE), (0, 28, PR), (0, 56, PR)], {0: PR}),
    # an NE is not a confirmation: the PR at 28 days stands alone
    ("NE never confirms", MAX_NE_1, [(0, 28, PR), (0, 56, NE)], {0: NE}),
    # an SD between breaks the confirmation unless accept_sd; the PR-PR after it confirms
    ("SD between", MAX_NE_0, [(0, 28, PR), (0, 42, SD), (0, 70, PR)], {0: SD}),
    ("SD, then PR-PR", MAX_NE_0, [(0, 28, PR), (0, 42, SD), (0, 70, PR), (0, 98, PR)], {0: PR}),
    # accept_sd: one SD may lie between a PR and its confirmation, two may not
    ("one SD accepted", ACCEPT_SD, [(0, 28, PR), (0, 42, SD), (0, 70, PR)], {0: PR}),
    (
        "two SD not accepted",
        ACCEPT_SD,
        [(0, 28, PR), (0, 42, SD), (0, 56, SD), (0, 84, PR)],
        {0: SD},
    ),
    # an SD before the response is not between it and its confirmation
    (
        "SD before, SD between",
        ACCEPT_SD,
        [(0, 14, SD), (0, 28, PR), (0, 42, SD), (0, 70, PR)],
        {0: PR},
    ),
    ("lone PR, accept_sd", ACCEPT_SD, [(0, 28, PR)], {0: NE}),
    ("repeat too early, accept_sd", ACCEPT_SD, [(0, 28, PR), (0, 40, PR)], {0: NE}),
    (
        "PR-SD-NE-PR, no NE allowed",
        ACCEPT_SD_NE_0,
        [(0, 28, PR), (0, 42, SD), (0, 56, NE), (0, 84, PR)],
        {0: SD},
    ),
    (
        "PR-SD-NE-PR, one NE allowed",
        ACCEPT_SD_NE_1,
        [(0, 28, PR), (0, 42, SD), (0, 56, NE), (0, 84, PR)],
        {0: PR},
    ),
    # accept_sd tolerates SD only: a PD still ends the counted assessments
    ("PR-PD-PR", ACCEPT_SD, [(0, 28, PR), (0, 42, PD), (0, 70, PR)], {0: PD}),
    # disease seen after a CR is PD (Table 3 note a), also with accept_sd
    ("CR then PR is PD", ACCEPT_SD, [(0, 28, CR), (0, 56, PR)], {0: PD}),
    # patients never confirm each other's responses
    ("two patients, one PR each", MAX_NE_0, [(0, 28, PR), (1, 70, PR)], {0: NE, 1: SD}),
    (
        "two patients, PR-PR each",
        MAX_NE_0,
        [(0, 28, PR), (0, 56, PR), (1, 28, PR), (1, 56, PR)],
        {0: PR, 1: PR},
    ),
    (
        "two patients, later days first",
        MAX_NE_0,
        [(0, 28, PR), (0, 84, PR), (1, 28, PR), (1, 56, PR)],
        {0: PR, 1: PR},
    ),
    (
        "three patients",
        ACCEPT_SD_NE_1,
        [(0, 28, PR), (0, 42, SD), (0, 70, PR), (1, 28, PR), (1, 100, PR), (2, 56, PR)],
        {0: PR, 1: PR, 2: SD},
    ),
    (
        "two patients, one lone PR",
        ACCEPT_SD,
        [(0, 28, PR), (0, 100, PR), (1, 28, PR)],
        {0: PR, 1: NE},
    ),
]


@pytest.mark.parametrize(
    ("config", "rows", "expected"),
    [c[1:] for c in CONFIRMATION_LIMITS],
    ids=[c[0] for c in CONFIRMATION_LIMITS],
)
def test_confirmation_limits(config: RecistConfig, rows: Seq, expected: dict[int, str]) -> None:
    assert confirmed_bor(rows, config) == expected


MULTI_PATIENT = [c for c in CONFIRMATION_LIMITS if len({k for k, _, _ in c[2]}) > 1]


@pytest.mark.parametrize("shift", [-1000.0, -100.0, 365.5])
@pytest.mark.parametrize(
    ("config", "rows", "expected"),
    [c[1:] for c in MULTI_PATIENT],
    ids=[c[0] for c in MULTI_PATIENT],
)
def test_confirmation_depends_only_on_the_days_between(
    config: RecistConfig, rows: Seq, expected: dict[int, str], shift: float
) -> None:
    """Whether a CR/PR is confirmed depends on the days between the assessments, not on
    their origin: with every day counted from another origin the same patients have a
    confirmed CR/PR (only the SD fallback, which counts from treatment start, may move)."""
    shifted = confirmed_bor([(k, d + shift, r) for k, d, r in rows], config)
    assert {k: v in (CR, PR) for k, v in shifted.items()} == {
        k: v in (CR, PR) for k, v in expected.items()
    }


WINDOW_0_SEQUENCES: list[Seq] = [
    [(0, 28, PR), (0, 56, NE)],
    [(0, 28, CR), (0, 35, NE), (0, 42, CR)],
    [(0, 28, PR), (0, 100, PR), (1, 28, PR)],
    [(0, 10, SD), (0, 28, PR), (1, 14, NE), (1, 20, CR), (2, 30, PD)],
]


@pytest.mark.parametrize(
    ("max_nr_ne", "accept_sd"),
    [(None, False), (0, False), (None, True), (0, True)],
    ids=["default", "max_nr_ne=0", "accept_sd", "both"],
)
@pytest.mark.parametrize("rows", WINDOW_0_SEQUENCES)
def test_a_zero_day_window_confirms_every_response(
    rows: Seq, max_nr_ne: int | None, accept_sd: bool
) -> None:
    """With ``confirmation_min_days=0`` a CR/PR is its own confirmation (the first CR/PR at
    least 0 days later is itself, with nothing in between), so the confirmed best response
    is the unconfirmed one whatever the limits on what lies between."""
    config = RecistConfig(confirmation_min_days=0, max_nr_ne=max_nr_ne, accept_sd=accept_sd)
    out = bor_from_sequence(sequence(rows), config)
    assert out["bor_confirmed"].tolist() == out["bor"].tolist()


# ---- the confirmation rule itself, on raw flags (one patient per key, days from start)
CONFIRMED_FLAGS: list[tuple[str, dict[str, object], list[int], list[float], str, list[bool]]] = [
    # (name, keyword limits, keys, days, responses as G good / B worse / N not evaluable /
    #  T tolerated, confirmed flags)
    ("any NE", {}, [0, 0, 0], [0, 28, 56], "GNG", [True, False, False]),
    ("no NE", {"max_ne": 0}, [0, 0, 0], [0, 28, 56], "GNG", [False, False, False]),
    ("one NE", {"max_ne": 1}, [0, 0, 0], [0, 28, 56], "GNG", [True, False, False]),
    ("worse breaks", {}, [0, 0, 0], [0, 28, 56], "GBG", [False, False, False]),
    ("worse breaks, limits", {"max_ne": 5}, [0, 0, 0], [0, 28, 56], "GBG", [False, False, False]),
    ("tolerated", {"tolerated": "T"}, [0, 0, 0], [0, 28, 56], "GTG", [True, False, False]),
    (
        "two tolerated",
        {"tolerated": "T"},
        [0, 0, 0, 0],
        [0, 20, 40, 56],
        "GTTG",
        [False, False, False, False],
    ),
    ("exactly the window", {"max_ne": 0}, [0, 0], [0, 28], "GG", [True, False]),
    ("one day short", {"max_ne": 0}, [0, 0], [0, 27], "GG", [False, False]),
    ("other patient", {"max_ne": 0}, [0, 1], [0, 28], "GG", [False, False]),
    ("other patient, tolerated", {"tolerated": "T"}, [0, 1], [0, 28], "GG", [False, False]),
]


@pytest.mark.parametrize(
    ("limits", "keys", "days", "codes", "expected"),
    [c[1:] for c in CONFIRMED_FLAGS],
    ids=[c[0] for c in CONFIRMED_FLAGS],
)
def test_confirmed_flags(
    limits: dict[str, object], keys: list[int], days: list[float], codes: str, expected: list[bool]
) -> None:
    c = np.array(list(codes))
    tolerated = c == "T" if "tolerated" in limits else None
    max_ne = limits.get("max_ne")
    assert max_ne is None or isinstance(max_ne, int)
    got = _confirmed(
        np.array(keys),
        np.array(days, dtype=float),
        c == "G",
        c != "N",
        28,
        max_ne=max_ne,
        tolerated=tolerated,
    )
    assert got.dtype == np.bool_
    assert got.tolist() == expected


# ---- disease control: CR or PR, or SD / non-CR/non-PD shown long enough (RECIST 1.1 §4.4.1)
DISEASE_CONTROL = [
    (CR, False, True),
    (CR, True, True),
    (PR, False, True),
    (PR, True, True),
    (SD, False, False),
    (SD, True, True),
    (NCNP, False, False),
    (NCNP, True, True),
    (PD, False, False),
    (PD, True, False),  # an SD-or-better assessment long enough does not undo a PD best
    (NE, False, False),
    (NE, True, False),
    (None, True, False),
]


@pytest.mark.parametrize(("bor", "long_enough", "expected"), DISEASE_CONTROL)
def test_disease_control(bor: str | None, long_enough: bool, expected: bool) -> None:
    got = disease_control(np.array([bor, PR], dtype=object), np.array([long_enough, False]))
    assert got.tolist() == [expected, True]


#: (name, dcr_min_sd_weeks, responses with days, disease control, confirmed disease control)
DCR_CASES: list[tuple[str, float | None, Seq, bool, bool]] = [
    # SD at 56 days meets the SD minimum (42) but not a DCR at 24 weeks (168 days); a later
    # NE is not an SD-or-better assessment
    ("SD before 24 weeks, NE after", 24, [(0, 56, SD), (0, 200, NE)], False, False),
    ("SD exactly at 24 weeks", 24, [(0, 56, SD), (0, 168, SD)], True, True),
    ("SD one day short of 24 weeks", 24, [(0, 56, SD), (0, 167, SD)], False, False),
    # a confirmed PR is disease control, confirmed or not
    ("PR-PR", None, [(0, 28, PR), (0, 56, PR)], True, True),
    # an unconfirmed PR then SD: PR unconfirmed, SD (>= 42 days) confirmed: both controlled
    ("PR-SD", None, [(0, 28, PR), (0, 56, SD)], True, True),
    # an unconfirmed PR before 42 days: confirmed BOR NE, no disease control
    ("lone early PR", None, [(0, 28, PR)], True, False),
]


@pytest.mark.parametrize(
    ("weeks", "rows", "dc", "dc_confirmed"),
    [c[1:] for c in DCR_CASES],
    ids=[c[0] for c in DCR_CASES],
)
def test_disease_control_from_sequences(
    weeks: float | None, rows: Seq, dc: bool, dc_confirmed: bool
) -> None:
    out = bor_from_sequence(sequence(rows), RecistConfig(dcr_min_sd_weeks=weeks)).loc[0]
    assert (bool(out["disease_control"]), bool(out["disease_control_confirmed"])) == (
        dc,
        dc_confirmed,
    )


# ---- timepoint response columns and explanations (RECIST 1.1 §4.3) -------------------------
def timepoints(lesions: pd.DataFrame) -> pd.DataFrame:
    result = assess_timepoints(lesions)
    assert result.errors.empty, result.errors["message"].tolist()
    return result.timepoints


def test_timepoints_report_the_baseline_and_nadir_sums() -> None:
    """Every follow-up row carries the baseline sum (§4.3.1: the reference for PR) and the
    nadir, the smallest earlier complete sum with the baseline included (the reference for
    PD): 30 + 20 = 50 mm at baseline, 40 mm then 45 mm later."""
    lesions = case(
        [
            Visit(-3, {"T1": 30.0, "T2": 20.0}),
            Visit(53, {"T1": 25.0, "T2": 15.0}),
            Visit(109, {"T1": 27.0, "T2": 18.0}),
            Visit(165, {"T1": 24.0, "T2": 20.0}),
        ]
    )
    tp = timepoints(lesions)
    assert tp["baseline_sum_mm"].tolist() == [50.0, 50.0, 50.0]
    assert tp["target_sum_mm"].tolist() == [40.0, 45.0, 44.0]
    assert tp["nadir_sum_mm"].tolist() == [50.0, 40.0, 40.0]
    # -20 %, -10 %, -12 % from baseline; -20 %, +12.5 %, +10 % from the nadir
    assert tp["pct_change_baseline"].tolist() == pytest.approx([-20.0, -10.0, -12.0])
    assert tp["pct_change_nadir"].tolist() == pytest.approx([-20.0, 12.5, 10.0])
    assert tp["target_response"].tolist() == [SD, SD, SD]


@pytest.mark.parametrize(
    ("size", "response"),
    [
        ("disappeared", CR),  # 0 mm: gone
        (0.5, PR),  # a measured non-nodal lesion of any size > 0 is still there (§4.3.1)
        (1.0, PR),
        (1.5, PR),
    ],
)
def test_a_non_nodal_target_is_cr_only_at_0_mm(size: float | str, response: str) -> None:
    """Target CR needs every non-nodal target to disappear (RECIST 1.1 §4.3.1); a measured
    size above 0, however small, is a -97 % to -99 % change: PR, not CR."""
    tp = timepoints(case([Visit(-3, {"T1": 50.0}), Visit(53, {"T1": size})]))
    assert tp["target_response"].tolist() == [response]
    assert tp["overall_response"].tolist() == [response]


def test_explanations_name_the_non_target_lesions() -> None:
    """The explanation names the non-target lesions in unequivocal progression (PD) and
    those not assessed (NE), §4.3.2."""
    lesions = case(
        [
            Visit(-3, {"T1": 50.0}, {"NT1": "present", "NT2": "present"}),
            Visit(53, {"T1": 45.0}, {"NT1": "present", "NT2": "not_assessed"}),
            Visit(109, {"T1": 45.0}, {"NT1": "unequivocal_progression", "NT2": "present"}),
        ]
    )
    tp = timepoints(lesions)
    assert tp["non_target_response"].tolist() == [NE, PD]
    assert "non-target NE: NT2 not assessed" in tp["explanation"].iloc[0]
    assert "non-target PD: unequivocal progression of NT1;" in tp["explanation"].iloc[1]


def test_a_nadir_of_zero_gives_no_numpy_warning() -> None:
    """A target that disappears (nadir 0 mm), stays gone, then comes back: the relative change
    from a zero nadir is undefined (0/0 while gone, 6/0 when back) and the engine says so in
    words; it must not leak numpy's invalid-value or divide-by-zero RuntimeWarning."""
    lesions = case(
        [
            Visit(-3, {"T1": 30.0}),
            Visit(53, {"T1": "disappeared"}),
            Visit(109, {"T1": "disappeared"}),
            Visit(165, {"T1": 6.0}),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tp = timepoints(lesions)
    assert tp["target_response"].tolist() == [CR, CR, PD]


@pytest.mark.parametrize(
    ("follow_up", "response"),
    [
        ({"NT1": "present", "NT2": "present"}, NCNP),
        ({"NT1": "absent", "NT2": "absent"}, CR),
        ({"NT1": "present", "NT2": None}, NE),  # NT2's row is missing: not assessed
        ({"NT1": "absent", "NT2": None}, NE),
        ({"NT1": None, "NT2": None}, NE),
    ],
)
def test_a_missing_non_target_row_is_not_assessed(
    follow_up: dict[str, str | None], response: str
) -> None:
    """RECIST 1.1 §4.3.2: non-target CR needs every non-target lesion gone and non-CR/non-PD
    every one seen; a lesion with no row at a follow-up was not assessed, so the non-target
    response is NE, never CR or non-CR/non-PD."""
    lesions = case(
        [
            Visit(-3, {"T1": 50.0}, {"NT1": "present", "NT2": "present"}),
            Visit(53, {"T1": 45.0}, follow_up),
        ]
    )
    assert timepoints(lesions)["non_target_response"].tolist() == [response]


def test_choose_refuses_conditions_and_values_of_different_lengths() -> None:
    """``choose`` is ``np.select`` for labels, which refuses unequal lists rather than drop
    a condition silently."""
    cond = [np.array([True, False]), np.array([False, True])]
    assert choose(cond, [PR, SD], NE).tolist() == [PR, SD]
    with pytest.raises(ValueError):
        choose(cond, [PR], NE)


# ---- the timepoint and baseline tables of assess_timepoints ---------------------------------
#: days from CAPTEM start (START, 2020-01-06); A: targets and a non-target, B: non-target
#: disease only, C: baseline 5 days after start (input error, §3.3), D: baseline 10 days after
#: start and a target T9 not declared at baseline at both follow-ups (two rules, three errors)
COHORT = (
    lesion_rows(
        "A",
        [
            Visit(-3, {"T1": 30.0, "T2": 20.0}, {"NT1": "present"}),
            Visit(53, {"T1": 20.0, "T2": 10.0}, {"NT1": "present"}),
            Visit(109, {"T1": 20.0, "T2": 12.0}, {"NT1": "present"}),
        ],
    )
    + lesion_rows("B", [Visit(-3, nt={"NT1": "present"}), Visit(53, nt={"NT1": "present"})])
    + lesion_rows("C", [Visit(5, {"T1": 40.0}), Visit(61, {"T1": 20.0})])
    + lesion_rows(
        "D",
        [
            Visit(10, {"T1": 40.0}),
            Visit(66, {"T1": 20.0, "T9": 12.0}),
            Visit(122, {"T1": 20.0, "T9": 12.0}),
        ],
    )
)
TIMEPOINT_DTYPES = {
    "patient_id": "string",
    "assessment_date": "datetime64[ns]",
    "day": "Int64",
    "days_from_start": "Int64",
    "target_sum_mm": "float64",
    "baseline_sum_mm": "float64",
    "nadir_sum_mm": "float64",
    "pct_change_baseline": "float64",
    "pct_change_nadir": "float64",
    "target_response": "string",
    "non_target_response": "string",
    "new_lesion": "boolean",
    "overall_response": "string",
    "explanation": "string",
    "baseline_date": "datetime64[ns]",
    "input_error": "bool",
}


def _dates(*days: int) -> list[pd.Timestamp]:
    return [START + pd.Timedelta(days=d) for d in days]


def _values(s: pd.Series) -> list[object]:
    return [None if pd.isna(x) else x for x in s.tolist()]


@pytest.fixture
def cohort() -> TimepointResult:
    # function-scoped, never cached: mutmut runs for each mutant only the tests that called
    # the mutated function when it collected its statistics, and a cached result would not
    # be recomputed (nor the test selected) for a mutant
    return assess_timepoints(lesion_frame(COHORT), patients=patient_frame(list("ABCD")))


def test_timepoint_table_columns_and_types(cohort: TimepointResult) -> None:
    tp = cohort.timepoints
    assert {c: str(t) for c, t in tp.dtypes.items()} == TIMEPOINT_DTYPES
    assert tuple(tp.columns[: len(TIMEPOINT_COLUMNS)]) == TIMEPOINT_COLUMNS


def test_timepoint_rows_count_days_from_the_scan_and_from_start(cohort: TimepointResult) -> None:
    """``day`` counts from the baseline scan, ``days_from_start`` from CAPTEM start (§4.4.1
    windows count from start); rows go by patient then date."""
    tp = cohort.timepoints
    assert tp["patient_id"].tolist() == ["A", "A", "B", "C", "D", "D"]
    assert tp["assessment_date"].tolist() == _dates(53, 109, 53, 61, 66, 122)
    assert tp["day"].tolist() == [56, 112, 56, 56, 56, 112]
    assert tp["days_from_start"].tolist() == [53, 109, 53, 61, 66, 122]
    assert tp["baseline_date"].tolist() == _dates(-3, -3, -3, 5, 10, 10)
    assert tp["input_error"].tolist() == [False, False, False, True, True, True]


def test_timepoint_responses_and_sums(cohort: TimepointResult) -> None:
    """A: 50 mm at baseline, 30 mm (-40 %, PR) then 32 mm (-36 % from baseline, +6.7 % from
    the nadir of 30: still PR); B has non-target disease only: non-CR/non-PD (Table 2), no
    sums; C and D are refused: NE with no sums."""
    tp = cohort.timepoints
    assert tp["overall_response"].tolist() == [PR, PR, NCNP, NE, NE, NE]
    assert _values(tp["target_response"]) == [PR, PR, None, None, None, None]
    assert _values(tp["non_target_response"]) == [NCNP, NCNP, NCNP, None, None, None]
    assert _values(tp["target_sum_mm"]) == [30.0, 32.0, None, None, None, None]
    assert _values(tp["baseline_sum_mm"]) == [50.0, 50.0, None, None, None, None]
    assert _values(tp["nadir_sum_mm"]) == [50.0, 30.0, None, None, None, None]
    assert _values(tp["pct_change_baseline"]) == pytest.approx(
        [-40.0, -36.0, None, None, None, None]
    )
    assert _values(tp["pct_change_nadir"])[:2] == pytest.approx([-40.0, 100 * 2 / 30])
    assert _values(tp["new_lesion"])[:3] == [False, False, False]


def test_refused_patients_are_ne_naming_their_rules(cohort: TimepointResult) -> None:
    """A patient with input errors is NE at every assessment, and the explanation names each
    rule once, sorted (D broke two rules, one of them twice)."""
    tp = cohort.timepoints.set_index(["patient_id", "days_from_start"])["explanation"]
    assert tp[("C", 61)] == "NE: input error (baseline_after_start); day 61 after treatment start"
    rules = "NE: input error (baseline_after_start, target_after_baseline)"
    assert tp[("D", 66)] == rules + "; day 66 after treatment start"
    assert tp[("D", 122)] == rules + "; day 122 after treatment start"
    assert tp[("A", 53)].endswith("; day 53 after treatment start")
    errors = cohort.errors
    assert sorted(errors["rule"].tolist()) == [
        "baseline_after_start",
        "baseline_after_start",
        "target_after_baseline",
        "target_after_baseline",
    ]


def test_baseline_table(cohort: TimepointResult) -> None:
    """One row per patient: the baseline date and target sum (NaN without targets or when the
    patient is refused), the number of target and non-target lesions, the error flag."""
    b = cohort.baselines
    assert list(b.columns) == [
        "patient_id",
        "baseline_date",
        "baseline_sum_mm",
        "n_targets",
        "n_non_targets",
        "input_error",
    ]
    assert b["patient_id"].tolist() == list("ABCD")
    assert b["baseline_date"].tolist() == _dates(-3, -3, 5, 10)
    assert _values(b["baseline_sum_mm"]) == [50.0, None, None, None]
    assert b["n_targets"].tolist() == [2, 0, 1, 1]
    assert b["n_non_targets"].tolist() == [1, 1, 0, 0]
    assert b["input_error"].tolist() == [False, False, True, True]
    assert (str(b["n_targets"].dtype), str(b["n_non_targets"].dtype)) == ("Int64", "Int64")
    assert str(b["baseline_date"].dtype) == "datetime64[ns]"


def test_result_object(cohort: TimepointResult) -> None:
    assert cohort.window_checked
    assert repr(cohort) == (
        "<TimepointResult: 6 assessments, 4 input errors; .summary(), .to_frame()>"
    )
    frame = cohort.to_frame()
    pd.testing.assert_frame_equal(frame, cohort.timepoints)
    pd.testing.assert_frame_equal(cohort.summary(), cohort.timepoints)
    frame.loc[0, "overall_response"] = PD
    assert cohort.timepoints.loc[0, "overall_response"] == PR  # to_frame is a copy


def test_without_patients_days_count_from_the_baseline_scan() -> None:
    """Without a patients frame there is no treatment start: ``days_from_start`` is NA, the
    explanation counts from the baseline scan and the window is not checked (C and D's late
    baselines are not errors then; D's undeclared target still is)."""
    result = assess_timepoints(lesion_frame(COHORT))
    assert not result.window_checked
    tp = result.timepoints
    assert tp["days_from_start"].isna().all()
    assert str(tp["days_from_start"].dtype) == "Int64"
    assert tp["explanation"].str.endswith("after the baseline scan").all()
    assert tp["explanation"].iloc[3].endswith("; day 56 after the baseline scan")
    assert tp["overall_response"].tolist() == [PR, PR, NCNP, PR, NE, NE]
    assert tp["explanation"].iloc[4].startswith("NE: input error (target_after_baseline);")
    assert (
        repr(result) == "<TimepointResult: 6 assessments, 2 input errors; .summary(), .to_frame()>"
    )


def test_one_assessment_one_error_in_the_singular() -> None:
    result = assess_timepoints(
        case([Visit(5, {"T1": 40.0}), Visit(61, {"T1": 20.0})]), patients=patient_frame(["P1"])
    )
    assert repr(result) == "<TimepointResult: 1 assessment, 1 input error; .summary(), .to_frame()>"


def test_treatment_start_is_the_first_row_of_each_patient() -> None:
    """``days_from_start`` counts from the patient's (first) CAPTEM start date; a patient
    without a start date has none."""
    patients = pd.concat(
        [patient_frame(["P1", "P2"]), patient_frame(["P1"], start=START + pd.Timedelta(days=7))],
        ignore_index=True,
    )
    start = start_dates(patients)
    assert start.to_dict() == {"P1": START, "P2": START}
    assert str(start.dtype) == "datetime64[ns]"
    lesions = case([Visit(-3, {"T1": 50.0}), Visit(53, {"T1": 45.0})])
    no_start = patient_frame(["P1"]).assign(
        captem_start_date=pd.Series([pd.NaT], dtype="datetime64[ns]")
    )
    tp = assess_timepoints(lesions, patients=no_start).timepoints
    assert tp["days_from_start"].isna().all()
    assert tp["explanation"].iloc[0].endswith("; day 56 after the baseline scan")


def test_treatment_start_is_returned_in_nanoseconds() -> None:
    """``start_dates`` returns ``datetime64[ns]`` whatever the unit of the patients column
    (a parquet file may carry seconds or milliseconds)."""
    patients = patient_frame(["P1"])
    patients["captem_start_date"] = patients["captem_start_date"].astype("datetime64[s]")
    start = start_dates(patients)
    assert str(start.dtype) == "datetime64[ns]"
    assert start.to_dict() == {"P1": START}
