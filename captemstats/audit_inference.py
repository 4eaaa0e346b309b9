"""Audit of the paper's inferential statements: words against P, CIs against events, HRs
against medians, P values against CIs.

:mod:`captemstats.audit` checks the printed arithmetic (sums, percentages, recomputed P
values). The checks here ask whether what the paper *infers* is possible given its own
numbers. Each is a small function registered in :data:`CHECKS`;
:func:`run_inference_checks` runs them all and :func:`captemstats.audit.audit_published`
adds their findings to its own. A finding here never carries a ``consistent`` value (no
single corrected print is determinable from a plausibility argument), so
:func:`captemstats.audit.resolve` — which only applies ``consistent`` values — is unaffected.

Checks (``Discrepancy.check``)
------------------------------
``significance_statement``
    A statement of significance in the prose ("no significant difference", "significantly
    improved", "was one of the factors affecting", the Results' lists of significant Cox
    factors; ``kind: significance`` and ``kind: covariate_list`` text values) against the P
    printed for the same comparison. The Methods' rule: P < .05 is significant.
``cox_ci_width_vs_events``
    A Table 3 CI narrower than its events allow. For a binary covariate the Cox partial
    likelihood's information is Σ_j V_j over the D events, V_j the (risk-weighted) variance
    of the 0/1 covariate in the j-th risk set, and V_j ≤ 1/4; in a multivariable model
    var(β̂_k) = [I⁻¹]_kk ≥ 1/I_kk. So SE(log HR) ≥ √(4/D) *exactly*, adjusted or not
    (Cox 1972, JRSS B 34:187; Kalbfleisch & Prentice, *The Statistical Analysis of Failure
    Time Data*, 2002). With p the exposed fraction the usual approximation is
    var(log HR) ≈ 1/(D p (1 − p)) (Schoenfeld 1983, Biometrics 39:499; Peto's 4/D is the
    p = ½ case). D is at most the 308 patients; for OS at most 308 − n_g + ⌊(n_g − 1)/2⌋
    when a group of n_g has a median "not reached": its Kaplan–Meier curve stays above ½,
    and each death takes at least 1/n_g of the KM mass (Efron 1967's redistribute-to-the-
    right reading of the KM estimator), so fewer than half of its patients died. p is
    taken from Table 1's All column, unknowns assigned to whichever side brings p closest
    to ½ (the widest, most lenient bound). Violating √(4/D) is an ``error``; violating only
    the approximation a ``warning``.
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
``p_vs_ci``
    Each P printed beside an HR and its CI outside Table 3 (the Discussion's restated
    first-line HRs) recomputed as the Wald P from the HR and CI (SE = log(upper/lower) /
    3.92), and P < .05 ⇔ the CI excludes 1. Table 3 itself is ``cox_wald_p`` /
    ``cox_significance_vs_ci`` of :mod:`captemstats.audit`.

Severity: rounding
------------------
A printed number stands for every value that rounds to it (± half a unit in its last
digit); a P value also for every value that truncates to it (the paper truncates most P
values, see :mod:`captemstats.audit`): ``.05`` is any P in [.045, .06). A CI, a median or
an HR passes a check when some values its prints stand for satisfy it; a discrepancy
that goes away only when they may move by one unit in their last printed digit (±0.1 for
a median printed to one decimal, ±0.01 for an HR or a CI bound) is *rounding-only* and
gets ``info``. A claim about P is judged on the printed value (P < .05 ⇔ significant;
``.05`` is not significant); when only the print's rounding/truncation interval holds a
value that agrees ("significant" with P = .05, which may be a rounded .046) it is
rounding-only, ``info``. Anything larger is substantive (``warning`` or ``error``).
:func:`grade_rounding_only` applies the same rule to :mod:`captemstats.audit`'s
percentage findings (a percentage one unit off in its last digit becomes ``info``).
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from captemstats.audit import Discrepancy, Severity
from captemstats.published import (
    SIGNIFICANCE_CLAIMS,
    CoxRow,
    PublishedStudy,
    TextValue,
    parse_printed_number,
)

__all__ = [
    "ALPHA",
    "CHECKS",
    "COX_KM_GROUPINGS",
    "COX_TABLE1_SPLITS",
    "InferenceContext",
    "ci_width_tier",
    "grade_rounding_only",
    "max_events",
    "max_exposed_variance",
    "mixture_median",
    "p_print_interval",
    "run_inference_checks",
    "significance_severity",
    "ulp",
    "wald_p_range",
]

#: The significance level of the Methods ("a P-value of less than .05").
ALPHA = Fraction(5, 100)
_Z = 1.959963984540054  # the 97.5 % normal quantile: a 95 % CI is ±1.96 SE

#: Cox covariate -> (Table 1 variable, exposed levels, reference levels, levels of unknown
#: side). ``number`` is Table 1's 'Number' row (the lines). Age ≤ 50 has no Table 1 split at
#: 50: the 50-70 group may fall on either side.
COX_TABLE1_SPLITS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "sex_male": ("sex", ("male",), ("female",), ()),
    "age_le50": ("age_group", ("<50",), (">70",), ("50-70",)),
    "comorbidity": ("comorbidity", ("yes",), ("no",), ()),
    "ecog_0_1": ("ecog", ("0", "1"), ("2",), ()),
    "pancreas": ("primary_site", ("pancreas",), ("gastrointestinal", "lung", "unknown"), ()),
    "ki67_le20": ("ki67_group", ("<3", "3-20"), ("21-55",), ("unknown",)),
    "grade_1_2": ("grade", ("1", "2"), ("3",), ("unknown",)),
    "first_line": ("number", ("1",), ("2", "3+"), ()),
    "prior_curative_surgery": ("prior_curative_surgery", ("yes",), ("no",), ()),
}

#: Cox covariate -> (Kaplan–Meier grouping, exposed groups, reference groups).
COX_KM_GROUPINGS: dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]] = {
    "first_line": ("line", ("1",), ("2", "3+")),
    "grade_1_2": ("grade", ("1", "2"), ("3",)),
    "ki67_le20": ("ki67_group", ("<3", "3-20"), ("21-55",)),
    "pancreas": ("primary_site", ("pancreas",), ("gastrointestinal", "lung", "unknown")),
}

#: Kaplan–Meier grouping -> the Table 1 variable counting its groups (same level codes).
_KM_TABLE1 = {"line": "number", "grade": "grade", "ki67_group": "ki67_group"}
_KM_TABLE1 |= {"primary_site": "primary_site"}

_SEVERITY_RANK: dict[Severity, int] = {"info": 1, "warning": 2, "error": 3}


# ----------------------------------------------------------------------------- context
@dataclass
class InferenceContext:
    """What the checks share: the study, the findings and how much each check examined."""

    study: PublishedStudy
    out: list[Discrepancy] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)

    def examined(self, check: str, k: int = 1) -> None:
        """Count ``k`` more values examined by ``check``."""
        self.checks[check] = self.checks.get(check, 0) + k

    def add(
        self,
        check: str,
        severity: Severity,
        table: str,
        item: str,
        field: str,
        location: str,
        printed: str,
        explanation: str,
    ) -> None:
        """Record a finding (never with a consistent value: see the module docstring)."""
        self.out.append(
            Discrepancy(
                check=check,
                severity=severity,
                table=table,
                item=item,
                field=field,
                location=location,
                printed=printed,
                consistent=None,
                explanation=explanation,
            )
        )


CheckFn = Callable[[InferenceContext], None]

#: check id -> (function, one-line meaning), in the order they run.
CHECKS: dict[str, tuple[CheckFn, str]] = {}


def _register(check_id: str, meaning: str) -> Callable[[CheckFn], CheckFn]:
    def deco(fn: CheckFn) -> CheckFn:
        CHECKS[check_id] = (fn, meaning)
        return fn

    return deco


def run_inference_checks(study: PublishedStudy) -> tuple[list[Discrepancy], dict[str, int]]:
    """Run every registered check on the printed values.

    Parameters
    ----------
    study : PublishedStudy
        The printed values (:func:`captemstats.published.load_published`).

    Returns
    -------
    tuple of (list of Discrepancy, dict of str to int)
        The findings, in check order, and how many values each check examined.
    """
    ctx = InferenceContext(study)
    for check_id, (fn, _) in CHECKS.items():
        ctx.examined(check_id, 0)
        fn(ctx)
    return ctx.out, ctx.checks


def grade_rounding_only(found: Sequence[Discrepancy]) -> list[Discrepancy]:
    """The arithmetic checks' percentage findings graded by the rounding rule.

    Parameters
    ----------
    found : sequence of Discrepancy
        Findings of :func:`captemstats.audit.audit_published`'s own checks.

    Returns
    -------
    list of Discrepancy
        The same findings; a ``percentage`` or ``text_vs_table`` percentage ``warning`` whose
        printed value is one unit in its last digit from the consistent one (``41.3`` for
        41.2, ``22.5%`` for 22.4%: a rounding slip, e.g. double rounding) becomes ``info``.
        Nothing else changes (``consistent`` and the explanation are kept).
    """
    out = []
    for d in found:
        printed = _printed_pct(d.printed)
        if (
            d.check in ("percentage", "text_vs_table")
            and d.field == "pct"
            and d.severity == "warning"
            and d.consistent is not None
            and printed is not None
            and (consistent := _printed_pct(d.consistent)) is not None
            and _decimals(printed) == _decimals(consistent)
            and abs(Fraction(printed) - Fraction(consistent))
            <= Fraction(1, 10 ** _decimals(printed))
        ):
            d = dataclasses.replace(d, severity="info")
        out.append(d)
    return out


def _printed_pct(text: str) -> str | None:
    """The percentage of a printed cell (``"127 (41.3)"``) or text (``"22.5%"``)."""
    m = re.search(r"\((\d+(?:\.\d+)?)", text) or re.fullmatch(r"\s*(\d+(?:\.\d+)?)%?\s*", text)
    return None if m is None else m.group(1)


def _decimals(number: str) -> int:
    return len(number.split(".")[1]) if "." in number else 0


# ----------------------------------------------------------------------------- numbers
def ulp(printed: str) -> float:
    """One unit in the last printed digit.

    Parameters
    ----------
    printed : str
        A printed number (``"0.80"``, ``"16.1"``, ``".003"``, ``"53"``).

    Returns
    -------
    float
        ``0.01``, ``0.1``, ``0.001``, ``1.0`` for the examples.
    """
    parsed = parse_printed_number(printed)
    return 10.0 ** -(0 if parsed is None else parsed[1])


def _p_text(printed: str) -> str:
    return printed.replace("P", "").replace("=", "").replace(" ", "")


def p_print_interval(printed: str) -> tuple[Fraction, Fraction]:
    """The P values a printed P stands for, as a half-open interval ``[low, high)``.

    Parameters
    ----------
    printed : str
        ``".05"``, ``"P = .42"``, ``"<.001"``.

    Returns
    -------
    tuple of Fraction
        A value ``v`` with unit ``u`` is its rounding ``[v − u/2, v + u/2)`` or its
        truncation ``[v, v + u)``: together ``[v − u/2, v + u)``. ``<x`` is ``[0, x)``.
    """
    text = _p_text(printed)
    bound = text.startswith("<")
    digits = text.lstrip("<")
    value = Fraction(digits)
    if bound:
        return Fraction(0), value
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    unit = Fraction(1, 10**decimals)
    return value - unit / 2, value + unit


def _p_face(printed: str) -> tuple[Fraction, bool]:
    """The printed P as a value and whether it is an upper bound (``<.001``)."""
    text = _p_text(printed)
    return Fraction(text.lstrip("<")), text.startswith("<")


def _is_significant(printed: str) -> bool:
    """The Methods' rule on the printed value itself: P < .05 (``<x`` with x ≤ .05)."""
    value, bound = _p_face(printed)
    return value <= ALPHA if bound else value < ALPHA


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


def _table1_count(study: PublishedStudy, variable: str, level: str) -> int:
    if variable == "number":
        return study.n_per_group()[level]
    v = study.variable(variable)
    cell = next(lv.cells["all"] for lv in v.levels if lv.level == level)
    return 0 if cell.n is None else cell.n


def max_events(study: PublishedStudy, endpoint: str) -> tuple[int, str]:
    """The most events (progressions or deaths) the paper's prints allow.

    Parameters
    ----------
    study : PublishedStudy
        The printed values.
    endpoint : str
        ``"pfs"`` or ``"os"``.

    Returns
    -------
    tuple of (int, str)
        D and the reason: every patient (Table 1's 308) at most, and fewer when a group's
        median is printed "not reached" (fewer than half of its n_g patients had the event:
        each event takes at least 1/n_g of the Kaplan–Meier mass).
    """
    n_all = study.n_per_group()["all"]
    best, why = n_all, f"at most one event per patient ({n_all}, Table 1)"
    seen: set[tuple[str, str]] = set()
    by_grouping: dict[str, list[tuple[str, int]]] = {}
    for m in study.survival.medians:
        key = (m.grouping, m.group)
        if m.endpoint != endpoint or m.median_months is not None or key in seen:
            continue
        if m.grouping not in _KM_TABLE1:
            continue
        seen.add(key)
        n_g = _table1_count(study, _KM_TABLE1[m.grouping], m.group)
        by_grouping.setdefault(m.grouping, []).append((m.group, n_g))
    for grouping, groups in by_grouping.items():
        d = n_all - sum(n_g - (n_g - 1) // 2 for _, n_g in groups)
        if d < best:
            parts = ", ".join(
                f"at most {(n - 1) // 2} of the {n} in {grouping} {g}" for g, n in groups
            )
            best = d
            why = f"{n_all} patients, of whom {parts} (median printed 'not reached') had one"
    return best, why


def max_exposed_variance(study: PublishedStudy, covariate: str) -> tuple[float, str] | None:
    """The largest p (1 − p) Table 1 allows for a Cox covariate's exposed fraction p.

    Parameters
    ----------
    study : PublishedStudy
        The printed values.
    covariate : str
        A Table 3 covariate code (:data:`COX_TABLE1_SPLITS`).

    Returns
    -------
    tuple of (float, str) or None
        p (1 − p), at most ¼, with its counts in words; unknowns (and age 50–70 for
        ``age_le50``) go to whichever side brings p closest to ½, or are left out of the
        model. ``None`` for a covariate Table 1 does not split.
    """
    split = COX_TABLE1_SPLITS.get(covariate)
    if split is None:
        return None
    variable, exposed, reference, unknown = split
    e = sum(_table1_count(study, variable, lv) for lv in exposed)
    r = sum(_table1_count(study, variable, lv) for lv in reference)
    u = sum(_table1_count(study, variable, lv) for lv in unknown)
    candidates = [Fraction(e + k, e + r + u) for k in range(u + 1)]
    if u and e + r:
        candidates.append(Fraction(e, e + r))
    best = max(candidates, key=lambda p: p * (1 - p))
    words = f"{e} exposed, {r} reference" + (f", {u} either or neither" if u else "")
    return float(best * (1 - best)), f"{words} (Table 1; p = {float(best):.3f})"


# ------------------------------------------------------------------ significance words
def _statement_p(study: PublishedStudy, t: TextValue) -> tuple[str, str] | None:
    """(printed P, where it is printed) for the comparison a statement refers to."""
    ref = t.refers_to or {}
    table = ref.get("table")
    if table == "cited":
        return (t.p_printed, t.where) if t.p_printed is not None else None
    if table == "survival":
        for p in study.survival.p_values:
            if p.endpoint == ref.get("endpoint") and p.grouping == ref.get("grouping"):
                return p.printed, p.where
        return None
    if table == "table1":
        pv = study.variable(ref["variable"]).p_value
        return None if pv is None else (pv.printed, pv.where)
    if table == "table2":
        row = next((r for r in study.table2.responses if r.response == ref.get("response")), None)
        return (
            None if row is None or row.p_value is None else (row.p_value.printed, row.p_value.where)
        )
    if table == "table3":
        cox = _cox_row(study, ref.get("endpoint", ""), ref.get("covariate", ""))
        return None if cox is None else (cox.p_value.printed, cox.where)
    return None


def _cox_row(study: PublishedStudy, endpoint: str, covariate: str) -> CoxRow | None:
    return next(
        (r for r in study.table3.rows if r.endpoint == endpoint and r.covariate == covariate),
        None,
    )


def significance_severity(claim: str, p_printed: str) -> Severity | None:
    """How far a claim of (non-)significance is from the printed P.

    Parameters
    ----------
    claim : str
        ``"significant"`` or ``"not significant"``.
    p_printed : str
        The P printed for the same comparison.

    Returns
    -------
    {'warning', 'info'} or None
        ``None`` when the printed value agrees with the claim (P < .05 ⇔ significant);
        ``"info"`` when only a value in the print's rounding/truncation interval agrees
        (e.g. "significant" with P = .05, which may be a rounded .046); ``"warning"`` when
        no value that prints so agrees.
    """
    says_significant = claim == "significant"
    if _is_significant(p_printed) == says_significant:
        return None
    low, high = p_print_interval(p_printed)
    possible = low < ALPHA if says_significant else high > ALPHA
    return "info" if possible else "warning"


@_register("significance_statement", "a statement of significance against its printed P")
def significance_statement(ctx: InferenceContext) -> None:
    """Each statement of significance in the prose has P < .05 exactly when it claims one.

    The rule is the Methods' ("a P-value of less than .05 was considered to be
    statistically significant"); the P is the one printed for the same comparison (the
    log-rank P of the grouping, the Table 1/2 chi-square P, the Table 3 P, or the P the
    sentence prints for a cited study). The Results' lists of significant Cox factors
    (``covariate_list``) are checked factor by factor here; that the lists are complete is
    ``cox_significant_list`` of :mod:`captemstats.audit`.
    """
    check = "significance_statement"
    s = ctx.study
    items: list[tuple[TextValue, str, str, tuple[str, str] | None]] = []
    for t in s.text_values:
        if t.kind == "significance" and t.claim in SIGNIFICANCE_CLAIMS:
            items.append((t, t.id, t.claim, _statement_p(s, t)))
        elif t.kind == "covariate_list" and t.refers_to and t.covariates:
            for cov in t.covariates:
                row = _cox_row(s, t.refers_to.get("endpoint", ""), cov)
                p = None if row is None else (row.p_value.printed, row.where)
                items.append((t, f"{t.id}/{cov}", "significant", p))
    for t, item, claim, p in items:
        if p is None:
            continue
        ctx.examined(check)
        severity = significance_severity(claim, p[0])
        if severity is None:
            continue
        p_words = f"P = {_p_text(p[0])}" if not _p_text(p[0]).startswith("<") else f"P {p[0]}"
        why = (
            f"'{t.quote}' says the comparison is {claim}, but the P printed for it is "
            f"{p_words} ({p[1]}); the Methods count P < .05 as significant. Whether the "
            "words or the P are wrong is not determinable from the print."
        )
        if severity == "info":
            why += " Rounding-only: a P that prints so may lie on the other side of .05."
        elif (t.refers_to or {}).get("table") == "cited":
            why += " The statement is about a cited study; its own P contradicts its wording."
        ctx.add(check, severity, "text", item, "claim", t.where, f"{t.printed} ({p_words})", why)


# -------------------------------------------------------------------- CI width vs events
def _ci_parts(printed: str) -> tuple[str, str]:
    m = re.search(r"(\d*\.?\d+)\s*[-–]\s*(\d*\.?\d+)\s*$", printed)
    if m is None:
        raise ValueError(f"not a printed CI: {printed!r}")
    return m.group(1), m.group(2)


def _se_max(lower: str, upper: str, units: float) -> float:
    """The widest SE of log HR the printed CI allows when its bounds may move by ``units``
    of their last digit."""
    lo = float(lower) - units * ulp(lower)
    hi = float(upper) + units * ulp(upper)
    return math.log(hi / lo) / (2 * _Z)


def ci_width_tier(lower: str, upper: str, se_min: float) -> int:
    """How far a printed 95% CI is from the width a lower bound on SE(log HR) requires.

    Parameters
    ----------
    lower, upper : str
        The printed CI bounds (``"0.79"``, ``"1.05"``).
    se_min : float
        The smallest SE of log HR possible.

    Returns
    -------
    int
        0 when the CI can be that wide within its rounding (each bound ± half a unit of its
        last digit), 1 when only within one unit (rounding-only), 2 otherwise.
    """
    if _se_max(lower, upper, 0.5) >= se_min:
        return 0
    return 1 if _se_max(lower, upper, 1.0) >= se_min else 2


@_register("cox_ci_width_vs_events", "a hazard ratio's CI narrower than its events allow")
def cox_ci_width_vs_events(ctx: InferenceContext) -> None:
    """Each Table 3 CI is at least as wide as the events allow: SE(log HR) ≥ √(4/D) exactly
    for a binary covariate (information ≤ D/4), ≈ 1/√(D p (1 − p)) (Schoenfeld 1983)."""
    check = "cox_ci_width_vs_events"
    s = ctx.study
    for r in s.table3.rows:
        pq = max_exposed_variance(s, r.covariate)
        if pq is None:
            continue
        ctx.examined(check)
        d, d_why = max_events(s, r.endpoint)
        lower, upper = _ci_parts(r.ci.printed)
        se_exact = math.sqrt(4 / d)
        se_approx = math.sqrt(1 / (d * pq[0]))
        tiers = (ci_width_tier(lower, upper, se_exact), ci_width_tier(lower, upper, se_approx))
        labels: tuple[dict[int, Severity], dict[int, Severity]] = (
            {1: "info", 2: "error"},
            {1: "info", 2: "warning"},
        )
        found = [lab[t] for lab, t in zip(labels, tiers, strict=True) if t in lab]
        if not found:
            continue
        severity = max(found, key=lambda x: _SEVERITY_RANK[x])
        se = _se_max(lower, upper, 0.5)
        need_exact = math.ceil(4 / se**2)
        need_approx = math.ceil(1 / (pq[0] * se**2))
        why = (
            f"The 95% CI {r.ci.printed} gives SE(log HR) = "
            f"{math.log(float(upper) / float(lower)) / (2 * _Z):.3f} (at most {se:.3f} within "
            f"its rounding). With at most D = {d} {_event_word(r.endpoint)} ({d_why}), a binary "
            f"covariate's SE is at least √(4/D) = {se_exact:.3f} whatever the adjustment (the "
            f"partial-likelihood information is at most D/4), and about 1/√(D p(1−p)) = "
            f"{se_approx:.3f} with p(1−p) = {pq[0]:.3f} from {pq[1]} (Schoenfeld 1983). This "
            f"CI needs at least {need_exact} events by the exact bound and about {need_approx} "
            "by the approximation. Which of the HR, the CI or the model is wrong is not "
            "determinable from the print."
        )
        if tiers[0] == 2:
            why += " The exact bound is violated: the interval is narrower than possible."
        elif tiers[1] == 2:
            why += (
                " Only the approximation is violated (the exposed fraction of the risk sets "
                "may drift from the baseline p)."
            )
        else:
            why += " Rounding-only: one unit more in the CI's last digits would reach the bound."
        ctx.add(
            check,
            severity,
            "table3",
            f"{r.endpoint}/{r.covariate}",
            "ci",
            r.where,
            f"{r.hr.printed} ({r.ci.printed})",
            why,
        )


def _event_word(endpoint: str) -> str:
    return "progressions or deaths" if endpoint == "pfs" else "deaths"


# ------------------------------------------------------------------------ HR vs medians
def _first_medians(
    study: PublishedStudy, endpoint: str, grouping: str
) -> dict[str, tuple[float | None, str]]:
    out: dict[str, tuple[float | None, str]] = {}
    for m in study.survival.medians:
        if m.endpoint == endpoint and m.grouping == grouping:
            out.setdefault(m.group, (m.median_months, m.printed))
    return out


def _bracket(side: Sequence[tuple[float | None, str]], units: float) -> tuple[float, float]:
    """The medians' range, each moved by ``units`` of its last digit (not reached = ∞)."""
    lows = [math.inf if v is None else v - units * ulp(p) for v, p in side]
    highs = [math.inf if v is None else v + units * ulp(p) for v, p in side]
    return min(lows), max(highs)


def _ratio(num: float, den: float) -> float:
    if math.isinf(den):
        return 0.0 if not math.isinf(num) else math.nan
    return math.inf if math.isinf(num) else num / den


def _implied(exp: tuple[float, float], ref: tuple[float, float]) -> tuple[float, float]:
    """HR ≈ median(reference) / median(exposed) over both sides' brackets."""
    return _ratio(ref[0], exp[1]), _ratio(ref[1], exp[0])


def _against(lo: float, hi: float, hr: float, slack: float) -> bool:
    """The implied range [lo, hi] lies on one side of 1 and the HR (moved towards 1 by
    ``slack``) on the other."""
    return (hi < 1 and hr - slack > 1) or (lo > 1 and hr + slack < 1)


def _separated(exp: tuple[float, float], ref: tuple[float, float]) -> bool:
    return exp[1] < ref[0] or ref[1] < exp[0]


def _fmt(x: float) -> str:
    return "∞" if math.isinf(x) else f"{x:.2f}"


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


@_register("cox_hr_vs_km_medians", "a hazard ratio against the same grouping's KM medians")
def cox_hr_vs_km_medians(ctx: InferenceContext) -> None:
    """Each Table 3 HR agrees in direction (and roughly in size) with median(reference) /
    median(exposed) of the same grouping's Kaplan–Meier curves (proportional hazards with
    exponential-like survival: the hazard is ln 2 / median)."""
    check = "cox_hr_vs_km_medians"
    s = ctx.study
    for r in s.table3.rows:
        spec = COX_KM_GROUPINGS.get(r.covariate)
        if spec is None:
            continue
        grouping, exposed, reference = spec
        meds = _first_medians(s, r.endpoint, grouping)
        if any(g not in meds for g in (*exposed, *reference)):
            continue
        ctx.examined(check)
        exp_side = [meds[g] for g in exposed]
        ref_side = [meds[g] for g in reference]
        hr = r.hr.value
        lower, upper = _ci_parts(r.ci.printed)
        ci_lo, ci_hi = float(lower) - ulp(lower), float(upper) + ulp(upper)
        km_words = (
            f"The Kaplan–Meier medians are {_words(exposed, exp_side)} (exposed) vs "
            f"{_words(reference, ref_side)} (reference) months"
        )
        caveat = (
            " The HR is adjusted (multivariable) and the medians are not, and HR ≈ "
            "median ratio assumes exponential-like survival: a plausibility check, not "
            "determinable from the print."
        )
        item = f"{r.endpoint}/{r.covariate}"
        printed = f"{r.hr.printed} ({r.ci.printed})"
        exp1, ref1 = _bracket(exp_side, 1.0), _bracket(ref_side, 1.0)
        exp_h, ref_h = _bracket(exp_side, 0.5), _bracket(ref_side, 0.5)
        if _separated(exp_h, ref_h):
            lo, hi = _implied(exp_h, ref_h)
            expected = "below 1" if hi < 1 else "above 1"
            if _against(lo, hi, hr, 0.0):
                if _direction_vs_km_reports(ctx, r, grouping):
                    continue  # cox_direction_vs_km reports it
                lo1, hi1 = _implied(exp1, ref1)
                clear = _against(lo1, hi1, hr, ulp(r.hr.printed))
                covers = ci_lo <= hi and lo <= ci_hi
                why = (
                    f"{km_words}: HR ≈ median ratio between {_fmt(lo)} and {_fmt(hi)}, so "
                    f"'{r.label}' should be {expected}; it is {r.hr.printed} "
                    f"({r.ci.printed}, P = {r.p_value.printed}), whose CI "
                    + ("overlaps" if covers else "excludes")
                    + " that range. The reference category may be reversed."
                    + caveat
                )
                if not clear:
                    why += (
                        " Rounding-only: one unit in the last digit of the medians or the HR "
                        "removes the contradiction."
                    )
                severity: Severity = "warning" if clear else "info"
                ctx.add(check, severity, "table3", item, "hr", r.where, printed, why)
            else:
                lo1, hi1 = _implied(exp1, ref1)
                if ci_hi < lo1 or hi1 < ci_lo:
                    why = (
                        f"{km_words}: HR ≈ median ratio between {_fmt(lo)} and {_fmt(hi)}; "
                        f"the printed {r.hr.printed} does not contradict its direction but its "
                        f"CI {r.ci.printed} excludes every ratio the medians allow, even with one "
                        "unit of rounding (a large magnitude gap)." + caveat
                    )
                    ctx.add(check, "info", "table3", item, "hr", r.where, printed, why)
            continue
        # the sides overlap: pool each side as a mixture of exponentials (Table 1 weights)
        if any(v is None for v, _ in (*exp_side, *ref_side)):
            continue
        variable = _KM_TABLE1[grouping]
        pooled = []
        for groups, side in ((exposed, exp_side), (reference, ref_side)):
            weights = [_table1_count(s, variable, g) for g in groups]
            pooled.append(mixture_median([float(v or 0) for v, _ in side], weights))
        ratio = pooled[1] / pooled[0]
        if ci_lo <= ratio <= ci_hi:
            continue
        same_way = (ratio > 1) == (hr > 1) or hr == 1
        why = (
            f"{km_words}; the sides' medians overlap, so each side is pooled as a mixture of "
            f"exponentials weighted by Table 1's counts: {pooled[0]:.1f} vs {pooled[1]:.1f} "
            f"months, HR ≈ {ratio:.2f}. The printed {r.hr.printed} ({r.ci.printed}) "
            + (
                "points the same way but its CI excludes it."
                if same_way
                else "points the other way."
            )
            + " Info only: the pooling rests on the exponential assumption."
            + caveat
        )
        ctx.add(check, "info", "table3", item, "hr", r.where, printed, why)


def _words(groups: Sequence[str], side: Sequence[tuple[float | None, str]]) -> str:
    return ", ".join(f"{g}: {p}" for g, (_, p) in zip(groups, side, strict=True))


# ---------------------------------------------------------------------------- P vs CI
_HR_CI_P = re.compile(
    r"HR:?\s*(?P<hr>\d*\.\d+).*?P\s*(?P<p>[=<]\s*\d*\.\d+).*?(?P<ci>\d*\.\d+\s*[-–]\s*\d*\.\d+)"
)


def wald_p_range(hr: str, lower: str, upper: str, units: float) -> tuple[float, float]:
    """The Wald P of an HR and its 95% CI over the corners of the prints' rounding.

    Parameters
    ----------
    hr, lower, upper : str
        The printed HR and CI bounds.
    units : float
        How many units of the last digit each print may move (0.5: its rounding; 1: the
        rounding-only tolerance).

    Returns
    -------
    tuple of float
        The smallest and largest two-sided P, SE = log(upper / lower) / 3.92.
    """
    from scipy.stats import norm

    ps = []
    for b in (float(hr) - units * ulp(hr), float(hr) + units * ulp(hr)):
        for a in (float(lower) - units * ulp(lower), float(lower) + units * ulp(lower)):
            for c in (float(upper) - units * ulp(upper), float(upper) + units * ulp(upper)):
                se = math.log(c / a) / (2 * _Z)
                ps.append(float(2 * norm.sf(abs(math.log(b)) / se)))
    return min(ps), max(ps)


@_register("p_vs_ci", "a P value against the HR and CI printed beside it (outside Table 3)")
def p_vs_ci(ctx: InferenceContext) -> None:
    """Each P printed with an HR and its CI in the text is their Wald P, and P < .05
    exactly when the CI excludes 1 (Table 3: ``cox_wald_p`` in :mod:`captemstats.audit`)."""
    check = "p_vs_ci"
    for t in ctx.study.text_values:
        if t.kind != "cox":
            continue
        m = _HR_CI_P.search(t.printed)
        if m is None:
            continue
        ctx.examined(check)
        lower, upper = _ci_parts(m.group("ci"))
        p_printed = m.group("p").replace("=", "").strip()
        low, high = p_print_interval(p_printed)
        severity: Severity | None = None
        tiers: tuple[tuple[float, Severity | None], ...] = ((0.5, None), (1.0, "info"))
        for units, sev in tiers:
            p_lo, p_hi = wald_p_range(m.group("hr"), lower, upper, units)
            if Fraction(p_lo) < high and Fraction(p_hi) >= low:
                severity = sev
                break
        else:
            severity = "warning"
        excludes = float(lower) > 1 or float(upper) < 1
        touches = float(lower) == 1 or float(upper) == 1
        contradicts = _is_significant(p_printed) != excludes and not touches
        if severity is None and not contradicts:
            continue
        se = math.log(float(upper) / float(lower)) / (2 * _Z)
        from scipy.stats import norm

        p0 = float(2 * norm.sf(abs(math.log(float(m.group("hr")))) / se))
        why = (
            f"The Wald P of HR {m.group('hr')} with 95% CI {m.group('ci')} is {p0:.4f}; "
            f"the text prints P {m.group('p')}."
        )
        if contradicts:
            severity = "warning"
            why += " P < .05 and a CI that includes 1 (or the reverse) cannot both hold."
        elif severity == "info":
            why += " Rounding-only: one unit in the prints' last digits reconciles them."
        why += " Which print is wrong is not determinable."
        assert severity is not None
        ctx.add(check, severity, "text", t.id, "p_value", t.where, t.printed, why)
