"""Table 4 (adverse events) against Table 1's patients with such events.

``ae_counts_within_bounds``: grade 3–4 events of any one term cannot exceed the patients with
a grade 3–4 event (Table 1), and all terms' events must be at least that many; likewise for
treatment interruptions. (Table 4's percentages are checked in
:mod:`captemstats.audit.percentages`.)
"""

from __future__ import annotations

from captemstats.audit.core import AUDIT_STEPS, AuditContext, Table1Key, count_of


def _bounds(
    ctx: AuditContext, label: str, events: dict[str, int], patients: int, band: str
) -> None:
    """One kind of event: no term above the patients, all terms together at least them."""
    s = ctx.study
    check = "ae_counts_within_bounds"
    ctx.examined(check, len(events) + 1)
    for term, k in events.items():
        if k > patients:
            c = next(t for t in s.table4.terms if t.term == term).cells[band]
            ctx.add(
                check=check,
                severity="error",
                table="table4",
                item=f"{term}/{band}",
                field="n",
                location=c.where if c else term,
                printed=str(k),
                consistent=None,
                explanation=f"{k} {label} events exceed the {patients} patients (Table 1).",
            )
    if sum(events.values()) < patients:
        ctx.add(
            check=check,
            severity="error",
            table="table4",
            item=f"all/{band}",
            field="n",
            location="Table 4",
            printed=str(sum(events.values())),
            consistent=None,
            explanation=f"Fewer {label} events than the {patients} patients of Table 1.",
        )


@AUDIT_STEPS.register("table4_bounds", "Table 4 events against Table 1's patients")
def table4_bounds(ctx: AuditContext) -> None:
    """Grade 3–4 events and interruptions per term against the patients of Table 1 with a
    grade 3–4 event or an interruption (resolved counts)."""
    terms = ctx.study.table4.terms
    g34 = ctx.table1_counts[Table1Key("grade34_ae", "yes", "all")]
    interrupted = ctx.table1_counts[Table1Key("treatment_interruption", "yes", "all")]
    events34 = {t.term: count_of(t.cells["grade_3"]) + count_of(t.cells["grade_4"]) for t in terms}
    events_int = {t.term: count_of(t.cells["interruption"]) for t in terms}
    _bounds(ctx, "grade 3-4", events34, g34, "grade_3")
    _bounds(ctx, "interruption", events_int, interrupted, "interruption")
