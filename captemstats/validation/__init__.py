"""Registry validation: every rule in one vectorised pass, all problems reported.

``validate(registry)`` combines the problems found while reading (unreadable cells, unknown
codes, missing columns) with the rules of :mod:`captemstats.validation.rules`, and returns a
:class:`ValidationReport`. Nothing is dropped: a registry with any ERROR is invalid; WARNINGS
(suspicious but allowed values) are listed apart.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from captemstats.io.problems import PROBLEM_COLUMNS, Problem, normalise_problem_frame
from captemstats.validation.report import ValidationReport, sort_problems
from captemstats.validation.rules import ALL_RULES, RULES, Checker, Context

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.io import Registry

__all__ = ["RULES", "Problem", "ValidationReport", "validate"]


def validate(registry: Registry, *, today: pd.Timestamp | str | None = None) -> ValidationReport:
    """Check every rule on ``registry`` and report all problems.

    ``today`` (default: the current date) bounds dates in the future. Lines in messages come
    from the frames' ``_row`` index (see :class:`captemstats.io.Registry`); frames built in
    code without it give problems without a line.
    """
    from captemstats.schema import TABLES

    now = pd.Timestamp.today().normalize() if today is None else pd.Timestamp(today)
    parsed = registry.parse_problems
    checkers = {}
    for name, spec in TABLES.items():
        frame = registry.table(name)
        mine = parsed[parsed["table"] == name]
        source = registry.sources.get(name)
        cell_bad = mine[mine["rule"].isin(["wrong_type", "unknown_code"]) & mine["line"].notna()]
        parse_bad = {
            str(col): np.asarray(frame.index.isin(group["line"].astype("int64")), dtype=bool)
            for col, group in cell_bad.groupby("column")
        }
        absent = frozenset(mine.loc[mine["rule"] == "missing_column", "column"].dropna())
        checkers[name] = Checker(
            spec=spec,
            frame=frame,
            file=source.label if source else None,
            parse_bad=parse_bad,
            absent=frozenset(str(c) for c in absent),
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
    return ValidationReport(sort_problems(frame), dict(registry.sources))
