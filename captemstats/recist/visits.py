"""Best overall response from recorded per-visit overall responses (no lesion measurements).

A registry (or an ADaM ADRS ``PARAMCD = "OVR"`` dataset) may hold one investigator-assessed
overall response per visit instead of lesion diameters. :func:`timepoints_from_visits` turns
those rows into the :class:`~captemstats.recist.timepoint.TimepointResult` that
:func:`~captemstats.recist.best_response.best_overall_response` takes, so that a sequence gets
exactly the controls a lesion-based best response gets: the first-PD and next-therapy
cut-offs, the one-course rule, confirmation with the protocol options of
:class:`~captemstats.recist.config.RecistConfig`, a row for every patient of the patients
frame (NE with the reason when nothing counts) and input errors that name row, column, value
and rule. :func:`best_response_from_visits` chains the two.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from captemstats.recist.best_response import BestResponseResult, best_overall_response
from captemstats.recist.classify import reclassify_after_cr
from captemstats.recist.config import RecistConfig
from captemstats.recist.errors import (
    ErrorRule,
    RecistInputError,
    concat_errors,
    empty_errors,
    make_errors,
)
from captemstats.recist.timepoint import TIMEPOINT_COLUMNS, TimepointResult, start_dates
from captemstats.schema import Response

__all__ = ["VISIT_COLUMNS", "best_response_from_visits", "timepoints_from_visits"]

#: Required columns of a visits frame; ``has_targets`` (bool, default True) is optional and
#: False for non-target-only disease, whose stable category is NON_CR_NON_PD (Table 2).
VISIT_COLUMNS: tuple[str, ...] = ("patient_id", "assessment_date", "overall_response")

_CODES = frozenset(r.value for r in Response)


def timepoints_from_visits(
    visits: pd.DataFrame, patients: pd.DataFrame | None = None
) -> TimepointResult:
    """Recorded overall responses per visit as timepoint responses.

    Method: each row is one assessment's overall response as recorded (RECIST 1.1 §4.3.4,
    Tables 1–2 already applied by the assessor). After an overall CR any PR, SD or
    non-CR/non-PD is PD (Table 3 note a, as :func:`bor_from_sequence`); the explanation says
    so where it applies. Refused per patient, never guessed (the patient's best response is
    then NE with ``not_evaluable_rule = "input_error"``): an empty patient id or date
    (``missing_key``), a code outside :class:`~captemstats.schema.Response`
    (``invalid_code``), two different responses on one date (``duplicate_visit``), and, with
    ``patients``, an unknown patient (``unknown_patient``) or a visit before treatment start
    (``visit_before_start``: a recorded response cannot precede the treatment it judges).

    Parameters
    ----------
    visits
        One row per patient and visit: ``patient_id``, ``assessment_date`` and
        ``overall_response`` (CR, PR, SD, NON_CR_NON_PD, PD, NE); optionally ``has_targets``.
        Rows need not be sorted; identical duplicate rows count once.
    patients
        Optional patients frame (``patient_id``, ``captem_start_date``): when given, visits are
        checked against it and ``days_from_start`` is filled.

    Returns
    -------
    TimepointResult
        ``timepoints`` in :data:`~captemstats.recist.timepoint.TIMEPOINT_COLUMNS` order (the
        lesion columns empty, ``day`` counted from the first visit), ``baselines`` with one
        row per patient with visits (no baseline scan: empty date and sum), ``errors``.

    Raises
    ------
    RecistInputError
        A required column is missing.

    Examples
    --------
    >>> visits = pd.DataFrame({"patient_id": ["P1", "P1", "P1"],
    ...     "assessment_date": pd.to_datetime(["2020-03-01", "2020-06-01", "2020-09-01"]),
    ...     "overall_response": ["CR", "SD", "PD"]})
    >>> timepoints_from_visits(visits).timepoints["overall_response"].tolist()
    ['CR', 'PD', 'PD']
    """
    for col in VISIT_COLUMNS:
        if col not in visits.columns:
            raise RecistInputError(f"visits frame lacks column {col!r}")
    v = _typed(visits)
    errors = _visit_errors(v, patients)
    bad = set(errors["patient_id"].dropna())
    v = v[v["patient_id"].notna().to_numpy() & v["assessment_date"].notna().to_numpy()]
    v = v.drop_duplicates(["patient_id", "assessment_date", "overall_response"])
    v = v.sort_values(["patient_id", "assessment_date"], kind="stable").reset_index(drop=True)
    is_bad = v["patient_id"].isin(bad).to_numpy()
    key = pd.factorize(v["patient_id"])[0]
    recorded = v["overall_response"].to_numpy(dtype=object)
    good = ~is_bad
    used = recorded.copy()
    used[good] = reclassify_after_cr(key[good], recorded[good])
    used[is_bad] = Response.NE.value
    rules = errors.groupby("patient_id")["rule"].agg(lambda r: ", ".join(sorted(set(r))))
    why = v["patient_id"].map(rules).fillna("see errors").to_numpy(dtype=object)
    timepoints = _frame(v, recorded, used, np.where(is_bad, why, ""), patients)
    baselines = _baselines(v, is_bad)
    # The baseline window (RECIST 1.1 §3.3) has no meaning without a baseline scan, and the
    # checks against the patients frame were made above.
    return TimepointResult(timepoints, baselines, errors, window_checked=True)


def best_response_from_visits(
    visits: pd.DataFrame,
    patients: pd.DataFrame,
    config: RecistConfig = RecistConfig(),  # noqa: B008 — frozen, immutable default
) -> BestResponseResult:
    """Best overall response from recorded per-visit responses, for every patient.

    Method: :func:`timepoints_from_visits` then :func:`best_overall_response`, so that every
    control of the lesion-based path applies, and on the same responses both give the same
    best response (counted visits before ``subsequent_therapy_date``
    and not after ``progression_date``, up to the first PD; the one-course rule; confirmation
    ``config.confirmation_min_days`` later with ``config.max_nr_ne`` and ``config.accept_sd``;
    SD ``config.sd_min_days`` after start; DCR at ``config.dcr_min_sd_weeks``). A patient
    without visits is NE with ``no_lesion_data`` (no response data) unless the patients frame
    records a ``best_response``, which is then used as recorded.

    Parameters
    ----------
    visits
        Per-visit overall responses (:data:`VISIT_COLUMNS`, optional ``has_targets``).
    patients
        The patients frame (``patient_id``, ``captem_start_date``, ``cycles``; optional
        ``subsequent_therapy_date``, ``progression_date``, ``best_response``).
    config
        RECIST windows and protocol options.

    Returns
    -------
    BestResponseResult
        One row per patient of ``patients`` (the columns of the lesion-based result;
        ``source`` is "visits", and the percentage change is empty, there being no
        measurements).

    Examples
    --------
    >>> patients = pd.DataFrame({"patient_id": ["P1", "P2"],
    ...     "captem_start_date": pd.to_datetime(["2020-01-06", "2020-01-06"]), "cycles": 6})
    >>> visits = pd.DataFrame({"patient_id": ["P1", "P1"],
    ...     "assessment_date": pd.to_datetime(["2020-03-01", "2020-06-01"]),
    ...     "overall_response": ["PR", "PR"]})
    >>> best_response_from_visits(visits, patients).patients[["bor_confirmed", "evaluable"]]
      bor_confirmed  evaluable
    0            PR       True
    1            NE      False
    """
    result = best_overall_response(timepoints_from_visits(visits, patients), patients, config)
    out = result.patients.copy()
    # the responses were recorded per visit, not derived from measurements
    out["source"] = out["source"].replace("measurements", "visits")
    return BestResponseResult(out, result.assessments, result.errors, config)


def _typed(visits: pd.DataFrame) -> pd.DataFrame:
    """The visit columns with their types, and ``row`` (position in the input frame)."""
    out = pd.DataFrame(
        {
            "patient_id": visits["patient_id"].astype("string").reset_index(drop=True),
            "assessment_date": pd.to_datetime(
                visits["assessment_date"].reset_index(drop=True), errors="coerce"
            ).astype("datetime64[ns]"),
            "overall_response": visits["overall_response"]
            .astype("string")
            .str.strip()
            .str.upper()
            .reset_index(drop=True),
            "row": np.arange(len(visits), dtype=np.int64),
        }
    )
    has_t = (
        visits["has_targets"].astype("boolean").fillna(True).to_numpy(dtype=bool)
        if "has_targets" in visits.columns
        else np.ones(len(visits), dtype=bool)
    )
    out["has_targets"] = has_t
    return out


def _visit_errors(v: pd.DataFrame, patients: pd.DataFrame | None) -> pd.DataFrame:
    """Per-row input errors of a typed visits frame (see :func:`timepoints_from_visits`)."""
    errs = [empty_errors()]
    raw_date = v["assessment_date"]
    for col, missing in (
        ("patient_id", v["patient_id"].isna()),
        ("assessment_date", raw_date.isna()),
    ):
        errs.append(
            make_errors(
                v[missing.to_numpy()], ErrorRule.MISSING_KEY, col, f"{col} is empty", table="visits"
            )
        )
    code = v["overall_response"]
    invalid = code.isna().to_numpy() | ~code.isin(list(_CODES)).to_numpy()
    errs.append(
        make_errors(
            v[invalid],
            ErrorRule.INVALID_CODE,
            "overall_response",
            "not a RECIST response code (CR, PR, SD, NON_CR_NON_PD, PD, NE)",
            value=code[invalid],
            table="visits",
        )
    )
    keyed = v.dropna(subset=["patient_id", "assessment_date"])
    n_codes = keyed.groupby(["patient_id", "assessment_date"])["overall_response"].transform(
        "nunique"
    )
    clash = keyed[(n_codes > 1).to_numpy()]
    errs.append(
        make_errors(
            clash,
            ErrorRule.DUPLICATE_VISIT,
            "overall_response",
            "two different responses recorded for one visit",
            value=clash["overall_response"],
            table="visits",
        )
    )
    if patients is not None:
        errs.append(_against_patients(keyed, patients))
    return concat_errors(errs)


def _against_patients(v: pd.DataFrame, patients: pd.DataFrame) -> pd.DataFrame:
    """Visits of patients missing from ``patients`` and visits before treatment start."""
    for col in ("patient_id", "captem_start_date"):
        if col not in patients.columns:
            raise RecistInputError(f"patients frame lacks column {col!r}")
    start = start_dates(patients)
    known = v["patient_id"].isin(start.index).to_numpy()
    days = (v["assessment_date"] - v["patient_id"].map(start).astype("datetime64[ns]")).dt.days
    before = known & (days < 0).fillna(False).to_numpy(dtype=bool)
    return concat_errors(
        [
            make_errors(
                v[~known],
                ErrorRule.UNKNOWN_PATIENT,
                "patient_id",
                "patient has visits but is not in the patients table",
                value=v.loc[~known, "patient_id"],
                table="visits",
            ),
            make_errors(
                v[before],
                ErrorRule.VISIT_BEFORE_START,
                "assessment_date",
                days[before].map(lambda d: f"visit is {-d:.0f} days before treatment start"),
                table="visits",
            ),
        ]
    )


def _frame(
    v: pd.DataFrame,
    recorded: np.ndarray,
    used: np.ndarray,
    why: np.ndarray,
    patients: pd.DataFrame | None,
) -> pd.DataFrame:
    """The timepoints frame of the visits (sorted by patient and date); ``why`` holds the
    error rules of refused patients ("" for the others)."""
    is_bad = why != ""
    date = v["assessment_date"]
    first = date.groupby(v["patient_id"]).transform("min")
    origin = (
        v["patient_id"].map(start_dates(patients)).astype("datetime64[ns]")
        if patients is not None
        else pd.Series(pd.NaT, index=v.index, dtype="datetime64[ns]")
    )
    n = len(v)
    changed = (used != recorded) & ~is_bad
    text = np.where(
        is_bad,
        "NE: input error (" + why + ")",
        np.where(
            changed,
            used
            + ": recorded "
            + recorded
            + ", PD after an overall CR (RECIST 1.1 Table 3 note a)",
            used + ": recorded overall response",
        ),
    )
    out = pd.DataFrame(
        {
            "patient_id": v["patient_id"].astype("string"),
            "assessment_date": date.astype("datetime64[ns]"),
            "day": (date - first).dt.days.astype("Int64"),
            "days_from_start": (date - origin).dt.days.astype("Int64"),
        }
    )
    for col in (
        "target_sum_mm",
        "baseline_sum_mm",
        "nadir_sum_mm",
        "pct_change_baseline",
        "pct_change_nadir",
    ):
        out[col] = np.full(n, np.nan)
    for col in ("target_response", "non_target_response"):
        out[col] = pd.array([pd.NA] * n, dtype="string")
    out["new_lesion"] = pd.array([pd.NA] * n, dtype="boolean")
    out["overall_response"] = pd.array(used, dtype="string")
    out["explanation"] = pd.array(text, dtype="string")
    out["baseline_date"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns]")
    out["input_error"] = is_bad
    return out[[*TIMEPOINT_COLUMNS, "baseline_date", "input_error"]]


def _baselines(v: pd.DataFrame, is_bad: np.ndarray) -> pd.DataFrame:
    """One row per patient with visits: no baseline scan, targets as ``has_targets`` says."""
    per = pd.DataFrame({"patient_id": v["patient_id"], "t": v["has_targets"], "bad": is_bad})
    g = per.groupby("patient_id", sort=True)
    has_t = g["t"].all()
    return pd.DataFrame(
        {
            "patient_id": has_t.index.astype("string"),
            "baseline_date": pd.Series(pd.NaT, index=range(len(has_t)), dtype="datetime64[ns]"),
            "baseline_sum_mm": np.nan,
            "n_targets": pd.array(has_t.to_numpy().astype(np.int64), dtype="Int64"),
            "n_non_targets": pd.array([pd.NA] * len(has_t), dtype="Int64"),
            "input_error": g["bad"].any().to_numpy(),
        }
    )
