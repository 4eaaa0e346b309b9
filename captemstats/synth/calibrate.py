"""Calibration of the synthetic survival times to the published medians and log-rank tests.

Model, per endpoint (PFS, OS): a latent event time with Weibull proportional hazards,
cumulative hazard ``H(t) = (t / lambda_line)^k exp(eta)``, where the linear predictor

``eta = beta . x + gamma_grade[grade] + gamma_ki67[Ki-67 class] + gamma_site[primary site]``

holds the Table 3 covariates that no published median describes (sex, age <= 50,
comorbidity, ECOG 0-1, prior curative surgery: ``beta``, started at the published log HRs)
and one effect per level of each grouping whose Kaplan–Meier medians the paper prints
(``gamma``). Latent times are then *observed* (:class:`PfsObservation` — progression seen
at the next scheduled assessment, best-response PD at the first; censoring; death first), so
every median is computed on the data as the analysis will see it.

Fitting, with no hand-set per-group constant:

* ``lambda_line`` — bisection so that each line's KM median equals the published one;
* ``gamma`` — raking: each grouping level's effect moves by ``k log(median / target)`` (the
  Weibull PH identity ``median ∝ exp(-eta / k)``), damped, centred, for a few sweeps; a
  level printed "not reached" has its hazard lowered until its median is not reached;
* ``beta`` — a fixed-point step per sweep so that Table 3's Cox model (Breslow) fitted on the
  generated data returns the published log HRs for the covariates it holds (cohorts up to
  ``exact`` size with enough events; otherwise it stays at the published values);
* ``k`` — a grid: the shape minimising the worst error over all medians (relative, log scale)
  and the by-line log-rank P (log scale, weighted to count a factor 3 like a 10 % median
  error), because the shape sets how far apart curves with given medians lie.

The hazard ratios of grade, Ki-67 class, primary site and first line are *outputs*: their
direction follows the medians (grade 3 and Ki-67 21–55 % do worse, as the Results say), and
how close they come to Table 3 is reported, not forced.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from scipy import stats

from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.survival import (
    MIN_EVENTS_PER_COVARIATE,
    cox_breslow,
    km_median,
    matching_log_scale,
)
from captemstats.synth.timeline import ScanSchedule
from captemstats.units import DAYS_PER_MONTH

BoolArray = npt.NDArray[np.bool_]
#: Raking sweeps per shape candidate, and the damping of each step.
SWEEPS = 8
#: Further sweeps, at half the damping, refining the best shape.
REFINE_SWEEPS = 16
DAMPING = 0.8
#: Latest latent event time, days (a century: beyond every censoring time).
MAX_DAYS = 36525.0
#: A log-rank P a factor 3 off counts as much as a median 10 % off (both "just acceptable").
P_WEIGHT = np.log(1.1) / np.log(3.0)


@dataclass(frozen=True)
class Grouping:
    """One published grouping: a level code per patient (-1 = in no compared level) and the
    target median per level in days (``nan`` = no target, ``inf`` = printed not reached)."""

    name: str
    codes: IntArray
    target_days: FloatArray
    target_p: float | None = None


class Observe:
    """How latent times become observed (time, event) on a subset ``sel`` of patients."""

    def __call__(self, t: FloatArray, sel: IntArray) -> tuple[FloatArray, BoolArray]:
        raise NotImplementedError


@dataclass(frozen=True)
class OsObservation(Observe):
    """Death observed unless censored first; never before ``floor`` (days)."""

    censor: FloatArray
    floor: FloatArray

    @staticmethod
    def floored(t: FloatArray, floor: FloatArray) -> FloatArray:
        return np.maximum(t, floor)

    def __call__(self, t: FloatArray, sel: IntArray) -> tuple[FloatArray, BoolArray]:
        t = np.maximum(t, self.floor[sel])
        c = self.censor[sel]
        return np.minimum(t, c), t <= c


@dataclass(frozen=True)
class PfsObservation(Observe):
    """Progression seen at the next performed assessment (:class:`ScanSchedule`), death first.

    Within each line, the fraction ``pd_share[line]`` of evaluable patients with the earliest
    latent progression are seen progressing at the first assessment (best response PD); every
    other progression is seen from the second assessment on.
    """

    censor: FloatArray
    death: FloatArray
    schedule: ScanSchedule
    line: IntArray
    evaluable: BoolArray
    pd_share: FloatArray

    def pd_mask(self, t: FloatArray, sel: IntArray) -> BoolArray:
        """Which of ``sel`` progress at the first assessment."""
        out = np.zeros(sel.size, dtype=bool)
        ln, ev = self.line[sel], self.evaluable[sel]
        for j, share in enumerate(self.pd_share):
            pos = np.flatnonzero((ln == j) & ev)
            k = int(np.rint(share * pos.size))
            if k:
                out[pos[np.argsort(t[pos], kind="stable")[:k]]] = True
        return out

    def progression_day(self, t: FloatArray, sel: IntArray) -> IntArray:
        """Day on which each latent progression is seen."""
        first = self.schedule.first_day(sel)
        later = self.schedule.seen_at(np.maximum(t, first + 1.0), sel, min_j=2)
        return np.where(self.pd_mask(t, sel), first, later)

    def __call__(self, t: FloatArray, sel: IntArray) -> tuple[FloatArray, BoolArray]:
        end = np.minimum(self.progression_day(t, sel).astype(np.float64), self.death[sel])
        c = self.censor[sel]
        return np.minimum(end, c), end <= c


def logrank_p(time: FloatArray, event: BoolArray, group: IntArray) -> float:
    """Log-rank test P (chi-square with groups - 1 df; Mantel's hypergeometric variance, as
    R's ``survdiff``) over the patients whose group code is >= 0."""
    keep = group >= 0
    levels, g = np.unique(group[keep], return_inverse=True)
    if levels.size < 2:
        return float("nan")
    uniq, inv = np.unique(time[keep], return_inverse=True)
    m, n_g = uniq.size, levels.size
    cell = inv * n_g + g
    count = np.bincount(cell, minlength=m * n_g).reshape(m, n_g).astype(np.float64)
    dead = np.bincount(cell, weights=event[keep].astype(np.float64), minlength=m * n_g)
    dead = dead.reshape(m, n_g)
    at_risk = count[::-1].cumsum(axis=0)[::-1]
    n_all, d_all = at_risk.sum(axis=1), dead.sum(axis=1)
    frac = at_risk / n_all[:, None]
    o_e = (dead - frac * d_all[:, None]).sum(axis=0)
    w = d_all * (n_all - d_all) / np.maximum(n_all - 1.0, 1.0)
    v = np.diag((w[:, None] * frac).sum(axis=0)) - np.einsum("t,ti,tj->ij", w, frac, frac)
    stat = float(o_e[:-1] @ np.linalg.solve(v[:-1, :-1], o_e[:-1]))
    return float(stats.chi2.sf(stat, n_g - 1))


@dataclass
class EndpointFit:
    """Fitted parameters of one endpoint and the medians/P achieved on the calibration data."""

    k: float
    spread: float
    log_scale: FloatArray
    beta: FloatArray
    gamma: dict[str, FloatArray]
    achieved: dict[str, float] = field(default_factory=dict)

    def eta(
        self, x: FloatArray, groups: Sequence[Grouping], sel: IntArray | None = None
    ) -> FloatArray:
        rows = slice(None) if sel is None else sel
        out = x[rows] @ self.beta
        for g in groups:
            codes = g.codes[rows]
            out = out + np.where(codes >= 0, self.gamma[g.name][np.maximum(codes, 0)], 0.0)
        return np.asarray(out, dtype=np.float64)

    @property
    def shapes(self) -> FloatArray:
        """Weibull shape per line: ``k exp(-spread (line - 1))`` (``spread`` > 0: the later
        the line, the more of its events come early)."""
        return np.asarray(self.k * np.exp(-self.spread * (np.arange(3) - 1.0)), dtype=np.float64)

    def times(self, log_e: FloatArray, eta: FloatArray, line: IntArray) -> FloatArray:
        """Latent event times (whole days, >= 1) by inversion of the Weibull PH model."""
        return weibull_times(log_e, eta, self.shapes[line], self.log_scale[line])


def weibull_times(
    log_e: FloatArray, eta: FloatArray, k: FloatArray, log_scale: FloatArray
) -> FloatArray:
    """``rint(scale (E exp(-eta))^(1/k))``, at least 1 day and at most :data:`MAX_DAYS` (a
    small shape sends the upper tail far past any follow-up: the cap is never observed)."""
    log_t = np.minimum(log_scale + (log_e - eta) / k, np.log(MAX_DAYS))
    return np.maximum(1.0, np.rint(np.exp(log_t)))


def _line_scales(
    obs: Observe,
    log_e: FloatArray,
    eta: FloatArray,
    line: IntArray,
    shapes: FloatArray,
    target_days: FloatArray,
    start: FloatArray,
) -> FloatArray:
    """Per line, the log scale whose KM median (of the whole observed cohort) is closest to
    the target: bisection to the crossing, then a local scan (medians of discretised,
    censored times are step functions of the scale)."""
    log_scale = start.copy()
    for j in range(target_days.size):
        sel = np.flatnonzero(line == j)
        k = float(shapes[j])

        def median_at(s: float, sel: IntArray = sel, k: float = k) -> float:
            t = weibull_times(log_e[sel], eta[sel], np.full(sel.size, k), np.full(sel.size, s))
            return km_median(*obs(t, sel))

        # bracket around the previous solution (warm start across sweeps), widened until it
        # holds the crossing; then bisection to a 0.005 width
        width = 0.5
        lo, hi = start[j] - width, start[j] + width
        while median_at(lo) >= target_days[j] and width < 8.0:
            width *= 2.0
            lo = start[j] - width
        while median_at(hi) < target_days[j] and width < 8.0:
            width *= 2.0
            hi = start[j] + width
        steps = int(np.ceil(np.log2((hi - lo) / 0.005)))
        log_scale[j] = matching_log_scale(median_at, float(target_days[j]), lo, hi, steps, 0.08, 9)
    return log_scale


Loss = Callable[[FloatArray, BoolArray], float]


def fit_endpoint(
    obs: Observe,
    log_e: FloatArray,
    x: FloatArray,
    line: IntArray,
    groups: Sequence[Grouping],
    line_days: FloatArray,
    overall_days: float,
    line_p: float | None,
    beta0: FloatArray,
    *,
    cox: tuple[FloatArray, BoolArray] | None,
    shapes: Sequence[float] = (0.45, 0.6, 0.8, 1.0, 1.25),
    spreads: Sequence[float] = (0.0, 0.3, 0.6, 0.9, 1.2),
) -> EndpointFit:
    """Fit (k, line scales, gamma, beta) as described in the module docstring.

    ``cox`` is the Table 3 design on the calibration rows and its complete-case mask, or
    ``None`` to keep ``beta`` at ``beta0``; its first ``beta0.size`` columns are ``x``.
    """
    everyone = np.arange(line.size)

    def sweep(fit: EndpointFit, damping: float) -> None:
        """One raking sweep: line scales, then each grouping's level effects, then beta."""
        eta = fit.eta(x, groups)
        fit.log_scale = _line_scales(obs, log_e, eta, line, fit.shapes, line_days, fit.log_scale)
        time, event = obs(fit.times(log_e, eta, line), everyone)
        k = fit.k
        for g in groups:
            step = np.zeros(g.target_days.size)
            for lev, target in enumerate(g.target_days):
                sel = g.codes == lev
                if np.isnan(target) or not sel.any():
                    continue
                med = km_median(time[sel], event[sel])
                if np.isinf(target):
                    step[lev] = -0.15 * k if np.isfinite(med) else 0.0
                elif np.isinf(med):
                    step[lev] = 0.15 * k
                else:
                    step[lev] = damping * k * np.log(med / target)
            gamma = fit.gamma[g.name] + step
            counts = np.bincount(g.codes[g.codes >= 0], minlength=gamma.size)
            # centred over the patients (the line scales carry the level)
            fit.gamma[g.name] = np.where(counts > 0, gamma - np.average(gamma, weights=counts), 0.0)
        if cox is not None:
            design, complete = cox
            if event[complete].sum() >= MIN_EVENTS_PER_COVARIATE * design.shape[1]:
                try:
                    b_hat = cox_breslow(time[complete], event[complete], design[complete])
                except np.linalg.LinAlgError:
                    pass
                else:
                    fit.beta = fit.beta + (beta0 - b_hat[: beta0.size])

    def score(fit: EndpointFit) -> float:
        eta = fit.eta(x, groups)
        fit.log_scale = _line_scales(obs, log_e, eta, line, fit.shapes, line_days, fit.log_scale)
        time, event = obs(fit.times(log_e, eta, line), everyone)
        errs, fit.achieved = _errors(time, event, line, groups, line_days, overall_days, line_p)
        return float(np.sqrt(np.mean(np.square(errs))))

    best: tuple[float, EndpointFit] | None = None
    for k, spread in itertools.product(shapes, spreads):
        fit = EndpointFit(
            k,
            spread,
            np.log(line_days),
            beta0.copy(),
            {g.name: np.zeros(g.target_days.size) for g in groups},
        )
        for _ in range(SWEEPS):
            sweep(fit, DAMPING)
        loss = score(fit)
        if best is None or loss < best[0] - 1e-12:
            best = (loss, fit)
    assert best is not None
    # refine the chosen shape with smaller steps, keeping the best state seen
    loss, fit = best
    keep = copy.deepcopy(fit)
    for _ in range(REFINE_SWEEPS):
        sweep(fit, DAMPING / 2.0)
        now = score(fit)
        if now < loss - 1e-12:
            loss, keep = now, copy.deepcopy(fit)
    return keep


def _errors(
    time: FloatArray,
    event: BoolArray,
    line: IntArray,
    groups: Sequence[Grouping],
    line_days: FloatArray,
    overall_days: float,
    line_p: float | None,
) -> tuple[list[float], dict[str, float]]:
    achieved: dict[str, float] = {}
    errs: list[float] = []

    def med_err(name: str, sel: BoolArray, target: float) -> None:
        med = km_median(time[sel], event[sel])
        achieved[name] = med / DAYS_PER_MONTH
        if np.isinf(target):
            errs.append(0.0 if np.isinf(med) else np.log(1.1))
        elif np.isfinite(med):
            errs.append(abs(float(np.log(med / target))))
        else:
            errs.append(np.inf)

    med_err("all", np.ones(line.size, dtype=bool), overall_days)
    for j, target in enumerate(line_days):
        med_err(f"line {j}", line == j, float(target))
    for g in groups:
        for lev, target in enumerate(g.target_days):
            if not np.isnan(target):
                med_err(f"{g.name} {lev}", g.codes == lev, float(target))
    if line_p is not None:
        p = logrank_p(time, event, line)
        achieved["line log-rank P"] = p
        errs.append(P_WEIGHT * abs(float(np.log(max(p, 1e-300) / line_p))))
    for g in groups:
        if g.target_p is not None:
            p = logrank_p(time, event, g.codes)
            achieved[f"{g.name} log-rank P"] = p
    return errs, achieved
