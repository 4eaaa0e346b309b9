"""Response rules per timepoint (RECIST 1.1 §4.3, Tables 1 and 2; Table 3 note a).

Target, non-target and new-lesion responses and the overall response of every post-baseline
assessment, computed with merges and ``np.bincount`` over (patient, day) positions; there is
no per-patient loop. :mod:`captemstats.recist.timepoint` builds the input and output frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from captemstats.recist.config import EPS, NODE_NORMAL_MM, RecistConfig
from captemstats.recist.explain import explain, lesion_names
from captemstats.recist.inputs import (
    DISAPPEARED,
    MEASURED,
    NEW,
    NON_TARGET,
    NT_ABSENT,
    NT_PRESENT,
    NT_UP,
    TARGET,
    TOO_SMALL,
)
from captemstats.schema import Response

CR, PR, SD, NCNP, PD, NE = (
    Response.CR.value,
    Response.PR.value,
    Response.SD.value,
    Response.NON_CR_NON_PD.value,
    Response.PD.value,
    Response.NE.value,
)


def choose(conditions: list[np.ndarray], values: list[str | None], default: str) -> np.ndarray:
    """Like ``np.select`` for labels (object array; ``None`` allowed): first true condition
    wins."""
    out = np.full(len(conditions[0]), default, dtype=object)
    for cond, value in zip(reversed(conditions), reversed(values), strict=True):
        out[cond] = value
    return out


def reclassify_after_cr(
    pid: np.ndarray, response: np.ndarray, no_disease_seen: np.ndarray | None = None
) -> np.ndarray:
    """After an overall CR, a later PR/SD/non-CR-non-PD means disease came back: PD.

    RECIST 1.1 Appendix I ("lesions that disappear and reappear") and Table 3 footnote a: if a
    CR was truly met, any disease seen later, even disease meeting PR criteria relative to
    baseline, is PD (EORTC RECIST FAQ: "the reappearance of any malignant lesion results in
    PD"). ``no_disease_seen`` marks rows whose PR shows no disease at all — every target
    still at CR level but a non-target not assessed (Table 1: "CR / not evaluated -> PR"):
    nothing reappeared, so they keep Table 1's PR. Rows must be sorted by patient then date.
    """
    was_cr = pd.Series(response == CR).groupby(pid).cummax()
    prior_cr = was_cr.groupby(pid).shift(1, fill_value=False).to_numpy(dtype=bool)
    out = response.copy()
    hit = prior_cr & np.isin(response, [PR, SD, NCNP])
    if no_disease_seen is not None:
        hit &= ~no_disease_seen
    out[hit] = PD
    return out


@dataclass(frozen=True)
class _Targets:
    """Target-lesion results per timepoint (arrays aligned with the timepoint frame): the
    response (None without targets), whether the patient has targets and the sum is complete,
    the sums (``psum`` over the measured targets, ``tsum`` only when complete), the baseline
    and nadir sums, the increase over the nadir, the relative changes, the number of targets
    not measured and their names."""

    resp: np.ndarray
    has_t: np.ndarray
    complete: np.ndarray
    psum: np.ndarray
    tsum: np.ndarray
    base: np.ndarray
    nadir: np.ndarray
    inc: np.ndarray
    pct_nadir: np.ndarray
    pct_base: np.ndarray
    n_na: np.ndarray
    names: np.ndarray


@dataclass(frozen=True)
class _NonTargets:
    """Non-target results per timepoint: the response (None without non-targets), whether the
    patient has non-targets, and the names of the lesions in unequivocal progression and of
    those not assessed."""

    resp: np.ndarray
    has_nt: np.ndarray
    up_names: np.ndarray
    na_names: np.ndarray


def classify(g: pd.DataFrame, cfg: RecistConfig, explanations: bool = True) -> pd.DataFrame:
    """Timepoint responses for patients without input errors (frame keyed by pid, day); the
    explanation column is empty (None) unless ``explanations``."""
    is_base = g["is_base"].to_numpy()
    role = g["role"].to_numpy()
    bt = g.loc[is_base & (role == TARGET), ["pid", "lcode", "lesion_id", "nodal", "diam"]]
    bnt = g.loc[is_base & (role == NON_TARGET), ["pid", "lcode", "lesion_id"]]
    post = g[~is_base]
    tp = post[["pid", "day"]].drop_duplicates().sort_values(["pid", "day"]).reset_index(drop=True)
    t = _target_response(tp, bt, post, cfg)
    nt = _non_target_response(tp, bnt, post)

    # --- new lesions: any is PD (§4.3.3; a row with role 'new' is an unequivocal new lesion).
    pnew = post.loc[post["role"].to_numpy() == NEW, ["pid", "day", "lesion_id"]]
    new_names = lesion_names(
        _group_index(tp, pnew), pnew["lesion_id"].to_numpy(dtype=object), len(tp)
    )
    new = new_names != ""

    pid = tp["pid"].to_numpy()
    overall, reappeared = _overall_response(pid, t, nt, new)
    explanation = (
        explain(
            overall,
            reappeared,
            t.resp,
            nt.resp,
            psum=t.psum,
            tsum=t.tsum,
            nadir=t.nadir,
            base=t.base,
            inc=t.inc,
            pct_nadir=t.pct_nadir,
            pct_base=t.pct_base,
            n_na=t.n_na,
            t_names=t.names,
            up_names=nt.up_names,
            nna_names=nt.na_names,
            new_names=new_names,
        )
        if explanations
        else np.full(len(tp), None, dtype=object)
    )
    return pd.DataFrame(
        {
            "pid": pid,
            "day": tp["day"].to_numpy(),
            "target_sum_mm": t.tsum,
            "baseline_sum_mm": t.base,
            "nadir_sum_mm": t.nadir,
            "pct_change_baseline": t.pct_base * 100.0,
            "pct_change_nadir": np.where(t.complete, t.pct_nadir * 100.0, np.nan),
            "target_response": t.resp,
            "non_target_response": nt.resp,
            "new_lesion": new,
            "overall_response": overall,
            "explanation": explanation,
        }
    )


def _target_response(
    tp: pd.DataFrame, bt: pd.DataFrame, post: pd.DataFrame, cfg: RecistConfig
) -> _Targets:
    """Target response per timepoint (RECIST 1.1 §4.3.1, Appendix I): sizes coded (too small
    -> ``cfg.too_small_mm``, disappeared -> 0, not assessed or missing -> NE); PD when the sum
    is >= ``pd_threshold`` and >= ``pd_min_abs_mm`` above the nadir (tested on the measured
    targets even if some are missing) unless at CR level; NE when a target is not measured and
    PD is not shown; CR when every non-nodal target is 0 and every node < 10 mm; PR when the
    sum is at least ``pr_threshold`` below baseline; SD otherwise."""
    # --- target lesions: a full grid of baseline targets x assessments finds missing rows.
    gt = tp.merge(bt[["pid", "lcode", "lesion_id", "nodal"]], on="pid")
    pt = post.loc[post["role"].to_numpy() == TARGET, ["pid", "day", "lcode", "status", "diam"]]
    gt = gt.merge(pt, on=["pid", "day", "lcode"], how="left")
    status = gt["status"].to_numpy(dtype=float, na_value=np.nan)
    value = np.select(
        [status == MEASURED, status == TOO_SMALL, status == DISAPPEARED],
        [gt["diam"].to_numpy(dtype=float), cfg.too_small_mm, 0.0],
        np.nan,
    )
    na = np.isnan(value)
    nodal = gt["nodal"].to_numpy(dtype=bool)
    not_cr = ~na & np.where(nodal, value >= NODE_NORMAL_MM, value > 0)
    gkey = _group_index(tp, gt)
    n_tp = len(tp)
    psum = np.bincount(gkey, weights=np.nan_to_num(value), minlength=n_tp)
    n_na = np.bincount(gkey, weights=na, minlength=n_tp)
    n_not_cr = np.bincount(gkey, weights=not_cr, minlength=n_tp)
    t_names = lesion_names(gkey[na], gt["lesion_id"].to_numpy(dtype=object)[na], n_tp)
    base_sum = bt.groupby("pid")["diam"].sum()

    pid = tp["pid"].to_numpy()
    has_t = np.isin(pid, base_sum.index.to_numpy())
    base = tp["pid"].map(base_sum).to_numpy(dtype=float)
    complete = has_t & (n_na == 0)
    psum = np.where(has_t, psum, np.nan)
    tsum = np.where(complete, psum, np.nan)

    # Nadir: smallest complete sum before this assessment, the baseline included (§4.3.1).
    running = pd.Series(tsum).groupby(pid).cummin().groupby(pid).ffill()
    prev = running.groupby(pid).shift(1).to_numpy(dtype=float)
    nadir = np.where(has_t, np.fmin(prev, base), np.nan)
    inc = psum - nadir
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_nadir = inc / nadir
        pct_base = (tsum - base) / base
    cr_level = complete & (n_not_cr == 0)
    pd_sum = (
        has_t
        & (inc >= cfg.pd_threshold * nadir - EPS)
        & (inc >= cfg.pd_min_abs_mm - EPS)
        & ~cr_level
    )
    t_ne = has_t & ~pd_sum & (n_na > 0)
    t_pr = complete & ~pd_sum & ~cr_level & (pct_base <= cfg.pr_threshold + EPS)
    t_resp = choose([~has_t, pd_sum, t_ne, cr_level, t_pr], [None, PD, NE, CR, PR], SD)
    return _Targets(
        t_resp, has_t, complete, psum, tsum, base, nadir, inc, pct_nadir, pct_base, n_na, t_names
    )


def _non_target_response(tp: pd.DataFrame, bnt: pd.DataFrame, post: pd.DataFrame) -> _NonTargets:
    """Non-target response per timepoint (RECIST 1.1 §4.3.2): PD when any baseline non-target
    shows unequivocal progression, NE when any is not assessed (or its row is missing), CR
    when all are absent, else non-CR/non-PD."""
    # --- non-target lesions (§4.3.2).
    gn = tp[["pid", "day"]].merge(bnt, on="pid")
    pn = post.loc[post["role"].to_numpy() == NON_TARGET, ["pid", "day", "lcode", "nts"]]
    gn = gn.merge(pn, on=["pid", "day", "lcode"], how="left")
    nts = gn["nts"].to_numpy(dtype=float, na_value=np.nan)
    is_up = nts == NT_UP
    is_na = ~np.isin(nts, [NT_UP, NT_ABSENT, NT_PRESENT])
    present = nts == NT_PRESENT
    nkey = _group_index(tp, gn)
    n_tp = len(tp)
    n_up = np.bincount(nkey, weights=is_up, minlength=n_tp)
    nn_na = np.bincount(nkey, weights=is_na, minlength=n_tp)
    n_present = np.bincount(nkey, weights=present, minlength=n_tp)
    has_nt = np.isin(tp["pid"].to_numpy(), bnt["pid"].to_numpy())
    nt_resp = choose([~has_nt, n_up > 0, nn_na > 0, n_present == 0], [None, PD, NE, CR], NCNP)
    nlid = gn["lesion_id"].to_numpy(dtype=object)
    return _NonTargets(
        resp=nt_resp,
        has_nt=has_nt,
        up_names=lesion_names(nkey[is_up], nlid[is_up], n_tp),
        na_names=lesion_names(nkey[is_na], nlid[is_na], n_tp),
    )


def _overall_response(
    pid: np.ndarray, t: _Targets, nt: _NonTargets, new: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Overall response per timepoint and whether it was changed because disease reappeared
    after a CR: RECIST 1.1 Table 1 (targets present) and Table 2 (non-target disease only),
    then :func:`reclassify_after_cr` (Table 3 note a), which keeps Table 1's PR for a target
    CR whose non-targets were not all assessed (no disease seen)."""
    # --- overall: Table 1 (targets present) and Table 2 (non-target disease only).
    has_t, t_resp, nt_resp = t.has_t, t.resp, nt.resp
    nt_cr_or_none = (nt_resp == CR) | ~nt.has_nt
    overall = choose(
        [
            (t_resp == PD) | (nt_resp == PD) | new,
            has_t & (t_resp == CR) & nt_cr_or_none,
            has_t & (t_resp == CR),  # non-target non-CR/non-PD or NE
            has_t & (t_resp == PR),
            has_t & (t_resp == SD),
            has_t,  # target NE
            nt_resp == CR,
            nt_resp == NCNP,
        ],
        [PD, CR, PR, PR, SD, NE, CR, NCNP],
        NE,
    )
    table_overall = overall.copy()
    no_disease_seen = has_t & (t_resp == CR) & (nt_resp == NE) & ~new
    overall = reclassify_after_cr(pid, overall, no_disease_seen)
    reappeared = overall != table_overall
    return overall, reappeared


def _group_index(tp: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Position in ``tp`` (sorted, unique pid/day) of each row's (pid, day)."""
    if rows.empty:
        return np.zeros(0, dtype=np.int64)
    day_span = np.int64(1 << 32)
    tkey = tp["pid"].to_numpy(dtype=np.int64) * day_span + tp["day"].to_numpy(dtype=np.int64)
    rkey = rows["pid"].to_numpy(dtype=np.int64) * day_span + rows["day"].to_numpy(dtype=np.int64)
    out: np.ndarray = np.searchsorted(tkey, rkey).astype(np.int64)
    return out
