"""Table 3 (Cox models): each HR against its CI and P, the text against the table, and the
direction of each HR against the Kaplan–Meier medians.

``cox_hr_within_ci`` / ``cox_ci_symmetry`` / ``cox_wald_p`` / ``cox_significance_vs_ci``: the HR
lies inside its CI; on the log scale the HR is the CI's midpoint; the Wald P recomputed from
the HR and CI (SE = log(upper/lower) / 3.92) agrees with the print (rounding or truncation,
over all rounding corners); P < .05 exactly when the CI excludes 1. ``text_vs_table`` (the
text's HRs) and ``cox_significant_list`` (the text's lists of significant factors).
``cox_direction_vs_km``: a covariate whose Kaplan–Meier comparison and Cox HR are both
significant must point the same way.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from captemstats.audit.core import AUDIT_STEPS, AuditContext, Severity
from captemstats.audit.inference_medians import COX_KM_GROUPINGS
from captemstats.audit.numbers import Z_TABLE3, p_interval_matches, wald_p, wald_p_corners
from captemstats.published import CoxRow

#: The print's rounding of an HR and its CI bounds (two decimals).
_HALF = 0.005
#: The covariates whose HR direction is checked against the KM medians.
_DIRECTION_COVARIATES = ("first_line", "grade_1_2", "ki67_le20")


def _row_finding(
    ctx: AuditContext,
    r: CoxRow,
    *,
    check: str,
    severity: Severity,
    field: str,
    printed: str,
    consistent: str | None,
    explanation: str,
) -> None:
    """Record a finding on a Table 3 row."""
    ctx.add(
        check=check,
        severity=severity,
        table="table3",
        item=f"{r.endpoint}/{r.covariate}",
        field=field,
        location=r.where,
        printed=printed,
        consistent=consistent,
        explanation=explanation,
    )


def _hr_within_ci(ctx: AuditContext, r: CoxRow) -> None:
    ctx.examined("cox_hr_within_ci")
    if not r.ci.lower <= r.hr.value <= r.ci.upper:
        _row_finding(
            ctx,
            r,
            check="cox_hr_within_ci",
            severity="error",
            field="hr",
            printed=f"{r.hr.printed} ({r.ci.printed})",
            consistent=None,
            explanation="The HR lies outside its CI.",
        )


def _ci_symmetry(ctx: AuditContext, r: CoxRow) -> None:
    hr, lo, hi, h = r.hr.value, r.ci.lower, r.ci.upper, _HALF
    ctx.examined("cox_ci_symmetry")
    mids = [(math.log(a) + math.log(b)) / 2 for a in (lo - h, lo + h) for b in (hi - h, hi + h)]
    if not (min(mids) <= math.log(hr + h) and math.log(hr - h) <= max(mids)):
        _row_finding(
            ctx,
            r,
            check="cox_ci_symmetry",
            severity="warning",
            field="hr",
            printed=f"{r.hr.printed} ({r.ci.printed})",
            consistent=f"{math.exp(sum(mids) / 4):.2f}",
            explanation="On the log scale the HR is not the midpoint of its Wald CI.",
        )


def _wald_p(ctx: AuditContext, r: CoxRow) -> None:
    hr, lo, hi, h = r.hr.value, r.ci.lower, r.ci.upper, _HALF
    ctx.examined("cox_wald_p")
    p_lo, p_hi = wald_p_corners((hr - h, hr + h), (lo - h, lo + h), (hi - h, hi + h), Z_TABLE3)
    if p_interval_matches(r.p_value.printed, p_lo, p_hi):
        return
    p0 = wald_p(hr, lo, hi, Z_TABLE3)
    _row_finding(
        ctx,
        r,
        check="cox_wald_p",
        severity="warning",
        field="p_value",
        printed=r.p_value.printed,
        consistent=None,
        explanation=(
            f"The Wald P from HR {r.hr.printed} and CI {r.ci.printed} is {p0:.3f} "
            f"(between {p_lo:.3f} and {p_hi:.3f} over the printed values' rounding); "
            "no single corrected print is determinable (the HR, the CI or the P may be "
            "the wrong one)."
        ),
    )


def _significance_vs_ci(ctx: AuditContext, r: CoxRow) -> None:
    lo, hi = r.ci.lower, r.ci.upper
    ctx.examined("cox_significance_vs_ci")
    sig = r.p_value.value < 0.05 and not (
        r.p_value.printed.startswith(".05") or r.p_value.printed == ".05"
    )
    excludes = lo > 1 or hi < 1
    if sig != excludes and not (lo == 1 or hi == 1):
        _row_finding(
            ctx,
            r,
            check="cox_significance_vs_ci",
            severity="warning",
            field="p_value",
            printed=r.p_value.printed,
            consistent=None,
            explanation="P < .05 but the CI includes 1, or the reverse.",
        )


@AUDIT_STEPS.register("table3_rows", "each Table 3 HR against its CI and P")
def table3_rows(ctx: AuditContext) -> None:
    """Per row: the HR inside its CI, at its log-scale midpoint, the Wald P as printed, and
    P < .05 exactly when the CI excludes 1."""
    for r in ctx.study.table3.rows:
        _hr_within_ci(ctx, r)
        _ci_symmetry(ctx, r)
        _wald_p(ctx, r)
        _significance_vs_ci(ctx, r)


# ---------------------------------------------------------------------- text vs Table 3
@AUDIT_STEPS.register("table3_in_text", "the text's HRs and significant factors vs Table 3")
def table3_in_text(ctx: AuditContext) -> None:
    """An HR restated in the text equals Table 3's, and the text's lists of significant
    factors are Table 3's factors with P < .05."""
    s = ctx.study
    for t in s.text_values:
        if t.kind == "cox" and t.refers_to is not None:
            ctx.examined("text_vs_table")
            ep, cov = t.refers_to["endpoint"], t.refers_to["covariate"]
            row = next(r for r in s.table3.rows if r.endpoint == ep and r.covariate == cov)
            got = (t.hr, t.lower, t.upper, t.p_value)
            want = (row.hr.value, row.ci.lower, row.ci.upper, row.p_value.value)
            if got != want:
                ctx.add(
                    check="text_vs_table",
                    severity="warning",
                    table="text",
                    item=t.id,
                    field="hr",
                    location=t.where,
                    printed=t.printed,
                    consistent=None,
                    explanation=f"Table 3 prints {want} ({row.where}).",
                )
        if t.kind == "covariate_list" and t.refers_to is not None and t.covariates is not None:
            ctx.examined("cox_significant_list")
            ep = t.refers_to["endpoint"]
            named = {
                r.covariate for r in s.table3.rows if r.endpoint == ep and r.p_value.value < 0.05
            }
            if named != set(t.covariates):
                ctx.add(
                    check="cox_significant_list",
                    severity="warning",
                    table="text",
                    item=t.id,
                    field="covariates",
                    location=t.where,
                    printed=t.printed,
                    consistent=", ".join(sorted(named)),
                    explanation="The text's significant factors differ from Table 3 (P < .05).",
                )


# ---------------------------------------------------------------- direction vs KM medians
def _medians_text(values: Sequence[float | None]) -> str:
    return ", ".join("not reached" if v is None else f"{v:g}" for v in values)


def _direction_explanation(
    r: CoxRow,
    sides: tuple[Sequence[float | None], Sequence[float | None]],
    exposed: tuple[str, ...],
    km_p: float,
    expected: str,
) -> str:
    """Why the HR should point the other way, and what the reversed reading would give."""
    hr = r.hr.value
    return (
        f"The Kaplan–Meier medians ({_medians_text(sides[0])} vs {_medians_text(sides[1])} "
        f"months, log-rank P = {km_p:g}) favour the "
        f"'{'/'.join(exposed)}' group, so the HR of '{r.label}' should be {expected}; "
        f"it is {hr:g} (P = {r.p_value.printed}). The reference category is "
        f"probably reversed (the Results name 'Ki-67 level of 21%-55%' as the "
        f"factor): read so, the HR would be {1 / hr:.2f} "
        f"({1 / r.ci.upper:.2f}-{1 / r.ci.lower:.2f}). Not determinable from the "
        "print; the synthetic registry must pick one reading."
    )


@AUDIT_STEPS.register("cox_direction_vs_km", "a significant HR against the KM medians' side")
def cox_direction_vs_km(ctx: AuditContext) -> None:
    """Both the KM comparison and the Cox HR significant -> the same direction."""
    s = ctx.study
    meds: dict[tuple[str, str, str], float | None] = {
        (m.endpoint, m.grouping, m.group): m.median_months for m in s.survival.medians
    }
    pvals: dict[tuple[str, str], float] = {
        (p.endpoint, p.grouping): p.value for p in s.survival.p_values
    }
    for r in s.table3.rows:
        if r.covariate not in _DIRECTION_COVARIATES:
            continue
        grouping, exposed, ref = COX_KM_GROUPINGS[r.covariate]
        ctx.examined("cox_direction_vs_km")
        km_p = pvals.get((r.endpoint, grouping), 1.0)
        if km_p >= 0.05 or r.p_value.value >= 0.05:
            continue
        e = [meds[(r.endpoint, grouping, g)] for g in exposed]
        f = [meds[(r.endpoint, grouping, g)] for g in ref]
        e_vals = [math.inf if x is None else x for x in e]
        f_vals = [math.inf if x is None else x for x in f]
        if min(e_vals) > max(f_vals):
            expected = "below 1"
        elif max(e_vals) < min(f_vals):
            expected = "above 1"
        else:
            continue
        if (expected == "below 1") != (r.hr.value < 1):
            _row_finding(
                ctx,
                r,
                check="cox_direction_vs_km",
                severity="warning",
                field="hr",
                printed=f"{r.hr.printed} ({r.ci.printed})",
                consistent=None,
                explanation=_direction_explanation(r, (e, f), exposed, km_p, expected),
            )
