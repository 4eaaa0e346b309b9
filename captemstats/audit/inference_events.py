"""Inference check: a Cox CI against the number of events it rests on.

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
    the approximation a ``warning``; a CI one unit in its last digits short is ``info``.
"""

from __future__ import annotations

import math
from fractions import Fraction

from captemstats.audit.core import CHECKS, InferenceContext, Severity
from captemstats.audit.numbers import Z_975, ci_parts, ulp
from captemstats.published import CoxRow, PublishedStudy

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

#: Kaplan–Meier grouping -> the Table 1 variable counting its groups (same level codes).
KM_TABLE1_VARIABLE = {
    "line": "number",
    "grade": "grade",
    "ki67_group": "ki67_group",
    "primary_site": "primary_site",
}

_SEVERITY_RANK: dict[Severity, int] = {"info": 1, "warning": 2, "error": 3}


def table1_all_count(study: PublishedStudy, variable: str, level: str) -> int:
    """Table 1's All-column count of a level (``number``: the patients of a line)."""
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
        if m.grouping not in KM_TABLE1_VARIABLE:
            continue
        seen.add(key)
        n_g = table1_all_count(study, KM_TABLE1_VARIABLE[m.grouping], m.group)
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
    e = sum(table1_all_count(study, variable, lv) for lv in exposed)
    r = sum(table1_all_count(study, variable, lv) for lv in reference)
    u = sum(table1_all_count(study, variable, lv) for lv in unknown)
    candidates = [Fraction(e + k, e + r + u) for k in range(u + 1)]
    if u and e + r:
        candidates.append(Fraction(e, e + r))
    best = max(candidates, key=lambda p: p * (1 - p))
    words = f"{e} exposed, {r} reference" + (f", {u} either or neither" if u else "")
    return float(best * (1 - best)), f"{words} (Table 1; p = {float(best):.3f})"


def _se_max(lower: str, upper: str, units: float) -> float:
    """The widest SE of log HR the printed CI allows when its bounds may move by ``units``
    of their last digit."""
    lo = float(lower) - units * ulp(lower)
    hi = float(upper) + units * ulp(upper)
    return math.log(hi / lo) / (2 * Z_975)


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


def _event_word(endpoint: str) -> str:
    return "progressions or deaths" if endpoint == "pfs" else "deaths"


def _ci_width_explanation(
    r: CoxRow, d: int, d_why: str, pq: tuple[float, str], tiers: tuple[int, int]
) -> str:
    """The CI's SE, the bounds it breaks and the events it would need."""
    lower, upper = ci_parts(r.ci.printed)
    se_exact = math.sqrt(4 / d)
    se_approx = math.sqrt(1 / (d * pq[0]))
    se = _se_max(lower, upper, 0.5)
    need_exact = math.ceil(4 / se**2)
    need_approx = math.ceil(1 / (pq[0] * se**2))
    why = (
        f"The 95% CI {r.ci.printed} gives SE(log HR) = "
        f"{math.log(float(upper) / float(lower)) / (2 * Z_975):.3f} (at most {se:.3f} within "
        f"its rounding). With at most D = {d} {_event_word(r.endpoint)} ({d_why}), a binary "
        f"covariate's SE is at least √(4/D) = {se_exact:.3f} whatever the adjustment (the "
        f"partial-likelihood information is at most D/4), and about 1/√(D p(1−p)) = "
        f"{se_approx:.3f} with p(1−p) = {pq[0]:.3f} from {pq[1]} (Schoenfeld 1983). This "
        f"CI needs at least {need_exact} events by the exact bound and about {need_approx} "
        "by the approximation. Which of the HR, the CI or the model is wrong is not "
        "determinable from the print."
    )
    if tiers[0] == 2:
        return why + " The exact bound is violated: the interval is narrower than possible."
    if tiers[1] == 2:
        return why + (
            " Only the approximation is violated (the exposed fraction of the risk sets "
            "may drift from the baseline p)."
        )
    return why + " Rounding-only: one unit more in the CI's last digits would reach the bound."


@CHECKS.register("cox_ci_width_vs_events", "a hazard ratio's CI narrower than its events allow")
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
        lower, upper = ci_parts(r.ci.printed)
        tiers = (
            ci_width_tier(lower, upper, math.sqrt(4 / d)),
            ci_width_tier(lower, upper, math.sqrt(1 / (d * pq[0]))),
        )
        labels: tuple[dict[int, Severity], dict[int, Severity]] = (
            {1: "info", 2: "error"},
            {1: "info", 2: "warning"},
        )
        found = [lab[t] for lab, t in zip(labels, tiers, strict=True) if t in lab]
        if not found:
            continue
        severity = max(found, key=lambda x: _SEVERITY_RANK[x])
        ctx.add(
            check,
            severity,
            "table3",
            f"{r.endpoint}/{r.covariate}",
            "ci",
            r.where,
            f"{r.hr.printed} ({r.ci.printed})",
            _ci_width_explanation(r, d, d_why, pq, tiers),
        )
