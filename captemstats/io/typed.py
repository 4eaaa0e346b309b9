"""Typed columns (Parquet, SPSS) read on their types, and their text where text is needed.

A registry used to turn every typed column into text (``2021-03-02``, ``true``, ``12.5``) so
that one parser, :mod:`captemstats.io.coerce`, read every format; for a 100 000-patient
Parquet registry that text round trip was most of the run time. Here a typed column is kept
typed, and read directly when the direct reading gives *exactly* what the text round trip
gave (the same values, and no problem, since a typed value that fits the column's kind is
never a bad cell):

* a date column from a (time-zone naive) timestamp: the day of the timestamp;
* an integer column from integers of at most 18 digits, or from whole floats below 10^15;
* a number column from integers below 2^53;
* a yes/no column from booleans (unless a column mapping gives ``true``/``false`` another
  meaning).

Every other typed column (floats for a number column: pandas' text-to-float conversion is not
exact for 17-digit values, so the text reading is kept bit for bit; a category from numbers;
values out of those bounds) is turned into the text the text reader sees, by
:func:`native_text`, once per distinct value, and parsed as text.

Also here: reading the Parquet and SPSS files themselves (:func:`read_parquet`,
:func:`read_sav`, :func:`native_columns`), and :func:`per_distinct`, which runs a cell parser
once per distinct value of a column.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from captemstats.errors import RegistryReadError
from captemstats.io.excel import ROW_INDEX, cell_to_text
from captemstats.io.mapping import TableMapping
from captemstats.io.text import fold_one
from captemstats.schema import FALSE_TOKENS, TRUE_TOKENS, ColumnSpec

#: Integers of more than 18 digits are refused by the text reader (they may not fit 64 bits).
_INT_LIMIT = 10**18
#: Floats below this are written without an exponent by ``repr`` (it switches at 10^16).
_WHOLE_FLOAT_LIMIT = 1e15
#: Integers below 2^53 are exact as float64.
_EXACT_FLOAT_INT = 2**53


def is_text(s: pd.Series) -> bool:
    """Whether ``s`` is a text column (pandas ``string`` or ``object``), not a typed one."""
    return isinstance(s.dtype, pd.StringDtype) or s.dtype == object


def keep_typed(s: pd.Series) -> bool:
    """Whether a column read from a typed file stays typed: booleans, integers, floats and
    time-zone naive timestamps. Text, categorical and mixed columns become text."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        return False
    if pd.api.types.is_datetime64_any_dtype(s):
        return not isinstance(s.dtype, pd.DatetimeTZDtype)
    return (
        pd.api.types.is_bool_dtype(s)
        or pd.api.types.is_integer_dtype(s)
        or pd.api.types.is_float_dtype(s)
    )


def native_text(s: pd.Series) -> pd.Series:
    """A typed column (Parquet, SPSS) -> its text, vectorised per column by dtype.

    Booleans ``true``/``false``, dates ``YYYY-MM-DD`` (the time of day dropped), integers as
    written, floats as ``repr`` without a trailing ``.0``; other values by
    :func:`~captemstats.io.excel.cell_to_text`. Missing values stay missing.

    Parameters
    ----------
    s : pandas.Series
        One column as a typed file gives it.

    Returns
    -------
    pandas.Series
        ``string`` values, same index.
    """
    if pd.api.types.is_bool_dtype(s):
        text = s.map({True: "true", False: "false"}, na_action="ignore")
    elif pd.api.types.is_datetime64_any_dtype(s):
        text = s.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_integer_dtype(s):
        text = s.astype("string")
    elif pd.api.types.is_float_dtype(s):
        # repr-like text; whole numbers without ".0" (SPSS stores every number as float)
        text = s.astype("string").str.replace(r"\.0$", "", regex=True)
    elif isinstance(s.dtype, pd.StringDtype) or (
        s.dtype == object and pd.api.types.infer_dtype(s, skipna=True) in ("string", "empty")
    ):
        # cell_to_text(str) is the string itself: no call per cell
        text = s.astype("string")
    else:
        text = s.astype(object).map(cell_to_text, na_action="ignore")
    return text.astype("string")


def distinct_text(s: pd.Series) -> pd.Series:
    """:func:`native_text` of a typed column, computed once per distinct value.

    A date column of 1.4 million lesion rows holds a few thousand distinct days; the text of
    each is made once and repeated. Floats holding a negative zero are converted cell by cell
    (``-0.0`` and ``0.0`` are one value to :func:`pandas.factorize`, not to ``repr``).
    """
    if not keep_typed(s) or (pd.api.types.is_float_dtype(s) and _has_negative_zero(s)):
        return native_text(s)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) * 2 > len(s):
        return native_text(s)
    text = native_text(pd.Series(uniques)).to_numpy(dtype=object)
    done = np.array([*text, None], dtype=object)  # code -1 (missing) picks the trailing None
    return pd.Series(pd.array(done[codes], dtype="string"), index=s.index)


def per_distinct(
    parser: Callable[..., tuple[pd.Series, pd.Series, pd.Series | str]],
    s: pd.Series,
    *args: Any,
) -> tuple[pd.Series, pd.Series, pd.Series | str]:
    """``parser(s, *args)`` run on each distinct text of ``s`` once, its results repeated
    per row.

    ``parser`` returns (values, bad-cell mask, message per cell or one message) and must be
    elementwise, as the parsers of :mod:`captemstats.io.coerce` are (their one column-wide
    decision, whether a date column holds month-first-looking dates, is the same over the
    distinct values as over the rows). 1.4 million lesion dates are a few thousand days.
    """
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    if len(uniques) * 2 > len(s):
        return parser(s, *args)
    # the distinct texts, then one missing value that code -1 points at
    values = pd.array([*np.asarray(uniques, dtype=object), None], dtype="string")
    codes = np.where(codes < 0, len(values) - 1, codes)
    parsed, bad, message = parser(pd.Series(values), *args)
    out = parsed.iloc[codes].set_axis(s.index)
    flags = pd.Series(bad.to_numpy(dtype=bool)[codes], index=s.index)
    if isinstance(message, str):
        return out, flags, message
    return out, flags, pd.Series(message.to_numpy(dtype=object)[codes], index=s.index)


def _has_negative_zero(s: pd.Series) -> bool:
    values = s.to_numpy(dtype="float64", na_value=np.nan)
    return bool(np.any((values == 0) & np.signbit(values)))


def boolean_tokens(mapping: TableMapping) -> dict[str, object]:
    """Folded yes/no token -> ``True``/``False``: the data model's tokens, then the mapping's."""
    table: dict[str, object] = {fold_one(t): True for t in TRUE_TOKENS}
    table.update({fold_one(t): False for t in FALSE_TOKENS})
    table.update({fold_one(v): True for v in mapping.true_values})
    table.update({fold_one(v): False for v in mapping.false_values})
    return table


def parse_typed(s: pd.Series, col: ColumnSpec, mapping: TableMapping) -> pd.Series | None:
    """The typed values of a typed column read directly, or ``None`` when the direct reading
    is not known to equal the text reading (the caller then parses :func:`distinct_text`).

    Parameters
    ----------
    s : pandas.Series
        A typed column (see :func:`keep_typed`).
    col : ColumnSpec
        The data-model column it gives.
    mapping : TableMapping
        The table's column mapping (its yes/no tokens).

    Returns
    -------
    pandas.Series or None
        Values in the column's dtype (see :mod:`captemstats.io.coerce`), same index; every
        cell readable.
    """
    kind = col.kind
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(s):
        return _dates(s)
    if pd.api.types.is_bool_dtype(s):
        if kind != "boolean":
            return None
        tokens = boolean_tokens(mapping)
        if tokens.get("true") is not True or tokens.get("false") is not False:
            return None
        return s.astype("boolean")
    if pd.api.types.is_integer_dtype(s) and kind in ("integer", "number"):
        # compared as floats: abs() of the smallest int64 overflows; rounding near the limit
        # only sends a column to the text reading
        limit = _INT_LIMIT if kind == "integer" else _EXACT_FLOAT_INT
        if not _below(s.astype("float64"), limit):
            return None
        return s.astype("Int64") if kind == "integer" else s.astype("float64")
    if pd.api.types.is_float_dtype(s) and kind == "integer":
        f = s.to_numpy(dtype="float64", na_value=np.nan)
        known = f[~np.isnan(f)]
        if not (np.all(np.abs(known) < _WHOLE_FLOAT_LIMIT) and np.all(known == np.round(known))):
            return None
        return s.astype("Int64")
    return None


def _below(s: pd.Series, limit: float) -> bool:
    known = s.dropna()
    return bool(known.empty or (known.abs().max() < limit))


def _dates(s: pd.Series) -> pd.Series | None:
    """The day of each timestamp as ``datetime64[ns]``; ``None`` when a value is beyond the
    nanosecond range (the text reader reports it as no calendar date)."""
    if s.dtype == "datetime64[ns]":
        ns = s
    else:
        try:
            ns = s.astype("datetime64[ns]")
        except (OverflowError, ValueError, pd.errors.OutOfBoundsDatetime):
            return None
        # astype may wrap silently on some versions: the round trip must give the same days
        if not ns.dropna().astype(s.dtype).equals(s.dropna()):
            return None
    out: pd.Series = ns.dt.normalize()
    return out


# --------------------------------------------------------------------------- reading files


def read_parquet(path: Path) -> pd.DataFrame:
    """A Parquet file as pandas reads it; a stored index that is data becomes columns."""
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid etc. for a corrupt file
        raise RegistryReadError(f"{path}: not a readable Parquet file ({exc})") from None
    if frame.index.name == ROW_INDEX or isinstance(frame.index, pd.RangeIndex):
        frame.index = pd.RangeIndex(len(frame))  # dropped, without copying the columns
    else:  # a meaningful stored index (e.g. patient_id) is data: keep it as columns
        frame = frame.reset_index()
    return frame


def read_sav(path: Path) -> pd.DataFrame:
    """An SPSS file with its value labels applied (pyreadstat)."""
    import pyreadstat

    try:
        # Value labels are applied here, before the column mapping, so a mapping recodes the
        # labels a center sees in SPSS ("Kadın") rather than its numeric codes.
        frame, _meta = pyreadstat.read_sav(
            str(path), apply_value_formats=True, dates_as_pandas_datetime=True
        )
    except Exception as exc:
        raise RegistryReadError(f"{path}: not a readable SPSS .sav file ({exc})") from None
    return frame


def native_columns(frame: pd.DataFrame, typed: bool) -> pd.DataFrame:
    """Columns of a typed file (Parquet, SPSS) -> text, or kept typed when ``typed`` and
    :func:`~captemstats.io.typed.keep_typed`; the index becomes the record number + 1."""
    index = pd.Index(range(2, len(frame) + 2), name=ROW_INDEX, dtype="int64")
    columns = {
        str(name): pd.Series(
            (s if typed and keep_typed(s) else native_text(s)).array, index=index, copy=False
        )
        for name, s in frame.items()
    }
    return pd.DataFrame(columns, index=index, copy=False)


__all__ = [
    "boolean_tokens",
    "distinct_text",
    "is_text",
    "keep_typed",
    "native_columns",
    "native_text",
    "parse_typed",
    "per_distinct",
    "read_parquet",
    "read_sav",
]
