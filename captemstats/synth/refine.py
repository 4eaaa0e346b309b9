"""Refinement of a small synthetic cohort's survival draws against every printed inference.

The scheduled model (:mod:`~captemstats.synth.calibrate`) fits a parametric Weibull PH model
to the printed medians. At the published size (308 patients) two things keep it from
reproducing every printed number: sampling noise (a median of 40 patients seen at
assessments three months apart moves in steps of about 10 %), and structure no additive PH
model holds (grade and Ki-67 class share 55 of their 62-63 "low" patients, yet the paper
prints an OS median of 61.9 months for grade 1 and "not reached" for Ki-67 < 3 %; the
patients in only one of the two groups decide both).

The refinement keeps the fitted model and its draws and only decides *which patient gets
which draw*: a greedy search over swaps of two patients' latent draws (the draw is a
uniform, turned into a time by the patient's own hazard, line and schedule, and observed
with the patient's own censoring), accepting a swap when it does not increase (beyond
rounding, :data:`TIE_TOLERANCE`) a loss over

* every printed Kaplan–Meier median of the endpoint (overall, by line, grade, Ki-67 class and
  primary site; a printed "not reached" asks for a curve that stays above one half),
* every printed log-rank P (the same side of .05 and close on the log scale), and
* Table 3's hazard ratios (a Breslow Cox fit on the complete cases; reversed where the same
  grouping's printed medians contradict the printed HR, see :func:`median_supported_log_hr`).

Each term is scaled to a tolerance (10 % for a median and a factor 3 for a P value, as the
reproduction appendix's; 15 % for a hazard ratio, where the appendix is stricter at 10 %:
at 10 % the search trades a printed median and a log-rank P for the HRs, and the medians
come first), so a loss term of 1 is "just within";
terms beyond ``MARGIN`` of their tolerance weigh :data:`OUTSIDE_WEIGHT` times more. The
marginal distribution of the draws is unchanged, the search is seeded (byte-reproducible)
and only runs on cohorts up to the calibration sample size: at registry scale the
parametric fit is what the data hold.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from captemstats.audit.inference_medians import COX_KM_GROUPINGS
from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.calibrate import Grouping, logrank_p
from captemstats.synth.survival import cox_breslow, curve_median, km_curve
from captemstats.synth.targets import LINES, Targets
from captemstats.units import DAYS_PER_MONTH

BoolArray = npt.NDArray[np.bool_]
#: The tolerances of the terms: median ratio and P-value factor (the reproduction appendix's),
#: HR ratio (15 %; the appendix's 10 % costs a median and a log-rank P, module docstring).
MEDIAN_TOLERANCE = math.log(1.10)
P_TOLERANCE = math.log(3.0)
HR_TOLERANCE = math.log(1.15)
#: The fraction of each tolerance the search aims inside (the analysis computes on dates and
#: fits Cox with Efron's ties, the search on whole days with Breslow's: a little room).
MARGIN = 0.8
#: How much more a term beyond ``MARGIN`` of its tolerance weighs.
OUTSIDE_WEIGHT = 25.0
#: Swaps proposed per patient and endpoint.
PROPOSALS_PER_PATIENT = 12
#: The largest cohort refined (each proposal re-evaluates every term, O(n); beyond a few
#: hundred patients the sampling noise the search removes is small and the search slow).
REFINE_LIMIT = 500
#: Losses this close (relative) count as equal. Swapping the draws of two patients with the
#: same covariates leaves every term mathematically unchanged, but the Cox fit and the sums
#: come out a few ulps apart (measured: 6e-14 on a loss of 25.6), in a direction that depends
#: on the machine's SIMD kernels; comparing the raw floats made the search, and so the
#: shipped registry, differ between an AVX-512 and an AVX2 machine.
TIE_TOLERANCE = 1e-9
#: The error of a Cox term when the fit fails (no finite estimate on these draws).
FAILED_FIT_ERROR = 50.0
#: Progression draws are swapped only between patients this close in the rank of their death
#: draw, so that the two draws of a patient stay correlated as the copula made them.
PFS_NEIGHBOURS = 15

Evaluate = Callable[[IntArray], tuple[FloatArray, BoolArray]]


@dataclass(frozen=True)
class EndpointTerms:
    """What one endpoint's draws are refined against.

    ``medians``: (name, patients, target days; ``inf`` = printed not reached); ``logranks``:
    (name, group codes with -1 = in no compared group, printed P); ``design``, ``complete``
    and ``target_log_hr``: Table 3's Cox design, its complete-case rows and the log HR of each
    column (``nan`` = not a target); ``shortest_days``: a time some patient's observation
    should not exceed (the printed shortest follow-up, which diagnosis-to-start gaps can
    only lengthen), or ``None``.
    """

    medians: tuple[tuple[str, BoolArray, float], ...]
    logranks: tuple[tuple[str, IntArray, float], ...]
    design: FloatArray
    complete: BoolArray
    target_log_hr: FloatArray
    hr_names: tuple[str, ...]
    shortest_days: float | None = None


def median_error(time: FloatArray, event: BoolArray, target: float) -> float:
    """A median's distance from its target, in units of the 10 % tolerance.

    |log(median / target)| / log 1.1, plus |S(target) − ½| / 0.2: the median is a step
    function of the data (it moves only when the curve crosses one half), the survival at
    the target time moves with every event that crosses it, so the search always sees which
    way is better. For a printed "not reached": 0 while the curve stays above one half, else
    1 plus how far below (in 5-point units); a finite target the curve never reaches: 2
    plus how far above.
    """
    times, d, surv = km_curve(time, event)
    med, tail = curve_median(times, d, surv), float(surv[-1])
    if math.isinf(target):
        return 0.0 if math.isinf(med) else 1.0 + (0.5 - tail) / 0.05
    if math.isinf(med):
        return 2.0 + (tail - 0.5) / 0.05
    before = np.flatnonzero(times <= target)
    s_at = float(surv[before[-1]]) if before.size else 1.0
    return abs(math.log(med / target)) / MEDIAN_TOLERANCE + abs(s_at - 0.5) / 0.2


def p_error(p: float, target: float) -> float:
    """|log(P / printed)| in units of a factor 3; on the wrong side of .05, at least 1 plus
    the distance to .05 in the same units."""
    p = max(p, 1e-300)
    err = abs(math.log(p / target)) / P_TOLERANCE
    if (p < 0.05) != (target < 0.05):
        err = max(err, 1.0 + abs(math.log(p / 0.05)) / P_TOLERANCE)
    return err


def term_errors(time: FloatArray, event: BoolArray, terms: EndpointTerms) -> dict[str, float]:
    """Every term's error (1 = at its tolerance) for observed (time, event)."""
    out = {
        name: median_error(time[sel], event[sel], t) for name, sel, t in terms.medians if sel.any()
    }
    for name, codes, target in terms.logranks:
        p = logrank_p(time, event, codes)
        if not math.isnan(p):
            out[name] = p_error(p, target)
    if terms.shortest_days is not None:
        shortest = max(float(time.min()), 1.0)
        out["shortest time"] = max(0.0, math.log(shortest / terms.shortest_days)) / MEDIAN_TOLERANCE
    if not terms.hr_names:
        return out
    c = terms.complete
    try:
        b = cox_breslow(time[c], event[c], terms.design[c])
    except np.linalg.LinAlgError:
        b = None
    for i, (name, target) in enumerate(zip(terms.hr_names, terms.target_log_hr, strict=True)):
        if not np.isnan(target):
            err = FAILED_FIT_ERROR if b is None else abs(float(b[i]) - float(target))
            out[name] = min(err / HR_TOLERANCE, FAILED_FIT_ERROR)
    return out


def loss(errors: Mapping[str, float]) -> float:
    """Σ e² + ``OUTSIDE_WEIGHT`` Σ max(0, e − ``MARGIN``)² over the terms."""
    e = np.fromiter(errors.values(), dtype=np.float64)
    return float(np.sum(e * e) + OUTSIDE_WEIGHT * np.sum(np.square(np.maximum(e - MARGIN, 0.0))))


def refine_assignment(
    rng: np.random.Generator,
    evaluate: Evaluate,
    terms: EndpointTerms,
    strata: IntArray,
    *,
    neighbours_of: FloatArray | None = None,
    proposals: int | None = None,
) -> tuple[IntArray, dict[str, float]]:
    """Greedy swap search for the assignment of draws to patients (module docstring).

    Parameters
    ----------
    rng : numpy.random.Generator
        The search's random stream (proposals only).
    evaluate : callable
        ``evaluate(perm)`` gives the observed (time, event) of every patient when patient
        ``i`` gets draw ``perm[i]``.
    terms : EndpointTerms
        The targets.
    strata : array of int
        A stratum per patient: draws are swapped within a stratum only (the treatment line:
        each line keeps the distribution of times its fitted model gives, so the line
        contrast stays the parametric fit's).
    neighbours_of : array of float, optional
        When given, a swap pairs patients of a stratum within :data:`PFS_NEIGHBOURS` ranks
        of each other in this value (keeps the progression draw near its partner death
        draw).
    proposals : int, optional
        Swaps proposed (default :data:`PROPOSALS_PER_PATIENT` per patient).

    Returns
    -------
    (numpy.ndarray, dict)
        The assignment and the term errors it achieves.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.array([5.0, 1.0, 3.0, 4.0, 2.0])
    >>> terms = EndpointTerms(
    ...     (("all", np.ones(5, bool), 3.0), ("first", np.arange(5) < 2, 1.5)), (),
    ...     np.zeros((5, 0)), np.ones(5, bool), np.zeros(0), ())
    >>> perm, errors = refine_assignment(
    ...     np.random.default_rng(1), lambda p: (t[p], np.ones(5, bool)), terms,
    ...     np.zeros(5, dtype=np.int64))
    >>> sorted(t[perm][:2].tolist()), errors["all"]
    ([1.0, 2.0], 0.0)
    """
    n = strata.size
    perm = np.arange(n)
    errors = term_errors(*evaluate(perm), terms)
    current = loss(errors)
    count = PROPOSALS_PER_PATIENT * n if proposals is None else proposals
    first, second = _pairs(rng, strata, neighbours_of, count)
    for i, j in zip(first.tolist(), second.tolist(), strict=True):
        if i == j:
            continue
        perm[i], perm[j] = perm[j], perm[i]
        trial = term_errors(*evaluate(perm), terms)
        value = loss(trial)
        if value <= current + TIE_TOLERANCE * max(1.0, abs(current)):
            current, errors = value, trial
        else:
            perm[i], perm[j] = perm[j], perm[i]
    return perm, errors


def _pairs(
    rng: np.random.Generator, strata: IntArray, neighbours_of: FloatArray | None, count: int
) -> tuple[IntArray, IntArray]:
    """``count`` proposed swaps (i, j) of distinct patients in the same stratum (near in
    ``neighbours_of`` when given); a stratum of one patient proposes nothing (i == j)."""
    n = strata.size
    key = np.zeros(n) if neighbours_of is None else neighbours_of
    order = np.lexsort((key, strata))
    pos = np.empty(n, dtype=np.int64)
    pos[order] = np.arange(n)
    sorted_strata = strata[order]
    start = np.searchsorted(sorted_strata, sorted_strata, side="left")[pos]
    size = np.searchsorted(sorted_strata, sorted_strata, side="right")[pos] - start
    first = rng.integers(0, n, count)
    at, lo, width = pos[first], start[first], size[first]
    if neighbours_of is None:
        shift = rng.integers(1, np.maximum(width, 2))
        target = lo + (at - lo + shift) % np.maximum(width, 1)
    else:
        step = rng.integers(1, PFS_NEIGHBOURS + 1, count) * rng.choice((-1, 1), count)
        target = np.clip(at + step, lo, lo + width - 1)
    return first, order[target]


def _side_medians(
    targets: Targets, endpoint: str, grouping: str, groups: Sequence[str]
) -> list[float]:
    """The printed median (days; ``inf`` = not reached) of each group of one side of a
    Table 3 contrast."""
    out = []
    for g in groups:
        if grouping == "line":
            months: float | None = targets.medians[(endpoint, g)]
        else:
            months = targets.group_medians[(endpoint, grouping, g)]
        out.append(math.inf if months is None else months * DAYS_PER_MONTH)
    return out


def median_supported_log_hr(targets: Targets, endpoint: str, covariate: str) -> float:
    """Table 3's log HR for ``covariate``, reversed (1/HR) only where the same grouping's
    printed medians contradict it.

    The medians contradict an HR when the two sides' ranges of medians do not overlap and
    the HR points the other way (the longer-lived side must have the lower hazard) — the
    condition of the audit's ``cox_direction_vs_km`` and ``cox_hr_vs_km_medians`` warnings.
    When the ranges overlap (e.g. pancreas against the other sites, with unknown primary
    shorter and lung longer) the medians do not decide the direction of an *adjusted* HR,
    and the printed one is kept.

    Examples
    --------
    >>> from captemstats.synth.targets import load_resolved
    >>> t = Targets.from_resolved(load_resolved())
    >>> round(math.exp(median_supported_log_hr(t, "os", "first_line")), 2)
    0.72
    """
    printed = targets.log_hr[(endpoint, covariate)]
    if covariate not in COX_KM_GROUPINGS:
        return printed
    grouping, exposed, reference = COX_KM_GROUPINGS[covariate]
    exp_m = _side_medians(targets, endpoint, grouping, exposed)
    ref_m = _side_medians(targets, endpoint, grouping, reference)
    if min(exp_m) > max(ref_m):
        lower_hazard = True
    elif max(exp_m) < min(ref_m):
        lower_hazard = False
    else:
        return printed
    return printed if (printed < 0) == lower_hazard else -printed


def endpoint_terms(
    targets: Targets,
    endpoint: str,
    groupings: Sequence[Grouping],
    line: IntArray,
    design: FloatArray,
    complete: BoolArray,
    hr_covariates: Sequence[str],
    shortest_days: float | None = None,
) -> EndpointTerms:
    """The refinement targets of one endpoint: every printed median and log-rank P (overall,
    line and ``groupings``) and Table 3's HRs of the design's columns (``hr_covariates``,
    names of :data:`~captemstats.synth.targets.Targets.log_hr`) and, when given, an
    observation no longer than ``shortest_days``."""
    everyone = np.ones(line.size, dtype=bool)
    medians: list[tuple[str, BoolArray, float]] = [
        ("median all", everyone, targets.medians[(endpoint, "all")] * DAYS_PER_MONTH)
    ]
    for j, g in enumerate(LINES):
        medians.append(
            (f"median line {g}", line == j, targets.medians[(endpoint, g)] * DAYS_PER_MONTH)
        )
    logranks: list[tuple[str, IntArray, float]] = []
    line_p = targets.group_p.get((endpoint, "line"))
    if line_p is not None:
        logranks.append(("log-rank line", line.astype(np.int64), line_p))
    for grp in groupings:
        for lev, days in enumerate(grp.target_days):
            if not np.isnan(days):
                medians.append((f"median {grp.name} {lev}", grp.codes == lev, float(days)))
        if grp.target_p is not None:
            logranks.append((f"log-rank {grp.name}", grp.codes, grp.target_p))
    target = np.array([median_supported_log_hr(targets, endpoint, c) for c in hr_covariates])
    return EndpointTerms(
        tuple(medians),
        tuple(logranks),
        design,
        complete,
        target,
        tuple(f"HR {c}" for c in hr_covariates),
        shortest_days,
    )
