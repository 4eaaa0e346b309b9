"""Numbers restated in the abstract and the text against the tables, and the group labels.

``text_vs_table``: a number restated in the abstract or text must equal the table (counts
exactly, on the resolved counts; percentages after rounding the resolved count to the
text's decimals; P values and Table 1's continuous values as printed). A restated
percentage that equals the table's own print is a ``percentage`` finding instead.
``label``: group labels that overlap (Figure 3's "3%-20%, 20%-55%"). (Text restating
Table 3 is checked with it, :mod:`captemstats.audit.table3`.)
"""

from __future__ import annotations

import math

from captemstats.audit.core import (
    AUDIT_STEPS,
    AuditContext,
    StatKey,
    Table1Key,
    Table2Key,
    count_of,
    printed_stats,
)
from captemstats.audit.numbers import counts_for_pct, exact_pct, pct_matches, rounded_pct_text
from captemstats.published import Cell, PublishedStudy, TextValue

_CHECK = "text_vs_table"


def _table_cell(s: PublishedStudy, ref: dict[str, str]) -> Cell | None:
    """The table cell a text value restates (Tables 1, 2 and 4), if any."""
    if ref.get("table") == "table1":
        if ref["variable"] == "number":
            return next(g.cell for g in s.table1.groups if g.group == ref["group"])
        v = s.variable(ref["variable"])
        return next(lv.cells[ref["group"]] for lv in v.levels if lv.level == ref["level"])
    if ref.get("table") == "table2":
        r = next(r for r in s.table2.responses if r.response == ref["response"])
        return r.cells[ref["group"]]
    if ref.get("table") == "table4":
        t = next(t for t in s.table4.terms if t.term == ref["term"])
        return t.cells[ref["band"]]
    return None


def _resolved_count(ctx: AuditContext, ref: dict[str, str]) -> int | None:
    """The resolved count of the cell a text value restates."""
    if ref.get("table") == "table1":
        if ref["variable"] == "number":
            return ctx.study.n_per_group()[ref["group"]]
        return ctx.table1_counts.get(Table1Key(ref["variable"], ref["level"], ref["group"]))
    if ref.get("table") == "table2":
        return ctx.table2_counts.get(Table2Key(ref["response"], ref["group"]))
    cell = _table_cell(ctx.study, ref)
    return None if cell is None else count_of(cell)


def _denominator(ctx: AuditContext, ref: dict[str, str]) -> int:
    """The denominator of a restated percentage when the text does not give one."""
    if ref.get("table") == "table2":
        return ctx.study.table2_denominators()[ref["group"]]
    if ref.get("table") == "table1" and ref["variable"] != "number":
        return ctx.study.n_per_group()[ref["group"]]
    return ctx.study.n_per_group()["all"]


def _text_finding(
    ctx: AuditContext,
    t: TextValue,
    field: str,
    consistent: str,
    explanation: str,
    check: str = _CHECK,
) -> None:
    """Record a restated value that disagrees with its table."""
    ctx.add(
        check=check,
        severity="warning",
        table="text",
        item=t.id,
        field=field,
        location=t.where,
        printed=t.printed,
        consistent=consistent,
        explanation=explanation,
    )


def _count(ctx: AuditContext, t: TextValue, ref: dict[str, str], value: float) -> None:
    """A restated count equals the resolved count."""
    ctx.examined(_CHECK)
    cell = _table_cell(ctx.study, ref)
    want = _resolved_count(ctx, ref)
    if cell is not None and want is not None and int(value) != want:
        why = f"'{t.quote}' — the table prints {cell.printed} ({cell.where})"
        why += f"; the text claims '{t.claim}'" if t.claim else ""
        _text_finding(ctx, t, "n", str(want), why + ".")


def _percent(ctx: AuditContext, t: TextValue, ref: dict[str, str], value: float) -> None:
    """A restated percentage is the resolved count's, rounded to the text's decimals."""
    ctx.examined(_CHECK)
    cell = _table_cell(ctx.study, ref)
    want = _resolved_count(ctx, ref)
    if cell is None or want is None:
        return
    d = t.denominator or _denominator(ctx, ref)
    if ref.get("variable") == "number":
        want = ctx.study.n_per_group()[ref["group"]]
    if pct_matches(value, t.decimals, want, d):
        return
    same_as_table = cell.pct_value is not None and math.isclose(cell.pct_value, value)
    implied = counts_for_pct(value, t.decimals, d)
    why = (
        f"'{t.quote}' — {want}/{d} = {float(exact_pct(want, d)):.2f}%; the table prints "
        f"{cell.printed} ({cell.where})"
    )
    why += (
        f"; the printed {t.printed} would need n = {', '.join(map(str, implied))}"
        if implied
        else f"; no whole count out of {d} gives {t.printed}"
    )
    consistent = rounded_pct_text(want, d, t.decimals) + "%"
    check = "percentage" if same_as_table else _CHECK
    _text_finding(ctx, t, "pct", consistent, why + ".", check=check)


def _p_value(ctx: AuditContext, t: TextValue, ref: dict[str, str]) -> None:
    """A restated Table 1 or 2 P is printed as in the table."""
    ctx.examined(_CHECK)
    s = ctx.study
    if ref["table"] == "table2":
        pv = next(r for r in s.table2.responses if r.response == ref["response"]).p_value
    else:
        pv = s.variable(ref["variable"]).p_value
    restated = t.printed.split("P")[-1].replace("=", "").replace(" ", "")
    if pv is not None and pv.printed.replace(" ", "") != restated:
        _text_finding(
            ctx, t, "p_value", pv.printed, f"The table prints P = {pv.printed} ({pv.where})."
        )


def _continuous(ctx: AuditContext, t: TextValue, ref: dict[str, str], value: float) -> None:
    """A restated Table 1 continuous value is printed as in the table."""
    ctx.examined(_CHECK)
    printed, where = printed_stats(ctx.study)[StatKey(ref["variable"], ref["stat"], ref["group"])]
    if float(printed) != value:
        _text_finding(ctx, t, ref["stat"], printed, f"Table 1 prints {printed} ({where}).")


@AUDIT_STEPS.register("text_vs_tables", "numbers restated in the text against the tables")
def text_vs_tables(ctx: AuditContext) -> None:
    """Each number the text restates from Tables 1, 2 and 4 (counts, percentages, P values,
    continuous values) equals the table."""
    for t in ctx.study.text_values:
        ref = t.refers_to
        if ref is None or t.value is None:
            continue
        table = ref.get("table")
        if t.kind == "count" and table in ("table1", "table2", "table4"):
            _count(ctx, t, ref, t.value)
        elif t.kind == "percent":
            _percent(ctx, t, ref, t.value)
        elif t.kind == "p_value" and table in ("table1", "table2"):
            _p_value(ctx, t, ref)
        elif table == "table1_continuous":
            _continuous(ctx, t, ref, t.value)


@AUDIT_STEPS.register("text_labels", "group labels that overlap")
def text_labels(ctx: AuditContext) -> None:
    """Group labels that overlap (Figure 3's '3%-20%, 20%-55%')."""
    for t in ctx.study.text_values:
        if t.kind != "label":
            continue
        ctx.examined("label")
        if t.printed.startswith("20%"):
            ctx.add(
                check="label",
                severity="info",
                table="text",
                item=t.id,
                field="label",
                location=t.where,
                printed=t.printed,
                consistent="21%-55%",
                explanation=(
                    "The groups '3%-20%' and '20%-55%' overlap at 20%; Table 1 and Table 3 "
                    "use 21-55 (the Results say '>20%')."
                ),
            )
