"""Shared pieces of the table builders: P cells, test footnotes, number formats.

Nothing here computes a statistic: P values, counts and percentages arrive computed; these
helpers only print them (P values through :func:`captemstats.formatting.format_p`, or the
paper's truncated print when a methods profile asks for it: :func:`profile_of`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol

from captemstats.formatting import en_dash as en_dash  # re-exported
from captemstats.formatting import is_missing as is_missing  # re-exported
from captemstats.tables.table import Footnote

if TYPE_CHECKING:
    from captemstats.formatting import PValueDisplay
    from captemstats.methods import MethodProfile, MethodsName


class TestResult(Protocol):
    """What a table prints of a test result (``captemstats.compare.CategoricalComparison``
    and the like): its P value and the code of the test used."""

    @property
    def p_value(self) -> float: ...

    @property
    def test(self) -> str | None: ...


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


def p_cell(p: Any, display: PValueDisplay = "rounded") -> str:
    """A P value as printed (``formatting.format_p``, or ``format_p_truncated`` for
    ``display="truncated"``, a methods profile's ``p_display``); "" when there is no test."""
    if is_missing(p):
        return ""
    from captemstats.formatting import format_p_as

    return str(format_p_as(float(p), display))


def profile_of(
    methods: MethodsName | MethodProfile | None,
) -> tuple[PValueDisplay, list[Footnote]]:
    """A builder's ``methods=`` argument (None, a profile name or a ``MethodProfile``) as
    its P-value display rule and the footnote stating it (none for the default profile)."""
    if methods is None:
        return "rounded", []
    from captemstats.methods import get_profile

    profile = get_profile(methods)
    note = profile.footnote()
    return profile.p_display, [Footnote(note)] if note else []


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
    """A number with ``digits`` decimals, rounded half-up by
    :func:`captemstats.formatting.format_number` (so a table cell and the prose quoting it
    never differ at a tie such as 0.885); "NA" when missing or not finite."""
    if is_missing(x):
        return "NA"
    value = float(x)
    if not math.isfinite(value):
        return "NA"
    from captemstats.formatting import format_number

    return str(format_number(value, digits))


def header(label: str, n: Any, suffix: str = "") -> str:
    """``"First line (n = 139)"`` plus an optional suffix such as ", n (%)"."""
    return f"{label} (n = {int(n)}){suffix}" if not is_missing(n) else f"{label}{suffix}"


def ordered_codes(codes: Sequence[str], labels: Mapping[str, str] | None) -> list[str]:
    """``codes`` in the order of the ``labels`` mapping (the order the caller lists the
    groups in), then any code the mapping does not name, in their given order."""
    if not labels:
        return list(codes)
    named = [c for c in labels if c in codes]
    return named + [c for c in codes if c not in labels]


def method_text(method: object) -> str:
    """A footnote sentence from a ``MethodInfo`` record (or a plain string; "" for None).

    "Kaplan–Meier product-limit estimator; 95% CI: Greenwood variance of the cumulative
    hazard, log transform." The record's ``software_equivalent`` (the R call the result
    reproduces) is not printed, nor is a parenthesised function name in its wording: a
    journal's table footnote states the method, and the software goes in the Methods.

    Parameters
    ----------
    method
        A ``MethodInfo``-like record (``test``, ``conf_level``, ``ci_method``,
        ``ci_transform``, ``ties``, ``variance``, ``continuity_correction``), a string
        (returned as given) or None.

    Returns
    -------
    str
        One sentence, capitalised and ending with a full stop ("" without a test).

    Example
    -------
    >>> from types import SimpleNamespace as NS
    >>> method_text(NS(test="log-rank test", software_equivalent="R survival::survdiff()"))
    'Log-rank test.'
    """
    if method is None:
        return ""
    if isinstance(method, str):
        return method
    test = getattr(method, "test", None)
    if not test:
        return ""
    parts = [plain_method(str(test))]
    level = getattr(method, "conf_level", None)
    ci_method = getattr(method, "ci_method", None)
    transform = getattr(method, "ci_transform", None)
    if ci_method or transform:
        ci = plain_method(str(ci_method or ""))
        if transform:
            # a named transform ("log") reads "log transform"; a formula is printed as is
            named = str(transform).isidentifier()
            shown = f"{transform} transform" if named else str(transform)
            ci = f"{ci}, {shown}" if ci_method else shown
        parts.append(f"{level:.0%} CI: {ci}" if level else f"CI: {ci}")
    ties = getattr(method, "ties", None)
    if ties:
        parts.append(
            f"{'Efron' if ties == 'efron' else 'Breslow' if ties == 'breslow' else ties}"
            " method for ties"
        )
    if getattr(method, "variance", None):
        parts.append(f"{plain_method(str(method.variance))} variance")  # type: ignore[attr-defined]
    if getattr(method, "continuity_correction", None):
        parts.append("continuity correction")
    text = "; ".join(p for p in parts if p) + "."
    return text[:1].upper() + text[1:]


#: What marks a parenthesis as code rather than a method: an R namespace ("survival::"), a
#: call ("survfit(", "coxph("; not a formula's "exp(" or "log("), an argument
#: ("conf.type='log'") or a dotted R function name ("quantile.survfit").
_CODE = re.compile(r"::|[A-Za-z_]{4,}\(|=|[A-Za-z]\.[A-Za-z]")


def plain_method(text: str) -> str:
    """``text`` without parentheses that name software ("(quantile.survfit)", "(R coxph())").

    Example
    -------
    >>> plain_method("Greenwood variance of the cumulative hazard (quantile.survfit)")
    'Greenwood variance of the cumulative hazard'
    >>> plain_method("Fisher's exact test (Monte Carlo P value)")
    "Fisher's exact test (Monte Carlo P value)"
    """
    out: list[str] = []
    depth, start = 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                out.append(text[start:i])
                start = i
            depth += 1
        elif ch == ")" and depth > 0:
            depth -= 1
            if depth == 0:
                group = text[start : i + 1]
                # a whole (possibly nested) parenthesis goes when anything in it is code
                out.append("" if _CODE.search(group[1:-1]) else group)
                start = i + 1
    out.append(text[start:])
    return re.sub(r"\s+([;,.])", r"\1", re.sub(r"\s{2,}", " ", "".join(out))).strip()


def label_for(code: str, labels: Mapping[str, str] | None, default: Mapping[str, str]) -> str:
    if labels and code in labels:
        return labels[code]
    return default.get(code, code)
