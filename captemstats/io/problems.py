"""The record of one problem found in a registry, shared by parsing and validation.

Parsing (:mod:`captemstats.io`) and the validation rules (:mod:`captemstats.validation`) both
produce problems; they are collected as a tidy frame with the columns of :data:`PROBLEM_COLUMNS`
(one row per problem) because rules are vectorised, and turned into :class:`Problem` objects
only when a caller asks for them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

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

    def to_dict(self) -> dict[str, Any]:
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
