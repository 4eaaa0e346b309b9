"""Table 2 (best response): sums, ORR and DCR, chi-square P values, the denominators.

``table2_row_column_sums``: the CR/PR/SD/PD rows against the printed denominators (located as
in Table 1). ``orr_dcr_composition``: ORR = CR + PR and DCR = CR + PR + SD (Methods; RECIST
1.1 §4.4 categories). ``p_value_chi_square``: the P of the CR row is the test of the whole
CR/PR/SD/PD distribution, those of ORR and DCR of yes/no by line.
``table2_vs_table1_denominators`` and ``one_course_vs_cycle_minimum``: Table 2's denominators
are Table 1's n minus the one-course patients of the footnote, and a line that lost one
cannot print a minimum of 2 cycles. The resolved counts are left in
:attr:`AuditContext.table2_counts`.
"""

from __future__ import annotations

from captemstats.audit.core import (
    AUDIT_STEPS,
    AuditContext,
    StatKey,
    Table2Key,
    count_of,
    printed_stats,
)
from captemstats.audit.numbers import chi2_p, pct_matches
from captemstats.audit.table1 import report_chi_square_p, report_single_errors
from captemstats.published import GROUPS, LINE_GROUPS, Cell

#: Derived responses and what they add up.
_COMPOSED = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}


def _response_sums(ctx: AuditContext, base: dict[str, dict[str, Cell]]) -> None:
    """The CR/PR/SD/PD grid against the denominators; the resolved counts are kept."""
    den = ctx.study.table2_denominators()
    check = "table2_row_column_sums"
    ctx.examined(check, len(base) * len(GROUPS))
    resolved = report_single_errors(
        ctx,
        base,
        den,
        den,
        check=check,
        table="table2",
        item_prefix="",
        explain=lambda at, new: "Row and column sums both need this value.",
    )
    for (lv, g), k in resolved.items():
        ctx.table2_counts[Table2Key(lv, g)] = k


def _composition_explanation(
    ctx: AuditContext, row: dict[str, Cell], comp: str, g: str, want: int
) -> str:
    """Why ``comp`` of group ``g`` must be ``want``: its parts, the All cell, its percent."""
    members = _COMPOSED[comp]
    c = row[g]
    den = ctx.study.table2_denominators()
    row_sum = sum(count_of(row[x]) for x in LINE_GROUPS)
    all_n = count_of(row["all"])
    parts = " + ".join(str(ctx.table2_counts[Table2Key(m, g)]) for m in members)
    why = f"{comp} = {' + '.join(members)} = {parts} = {want}"
    if g != "all" and all_n - (row_sum - count_of(c)) == want:
        why += f"; the All cell {all_n} also needs {want} here (the lines print {row_sum})"
    if c.pct_value is not None and pct_matches(c.pct_value, c.pct_decimals or 0, want, den[g]):
        why += f"; the printed {c.pct} is {want}/{den[g]}"
    return why + "."


def _composition(ctx: AuditContext, rows: dict[str, dict[str, Cell]]) -> None:
    """ORR and DCR derived from the resolved CR, PR and SD, against their prints."""
    check = "orr_dcr_composition"
    for g in GROUPS:
        for comp, members in _COMPOSED.items():
            ctx.examined(check)
            want = sum(ctx.table2_counts[Table2Key(m, g)] for m in members)
            ctx.table2_counts[Table2Key(comp, g)] = want
            c = rows[comp][g]
            if count_of(c) != want:
                ctx.add(
                    check=check,
                    severity="error",
                    table="table2",
                    item=f"{comp}/{g}",
                    field="n",
                    location=c.where,
                    printed=c.printed,
                    consistent=str(want),
                    explanation=_composition_explanation(ctx, rows[comp], comp, g, want),
                )


@AUDIT_STEPS.register("table2_counts", "Table 2 counts against their sums, ORR and DCR")
def table2_counts(ctx: AuditContext) -> None:
    """The CR/PR/SD/PD rows against the printed denominators, then ORR = CR + PR and
    DCR = CR + PR + SD per group."""
    rows: dict[str, dict[str, Cell]] = {
        r.response: dict(r.cells) for r in ctx.study.table2.responses
    }
    _response_sums(ctx, {k: rows[k] for k in ("CR", "PR", "SD", "PD")})
    _composition(ctx, rows)


# ------------------------------------------------------------------------- P values
@AUDIT_STEPS.register("table2_chi_square", "Table 2 P values recomputed by chi-square")
def table2_chi_square(ctx: AuditContext) -> None:
    """Each Table 2 P recomputed by Pearson's chi-square by line on the resolved counts
    (the CR row's P is the test of the whole CR/PR/SD/PD distribution: it reproduces .004)."""
    check = "p_value_chi_square"

    def by_line(*responses: str) -> list[int]:
        return [sum(ctx.table2_counts[Table2Key(r, g)] for r in responses) for g in LINE_GROUPS]

    tables = {
        "CR": [by_line(r) for r in ("CR", "PR", "SD", "PD")],
        "ORR": [by_line("ORR"), by_line("PD", "SD")],
        "DCR": [by_line("DCR"), by_line("PD")],
    }
    for r in ctx.study.table2.responses:
        if r.p_value is None:
            continue
        ctx.examined(check)
        p = chi2_p(tables[r.response])
        what = "CR/PR/SD/PD" if r.response == "CR" else f"{r.response} yes/no"
        report_chi_square_p(
            ctx,
            "table2",
            r.response,
            r.p_value,
            p,
            f"Pearson chi-square of {what} by line on the resolved counts gives P = {p:.4g}.",
        )


# ---------------------------------------------------------------------- denominators
def _denominators_vs_table1(ctx: AuditContext, one_course: dict[str, int]) -> None:
    """The one-course patients (Table 1 n − Table 2 denominator) are the footnote's."""
    s = ctx.study
    n = s.n_per_group()
    check = "table2_vs_table1_denominators"
    ctx.examined(check, len(GROUPS))
    excluded = s.table2.one_course_excluded.value
    if (
        one_course["all"] != excluded
        or any(one_course[g] < 0 for g in GROUPS)
        or one_course["all"] != sum(one_course[g] for g in LINE_GROUPS)
    ):
        ctx.add(
            check=check,
            severity="error",
            table="table2",
            item="denominators/all",
            field="denominator",
            location=s.table2.groups[0].denominator.where,
            printed=s.table2.groups[0].denominator.printed,
            consistent=str(n["all"] - excluded),
            explanation=f"Table 1 n {n['all']} minus the {excluded} one-course patients.",
        )


@AUDIT_STEPS.register("table2_denominators", "Table 2 denominators against Table 1")
def table2_denominators(ctx: AuditContext) -> None:
    """Table 2's denominators are Table 1's n minus the one-course patients, and a line that
    lost one cannot print a minimum of 2 cycles. Starts :attr:`AuditContext.continuous`."""
    s = ctx.study
    n = s.n_per_group()
    den = s.table2_denominators()
    stats = printed_stats(s)
    one_course = {g: n[g] - den[g] for g in GROUPS}
    _denominators_vs_table1(ctx, one_course)
    check = "one_course_vs_cycle_minimum"
    for g in GROUPS:
        ctx.examined(check)
        printed, where = stats[StatKey("cycles", "min", g)]
        if one_course[g] > 0 and float(printed) > 1:
            ctx.add(
                check=check,
                severity="error",
                table="table1_continuous",
                item=f"cycles/min/{g}",
                field="min",
                location=where,
                printed=printed,
                consistent="1",
                explanation=(
                    f"Table 2 counts {den[g]} of the {n[g]} patients of this line, so "
                    f"{one_course[g]} had a single course (Table 2 footnote) — the minimum "
                    f"cannot be {printed}. The denominator is pinned by its percentages "
                    f"(e.g. 15 = 30.0% needs 50), so the minimum must be 1."
                ),
            )
    ctx.continuous = {k: float(v.text) for k, v in stats.items()}
    for d in ctx.out:
        if d.table == "table1_continuous" and d.consistent is not None:
            var, stat, g = d.item.split("/")
            ctx.continuous[StatKey(var, stat, g)] = float(d.consistent)
