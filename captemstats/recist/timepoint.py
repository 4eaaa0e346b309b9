"""Timepoint response per assessment (RECIST 1.1 §4.3, Tables 1 and 2).

Everything is computed with groupby/merge on integer codes; there is no per-patient loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from captemstats.recist.baseline import check_window, mark_baseline
from captemstats.recist.config import EPS, NODE_NORMAL_MM, RecistConfig
from captemstats.recist.errors import concat_errors, empty_errors
from captemstats.recist.inputs import (
    DISAPPEARED,
    MEASURED,
    NEW,
    NO_DAY,
    NON_TARGET,
    NT_ABSENT,
    NT_PRESENT,
    NT_UP,
    TARGET,
    TOO_SMALL,
    prepare,
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

TIMEPOINT_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "assessment_date",
    "day",
    "target_sum_mm",
    "baseline_sum_mm",
    "nadir_sum_mm",
    "pct_change_baseline",
    "pct_change_nadir",
    "target_response",
    "non_target_response",
    "new_lesion",
    "overall_response",
    "explanation",
)


@dataclass(frozen=True)
class TimepointResult:
    """Timepoint responses, baselines and input errors.

    Attributes:
        timepoints: one row per patient × post-baseline assessment (:data:`TIMEPOINT_COLUMNS`
            plus ``baseline_date`` and ``input_error``).
        baselines: one row per patient with lesion rows: patient_id, baseline_date,
            baseline_sum_mm, n_targets, n_non_targets, input_error.
        errors: input problems (see :mod:`captemstats.recist.errors`).
        config: the settings used.
        window_checked: whether the baseline was checked against CAPTEM start (``patients``
            was given).
    """

    timepoints: pd.DataFrame
    baselines: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=empty_errors)
    config: RecistConfig = field(default_factory=RecistConfig)
    window_checked: bool = False

    def to_frame(self) -> pd.DataFrame:
        """The timepoint table (a copy)."""
        return self.timepoints.copy()


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


def assess_timepoints(
    lesions: pd.DataFrame,
    config: RecistConfig = RecistConfig(),  # noqa: B008 — frozen, immutable default
    *,
    patients: pd.DataFrame | None = None,
) -> TimepointResult:
    """Classify every post-baseline assessment by RECIST 1.1.

    Method: the baseline is the earliest assessment (§3.3). Target sizes: measured size;
    too small -> ``config.too_small_mm``; disappeared -> 0; not assessed or missing row -> NE
    (Appendix I). Target response (§4.3.1): CR when every non-nodal target is 0 and every
    nodal target < 10 mm (the sum may be > 0); PD when the sum is >= 20% and >= 5 mm above the
    nadir (smallest earlier complete sum, baseline included), tested on the measured lesions
    even if others are not assessed; NE when a target is not assessed and PD is not shown;
    PR when the sum is >= 30% below baseline; SD otherwise. A CR-level assessment (all nodes
    < 10 mm) is CR even if small nodes grew, since normal nodes cannot progress. Non-target
    response (§4.3.2): PD on unequivocal progression, NE when any is not assessed, CR when all
    absent, else non-CR/non-PD. Any new lesion is PD (§4.3.2). Overall: Table 1 (targets) or
    Table 2 (non-target disease only: non-CR/non-PD, never SD); after an overall CR any
    disease seen again (PR/SD/non-CR-non-PD) is PD (Table 3 note a), but a target CR whose
    non-targets were not all assessed stays Table 1's PR (nothing reappeared).

    Args:
        lesions: typed lesions frame (captemstats.schema.LESIONS).
        config: thresholds and windows.
        patients: optional typed patients frame; when given, the baseline is checked against
            CAPTEM start (``config.baseline_window_days``) and lesion patients must exist.

    Returns:
        TimepointResult; patients with input errors are NE at every assessment and listed in
        ``errors``.
    """
    df, errs = prepare(lesions)
    df, errs2 = mark_baseline(df)
    errs += errs2
    cols = ["pid", "day", "lcode", "lesion_id", "role", "status", "nts", "nodal", "diam"]
    valid = df[df["day"].to_numpy() != NO_DAY]
    first = valid.drop_duplicates("pid").set_index("pid")[["patient_id", "base_day"]]
    is_base = valid["is_base"].to_numpy()
    role = valid["role"].to_numpy()

    # Per-patient baseline summary (every patient with a dated row).
    bt_all = valid.loc[is_base & (role == TARGET), ["pid", "diam"]]
    bnt_pid = valid.loc[is_base & (role == NON_TARGET), "pid"]
    baselines = pd.DataFrame({"pid": first.index.to_numpy()})
    baselines["patient_id"] = first["patient_id"].to_numpy()
    baselines["baseline_date"] = (
        first["base_day"].to_numpy().astype("datetime64[D]").astype("datetime64[ns]")
    )
    baselines["baseline_sum_mm"] = baselines["pid"].map(bt_all.groupby("pid")["diam"].sum())
    baselines["n_targets"] = (
        baselines["pid"].map(bt_all.groupby("pid").size()).fillna(0).astype("Int64")
    )
    baselines["n_non_targets"] = (
        baselines["pid"].map(bnt_pid.value_counts()).fillna(0).astype("Int64")
    )
    assess_all = valid.loc[~is_base, ["pid", "day"]].drop_duplicates().sort_values(["pid", "day"])

    if patients is not None:
        pa = pd.DataFrame(
            {
                "patient_id": assess_all["pid"].map(first["patient_id"]).to_numpy(),
                "assessment_date": assess_all["day"]
                .to_numpy()
                .astype("datetime64[D]")
                .astype("datetime64[ns]"),
            }
        )
        errs.append(check_window(baselines, pa, patients, config))
    errors = concat_errors(errs)
    bad_ids = pd.unique(errors["patient_id"].dropna().to_numpy())
    bad_mask = df["bad"].to_numpy() | df["patient_id"].isin(bad_ids).to_numpy()
    bad_set = np.unique(df["pid"].to_numpy()[bad_mask])
    baselines["input_error"] = baselines["pid"].isin(bad_set)
    baselines.loc[baselines["input_error"].to_numpy(), "baseline_sum_mm"] = np.nan

    good = ~np.isin(valid["pid"].to_numpy(), bad_set)
    tp = _classify(valid.loc[good, [*cols, "is_base"]], config)
    tp_bad = assess_all[np.isin(assess_all["pid"].to_numpy(), bad_set)]
    if len(tp_bad):
        rules = errors.groupby("patient_id")["rule"].agg(lambda r: ", ".join(sorted(set(r))))
        ids = tp_bad["pid"].map(first["patient_id"])
        tp_bad = tp_bad.assign(
            overall_response=NE,
            explanation=(
                "NE: input error (" + ids.map(rules).fillna("see errors") + ")"
            ).to_numpy(),
        )
        tp = pd.concat([tp, tp_bad], ignore_index=True).sort_values(["pid", "day"])
    out = _finish(tp, first, baselines)
    return TimepointResult(
        timepoints=out,
        baselines=baselines.drop(columns="pid").reset_index(drop=True),
        errors=errors,
        config=config,
        window_checked=patients is not None,
    )


def _classify(g: pd.DataFrame, cfg: RecistConfig) -> pd.DataFrame:
    """Timepoint responses for patients without input errors (frame keyed by pid, day)."""
    is_base = g["is_base"].to_numpy()
    role = g["role"].to_numpy()
    bt = g.loc[is_base & (role == TARGET), ["pid", "lcode", "lesion_id", "nodal", "diam"]]
    bnt = g.loc[is_base & (role == NON_TARGET), ["pid", "lcode", "lesion_id"]]
    post = g[~is_base]
    prole = post["role"].to_numpy()
    tp = post[["pid", "day"]].drop_duplicates().sort_values(["pid", "day"]).reset_index(drop=True)
    keys = ["pid", "day"]

    # --- target lesions: a full grid of baseline targets x assessments finds missing rows.
    gt = tp.merge(bt[["pid", "lcode", "lesion_id", "nodal"]], on="pid")
    pt = post.loc[prole == TARGET, ["pid", "day", "lcode", "status", "diam"]]
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
    t_names = _names(gkey[na], gt["lesion_id"].to_numpy(dtype=object)[na], n_tp)
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

    # --- non-target lesions (§4.3.2).
    gn = tp[keys].merge(bnt, on="pid")
    pn = post.loc[prole == NON_TARGET, ["pid", "day", "lcode", "nts"]]
    gn = gn.merge(pn, on=["pid", "day", "lcode"], how="left")
    nts = gn["nts"].to_numpy(dtype=float, na_value=np.nan)
    is_up = nts == NT_UP
    is_na = ~np.isin(nts, [NT_UP, NT_ABSENT, NT_PRESENT])
    present = nts == NT_PRESENT
    nkey = _group_index(tp, gn)
    n_up = np.bincount(nkey, weights=is_up, minlength=n_tp)
    nn_na = np.bincount(nkey, weights=is_na, minlength=n_tp)
    n_present = np.bincount(nkey, weights=present, minlength=n_tp)
    has_nt = np.isin(pid, bnt["pid"].to_numpy())
    nt_resp = choose([~has_nt, n_up > 0, nn_na > 0, n_present == 0], [None, PD, NE, CR], NCNP)
    nlid = gn["lesion_id"].to_numpy(dtype=object)
    up_names = _names(nkey[is_up], nlid[is_up], n_tp)
    nna_names = _names(nkey[is_na], nlid[is_na], n_tp)

    # --- new lesions: any is PD (§4.3.3; a row with role 'new' is an unequivocal new lesion).
    pnew = post.loc[prole == NEW, ["pid", "day", "lesion_id"]]
    new_names = _names(_group_index(tp, pnew), pnew["lesion_id"].to_numpy(dtype=object), n_tp)
    new = new_names != ""

    # --- overall: Table 1 (targets present) and Table 2 (non-target disease only).
    nt_cr_or_none = (nt_resp == CR) | ~has_nt
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

    explanation = _explain(
        overall,
        reappeared,
        t_resp,
        nt_resp,
        psum=psum,
        tsum=tsum,
        nadir=nadir,
        base=base,
        inc=inc,
        pct_nadir=pct_nadir,
        pct_base=pct_base,
        n_na=n_na,
        t_names=t_names,
        up_names=up_names,
        nna_names=nna_names,
        new_names=new_names,
    )
    return pd.DataFrame(
        {
            "pid": pid,
            "day": tp["day"].to_numpy(),
            "target_sum_mm": tsum,
            "baseline_sum_mm": base,
            "nadir_sum_mm": nadir,
            "pct_change_baseline": pct_base * 100.0,
            "pct_change_nadir": np.where(complete, pct_nadir * 100.0, np.nan),
            "target_response": t_resp,
            "non_target_response": nt_resp,
            "new_lesion": new,
            "overall_response": overall,
            "explanation": explanation,
        }
    )


def _group_index(tp: pd.DataFrame, rows: pd.DataFrame) -> np.ndarray:
    """Position in ``tp`` (sorted, unique pid/day) of each row's (pid, day)."""
    if rows.empty:
        return np.zeros(0, dtype=np.int64)
    day_span = np.int64(1 << 32)
    tkey = tp["pid"].to_numpy(dtype=np.int64) * day_span + tp["day"].to_numpy(dtype=np.int64)
    rkey = rows["pid"].to_numpy(dtype=np.int64) * day_span + rows["day"].to_numpy(dtype=np.int64)
    out: np.ndarray = np.searchsorted(tkey, rkey).astype(np.int64)
    return out


def _names(idx: np.ndarray, names: np.ndarray, n: int) -> np.ndarray:
    """Per timepoint: the sorted, comma-joined lesion ids given by (timepoint index, name)
    pairs, "" when none. Vectorised by rank within timepoint (a loop over ranks, not rows)."""
    out = np.full(n, "", dtype=object)
    if len(idx) == 0:
        return out
    order = np.lexsort((names.astype(str), idx))
    idx, names = idx[order], names[order]
    rank = pd.Series(idx).groupby(idx).cumcount().to_numpy()
    for k in range(int(rank.max()) + 1):
        m = rank == k
        sep = "" if k == 0 else ", "
        out[idx[m]] = out[idx[m]] + sep + names[m]
    return out


def _format_unique(values: np.ndarray, fmt: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a vectorised formatter to the distinct values only (sums and percentages repeat
    a lot), then broadcast back."""
    uniq, inverse = np.unique(values, return_inverse=True)
    out: np.ndarray = fmt(uniq)[inverse]
    return out


def _num(x: np.ndarray, signed: bool = False) -> np.ndarray:
    """Numbers rounded to 0.1 as strings ("12", "12.5", "-3"; "+3" when signed)."""
    x = np.nan_to_num(np.asarray(x, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    tenths = np.rint(x * 10).astype(np.int64)

    def fmt(t: np.ndarray) -> np.ndarray:
        a = np.abs(t)
        whole = (a // 10).astype(str).astype(object)
        frac = a % 10
        body = np.where(frac > 0, whole + "." + frac.astype(str).astype(object), whole)
        sign = np.where(t < 0, "-", np.where(t > 0, "+" if signed else "", "")).astype(object)
        if signed:
            sign[t == 0] = "+"
        res: np.ndarray = sign + body
        return res

    return _format_unique(tenths, fmt)


def _pct(x: np.ndarray) -> np.ndarray:
    """Fractions as signed whole percentages ("+24%", "-30%")."""
    x = np.nan_to_num(np.asarray(x, dtype=float) * 100.0, nan=0.0, posinf=0.0, neginf=0.0)

    def fmt(r: np.ndarray) -> np.ndarray:
        sign = np.where(r < 0, "-", "+").astype(object)
        res: np.ndarray = sign + np.abs(r).astype(str).astype(object) + "%"
        return res

    return _format_unique(np.rint(x).astype(np.int64), fmt)


def _explain(
    overall: np.ndarray,
    reappeared: np.ndarray,
    t_resp: np.ndarray,
    nt_resp: np.ndarray,
    **v: np.ndarray,
) -> np.ndarray:
    """Plain-language reason per timepoint, e.g. "PD: target PD: sum 62 mm vs nadir 50 mm
    (+24%, +12 mm); non-target non-CR/non-PD: present; no new lesion" or "NE: target NE:
    lesion T3 not measured; ...". Strings are built only for the rows of each category."""
    n = len(overall)
    t_text = np.full(n, "no target lesions", dtype=object)

    def put(mask: np.ndarray, parts: list[object]) -> None:
        if not mask.any():
            return
        acc: np.ndarray = np.full(int(mask.sum()), "", dtype=object)
        for part in parts:
            acc = acc + (part[mask] if isinstance(part, np.ndarray) else str(part))
        t_text[mask] = acc

    m = t_resp == PD
    # A percentage of a zero nadir (every non-nodal target gone) means nothing: omit it.
    pct_part = np.where(v["nadir"] > 0, _pct(v["pct_nadir"]) + ", ", "")
    put(
        m,
        [
            "target PD: sum ",
            _num(v["psum"]),
            " mm vs nadir ",
            _num(v["nadir"]),
            " mm (",
            pct_part,
            _num(v["inc"], signed=True),
            " mm",
            np.where(v["n_na"] > 0, "; " + v["t_names"] + " not measured)", ")"),
        ],
    )
    put(
        t_resp == NE,
        [
            np.where(v["n_na"] > 1, "target NE: lesions ", "target NE: lesion "),
            v["t_names"],
            " not measured",
        ],
    )
    put(
        t_resp == CR,
        ["target CR: non-nodal targets gone, nodes < 10 mm (sum ", _num(v["tsum"]), " mm)"],
    )
    put(
        t_resp == PR,
        [
            "target PR: sum ",
            _num(v["tsum"]),
            " mm vs baseline ",
            _num(v["base"]),
            " mm (",
            _pct(v["pct_base"]),
            ")",
        ],
    )
    put(
        t_resp == SD,
        [
            "target SD: sum ",
            _num(v["tsum"]),
            " mm vs baseline ",
            _num(v["base"]),
            " mm (",
            _pct(v["pct_base"]),
            "), nadir ",
            _num(v["nadir"]),
            " mm (",
            _pct(v["pct_nadir"]),
            ")",
        ],
    )
    target_text = t_text.copy()
    t_text[:] = "no non-target lesions"
    put(nt_resp == PD, ["non-target PD: unequivocal progression of ", v["up_names"]])
    put(nt_resp == NE, ["non-target NE: ", v["nna_names"], " not assessed"])
    put(nt_resp == CR, ["non-target CR: all absent"])
    put(nt_resp == NCNP, ["non-target non-CR/non-PD: present"])
    new_text = np.where(v["new_names"] != "", "new lesion " + v["new_names"], "no new lesion")
    head = np.where(reappeared, overall + ": reappearance after CR (", overall + ": ")
    tail = np.where(reappeared, ")", "")
    out: np.ndarray = head + target_text + "; " + t_text + "; " + new_text + tail
    return out


def _finish(tp: pd.DataFrame, first: pd.DataFrame, baselines: pd.DataFrame) -> pd.DataFrame:
    """Typed output frame in :data:`TIMEPOINT_COLUMNS` order, sorted by patient and date."""
    tp = tp.sort_values(["pid", "day"]).reset_index(drop=True)
    bdate = baselines.set_index("pid")["baseline_date"]
    base_day = first["base_day"]
    out = pd.DataFrame(
        {
            "patient_id": tp["pid"].map(first["patient_id"]).astype("string"),
            "assessment_date": pd.to_datetime(tp["day"].to_numpy().astype("datetime64[D]")).astype(
                "datetime64[ns]"
            ),
            "day": (tp["day"] - tp["pid"].map(base_day)).astype("Int64"),
        }
    )
    for col in ("target_sum_mm", "baseline_sum_mm", "nadir_sum_mm"):
        out[col] = tp[col].astype("float64") if col in tp else np.nan
    for col in ("pct_change_baseline", "pct_change_nadir"):
        out[col] = tp[col].astype("float64")
    for col in ("target_response", "non_target_response"):
        out[col] = tp[col].astype("string")
    out["new_lesion"] = tp["new_lesion"].astype("boolean")
    out["overall_response"] = tp["overall_response"].astype("string")
    out["explanation"] = tp["explanation"].astype("string")
    out["baseline_date"] = tp["pid"].map(bdate).astype("datetime64[ns]")
    out["input_error"] = tp["pid"].isin(baselines.loc[baselines["input_error"], "pid"])
    return out
