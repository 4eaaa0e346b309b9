"""Best overall response per patient (RECIST 1.1 §4.4, Table 3), unconfirmed and confirmed.

Vectorised over all patients: the confirmation of CR/PR is found with run ids (cumulative
counts of worse evaluable assessments) and a groupby maximum, not with a per-patient loop.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from captemstats.recist.baseline import check_window
from captemstats.recist.config import RecistConfig
from captemstats.recist.errors import (
    ErrorRule,
    RecistInputError,
    concat_errors,
    empty_errors,
    make_errors,
)
from captemstats.recist.timepoint import (
    CR,
    NCNP,
    NE,
    PD,
    PR,
    SD,
    TimepointResult,
    choose,
    reclassify_after_cr,
)

BOR_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "bor",
    "bor_confirmed",
    "evaluable",
    "not_evaluable_rule",
    "best_pct_change",
    "time_to_response_days",
    "duration_of_response_days",
    "dor_event",
    "source",
    "recorded_bor",
    "n_assessments",
)

#: Order used to say which response is "better" (higher is better).
RESPONSE_RANK: dict[str, int] = {CR: 5, PR: 4, SD: 3, NCNP: 3, PD: 2, NE: 1}


class NotEvaluableRule(StrEnum):
    """Why a patient is left out of the response denominator."""

    INPUT_ERROR = "input_error"
    ONE_COURSE_ONLY = "one_course_only"
    NO_LESION_DATA = "no_lesion_data"
    NO_POST_BASELINE_ASSESSMENT = "no_post_baseline_assessment"


@dataclass(frozen=True)
class BestResponseResult:
    """Best overall response per patient.

    Attributes:
        patients: one row per patient of the ``patients`` frame (:data:`BOR_COLUMNS`).
        assessments: the timepoints that count for the best response (up to the first PD,
            before subsequent therapy), with ``day_from_start`` and ``response_used`` (the
            overall response after the Table 3 note-a reclassification).
        errors: input problems (timepoint errors plus checks against the patients frame).
        config: the settings used.
    """

    patients: pd.DataFrame
    assessments: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=empty_errors)
    config: RecistConfig = field(default_factory=RecistConfig)

    def to_frame(self) -> pd.DataFrame:
        """The per-patient table (a copy)."""
        return self.patients.copy()


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


def best_overall_response(
    timepoints: TimepointResult,
    patients: pd.DataFrame,
    config: RecistConfig = RecistConfig(),  # noqa: B008 — frozen, immutable default
) -> BestResponseResult:
    """Best overall response, unconfirmed and confirmed, for every patient in ``patients``.

    Counted assessments: those before ``subsequent_therapy_date`` (RECIST 1.1 §4.4.1; unless
    ``config.count_after_subsequent_therapy``), not after ``progression_date`` and up to the
    first PD. Not evaluable (``evaluable`` False, BOR NE): input errors; fewer than
    ``config.min_cycles_for_response`` cycles (the study's one-course rule); no lesion rows and
    no recorded ``best_response``; no counted post-baseline assessment. Patients without lesion
    rows but with a recorded ``best_response`` use it (``source`` "recorded"; confirmation
    unknown, so ``bor_confirmed`` is empty). Patients evaluable with BOR NE stay in the
    denominator (RECIST 1.1 §4.4: every eligible patient is assigned a category).

    Also per patient: best (most negative) % change of the target sum from baseline among
    counted assessments (waterfall); time to response (start to first CR/PR); duration of
    response (first CR/PR to first PD, or to ``progression_date`` unless the next therapy
    started first; else censored at the last counted evaluable assessment, ``dor_event``
    False).
    """
    for col in ("patient_id", "captem_start_date", "cycles"):
        if col not in patients.columns:
            raise RecistInputError(f"patients frame lacks column {col!r}")
    dup = patients["patient_id"].duplicated(keep=False)
    if dup.any():
        shown = ", ".join(sorted(patients.loc[dup, "patient_id"].astype(str).unique())[:5])
        raise RecistInputError(f"patients.patient_id is not unique (e.g. {shown})")
    pt = patients.set_index(patients["patient_id"].astype("string"))

    def opt(col: str) -> pd.Series:
        if col in pt.columns:
            return pt[col]
        return pd.Series(pd.NaT, index=pt.index, dtype="datetime64[ns]")

    tp = timepoints.timepoints
    baselines = timepoints.baselines
    errs = [timepoints.errors]
    if not timepoints.window_checked:
        errs.append(
            check_window(baselines, tp[["patient_id", "assessment_date"]], patients, config)
        )
    no_start = baselines["patient_id"].isin(pt.index[pt["captem_start_date"].isna()])
    if no_start.any():
        errs.append(
            make_errors(
                baselines[no_start.to_numpy()].rename(columns={"baseline_date": "assessment_date"}),
                ErrorRule.MISSING_KEY,
                "captem_start_date",
                "CAPTEM start date is empty; response windows cannot be computed",
                table="patients",
            )
        )
    errors = concat_errors(errs)
    bad_ids = set(errors["patient_id"].dropna()) | set(
        baselines.loc[baselines["input_error"].to_numpy(), "patient_id"]
    )

    # Assessments that count; patients are keyed by their row position in ``patients``.
    n_p = len(pt)
    ids: pd.Series = tp["patient_id"]
    pos = pt.index.get_indexer(pd.Index(ids))
    known = pos >= 0

    def take(col: pd.Series) -> np.ndarray:
        vals = col.to_numpy()[np.where(known, pos, 0)] if n_p else col.to_numpy()[:0]
        out: np.ndarray = vals
        return out

    date = tp["assessment_date"].to_numpy(dtype="datetime64[ns]")
    start = take(pt["captem_start_date"]).astype("datetime64[ns]")
    sub = take(opt("subsequent_therapy_date")).astype("datetime64[ns]")
    prog = take(opt("progression_date")).astype("datetime64[ns]")
    counted = known & ~ids.isin(bad_ids).to_numpy()
    if not config.count_after_subsequent_therapy:
        counted &= np.isnat(sub) | (date < sub)
    counted &= np.isnat(prog) | (date <= prog)
    n_targets = np.zeros(n_p, dtype=np.int64)
    bpos = pt.index.get_indexer(pd.Index(baselines["patient_id"]))
    n_targets[bpos[bpos >= 0]] = baselines["n_targets"].to_numpy(dtype=np.int64)[bpos >= 0]
    seq = pd.DataFrame(
        {
            "key": pos[counted],
            "assessment_date": date[counted],
            "day_from_start": ((date - start) / np.timedelta64(1, "D"))[counted],
            "response": tp["overall_response"].to_numpy(dtype=object)[counted],
            "pct_change_baseline": tp["pct_change_baseline"].to_numpy()[counted],
            "has_targets": n_targets[pos[counted]] > 0,
        }
    )
    # Timepoints are already reclassified after CR; the counted ones are a prefix of each
    # patient's assessments, so doing it again here could only lose the no-disease PRs.
    kept = _kept_rows(seq, reclassify=False)
    summary = _summarise(kept, config)

    def spread(values: pd.Series, fill: Any, dtype: Any = object) -> np.ndarray:
        """Per-patient array (patients order) from a Series indexed by patient position."""
        arr: np.ndarray = np.full(n_p, fill, dtype=dtype)
        arr[values.index.to_numpy(dtype=np.int64)] = values.to_numpy()
        return arr

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
    best_pct = spread(mins["pct"], np.nan, float)
    t_resp = spread(mins["resp"], np.nan, float)
    t_pd = spread(mins["pd"], np.nan, float)
    last_ev = spread(grp["last"].max(), np.nan, float)
    n_assess = spread(grp.size(), 0, np.int64)

    out = pd.DataFrame({"patient_id": pt.index.to_series().reset_index(drop=True)})
    pids = out["patient_id"]
    has_lesions = bpos_mask = np.zeros(n_p, dtype=bool)
    bpos_mask[bpos[bpos >= 0]] = True
    has_counted = np.zeros(n_p, dtype=bool)
    has_counted[summary.index.to_numpy(dtype=np.int64)] = True
    recorded = (
        pt["best_response"].astype("string").reset_index(drop=True)
        if "best_response" in pt.columns
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    cycles = pt["cycles"].astype("Float64").reset_index(drop=True)
    one_course = (cycles < config.min_cycles_for_response).fillna(False).to_numpy(dtype=bool)
    is_bad = pids.isin(bad_ids).to_numpy()
    use_recorded = ~has_lesions & recorded.notna().to_numpy()
    rule = np.select(
        [
            is_bad,
            one_course,
            ~has_lesions & ~use_recorded,
            has_lesions & ~has_counted,
        ],
        [
            NotEvaluableRule.INPUT_ERROR.value,
            NotEvaluableRule.ONE_COURSE_ONLY.value,
            NotEvaluableRule.NO_LESION_DATA.value,
            NotEvaluableRule.NO_POST_BASELINE_ASSESSMENT.value,
        ],
        "",
    )
    evaluable = rule == ""
    measured = evaluable & has_counted
    bor = np.where(measured, spread(summary["bor"], NE), NE).astype(object)
    bor_conf = np.where(measured, spread(summary["bor_confirmed"], NE), NE).astype(object)
    rec = evaluable & use_recorded
    bor[rec] = recorded.to_numpy(dtype=object)[rec]
    bor_conf[rec] = None

    responder = measured & np.isin(bor, [CR, PR])
    prog_day = (
        (opt("progression_date") - pt["captem_start_date"])
        .dt.days.astype("Float64")
        .to_numpy(dtype=float, na_value=np.nan)
    )
    prog_after = prog_day >= t_resp
    if not config.count_after_subsequent_therapy:
        # a progression recorded once the next therapy has started is that therapy's, not
        # CAPTEM's: the response is censored at the last counted assessment instead
        sub_day = (
            (opt("subsequent_therapy_date") - pt["captem_start_date"])
            .dt.days.astype("Float64")
            .to_numpy(dtype=float, na_value=np.nan)
        )
        prog_after &= ~(sub_day <= prog_day)
    end = np.where(~np.isnan(t_pd), t_pd, np.where(prog_after, prog_day, last_ev))
    event = ~np.isnan(t_pd) | prog_after

    out["bor"] = pd.array(bor, dtype="string")
    out["bor_confirmed"] = pd.array(bor_conf, dtype="string")
    out["evaluable"] = pd.array(evaluable, dtype="boolean")
    rule_out = rule.astype(object)
    rule_out[evaluable] = None
    out["not_evaluable_rule"] = pd.array(rule_out, dtype="string")
    out["best_pct_change"] = np.where(measured, best_pct, np.nan)
    out["time_to_response_days"] = pd.array(
        np.where(responder, t_resp, np.nan), dtype="Float64"
    ).astype("Int64")
    out["duration_of_response_days"] = pd.array(
        np.where(responder, end - t_resp, np.nan), dtype="Float64"
    ).astype("Int64")
    dor_event = event.astype(object)
    dor_event[~responder] = None
    out["dor_event"] = pd.array(dor_event, dtype="boolean")
    source = choose([measured, rec], ["measurements", "recorded"], "")
    source[source == ""] = None
    out["source"] = pd.array(source, dtype="string")
    out["recorded_bor"] = recorded.reset_index(drop=True)
    out["n_assessments"] = pd.array(n_assess, dtype="Int64")
    assessments = kept.drop(columns="key")
    assessments.insert(0, "patient_id", pids.to_numpy()[kkey])
    assessments["patient_id"] = assessments["patient_id"].astype("string")
    return BestResponseResult(
        patients=out[list(BOR_COLUMNS)],
        assessments=assessments,
        errors=errors,
        config=config,
    )
