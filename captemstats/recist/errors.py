"""Input problems found by the RECIST engine, as a tidy frame (one row per problem).

A patient with any problem is refused: all its timepoints are NE and its best response is NE
with ``not_evaluable_rule = "input_error"``. Nothing is guessed and nothing is dropped silently.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from captemstats.errors import CaptemError

ERROR_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "assessment_date",
    "lesion_id",
    "row",
    "column",
    "value",
    "rule",
    "message",
)


class RecistInputError(CaptemError):
    """The lesion or patient frame cannot be used at all (e.g. a column is missing)."""


class ErrorRule(StrEnum):
    """Codes of the per-patient input rules (the ``rule`` column of an errors frame)."""

    MISSING_KEY = "missing_key"
    INVALID_CODE = "invalid_code"
    NEGATIVE_SIZE = "negative_size"
    CENTIMETRE_SIZES = "centimetre_sizes"
    DUPLICATE_LESION = "duplicate_lesion"
    SIZE_MISSING = "size_missing"
    SIZE_STATUS_CONFLICT = "size_status_conflict"
    NON_TARGET_STATUS_MISSING = "non_target_status_missing"
    NODAL_MISSING = "nodal_missing"
    ROLE_CHANGED = "role_changed"
    NEW_LESION_AT_BASELINE = "new_lesion_at_baseline"
    TARGET_AFTER_BASELINE = "target_after_baseline"
    NON_TARGET_AFTER_BASELINE = "non_target_after_baseline"
    NO_BASELINE_DISEASE = "no_baseline_disease"
    BASELINE_TOO_MANY_TARGETS = "baseline_too_many_targets"
    BASELINE_TOO_MANY_PER_ORGAN = "baseline_too_many_per_organ"
    BASELINE_TARGET_TOO_SMALL = "baseline_target_too_small"
    BASELINE_TARGET_NOT_MEASURED = "baseline_target_not_measured"
    BASELINE_NORMAL_NODE = "baseline_normal_node"
    BASELINE_AFTER_START = "baseline_after_start"
    BASELINE_BEFORE_WINDOW = "baseline_before_window"
    PRETREATMENT_ASSESSMENT_AFTER_BASELINE = "pretreatment_assessment_after_baseline"
    UNKNOWN_PATIENT = "unknown_patient"
    DUPLICATE_VISIT = "duplicate_visit"
    VISIT_BEFORE_START = "visit_before_start"


_EMPTY: list[pd.DataFrame] = []


def empty_errors() -> pd.DataFrame:
    """An errors frame with no rows and the standard columns and dtypes (a fresh copy of a
    template built once: building frames column by column is slow and this is called for
    every rule that finds nothing)."""
    if not _EMPTY:
        _EMPTY.append(
            pd.DataFrame(
                {
                    "patient_id": pd.Series(dtype="string"),
                    "assessment_date": pd.Series(dtype="datetime64[ns]"),
                    "lesion_id": pd.Series(dtype="string"),
                    "row": pd.Series(dtype="Int64"),
                    "column": pd.Series(dtype="string"),
                    "value": pd.Series(dtype="string"),
                    "rule": pd.Series(dtype="string"),
                    "message": pd.Series(dtype="string"),
                }
            )
        )
    return _EMPTY[0].copy()


def make_errors(
    rows: pd.DataFrame,
    rule: ErrorRule,
    column: str,
    detail: str | pd.Series,
    *,
    value: pd.Series | None = None,
    table: str = "lesions",
) -> pd.DataFrame:
    """Errors for the rows of ``rows`` (which carry patient_id, assessment_date, lesion_id and
    ``row``, the 0-based position in the input frame; any may be missing).

    The message names the table, row, column, value and rule, e.g.
    ``lesions row 17 (patient P1, 2020-03-01, lesion T2): diameter_mm = -3 — size is negative
    [negative_size]``.
    """
    n = len(rows)
    if n == 0:
        return empty_errors()

    def col(name: str, dtype: Any) -> pd.Series:
        if name in rows.columns:
            out: pd.Series = rows[name].astype(dtype).reset_index(drop=True)
            return out
        return pd.Series([pd.NA] * n, dtype=dtype)

    pid = col("patient_id", "string")
    date = (
        rows["assessment_date"].reset_index(drop=True)
        if "assessment_date" in rows.columns
        else pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]"))
    )
    lesion = col("lesion_id", "string")
    row = col("row", "Int64")
    val = (
        pd.Series(pd.array([pd.NA] * n, dtype="string"))
        if value is None
        else value.astype("string").reset_index(drop=True)
    )
    det = (
        pd.Series([detail] * n, dtype="string")
        if isinstance(detail, str)
        else detail.astype("string").reset_index(drop=True)
    )
    where = (
        table
        + " row "
        + row.astype("string").fillna("?")
        + " (patient "
        + pid.fillna("?")
        + ", "
        + date.dt.strftime("%Y-%m-%d").astype("string").fillna("no date")
        # only lesion rows have a lesion to name
        + ((", lesion " + lesion.fillna("?")) if table == "lesions" else "")
        + ")"
    )
    shown = (" = " + val).fillna("")
    message = where + ": " + column + shown + " — " + det + " [" + rule.value + "]"
    return pd.DataFrame(
        {
            "patient_id": pid,
            "assessment_date": date.astype("datetime64[ns]"),
            "lesion_id": lesion,
            "row": row,
            "column": pd.Series([column] * n, dtype="string"),
            "value": val,
            "rule": pd.Series([rule.value] * n, dtype="string"),
            "message": message.astype("string"),
        }
    )


def concat_errors(frames: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate error frames (ignoring empty ones), sorted by patient, date, row and rule."""
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty_errors()
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(
        ["patient_id", "assessment_date", "row", "rule"], na_position="last", kind="stable"
    ).reset_index(drop=True)


def renumber_rows(errors: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """The same errors with each lesion-row number ``r`` replaced by ``positions[r]``.

    For an engine run on a subset of a lesions table (one partition of
    :mod:`captemstats.scale`): the errors then count rows within the subset, and
    ``positions`` gives each subset row's position in the whole table, so that ``row`` and the
    message (``lesions row 17 (...``) name the row of the whole table, as a run on the whole
    table would.

    Parameters
    ----------
    errors
        An errors frame (:func:`empty_errors` columns) from the subset.
    positions
        For each subset row, its 0-based position in the whole table (integers).

    Returns
    -------
    pandas.DataFrame
        A copy; rows without a row number (patient-level errors) are unchanged.

    Examples
    --------
    >>> e = make_errors(pd.DataFrame({"patient_id": ["P1"], "row": [1]}), ErrorRule.MISSING_KEY,
    ...                 "lesion_id", "lesion id is empty")
    >>> out = renumber_rows(e, np.array([40, 41]))
    >>> int(out.loc[0, "row"]), out.loc[0, "message"].split(" (")[0]
    (41, 'lesions row 41')
    """
    out = errors.copy()
    numbered = out["row"].notna().to_numpy()
    if not numbered.any():
        return out
    old = out.loc[numbered, "row"].to_numpy(dtype=np.int64)
    new = np.asarray(positions, dtype=np.int64)[old]
    messages = out.loc[numbered, "message"].to_numpy(dtype=object)
    renumbered = []
    for message, o, n in zip(messages, old, new, strict=True):
        head = f"lesions row {o} "
        # make_errors writes every numbered row as a lesions row; anything else is a bug here
        if not message.startswith(head):
            raise AssertionError(f"unexpected error message for row {o}: {message!r}")
        renumbered.append(f"lesions row {n} " + message[len(head) :])
    out.loc[numbered, "row"] = new
    out.loc[numbered, "message"] = pd.array(renumbered, dtype="string")
    return out
