"""Best overall response per patient (RECIST 1.1 §4.4, Table 3), unconfirmed and confirmed.

Vectorised over all patients: the confirmation of CR/PR is found with run ids (cumulative
counts of worse evaluable assessments) and a groupby maximum, not with a per-patient loop
(:mod:`captemstats.recist.sequence`). This module chooses the assessments that count and
derives evaluability, time to response and duration of response.
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
from captemstats.recist.response_times import (
    _kept_metrics,
    _optional_date,
    _response_end,
    _spread,
)
from captemstats.recist.sequence import (
    _kept_rows,
    _summarise,
    bor_from_sequence,
    disease_control,
)
from captemstats.recist.timepoint import CR, NCNP, NE, PD, PR, SD, TimepointResult, choose
from captemstats.results import Displayed, MethodInfo, count_words

#: ``bor_from_sequence`` lives in :mod:`captemstats.recist.sequence`; it is re-exported here.
__all__ = [
    "BOR_COLUMNS",
    "RESPONSE_RANK",
    "BestResponseResult",
    "NotEvaluableRule",
    "best_overall_response",
    "bor_from_sequence",
]

BOR_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "bor",
    "bor_confirmed",
    "disease_control",
    "disease_control_confirmed",
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


@dataclass(frozen=True, repr=False)
class BestResponseResult(Displayed):
    """Best overall response per patient.

    Attributes:
        patients: one row per patient of the ``patients`` frame (:data:`BOR_COLUMNS`).
        assessments: the timepoints that count for the best response (up to the first PD,
            before subsequent therapy), with ``day_from_start`` and ``response_used`` (the
            overall response after the Table 3 note-a reclassification).
        errors: input problems (timepoint errors plus checks against the patients frame).
        config: the settings used.

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
    >>> from captemstats.recist import best_overall_response
    >>> patients = pd.DataFrame({"patient_id": ["P1"], "cycles": [6],
    ...                          "captem_start_date": pd.to_datetime(["2020-01-08"]),
    ...                          "progression_date": [pd.NaT], "subsequent_therapy_date": [pd.NaT],
    ...                          "best_response": [pd.NA]})
    >>> bor = best_overall_response(assess_timepoints(lesions), patients)
    >>> bor.patients[["patient_id", "bor", "bor_confirmed", "evaluable"]]
      patient_id bor bor_confirmed  evaluable
    0         P1  PR            PR       True
    >>> bor.assessments["response_used"].tolist()
    ['PR', 'PR']
    """

    patients: pd.DataFrame
    assessments: pd.DataFrame
    errors: pd.DataFrame = field(default_factory=empty_errors)
    config: RecistConfig = field(default_factory=RecistConfig)

    def _headline(self) -> str:
        errors = count_words(len(self.errors), "input error")
        return f"{count_words(len(self.patients), 'patient')}, {errors}"

    def summary(self) -> pd.DataFrame:
        """Per patient: best overall response, confirmed, disease control (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """The per-patient table (a copy)."""
        return self.patients.copy()

    @property
    def method(self) -> MethodInfo:
        """The method record: RECIST 1.1 best response, with one note per protocol option
        that differs from :class:`RecistConfig`'s defaults (:meth:`RecistConfig.option_notes`;
        none for the defaults), so that the manuscript can state them.

        Examples
        --------
        >>> import pandas as pd
        >>> BestResponseResult(pd.DataFrame(), pd.DataFrame(),
        ...                    config=RecistConfig(accept_sd=True)).method.notes
        ('one SD assessment accepted between a PR and its confirmation',)
        """
        return MethodInfo(
            test="RECIST 1.1 best overall response (Eisenhauer et al. 2009, §4.4, Table 3)",
            software_equivalent="admiralonco derive_param_confirmed_bor() (confirmed BOR)",
            notes=self.config.option_notes(),
        )


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

    Parameters
    ----------
    timepoints
        The result of :func:`assess_timepoints`.
    patients
        One row per patient: patient_id, captem_start_date, cycles, progression_date,
        subsequent_therapy_date and best_response (the recorded BOR, used without lesion
        rows).
    config
        The protocol options (:class:`RecistConfig`: confirmation, NE scans allowed between,
        the SD duration of disease control).

    Returns
    -------
    BestResponseResult
        ``to_frame()``: one row per patient (bor, bor_confirmed, disease_control, evaluable,
        best_pct_change, time to and duration of response, ...).

    Notes
    -----
    RECIST 1.1 §4.4 (Eisenhauer et al. 2009); the confirmation options follow admiralonco's
    ``derive_param_confirmed_bor`` (``max_nr_ne``, ``accept_sd``).

    Examples
    --------
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
    >>> patients = pd.DataFrame({
    ...     "patient_id": ["P1"], "captem_start_date": pd.to_datetime(["2020-01-08"]),
    ...     "cycles": [6], "progression_date": [pd.NaT], "subsequent_therapy_date": [pd.NaT],
    ...     "best_response": [pd.NA],
    ... })
    >>> from captemstats.recist import assess_timepoints
    >>> bor = best_overall_response(assess_timepoints(lesions), patients).to_frame()
    >>> bor[["patient_id", "bor", "bor_confirmed", "best_pct_change", "time_to_response_days"]]
      patient_id bor bor_confirmed  best_pct_change  time_to_response_days
    0         P1  PR            PR            -44.0                     54
    """
    pt = _patients_by_id(patients)
    errors, bad_ids = _all_errors(timepoints, patients, pt, config)
    seq, has_lesions = _counted_assessments(timepoints, pt, bad_ids, config)
    # Timepoints are already reclassified after CR; the counted ones are a prefix of each
    # patient's assessments, so doing it again here could only lose the no-disease PRs.
    kept = _kept_rows(seq, reclassify=False)
    summary = _summarise(kept, config)
    m = _kept_metrics(kept, len(pt))

    out = pd.DataFrame({"patient_id": pt.index.to_series().reset_index(drop=True)})
    pids = out["patient_id"]
    has_counted = np.zeros(len(pt), dtype=bool)
    has_counted[summary.index.to_numpy(dtype=np.int64)] = True
    recorded = (
        pt["best_response"].astype("string").reset_index(drop=True)
        if "best_response" in pt.columns
        else pd.Series(pd.NA, index=out.index, dtype="string")
    )
    use_recorded = ~has_lesions & recorded.notna().to_numpy()
    rule = _not_evaluable_rule(
        pt, pids.isin(bad_ids).to_numpy(), has_lesions, use_recorded, has_counted, config
    )
    evaluable = rule == ""
    measured = evaluable & has_counted
    rec = evaluable & use_recorded
    bor, bor_conf = _bor_values(summary, measured, rec, recorded, len(pt))
    responder = measured & np.isin(bor, [CR, PR])
    end, event = _response_end(pt, m, config)

    out["bor"] = pd.array(bor, dtype="string")
    out["bor_confirmed"] = pd.array(bor_conf, dtype="string")
    # recorded best responses have no dates: their SD counts for disease control as recorded
    for col, values in (("disease_control", bor), ("disease_control_confirmed", bor_conf)):
        dc = np.where(measured, _spread(summary[col], len(pt), False, bool), False)
        dc = np.where(rec, disease_control(values, np.ones(len(pt), dtype=bool)), dc)
        dc_col = pd.array(dc, dtype="boolean")
        dc_col[pd.isna(values)] = pd.NA
        out[col] = dc_col
    out["evaluable"] = pd.array(evaluable, dtype="boolean")
    rule_out = rule.astype(object)
    rule_out[evaluable] = None
    out["not_evaluable_rule"] = pd.array(rule_out, dtype="string")
    out["best_pct_change"] = np.where(measured, m.best_pct, np.nan)
    out["time_to_response_days"] = pd.array(
        np.where(responder, m.t_resp, np.nan), dtype="Float64"
    ).astype("Int64")
    out["duration_of_response_days"] = pd.array(
        np.where(responder, end - m.t_resp, np.nan), dtype="Float64"
    ).astype("Int64")
    dor_event = event.astype(object)
    dor_event[~responder] = None
    out["dor_event"] = pd.array(dor_event, dtype="boolean")
    source = choose([measured, rec], ["measurements", "recorded"], "")
    source[source == ""] = None
    out["source"] = pd.array(source, dtype="string")
    out["recorded_bor"] = recorded.reset_index(drop=True)
    out["n_assessments"] = pd.array(m.n_assess, dtype="Int64")
    assessments = kept.drop(columns="key")
    assessments.insert(0, "patient_id", pids.to_numpy()[kept["key"].to_numpy(dtype=np.int64)])
    assessments["patient_id"] = assessments["patient_id"].astype("string")
    return BestResponseResult(
        patients=out[list(BOR_COLUMNS)],
        assessments=assessments,
        errors=errors,
        config=config,
    )


def _patients_by_id(patients: pd.DataFrame) -> pd.DataFrame:
    """The patients frame indexed by ``patient_id`` (string), after checking that it has the
    columns the best response needs and that patient ids are unique."""
    for col in ("patient_id", "captem_start_date", "cycles"):
        if col not in patients.columns:
            raise RecistInputError(f"patients frame lacks column {col!r}")
    dup = patients["patient_id"].duplicated(keep=False)
    if dup.any():
        shown = ", ".join(sorted(patients.loc[dup, "patient_id"].astype(str).unique())[:5])
        raise RecistInputError(f"patients.patient_id is not unique (e.g. {shown})")
    return patients.set_index(patients["patient_id"].astype("string"))


def _all_errors(
    timepoints: TimepointResult, patients: pd.DataFrame, pt: pd.DataFrame, config: RecistConfig
) -> tuple[pd.DataFrame, set[Any]]:
    """The timepoint errors plus the checks against the patients frame (the baseline window
    of RECIST 1.1 §3.3 unless :func:`assess_timepoints` already checked it, and an empty CAPTEM
    start date), and the ids of every patient with an input error."""
    baselines = timepoints.baselines
    errs = [timepoints.errors]
    if not timepoints.window_checked:
        errs.append(
            check_window(
                baselines,
                timepoints.timepoints[["patient_id", "assessment_date"]],
                patients,
                config,
            )
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
    return errors, bad_ids


def _counted_assessments(
    timepoints: TimepointResult, pt: pd.DataFrame, bad_ids: set[Any], config: RecistConfig
) -> tuple[pd.DataFrame, np.ndarray]:
    """The assessments that count for the best response, as the ``seq`` frame of
    :func:`bor_from_sequence` plus ``assessment_date`` and ``pct_change_baseline``, and which
    patients (in ``pt`` order) have lesion rows. Counted: patients known and without input
    errors, before the next therapy (RECIST 1.1 §4.4.1, unless
    ``config.count_after_subsequent_therapy``) and not after ``progression_date``."""
    tp = timepoints.timepoints
    baselines = timepoints.baselines
    # Assessments that count; patients are keyed by their row position in ``patients``.
    n_p = len(pt)
    ids: pd.Series = tp["patient_id"]
    pos = pt.index.get_indexer(pd.Index(ids))
    known = pos >= 0

    def take(col: pd.Series) -> np.ndarray:
        """A patient date per assessment row (NaT for a row of no known patient: with an
        empty patients frame every row is one, and none is counted)."""
        if not n_p:
            return np.full(len(ids), np.datetime64("NaT"), dtype="datetime64[ns]")
        out: np.ndarray = col.to_numpy()[np.where(known, pos, 0)]
        return out

    date = tp["assessment_date"].to_numpy(dtype="datetime64[ns]")
    start = take(pt["captem_start_date"]).astype("datetime64[ns]")
    sub = take(_optional_date(pt, "subsequent_therapy_date")).astype("datetime64[ns]")
    prog = take(_optional_date(pt, "progression_date")).astype("datetime64[ns]")
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
    has_lesions = np.zeros(n_p, dtype=bool)
    has_lesions[bpos[bpos >= 0]] = True
    return seq, has_lesions


def _not_evaluable_rule(
    pt: pd.DataFrame,
    is_bad: np.ndarray,
    has_lesions: np.ndarray,
    use_recorded: np.ndarray,
    has_counted: np.ndarray,
    config: RecistConfig,
) -> np.ndarray:
    """Per patient, the first :class:`NotEvaluableRule` that applies ("" when evaluable):
    input error, fewer than ``config.min_cycles_for_response`` cycles (the study's one-course
    rule), no lesion rows and no recorded best response, or lesion rows but no counted
    post-baseline assessment."""
    cycles = pt["cycles"].astype("Float64").reset_index(drop=True)
    one_course = (cycles < config.min_cycles_for_response).fillna(False).to_numpy(dtype=bool)
    rule: np.ndarray = np.select(
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
    return rule


def _bor_values(
    summary: pd.DataFrame,
    measured: np.ndarray,
    rec: np.ndarray,
    recorded: pd.Series,
    n_p: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Unconfirmed and confirmed BOR per patient (object arrays): from the measurements for
    ``measured`` patients, the recorded best response (confirmation unknown: None) for
    ``rec`` patients, NE for everyone else."""
    bor = np.where(measured, _spread(summary["bor"], n_p, NE), NE).astype(object)
    bor_conf = np.where(measured, _spread(summary["bor_confirmed"], n_p, NE), NE).astype(object)
    bor[rec] = recorded.to_numpy(dtype=object)[rec]
    bor_conf[rec] = None
    return bor, bor_conf
