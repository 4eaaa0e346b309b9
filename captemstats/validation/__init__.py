"""Registry validation: every rule in one vectorised pass, all problems reported.

``validate(registry)`` combines the problems found while reading (unreadable cells, unknown
codes, missing columns) with the rules of :mod:`captemstats.validation.rules`, and returns a
:class:`ValidationReport`. Nothing is dropped: a registry with any ERROR is invalid; WARNINGS
(suspicious but allowed values) are listed apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from captemstats.io.problems import (
    PROBLEM_COLUMNS,
    Problem,
    cap_problems,
    normalise_problem_frame,
    omitted_frame,
)
from captemstats.validation.report import ValidationReport, sort_problems
from captemstats.validation.rules import ALL_RULES, RULES, Checker, Context

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.io.readers import SourceInfo

__all__ = ["RULES", "Problem", "RegistryTables", "ValidationReport", "validate"]


class RegistryTables(Protocol):
    """What :func:`validate` reads from a registry: a :class:`captemstats.io.Registry`.

    A protocol rather than the class itself, because ``Registry.validate()`` calls
    :func:`validate`: the reading layer sits below validation and must not import it back.
    """

    @property
    def parse_problems(self) -> pd.DataFrame: ...
    @property
    def omitted_problems(self) -> pd.DataFrame: ...
    @property
    def sources(self) -> Mapping[str, SourceInfo]: ...
    @property
    def unreadable(self) -> Mapping[str, Mapping[str, np.ndarray]]: ...

    def table(self, name: str) -> pd.DataFrame: ...


def validate(
    registry: RegistryTables,
    *,
    today: pd.Timestamp | str | None = None,
    max_problems: int | None = 100,
) -> ValidationReport:
    """Check every rule on ``registry`` and report all problems.

    ``today`` (default: the current date) bounds dates in the future. Lines in messages come
    from the frames' ``_row`` index (see :class:`captemstats.io.Registry`); frames built in
    code without it give problems without a line. ``max_problems`` bounds what is *listed*
    per table, column and rule (a file of 100 000 garbage rows gives a readable report in
    bounded memory); every problem is still *counted*: the rest are in
    :attr:`ValidationReport.omitted` and in ``n_errors`` / ``n_warnings``. ``None`` lists all.

    Parameters
    ----------
    registry
        A :class:`~captemstats.io.Registry` (anything with its tables and parse problems).
    today
        The date after which dates are in the future (default: today).
    max_problems
        Problems listed per table, column and rule.

    Returns
    -------
    ValidationReport
        ``ok`` (no errors), the counts, the problems (each naming file, line, column, value
        and rule) and ``rule_counts()`` / ``summary_lines()``.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> report = validate(read_registry("data/registry"), today="2026-12-01")
    >>> report.ok, report.n_errors, report.n_warnings
    (True, 0, 22)
    """
    from captemstats.schema import TABLES

    now = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
    parsed = registry.parse_problems
    omitted: list[dict[str, object]] = []
    checkers = {}
    for name, spec in TABLES.items():
        frame = registry.table(name)
        mine = parsed[parsed["table"] == name]
        source = registry.sources.get(name)
        parse_bad = {
            col: np.asarray(frame.index.isin(lines), dtype=bool)
            for col, lines in registry.unreadable.get(name, {}).items()
        }
        # Problem frames built in code (no `unreadable`) still mark their cells.
        cell_bad = mine[mine["rule"].isin(["wrong_type", "unknown_code"]) & mine["line"].notna()]
        for col, group in cell_bad.groupby("column"):
            hit = np.asarray(frame.index.isin(group["line"].astype("int64")), dtype=bool)
            parse_bad[str(col)] = parse_bad.get(str(col), np.zeros(len(frame), bool)) | hit
        absent = frozenset(mine.loc[mine["rule"] == "missing_column", "column"].dropna())
        checkers[name] = Checker(
            spec=spec,
            frame=frame,
            file=source.label if source else None,
            parse_bad=parse_bad,
            absent=frozenset(str(c) for c in absent),
            limit=max_problems,
            omitted=omitted,
        )
    ctx = Context(
        patients=checkers["patients"],
        lesions=checkers["lesions"],
        adverse_events=checkers["adverse_events"],
        today=now,
    )
    found = [parsed] + [f for rule in ALL_RULES for f in rule(ctx) if len(f)]
    found = [f for f in found if len(f)]
    frame = (
        pd.concat([normalise_problem_frame(f) for f in found], ignore_index=True)
        if found
        else normalise_problem_frame(pd.DataFrame(columns=list(PROBLEM_COLUMNS)))
    )
    # A rule may flag one column in several calls: the limit holds for their union.
    frame, more = cap_problems(sort_problems(frame), max_problems)
    counted = [registry.omitted_problems, omitted_frame(omitted), more]
    return ValidationReport(
        frame,
        dict(registry.sources),
        omitted=omitted_frame(pd.concat([c for c in counted if len(c)] or [more])),
    )
