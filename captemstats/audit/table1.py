"""Table 1's categorical rows: row and column sums, chi-square P values, the age groups.

``table1_row_column_sums``: per-line counts must add up to the All column, and the levels of
a variable to the group's n (the 'Number' row); a single wrong cell is located where the
row residual and the column residual agree (:func:`locate_single_errors`, also used for
Table 2). ``p_value_chi_square``: each variable's P recomputed across the three lines on the
resolved counts. ``median_vs_category_counts``: a group's median age against its age-group
counts. The resolved counts are left in :attr:`AuditContext.table1_counts`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from captemstats.audit.core import (
    AUDIT_STEPS,
    AuditContext,
    StatKey,
    Table1Key,
    count_of,
    printed_stats,
)
from captemstats.audit.numbers import chi2_p, p_matches, pct_matches, rounded_p_text
from captemstats.published import (
    GROUPS,
    LINE_GROUPS,
    Cell,
    PrintedP,
    Variable,
    parse_printed_number,
)


class GridCell(NamedTuple):
    """One cell of a level × group grid."""

    level: str
    group: str


class Unexplained(NamedTuple):
    """A row whose residual no single cell explains."""

    level: str
    group: str
    why: str


def locate_single_errors(
    grid: dict[str, dict[str, Cell]],
    col_total: dict[str, int] | None,
    pct_den: dict[str, int],
) -> tuple[dict[GridCell, int], list[Unexplained]]:
    """Locate single wrong cells in a level × group grid.

    Returns (fixes {(level, group): consistent count}, unexplained rows). A line cell is
    wrong by δ when the row residual (All − Σ lines) is δ and its column residual (group
    n − Σ levels) is also δ; an All cell when the row residual is −δ and the All column
    residual is δ. Ties are broken by the printed percentage.
    """
    fixes: dict[GridCell, int] = {}
    unexplained: list[Unexplained] = []
    col_res = {
        g: (col_total[g] - sum(count_of(grid[lv][g]) for lv in grid)) if col_total else None
        for g in GROUPS
    }
    for lv, cells in grid.items():
        row_res = count_of(cells["all"]) - sum(count_of(cells[g]) for g in LINE_GROUPS)
        if row_res == 0:
            continue
        cands: list[tuple[str, int]] = []
        for g in GROUPS:
            delta = -row_res if g == "all" else row_res
            if col_total is not None and col_res[g] != delta:
                continue
            new = count_of(cells[g]) + delta
            cell = cells[g]
            if new < 0 or cell is None or cell.is_dash:
                continue
            cands.append((g, new))
        if len(cands) > 1:  # the printed percentage decides
            cands = [
                (g, new)
                for g, new in cands
                if (c := cells[g]) is not None
                and c.pct_value is not None
                and pct_matches(c.pct_value, c.pct_decimals or 0, new, pct_den[g])
            ]
        if len(cands) == 1:
            fixes[GridCell(lv, cands[0][0])] = cands[0][1]
        else:
            unexplained.append(
                Unexplained(lv, "all", f"row residual {row_res}, no single cell explains it")
            )
    return fixes, unexplained


def report_single_errors(
    ctx: AuditContext,
    grid: dict[str, dict[str, Cell]],
    col_total: dict[str, int] | None,
    pct_den: dict[str, int],
    *,
    check: str,
    table: str,
    item_prefix: str,
    explain: Callable[[GridCell, int], str],
) -> dict[GridCell, int]:
    """Record the single wrong cells :func:`locate_single_errors` finds in ``grid`` (item
    ``item_prefix`` + ``level/group``, ``explain`` saying why a located cell needs its value)
    and the rows no single cell explains; returns every cell's resolved count."""
    fixes, unexplained = locate_single_errors(grid, col_total, pct_den)
    found: list[tuple[GridCell, str | None, str]] = [
        (at, str(new), explain(at, new)) for at, new in fixes.items()
    ]
    found += [(GridCell(u.level, u.group), None, u.why + ".") for u in unexplained]
    for at, consistent, why in found:
        c = grid[at.level][at.group]
        ctx.add(
            check=check,
            severity="error",
            table=table,
            item=f"{item_prefix}{at.level}/{at.group}",
            field="n",
            location=c.where,
            printed=c.printed,
            consistent=consistent,
            explanation=why,
        )
    return {
        GridCell(lv, g): fixes.get(GridCell(lv, g), count_of(c))
        for lv, cells in grid.items()
        for g, c in cells.items()
    }


def report_chi_square_p(
    ctx: AuditContext, table: str, item: str, printed: PrintedP, p: float, explanation: str
) -> None:
    """Warn (check ``p_value_chi_square``) when ``printed`` is neither the rounding nor the
    truncation of the recomputed ``p``; the consistent print has as many decimals."""
    if p_matches(printed.printed, p):
        return
    k = parse_printed_number(printed.printed)
    ctx.add(
        check="p_value_chi_square",
        severity="warning",
        table=table,
        item=item,
        field="p_value",
        location=printed.where,
        printed=printed.printed,
        consistent=rounded_p_text(p, k[1] if k else 2),
        explanation=explanation,
    )


# ------------------------------------------------------------------------ row/column sums
_SUMS = "table1_row_column_sums"


def _number_row(ctx: AuditContext) -> None:
    """The 'Number' row: the per-line n must add up to All."""
    s = ctx.study
    n = s.n_per_group()
    ctx.examined(_SUMS)
    if n["all"] != sum(n[g] for g in LINE_GROUPS):
        ctx.add(
            check=_SUMS,
            severity="error",
            table="table1",
            item="number/patients/all",
            field="n",
            location=s.table1.groups[0].cell.where,
            printed=str(n["all"]),
            consistent=str(sum(n[g] for g in LINE_GROUPS)),
            explanation="The per-line numbers do not add up to All.",
        )


def _fix_explanation(
    grid: dict[str, dict[str, Cell]], at: GridCell, new: int, n: dict[str, int], partition: bool
) -> str:
    """Why the cell ``at`` must be ``new``: its row, its column, its printed percentage."""
    lv, g = at
    row = [count_of(grid[lv][x]) for x in LINE_GROUPS]
    all_n = count_of(grid[lv]["all"])
    why = (
        f"The lines add up to {sum(row)} but All prints {all_n}"
        if g == "all"
        else f"Row: All {all_n} minus the other lines leaves {new}"
    )
    if partition:
        why += f"; column: the group's n {n[g]} minus the other levels leaves {new}"
    c = grid[lv][g]
    if c.pct_value is not None and pct_matches(c.pct_value, c.pct_decimals or 0, new, n[g]):
        why += f"; the printed percentage {c.pct} is {new}/{n[g]}"
    return why + "."


def _variable_sums(ctx: AuditContext, v: Variable, n: dict[str, int]) -> None:
    """One variable's grid: locate wrong cells, record them and the resolved counts."""
    grid = {lv.level: dict(lv.cells) for lv in v.levels}
    partition = len(v.levels) > 1
    ctx.examined(_SUMS, len(grid) * len(GROUPS))
    resolved = report_single_errors(
        ctx,
        grid,
        n if partition else None,
        n,
        check=_SUMS,
        table="table1",
        item_prefix=f"{v.variable}/",
        explain=lambda at, new: _fix_explanation(grid, at, new, n, partition),
    )
    for (lv, g), k in resolved.items():
        ctx.table1_counts[Table1Key(v.variable, lv, g)] = k


@AUDIT_STEPS.register("table1_counts", "Table 1 counts against their row and column sums")
def table1_counts(ctx: AuditContext) -> None:
    """Per-line counts add up to All, and a variable's levels to the group n (Table 1
    'Number' row); the resolved counts are kept for the later checks."""
    n = ctx.study.n_per_group()
    _number_row(ctx)
    for v in ctx.study.table1.variables:
        _variable_sums(ctx, v, n)


# ------------------------------------------------------------------------- P values
@AUDIT_STEPS.register("table1_chi_square", "Table 1 P values recomputed by chi-square")
def table1_chi_square(ctx: AuditContext) -> None:
    """Each Table 1 P recomputed by Pearson's chi-square across the three lines on the
    resolved counts; a print matches when it is the P rounded or truncated."""
    check = "p_value_chi_square"
    for v in ctx.study.table1.variables:
        if v.p_value is None:
            continue
        ctx.examined(check)
        tab = [
            [ctx.table1_counts[Table1Key(v.variable, lv.level, g)] for g in LINE_GROUPS]
            for lv in v.levels
        ]
        p = chi2_p(tab)
        report_chi_square_p(
            ctx,
            "table1",
            v.variable,
            v.p_value,
            p,
            f"Pearson chi-square across the three lines on the resolved counts gives "
            f"P = {p:.4g}; the print is neither its rounding nor its truncation.",
        )


# ------------------------------------------------------------------- age median vs groups
@AUDIT_STEPS.register("age_median_vs_groups", "a group's median age against its age groups")
def age_median_vs_groups(ctx: AuditContext) -> None:
    """A group's median age must agree with its age-group counts (fewer than half below
    50, at least half at most 70)."""
    s = ctx.study
    stats = printed_stats(s)
    check = "median_vs_category_counts"
    v = s.variable("age_group")
    for g in GROUPS:
        ctx.examined(check)
        med = float(stats[StatKey("age", "median", g)].text)
        cells = {lv.level: lv.cells[g] for lv in v.levels}
        total = sum(count_of(c) for c in cells.values())
        below = count_of(cells["<50"])
        upto70 = below + count_of(cells["50-70"])
        # median >= 50 needs fewer than half under 50; median <= 70 needs half at most 70
        ok = (med < 50 or below <= total / 2) and (med > 70 or upto70 >= total / 2)
        if not ok:
            c = cells["50-70"]
            ctx.add(
                check=check,
                severity="error",
                table="table1",
                item=f"age_group/50-70/{g}",
                field="n",
                location=c.where,
                printed=c.printed,
                consistent=str(ctx.table1_counts[Table1Key("age_group", "50-70", g)]),
                explanation=(
                    f"Median age {med:g} lies in 50-70, but the printed counts put only "
                    f"{upto70} of {total} patients at 70 or younger."
                ),
            )
