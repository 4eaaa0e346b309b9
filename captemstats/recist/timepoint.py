"""Timepoint response per assessment (RECIST 1.1 §4.3, Tables 1 and 2).

Everything is computed with groupby/merge on integer codes; there is no per-patient loop.
This module prepares the frames and assembles the result; the response rules are in
:mod:`captemstats.recist.classify` and the explanation text in :mod:`captemstats.recist.explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from captemstats.recist.baseline import check_window, mark_baseline
from captemstats.recist.classify import (
    CR,
    NCNP,
    NE,
    PD,
    PR,
    SD,
    choose,
    classify,
    reclassify_after_cr,
)
from captemstats.recist.config import RecistConfig
from captemstats.recist.errors import concat_errors, empty_errors
from captemstats.recist.inputs import NO_DAY, NON_TARGET, TARGET, prepare
from captemstats.results import Displayed, count_words

#: The response labels, ``choose`` and ``reclassify_after_cr`` live in
#: :mod:`captemstats.recist.classify`; they are re-exported because other modules import
#: them from here.
__all__ = [
    "CR",
    "NCNP",
    "NE",
    "PD",
    "PR",
    "SD",
    "TIMEPOINT_COLUMNS",
    "TimepointResult",
    "assess_timepoints",
    "choose",
    "reclassify_after_cr",
]

TIMEPOINT_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "assessment_date",
    "day",
    "days_from_start",
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


@dataclass(frozen=True, repr=False)
class TimepointResult(Displayed):
    """Timepoint responses, baselines and input errors.

    Attributes:
        timepoints: one row per patient × post-baseline assessment (:data:`TIMEPOINT_COLUMNS`
            plus ``baseline_date`` and ``input_error``). ``day`` counts from the baseline
            scan, ``days_from_start`` from treatment start (NA when no patients frame was
            given); the explanation ends with the day and says which origin it counts from.
        baselines: one row per patient with lesion rows: patient_id, baseline_date,
            baseline_sum_mm, n_targets, n_non_targets, input_error.
        errors: input problems (see :mod:`captemstats.recist.errors`).
        config: the settings used.
        window_checked: whether the baseline was checked against CAPTEM start (``patients``
            was given).

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.recist import assess_timepoints
    >>> lesions = pd.DataFrame({
    ...     "patient_id": "P1", "lesion_id": "T1", "role": "target", "organ": "liver",
    ...     "nodal": False, "measurement_status": "measured", "non_target_status": pd.NA,
    ...     "assessment_date": pd.to_datetime(["2020-01-06", "2020-03-02", "2020-04-27"]),
    ...     "diameter_mm": [40.0, 26.0, 25.0],
    ... })
    >>> tp = assess_timepoints(lesions)
    >>> tp.baselines[["patient_id", "baseline_sum_mm", "n_targets"]]
      patient_id  baseline_sum_mm  n_targets
    0         P1             40.0          1
    >>> tp.timepoints["overall_response"].tolist(), len(tp.errors)
    (['PR', 'PR'], 0)
    """

    timepoints: pd.DataFrame
    baselines: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=empty_errors)
    config: RecistConfig = field(default_factory=RecistConfig)
    window_checked: bool = False

    def _headline(self) -> str:
        errors = count_words(len(self.errors), "input error")
        return f"{count_words(len(self.timepoints), 'assessment')}, {errors}"

    def summary(self) -> pd.DataFrame:
        """Per assessment: the timepoint response (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """The timepoint table (a copy)."""
        return self.timepoints.copy()


def assess_timepoints(
    lesions: pd.DataFrame,
    config: RecistConfig = RecistConfig(),  # noqa: B008 — frozen, immutable default
    *,
    patients: pd.DataFrame | None = None,
    explanations: bool = True,
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

    Parameters
    ----------
    lesions
        One row per lesion per assessment, the columns of ``captemstats.schema.LESIONS``
        (``Registry.lesions``): patient_id, assessment_date, lesion_id, role
        (target/non_target/new), organ, nodal, diameter_mm, measurement_status and
        non_target_status.
    config
        Thresholds and windows (:class:`RecistConfig`; the defaults are RECIST 1.1's).
    patients
        Optional patients frame; when given, the baseline is checked against CAPTEM start
        (``config.baseline_window_days``) and lesion patients must exist.
    explanations
        Write each assessment's explanation (the default). False leaves the ``explanation``
        column empty and changes nothing else; on large tables where only the responses are
        needed it saves about a third of the time.

    Returns
    -------
    TimepointResult
        Patients with input errors are NE at every assessment and listed in ``errors``.

    Notes
    -----
    Eisenhauer E. A. et al. (2009), New response evaluation criteria in solid tumours:
    revised RECIST guideline (version 1.1), Eur. J. Cancer 45:228-247; the section numbers
    above are the guideline's.

    Examples
    --------
    Two liver targets shrinking from 50 mm to 30 mm then 28 mm (−40 %, −44 %): PR.

    >>> import pandas as pd
    >>> lesions = pd.DataFrame({
    ...     "patient_id": ["P1"] * 6,
    ...     "assessment_date": pd.to_datetime(["2020-01-06"] * 2 + ["2020-03-02"] * 2
    ...                                       + ["2020-04-27"] * 2),
    ...     "lesion_id": ["T1", "T2"] * 3,
    ...     "role": "target", "organ": "liver", "nodal": False,
    ...     "diameter_mm": [30.0, 20.0, 18.0, 12.0, 17.0, 11.0],
    ...     "measurement_status": "measured", "non_target_status": pd.NA,
    ... })
    >>> tp = assess_timepoints(lesions)
    >>> tp.timepoints[["day", "target_sum_mm", "pct_change_baseline", "overall_response"]]
       day  target_sum_mm  pct_change_baseline overall_response
    0   56           30.0                -40.0               PR
    1  112           28.0                -44.0               PR
    """
    df, errs = prepare(lesions)
    df, errs2 = mark_baseline(df)
    errs += errs2
    cols = ["pid", "day", "lcode", "lesion_id", "role", "status", "nts", "nodal", "diam"]
    valid = df[df["day"].to_numpy() != NO_DAY]
    first = valid.drop_duplicates("pid").set_index("pid")[["patient_id", "base_day"]]
    baselines = _baseline_summary(valid, first)
    assess_all = (
        valid.loc[~valid["is_base"].to_numpy(), ["pid", "day"]]
        .drop_duplicates()
        .sort_values(["pid", "day"])
    )
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
    tp = classify(valid.loc[good, [*cols, "is_base"]], config, explanations)
    tp_bad = assess_all[np.isin(assess_all["pid"].to_numpy(), bad_set)]
    if len(tp_bad):
        tp_bad = _input_error_timepoints(tp_bad, first, errors)
        tp = pd.concat([tp, tp_bad], ignore_index=True).sort_values(["pid", "day"])
    start = None if patients is None else start_dates(patients)
    out = _finish(tp, first, baselines, start, explanations)
    return TimepointResult(
        timepoints=out,
        baselines=baselines.drop(columns="pid").reset_index(drop=True),
        errors=errors,
        config=config,
        window_checked=patients is not None,
    )


def _baseline_summary(valid: pd.DataFrame, first: pd.DataFrame) -> pd.DataFrame:
    """Per-patient baseline summary (every patient with a dated row): pid, patient_id,
    baseline_date, baseline_sum_mm (sum of the baseline target diameters, RECIST 1.1
    §4.3.1; NaN without targets), n_targets and n_non_targets."""
    is_base = valid["is_base"].to_numpy()
    role = valid["role"].to_numpy()
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
    return baselines


def _input_error_timepoints(
    tp_bad: pd.DataFrame, first: pd.DataFrame, errors: pd.DataFrame
) -> pd.DataFrame:
    """The assessments (pid, day) of patients with input errors, each overall NE with an
    explanation naming the patient's error rules."""
    rules = errors.groupby("patient_id")["rule"].agg(lambda r: ", ".join(sorted(set(r))))
    ids = tp_bad["pid"].map(first["patient_id"])
    return tp_bad.assign(
        overall_response=NE,
        explanation=("NE: input error (" + ids.map(rules).fillna("see errors") + ")").to_numpy(),
    )


def start_dates(patients: pd.DataFrame) -> pd.Series:
    """Treatment start per patient id (the first row of each id), indexed by the id as text,
    as ``datetime64[ns]``; the callers have already required the column."""
    p = patients.drop_duplicates("patient_id")
    return pd.Series(
        pd.to_datetime(p["captem_start_date"]).to_numpy(dtype="datetime64[ns]"),
        index=pd.Index(p["patient_id"].astype("string")),
    )


def _day_text(day: pd.Series, from_start: pd.Series) -> np.ndarray:
    """ "; day N after treatment start" where the start is known, else "; day N after the
    baseline scan": the explanation says which origin its day count has, because the SD and
    confirmation windows count from treatment start (RECIST 1.1 §4.4.1) while the baseline
    scan may precede it by weeks."""
    known = from_start.notna().to_numpy()
    since_start = from_start.to_numpy(dtype="float64", na_value=np.nan)
    since_base = day.to_numpy(dtype="float64", na_value=np.nan)
    n = np.where(known, since_start, since_base)
    text = pd.Series(n).map(lambda d: "" if np.isnan(d) else f"{d:.0f}").to_numpy(dtype=object)
    out: np.ndarray = np.where(
        known,
        "; day " + text + " after treatment start",
        "; day " + text + " after the baseline scan",
    )
    return out


def _finish(
    tp: pd.DataFrame,
    first: pd.DataFrame,
    baselines: pd.DataFrame,
    start: pd.Series | None,
    explanations: bool = True,
) -> pd.DataFrame:
    """Typed output frame in :data:`TIMEPOINT_COLUMNS` order, sorted by patient and date;
    ``days_from_start`` counts from treatment start (NA without a patients frame or a start
    date), ``day`` from the baseline scan."""
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
    date = out["assessment_date"]
    origin = (
        out["patient_id"].map(start).astype("datetime64[ns]")
        if start is not None
        else pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    )
    out["days_from_start"] = (date - origin).dt.days.astype("Int64")
    for col in ("target_sum_mm", "baseline_sum_mm", "nadir_sum_mm"):
        out[col] = tp[col].astype("float64") if col in tp else np.nan
    for col in ("pct_change_baseline", "pct_change_nadir"):
        out[col] = tp[col].astype("float64")
    for col in ("target_response", "non_target_response"):
        out[col] = tp[col].astype("string")
    out["new_lesion"] = tp["new_lesion"].astype("boolean")
    out["overall_response"] = tp["overall_response"].astype("string")
    out["explanation"] = (
        pd.array(
            tp["explanation"].to_numpy(dtype=object)
            + _day_text(out["day"], out["days_from_start"]),
            dtype="string",
        )
        if explanations
        else pd.array([pd.NA] * len(out), dtype="string")
    )
    out["baseline_date"] = tp["pid"].map(bdate).astype("datetime64[ns]")
    out["input_error"] = tp["pid"].isin(baselines.loc[baselines["input_error"], "pid"])
    return out
