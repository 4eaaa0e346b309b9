"""Table 1's continuous rows (age, cycles): ranges, medians, the pooled mean and SD.

``range_within_overall``: each line's min/max must lie inside the All column's range (the All
range is the union). ``median_between_group_medians``: the All median of a pooled sample
lies between the smallest and largest group median. ``weighted_mean`` / ``pooled_sd``: the
All mean must equal the n-weighted mean of the line means, and the All SD the SD pooled from
the line n, means and SDs (total sum of squares), allowing for each printed value's
rounding (every corner of the half-unit intervals is tried). Consistent values are left in
:attr:`AuditContext.continuous`.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable

from captemstats.audit.core import (
    AUDIT_STEPS,
    AuditContext,
    PrintedStat,
    StatKey,
    printed_stats,
)
from captemstats.audit.numbers import half_unit, printed_decimals
from captemstats.published import GROUPS, LINE_GROUPS, parse_printed_number


def _range_end(
    ctx: AuditContext,
    stats: dict[StatKey, PrintedStat],
    var: str,
    stat: str,
) -> None:
    """One end (``min`` or ``max``) of a variable's All range against the lines'."""
    fn: Callable[[Iterable[float]], float] = min if stat == "min" else max
    outside = "below" if stat == "min" else "above"
    ctx.examined("range_within_overall", len(LINE_GROUPS))
    printed, where = stats[StatKey(var, stat, "all")]
    groups = {g: float(stats[StatKey(var, stat, g)].text) for g in LINE_GROUPS}
    union = fn(groups.values())
    bad = [
        g
        for g, x in groups.items()
        if (x < float(printed) if stat == "min" else x > float(printed))
    ]
    if not bad:
        return
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
    ctx.continuous[StatKey(var, stat, "all")] = union


def _median_between(ctx: AuditContext, stats: dict[StatKey, PrintedStat], var: str) -> None:
    """The All median lies between the line medians."""
    ctx.examined("median_between_group_medians")
    med = [float(stats[StatKey(var, "median", g)].text) for g in LINE_GROUPS]
    printed, where = stats[StatKey(var, "median", "all")]
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


@AUDIT_STEPS.register("continuous_ranges", "Table 1 ranges and medians against the lines'")
def continuous_ranges(ctx: AuditContext) -> None:
    """Age and cycles: the All min/max against the lines' (the All range is their union),
    and the All median between the line medians."""
    stats = printed_stats(ctx.study)
    for var in ("age", "cycles"):
        for stat in ("min", "max"):
            _range_end(ctx, stats, var, stat)
        _median_between(ctx, stats, var)


# ------------------------------------------------------------------------ mean and SD
def _half_unit_of(printed: str) -> float:
    """Half a unit in the last digit of a print: the width of its rounding interval."""
    return half_unit(printed_decimals(printed))


def _pooled(
    n: dict[str, int], means: dict[str, float], sds: dict[str, float]
) -> tuple[float, float]:
    """The mean and SD of the lines pooled (the SD from the total sum of squares)."""
    big_n = n["all"]
    m = sum(n[g] * means[g] for g in LINE_GROUPS) / big_n
    ss = sum((n[g] - 1) * sds[g] ** 2 + n[g] * (means[g] - m) ** 2 for g in LINE_GROUPS)
    return m, math.sqrt(ss / (big_n - 1))


def _pooled_corners(
    n: dict[str, int], mean_p: dict[str, str], sd_p: dict[str, str]
) -> list[tuple[float, float]]:
    """The pooled mean and SD at every corner of the printed line means' and SDs' rounding."""
    corners: list[tuple[float, float]] = []
    for signs in itertools.product((-1, 1), repeat=2 * len(LINE_GROUPS)):
        means = {
            g: float(mean_p[g]) + signs[i] * _half_unit_of(mean_p[g])
            for i, g in enumerate(LINE_GROUPS)
        }
        sds = {
            g: float(sd_p[g]) + signs[3 + i] * _half_unit_of(sd_p[g])
            for i, g in enumerate(LINE_GROUPS)
        }
        corners.append(_pooled(n, means, sds))
    return corners


@AUDIT_STEPS.register("cycle_mean_and_sd", "the All cycle mean and SD pooled from the lines")
def cycle_mean_and_sd(ctx: AuditContext) -> None:
    """The All mean of cycles is the n-weighted mean of the line means, and the All SD the
    pooled SD, within the printed values' rounding."""
    n = ctx.study.n_per_group()
    stats = printed_stats(ctx.study)
    mean_p = {g: stats[StatKey("cycles", "mean", g)].text for g in GROUPS}
    sd_p = {g: stats[StatKey("cycles", "sd", g)].text for g in GROUPS}
    corners = _pooled_corners(n, mean_p, sd_p)
    m0, s0 = _pooled(
        n, {g: float(mean_p[g]) for g in LINE_GROUPS}, {g: float(sd_p[g]) for g in LINE_GROUPS}
    )
    for check, stat, idx, value in (("weighted_mean", "mean", 0, m0), ("pooled_sd", "sd", 1, s0)):
        ctx.examined(check)
        printed, where = stats[StatKey("cycles", stat, "all")]
        lo = min(c[idx] for c in corners)
        hi = max(c[idx] for c in corners)
        h = _half_unit_of(printed)
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
            ctx.continuous[StatKey("cycles", stat, "all")] = float(text)
