"""Adverse-event summaries by CTCAE v4.0 term and grade (the study's Table 4).

Counting rule (CTCAE reporting convention): each patient is counted once per term, in the
band of the *worst* grade recorded for that term; grade 5 events are reported apart. The
interruption and discontinuation columns count patients with at least one event of that term
that led to interruption / discontinuation. Percentages use the number of patients in the
analysis cohort as denominator (the paper's n = 308), including patients without any event.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from captemstats.results import Displayed, count_words
from captemstats.schema import CTCAE_TERMS

#: Grade bands of Table 4, in print order.
BANDS: tuple[str, ...] = ("grade_1_2", "grade_3", "grade_4", "grade_5")


@dataclass(frozen=True, slots=True, repr=False)
class AdverseEventSummary(Displayed):
    """Patients per CTCAE term by worst grade band, with interruption/discontinuation counts.

    ``counts`` is indexed by term with columns :data:`BANDS` + ``interruption``,
    ``discontinuation`` and ``any_grade`` (integer patient counts). ``denominator`` is the
    number of patients in the cohort. ``grade34_patients`` is the number of patients with at
    least one grade 3–4 event of any term.

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.adverse import summarize_adverse_events
    >>> ae = pd.DataFrame({"patient_id": ["P1", "P2"], "term": ["Fatigue", "Anemia"],
    ...                    "grade": [2, 3], "led_to_interruption": False,
    ...                    "led_to_discontinuation": False})
    >>> s = summarize_adverse_events(ae, ["P1", "P2", "P3"], terms=None)
    >>> s.to_frame().query("band == 'grade_3'")[["term", "n", "denominator", "pct"]].round(1)
         term  n  denominator   pct
    2  Anemia  1            3  33.3
    3  Fatigue  0            3   0.0
    """

    counts: pd.DataFrame
    denominator: int
    grade34_patients: int
    n_events: int
    method: str = field(
        default="Patients counted once per term at their worst CTCAE v4.0 grade; "
        "percentages of all patients in the cohort."
    )

    def _headline(self) -> str:
        events = count_words(self.n_events, "event")
        return f"{events}, {self.grade34_patients} of {self.denominator} patients with grade 3-4"

    def summary(self) -> pd.DataFrame:
        """Per term: patients by grade band (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """Tidy long frame: term, band, n, denominator, pct."""
        long = (
            self.counts.rename_axis("term")
            .reset_index()
            .melt(id_vars="term", var_name="band", value_name="n")
        )
        long["denominator"] = self.denominator
        long["pct"] = 100.0 * long["n"] / self.denominator if self.denominator else np.nan
        return long


def summarize_adverse_events(
    adverse_events: pd.DataFrame,
    patient_ids: pd.Series | Sequence[str],
    *,
    terms: Sequence[str] | None = CTCAE_TERMS,
) -> AdverseEventSummary:
    """Summarise adverse events of the patients in ``patient_ids`` (the analysis cohort).

    Events of patients outside the cohort are ignored (they were excluded by the cohort's
    attrition log, which accounts for them). ``terms`` fixes the row order; terms recorded
    but not listed are appended in alphabetical order so that nothing is dropped; pass
    ``None`` to use only the terms recorded.

    Parameters
    ----------
    adverse_events
        One row per event: patient_id, term (CTCAE v4.0), grade (1-5), led_to_interruption,
        led_to_discontinuation (``Registry.adverse_events``).
    patient_ids
        The analysis cohort (the denominator of every percentage).
    terms
        The row order (default: Table 4's terms, ``captemstats.schema.CTCAE_TERMS``), or None.

    Returns
    -------
    AdverseEventSummary
        ``counts`` per term and worst-grade band, the denominator and the patients with any
        grade 3–4 event; ``to_frame()`` gives the tidy long frame.

    Notes
    -----
    Each patient counts once per term at the worst grade (the CTCAE v4.0 reporting
    convention); percentages are of all patients of the cohort, events or not.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame({
    ...     "patient_id": ["P1", "P1", "P2", "P3"],
    ...     "term": ["Fatigue", "Anemia", "Fatigue", "Diarrhea"],
    ...     "grade": [2, 3, 1, 4],
    ...     "led_to_interruption": [False, True, False, True],
    ...     "led_to_discontinuation": False,
    ... })
    >>> s = summarize_adverse_events(ae, ["P1", "P2", "P3", "P4"], terms=None)
    >>> s.counts[["grade_1_2", "grade_3", "grade_4", "interruption"]]
              grade_1_2  grade_3  grade_4  interruption
    term
    Anemia            0        1        0             1
    Diarrhea          0        0        1             1
    Fatigue           2        0        0             0
    >>> s.denominator, s.grade34_patients
    (4, 2)
    """
    ids = pd.Index(pd.Series(patient_ids, dtype="string").unique())
    ae = adverse_events.loc[adverse_events["patient_id"].isin(ids)]
    grade = ae["grade"].astype("float64")
    recorded = sorted(set(ae["term"].dropna().astype(str)))
    order = list(terms) if terms is not None else []
    order += [t for t in recorded if t not in set(order)]

    worst = ae.assign(_g=grade).groupby(["term", "patient_id"], observed=True)["_g"].max()
    band = pd.cut(
        worst, bins=[0, 2, 3, 4, 5], labels=list(BANDS), right=True, include_lowest=True
    ).astype("string")
    by_band = band.groupby(level="term").value_counts().unstack(fill_value=0)

    def patients_with(flag: str) -> pd.Series:
        hit = ae.loc[ae[flag].fillna(False).astype(bool)]
        return hit.groupby("term")["patient_id"].nunique()

    counts = pd.DataFrame(index=pd.Index(order, name="term"))
    for b in BANDS:
        counts[b] = by_band[b] if b in by_band.columns else 0
    counts["interruption"] = patients_with("led_to_interruption")
    counts["discontinuation"] = patients_with("led_to_discontinuation")
    counts["any_grade"] = worst.groupby(level="term").size()
    counts = counts.fillna(0).astype("int64")

    severe = ae.loc[grade.between(3, 4), "patient_id"].nunique()
    return AdverseEventSummary(
        counts=counts,
        denominator=len(ids),
        grade34_patients=int(severe),
        n_events=len(ae),
    )


def grade34_flag(adverse_events: pd.DataFrame, patient_ids: pd.Series) -> pd.Series:
    """Boolean per patient in ``patient_ids``: any grade 3–4 event (Table 1's row).

    Parameters
    ----------
    adverse_events
        One row per event with patient_id and grade.
    patient_ids
        The patients to flag, in order.

    Returns
    -------
    pandas.Series
        True for a patient with at least one grade 3 or 4 event, aligned with
        ``patient_ids``.

    Examples
    --------
    >>> import pandas as pd
    >>> ae = pd.DataFrame({
    ...     "patient_id": ["P1", "P1", "P2", "P3"],
    ...     "term": ["Fatigue", "Anemia", "Fatigue", "Diarrhea"],
    ...     "grade": [2, 3, 1, 4],
    ...     "led_to_interruption": [False, True, False, True],
    ...     "led_to_discontinuation": False,
    ... })
    >>> grade34_flag(ae, pd.Series(["P1", "P2", "P3", "P4"])).tolist()
    [True, False, True, False]
    """
    severe = adverse_events.loc[
        adverse_events["grade"].astype("float64").between(3, 4), "patient_id"
    ].unique()
    return pd.Series(patient_ids).isin(severe).astype(bool)
