"""Running the audit: every arithmetic check, the rounding grade, then the inference checks.

:func:`audit_published` runs the arithmetic steps of :data:`~captemstats.audit.core.AUDIT_STEPS`
in their order on one :class:`~captemstats.audit.core.AuditContext`, grades their
percentage findings by the rounding rule (:func:`grade_rounding_only`), then appends what
:func:`run_inference_checks` finds. Importing this module registers every check.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Sequence
from fractions import Fraction

# The check modules register their functions when imported; the registries run them in
# their declared order whatever the order of these imports.
from captemstats.audit import (  # noqa: F401
    inference_events,
    inference_medians,
    inference_significance,
    percentages,
    survival,
    table1,
    table1_continuous,
    table2,
    table3,
    table4,
    text,
)
from captemstats.audit.core import (
    AUDIT_STEPS,
    CHECKS,
    AuditContext,
    AuditResult,
    Discrepancy,
    InferenceContext,
)
from captemstats.audit.numbers import printed_decimals
from captemstats.published import PublishedStudy


def run_inference_checks(study: PublishedStudy) -> tuple[list[Discrepancy], dict[str, int]]:
    """Run every registered check on the printed values.

    Parameters
    ----------
    study : PublishedStudy
        The printed values (:func:`captemstats.published.load_published`).

    Returns
    -------
    tuple of (list of Discrepancy, dict of str to int)
        The findings, in check order, and how many values each check examined.
    """
    ctx = InferenceContext(study)
    for check_id, (fn, _) in CHECKS.items():
        ctx.examined(check_id, 0)
        fn(ctx)
    return ctx.out, ctx.checks


def _printed_pct(printed: str) -> str | None:
    """The percentage of a printed cell (``"127 (41.3)"``) or text (``"22.5%"``)."""
    m = re.search(r"\((\d+(?:\.\d+)?)", printed) or re.fullmatch(
        r"\s*(\d+(?:\.\d+)?)%?\s*", printed
    )
    return None if m is None else m.group(1)


def _one_unit_apart(printed: str, consistent: str) -> bool:
    """Two percentages with the same decimals at most one unit in the last digit apart."""
    k = printed_decimals(printed)
    return k == printed_decimals(consistent) and abs(
        Fraction(printed) - Fraction(consistent)
    ) <= Fraction(1, 10**k)


def grade_rounding_only(found: Sequence[Discrepancy]) -> list[Discrepancy]:
    """The arithmetic checks' percentage findings graded by the rounding rule.

    Parameters
    ----------
    found : sequence of Discrepancy
        Findings of :func:`captemstats.audit.audit_published`'s own checks.

    Returns
    -------
    list of Discrepancy
        The same findings; a ``percentage`` or ``text_vs_table`` percentage ``warning`` whose
        printed value is one unit in its last digit from the consistent one (``41.3`` for
        41.2, ``22.5%`` for 22.4%: a rounding slip, e.g. double rounding) becomes ``info``.
        Nothing else changes (``consistent`` and the explanation are kept).
    """
    out = []
    for d in found:
        printed = _printed_pct(d.printed)
        if (
            d.check in ("percentage", "text_vs_table")
            and d.field == "pct"
            and d.severity == "warning"
            and d.consistent is not None
            and printed is not None
            and (consistent := _printed_pct(d.consistent)) is not None
            and _one_unit_apart(printed, consistent)
        ):
            d = dataclasses.replace(d, severity="info")
        out.append(d)
    return out


def audit_published(study: PublishedStudy) -> AuditResult:
    """Run every check (:mod:`captemstats.audit`) on the printed values; return all
    discrepancies."""
    ctx = AuditContext(study)
    for step, _ in AUDIT_STEPS.values():
        step(ctx)
    ctx.out[:] = grade_rounding_only(ctx.out)
    found, examined = run_inference_checks(study)
    ctx.out.extend(found)
    for check, k in examined.items():
        ctx.examined(check, k)
    return AuditResult(discrepancies=list(ctx.out), checks=dict(ctx.checks))
