"""Adverse-event summary (Table 4) through the pipeline, and its counting rule as properties.

The shipped synthetic registry, read and cohort-derived, must give every resolved Table 4 cell
(patients per CTCAE term by worst grade band, and interruptions) and Table 1's grade 3–4 row;
on random event tables the summary must equal a direct per-patient count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captemstats.adverse import BANDS, grade34_flag, summarize_adverse_events
from captemstats.audit import audit_published, resolve
from captemstats.cohort import Cohort, derive_cohort
from captemstats.io import read_registry
from captemstats.published import load_published

SHIPPED = Path(__file__).resolve().parents[1] / "data" / "registry"


@pytest.fixture(scope="module")
def resolved() -> Any:
    study = load_published()
    return resolve(study, audit_published(study))


@pytest.fixture(scope="module")
def cohort() -> Cohort:
    return derive_cohort(read_registry(SHIPPED))


def test_table4_every_cell(cohort: Cohort, resolved: Any) -> None:
    assert cohort.adverse_events is not None
    summary = summarize_adverse_events(cohort.adverse_events, cohort.data["patient_id"])
    assert summary.denominator == 308
    t4 = resolved.table4
    assert set(t4["band"]) == {"grade_1_2", "grade_3", "grade_4", "interruption"}
    wrong = [
        f"{r.term}/{r.band}: {summary.counts.loc[r.term, r.band]} != {r.n}"
        for r in t4.itertuples()
        if summary.counts.loc[r.term, r.band] != r.n
    ]
    assert not wrong, wrong
    # no grade 5 events ("There were no treatment-related deaths"), no term outside Table 4
    assert (summary.counts["grade_5"] == 0).all()
    recorded = summary.counts.index[summary.counts["any_grade"] > 0]
    assert set(recorded) <= set(t4["term"])
    frame = summary.to_frame()
    row = frame[(frame.term == "Fatigue") & (frame.band == "grade_1_2")].iloc[0]
    assert row.pct == pytest.approx(100 * row.n / 308)


@pytest.mark.parametrize("group", ["all", "1", "2", "3+"])
def test_table1_grade34_row_from_events(cohort: Cohort, resolved: Any, group: str) -> None:
    assert cohort.adverse_events is not None
    d = cohort.data if group == "all" else cohort.data[cohort.data["line_group"] == group]
    flag = grade34_flag(cohort.adverse_events, d["patient_id"])
    want = resolved.table1_count("grade34_ae", "yes", group)
    assert int(flag.sum()) == want
    assert int(d["grade34_ae"].sum()) == want  # derive_variables agrees
    if group == "all":
        summary = summarize_adverse_events(cohort.adverse_events, d["patient_id"])
        assert summary.grade34_patients == want


def test_excluded_patients_events_are_ignored(cohort: Cohort) -> None:
    registry = read_registry(SHIPPED)
    ae = registry.adverse_events.reset_index(drop=True)
    extra = ae.iloc[[0]].copy()
    extra["patient_id"] = pd.Series(
        [cohort.excluded["patient_id"].iloc[0]], dtype="string", index=extra.index
    )
    extra["grade"] = pd.Series([4], dtype="Int64", index=extra.index)
    with_extra = pd.concat([ae, extra], ignore_index=True)
    a = summarize_adverse_events(ae, cohort.data["patient_id"])
    b = summarize_adverse_events(with_extra, cohort.data["patient_id"])
    pd.testing.assert_frame_equal(a.counts, b.counts)
    assert a.grade34_patients == b.grade34_patients


TERMS = ["Anemia", "Fatigue", "Diarrhea", "Hiccups"]
_event = st.tuples(
    st.sampled_from([f"p{i}" for i in range(8)]),
    st.sampled_from(TERMS),
    st.integers(1, 5),
    st.booleans(),
    st.booleans(),
)


@settings(max_examples=40, deadline=None)
@given(st.lists(_event, max_size=40), st.sets(st.sampled_from([f"p{i}" for i in range(8)])))
def test_summary_equals_direct_count(events: list[tuple[Any, ...]], cohort_ids: set[str]) -> None:
    ae = pd.DataFrame(
        events,
        columns=["patient_id", "term", "grade", "led_to_interruption", "led_to_discontinuation"],
    ).astype({"patient_id": "string", "term": "string", "grade": "Int64"})
    ids = sorted(cohort_ids)
    s = summarize_adverse_events(ae, pd.Series(ids, dtype="string"), terms=TERMS[:3])
    assert list(s.counts.index[:3]) == TERMS[:3]
    assert s.denominator == len(ids)
    mine = [e for e in events if e[0] in cohort_ids]
    assert s.n_events == len(mine)
    for term in s.counts.index:
        worst: dict[str, int] = {}
        for pid, t, g, _, _ in mine:
            if t == term:
                worst[pid] = max(worst.get(pid, 0), g)
        bands = dict.fromkeys(BANDS, 0)
        for g in worst.values():
            bands["grade_1_2" if g <= 2 else f"grade_{g}"] += 1
        for band, n in bands.items():
            assert s.counts.loc[term, band] == n, (term, band)
        assert s.counts.loc[term, "any_grade"] == len(worst) == sum(bands.values())
        for k, col in ((3, "interruption"), (4, "discontinuation")):
            flagged = {e[0] for e in mine if e[1] == term and e[k]}
            assert s.counts.loc[term, col] == len(flagged)
        assert s.counts.loc[term, "any_grade"] <= s.denominator
    assert s.grade34_patients == len({e[0] for e in mine if 3 <= e[2] <= 4})
    # terms recorded but not listed are appended, never dropped
    if any(e[1] == "Hiccups" for e in mine):
        assert "Hiccups" in s.counts.index
