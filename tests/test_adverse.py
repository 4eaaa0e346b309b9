"""Adverse-event counting rules (Table 4): worst grade per patient and term."""

from __future__ import annotations

import pandas as pd
import pytest

from captemstats.adverse import grade34_flag, summarize_adverse_events


def _ae(rows: list[tuple[str, str, int, bool, bool]]) -> pd.DataFrame:
    return pd.DataFrame(
        rows,
        columns=["patient_id", "term", "grade", "led_to_interruption", "led_to_discontinuation"],
    ).astype({"patient_id": "string", "term": "string", "grade": "Int64"})


AE = _ae(
    [
        ("p1", "Anemia", 1, False, False),
        ("p1", "Anemia", 3, True, False),  # worst grade 3: counted once, in grade_3
        ("p2", "Anemia", 2, False, False),
        ("p2", "Fatigue", 4, False, True),
        ("p3", "Fatigue", 1, False, False),
        ("p9", "Fatigue", 3, False, False),  # not in the cohort
        ("p3", "Hiccups", 1, False, False),  # a term outside the list is kept
    ]
)
IDS = pd.Series(["p1", "p2", "p3", "p4"], dtype="string")


@pytest.mark.parametrize(
    ("term", "band", "expected"),
    [
        ("Anemia", "grade_1_2", 1),
        ("Anemia", "grade_3", 1),
        ("Anemia", "interruption", 1),
        ("Fatigue", "grade_1_2", 1),
        ("Fatigue", "grade_3", 0),
        ("Fatigue", "grade_4", 1),
        ("Fatigue", "discontinuation", 1),
        ("Hiccups", "grade_1_2", 1),
        ("Nausea/vomiting", "grade_1_2", 0),
    ],
)
def test_worst_grade_counting(term: str, band: str, expected: int) -> None:
    summary = summarize_adverse_events(AE, IDS)
    assert summary.counts.loc[term, band] == expected


def test_denominator_and_grade34() -> None:
    summary = summarize_adverse_events(AE, IDS)
    assert summary.denominator == 4
    assert summary.grade34_patients == 2  # p1 (grade 3) and p2 (grade 4); p9 excluded
    frame = summary.to_frame()
    row = frame[(frame.term == "Anemia") & (frame.band == "grade_3")].iloc[0]
    assert row.pct == pytest.approx(25.0)
    assert list(grade34_flag(AE, IDS)) == [True, True, False, False]


def test_every_cohort_event_is_counted() -> None:
    summary = summarize_adverse_events(AE, IDS)
    in_cohort = AE[AE.patient_id.isin(IDS)]
    per_term = in_cohort.groupby("term")["patient_id"].nunique()
    assert summary.counts.loc[per_term.index, "any_grade"].to_list() == per_term.to_list()
    bands = summary.counts[["grade_1_2", "grade_3", "grade_4", "grade_5"]].sum(axis=1)
    assert (bands == summary.counts["any_grade"]).all()
