"""Preparation of the typed ``lesions`` frame and the row-level input rules.

The frame is reduced to integer codes (patient, day, lesion, role, statuses) so that every
later step is a vectorised groupby or merge on integers. Row-level rules (missing keys, codes,
negative or missing sizes, duplicated lesion ids within an assessment, changing roles) are
checked here; baseline rules are in :mod:`captemstats.recist.baseline`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from captemstats.recist.errors import ErrorRule, RecistInputError, make_errors
from captemstats.schema import LESIONS, LesionRole, MeasurementStatus, NonTargetStatus

#: Code lists; a column's integer code is the position in its list (-1: empty or invalid).
ROLES: tuple[str, ...] = tuple(r.value for r in LesionRole)
STATUSES: tuple[str, ...] = tuple(s.value for s in MeasurementStatus)
NT_STATUSES: tuple[str, ...] = tuple(s.value for s in NonTargetStatus)

TARGET, NON_TARGET, NEW = (ROLES.index(r) for r in ("target", "non_target", "new"))
MEASURED, TOO_SMALL, DISAPPEARED, NOT_ASSESSED = (
    STATUSES.index(s) for s in ("measured", "too_small", "disappeared", "not_assessed")
)
NT_PRESENT, NT_ABSENT, NT_UP, NT_NOT_ASSESSED = (
    NT_STATUSES.index(s) for s in ("present", "absent", "unequivocal_progression", "not_assessed")
)
NO_DAY: int = int(np.iinfo(np.int64).min)


def check_columns(lesions: pd.DataFrame) -> None:
    """Raise :class:`RecistInputError` unless every column of the lesions data model exists."""
    missing = [c for c in LESIONS.names if c not in lesions.columns]
    if missing:
        raise RecistInputError(
            f"lesions frame lacks column(s) {', '.join(missing)} required by the data model "
            "(captemstats.schema.LESIONS); read it with captemstats.io"
        )
    if not pd.api.types.is_datetime64_any_dtype(lesions["assessment_date"]):
        raise RecistInputError(
            "lesions.assessment_date must be a datetime column, got "
            f"{lesions['assessment_date'].dtype}"
        )


def _codes(values: pd.Series, allowed: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of a categorical column (-1 when empty or invalid) and a mask of the
    non-empty invalid values. Hashes the column once, then maps its few distinct values."""
    raw, uniques = pd.factorize(values)
    lookup = np.array([allowed.index(u) if u in allowed else -2 for u in uniques] + [-1])
    codes = lookup[raw]  # raw == -1 (empty) picks the trailing -1
    invalid = codes == -2
    return np.where(invalid, -1, codes).astype(np.int8), invalid


class _RowFlags:
    """The working frame under check, the error frames found so far and the mask of rows with
    a fatal problem; :meth:`flag` records an error and adds its rows to ``bad``."""

    def __init__(self, df: pd.DataFrame, errors: list[pd.DataFrame], bad: np.ndarray) -> None:
        self.df = df
        self.errors = errors
        self.bad = bad

    def flag(
        self,
        mask: np.ndarray,
        rule: ErrorRule,
        column: str,
        detail: str | pd.Series,
        value: pd.Series | None = None,
    ) -> None:
        """Record ``rule`` for the rows of ``mask`` (if any) and mark them ``bad``."""
        if mask.any():
            self.errors.append(make_errors(self.df[mask], rule, column, detail, value=value))
            self.bad = self.bad | mask


def prepare(lesions: pd.DataFrame) -> tuple[pd.DataFrame, list[pd.DataFrame]]:
    """Return the working frame and the row-level error frames.

    Working columns: ``row`` (0-based input position), ``patient_id``, ``assessment_date``,
    ``lesion_id`` (object), ``pid`` (patient code), ``day`` (days since 1970-01-01, or
    :data:`NO_DAY`), ``lcode`` (patient-lesion code), ``role``/``status``/``nts`` (int8
    codes), ``organ`` (int code, -1 empty), ``nodal`` (bool) and ``nodal_na``, ``diam``, and
    ``bad`` (row has a fatal problem). A target with a size but no status is ``measured``.
    Rows without a patient id are listed as errors and left out (they belong to nobody).
    """
    check_columns(lesions)
    errors: list[pd.DataFrame] = []
    df, src, pid_codes = _rows_with_patient(lesions, errors)
    role, bad_role = _codes(src["role"], ROLES)
    status, bad_status = _codes(src["measurement_status"], STATUSES)
    nts, bad_nts = _codes(src["non_target_status"], NT_STATUSES)
    df["role"] = role
    df["status"] = status
    df["nts"] = nts
    _add_lesion_columns(df, src)
    date_na = df["assessment_date"].isna().to_numpy()
    les, les_uniques = pd.factorize(df["lesion_id"])
    lesion_na = les < 0
    role_na = (role == -1) & ~bad_role
    bad = date_na | lesion_na | role_na
    for mask, column in ((date_na, "assessment_date"), (lesion_na, "lesion_id"), (role_na, "role")):
        if mask.any():
            errors.append(
                make_errors(df[mask], ErrorRule.MISSING_KEY, column, "required value is empty")
            )
    flags = _RowFlags(df, errors, bad)
    for mask, column, allowed in (
        (bad_role, "role", ROLES),
        (bad_status, "measurement_status", STATUSES),
        (bad_nts, "non_target_status", NT_STATUSES),
    ):
        flags.flag(
            mask,
            ErrorRule.INVALID_CODE,
            column,
            f"not one of {', '.join(allowed)}",
            value=src[column][mask],
        )
    diam = df["diam"].to_numpy()
    neg = diam < 0
    flags.flag(
        neg, ErrorRule.NEGATIVE_SIZE, "diameter_mm", "size is negative", value=df["diam"][neg]
    )

    _add_integer_codes(df, pid_codes, date_na, les, len(les_uniques))
    dup = df.duplicated(["pid", "day", "lcode"], keep=False).to_numpy() & ~flags.bad
    flags.flag(
        dup,
        ErrorRule.DUPLICATE_LESION,
        "lesion_id",
        "lesion id appears more than once in this assessment",
        value=df["lesion_id"][dup],
    )
    _check_target_sizes(flags, src, role, status, bad_status)
    _check_roles_kept(flags, src, role)
    df["bad"] = flags.bad
    return df, errors


def _rows_with_patient(
    lesions: pd.DataFrame, errors: list[pd.DataFrame]
) -> tuple[pd.DataFrame, pd.DataFrame, np.ndarray]:
    """The key columns (``row``, ``patient_id``, ``assessment_date``, ``lesion_id``) of the
    rows that have a patient id, the matching rows of ``lesions`` and the patient codes of all
    rows (-1 when empty). Rows without a patient id are appended to ``errors``."""
    n = len(lesions)
    pid_raw = lesions["patient_id"].astype("string")
    pid_codes = pd.factorize(pid_raw)[0]
    keep = pid_codes >= 0
    raw = pd.DataFrame(
        {
            "row": np.arange(n, dtype=np.int64),
            "patient_id": pid_raw.to_numpy(),
            "assessment_date": lesions["assessment_date"].to_numpy(dtype="datetime64[ns]"),
            "lesion_id": lesions["lesion_id"].astype("string").to_numpy(),
        }
    )
    if not keep.all():
        errors.append(
            make_errors(raw[~keep], ErrorRule.MISSING_KEY, "patient_id", "required value is empty")
        )
    df = raw[keep].reset_index(drop=True)
    src = lesions[keep] if not keep.all() else lesions
    return df, src, pid_codes[keep]


def _add_lesion_columns(df: pd.DataFrame, src: pd.DataFrame) -> None:
    """Add the lesion attributes to the working frame: ``nodal_na`` (flag empty), ``nodal``
    (empty read as False), ``diam`` (float, NaN when empty) and ``organ`` (int code, -1
    empty)."""
    nodal = src["nodal"].astype("boolean")
    df["nodal_na"] = nodal.isna().to_numpy()
    df["nodal"] = nodal.fillna(False).to_numpy(dtype=bool)
    df["diam"] = pd.to_numeric(src["diameter_mm"]).to_numpy(dtype=float, na_value=np.nan)
    df["organ"] = pd.factorize(src["organ"].astype("string"), use_na_sentinel=True)[0]


def _add_integer_codes(
    df: pd.DataFrame, pid_codes: np.ndarray, date_na: np.ndarray, les: np.ndarray, n_les: int
) -> None:
    """Add the integer keys every later step groups on: ``pid`` (patient), ``day`` (days
    since 1970-01-01, :data:`NO_DAY` when the date is empty) and ``lcode`` (lesion within
    patient, from the lesion-id codes ``les`` of which there are ``n_les``)."""
    # Integer codes: patient, day, lesion within patient.
    df["pid"] = pd.factorize(pid_codes)[0].astype(np.int64)
    day = df["assessment_date"].to_numpy().astype("datetime64[D]").astype(np.int64)
    df["day"] = np.where(date_na, NO_DAY, day)
    combined = df["pid"].to_numpy() * np.int64(n_les + 2) + (les + 1)
    df["lcode"] = pd.factorize(combined)[0].astype(np.int64)


def _check_target_sizes(
    flags: _RowFlags,
    src: pd.DataFrame,
    role: np.ndarray,
    status: np.ndarray,
    bad_status: np.ndarray,
) -> None:
    """A target's size and its status must agree (RECIST 1.1 Appendix I, special notes): no
    size needs a status of too small, disappeared or not assessed, and a size with such a
    status is a conflict. A valid size with an empty status is then coded ``measured``."""
    df = flags.df
    # Targets: a size and its status must agree (RECIST 1.1 Appendix I, special notes).
    diam = df["diam"].to_numpy()
    is_t = role == TARGET
    has_size = ~np.isnan(diam)
    no_status = status == -1
    flags.flag(
        is_t & ~has_size & (no_status | (status == MEASURED)),
        ErrorRule.SIZE_MISSING,
        "diameter_mm",
        "target lesion has no size; give diameter_mm or a measurement_status of "
        "too_small, disappeared or not_assessed",
    )
    conflict = is_t & has_size & np.isin(status, [TOO_SMALL, DISAPPEARED, NOT_ASSESSED])
    flags.flag(
        conflict,
        ErrorRule.SIZE_STATUS_CONFLICT,
        "diameter_mm",
        "a size is given although measurement_status is "
        + src["measurement_status"][conflict].astype("string").reset_index(drop=True),
        value=df["diam"][conflict],
    )
    df["status"] = np.where(is_t & no_status & has_size & ~bad_status, MEASURED, status)


def _check_roles_kept(flags: _RowFlags, src: pd.DataFrame, role: np.ndarray) -> None:
    """Flag every row of a lesion whose role differs between assessments (RECIST 1.1 §3.3:
    roles are set at baseline)."""
    # A lesion keeps its role across assessments (RECIST 1.1 §3.3: roles are set at baseline).
    r = pd.Series(role)[role >= 0]
    lc = flags.df["lcode"].to_numpy()[role >= 0]
    span = r.groupby(lc).agg(["min", "max"])
    changed = span.index[(span["min"] != span["max"]).to_numpy()]
    if len(changed):
        m = np.isin(flags.df["lcode"].to_numpy(), changed.to_numpy())
        flags.flag(
            m,
            ErrorRule.ROLE_CHANGED,
            "role",
            "the same lesion id has different roles at different assessments",
            value=src["role"][m],
        )
