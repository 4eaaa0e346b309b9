"""The record of one problem found in a registry, shared by parsing and validation.

Parsing (:mod:`captemstats.io`) and the validation rules (:mod:`captemstats.validation`) both
produce problems; they are collected as a tidy frame with the columns of :data:`PROBLEM_COLUMNS`
(one row per problem) because rules are vectorised, and turned into :class:`Problem` objects
only when a caller asks for them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import pandas as pd

Severity = Literal["error", "warning"]

#: Columns of a problem frame, in order.
PROBLEM_COLUMNS: tuple[str, ...] = (
    "severity",
    "table",
    "file",
    "line",
    "patient_id",
    "column",
    "value",
    "rule",
    "message",
)


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem: where it is (table, file, line, patient, column), what (value) and why.

    ``line`` is the line of the row in its file (the header is line 1, so the first data row of
    a CSV is line 2; an Excel row number; for SPSS and Parquet the record number plus one).
    It is ``None`` for problems about a whole column or table.
    """

    severity: Severity
    table: str
    file: str | None
    line: int | None
    patient_id: str | None
    column: str | None
    value: str | None
    rule: str
    message: str

    def to_dict(self) -> dict[str, str | int | None]:
        return asdict(self)

    def location(self) -> str:
        """``file:line`` (or the table name) for messages."""
        where = self.file or self.table
        return f"{where}:{self.line}" if self.line is not None else where


def empty_problem_frame() -> pd.DataFrame:
    """A problem frame with no rows and the canonical dtypes."""
    return problem_frame([])


def problem_frame(problems: list[Problem]) -> pd.DataFrame:
    """Problem objects -> a problem frame (``line`` as nullable Int64, the rest strings)."""
    frame = pd.DataFrame([p.to_dict() for p in problems], columns=list(PROBLEM_COLUMNS))
    return normalise_problem_frame(frame)


def normalise_problem_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Give a problem frame its canonical column order and dtypes."""
    out = frame.reindex(columns=list(PROBLEM_COLUMNS))
    for col in PROBLEM_COLUMNS:
        if col == "line":
            out[col] = pd.to_numeric(out[col], errors="raise").astype("Int64")
        else:
            out[col] = out[col].astype("string")
    return out.reset_index(drop=True)


def problems_from_frame(frame: pd.DataFrame) -> tuple[Problem, ...]:
    """A problem frame -> :class:`Problem` objects (missing cells become ``None``)."""
    clean = frame.reindex(columns=list(PROBLEM_COLUMNS)).astype(object)
    clean = clean.where(clean.notna(), None)
    return tuple(
        Problem(
            severity=r[0],
            table=r[1],
            file=r[2],
            line=None if r[3] is None else int(r[3]),
            patient_id=r[4],
            column=r[5],
            value=r[6],
            rule=r[7],
            message=r[8],
        )
        for r in clean.itertuples(index=False, name=None)
    )


#: Columns of an omitted-problems frame: problems counted but not listed, per rule and column.
OMITTED_COLUMNS: tuple[str, ...] = ("severity", "table", "file", "column", "rule", "n")


def omitted_row(
    severity: str, table: str, file: str | None, column: str | None, rule: str, n: int
) -> dict[str, object]:
    """One row of an omitted-problems frame (see :data:`OMITTED_COLUMNS`)."""
    return {
        "severity": severity,
        "table": table,
        "file": file,
        "column": column,
        "rule": rule,
        "n": int(n),
    }


def omitted_frame(rows: list[dict[str, object]] | pd.DataFrame) -> pd.DataFrame:
    """Omitted-problem rows -> one frame, rows of the same (severity, table, file, column,
    rule) added up."""
    frame = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame(rows)
    frame = frame.reindex(columns=list(OMITTED_COLUMNS))
    keys = list(OMITTED_COLUMNS[:-1])
    if frame.empty:
        out = frame
    else:
        out = frame.groupby(keys, dropna=False, sort=False)["n"].sum().reset_index()
    out = out.astype({k: "string" for k in keys})
    out["n"] = pd.to_numeric(out["n"]).astype("int64")
    return out.reset_index(drop=True)


def cap_problems(frame: pd.DataFrame, limit: int | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first ``limit`` problems of each (table, column, rule), in the frame's order;
    the rest are counted, not kept (``limit=None``: keep all).

    Parameters
    ----------
    frame : pandas.DataFrame
        A problem frame (:data:`PROBLEM_COLUMNS`).
    limit : int or None
        Problems listed per table, column and rule.

    Returns
    -------
    tuple of pandas.DataFrame
        The kept problems, and the omitted counts (:data:`OMITTED_COLUMNS`).

    Example
    -------
    >>> p = problem_frame([Problem("error", "patients", "p.csv", i, None, "age", "x",
    ...                            "wrong_type", "bad") for i in range(5)])
    >>> kept, omitted = cap_problems(p, 2)
    >>> len(kept), int(omitted["n"].sum())
    (2, 3)
    """
    if limit is None or frame.empty:
        return frame, omitted_frame([])
    keys = [frame[c].astype("string").fillna("\0") for c in ("table", "column", "rule")]
    rank = frame.groupby(keys, sort=False).cumcount()
    keep = (rank < limit).to_numpy()
    dropped = frame.loc[~keep]
    omitted = (
        dropped.assign(n=1)[list(OMITTED_COLUMNS)]
        if len(dropped)
        else pd.DataFrame(columns=list(OMITTED_COLUMNS))
    )
    return frame.loc[keep].reset_index(drop=True), omitted_frame(omitted)
