"""Inference checks on P values: the prose's words against P, and P against the CI.

``significance_statement``
    A statement of significance in the prose ("no significant difference", "significantly
    improved", "was one of the factors affecting", the Results' lists of significant Cox
    factors; ``kind: significance`` and ``kind: covariate_list`` text values) against the P
    printed for the same comparison. The Methods' rule: P < .05 is significant.
``p_vs_ci``
    Each P printed beside an HR and its CI outside Table 3 (the Discussion's restated
    first-line HRs) recomputed as the Wald P from the HR and CI (SE = log(upper/lower) /
    3.92), and P < .05 ⇔ the CI excludes 1. Table 3 itself is ``cox_wald_p`` /
    ``cox_significance_vs_ci`` of :mod:`captemstats.audit.table3`.
"""

from __future__ import annotations

import re
from fractions import Fraction

from captemstats.audit.core import CHECKS, InferenceContext, Severity
from captemstats.audit.numbers import (
    ALPHA,
    Z_975,
    ci_parts,
    is_significant,
    p_print_interval,
    p_text,
    wald_p,
    wald_p_range,
)
from captemstats.published import SIGNIFICANCE_CLAIMS, CoxRow, PublishedStudy, TextValue

_HR_CI_P = re.compile(
    r"HR:?\s*(?P<hr>\d*\.\d+).*?P\s*(?P<p>[=<]\s*\d*\.\d+).*?(?P<ci>\d*\.\d+\s*[-–]\s*\d*\.\d+)"
)


# ------------------------------------------------------------------ significance words
def _statement_p(study: PublishedStudy, t: TextValue) -> tuple[str, str] | None:
    """(printed P, where it is printed) for the comparison a statement refers to."""
    ref = t.refers_to or {}
    table = ref.get("table")
    if table == "cited":
        return (t.p_printed, t.where) if t.p_printed is not None else None
    if table == "survival":
        for p in study.survival.p_values:
            if p.endpoint == ref.get("endpoint") and p.grouping == ref.get("grouping"):
                return p.printed, p.where
        return None
    if table == "table1":
        pv = study.variable(ref["variable"]).p_value
        return None if pv is None else (pv.printed, pv.where)
    if table == "table2":
        row = next((r for r in study.table2.responses if r.response == ref.get("response")), None)
        return (
            None if row is None or row.p_value is None else (row.p_value.printed, row.p_value.where)
        )
    if table == "table3":
        cox = _cox_row(study, ref.get("endpoint", ""), ref.get("covariate", ""))
        return None if cox is None else (cox.p_value.printed, cox.where)
    return None


def _cox_row(study: PublishedStudy, endpoint: str, covariate: str) -> CoxRow | None:
    return next(
        (r for r in study.table3.rows if r.endpoint == endpoint and r.covariate == covariate),
        None,
    )


def significance_severity(claim: str, p_printed: str) -> Severity | None:
    """How far a claim of (non-)significance is from the printed P.

    Parameters
    ----------
    claim : str
        ``"significant"`` or ``"not significant"``.
    p_printed : str
        The P printed for the same comparison.

    Returns
    -------
    {'warning', 'info'} or None
        ``None`` when the printed value agrees with the claim (P < .05 ⇔ significant);
        ``"info"`` when only a value in the print's rounding/truncation interval agrees
        (e.g. "significant" with P = .05, which may be a rounded .046); ``"warning"`` when
        no value that prints so agrees.
    """
    says_significant = claim == "significant"
    if is_significant(p_printed) == says_significant:
        return None
    low, high = p_print_interval(p_printed)
    possible = low < ALPHA if says_significant else high > ALPHA
    return "info" if possible else "warning"


def _statements(study: PublishedStudy) -> list[tuple[TextValue, str, str, tuple[str, str] | None]]:
    """Every (text value, item, claim, (printed P, where)) the prose states; a list of
    significant Cox factors gives one statement per factor."""
    items: list[tuple[TextValue, str, str, tuple[str, str] | None]] = []
    for t in study.text_values:
        if t.kind == "significance" and t.claim in SIGNIFICANCE_CLAIMS:
            items.append((t, t.id, t.claim, _statement_p(study, t)))
        elif t.kind == "covariate_list" and t.refers_to and t.covariates:
            for cov in t.covariates:
                row = _cox_row(study, t.refers_to.get("endpoint", ""), cov)
                p = None if row is None else (row.p_value.printed, row.where)
                items.append((t, f"{t.id}/{cov}", "significant", p))
    return items


@CHECKS.register("significance_statement", "a statement of significance against its printed P")
def significance_statement(ctx: InferenceContext) -> None:
    """Each statement of significance in the prose has P < .05 exactly when it claims one.

    The rule is the Methods' ("a P-value of less than .05 was considered to be
    statistically significant"); the P is the one printed for the same comparison (the
    log-rank P of the grouping, the Table 1/2 chi-square P, the Table 3 P, or the P the
    sentence prints for a cited study). The Results' lists of significant Cox factors
    (``covariate_list``) are checked factor by factor here; that the lists are complete is
    ``cox_significant_list`` of :mod:`captemstats.audit.table3`.
    """
    check = "significance_statement"
    for t, item, claim, p in _statements(ctx.study):
        if p is None:
            continue
        ctx.examined(check)
        severity = significance_severity(claim, p[0])
        if severity is None:
            continue
        p_words = f"P = {p_text(p[0])}" if not p_text(p[0]).startswith("<") else f"P {p[0]}"
        why = (
            f"'{t.quote}' says the comparison is {claim}, but the P printed for it is "
            f"{p_words} ({p[1]}); the Methods count P < .05 as significant. Whether the "
            "words or the P are wrong is not determinable from the print."
        )
        if severity == "info":
            why += " Rounding-only: a P that prints so may lie on the other side of .05."
        elif (t.refers_to or {}).get("table") == "cited":
            why += " The statement is about a cited study; its own P contradicts its wording."
        ctx.add(check, severity, "text", item, "claim", t.where, f"{t.printed} ({p_words})", why)


# ---------------------------------------------------------------------------- P vs CI
def _wald_tier(hr: str, lower: str, upper: str, p_printed: str) -> Severity | None:
    """``None`` when the printed P is the Wald P within the prints' rounding, ``info``
    within one unit of their last digits, ``warning`` otherwise."""
    low, high = p_print_interval(p_printed)
    tiers: tuple[tuple[float, Severity | None], ...] = ((0.5, None), (1.0, "info"))
    for units, sev in tiers:
        p_lo, p_hi = wald_p_range(hr, lower, upper, units)
        if Fraction(p_lo) < high and Fraction(p_hi) >= low:
            return sev
    return "warning"


@CHECKS.register("p_vs_ci", "a P value against the HR and CI printed beside it (outside Table 3)")
def p_vs_ci(ctx: InferenceContext) -> None:
    """Each P printed with an HR and its CI in the text is their Wald P, and P < .05
    exactly when the CI excludes 1 (Table 3: ``cox_wald_p`` in
    :mod:`captemstats.audit.table3`)."""
    check = "p_vs_ci"
    for t in ctx.study.text_values:
        if t.kind != "cox":
            continue
        m = _HR_CI_P.search(t.printed)
        if m is None:
            continue
        ctx.examined(check)
        lower, upper = ci_parts(m.group("ci"))
        p_printed = m.group("p").replace("=", "").strip()
        severity = _wald_tier(m.group("hr"), lower, upper, p_printed)
        excludes = float(lower) > 1 or float(upper) < 1
        touches = float(lower) == 1 or float(upper) == 1
        contradicts = is_significant(p_printed) != excludes and not touches
        if severity is None and not contradicts:
            continue
        p0 = wald_p(float(m.group("hr")), float(lower), float(upper), Z_975)
        why = (
            f"The Wald P of HR {m.group('hr')} with 95% CI {m.group('ci')} is {p0:.4f}; "
            f"the text prints P {m.group('p')}."
        )
        if contradicts:
            severity = "warning"
            why += " P < .05 and a CI that includes 1 (or the reverse) cannot both hold."
        elif severity == "info":
            why += " Rounding-only: one unit in the prints' last digits reconciles them."
        why += " Which print is wrong is not determinable."
        assert severity is not None
        ctx.add(check, severity, "text", t.id, "p_value", t.where, t.printed, why)
