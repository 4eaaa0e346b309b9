"""The survival prints: values printed in several places, and pooled Kaplan–Meier medians.

``repeated_values``: a median, P value or follow-up printed in several places must be
printed the same (which print is right is not determinable). ``median_between_group_medians``
(survival): the overall Kaplan–Meier median lies between the medians of the groups of a
grouping that partitions the cohort (a pooled curve is a mixture of the group curves).
"""

from __future__ import annotations

import math

from captemstats.audit.core import AUDIT_STEPS, AuditContext


def _repeated(ctx: AuditContext) -> None:
    """Every value printed more than once is printed the same as its first print."""
    s = ctx.study
    check = "repeated_values"
    seen: dict[tuple[str, ...], tuple[str, str]] = {}
    items: list[tuple[tuple[str, ...], str, str]] = [
        ((m.endpoint, m.grouping, m.group, "median"), m.printed, m.where)
        for m in s.survival.medians
    ]
    items += [((p.endpoint, p.grouping, "p"), p.printed, p.where) for p in s.survival.p_values]
    items += [
        (("text", t.kind, t.stat or "", str(t.refers_to)), t.printed, t.where)
        for t in s.text_values
        if t.kind in ("months",)
    ]
    for key, printed, where in items:
        ctx.examined(check)
        first_printed, first_where = seen.setdefault(key, (printed, where))
        if first_printed != printed:
            ctx.add(
                check=check,
                severity="warning",
                table="survival",
                item="/".join(key),
                field="printed",
                location=where,
                printed=printed,
                consistent=None,
                explanation=(
                    f"Printed {first_printed} at {first_where}; which is right is not determinable."
                ),
            )


def _pooled_medians(ctx: AuditContext) -> None:
    """The overall median between the medians of the lines and of the primary sites."""
    s = ctx.study
    overall = {m.endpoint: m.median_months for m in s.survival.medians if m.grouping == "overall"}
    for ep in ("pfs", "os"):
        for grouping in ("line", "primary_site"):  # groupings that partition the cohort
            ctx.examined("median_between_group_medians")
            meds = [
                m.median_months
                for m in s.survival.medians
                if m.endpoint == ep and m.grouping == grouping
            ]
            finite = [x for x in meds if x is not None]
            o = overall.get(ep)
            hi = math.inf if len(finite) < len(meds) else max(finite)
            if o is not None and finite and not min(finite) <= o <= hi:
                ctx.add(
                    check="median_between_group_medians",
                    severity="warning",
                    table="survival",
                    item=f"{ep}/{grouping}",
                    field="median_months",
                    location="Results para 2",
                    printed=str(o),
                    consistent=None,
                    explanation=f"The overall median lies outside the {grouping} medians.",
                )


@AUDIT_STEPS.register("survival_repeated", "survival values printed in several places")
def survival_repeated(ctx: AuditContext) -> None:
    """Repeated survival prints agree, and the overall KM median lies between the group
    medians (a mixture of survival curves)."""
    _repeated(ctx)
    _pooled_medians(ctx)
