"""Every threshold of every rule, tested at the threshold and one step either side (issue 21).

Each table below puts a case exactly on a boundary (20 % / 5 mm / 30 %, 10 mm nodes, 28 and
42 days, baseline window, expected count 5, suppression threshold K, Ki-67 3 % and 20 %,
adverse-event grades 3-4 vs 5, Fisher tables whose probabilities tie) and the cases just
inside and outside, so that moving a ``<`` to ``<=`` or dropping a term fails a test. Expected
values are worked out by hand from the rule cited on each table (or, for Fisher, by exact
rational arithmetic), never taken from captemstats.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pandas as pd
import pytest
from recist_frames import START, Visit, case, patient_frame
from test_cohort import patients
from test_compare import _frame_from_table
from test_privacy import contingency

from captemstats.cohort import derive_variables
from captemstats.compare import chi_square_test, compare_categorical, fisher_test
from captemstats.privacy import parse_count, suppress_table
from captemstats.recist import RecistConfig, assess_timepoints, bor_from_sequence
from captemstats.recist.errors import ErrorRule

CR, PR, SD, NCNP, PD, NE = "CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE"

# ---- RECIST 1.1 §4.3.1: target response over several follow-ups ----------------------------

#: (sums in mm of one target lesion: baseline then follow-ups, target responses)
TARGET_SEQUENCES = [
    # PD is measured from the nadir, and the baseline is a candidate nadir at every follow-up
    ([50.0, 55.0, 62.0], [SD, PD]),  # nadir stays 50: +24 %, +12 mm
    ([50.0, 55.0, 60.0], [SD, PD]),  # exactly +20 % and +10 mm over the baseline nadir
    ([50.0, 55.0, 59.9], [SD, SD]),  # +19.8 %
    ([50.0, 52.0, 55.0, 61.0], [SD, SD, PD]),  # nadir 50 through two follow-ups: +22 %
    ([50.0, 40.0, 48.0], [SD, PD]),  # nadir 40 (-20 %): exactly +20 %, +8 mm
    ([50.0, 40.0, 47.9], [SD, SD]),  # +19.75 % over the nadir of 40
    ([50.0, 35.0, 42.0], [PR, PD]),  # nadir 35 after exactly -30 %: +20 %, +7 mm
    ([50.0, 35.0, 40.0, 42.0], [PR, SD, PD]),  # 42 vs nadir 35: +20 %, +7 mm (vs 40: +5 %)
    # the 5 mm absolute floor: +20 % is not enough below it
    ([20.0, 21.0, 24.9], [SD, SD]),  # +24.5 % but +4.9 mm
    ([20.0, 21.0, 25.0], [SD, PD]),  # +25 % and exactly +5 mm
    # PR is judged against the baseline (-30 %), not the nadir
    ([50.0, 30.0, 35.0], [PR, PR]),  # -30 % vs baseline, +16.7 % vs nadir
    ([50.0, 30.0, 35.1], [PR, SD]),  # -29.8 % vs baseline
]


@pytest.mark.parametrize(("sums", "responses"), TARGET_SEQUENCES)
def test_target_response_thresholds_over_several_follow_ups(
    sums: list[float], responses: list[str]
) -> None:
    visits = [Visit(-3 + 56 * i, {"T1": s}) for i, s in enumerate(sums)]
    result = assess_timepoints(case(visits))
    assert result.errors.empty, result.errors["message"].tolist()
    assert result.timepoints["target_response"].tolist() == responses


#: (nodal target short axis at baseline and follow-up, target response): a node below 10 mm
#: is normal, so all nodes < 10 mm is a CR even though the sum is not 0 (§4.3.1)
NODE_SIZES = [
    (15.0, 9.9, CR),
    (15.0, 10.0, PR),  # 10 mm is not normal: -33 %, PR
    (16.0, 12.0, SD),  # -25 %
]


@pytest.mark.parametrize(("baseline", "follow_up", "response"), NODE_SIZES)
def test_node_of_10_mm_is_not_normal(baseline: float, follow_up: float, response: str) -> None:
    lesions = case([Visit(-3, {"L1": baseline}), Visit(56, {"L1": follow_up})], nodes=["L1"])
    assert assess_timepoints(lesions).timepoints["target_response"].tolist() == [response]


# ---- RECIST 1.1 §4.4.1: SD minimum 42 days, confirmation 28 days ---------------------------

#: (days from start and overall responses, unconfirmed BOR, confirmed BOR)
SEQUENCES = [
    ([42], [SD], SD, SD),  # SD exactly 42 days after start counts
    ([41], [SD], NE, NE),  # one day short: not evaluable
    ([41, 80], [SD, PD], PD, PD),
    ([56, 84], [PR, PR], PR, PR),  # repeated exactly 28 days later: confirmed
    ([56, 83], [PR, PR], PR, SD),  # 27 days: not confirmed, SD (day 56 >= 42)
    ([56, 84], [CR, CR], CR, CR),
    ([56, 83], [CR, CR], CR, SD),
    ([30, 58], [PR, PR], PR, PR),  # confirmation needs no 42 days; SD would
    ([30, 57], [PR, PR], PR, SD),  # unconfirmed PR: SD, since day 57 >= 42
    ([30, 40], [PR, PR], PR, NE),  # neither confirmed nor SD-long
]


@pytest.mark.parametrize(("days", "responses", "bor", "confirmed"), SEQUENCES)
def test_best_response_day_thresholds(
    days: list[int], responses: list[str], bor: str, confirmed: str
) -> None:
    seq = pd.DataFrame({"key": [1] * len(days), "day_from_start": days, "response": responses})
    out = bor_from_sequence(seq, RecistConfig())
    assert (out.loc[1, "bor"], out.loc[1, "bor_confirmed"]) == (bor, confirmed)


# ---- the baseline window (protocol: at most 42 days before CAPTEM start, not after it) -------


@pytest.mark.parametrize(
    ("baseline_day", "rule"),
    [
        (-43, ErrorRule.BASELINE_BEFORE_WINDOW),
        (-42, None),  # exactly the window: accepted
        (-41, None),
        (0, None),  # on the day of start: accepted
        (1, ErrorRule.BASELINE_AFTER_START),
    ],
)
def test_baseline_window_edges(baseline_day: int, rule: ErrorRule | None) -> None:
    lesions = case([Visit(baseline_day, {"T1": 30.0}), Visit(56, {"T1": 30.0})])
    errors = assess_timepoints(lesions, patients=patient_frame(["P1"])).errors
    assert errors["rule"].tolist() == ([] if rule is None else [rule.value])
    if rule is not None:
        assert errors["assessment_date"].iloc[0] == START + pd.Timedelta(days=baseline_day)


# ---- gtsummary's test choice: chi-square when every expected count is >= 5 ------------------


@pytest.mark.parametrize(
    ("table", "min_expected", "test"),
    [
        ([[5, 5], [5, 5]], Fraction(5), "chisq"),  # every expected count exactly 5
        ([[2, 8], [8, 2]], Fraction(5), "chisq"),  # observed 2, expected exactly 5
        ([[5, 5], [5, 6]], Fraction(10 * 10, 21), "fisher"),  # 4.76
        ([[3, 7], [7, 13]], Fraction(10 * 10, 30), "fisher"),  # 3.33
        ([[4, 6], [6, 14]], Fraction(10 * 10, 30), "fisher"),
        ([[5, 5], [10, 10]], Fraction(10 * 15, 30), "chisq"),  # 5 exactly, unequal margins
    ],
)
def test_chi_square_or_fisher_at_expected_count_5(
    table: list[list[int]], min_expected: Fraction, test: str
) -> None:
    cmp = compare_categorical(_frame_from_table(table), "v", "g")
    assert cmp.min_expected == pytest.approx(float(min_expected), rel=1e-15)
    assert cmp.test == test
    assert chi_square_test(np.array(table)).any_expected_below_5 == (test == "fisher")


# ---- Fisher's exact test on 2 x 2 tables whose probabilities tie ----------------------------


def exact_fisher_2x2(table: list[list[int]]) -> Fraction:
    """P of R's two-sided test in exact arithmetic: the hypergeometric probability of every
    table with the observed margins that is no more probable than the observed one."""
    (a, b), (c, d) = table
    r1, c1, n = a + b, a + c, a + b + c + d

    def prob(x: int) -> Fraction:
        return Fraction(math.comb(c1, x) * math.comb(n - c1, r1 - x), math.comb(n, r1))

    support = range(max(0, r1 + c1 - n), min(r1, c1) + 1)
    observed = prob(a)
    return sum((prob(x) for x in support if prob(x) <= observed), Fraction(0))


@pytest.mark.parametrize(
    "table",
    [
        [[0, 1], [5, 4]],  # two tables of probability 1/2 each: P = 1
        [[1, 0], [4, 5]],
        [[1, 1], [1, 1]],
        [[0, 2], [2, 0]],  # the two extreme tables tie at 1/6
        [[2, 3], [3, 2]],
        [[3, 0], [0, 3]],
        [[1, 4], [4, 1]],
        [[5, 5], [5, 5]],
        [[7, 3], [3, 7]],
        [[10, 20], [20, 10]],
    ],
)
def test_fisher_2x2_counts_tables_of_equal_probability(table: list[list[int]]) -> None:
    # 1e-12: floating dhyper sums vs the exact fraction (R's tie tolerance is 1e-7 relative)
    want = float(exact_fisher_2x2(table))
    assert fisher_test(np.array(table)).p_value == pytest.approx(want, rel=1e-12)


# ---- suppression of small counts: a count below K is hidden, a count of exactly K is shown ---


@pytest.mark.parametrize(
    ("k", "count", "hidden"),
    [(5, 4, True), (5, 5, False), (5, 6, False), (10, 9, True), (10, 10, False), (3, 3, False)],
)
def test_suppression_threshold_is_exclusive(k: int, count: int, hidden: bool) -> None:
    # the small cell sits among counts of at least 3k, so only it can be primary
    big = 3 * k
    out = suppress_table(contingency([[count, big], [big, big + 1]], pct=False), k).data
    cell = out.loc[out["label"] == "L0", "g0"].iloc[0]
    assert (parse_count(cell) is None) == hidden, cell
    if hidden:
        assert cell == f"<{k}"
    else:
        assert parse_count(cell) == count


# ---- cohort: adverse events of grade 3-4 (CTCAE), not grade 5 -------------------------------


@pytest.mark.parametrize(
    ("grades", "severe"),
    [
        ([2], False),
        ([3], True),
        ([4], True),
        ([5], False),  # death: not a grade 3-4 event
        ([1, 5], False),
        ([5, 3], True),
    ],
)
def test_grade34_adverse_event_bounds(grades: list[int], severe: bool) -> None:
    ae = pd.DataFrame(
        {
            "patient_id": pd.Series(["P001"] * len(grades), dtype="string"),
            "grade": pd.Series(grades, dtype="Int64"),
        }
    )
    assert derive_variables(patients({}), ae)["grade34_ae"].tolist() == [severe]


# ---- validation: WHO grade vs Ki-67 (G1 < 3 %, G2 3-20 %, G3 > 20 %) ------------------------


@pytest.mark.parametrize(
    ("grade", "ki67", "mismatch"),
    [
        ("1", 2.9, False),
        ("1", 3.0, True),
        ("2", 2.9, True),
        ("2", 3.0, False),  # exactly 3 %: grade 2
        ("2", 20.0, False),  # exactly 20 %: grade 2
        ("2", 20.1, True),
        ("3", 20.0, True),
        ("3", 20.1, False),
    ],
)
def test_grade_ki67_thresholds(grade: str, ki67: float, mismatch: bool) -> None:
    from test_validation import TODAY, VALID, edit_many

    from captemstats.io import read_registry
    from captemstats.validation import validate

    reg = edit_many(read_registry(VALID), "patients", 0, grade=grade, ki67=ki67)
    rules = validate(reg, today=TODAY).to_frame()["rule"].tolist()
    assert ("grade_ki67_mismatch" in rules) == mismatch, rules
