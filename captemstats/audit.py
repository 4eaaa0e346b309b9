"""Audit of the CAPTEM paper's printed values, and one consistent set of values derived from it.

:func:`audit_published` recomputes everything that can be recomputed from the printed numbers
(:mod:`captemstats.published`) and lists every disagreement as a :class:`Discrepancy`:
location, printed value, the value that makes the arithmetic consistent when one is
determinable (else ``None`` with the reason), the check that found it and a severity.
:func:`resolve` turns the printed values plus the audit into :class:`ResolvedValues`, the
internally consistent tidy tables the synthetic registry is calibrated to.

Checks (``Discrepancy.check``)
------------------------------
``table1_row_column_sums``
    Per-line counts must add up to the All column, and the levels of a variable to the
    group's n (Table 1 'Number' row). A single wrong cell is located where the row residual
    and the column residual agree; its consistent value is ``printed + residual``.
``table2_row_column_sums``
    The same for Table 2's CR/PR/SD/PD rows against the printed denominators.
``orr_dcr_composition``
    ORR = CR + PR and DCR = CR + PR + SD (Methods; RECIST 1.1 §4.4 categories), per group.
``percentage``
    A printed percentage ``p`` with ``k`` decimals must equal ``round(100 n / d, k)``;
    both half-up and half-even rounding are accepted (they differ only on exact ties).
    ``d`` is the group n (Table 1), the printed denominator (Table 2) or 308 (Table 4).
    ``n`` is the resolved count, so a cell whose count was corrected is not flagged twice.
    A print one unit in its last digit off (41.3 for 41.2) is rounding-only: ``info``
    (:func:`captemstats.audit_inference.grade_rounding_only`; also for ``text_vs_table``).
``cell_format``
    A cell that is not exactly ``n (p)`` (stray or missing parenthesis, a ``%`` sign).
``p_value_chi_square``
    Table 1 and 2 P values recomputed by Pearson's chi-square test of independence across
    the three lines (as the Methods state; no continuity correction, as SPSS prints for
    tables larger than 2 × 2) on the resolved counts. The paper *truncates* most P values
    (e.g. .3959 printed .39, five of thirteen Table 1 rows), so a print matches when it
    equals the recomputed P rounded **or** truncated to the printed decimals; ``<.001``
    matches any P below .001. Table 2's P in the CR row is read as the test of the whole
    CR/PR/SD/PD distribution (it reproduces .004).
``table2_vs_table1_denominators``
    Table 2's denominators must be Table 1's n minus the one-course patients of the
    footnote (four in all).
``one_course_vs_cycle_minimum``
    A line that lost a one-course patient from Table 2 cannot print a minimum of 2 cycles.
``range_within_overall``
    Each line's min/max must lie inside the All column's range (the All range is the union).
``median_between_group_medians``
    The All median of a pooled sample lies between the smallest and largest group median.
``median_vs_category_counts``
    A group's median age must agree with its age-group counts (fewer than half below 50...).
``weighted_mean`` / ``pooled_sd``
    The All mean must equal the n-weighted mean of the line means, and the All SD the SD
    pooled from the line n, means and SDs (total sum of squares), allowing for each printed
    value's rounding (every corner of the half-unit intervals is tried).
``ae_counts_within_bounds``
    Table 4: grade 3–4 events of any one term cannot exceed the patients with a grade 3–4
    event (Table 1), and all terms' events must be at least that many; likewise for
    interruptions.
``text_vs_table``
    A number restated in the abstract or text must equal the table (counts exactly,
    percentages after rounding the resolved count to the text's decimals).
``repeated_values``
    A median, P value or range printed in several places must be printed the same.
``cox_hr_within_ci`` / ``cox_ci_symmetry`` / ``cox_wald_p`` / ``cox_significance_vs_ci``
    Table 3: the HR lies inside its CI; on the log scale the HR is the CI's midpoint; the
    Wald P recomputed from the HR and CI (SE = log(upper/lower) / 3.92) agrees with the print
    (same rounding/truncation rule as above, over all rounding corners); P < .05 exactly when
    the CI excludes 1. ``cox_significant_list`` checks the text's lists of significant factors.
``cox_direction_vs_km``
    A covariate whose Kaplan–Meier comparison and Cox HR are both significant must point the
    same way.
``label``
    Group labels that overlap (Figure 3's "3%-20%, 20%-55%").
``significance_statement`` (:mod:`captemstats.audit_inference`, as the next three)
    A statement of significance in the prose against the P printed for that comparison.
``cox_ci_width_vs_events``
    A Table 3 CI narrower than its events allow (SE(log HR) ≥ √(4/D); ≈ 1/√(D p(1−p))).
``cox_hr_vs_km_medians``
    A Table 3 HR against median(reference) / median(exposed) of the same KM grouping
    (generalises ``cox_direction_vs_km``, which is kept and whose rows it does not repeat).
``p_vs_ci``
    A P printed with an HR and CI in the text against their Wald P and the CI's side of 1.

The inference checks grade a rounding-only discrepancy (one unit in the last printed
digit) ``info`` and a substantive one ``warning`` or ``error``; they never set
``consistent``, so :func:`resolve` does not depend on them.

How discrepancies are resolved (:func:`resolve`)
------------------------------------------------
The rule: prefer the value that makes both the row and the column arithmetic consistent;
when a printed count and its printed percentage disagree and the sums do not decide, keep the
count (counts are what the other cells add up to) and recompute the percentage. Concretely:

* Table 1 counts that break a row *and* a column sum by the same amount are replaced by the
  value that satisfies both (second-line 50–70: 5 -> 59; ≥third-line male: 2 -> 25; second-line
  Ki-67 <3: 33 -> 28; All drug holiday: 5 -> 52). In every case the printed percentage agrees
  with the corrected count, and the recomputed chi-square P reproduces the printed P.
* Percentages are never used as data: every percentage is recomputed from the resolved count.
* Table 2 ORR and DCR are derived as CR + PR and CR + PR + SD (second-line DCR: 77 -> 76,
  which also matches its printed 65.0%). Not-evaluable patients (``NE``) are Table 1's n
  minus Table 2's denominator (2, 1, 1; four in all, as the footnote says).
* Table 4: printed counts are kept (no sum constrains them); a dash or a blank cell is 0.
* Table 1 continuous values: the All age range becomes the union of the line ranges
  (18–82), the All cycle mean and SD become the pooled values (8.07, 7.53), and the
  ≥third-line cycle minimum becomes 1 (a third-line patient had one course and was left out
  of Table 2; the denominator 50 is pinned by 15 = 30.0%).
* Survival medians, log-rank P values and Table 3 are kept as printed (they agree wherever
  they are repeated; Table 3's inconsistencies cannot be corrected from the print).
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING, Literal

from captemstats.published import (
    AE_BANDS,
    GROUPS,
    LINE_GROUPS,
    TABLE1_LEVELS,
    Cell,
    PublishedDataError,
    PublishedStudy,
    parse_printed_number,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "AuditResult",
    "Discrepancy",
    "ResolvedValues",
    "audit_published",
    "format_pct",
    "pct_matches",
    "resolve",
]

Severity = Literal["error", "warning", "info"]
_COUNT_FIELDS = ("n",)


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One disagreement found in the printed values.

    ``table`` and ``item`` identify the value in :class:`~captemstats.published.PublishedStudy`
    (Table 1: ``variable/level/group``; Table 2: ``response/group``; Table 4: ``term/band``;
    Table 3: ``endpoint/covariate``; text: the ``text_values`` id); ``field`` names which
    part of it (``n``, ``pct``, ``p_value``, ``min``, ``mean``, ``hr``...). ``consistent`` is
    the value (as it would be printed) that makes the arithmetic consistent, or ``None`` when
    no single value is determinable — ``explanation`` then says why.
    """

    check: str
    severity: Severity
    table: str
    item: str
    field: str
    location: str
    printed: str
    consistent: str | None
    explanation: str


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Every discrepancy found, and how many values each check examined."""

    discrepancies: list[Discrepancy]
    checks: dict[str, int] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per discrepancy, columns as :class:`Discrepancy`'s fields."""
        import pandas as pd

        cols = list(Discrepancy.__dataclass_fields__)
        return pd.DataFrame([asdict(d) for d in self.discrepancies], columns=cols)

    def checks_frame(self) -> pd.DataFrame:
        """One row per check: items examined and discrepancies found."""
        import pandas as pd

        found: dict[str, int] = {}
        for d in self.discrepancies:
            found[d.check] = found.get(d.check, 0) + 1
        return pd.DataFrame(
            [{"check": c, "examined": n, "found": found.get(c, 0)} for c, n in self.checks.items()]
        )

    def find(
        self,
        *,
        table: str | None = None,
        item: str | None = None,
        field: str | None = None,
        check: str | None = None,
    ) -> list[Discrepancy]:
        """The discrepancies matching every given attribute."""
        return [
            d
            for d in self.discrepancies
            if (table is None or d.table == table)
            and (item is None or d.item == item)
            and (field is None or d.field == field)
            and (check is None or d.check == check)
        ]


@dataclass(frozen=True)
class ResolvedValues:
    """The published values made internally consistent (see the module docstring).

    ``table1`` [variable, level, group, n]: integer counts; per-line counts add up to All and
    the levels of every variable to the group n (the ``prior_*`` variables get a derived
    ``no`` level; first-line prior treatment is 0).
    ``table1_continuous`` [variable, stat, group, value].
    ``table2`` [response, group, n]: CR, PR, SD, PD, derived ORR and DCR, and NE (Table 1 n
    minus Table 2 denominator).
    ``table4`` [term, band, n] (dash or blank = 0).
    ``survival`` [endpoint, grouping, group, median_months, p_value] (NaN median = not
    reached; NaN P for the overall curve).
    ``cox`` [endpoint, covariate, hr, lower, upper, p_value] as printed (``<.001`` -> .001).
    """

    table1: pd.DataFrame
    table1_continuous: pd.DataFrame
    table2: pd.DataFrame
    table4: pd.DataFrame
    survival: pd.DataFrame
    cox: pd.DataFrame
    n_per_group: dict[str, int]
    response_denominators: dict[str, int]
    followup_months: dict[str, float]
    excluded: int

    def table1_count(self, variable: str, level: str, group: str) -> int:
        t = self.table1
        hit = t[(t["variable"] == variable) & (t["level"] == level) & (t["group"] == group)]
        if len(hit) != 1:
            raise KeyError((variable, level, group))
        return int(hit["n"].iloc[0])


# ----------------------------------------------------------------------------- arithmetic
def _round(x: Decimal, k: int, mode: str) -> Decimal:
    return x.quantize(Decimal(1).scaleb(-k), rounding=mode)


def _pct(n: int, d: int) -> Decimal:
    return Decimal(100 * n) / Decimal(d)


def pct_matches(printed_value: float, decimals: int, n: int, d: int) -> bool:
    """True when ``printed_value`` equals round(100 n / d, decimals), half-up or half-even."""
    exact = _pct(n, d)
    target = Decimal(str(printed_value))
    return any(_round(exact, decimals, m) == target for m in (ROUND_HALF_UP, ROUND_HALF_EVEN))


def format_pct(n: int, d: int, decimals: int) -> str:
    """100 n / d rounded half-up to ``decimals`` (the paper's rounding), as printed."""
    return str(_round(_pct(n, d), decimals, ROUND_HALF_UP))


def _counts_for_pct(printed_value: float, decimals: int, d: int) -> list[int]:
    """Whole counts n <= d whose percentage of d prints as ``printed_value``."""
    half = 0.5 * 10.0**-decimals
    lo = max(0, math.floor((printed_value - half) * d / 100))
    hi = min(d, math.ceil((printed_value + half) * d / 100))
    return [n for n in range(lo, hi + 1) if pct_matches(printed_value, decimals, n, d)]


def _p_matches(printed: str, p: float) -> bool:
    """Printed P vs a recomputed one: rounding or truncation to the printed decimals."""
    text = printed.strip().lstrip("P=< ").strip()
    parsed = parse_printed_number(text)
    if parsed is None:
        return False
    value, k = parsed
    if printed.strip().startswith("<") or text.startswith("<"):
        return p < value
    exact = Decimal(repr(p))
    target = Decimal(str(value))
    return any(_round(exact, k, m) == target for m in (ROUND_HALF_UP, ROUND_DOWN))


def _p_interval_matches(printed: str, lo: float, hi: float) -> bool:
    """True if some P in [lo, hi] would be printed as ``printed``."""
    parsed = parse_printed_number(printed)
    if parsed is None:
        return False
    value, k = parsed
    if printed.strip().startswith("<"):
        return lo < value
    half = 0.5 * 10.0**-k
    # rounding: [v - half, v + half); truncation: [v, v + 2 half)
    return lo < value + 2 * half and hi >= value - half


def _format_p(p: float, decimals: int) -> str:
    if p < 0.001:
        return "<.001"
    return str(_round(Decimal(repr(p)), decimals, ROUND_HALF_UP)).lstrip("0")


# ------------------------------------------------------------------------------- context
@dataclass
class _Ctx:
    study: PublishedStudy
    out: list[Discrepancy] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)
    # resolved counts: (variable, level, group) -> n ; (response, group) -> n
    t1: dict[tuple[str, str, str], int] = field(default_factory=dict)
    t2: dict[tuple[str, str], int] = field(default_factory=dict)
    continuous: dict[tuple[str, str, str], float] = field(default_factory=dict)

    def examined(self, check: str, k: int = 1) -> None:
        self.checks[check] = self.checks.get(check, 0) + k

    def add(self, **kw: str | None) -> None:
        self.out.append(Discrepancy(**kw))  # type: ignore[arg-type]


def _n(c: Cell | None) -> int:
    return 0 if c is None or c.n is None else c.n


# ------------------------------------------------------------------ Table 1 and 2 counts
def _locate(
    grid: dict[str, dict[str, Cell]],
    col_total: dict[str, int] | None,
    pct_den: dict[str, int],
) -> tuple[dict[tuple[str, str], int], list[tuple[str, str, str]]]:
    """Locate single wrong cells in a level × group grid.

    Returns (fixes {(level, group): consistent count}, unexplained [(level, group, why)]).
    A line cell is wrong by δ when the row residual (All − Σ lines) is δ and its column
    residual (group n − Σ levels) is also δ; an All cell when the row residual is −δ and the
    All column residual is δ. Ties are broken by the printed percentage.
    """
    fixes: dict[tuple[str, str], int] = {}
    unexplained: list[tuple[str, str, str]] = []
    col_res = {
        g: (col_total[g] - sum(_n(grid[lv][g]) for lv in grid)) if col_total else None
        for g in GROUPS
    }
    for lv, cells in grid.items():
        row_res = _n(cells["all"]) - sum(_n(cells[g]) for g in LINE_GROUPS)
        if row_res == 0:
            continue
        cands: list[tuple[str, int]] = []
        for g in GROUPS:
            delta = -row_res if g == "all" else row_res
            if col_total is not None and col_res[g] != delta:
                continue
            new = _n(cells[g]) + delta
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
            fixes[(lv, cands[0][0])] = cands[0][1]
        else:
            unexplained.append((lv, "all", f"row residual {row_res}, no single cell explains it"))
    return fixes, unexplained


def _check_table1_counts(ctx: _Ctx) -> None:
    s = ctx.study
    n = s.n_per_group()
    check = "table1_row_column_sums"
    ctx.examined(check)
    if n["all"] != sum(n[g] for g in LINE_GROUPS):
        ctx.add(
            check=check,
            severity="error",
            table="table1",
            item="number/patients/all",
            field="n",
            location=s.table1.groups[0].cell.where,
            printed=str(n["all"]),
            consistent=str(sum(n[g] for g in LINE_GROUPS)),
            explanation="The per-line numbers do not add up to All.",
        )
    for v in s.table1.variables:
        grid = {lv.level: dict(lv.cells) for lv in v.levels}
        partition = len(v.levels) > 1
        ctx.examined(check, len(grid) * len(GROUPS))
        fixes, unexplained = _locate(grid, n if partition else None, n)
        for (lv, g), new in fixes.items():
            c = grid[lv][g]
            row = [_n(grid[lv][x]) for x in LINE_GROUPS]
            why = (
                f"The lines add up to {sum(row)} but All prints {_n(grid[lv]['all'])}"
                if g == "all"
                else f"Row: All {_n(grid[lv]['all'])} minus the other lines leaves {new}"
            )
            if partition:
                why += f"; column: the group's n {n[g]} minus the other levels leaves {new}"
            if c.pct_value is not None and pct_matches(c.pct_value, c.pct_decimals or 0, new, n[g]):
                why += f"; the printed percentage {c.pct} is {new}/{n[g]}"
            ctx.add(
                check=check,
                severity="error",
                table="table1",
                item=f"{v.variable}/{lv}/{g}",
                field="n",
                location=c.where,
                printed=c.printed,
                consistent=str(new),
                explanation=why + ".",
            )
        for lv, g, why in unexplained:
            c = grid[lv][g]
            ctx.add(
                check=check,
                severity="error",
                table="table1",
                item=f"{v.variable}/{lv}/{g}",
                field="n",
                location=c.where,
                printed=c.printed,
                consistent=None,
                explanation=why + ".",
            )
        for lv, cells in grid.items():
            for g, c in cells.items():
                ctx.t1[(v.variable, lv, g)] = fixes.get((lv, g), _n(c))


def _check_table2_counts(ctx: _Ctx) -> None:
    s = ctx.study
    den = s.table2_denominators()
    rows: dict[str, dict[str, Cell]] = {r.response: dict(r.cells) for r in s.table2.responses}
    base = {k: rows[k] for k in ("CR", "PR", "SD", "PD")}
    check = "table2_row_column_sums"
    ctx.examined(check, len(base) * len(GROUPS))
    fixes, unexplained = _locate(base, den, den)
    for (lv, g), new in fixes.items():
        c = base[lv][g]
        ctx.add(
            check=check,
            severity="error",
            table="table2",
            item=f"{lv}/{g}",
            field="n",
            location=c.where,
            printed=c.printed,
            consistent=str(new),
            explanation="Row and column sums both need this value.",
        )
    for lv, g, why in unexplained:
        c = base[lv][g]
        ctx.add(
            check=check,
            severity="error",
            table="table2",
            item=f"{lv}/{g}",
            field="n",
            location=c.where,
            printed=c.printed,
            consistent=None,
            explanation=why + ".",
        )
    for lv, cells in base.items():
        for g, c in cells.items():
            ctx.t2[(lv, g)] = fixes.get((lv, g), _n(c))
    check = "orr_dcr_composition"
    for g in GROUPS:
        parts = {"ORR": ("CR", "PR"), "DCR": ("CR", "PR", "SD")}
        for comp, members in parts.items():
            ctx.examined(check)
            want = sum(ctx.t2[(m, g)] for m in members)
            ctx.t2[(comp, g)] = want
            c = rows[comp][g]
            if _n(c) != want:
                row_sum = sum(_n(rows[comp][x]) for x in LINE_GROUPS)
                ctx.add(
                    check=check,
                    severity="error",
                    table="table2",
                    item=f"{comp}/{g}",
                    field="n",
                    location=c.where,
                    printed=c.printed,
                    consistent=str(want),
                    explanation=(
                        f"{comp} = {' + '.join(members)} = "
                        f"{' + '.join(str(ctx.t2[(m, g)]) for m in members)} = {want}"
                        + (
                            f"; the All cell {_n(rows[comp]['all'])} also needs {want} here "
                            f"(the lines print {row_sum})"
                            if g != "all" and _n(rows[comp]["all"]) - (row_sum - _n(c)) == want
                            else ""
                        )
                        + (
                            f"; the printed {c.pct} is {want}/{den[g]}"
                            if c.pct_value is not None
                            and pct_matches(c.pct_value, c.pct_decimals or 0, want, den[g])
                            else ""
                        )
                        + "."
                    ),
                )


# ------------------------------------------------------------------------- percentages
def _check_pct(
    ctx: _Ctx, table: str, item: str, c: Cell | None, n: int, d: int, note: str = ""
) -> None:
    if c is None or c.is_dash:
        return
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
    if c.pct_value is None:
        return
    ctx.examined("percentage")
    k = c.pct_decimals or 0
    if pct_matches(c.pct_value, k, n, d):
        return
    implied = _counts_for_pct(c.pct_value, k, d)
    why = f"{n}/{d} = {float(_pct(n, d)):.3f}%, printed {c.pct}"
    why += (
        f"; the printed percentage would need n = {', '.join(map(str, implied))} of {d}"
        if implied
        else f"; no whole count out of {d} gives {c.pct_value:g}%"
    )
    why += "; the count is kept (it agrees with the row and column sums)" + note + "."
    ctx.add(
        check="percentage",
        severity="warning",
        table=table,
        item=item,
        field="pct",
        location=c.where,
        printed=c.printed,
        consistent=format_pct(n, d, k),
        explanation=why,
    )


def _clean_pct(c: Cell) -> str:
    parsed = None if c.pct is None else parse_printed_number(c.pct)
    return "" if parsed is None else f"{parsed[0]:.{parsed[1]}f}"


def _check_percentages(ctx: _Ctx) -> None:
    s = ctx.study
    n = s.n_per_group()
    for gh in s.table1.groups:
        _check_pct(ctx, "table1", f"number/patients/{gh.group}", gh.cell, n[gh.group], n["all"])
    for v in s.table1.variables:
        for lv in v.levels:
            for g, c in lv.cells.items():
                _check_pct(
                    ctx,
                    "table1",
                    f"{v.variable}/{lv.level}/{g}",
                    c,
                    ctx.t1[(v.variable, lv.level, g)],
                    n[g],
                )
    den = s.table2_denominators()
    for r in s.table2.responses:
        for g, c in r.cells.items():
            _check_pct(ctx, "table2", f"{r.response}/{g}", c, ctx.t2[(r.response, g)], den[g])
    d4 = s.table4.denominator.value
    for t in s.table4.terms:
        for band, c4 in t.cells.items():
            if c4 is not None:
                _check_pct(ctx, "table4", f"{t.term}/{band}", c4, _n(c4), d4)


# -------------------------------------------------------------------------- P values
def _chi2_p(table: Sequence[Sequence[int]]) -> float:
    from scipy.stats import chi2_contingency

    rows = [r for r in table if sum(r) > 0]
    return float(chi2_contingency(rows, correction=False).pvalue)


def _check_chi_square(ctx: _Ctx) -> None:
    s = ctx.study
    check = "p_value_chi_square"
    for v in s.table1.variables:
        if v.p_value is None:
            continue
        ctx.examined(check)
        tab = [[ctx.t1[(v.variable, lv.level, g)] for g in LINE_GROUPS] for lv in v.levels]
        p = _chi2_p(tab)
        if not _p_matches(v.p_value.printed, p):
            k = parse_printed_number(v.p_value.printed)
            ctx.add(
                check=check,
                severity="warning",
                table="table1",
                item=v.variable,
                field="p_value",
                location=v.p_value.where,
                printed=v.p_value.printed,
                consistent=_format_p(p, k[1] if k else 2),
                explanation=(
                    f"Pearson chi-square across the three lines on the resolved counts gives "
                    f"P = {p:.4g}; the print is neither its rounding nor its truncation."
                ),
            )
    tables = {
        "CR": [[ctx.t2[(r, g)] for g in LINE_GROUPS] for r in ("CR", "PR", "SD", "PD")],
        "ORR": [
            [ctx.t2[("ORR", g)] for g in LINE_GROUPS],
            [ctx.t2[("PD", g)] + ctx.t2[("SD", g)] for g in LINE_GROUPS],
        ],
        "DCR": [
            [ctx.t2[("DCR", g)] for g in LINE_GROUPS],
            [ctx.t2[("PD", g)] for g in LINE_GROUPS],
        ],
    }
    for r in s.table2.responses:
        if r.p_value is None:
            continue
        ctx.examined(check)
        p = _chi2_p(tables[r.response])
        if not _p_matches(r.p_value.printed, p):
            k = parse_printed_number(r.p_value.printed)
            what = "CR/PR/SD/PD" if r.response == "CR" else f"{r.response} yes/no"
            ctx.add(
                check=check,
                severity="warning",
                table="table2",
                item=r.response,
                field="p_value",
                location=r.p_value.where,
                printed=r.p_value.printed,
                consistent=_format_p(p, k[1] if k else 2),
                explanation=(
                    f"Pearson chi-square of {what} by line on the resolved counts gives "
                    f"P = {p:.4g}."
                ),
            )


# ------------------------------------------------------------- design and continuous
def _cont(study: PublishedStudy) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(variable, stat, group) -> (printed stat, where)."""
    return {
        (c.variable, stat, g): (text, cell.where)
        for c in study.table1.continuous
        for g, cell in c.cells.items()
        for stat, text in cell.stats.items()
    }


def _check_design(ctx: _Ctx) -> None:
    s = ctx.study
    n = s.n_per_group()
    den = s.table2_denominators()
    cont = _cont(s)
    one_course = {g: n[g] - den[g] for g in GROUPS}
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
    check = "one_course_vs_cycle_minimum"
    for g in GROUPS:
        ctx.examined(check)
        printed, where = cont[("cycles", "min", g)]
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
    ctx.continuous = {k: float(v[0]) for k, v in cont.items()}
    for d in ctx.out:
        if d.table == "table1_continuous" and d.consistent is not None:
            var, stat, g = d.item.split("/")
            ctx.continuous[(var, stat, g)] = float(d.consistent)


def _check_ranges(ctx: _Ctx) -> None:
    s = ctx.study
    cont = _cont(s)
    for var in ("age", "cycles"):
        mins = {g: float(cont[(var, "min", g)][0]) for g in LINE_GROUPS}
        maxs = {g: float(cont[(var, "max", g)][0]) for g in LINE_GROUPS}
        for stat, fn, outside in (("min", min, "below"), ("max", max, "above")):
            ctx.examined("range_within_overall", len(LINE_GROUPS))
            printed, where = cont[(var, stat, "all")]
            groups = mins if stat == "min" else maxs
            union = fn(groups.values())
            bad = [
                g
                for g, x in groups.items()
                if (x < float(printed) if stat == "min" else x > float(printed))
            ]
            if bad:
                extra = " (also printed in the Abstract and Results para 1)" if var == "age" else ""
                ctx.add(
                    check="range_within_overall",
                    severity="error",
                    table="table1_continuous",
                    item=f"{var}/{stat}/all",
                    field=stat,
                    location=where,
                    printed=printed,
                    consistent=f"{union:g}",
                    explanation=(
                        f"Line {stat}s "
                        + ", ".join(f"{g}: {groups[g]:g}" for g in LINE_GROUPS)
                        + f" lie {outside} the All {stat} {printed}{extra}; the All range of "
                        "the pooled lines is their union. (The line ranges may instead be the "
                        "wrong ones; the union is the only value the print determines.)"
                    ),
                )
                ctx.continuous[(var, stat, "all")] = union
        ctx.examined("median_between_group_medians")
        med = [float(cont[(var, "median", g)][0]) for g in LINE_GROUPS]
        printed, where = cont[(var, "median", "all")]
        if not min(med) <= float(printed) <= max(med):
            ctx.add(
                check="median_between_group_medians",
                severity="error",
                table="table1_continuous",
                item=f"{var}/median/all",
                field="median",
                location=where,
                printed=printed,
                consistent=None,
                explanation="The All median lies outside the line medians.",
            )


def _check_age_median_vs_groups(ctx: _Ctx) -> None:
    s = ctx.study
    cont = _cont(s)
    check = "median_vs_category_counts"
    v = s.variable("age_group")
    for g in GROUPS:
        ctx.examined(check)
        med = float(cont[("age", "median", g)][0])
        cells = {lv.level: lv.cells[g] for lv in v.levels}
        total = sum(_n(c) for c in cells.values())
        below, upto70 = _n(cells["<50"]), _n(cells["<50"]) + _n(cells["50-70"])
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
                consistent=str(ctx.t1[("age_group", "50-70", g)]),
                explanation=(
                    f"Median age {med:g} lies in 50-70, but the printed counts put only "
                    f"{upto70} of {total} patients at 70 or younger."
                ),
            )


def _check_means(ctx: _Ctx) -> None:
    s = ctx.study
    n = s.n_per_group()
    cont = _cont(s)
    big_n = n["all"]
    mean_p = {g: cont[("cycles", "mean", g)][0] for g in GROUPS}
    sd_p = {g: cont[("cycles", "sd", g)][0] for g in GROUPS}

    def half(text: str) -> float:
        parsed = parse_printed_number(text)
        return 0.5 * 10.0 ** -(parsed[1] if parsed else 0)

    def pooled(means: dict[str, float], sds: dict[str, float]) -> tuple[float, float]:
        m = sum(n[g] * means[g] for g in LINE_GROUPS) / big_n
        ss = sum((n[g] - 1) * sds[g] ** 2 + n[g] * (means[g] - m) ** 2 for g in LINE_GROUPS)
        return m, math.sqrt(ss / (big_n - 1))

    corners: list[tuple[float, float]] = []
    for signs in itertools.product((-1, 1), repeat=2 * len(LINE_GROUPS)):
        means = {
            g: float(mean_p[g]) + signs[i] * half(mean_p[g]) for i, g in enumerate(LINE_GROUPS)
        }
        sds = {g: float(sd_p[g]) + signs[3 + i] * half(sd_p[g]) for i, g in enumerate(LINE_GROUPS)}
        corners.append(pooled(means, sds))
    m0, s0 = pooled(
        {g: float(mean_p[g]) for g in LINE_GROUPS}, {g: float(sd_p[g]) for g in LINE_GROUPS}
    )
    for check, stat, idx, value in (("weighted_mean", "mean", 0, m0), ("pooled_sd", "sd", 1, s0)):
        ctx.examined(check)
        printed, where = cont[("cycles", stat, "all")]
        lo = min(c[idx] for c in corners)
        hi = max(c[idx] for c in corners)
        h = half(printed)
        if float(printed) + h < lo or float(printed) - h > hi:
            k = parse_printed_number(printed)
            text = f"{value:.{k[1] if k else 2}f}"
            ctx.add(
                check=check,
                severity="warning",
                table="table1_continuous",
                item=f"cycles/{stat}/all",
                field=stat,
                location=where,
                printed=printed,
                consistent=text,
                explanation=(
                    f"From the line n ({n['1']}, {n['2']}, {n['3+']}), means and SDs the All "
                    f"{'mean' if stat == 'mean' else 'SD (total sum of squares)'} is "
                    f"{value:.3f} (between {lo:.3f} and {hi:.3f} allowing for rounding)."
                ),
            )
            ctx.continuous[("cycles", stat, "all")] = float(text)


# ------------------------------------------------------------------------------ Table 4
def _check_ae_bounds(ctx: _Ctx) -> None:
    s = ctx.study
    check = "ae_counts_within_bounds"
    g34 = ctx.t1[("grade34_ae", "yes", "all")]
    intr = ctx.t1[("treatment_interruption", "yes", "all")]
    events34 = {t.term: _n(t.cells["grade_3"]) + _n(t.cells["grade_4"]) for t in s.table4.terms}
    events_int = {t.term: _n(t.cells["interruption"]) for t in s.table4.terms}
    for label, events, patients, band in (
        ("grade 3-4", events34, g34, "grade_3"),
        ("interruption", events_int, intr, "interruption"),
    ):
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


# --------------------------------------------------------------------- text vs tables
def _table_cell(s: PublishedStudy, ref: dict[str, str]) -> Cell | None:
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


def _resolved_count(ctx: _Ctx, ref: dict[str, str]) -> int | None:
    if ref.get("table") == "table1":
        if ref["variable"] == "number":
            return ctx.study.n_per_group()[ref["group"]]
        return ctx.t1.get((ref["variable"], ref["level"], ref["group"]))
    if ref.get("table") == "table2":
        return ctx.t2.get((ref["response"], ref["group"]))
    cell = _table_cell(ctx.study, ref)
    return None if cell is None else _n(cell)


def _denominator(ctx: _Ctx, ref: dict[str, str]) -> int:
    if ref.get("table") == "table2":
        return ctx.study.table2_denominators()[ref["group"]]
    if ref.get("table") == "table1" and ref["variable"] != "number":
        return ctx.study.n_per_group()[ref["group"]]
    return ctx.study.n_per_group()["all"]


def _check_text(ctx: _Ctx) -> None:
    s = ctx.study
    cont = _cont(s)
    check = "text_vs_table"
    for t in s.text_values:
        ref = t.refers_to
        if ref is None or t.value is None:
            continue
        if t.kind == "count" and ref.get("table") in ("table1", "table2", "table4"):
            ctx.examined(check)
            cell = _table_cell(s, ref)
            want = _resolved_count(ctx, ref)
            if cell is not None and want is not None and int(t.value) != want:
                ctx.add(
                    check=check,
                    severity="warning",
                    table="text",
                    item=t.id,
                    field="n",
                    location=t.where,
                    printed=t.printed,
                    consistent=str(want),
                    explanation=(
                        f"'{t.quote}' — the table prints {cell.printed} ({cell.where})"
                        + (f"; the text claims '{t.claim}'" if t.claim else "")
                        + "."
                    ),
                )
        elif t.kind == "percent":
            ctx.examined(check)
            cell = _table_cell(s, ref)
            want = _resolved_count(ctx, ref)
            if cell is None or want is None:
                continue
            d = t.denominator or _denominator(ctx, ref)
            if ref.get("variable") == "number":
                want = s.n_per_group()[ref["group"]]
            if pct_matches(t.value, t.decimals, want, d):
                continue
            same_as_table = cell.pct_value is not None and math.isclose(cell.pct_value, t.value)
            implied = _counts_for_pct(t.value, t.decimals, d)
            ctx.add(
                check="percentage" if same_as_table else check,
                severity="warning",
                table="text",
                item=t.id,
                field="pct",
                location=t.where,
                printed=t.printed,
                consistent=format_pct(want, d, t.decimals) + "%",
                explanation=(
                    f"'{t.quote}' — {want}/{d} = {float(_pct(want, d)):.2f}%; the table prints "
                    f"{cell.printed} ({cell.where})"
                    + (
                        f"; the printed {t.printed} would need n = {', '.join(map(str, implied))}"
                        if implied
                        else f"; no whole count out of {d} gives {t.printed}"
                    )
                    + "."
                ),
            )
        elif t.kind == "p_value" and ref.get("table") in ("table1", "table2"):
            ctx.examined(check)
            if ref["table"] == "table2":
                pv = next(r for r in s.table2.responses if r.response == ref["response"]).p_value
            else:
                pv = s.variable(ref["variable"]).p_value
            if pv is not None and pv.printed.replace(" ", "") != t.printed.split("P")[-1].replace(
                "=", ""
            ).replace(" ", ""):
                ctx.add(
                    check=check,
                    severity="warning",
                    table="text",
                    item=t.id,
                    field="p_value",
                    location=t.where,
                    printed=t.printed,
                    consistent=pv.printed,
                    explanation=f"The table prints P = {pv.printed} ({pv.where}).",
                )
        elif ref.get("table") == "table1_continuous":
            ctx.examined(check)
            printed, where = cont[(ref["variable"], ref["stat"], ref["group"])]
            if float(printed) != t.value:
                ctx.add(
                    check=check,
                    severity="warning",
                    table="text",
                    item=t.id,
                    field=ref["stat"],
                    location=t.where,
                    printed=t.printed,
                    consistent=printed,
                    explanation=f"Table 1 prints {printed} ({where}).",
                )
        elif t.kind == "count" and ref.get("table") == "table1" and ref["variable"] == "number":
            ctx.examined(check)
    # labels
    for t in s.text_values:
        if t.kind == "label":
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


def _check_repeated(ctx: _Ctx) -> None:
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
        first = seen.setdefault(key, (printed, where))
        if first[0] != printed:
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
                    f"Printed {first[0]} at {first[1]}; which is right is not determinable."
                ),
            )
    # KM: a pooled median lies between the group medians (mixture of survival curves)
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


# ---------------------------------------------------------------------------- Table 3
def _check_cox(ctx: _Ctx) -> None:
    from scipy.stats import norm

    s = ctx.study
    for r in s.table3.rows:
        item = f"{r.endpoint}/{r.covariate}"
        hr, lo, hi = r.hr.value, r.ci.lower, r.ci.upper
        ctx.examined("cox_hr_within_ci")
        if not lo <= hr <= hi:
            ctx.add(
                check="cox_hr_within_ci",
                severity="error",
                table="table3",
                item=item,
                field="hr",
                location=r.where,
                printed=f"{r.hr.printed} ({r.ci.printed})",
                consistent=None,
                explanation="The HR lies outside its CI.",
            )
        h = 0.005
        ctx.examined("cox_ci_symmetry")
        mids = [(math.log(a) + math.log(b)) / 2 for a in (lo - h, lo + h) for b in (hi - h, hi + h)]
        if not (min(mids) <= math.log(hr + h) and math.log(hr - h) <= max(mids)):
            ctx.add(
                check="cox_ci_symmetry",
                severity="warning",
                table="table3",
                item=item,
                field="hr",
                location=r.where,
                printed=f"{r.hr.printed} ({r.ci.printed})",
                consistent=f"{math.exp(sum(mids) / 4):.2f}",
                explanation="On the log scale the HR is not the midpoint of its Wald CI.",
            )
        ctx.examined("cox_wald_p")
        ps = []
        for b, a, c in itertools.product((hr - h, hr + h), (lo - h, lo + h), (hi - h, hi + h)):
            se = math.log(c / a) / (2 * 1.959964)
            ps.append(float(2 * norm.sf(abs(math.log(b)) / se)))
        p_lo, p_hi = min(ps), max(ps)
        if not _p_interval_matches(r.p_value.printed, p_lo, p_hi):
            se0 = math.log(hi / lo) / (2 * 1.959964)
            p0 = float(2 * norm.sf(abs(math.log(hr)) / se0))
            ctx.add(
                check="cox_wald_p",
                severity="warning",
                table="table3",
                item=item,
                field="p_value",
                location=r.where,
                printed=r.p_value.printed,
                consistent=None,
                explanation=(
                    f"The Wald P from HR {r.hr.printed} and CI {r.ci.printed} is {p0:.3f} "
                    f"(between {p_lo:.3f} and {p_hi:.3f} over the printed values' rounding); "
                    "no single corrected print is determinable (the HR, the CI or the P may be "
                    "the wrong one)."
                ),
            )
        ctx.examined("cox_significance_vs_ci")
        sig = r.p_value.value < 0.05 and not (
            r.p_value.printed.startswith(".05") or r.p_value.printed == ".05"
        )
        excludes = lo > 1 or hi < 1
        if sig != excludes and not (lo == 1 or hi == 1):
            ctx.add(
                check="cox_significance_vs_ci",
                severity="warning",
                table="table3",
                item=item,
                field="p_value",
                location=r.where,
                printed=r.p_value.printed,
                consistent=None,
                explanation="P < .05 but the CI includes 1, or the reverse.",
            )
    for t in s.text_values:
        if t.kind == "cox" and t.refers_to is not None:
            ctx.examined("text_vs_table")
            row = next(
                r
                for r in s.table3.rows
                if r.endpoint == t.refers_to["endpoint"] and r.covariate == t.refers_to["covariate"]
            )
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
    _check_cox_direction(ctx)


def _check_cox_direction(ctx: _Ctx) -> None:
    """Both the KM comparison and the Cox HR significant -> the same direction."""
    s = ctx.study
    meds: dict[tuple[str, str, str], float | None] = {
        (m.endpoint, m.grouping, m.group): m.median_months for m in s.survival.medians
    }
    pvals: dict[tuple[str, str], float] = {
        (p.endpoint, p.grouping): p.value for p in s.survival.p_values
    }
    # covariate -> (grouping, groups coded 1, groups of the reference)
    defs = {
        "first_line": ("line", ("1",), ("2", "3+")),
        "grade_1_2": ("grade", ("1", "2"), ("3",)),
        "ki67_le20": ("ki67_group", ("<3", "3-20"), ("21-55",)),
    }
    for r in s.table3.rows:
        if r.covariate not in defs:
            continue
        grouping, exposed, ref = defs[r.covariate]
        ctx.examined("cox_direction_vs_km")
        km_p = pvals.get((r.endpoint, grouping), 1.0)
        if km_p >= 0.05 or r.p_value.value >= 0.05:
            continue
        inf = math.inf
        e = [meds[(r.endpoint, grouping, g)] for g in exposed]
        f = [meds[(r.endpoint, grouping, g)] for g in ref]
        e_vals = [inf if x is None else x for x in e]
        f_vals = [inf if x is None else x for x in f]
        if min(e_vals) > max(f_vals):
            expected = "below 1"
        elif max(e_vals) < min(f_vals):
            expected = "above 1"
        else:
            continue
        hr = r.hr.value
        if (expected == "below 1") != (hr < 1):
            ctx.add(
                check="cox_direction_vs_km",
                severity="warning",
                table="table3",
                item=f"{r.endpoint}/{r.covariate}",
                field="hr",
                location=r.where,
                printed=f"{r.hr.printed} ({r.ci.printed})",
                consistent=None,
                explanation=(
                    f"The Kaplan–Meier medians ({_medians(e)} vs {_medians(f)} months, "
                    f"log-rank P = {km_p:g}) favour the "
                    f"'{'/'.join(exposed)}' group, so the HR of '{r.label}' should be {expected}; "
                    f"it is {hr:g} (P = {r.p_value.printed}). The reference category is "
                    f"probably reversed (the Results name 'Ki-67 level of 21%-55%' as the "
                    f"factor): read so, the HR would be {1 / hr:.2f} "
                    f"({1 / r.ci.upper:.2f}-{1 / r.ci.lower:.2f}). Not determinable from the "
                    "print; the synthetic registry must pick one reading."
                ),
            )


def _medians(values: Sequence[float | None]) -> str:
    return ", ".join("not reached" if v is None else f"{v:g}" for v in values)


# ------------------------------------------------------------------------------ public
def audit_published(study: PublishedStudy) -> AuditResult:
    """Run every check (module docstring) on the printed values; return all discrepancies."""
    ctx = _Ctx(study)
    _check_table1_counts(ctx)
    _check_table2_counts(ctx)
    _check_percentages(ctx)
    _check_chi_square(ctx)
    _check_design(ctx)
    _check_ranges(ctx)
    _check_age_median_vs_groups(ctx)
    _check_means(ctx)
    _check_ae_bounds(ctx)
    _check_text(ctx)
    _check_repeated(ctx)
    _check_cox(ctx)
    from captemstats.audit_inference import grade_rounding_only, run_inference_checks

    ctx.out[:] = grade_rounding_only(ctx.out)
    found, examined = run_inference_checks(study)
    ctx.out.extend(found)
    for check, k in examined.items():
        ctx.examined(check, k)
    return AuditResult(discrepancies=list(ctx.out), checks=dict(ctx.checks))


def _fixes(audit: AuditResult, table: str) -> dict[tuple[str, ...], str]:
    return {
        tuple(d.item.split("/")): d.consistent
        for d in audit.discrepancies
        if d.table == table and d.consistent is not None and d.severity == "error"
    }


def resolve(study: PublishedStudy, audit: AuditResult | None = None) -> ResolvedValues:
    """One internally consistent set of values: the printed ones with the audit's count
    corrections applied (module docstring, 'How discrepancies are resolved').

    Raises :class:`~captemstats.published.PublishedDataError` if the result is still
    inconsistent (which would mean the audit missed something).
    """
    import numpy as np
    import pandas as pd

    audit = audit if audit is not None else audit_published(study)
    n = study.n_per_group()
    den = study.table2_denominators()
    fix1 = _fixes(audit, "table1")
    rows1: list[dict[str, object]] = []
    for v in study.table1.variables:
        for lv in v.levels:
            for g, c in lv.cells.items():
                fixed = fix1.get((v.variable, lv.level, g))
                rows1.append(
                    {
                        "variable": v.variable,
                        "level": lv.level,
                        "group": g,
                        "n": int(fixed) if fixed is not None else _n(c),
                    }
                )
        if len(v.levels) == 1:  # prior treatments: derive 'no'
            yes = {r["group"]: r["n"] for r in rows1 if r["variable"] == v.variable}
            rows1 += [
                {"variable": v.variable, "level": "no", "group": g, "n": n[g] - int(yes[g])}  # type: ignore[call-overload]
                for g in GROUPS
            ]
    table1 = pd.DataFrame(rows1).astype({"n": "int64"})

    fixc = _fixes(audit, "table1_continuous")
    fixc |= {
        tuple(d.item.split("/")): d.consistent
        for d in audit.discrepancies
        if d.table == "table1_continuous" and d.consistent is not None
    }
    cont = [
        {
            "variable": var,
            "stat": stat,
            "group": g,
            "value": float(fixc.get((var, stat, g)) or printed),
        }
        for (var, stat, g), (printed, _) in _cont(study).items()
    ]
    table1_continuous = pd.DataFrame(cont)

    fix2 = _fixes(audit, "table2")
    t2: dict[tuple[str, str], int] = {}
    for r in study.table2.responses[:4]:
        for g, c in r.cells.items():
            fixed = fix2.get((r.response, g))
            t2[(r.response, g)] = int(fixed) if fixed is not None else _n(c)
    for g in GROUPS:
        t2[("ORR", g)] = t2[("CR", g)] + t2[("PR", g)]
        t2[("DCR", g)] = t2[("ORR", g)] + t2[("SD", g)]
        t2[("NE", g)] = n[g] - den[g]
    table2 = pd.DataFrame([{"response": r, "group": g, "n": v} for (r, g), v in t2.items()]).astype(
        {"n": "int64"}
    )

    table4 = pd.DataFrame(
        [
            {"term": t.term, "band": band, "n": _n(c)}
            for t in study.table4.terms
            for band, c in t.cells.items()
        ]
    ).astype({"n": "int64"})
    assert tuple(table4["band"].unique()) == AE_BANDS

    pv = {(p.endpoint, p.grouping): p.value for p in study.survival.p_values}
    seen: dict[tuple[str, str, str], dict[str, object]] = {}
    for m in study.survival.medians:
        key = (m.endpoint, m.grouping, m.group)
        seen.setdefault(
            key,
            {
                "endpoint": m.endpoint,
                "grouping": m.grouping,
                "group": m.group,
                "median_months": np.nan if m.median_months is None else m.median_months,
                "p_value": pv.get((m.endpoint, m.grouping), np.nan),
            },
        )
    survival = pd.DataFrame(list(seen.values()))
    cox = study.cox_frame()[["endpoint", "covariate", "hr", "lower", "upper", "p_value"]]

    fu = {
        t.stat: float(t.value)
        for t in study.text_values
        if t.kind == "months" and t.stat is not None and t.value is not None
    }
    resolved = ResolvedValues(
        table1=table1,
        table1_continuous=table1_continuous,
        table2=table2,
        table4=table4,
        survival=survival,
        cox=cox.reset_index(drop=True),
        n_per_group=n,
        response_denominators=den,
        followup_months=fu,
        excluded=study.study.excluded.value,
    )
    problems = consistency_problems(resolved)
    if problems:
        raise PublishedDataError("resolved values are inconsistent: " + "; ".join(problems))
    return resolved


def consistency_problems(r: ResolvedValues) -> list[str]:
    """Every arithmetic rule the resolved values must satisfy; returns the broken ones."""
    out: list[str] = []
    t = r.table1
    wide = t.pivot_table(index=["variable", "level"], columns="group", values="n", aggfunc="sum")
    lines = wide[list(LINE_GROUPS)].sum(axis=1)
    for idx in wide.index[wide["all"] != lines]:
        out.append(f"table1 {idx}: lines sum to {lines[idx]}, All is {wide.loc[idx, 'all']}")
    sums = t.groupby(["variable", "group"])["n"].sum()
    for key, total in sums.items():
        var, g = str(key[0]), str(key[1])  # type: ignore[index]
        if total != r.n_per_group[g]:
            out.append(f"table1 {var}/{g}: levels sum to {total}, n is {r.n_per_group[g]}")
    if set(t["variable"]) != set(TABLE1_LEVELS):
        out.append("table1 variables incomplete")
    w2 = r.table2.pivot_table(index="response", columns="group", values="n", aggfunc="sum")
    for resp in w2.index:
        if w2.loc[resp, "all"] != w2.loc[resp, list(LINE_GROUPS)].sum():
            out.append(f"table2 {resp}: lines do not sum to All")
    for g in GROUPS:
        col = w2[g]
        if col["CR"] + col["PR"] + col["SD"] + col["PD"] != r.response_denominators[g]:
            out.append(f"table2 {g}: responses do not sum to the denominator")
        if col["ORR"] != col["CR"] + col["PR"] or col["DCR"] != col["ORR"] + col["SD"]:
            out.append(f"table2 {g}: ORR/DCR not derived")
        if col["NE"] + r.response_denominators[g] != r.n_per_group[g]:
            out.append(f"table2 {g}: NE + denominator != n")
    c = r.table1_continuous.set_index(["variable", "stat", "group"])["value"]
    for var in ("age", "cycles"):
        if c[(var, "min", "all")] > min(c[(var, "min", g)] for g in LINE_GROUPS):
            out.append(f"{var}: a line minimum is below the All minimum")
        if c[(var, "max", "all")] < max(c[(var, "max", g)] for g in LINE_GROUPS):
            out.append(f"{var}: a line maximum is above the All maximum")
    for g in GROUPS:
        if r.n_per_group[g] > r.response_denominators[g] and c[("cycles", "min", g)] > 1:
            out.append(f"cycles {g}: one-course patients but minimum > 1")
    if (r.table4["n"] < 0).any() or (t["n"] < 0).any() or (r.table2["n"] < 0).any():
        out.append("negative count")
    return out
