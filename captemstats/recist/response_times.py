"""Per-patient times of the kept assessments (RECIST 1.1 §4.4.1): best % change, time to
response, end of response (first PD, or a recorded progression) and its censoring.

Helpers of :func:`captemstats.recist.best_response.best_overall_response`, kept apart so that
module stays short; all are vectorised over patients keyed by their row position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from captemstats.recist.config import RecistConfig
from captemstats.recist.timepoint import CR, NE, PD, PR


def _optional_date(pt: pd.DataFrame, col: str) -> pd.Series:
    """Column ``col`` of the patients frame, or all NaT when the frame does not have it."""
    if col in pt.columns:
        return pt[col]
    return pd.Series(pd.NaT, index=pt.index, dtype="datetime64[ns]")


def _spread(values: pd.Series, n_p: int, fill: Any, dtype: Any = object) -> np.ndarray:
    """Per-patient array (patients order) from a Series indexed by patient position."""
    arr: np.ndarray = np.full(n_p, fill, dtype=dtype)
    arr[values.index.to_numpy(dtype=np.int64)] = values.to_numpy()
    return arr


@dataclass(frozen=True)
class _KeptMetrics:
    """Per-patient metrics of the kept assessments, in patients order (NaN or 0 when none):
    best % change from baseline, days to the first CR/PR, to the first PD and to the last
    evaluable assessment, and the number of kept assessments."""

    best_pct: np.ndarray
    t_resp: np.ndarray
    t_pd: np.ndarray
    last_ev: np.ndarray
    n_assess: np.ndarray


def _kept_metrics(kept: pd.DataFrame, n_p: int) -> _KeptMetrics:
    """Group the kept assessments by patient position: the best (smallest) % change of the
    target sum from baseline, the first CR/PR day, the first PD day, the last evaluable (not
    NE) day and the count, spread to all ``n_p`` patients."""
    # Per-patient metrics from the kept assessments.
    kkey = kept["key"].to_numpy(dtype=np.int64)
    r = kept["response_used"].to_numpy(dtype=object)
    d = kept["day_from_start"].to_numpy(dtype=float)
    grp = pd.DataFrame(
        {
            "pct": kept["pct_change_baseline"].to_numpy(dtype=float),
            "resp": np.where(np.isin(r, [CR, PR]), d, np.nan),
            "pd": np.where(r == PD, d, np.nan),
            "last": np.where(r != NE, d, np.nan),
        }
    ).groupby(kkey)
    mins = grp[["pct", "resp", "pd"]].min()
    return _KeptMetrics(
        best_pct=_spread(mins["pct"], n_p, np.nan, float),
        t_resp=_spread(mins["resp"], n_p, np.nan, float),
        t_pd=_spread(mins["pd"], n_p, np.nan, float),
        last_ev=_spread(grp["last"].max(), n_p, np.nan, float),
        n_assess=_spread(grp.size(), n_p, 0, np.int64),
    )


def _response_end(
    pt: pd.DataFrame, m: _KeptMetrics, config: RecistConfig
) -> tuple[np.ndarray, np.ndarray]:
    """End day of the response and whether it is an event, per patient: the first counted PD;
    else ``progression_date`` if on or after the first CR/PR (and, unless
    ``config.count_after_subsequent_therapy``, before the next therapy started); else the
    last counted evaluable assessment, censored."""
    prog_day = (
        (_optional_date(pt, "progression_date") - pt["captem_start_date"])
        .dt.days.astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan)
    )
    prog_after = prog_day >= m.t_resp
    if not config.count_after_subsequent_therapy:
        # a progression recorded once the next therapy has started is that therapy's, not
        # CAPTEM's: the response is censored at the last counted assessment instead
        sub_day = (
            (_optional_date(pt, "subsequent_therapy_date") - pt["captem_start_date"])
            .dt.days.astype("Float64")
            .to_numpy(dtype=float, na_value=np.nan)
        )
        prog_after &= ~(sub_day <= prog_day)
    end = np.where(~np.isnan(m.t_pd), m.t_pd, np.where(prog_after, prog_day, m.last_ev))
    event = ~np.isnan(m.t_pd) | prog_after
    return end, event
