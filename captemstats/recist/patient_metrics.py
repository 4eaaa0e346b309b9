"""Per-patient, plot-ready frames: waterfall (best % change) and swimmer (timelines).

Numbers only; figures are drawn by :mod:`captemstats.figures`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from captemstats.recist.best_response import BestResponseResult
from captemstats.recist.errors import RecistInputError
from captemstats.units import DAYS_PER_MONTH

#: Length of one CAPTEM cycle in days (capecitabine d1–14, temozolomide d10–14, every 28 days).
CYCLE_DAYS: int = 28


def waterfall_data(bor: BestResponseResult | pd.DataFrame) -> pd.DataFrame:
    """Evaluable patients with a best % change of the target sum, in waterfall order.

    Columns: patient_id, best_pct_change, bor, bor_confirmed, order (1 = largest increase,
    bars drawn left to right). Patients without target lesions or without a complete target
    assessment have no bar and are left out (they are still in the BOR table).

    Parameters
    ----------
    bor
        A :class:`BestResponseResult` or its ``to_frame()``.

    Returns
    -------
    pandas.DataFrame
        One row per bar, in drawing order.

    Examples
    --------
    >>> import pandas as pd
    >>> frame = pd.DataFrame({"patient_id": ["P1", "P2", "P3"], "evaluable": True,
    ...                       "best_pct_change": [-44.0, 12.5, -8.0],
    ...                       "bor": ["PR", "SD", "SD"], "bor_confirmed": ["PR", "SD", "SD"]})
    >>> waterfall_data(frame)
      patient_id  best_pct_change bor bor_confirmed  order
    0         P2             12.5  SD            SD      1
    1         P3             -8.0  SD            SD      2
    2         P1            -44.0  PR            PR      3
    """
    df = bor.to_frame() if isinstance(bor, BestResponseResult) else bor
    missing = [c for c in ("patient_id", "best_pct_change", "bor", "evaluable") if c not in df]
    if missing:
        raise RecistInputError(f"BOR frame lacks column(s) {', '.join(missing)}")
    keep = df["evaluable"].fillna(False).to_numpy(dtype=bool) & df["best_pct_change"].notna()
    cols = ["patient_id", "best_pct_change", "bor"] + (
        ["bor_confirmed"] if "bor_confirmed" in df else []
    )
    out = df.loc[keep, cols].sort_values(
        ["best_pct_change", "patient_id"], ascending=[False, True], kind="stable"
    )
    out = out.reset_index(drop=True)
    out["order"] = np.arange(1, len(out) + 1)
    return out


@dataclass(frozen=True)
class SwimmerData:
    """Swimmer-plot data.

    Attributes:
        lanes: one row per patient: patient_id, bor, treatment_days (cycles × 28, an
            approximation: the registry has no end-of-treatment date), followup_days (to
            death or last follow-up), died, and the same in months (days / 30.4375).
        events: one row per event: patient_id, event ("assessment", "response",
            "progression", "subsequent_therapy", "death"), day (from CAPTEM start), months,
            response (timepoint response for assessments).

    Examples
    --------
    Made by :func:`swimmer_data`; drawn by :func:`captemstats.figures.swimmer_figure`.

    >>> import pandas as pd
    >>> lanes = pd.DataFrame({"patient_id": ["P1"], "bor": ["PR"], "treatment_days": [200.0],
    ...                       "followup_days": [400.0], "died": [False],
    ...                       "treatment_months": [6.6], "followup_months": [13.1]})
    >>> events = pd.DataFrame({"patient_id": ["P1"], "event": ["response"], "day": [56.0],
    ...                        "months": [1.8], "response": ["PR"]})
    >>> SwimmerData(lanes=lanes, events=events).lanes.shape
    (1, 7)
    """

    lanes: pd.DataFrame
    events: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The events table (a copy); lanes are in :attr:`lanes`."""
        return self.events.copy()


def swimmer_data(bor: BestResponseResult, patients: pd.DataFrame) -> SwimmerData:
    """Timelines per patient from the best-response result and the patients frame.

    Parameters
    ----------
    bor
        The result of :func:`best_overall_response`.
    patients
        The patients frame it was computed from (start, progression, death and last
        follow-up dates).

    Returns
    -------
    SwimmerData
        ``lanes`` (one row per patient: bor, time on treatment and follow-up in days and
        months) and ``events`` (assessments, first response, progression, death).

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> from captemstats.recist import assess_timepoints, best_overall_response
    >>> c = derive_cohort(read_registry("data/registry"))
    >>> bor = best_overall_response(assess_timepoints(c.lesions, patients=c.data), c.data)
    >>> sw = swimmer_data(bor, c.data)
    >>> sw.lanes.columns.tolist()
    ['patient_id', 'bor', 'treatment_days', 'followup_days', 'died',
     'treatment_months', 'followup_months']
    >>> sorted(sw.events["event"].unique())
    ['assessment', 'death', 'progression', 'response', 'subsequent_therapy']
    """
    for col in ("patient_id", "captem_start_date", "cycles", "last_followup_date"):
        if col not in patients.columns:
            raise RecistInputError(f"patients frame lacks column {col!r}")
    p = patients.set_index(patients["patient_id"].astype("string"))
    b = bor.to_frame().set_index("patient_id")
    events = _swimmer_events(bor.assessments, b, p)
    return SwimmerData(
        lanes=_swimmer_lanes(b, p),
        events=events[["patient_id", "event", "day", "months", "response"]],
    )


def _days_since_start(p: pd.DataFrame, col: str) -> pd.Series:
    """Days from CAPTEM start to the date column ``col`` per patient (NaN when the column is
    absent or the date empty)."""
    if col not in p.columns:
        return pd.Series(np.nan, index=p.index)
    return (p[col] - p["captem_start_date"]).dt.days.astype("float64")


def _swimmer_lanes(b: pd.DataFrame, p: pd.DataFrame) -> pd.DataFrame:
    """One lane per patient: best response, treatment length (cycles x ``CYCLE_DAYS``),
    follow-up to death or else last follow-up, and whether the patient died, in days and
    months."""
    death = _days_since_start(p, "death_date")
    follow = death.fillna(_days_since_start(p, "last_followup_date"))
    lanes = pd.DataFrame(
        {
            "patient_id": p.index.astype("string"),
            "bor": p.index.to_series().map(b["bor"]).astype("string").to_numpy(),
            "treatment_days": (p["cycles"].astype("Float64") * CYCLE_DAYS).to_numpy(
                dtype=float, na_value=np.nan
            ),
            "followup_days": follow.to_numpy(),
            "died": death.notna().to_numpy(),
        }
    )
    lanes["treatment_months"] = lanes["treatment_days"] / DAYS_PER_MONTH
    lanes["followup_months"] = lanes["followup_days"] / DAYS_PER_MONTH
    return lanes


def _swimmer_events(a: pd.DataFrame, b: pd.DataFrame, p: pd.DataFrame) -> pd.DataFrame:
    """The events on the lanes, sorted by patient, day and event: every counted assessment
    with its response, the first response (time to response, with the BOR), progression,
    subsequent therapy and death."""
    parts = [
        pd.DataFrame(
            {
                "patient_id": a["patient_id"].astype("string"),
                "event": "assessment",
                "day": a["day_from_start"].astype("float64"),
                "response": a["response_used"].astype("string"),
            }
        )
    ]
    ttr = b["time_to_response_days"].dropna()
    parts.append(
        pd.DataFrame(
            {
                "patient_id": ttr.index.astype("string"),
                "event": "response",
                "day": ttr.to_numpy(dtype=float),
                "response": b.loc[ttr.index, "bor"].to_numpy(),
            }
        )
    )
    for col, name in (
        ("progression_date", "progression"),
        ("subsequent_therapy_date", "subsequent_therapy"),
        ("death_date", "death"),
    ):
        d = _days_since_start(p, col).dropna()
        parts.append(
            pd.DataFrame(
                {
                    "patient_id": d.index.astype("string"),
                    "event": name,
                    "day": d.to_numpy(),
                    "response": pd.NA,
                }
            )
        )
    events = pd.concat(parts, ignore_index=True)
    events["event"] = events["event"].astype("string")
    events["response"] = events["response"].astype("string")
    events["months"] = events["day"] / DAYS_PER_MONTH
    events = events.sort_values(["patient_id", "day", "event"], kind="stable").reset_index(
        drop=True
    )
    return events
