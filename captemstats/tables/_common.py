"""Shared pieces of the table builders: P cells, test footnotes, number formats.

Nothing here computes a statistic: P values, counts and percentages arrive computed; these
helpers only print them (P values through :func:`captemstats.formatting.format_p`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from captemstats.tables._table import Footnote

#: Treatment-line group labels used across the study's tables.
LINE_LABELS: dict[str, str] = {"1": "First line", "2": "Second line", "3+": "≥Third line"}

#: Plain-language names of the tests :mod:`captemstats.compare` reports (codes and names).
TEST_NAMES: dict[str, str] = {
    "chisq": "Pearson's chi-square test without continuity correction",
    "chi-square": "Pearson's chi-square test without continuity correction",
    "chi2": "Pearson's chi-square test without continuity correction",
    "fisher": "Fisher's exact test",
    "fisher_mc": "Fisher's exact test (Monte Carlo P value)",
    "kruskal": "Kruskal–Wallis rank-sum test",
    "kruskal-wallis": "Kruskal–Wallis rank-sum test",
    "wilcoxon": "Wilcoxon rank-sum (Mann–Whitney) test",
    "mann-whitney": "Wilcoxon rank-sum (Mann–Whitney) test",
    "logrank": "Log-rank test",
}

#: The significance convention footnote of the paper's tables.
BOLD_NOTE = "Bold values indicate statistically significant (P < .05)."


def is_missing(x: Any) -> bool:
    """True for None, NA and NaN."""
    import pandas as pd

    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # array-likes are not missing scalars
        return False


def p_cell(p: Any) -> str:
    """A P value as printed (``formatting.format_p``); "" when there is no test."""
    if is_missing(p):
        return ""
    from captemstats.formatting import format_p

    return str(format_p(float(p)))


def is_significant(p: Any, alpha: float) -> bool:
    return not is_missing(p) and float(p) < alpha


def test_name(test: Any) -> str:
    """Readable name of a test code (unknown codes print as given)."""
    text = str(test)
    return TEST_NAMES.get(text.lower(), text)


def test_footnotes(tests: Iterable[tuple[int, Any]], column: str) -> list[Footnote]:
    """One footnote per distinct test, marking the P cells (rows) that used it."""
    rows_by: dict[str, list[int]] = {}
    for row, test in tests:
        if not is_missing(test) and str(test):
            rows_by.setdefault(test_name(test), []).append(row)
    return [Footnote(name, column=column, rows=tuple(rows)) for name, rows in rows_by.items()]


def num(x: Any, digits: int) -> str:
    """A number with ``digits`` decimals; integers stay integers when ``digits`` is 0."""
    if is_missing(x):
        return "NA"
    value = float(x)
    if not math.isfinite(value):
        return "NA"
    return f"{value:.{digits}f}"


def header(label: str, n: Any, suffix: str = "") -> str:
    """``"First line (n = 139)"`` plus an optional suffix such as ", n (%)"."""
    return f"{label} (n = {int(n)}){suffix}" if not is_missing(n) else f"{label}{suffix}"


def label_for(code: str, labels: Mapping[str, str] | None, default: Mapping[str, str]) -> str:
    if labels and code in labels:
        return labels[code]
    return default.get(code, code)
