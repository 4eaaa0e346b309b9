"""Inference check: a Cox HR against the Kaplan–Meier medians of the same grouping.

``cox_hr_vs_km_medians``
    A Table 3 HR against the Kaplan–Meier medians of the same grouping (first line,
    grade 1–2, Ki-67 ≤ 20 %, pancreas). Under proportional hazards with exponential-like
    survival HR ≈ median(reference) / median(exposed). A side made of several groups is
    bracketed by its groups' medians (the median of a mixture lies between them); when the
    two sides' brackets do not overlap the direction is determined and a contradiction is a
    ``warning``; otherwise the sides are pooled as a mixture of exponentials weighted by
    Table 1's counts, and what that gives is ``info`` (it rests on the exponential
    assumption). An HR whose CI excludes every ratio the medians allow is a magnitude gap
    (``info``). The HR is adjusted (multivariable) and the medians are not, so this is a
    plausibility check. It subsumes ``cox_direction_vs_km`` (which fires only when the
    log-rank and the Cox P are both significant); that check is kept, and the rows it
    reports are not reported again here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from captemstats.audit.core import CHECKS, InferenceContext, Severity
from captemstats.audit.inference_events import KM_TABLE1_VARIABLE, table1_all_count
from captemstats.audit.numbers import ci_parts, ulp
from captemstats.published import CoxRow, PublishedStudy

#: Cox covariate -> (Kaplan–Meier grouping, exposed groups, reference groups).
COX_KM_GROUPINGS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "first_line": ("line", ("1",), ("2", "3+")),
    "grade_1_2": ("grade", ("1", "2"), ("3",)),
    "ki67_le20": ("ki67_group", ("<3", "3-20"), ("21-55",)),
    "pancreas": ("primary_site", ("pancreas",), ("gastrointestinal", "lung", "unknown")),
}

#: A median as (months, or None when not reached; its print).
Median = tuple[float | None, str]
#: A range of values (low, high).
Bracket = tuple[float, float]

_CAVEAT = (
    " The HR is adjusted (multivariable) and the medians are not, and HR ≈ "
    "median ratio assumes exponential-like survival: a plausibility check, not "
    "determinable from the print."
)


def mixture_median(medians: Sequence[float], weights: Sequence[float]) -> float:
    """The median of a mixture of exponential survival curves.

    Parameters
    ----------
    medians : sequence of float
        Each component's median (all finite and positive).
    weights : sequence of float
        The components' weights (e.g. Table 1 counts).

    Returns
    -------
    float
        The t with Σ w_g 2^(−t / m_g) = ½ Σ w_g (bisection; it lies between the smallest and
        the largest component median).
    """
    total = float(sum(weights))

    def surv(t: float) -> float:
        alive = sum(w * math.pow(2.0, -t / m) for m, w in zip(medians, weights, strict=True))
        return float(alive) / total

    lo, hi = min(medians), max(medians)
    for _ in range(200):
        mid = (lo + hi) / 2
        if surv(mid) > 0.5:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


def _first_medians(study: PublishedStudy, endpoint: str, grouping: str) -> dict[str, Median]:
    out: dict[str, Median] = {}
    for m in study.survival.medians:
        if m.endpoint == endpoint and m.grouping == grouping:
            out.setdefault(m.group, (m.median_months, m.printed))
    return out


def _bracket(side: Sequence[Median], units: float) -> Bracket:
    """The medians' range, each moved by ``units`` of its last digit (not reached = ∞)."""
    lows = [math.inf if v is None else v - units * ulp(p) for v, p in side]
    highs = [math.inf if v is None else v + units * ulp(p) for v, p in side]
    return min(lows), max(highs)


def _ratio(num: float, den: float) -> float:
    if math.isinf(den):
        return 0.0 if not math.isinf(num) else math.nan
    return math.inf if math.isinf(num) else num / den


def _implied(exp: Bracket, ref: Bracket) -> Bracket:
    """HR ≈ median(reference) / median(exposed) over both sides' brackets."""
    return _ratio(ref[0], exp[1]), _ratio(ref[1], exp[0])


def _against(lo: float, hi: float, hr: float, slack: float) -> bool:
    """The implied range [lo, hi] lies on one side of 1 and the HR (moved towards 1 by
    ``slack``) on the other."""
    return (hi < 1 and hr - slack > 1) or (lo > 1 and hr + slack < 1)


def _separated(exp: Bracket, ref: Bracket) -> bool:
    return exp[1] < ref[0] or ref[1] < exp[0]


def _fmt(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:.2f}"


def _words(groups: Sequence[str], side: Sequence[Median]) -> str:
    return ", ".join(f"{g}: {p}" for g, (_, p) in zip(groups, side, strict=True))


def _direction_vs_km_reports(ctx: InferenceContext, r: CoxRow, grouping: str) -> bool:
    """True when ``cox_direction_vs_km`` looks at this row (both P significant)."""
    km = next(
        (
            p
            for p in ctx.study.survival.p_values
            if p.endpoint == r.endpoint and p.grouping == grouping
        ),
        None,
    )
    return km is not None and km.value < 0.05 and r.p_value.value < 0.05


@dataclass(frozen=True)
class _Comparison:
    """One Table 3 row set against its grouping's medians."""

    row: CoxRow
    grouping: str
    exposed: tuple[str, ...]
    reference: tuple[str, ...]
    exp_side: list[Median]
    ref_side: list[Median]
    ci_lo: float  # the CI widened by one unit of its last digits
    ci_hi: float

    @property
    def km_words(self) -> str:
        return (
            f"The Kaplan–Meier medians are {_words(self.exposed, self.exp_side)} (exposed) vs "
            f"{_words(self.reference, self.ref_side)} (reference) months"
        )

    def add(self, ctx: InferenceContext, severity: Severity, why: str) -> None:
        r = self.row
        item = f"{r.endpoint}/{r.covariate}"
        printed = f"{r.hr.printed} ({r.ci.printed})"
        ctx.add("cox_hr_vs_km_medians", severity, "table3", item, "hr", r.where, printed, why)


def _separated_sides(ctx: InferenceContext, c: _Comparison) -> None:
    """The sides' medians do not overlap: the direction is determined."""
    r, hr = c.row, c.row.hr.value
    exp1, ref1 = _bracket(c.exp_side, 1.0), _bracket(c.ref_side, 1.0)
    lo, hi = _implied(_bracket(c.exp_side, 0.5), _bracket(c.ref_side, 0.5))
    lo1, hi1 = _implied(exp1, ref1)
    if _against(lo, hi, hr, 0.0):
        if _direction_vs_km_reports(ctx, r, c.grouping):
            return  # cox_direction_vs_km reports it
        clear = _against(lo1, hi1, hr, ulp(r.hr.printed))
        covers = c.ci_lo <= hi and lo <= c.ci_hi
        expected = "below 1" if hi < 1 else "above 1"
        why = (
            f"{c.km_words}: HR ≈ median ratio between {_fmt(lo)} and {_fmt(hi)}, so "
            f"'{r.label}' should be {expected}; it is {r.hr.printed} "
            f"({r.ci.printed}, P = {r.p_value.printed}), whose CI "
            + ("overlaps" if covers else "excludes")
            + " that range. The reference category may be reversed."
            + _CAVEAT
        )
        if not clear:
            why += (
                " Rounding-only: one unit in the last digit of the medians or the HR "
                "removes the contradiction."
            )
        c.add(ctx, "warning" if clear else "info", why)
    elif c.ci_hi < lo1 or hi1 < c.ci_lo:
        why = (
            f"{c.km_words}: HR ≈ median ratio between {_fmt(lo)} and {_fmt(hi)}; "
            f"the printed {r.hr.printed} does not contradict its direction but its "
            f"CI {r.ci.printed} excludes every ratio the medians allow, even with one "
            "unit of rounding (a large magnitude gap)." + _CAVEAT
        )
        c.add(ctx, "info", why)


def _pooled_sides(ctx: InferenceContext, c: _Comparison) -> None:
    """The sides' medians overlap: pool each side as a mixture of exponentials (Table 1
    weights) and compare the ratio with the CI (info only)."""
    if any(v is None for v, _ in (*c.exp_side, *c.ref_side)):
        return
    r, hr = c.row, c.row.hr.value
    variable = KM_TABLE1_VARIABLE[c.grouping]
    pooled = []
    for groups, side in ((c.exposed, c.exp_side), (c.reference, c.ref_side)):
        weights = [table1_all_count(ctx.study, variable, g) for g in groups]
        pooled.append(mixture_median([float(v or 0) for v, _ in side], weights))
    ratio = pooled[1] / pooled[0]
    if c.ci_lo <= ratio <= c.ci_hi:
        return
    same_way = (ratio > 1) == (hr > 1) or hr == 1
    why = (
        f"{c.km_words}; the sides' medians overlap, so each side is pooled as a mixture of "
        f"exponentials weighted by Table 1's counts: {pooled[0]:.1f} vs {pooled[1]:.1f} "
        f"months, HR ≈ {ratio:.2f}. The printed {r.hr.printed} ({r.ci.printed}) "
        + ("points the same way but its CI excludes it." if same_way else "points the other way.")
        + " Info only: the pooling rests on the exponential assumption."
        + _CAVEAT
    )
    c.add(ctx, "info", why)


@CHECKS.register("cox_hr_vs_km_medians", "a hazard ratio against the same grouping's KM medians")
def cox_hr_vs_km_medians(ctx: InferenceContext) -> None:
    """Each Table 3 HR agrees in direction (and roughly in size) with median(reference) /
    median(exposed) of the same grouping's Kaplan–Meier curves (proportional hazards with
    exponential-like survival: the hazard is ln 2 / median)."""
    s = ctx.study
    for r in s.table3.rows:
        spec = COX_KM_GROUPINGS.get(r.covariate)
        if spec is None:
            continue
        grouping, exposed, reference = spec
        meds = _first_medians(s, r.endpoint, grouping)
        if any(g not in meds for g in (*exposed, *reference)):
            continue
        ctx.examined("cox_hr_vs_km_medians")
        lower, upper = ci_parts(r.ci.printed)
        c = _Comparison(
            row=r,
            grouping=grouping,
            exposed=exposed,
            reference=reference,
            exp_side=[meds[g] for g in exposed],
            ref_side=[meds[g] for g in reference],
            ci_lo=float(lower) - ulp(lower),
            ci_hi=float(upper) + ulp(upper),
        )
        exp_h, ref_h = _bracket(c.exp_side, 0.5), _bracket(c.ref_side, 0.5)
        if _separated(exp_h, ref_h):
            _separated_sides(ctx, c)
        else:
            _pooled_sides(ctx, c)
