"""Best overall response from a sequence of timepoint responses (RECIST 1.1 §4.4, Table 3).

Vectorised over all patients: the confirmation of CR/PR is found with run ids (cumulative
counts of worse evaluable assessments) and a groupby maximum, not with a per-patient loop.
:mod:`captemstats.recist.best_response` applies it to the counted assessments of each patient.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from captemstats.recist.classify import CR, NCNP, NE, PD, PR, SD, reclassify_after_cr
from captemstats.recist.config import RecistConfig


def _confirmed(
    key: np.ndarray, day: np.ndarray, good: np.ndarray, evaluable: np.ndarray, window: int
) -> np.ndarray:
    """Rows whose response (``good``) is repeated at least ``window`` days later with no
    worse evaluable assessment in between (NE assessments neither confirm nor break)."""
    bad = evaluable & ~good
    run = pd.Series(bad).groupby(key).cumsum().to_numpy()
    good_day = pd.Series(np.where(good, day, np.nan))
    last = good_day.groupby([key, run]).transform("max").to_numpy(dtype=float)
    out: np.ndarray = good & (last - day >= window)
    return out


def bor_from_sequence(seq: pd.DataFrame, config: RecistConfig = RecistConfig()) -> pd.DataFrame:  # noqa: B008
    """Best overall response from sequences of overall timepoint responses.

    ``seq`` has ``key`` (patient), ``day_from_start`` (days since treatment start),
    ``response`` (overall timepoint response) and optionally ``has_targets`` (False for
    non-target-only disease, whose stable category is NON_CR_NON_PD). Rows need not be sorted.

    Method (RECIST 1.1 §4.4.1 and Table 3): after an overall CR any PR/SD/non-CR-non-PD is
    PD (note a); only assessments up to the first PD count. Unconfirmed BOR: CR if any CR,
    else PR if any PR, else SD (NON_CR_NON_PD) if an SD-or-better assessment lies at least
    ``sd_min_days`` after start, else PD if PD, else NE. Confirmed BOR: CR needs a second CR
    at least ``confirmation_min_days`` later with only CR/NE in between; PR needs CR/PR
    likewise; otherwise as unconfirmed from SD down, so CR/PR followed by NE or PD becomes
    SD when the SD duration is met and NE/PD otherwise (Table 3).

    Returns a frame indexed by key with columns bor, bor_confirmed and the kept rows'
    ``response_used``-based indicators are not returned; see :func:`_kept_rows`.
    """
    kept = _kept_rows(seq)
    return _summarise(kept, config)


def _kept_rows(seq: pd.DataFrame, *, reclassify: bool = True) -> pd.DataFrame:
    """Sort, reclassify after CR (unless the responses come from :func:`assess_timepoints`,
    which already did, knowing which PRs show no disease), and keep assessments up to and
    including the first PD."""
    s = seq.sort_values(["key", "day_from_start"], kind="stable").reset_index(drop=True)
    key = s["key"].to_numpy()
    resp = s["response"].to_numpy(dtype=object)
    if reclassify:
        resp = reclassify_after_cr(key, resp)
    is_pd = pd.Series(resp == PD)
    pd_before = is_pd.groupby(key).cumsum().to_numpy() - is_pd.to_numpy()
    s["response_used"] = resp
    if "has_targets" not in s.columns:
        s["has_targets"] = True
    kept: pd.DataFrame = s[pd_before == 0].reset_index(drop=True)
    return kept


def _summarise(kept: pd.DataFrame, config: RecistConfig) -> pd.DataFrame:
    """Unconfirmed and confirmed BOR per patient key from the kept assessments (RECIST 1.1
    §4.4.1, Table 3): CR, else PR, else SD (NON_CR_NON_PD without targets) when an SD-or-better
    assessment lies ``sd_min_days`` after start, else PD, else NE; the confirmed BOR needs a
    CR (or CR/PR) repeated ``confirmation_min_days`` later (:func:`_confirmed`)."""
    key = kept["key"].to_numpy()
    day = kept["day_from_start"].to_numpy(dtype=float)
    r = kept["response_used"].to_numpy(dtype=object)
    ev = r != NE
    is_cr = r == CR
    crpr = is_cr | (r == PR)
    sd_level = np.isin(r, [CR, PR, SD, NCNP]) & (day >= config.sd_min_days)
    conf_cr = _confirmed(key, day, is_cr, ev, config.confirmation_min_days)
    conf_pr = _confirmed(key, day, crpr, ev, config.confirmation_min_days)
    flags = (
        pd.DataFrame(
            {
                "cr": is_cr,
                "pr": crpr,
                "sd": sd_level,
                "pd": r == PD,
                "ccr": conf_cr,
                "cpr": conf_pr,
                "has_targets": kept["has_targets"].to_numpy(dtype=bool),
            }
        )
        .groupby(key, sort=True)
        .any()
    )
    stable = np.where(flags["has_targets"].to_numpy(), SD, NCNP)
    tail = np.select(
        [flags["sd"].to_numpy(), flags["pd"].to_numpy()], [stable, np.full(len(flags), PD)], NE
    )
    bor = np.where(flags["cr"], CR, np.where(flags["pr"], PR, tail))
    conf = np.where(flags["ccr"], CR, np.where(flags["cpr"], PR, tail))
    return pd.DataFrame({"bor": bor, "bor_confirmed": conf}, index=flags.index)
