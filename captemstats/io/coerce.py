"""Raw text frames -> typed registry frames, with a problem for every cell that cannot be read.

The typed frame follows the project's dtype contract: every column of the table's
:class:`~captemstats.schema.TableSpec` exists (absent optional columns all-missing); string and
category columns are pandas ``string`` holding schema codes, integers ``Int64``, numbers
``float64``, booleans ``boolean``, dates ``datetime64[ns]``. The index is ``_row``, the row's
line in its file. A cell that cannot be parsed is missing in the typed frame and reported as an
ERROR problem quoting the original text, so nothing is lost silently.

Everything here is vectorised per column (regular expressions and lookups on whole Series),
and each distinct text of a column is parsed once. Typed columns of Parquet and SPSS files are
read on their types where that gives exactly the text reading (:mod:`captemstats.io.typed`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from captemstats.errors import RegistryReadError
from captemstats.io.mapping import TableMapping
from captemstats.io.problems import PROBLEM_COLUMNS, normalise_problem_frame, omitted_row
from captemstats.io.readers import ROW_INDEX
from captemstats.io.text import (
    ARABIC_DECIMAL_SEPARATOR,
    ascii_digits,
    fold_key,
    fold_one,
    lookup,
)
from captemstats.io.typed import (
    boolean_tokens,
    distinct_text,
    is_text,
    parse_typed,
    per_distinct,
)
from captemstats.io.variants import check_strings
from captemstats.schema import ColumnSpec, TableSpec

# (?a): \d is ASCII 0-9 only. Unicode \d also matches Arabic-Indic digits, which pandas cannot
# convert (they became "number too large"); other scripts' digits are translated to ASCII
# first (captemstats.io.text.ascii_digits).
_ISO = (
    r"(?a)^(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"
)
_DMY = r"(?a)^(?P<d>\d{1,2})(?P<sep>[./-])(?P<m>\d{1,2})(?P=sep)(?P<y>\d{4})$"
_NUM_DOT = r"(?a)^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_NUM_COMMA = r"(?a)^[+-]?(?:\d+(?:,\d*)?|,\d+)$"
_INT = r"(?a)^[+-]?\d+(?:[.,]0*)?$"

DATE_FORMS = "YYYY-MM-DD, DD.MM.YYYY or DD/MM/YYYY"


@dataclass(frozen=True, slots=True)
class ParseContext:
    """What a table's cells are parsed with: its file label, decimal mark and date reading,
    and how many problems per column and rule are listed (``None``: all)."""

    table: str
    file: str
    decimal: str = "."
    dayfirst: bool | None = None
    max_problems: int | None = 100


def empty_table(spec: TableSpec) -> pd.DataFrame:
    """A typed frame of ``spec`` with no rows (e.g. the optional lesions table when absent).

    Parameters
    ----------
    spec
        The table's specification (:data:`captemstats.schema.TABLES`).

    Returns
    -------
    pandas.DataFrame
        No rows; every column of ``spec`` with its dtype (the registry's dtype contract).

    Examples
    --------
    >>> from captemstats.schema import LESIONS
    >>> frame = empty_table(LESIONS)
    >>> len(frame), str(frame["assessment_date"].dtype), str(frame["nodal"].dtype)
    (0, 'datetime64[ns]', 'boolean')
    """
    frame = pd.DataFrame(index=pd.Index([], name=ROW_INDEX, dtype="int64"))
    for col in spec.columns:
        frame[col.name] = pd.Series(dtype=_DTYPES[col.kind], index=frame.index)
    return frame


_DTYPES = {
    "string": "string",
    "category": "string",
    "integer": "Int64",
    "number": "float64",
    "boolean": "boolean",
    "date": "datetime64[ns]",
}


def map_columns(
    raw: pd.DataFrame, spec: TableSpec, mapping: TableMapping, file: str, header_line: int = 1
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rename a raw frame's columns onto ``spec`` (mapping first, then exact or
    case-insensitive names). Returns the renamed frame (schema columns only, absent ones
    all-missing) and problems: unknown columns (warning: not read) and missing required
    columns (error). Two file columns landing on one schema column raise."""
    renames: dict[str, str] = {}
    unknown: list[str] = []
    targets = resolve_columns(list(raw.columns), spec, mapping)
    for name in raw.columns:
        target = targets.get(name)
        if target is None:
            unknown.append(name)
            continue
        if target in renames.values():
            first = next(k for k, v in renames.items() if v == target)
            raise RegistryReadError(
                f"{file}: columns {first!r} and {name!r} both give {spec.name}.{target}; "
                "keep one (or fix the column mapping)"
            )
        renames[name] = target
    # Columns gathered without copying them (a lesions table is 1.4 million rows).
    out: dict[str, pd.Series] = {renames[name]: raw[name] for name in renames}
    rows: list[dict[str, object]] = [
        {
            "severity": "warning",
            "column": name,
            "rule": "unknown_column",
            "message": f"column {name!r} is not part of table {spec.name} and is not read "
            "(rename it with a column mapping if it is one of ours)",
        }
        for name in unknown
    ]
    for col in spec.columns:
        if col.name in out:
            continue
        out[col.name] = pd.Series(pd.NA, index=raw.index, dtype="string")
        if col.required:
            rows.append(
                {
                    "severity": "error",
                    "column": col.name,
                    "rule": "missing_column",
                    "message": f"required column {col.name!r} is missing from {spec.name} "
                    f"({col.description})",
                }
            )
    problems = pd.DataFrame(rows, columns=list(PROBLEM_COLUMNS))
    problems["table"] = spec.name
    problems["file"] = file
    problems["line"] = header_line  # column problems cite the header line
    frame = pd.DataFrame({n: out[n] for n in spec.names}, index=raw.index, copy=False)
    return frame, normalise_problem_frame(problems)


def resolve_columns(names: list[str], spec: TableSpec, mapping: TableMapping) -> dict[str, str]:
    """A file's column name -> the data-model column it gives (the mapping's rename first,
    then the same name ignoring case); names that give none are left out."""
    folded = {c.casefold(): c for c in spec.names}
    out: dict[str, str] = {}
    for name in names:
        target = mapping.rename.get(name) or folded.get(name.casefold())
        if target is not None:
            out[name] = target
    return out


def detect_decimal(raw: pd.DataFrame, spec: TableSpec, given: str | None) -> str:
    """The decimal mark of a table's number columns: ``given``, else the mark most of their
    values use (``,`` only when comma decimals outnumber point decimals). Values using the
    other mark are then reported, never reinterpreted."""
    if given is not None:
        return given
    numbers = [c.name for c in spec.columns if c.kind == "number" and c.name in raw.columns]
    # Typed columns (Parquet floats) never hold a comma: when no text column does either
    # (ASCII or full-width, which ascii_digits reads as one), the mark is "." whatever the
    # points, and the typed columns need no text.
    if not any(
        is_text(raw[n]) and bool(raw[n].str.contains("[,\uff0c]", regex=True).any())
        for n in numbers
    ):
        return "."
    commas = points = 0
    for name in numbers:
        # each distinct value once, weighted by how often it occurs
        counts = raw[name].value_counts(dropna=True, sort=False)
        s = ascii_digits(distinct_text(pd.Series(counts.index)))
        n = counts.to_numpy()
        commas += int(n[s.str.fullmatch(r"[+-]?\d*,\d+").fillna(False).to_numpy(bool)].sum())
        points += int(n[s.str.fullmatch(r"[+-]?\d*\.\d+").fillna(False).to_numpy(bool)].sum())
    return "," if commas > points else "."


def apply_labels(frame: pd.DataFrame, spec: TableSpec, mapping: TableMapping) -> pd.DataFrame:
    """Mapping's missing-value tokens and label recodes, compared by
    :func:`~captemstats.io.text.fold_key` (NFKC, white space, Turkish-aware case)."""
    missing = {fold_one(v) for v in mapping.missing_values}
    if not missing and not any(col.name in mapping.recode for col in spec.columns):
        return frame  # nothing to recode: no copy
    out = frame.copy()
    for col in spec.columns:
        s = out[col.name]
        if missing or col.name in mapping.recode:
            s = s if is_text(s) else distinct_text(s)  # labels are compared as text
            key = fold_key(s)
            if missing:
                s = s.mask(key.isin(missing))
            labels = mapping.recode.get(col.name)
            if labels:
                table = {fold_one(k): v for k, v in labels.items()}
                mapped = key.map(table)
                s = s.where(mapped.isna(), mapped.astype("string"))
        out[col.name] = s
    return out


@dataclass(slots=True)
class ParsedTable:
    """One table parsed: the typed frame, its problems (at most ``max_problems`` per column
    and rule), how many problems were left out per (column, rule), and the file lines of every
    unreadable cell per column (all of them, so that no rule reports such a cell again)."""

    typed: pd.DataFrame
    problems: pd.DataFrame
    omitted: list[dict[str, object]]
    unreadable: dict[str, np.ndarray]


def parse_table(
    text: pd.DataFrame, spec: TableSpec, ctx: ParseContext, mapping: TableMapping
) -> ParsedTable:
    """Typed frame + problems for a mapped raw frame (see the module docstring).

    String columns are checked by :func:`captemstats.io.variants.check_strings`: invisible
    characters in identifiers are errors at their cell, spelling variants of free-text
    categories (centre, organ, CTCAE term) are merged with a warning."""
    columns: dict[str, pd.Series] = {}
    problems: list[pd.DataFrame] = []
    omitted: list[dict[str, object]] = []
    unreadable: dict[str, np.ndarray] = {}
    pid = _as_text(text["patient_id"]) if "patient_id" in text.columns else None
    for col in spec.columns:
        s = text[col.name]
        if not is_text(s):
            direct = parse_typed(s, col, mapping)
            if direct is not None:  # read on its type: every cell readable
                columns[col.name] = direct
                continue
            s = distinct_text(s)
        if col.kind == "string":
            values, found, more_rows = check_strings(
                s, col, ctx.table, ctx.file, pid, ctx.max_problems
            )
            columns[col.name] = values
            problems.append(found)
            omitted += more_rows
            continue
        values, bad, message = per_distinct(_PARSERS[col.kind], s, col, ctx, mapping)
        columns[col.name] = values
        if bad.any():
            unreadable[col.name] = np.asarray(s.index[bad.to_numpy()], dtype="int64")
            frame = _cell_problems(s, bad, message, col, ctx, pid)
            problems.append(frame)
            more = int(bad.sum()) - len(frame)
            if more > 0:
                rule = "unknown_code" if col.kind == "category" else "wrong_type"
                omitted.append(omitted_row("error", ctx.table, ctx.file, col.name, rule, more))
    typed = pd.DataFrame(columns, index=text.index, copy=False)
    found_any = [f for f in problems if len(f)]
    frame = (
        pd.concat(found_any, ignore_index=True)
        if found_any
        else pd.DataFrame(columns=list(PROBLEM_COLUMNS))
    )
    return ParsedTable(typed, normalise_problem_frame(frame), omitted, unreadable)


def _cell_problems(
    raw: pd.Series,
    bad: pd.Series,
    message: pd.Series | str,
    col: ColumnSpec,
    ctx: ParseContext,
    pid: pd.Series | None,
) -> pd.DataFrame:
    """The problem rows of the first ``ctx.max_problems`` bad cells (the caller counts the
    rest)."""
    rule = "unknown_code" if col.kind == "category" else "wrong_type"
    where = np.flatnonzero(bad.to_numpy(dtype=bool))
    if ctx.max_problems is not None and len(where) > ctx.max_problems:
        # Only the listed rows are built: a column of 100 000 bad cells costs 100 rows.
        where = where[: ctx.max_problems]
    msg = message.iloc[where] if isinstance(message, pd.Series) else message
    frame = pd.DataFrame(
        {
            "severity": "error",
            "table": ctx.table,
            "file": ctx.file,
            "line": raw.index[where],
            "patient_id": None if pid is None else pid.iloc[where].to_numpy(),
            "column": col.name,
            "value": raw.iloc[where].to_numpy(),
            "rule": rule,
            "message": msg if isinstance(msg, str) else msg.to_numpy(),
        }
    )
    return frame


Parsed = tuple[pd.Series, pd.Series, "pd.Series | str"]


def _as_text(s: pd.Series) -> pd.Series:
    return s if is_text(s) else distinct_text(s)


def _parse_category(s: pd.Series, col: ColumnSpec, ctx: ParseContext, m: TableMapping) -> Parsed:
    codes: dict[str, object] = {fold_one(c): c for c in col.categories}
    mapped = pd.Series(lookup(s, codes), index=s.index, dtype="string")
    bad = s.notna() & mapped.isna()
    msg = f"unknown code for {col.name}; allowed: {', '.join(col.categories)}"
    return mapped, bad.fillna(False).astype(bool), msg


def _parse_boolean(s: pd.Series, col: ColumnSpec, ctx: ParseContext, m: TableMapping) -> Parsed:
    mapped = pd.Series(lookup(s, boolean_tokens(m)), index=s.index, dtype="boolean")
    bad = (s.notna() & mapped.isna()).fillna(False).astype(bool)
    extra = [*m.true_values, *m.false_values]
    msg = "not a yes/no value (use yes/no, true/false or 1/0" + (
        f", or {', '.join(extra)})" if extra else ")"
    )
    return mapped, bad, msg


def _parse_integer(s: pd.Series, col: ColumnSpec, ctx: ParseContext, m: TableMapping) -> Parsed:
    s = ascii_digits(s)  # Arabic-Indic, full-width ... digits read as written
    ok = s.str.fullmatch(_INT).fillna(False).astype(bool)
    whole = s.where(ok).str.replace(r"[.,]0*$", "", regex=True)
    # More than 18 digits does not fit a 64-bit integer (it would wrap): reported instead.
    overflow = (whole.str.lstrip("+-").str.len() > 18).fillna(False).astype(bool)
    values = pd.to_numeric(whole.mask(overflow), errors="coerce").astype("Int64")
    bad = (s.notna() & ~ok) | overflow
    msg = pd.Series("not a whole number", index=s.index, dtype=object)
    msg[overflow] = "number too large to be read (more than 18 digits)"
    return values, bad.astype(bool), msg


def _parse_number(s: pd.Series, col: ColumnSpec, ctx: ParseContext, m: TableMapping) -> Parsed:
    s = ascii_digits(s)
    pattern = _NUM_COMMA if ctx.decimal == "," else _NUM_DOT
    # U+066B is a decimal separator whatever the file's mark: read as that mark.
    s = s.str.replace(ARABIC_DECIMAL_SEPARATOR, ctx.decimal, regex=False)
    ok = s.str.fullmatch(pattern).fillna(False).astype(bool)
    text = s.where(ok)
    if ctx.decimal == ",":
        text = text.str.replace(",", ".", regex=False)
    values = pd.to_numeric(text, errors="coerce").astype("float64")
    # A well-formed number beyond the float range (1e400) becomes NaN or inf: reported, never
    # silently missing.
    overflow = (ok & ~np.isfinite(values.fillna(0.0).to_numpy()) | (ok & values.isna())).astype(
        bool
    )
    values = values.mask(overflow)
    bad = ((s.notna() & ~ok) | overflow).astype(bool)
    if not bad.any():
        return values, bad, ""
    other = "," if ctx.decimal == "." else "."
    looks_other = s.str.contains(other, regex=False).fillna(False).astype(bool)
    msg = pd.Series("not a number", index=s.index, dtype=object)
    msg[overflow] = "number too large to be read (beyond the floating-point range)"
    msg[looks_other] = (
        f"not a number: this file's numbers use '{ctx.decimal}' as the decimal mark, so "
        f"'{other}' is not read (thousands separators are not allowed)"
    )
    return values, bad, msg


def _parse_date(s: pd.Series, col: ColumnSpec, ctx: ParseContext, m: TableMapping) -> Parsed:
    s = ascii_digits(s)
    iso = s.str.extract(_ISO)
    dmy = s.str.extract(_DMY)
    is_iso = iso["y"].notna()
    is_dmy = dmy["y"].notna() & ~is_iso
    day = pd.to_numeric(dmy["d"], errors="coerce")
    month = pd.to_numeric(dmy["m"], errors="coerce")
    # mm/dd is never accepted: a value whose 'month' is > 12 but 'day' <= 12 looks month-first.
    month_first = (is_dmy & (month > 12) & (day <= 12)).fillna(False).astype(bool)
    ambiguous = pd.Series(False, index=s.index)
    if ctx.dayfirst is None and bool(month_first.any()):
        # The column holds month-first-looking dates, so reading its other d/m dates day-first
        # would be a guess: each one that could be either is reported.
        ambiguous = (is_dmy & (day <= 12) & (month <= 12) & (day != month)).fillna(False)
        ambiguous = ambiguous.astype(bool)
    year = iso["y"].fillna(dmy["y"])
    month_text = iso["m"].fillna(dmy["m"]).str.zfill(2)
    day_text = iso["d"].fillna(dmy["d"]).str.zfill(2)
    accepted = is_iso | (is_dmy & (ctx.dayfirst is not False))
    canonical = (year + "-" + month_text + "-" + day_text).where(accepted & ~ambiguous)
    # strict format: an impossible day (31.02.) or month (13) becomes NaT and is reported
    values = pd.to_datetime(canonical, format="%Y-%m-%d", errors="coerce").astype("datetime64[ns]")
    values.index = s.index
    bad = (s.notna() & values.isna()).astype(bool)
    if not bad.any():
        return values, bad, ""
    msg = pd.Series(f"not a date (expected {DATE_FORMS})", index=s.index, dtype=object)
    msg[(is_iso | is_dmy) & accepted] = "not a calendar date (no such day)"
    msg[is_dmy & (ctx.dayfirst is False)] = (
        "day-first dates are not accepted for this registry (dayfirst is false); use YYYY-MM-DD"
    )
    msg[month_first] = (
        "looks month-first (MM/DD/YYYY), which is not accepted; write YYYY-MM-DD or DD.MM.YYYY"
    )
    msg[ambiguous] = (
        "ambiguous date: this column also holds month-first-looking dates, so day and month "
        "cannot be told apart; write YYYY-MM-DD"
    )
    return values, bad, msg


_PARSERS = {
    "category": _parse_category,
    "boolean": _parse_boolean,
    "integer": _parse_integer,
    "number": _parse_number,
    "date": _parse_date,
}

__all__ = [
    "ParseContext",
    "ParsedTable",
    "apply_labels",
    "detect_decimal",
    "empty_table",
    "map_columns",
    "parse_table",
    "resolve_columns",
]
