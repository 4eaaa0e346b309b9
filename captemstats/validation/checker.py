"""The table checker the validation rules (:mod:`captemstats.validation.rules`) are written
against.

:class:`Checker` turns a boolean row mask into problem
rows citing file, line, patient, column and value, listing at most ``limit`` rows per call and
counting the rest; :class:`Context` holds the three tables' checkers and today's date.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from captemstats.io.problems import PROBLEM_COLUMNS, omitted_row
from captemstats.io.readers import ROW_INDEX
from captemstats.schema import TableSpec
from captemstats.validation.catalogue import RULES


def as_text(s: pd.Series) -> pd.Series:
    """Values as the text a message shows (dates ISO, numbers as written by pandas)."""
    text: pd.Series = (
        s.dt.strftime("%Y-%m-%d") if pd.api.types.is_datetime64_any_dtype(s) else s
    ).astype("string")
    return text


@dataclass(frozen=True)
class Checker:
    """One table under validation: flags rows with the table's file and line numbers."""

    spec: TableSpec
    frame: pd.DataFrame
    file: str | None
    parse_bad: dict[str, np.ndarray] = field(default_factory=dict)
    absent: frozenset[str] = frozenset()
    #: Problems listed per call of :meth:`flag`; the rest are counted in ``omitted``.
    limit: int | None = None
    omitted: list[dict[str, object]] = field(default_factory=list)

    @property
    def lines(self) -> pd.Series:
        if self.frame.index.name == ROW_INDEX:
            return pd.Series(self.frame.index.to_numpy(), index=self.frame.index, dtype="Int64")
        return pd.Series(pd.NA, index=self.frame.index, dtype="Int64")

    def readable(self, column: str) -> np.ndarray:
        """Rows whose ``column`` was not already reported as unreadable."""
        bad = self.parse_bad.get(column)
        return np.ones(len(self.frame), dtype=bool) if bad is None else ~bad

    def flag(
        self,
        mask: pd.Series | np.ndarray,
        column: str | None,
        rule: str,
        message: str | pd.Series,
        *,
        value: pd.Series | None = None,
    ) -> pd.DataFrame:
        m = pd.Series(mask, index=self.frame.index).astype("boolean").fillna(False).to_numpy(bool)
        if not m.any():
            return _EMPTY
        n = int(m.sum())
        if self.limit is not None and n > self.limit:
            # Build only the listed rows; a rule hitting every row of a 100 000-row file
            # costs `limit` rows, and the rest are counted.
            m = m.copy()
            m[np.flatnonzero(m)[self.limit :]] = False
            self.omitted.append(
                omitted_row(RULES[rule][0], self.spec.name, self.file, column, rule, n - self.limit)
            )
        # Only the flagged rows are turned into text: formatting a date column of 1.4 million
        # rows to quote three of its cells took seconds per rule.
        rows = np.flatnonzero(m)
        if value is None:
            shown = (
                as_text(self.frame[column].iloc[rows]).to_numpy()
                if column
                else np.full(len(rows), pd.NA, dtype=object)
            )
        else:
            shown = pd.Series(value, index=self.frame.index).to_numpy()[rows]
        msg = message[m].to_numpy() if isinstance(message, pd.Series) else message
        return pd.DataFrame(
            {
                "severity": RULES[rule][0],
                "table": self.spec.name,
                "file": self.file,
                "line": self.lines.iloc[rows].to_numpy(),
                "patient_id": self.frame["patient_id"].iloc[rows].to_numpy(),
                "column": column,
                "value": shown,
                "rule": rule,
                "message": msg,
            }
        )


_EMPTY = pd.DataFrame(columns=list(PROBLEM_COLUMNS))


@dataclass(frozen=True)
class Context:
    """Everything the rules read: one :class:`Checker` per table and today's date."""

    patients: Checker
    lesions: Checker
    adverse_events: Checker
    today: pd.Timestamp

    def tables(self) -> Iterator[Checker]:
        yield from (self.patients, self.lesions, self.adverse_events)

    def patient_lookup(self, column: str) -> pd.Series:
        """patient_id -> a patients column. Duplicated ids (already errors) are left out: which
        of their rows a lesion or event belongs to cannot be told."""
        p = self.patients.frame
        unique = p.loc[p["patient_id"].notna() & ~p["patient_id"].duplicated(keep=False)]
        return pd.Series(unique[column].to_numpy(), index=unique["patient_id"].to_numpy())


Rule = Callable[[Context], Iterator[pd.DataFrame]]


__all__ = ["Checker", "Context", "Rule", "as_text"]
