"""The ``n (p)`` cells of Tables 1, 2 and 4: their format and their percentages.

``cell_format``: a cell that is not exactly ``n (p)`` (stray or missing parenthesis, a ``%``
sign). ``percentage``: a printed percentage ``p`` with ``k`` decimals must equal
``round(100 n / d, k)``, half-up or half-even (they differ only on exact ties); ``d`` is the
group n (Table 1), the printed denominator (Table 2) or 308 (Table 4), ``n`` the resolved
count, so that a cell whose count was corrected is not flagged twice.
"""

from __future__ import annotations

from captemstats.audit.core import AUDIT_STEPS, AuditContext, Table1Key, Table2Key, count_of
from captemstats.audit.numbers import counts_for_pct, exact_pct, pct_matches, rounded_pct_text
from captemstats.published import Cell, parse_printed_number


def _clean_pct(c: Cell) -> str:
    """The cell's percentage as a bare number (``"31.9)"`` -> ``"31.9"``)."""
    parsed = None if c.pct is None else parse_printed_number(c.pct)
    return "" if parsed is None else f"{parsed[0]:.{parsed[1]}f}"


def _cell_format(ctx: AuditContext, table: str, item: str, c: Cell) -> None:
    """A cell not printed exactly ``n (p)``."""
    ctx.examined("cell_format")
    if not c.well_formed:
        ctx.add(
            check="cell_format",
            severity="info",
            table=table,
            item=item,
            field="printed",
            location=c.where,
            printed=c.printed,
            consistent=f"{c.n} ({_clean_pct(c)})",
            explanation="The cell is not printed as 'n (p)'.",
        )


def check_cell(ctx: AuditContext, table: str, item: str, c: Cell | None, n: int, d: int) -> None:
    """Check one printed cell: its format, then its percentage against ``n`` of ``d`` (the
    count is kept: it agrees with the row and column sums)."""
    if c is None or c.is_dash:
        return
    _cell_format(ctx, table, item, c)
    if c.pct_value is None:
        return
    ctx.examined("percentage")
    k = c.pct_decimals or 0
    if pct_matches(c.pct_value, k, n, d):
        return
    implied = counts_for_pct(c.pct_value, k, d)
    why = f"{n}/{d} = {float(exact_pct(n, d)):.3f}%, printed {c.pct}"
    why += (
        f"; the printed percentage would need n = {', '.join(map(str, implied))} of {d}"
        if implied
        else f"; no whole count out of {d} gives {c.pct_value:g}%"
    )
    why += "; the count is kept (it agrees with the row and column sums)."
    ctx.add(
        check="percentage",
        severity="warning",
        table=table,
        item=item,
        field="pct",
        location=c.where,
        printed=c.printed,
        consistent=rounded_pct_text(n, d, k),
        explanation=why,
    )


@AUDIT_STEPS.register("table1_percentages", "Table 1 percentages of the group n")
def table1_percentages(ctx: AuditContext) -> None:
    """Table 1's cells: the 'Number' row as a percentage of All, every level of the group n
    (on the resolved counts)."""
    s = ctx.study
    n = s.n_per_group()
    for gh in s.table1.groups:
        check_cell(ctx, "table1", f"number/patients/{gh.group}", gh.cell, n[gh.group], n["all"])
    for v in s.table1.variables:
        for lv in v.levels:
            for g, c in lv.cells.items():
                count = ctx.table1_counts[Table1Key(v.variable, lv.level, g)]
                check_cell(ctx, "table1", f"{v.variable}/{lv.level}/{g}", c, count, n[g])


@AUDIT_STEPS.register("table2_percentages", "Table 2 percentages of the printed denominators")
def table2_percentages(ctx: AuditContext) -> None:
    """Table 2's cells as percentages of the printed denominators (on the resolved counts,
    ORR and DCR derived)."""
    den = ctx.study.table2_denominators()
    for r in ctx.study.table2.responses:
        for g, c in r.cells.items():
            count = ctx.table2_counts[Table2Key(r.response, g)]
            check_cell(ctx, "table2", f"{r.response}/{g}", c, count, den[g])


@AUDIT_STEPS.register("table4_percentages", "Table 4 percentages of the 308 patients")
def table4_percentages(ctx: AuditContext) -> None:
    """Table 4's cells as percentages of its denominator (printed counts; none is
    corrected)."""
    d4 = ctx.study.table4.denominator.value
    for t in ctx.study.table4.terms:
        for band, c4 in t.cells.items():
            if c4 is not None:
                check_cell(ctx, "table4", f"{t.term}/{band}", c4, count_of(c4), d4)
