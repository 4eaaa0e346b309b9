"""The result of validating a registry: every problem, errors apart from warnings."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from captemstats.io.problems import PROBLEM_COLUMNS, Problem, omitted_frame, problems_from_frame
from captemstats.schema import TABLES

if TYPE_CHECKING:  # pragma: no cover
    from rich.console import RenderableType

    from captemstats.io.readers import SourceInfo
    from captemstats.results import JSONObject, JSONValue


def sort_problems(frame: pd.DataFrame) -> pd.DataFrame:
    """Errors first, then tables in data-model order, then file line and column."""
    order = {name: i for i, name in enumerate(TABLES)}
    keys = pd.DataFrame(
        {
            "sev": (frame["severity"] != "error").astype(int),
            "tab": frame["table"].map(order).fillna(len(order)),
            "line": frame["line"].fillna(0),
            "col": frame["column"].fillna(""),
            "rule": frame["rule"],
        }
    )
    idx = keys.sort_values(["sev", "tab", "line", "col", "rule"], kind="stable").index
    return frame.loc[idx].reset_index(drop=True)


@dataclass(frozen=True)
class ValidationReport:
    """All problems found in one pass. ``ok`` is true when there is no ERROR (warnings are
    allowed). ``frame`` is the tidy problem frame (columns :data:`PROBLEM_COLUMNS`) of the
    problems *listed*; ``omitted`` counts, per severity, table, file, column and rule, the
    problems found beyond the listing limit (``n_errors`` and ``n_warnings`` include them)."""

    frame: pd.DataFrame
    sources: dict[str, SourceInfo] = field(default_factory=dict)
    omitted: pd.DataFrame = field(default_factory=lambda: omitted_frame([]))

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    @cached_property
    def n_errors(self) -> int:
        return int((self.frame["severity"] == "error").sum()) + self._omitted("error")

    @cached_property
    def n_warnings(self) -> int:
        return int((self.frame["severity"] == "warning").sum()) + self._omitted("warning")

    def _omitted(self, severity: str) -> int:
        return int(self.omitted.loc[self.omitted["severity"] == severity, "n"].sum())

    def omitted_lines(self) -> list[str]:
        """One sentence per (table, column, rule) whose problems were not all listed.

        Example
        -------
        ``patients.csv, column age, wrong_type: and 99,900 more errors (not listed; ...)``
        """
        rows = self.omitted.astype(object).where(self.omitted.notna(), None)
        return [
            f"{file or table}, column {column or '-'}, {rule}: and {int(n):,} more "
            f"{severity}{'s' if int(n) != 1 else ''} (not listed; --max-problems 0 lists all)"
            for severity, table, file, column, rule, n in rows.itertuples(index=False, name=None)
        ]

    @cached_property
    def problems(self) -> tuple[Problem, ...]:
        return problems_from_frame(self.frame)

    @cached_property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "error")

    @cached_property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self.problems if p.severity == "warning")

    def to_frame(self) -> pd.DataFrame:
        """One row per problem: severity, table, file, line, patient_id, column, value,
        rule, message."""
        return self.frame.copy()

    def to_dict(self) -> JSONObject:
        return {
            "ok": self.ok,
            "n_errors": self.n_errors,
            "n_warnings": self.n_warnings,
            "sources": {
                name: {
                    "path": str(s.path),
                    "sha256": s.sha256,
                    "rows": s.rows,
                    "format": s.format,
                    "sheet": s.sheet,
                    "encoding": s.encoding,
                    "separator": s.separator,
                    "decimal": s.decimal,
                }
                for name, s in self.sources.items()
            },
            "problems": [p.to_dict() for p in self.problems],
            "omitted": cast(
                "list[JSONValue]",
                [
                    {**{k: (None if pd.isna(v) else v) for k, v in r.items()}, "n": int(r["n"])}
                    for r in self.omitted.astype(object).to_dict("records")
                ],
            ),
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False)

    def summary(self) -> str:
        """One line: valid or not, with counts."""
        verdict = "valid" if self.ok else "INVALID"
        return (
            f"registry {verdict}: {self.n_errors} error(s), {self.n_warnings} warning(s)"
            + "".join(f"; {n} {s.rows} rows" for n, s in self.sources.items())
        )

    def rule_counts(self) -> pd.DataFrame:
        """Problems per severity and rule (for a compact overview)."""
        return (
            self.frame.groupby(["severity", "rule"], observed=True).size().rename("n").reset_index()
        )

    def summary_frame(self, examples: int = 3) -> pd.DataFrame:
        """Problems per severity, table, file and rule: how many (listed and omitted), in
        which columns, and the first ``examples`` listed (``line 41 'P099'``).

        Errors come first, then tables in data-model order, then the most frequent rules.
        """
        return summarise(self.frame, self.omitted, examples)

    def summary_lines(self, examples: int = 3) -> list[str]:
        """One line per table and rule (see :meth:`summary_frame`), e.g.
        ``484 errors  lesions.csv  unknown_patient (patient_id): line 12 'X', line 13 'Y'``."""
        rows = self.summary_frame(examples).astype(object)
        rows = rows.where(rows.notna(), None)
        return [
            f"{int(n):>9,} {severity}{'s' if int(n) != 1 else ''}  {file or table}  {rule}"
            + (f" ({columns})" if columns else "")
            + (f": {first}" if first else "")
            for severity, table, file, rule, n, columns, first in rows.itertuples(
                index=False, name=None
            )
        ]

    def __rich__(self) -> RenderableType:
        from rich.console import Group
        from rich.table import Table
        from rich.text import Text

        style = "bold green" if self.ok else "bold red"
        head = Text(self.summary(), style=style)
        top: list[RenderableType] = [head]
        if self.n_errors + self.n_warnings > SUMMARY_FROM:
            # Many problems: one line per table and rule first, the listing after it (and in
            # full with --format json).
            lines = ["by table and rule (the full list: --format json):", *self.summary_lines()]
            top.extend(Text(line) for line in lines)
        more = [Text(line, style="yellow") for line in self.omitted_lines()]
        if self.frame.empty:
            return Group(*top, *more)
        if len(self.frame) > TABLE_ROWS:
            return Group(*top, self._lines(), *more)
        table = Table(show_lines=False, expand=False)
        for name, kw in (
            ("severity", {"no_wrap": True}),
            ("table", {"no_wrap": True}),
            ("file", {"no_wrap": True}),
            ("line", {"no_wrap": True, "justify": "right"}),
            ("patient_id", {"no_wrap": True}),
            ("column", {"no_wrap": True}),
            ("value", {"overflow": "fold"}),
            ("rule", {"no_wrap": True}),
            ("message", {"overflow": "fold", "ratio": 1}),
        ):
            table.add_column(name, **kw)
        shown = self.frame.astype(object).where(self.frame.notna(), "")
        for row in shown.itertuples(index=False, name=None):
            # Text cells: registry values may contain "[...]", which is rich markup.
            cells = [Text(str(c)) for c in row]
            cells[0].stylize("red" if row[0] == "error" else "yellow")
            table.add_row(*cells)
        return Group(*top, table, *more)

    def _lines(self) -> RenderableType:
        """One line per problem (``severity file:line patient column 'value' rule: message``):
        a rich table measures every cell, which takes seconds for thousands of rows."""
        from rich.text import Text

        shown = self.frame.astype(object).where(self.frame.notna(), None)
        out = Text()
        for sev, table, file, line, pid, column, value, rule, message in shown.itertuples(
            index=False, name=None
        ):
            where = f"{file or table}:{line}" if line is not None else str(file or table)
            out.append(f"{sev:<7}", style="red" if sev == "error" else "yellow")
            parts = [where, pid, column, None if value is None else repr(str(value))]
            out.append(" " + " ".join(str(x) for x in parts if x is not None))
            out.append(f" {rule}: {message}\n")
        out.rstrip()
        return out


#: Above this many listed problems the text report is one line per problem, not a table.
TABLE_ROWS = 500
#: Above this many problems (listed or not) the text report starts with a summary by rule.
SUMMARY_FROM = 20
_GROUP = ["severity", "table", "file", "rule"]


def summarise(frame: pd.DataFrame, omitted: pd.DataFrame, examples: int = 3) -> pd.DataFrame:
    """Listed and omitted problems per severity, table, file and rule (see
    :meth:`ValidationReport.summary_frame`)."""
    groups: dict[tuple[str | None, ...], _Group] = {}
    listed = frame.reindex(columns=list(PROBLEM_COLUMNS)).astype(object)
    for sev, table, file, line, _pid, column, value, rule, _msg in _rows(listed):
        group = groups.setdefault((sev, table, file, rule), _Group())
        group.add(1, column)
        if len(group.first) < examples:
            where = f"line {line}" if line is not None else "-"
            group.first.append(where + ("" if value is None else f" {str(value)!r}"))
    for sev, table, file, column, rule, n in _rows(omitted.astype(object)):
        groups.setdefault((sev, table, file, rule), _Group()).add(int(str(n)), column)
    out = pd.DataFrame(
        [
            [*key, g.n, ", ".join(g.columns) or None, ", ".join(g.first) or None]
            for key, g in groups.items()
        ],
        columns=[*_GROUP, "n", "columns", "first"],
    )
    order = {name: i for i, name in enumerate(TABLES)}
    keys = pd.DataFrame(
        {
            "sev": (out["severity"] != "error").astype(int),
            "tab": out["table"].map(order).fillna(len(order)),
            "n": -out["n"],
            "rule": out["rule"],
        }
    )
    return out.loc[keys.sort_values(list(keys.columns), kind="stable").index].reset_index(drop=True)


@dataclass
class _Group:
    n: int = 0
    columns: list[str] = field(default_factory=list)
    first: list[str] = field(default_factory=list)

    def add(self, n: int, column: str | None) -> None:
        self.n += n
        if column is not None and column not in self.columns:
            self.columns.append(column)


def _rows(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """The rows of an object frame as tuples, missing cells ``None``."""
    clean = frame.where(frame.notna(), None)
    return list(clean.itertuples(index=False, name=None))


__all__ = [
    "PROBLEM_COLUMNS",
    "SUMMARY_FROM",
    "TABLE_ROWS",
    "ValidationReport",
    "sort_problems",
    "summarise",
]
