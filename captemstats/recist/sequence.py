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
    key: np.ndarray,
    day: np.ndarray,
    good: np.ndarray,
    evaluable: np.ndarray,
    window: int,
    *,
    max_ne: int | None = None,
    tolerated: np.ndarray | None = None,
) -> np.ndarray:
    """Rows whose response (``good``) is confirmed (RECIST 1.1 §4.4.1; admiralonco
    ``derive_param_confirmed_bor``).

    Parameters
    ----------
    key, day
        Patient and days from start, rows sorted by key then day.
    good
        Rows showing the response (CR; or CR/PR); the confirming assessment is the first
        ``good`` row at least ``window`` days later.
    evaluable
        Not NE. A worse evaluable row (not ``good``, not ``tolerated``) in between breaks it.
    window
        Minimum days between the response and its confirmation.
    max_ne
        At most this many NE rows between the two (None: any number).
    tolerated
        Rows (SD for a PR, ``accept_sd``) of which at most one may lie in between.

    Returns
    -------
    numpy.ndarray
        Boolean, True for the confirmed ``good`` rows.

    Example
    -------
    >>> k, d = np.zeros(3, dtype=int), np.array([0.0, 28.0, 56.0])
    >>> g, e = np.array([True, False, True]), np.array([True, False, True])
    >>> _confirmed(k, d, g, e, 28).tolist(), _confirmed(k, d, g, e, 28, max_ne=0).tolist()
    ([True, False, False], [False, False, False])
    """
    tol = np.zeros(len(good), dtype=bool) if tolerated is None else tolerated
    bad = evaluable & ~good & ~tol
    run = pd.Series(bad).groupby(key).cumsum().to_numpy()
    if max_ne is None and tolerated is None:
        # any number of NE: confirmed when the run's last good row is far enough
        good_day = pd.Series(np.where(good, day, np.nan))
        last = good_day.groupby([key, run]).transform("max").to_numpy(dtype=float)
        out: np.ndarray = good & (last - day >= window)
        return out
    return _confirmed_first(key, day, good, evaluable, window, run, max_ne, tol)


def _confirmed_first(
    key: np.ndarray,
    day: np.ndarray,
    good: np.ndarray,
    evaluable: np.ndarray,
    window: int,
    run: np.ndarray,
    max_ne: int | None,
    tol: np.ndarray,
) -> np.ndarray:
    """:func:`_confirmed` with limits: per ``good`` row, the first ``good`` row of the same
    unbroken ``run`` at least ``window`` days later (found with one ``searchsorted``) is the
    confirmation, as admiralonco's ``first_cond_upper``; the rows in between may hold at most
    ``max_ne`` NE (None: any) and at most one ``tol`` row."""
    ok: np.ndarray = good & ~np.isnan(day)
    if not ok.any():
        return ok
    n = len(key)
    change = np.ones(n, dtype=bool)
    change[1:] = (key[1:] != key[:-1]) | (run[1:] != run[:-1])
    gid = np.cumsum(change) - 1  # one id per patient x unbroken run, in row order
    lo = float(np.nanmin(day[ok]))
    scale = float(np.nanmax(day[ok])) - lo + abs(window) + 1.0
    rows = np.flatnonzero(ok)
    code = gid[rows] * scale + (day[rows] - lo)  # sorted: rows go by run, then day
    j = np.searchsorted(code, code + window, side="left")
    found = j < len(rows)
    conf = rows[np.minimum(j, len(rows) - 1)]
    found &= gid[conf] == gid[rows]
    ne_cum, tol_cum = np.cumsum(~evaluable), np.cumsum(tol)
    before = np.maximum(conf - 1, 0)
    found &= (tol_cum[before] - tol_cum[rows]).clip(0) <= 1
    if max_ne is not None:
        found &= (ne_cum[before] - ne_cum[rows]).clip(0) <= max_ne
    out = np.zeros(n, dtype=bool)
    out[rows[found]] = True
    return out


def bor_from_sequence(seq: pd.DataFrame, config: RecistConfig = RecistConfig()) -> pd.DataFrame:  # noqa: B008
    """Best overall response from sequences of overall timepoint responses.

    Method (RECIST 1.1 §4.4.1 and Table 3): after an overall CR any PR/SD/non-CR-non-PD is
    PD (note a); only assessments up to the first PD count. Unconfirmed BOR: CR if any CR,
    else PR if any PR, else SD (NON_CR_NON_PD) if an SD-or-better assessment lies at least
    ``sd_min_days`` after start, else PD if PD, else NE. Confirmed BOR: a CR is confirmed by
    the first CR at least ``confirmation_min_days`` later, with only CR/NE in between; a PR
    (or CR) by the first CR/PR that late, with only CR/PR/NE in between; at most
    ``config.max_nr_ne`` NE in between (None: any number), and with ``config.accept_sd`` one
    SD may lie between a PR and its confirmation (admiralonco ``derive_param_confirmed_bor``
    ``max_nr_ne`` / ``accept_sd``). Otherwise as unconfirmed from SD down, so CR/PR followed
    by NE or PD becomes SD when the SD duration is met and NE/PD otherwise (Table 3).

    Parameters
    ----------
    seq
        ``key`` (patient), ``day_from_start`` (days since treatment start), ``response``
        (overall timepoint response) and optionally ``has_targets`` (False for
        non-target-only disease, whose stable category is NON_CR_NON_PD). Rows need not be
        sorted.
    config
        Windows and protocol options (:class:`RecistConfig`).

    Returns
    -------
    pandas.DataFrame
        Indexed by key: ``bor``, ``bor_confirmed`` and ``disease_control`` /
        ``disease_control_confirmed`` (:func:`disease_control` with ``dcr_min_days``).

    Examples
    --------
    >>> seq = pd.DataFrame({"key": 0, "day_from_start": [28, 56, 84],
    ...                     "response": ["PR", "NE", "PR"]})
    >>> bor_from_sequence(seq).loc[0, "bor_confirmed"]
    'PR'
    >>> bor_from_sequence(seq, RecistConfig(max_nr_ne=0)).loc[0, "bor_confirmed"]
    'SD'
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
    stable_seen = np.isin(r, [CR, PR, SD, NCNP])
    sd_level = stable_seen & (day >= config.sd_min_days)
    win, max_ne = config.confirmation_min_days, config.max_nr_ne
    conf_cr = _confirmed(key, day, is_cr, ev, win, max_ne=max_ne)
    conf_pr = _confirmed(
        key, day, crpr, ev, win, max_ne=max_ne, tolerated=(r == SD) if config.accept_sd else None
    )
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
                "dc_sd": stable_seen & (day >= config.dcr_min_days),
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
    dc_sd = flags["dc_sd"].to_numpy(dtype=bool)
    return pd.DataFrame(
        {
            "bor": bor,
            "bor_confirmed": conf,
            "disease_control": disease_control(bor, dc_sd),
            "disease_control_confirmed": disease_control(conf, dc_sd),
        },
        index=flags.index,
    )


def disease_control(bor: np.ndarray, sd_long_enough: np.ndarray) -> np.ndarray:
    """Disease control per patient: best response CR or PR, or SD / non-CR/non-PD shown at
    least :attr:`RecistConfig.dcr_min_days` after treatment start (RECIST 1.1 §4.4.1, the
    SD minimum; a DCR "at N weeks" as admiralonco ``derive_param_clinbenefit``).

    Parameters
    ----------
    bor
        Best overall responses (codes; None or NE count as no disease control).
    sd_long_enough
        Whether an SD-or-better assessment lies at least the DCR minimum after start.

    Returns
    -------
    numpy.ndarray
        Boolean array.

    Example
    -------
    >>> disease_control(np.array([PR, SD, SD, PD]), np.array([False, True, False, True]))
    array([ True,  True, False, False])
    """
    b = np.asarray(bor, dtype=object)
    out: np.ndarray = np.isin(b, [CR, PR]) | (np.isin(b, [SD, NCNP]) & sd_long_enough)
    return out
