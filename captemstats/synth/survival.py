"""Survival model of the synthetic registry: Weibull proportional hazards, fitted by optimiser.

Model (per endpoint, PFS and OS): cumulative hazard ``H(t | x, line) = (t / lambda_line)^k *
exp(beta . x)`` with the Table 3 covariates ``x`` (:data:`~captemstats.synth.targets.
COX_COVARIATES`) and a line-specific scale (the line effect is carried by the baselines, so
the published per-line medians can be matched; Table 3's first-line HR is then an output).
Times are drawn by inversion ``T = lambda_line * (E exp(-beta . x))^(1/k)``, ``E = -log(1-U)``
with stratified uniforms ``U`` per line (variance reduction). OS and latent progression are
linked by a Gaussian copula on the ranks; PFS = min(progression, death).

Fitting (no hand-set per-group constants):

* ``lambda_line`` — root-finding (bisection on log lambda) so that the Kaplan–Meier median of
  the generated, censored times in each line equals the published median (conditional
  calibration on the realised covariates and uniforms; for large N on a fixed subsample);
* ``k`` — bounded grid-then-refine minimisation of the error of the overall KM median;
* ``beta`` — starts at log(published HR); for cohorts up to :data:`EXACT_LIMIT` patients a
  fixed-point iteration moves it until a Breslow Cox fit on the generated data (Table 3's model,
  with first-line) returns the published log HRs, for at most ``max_iter`` steps (it need not
  converge: the line scales are refitted at each step and KM medians move in jumps). It is
  skipped, or stopped, where that Cox fit is not informative — fewer than
  :data:`MIN_EVENTS_PER_COVARIATE` events per covariate, or no finite estimate (monotone
  likelihood) — so small cohorts keep the published log HRs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special

from captemstats.synth.allocate import FloatArray, IntArray, stratified_uniforms
from captemstats.units import DAYS_PER_MONTH as DAYS_PER_MONTH  # re-exported

#: Cohorts up to this size get the exact (conditional) calibration of beta.
EXACT_LIMIT = 5000
#: Calibration subsample size for large cohorts.
CALIBRATION_SAMPLE = 20000
#: Events per Cox covariate below which beta is not calibrated (stays at the published log
#: HRs): the 10-events-per-variable rule of Peduzzi et al., J Clin Epidemiol 1995;48:1503-10.
MIN_EVENTS_PER_COVARIATE = 10
#: Gaussian-copula correlation between latent progression and death.
COPULA_RHO = 0.5

BoolArray = npt.NDArray[np.bool_]


def _km_steps(time: FloatArray, event: BoolArray) -> tuple[FloatArray, FloatArray, IntArray]:
    """Distinct times (ascending), events and numbers at risk at each of them.

    Whole-day times (the generator's) in samples larger than a quarter of the longest time are
    counted with ``bincount`` — no sort, which makes the thousands of medians of the
    large-cohort calibration cheap; other times are sorted once.
    """
    n = time.size
    if time.max() <= 4 * n and time.min() >= 0 and np.all(time == np.floor(time)):
        days = time.astype(np.int64)
        counts = np.bincount(days)
        deaths = np.asarray(
            np.bincount(days, weights=event.astype(np.float64), minlength=counts.size),
            dtype=np.float64,
        )
        at = np.flatnonzero(counts)
        n_risk = n - (np.cumsum(counts) - counts)[at]
        return at.astype(np.float64), deaths[at], n_risk.astype(np.int64)
    order = np.argsort(time)
    t = time[order]
    e = event[order].astype(np.float64)
    first = np.flatnonzero(np.concatenate(([True], t[1:] != t[:-1])))
    return t[first], np.add.reduceat(e, first), (n - first).astype(np.int64)


def km_curve(time: FloatArray, event: BoolArray) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Distinct times (ascending), events at each, and the Kaplan–Meier curve just after each
    (``time`` not empty)."""
    uniq, d, n_risk = _km_steps(time, event)
    return uniq, d, np.asarray(np.cumprod(1.0 - d / n_risk), dtype=np.float64)


def curve_median(uniq: FloatArray, d: FloatArray, surv: FloatArray) -> float:
    """The median of a :func:`km_curve` (R ``survfit`` convention: smallest t with S(t) <= 0.5;
    the midpoint to the next event time when S is exactly 0.5). ``inf`` when not reached."""
    hit = np.flatnonzero(surv <= 0.5 + 1e-12)
    if hit.size == 0:
        return float("inf")
    i = int(hit[0])
    if abs(surv[i] - 0.5) < 1e-12:
        later = np.flatnonzero((d > 0) & (np.arange(uniq.size) > i))
        if later.size:
            return float((uniq[i] + uniq[later[0]]) / 2.0)
    return float(uniq[i])


def km_median(time: FloatArray, event: BoolArray) -> float:
    """Kaplan–Meier median (:func:`curve_median`); ``inf`` when not reached or no data."""
    if time.size == 0:
        return float("inf")
    return curve_median(*km_curve(time, event))


def cox_breslow(
    time: FloatArray, event: BoolArray, x: FloatArray, *, max_iter: int = 30
) -> FloatArray:
    """Cox partial-likelihood coefficients (Breslow ties) by Newton–Raphson.

    An internal calibration helper of the generator (vectorised with reverse cumulative sums
    over the risk sets); the analysis itself uses :mod:`captemstats.survival`. Raises
    ``numpy.linalg.LinAlgError`` when the fit fails (singular information, overflow, or no
    convergence in ``max_iter`` steps — e.g. monotone likelihood in a small sample).
    """
    order = np.argsort(-time, kind="stable")
    t, ev, xs = time[order], event[order].astype(np.float64), x[order]
    # last index of each tied time in descending order = full risk set at that time
    last = np.r_[np.flatnonzero(t[1:] != t[:-1]), t.size - 1]
    grp = np.repeat(np.arange(last.size), np.diff(np.r_[-1, last]))
    beta = np.zeros(x.shape[1])
    for _ in range(max_iter):
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                w = np.exp(xs @ beta)
                s0 = np.cumsum(w)[last][grp]
                s1 = np.cumsum(w[:, None] * xs, axis=0)[last][grp]
                s2 = np.cumsum(w[:, None, None] * xs[:, :, None] * xs[:, None, :], axis=0)
                s2 = s2[last][grp]
                xbar = s1 / s0[:, None]
                grad = (ev[:, None] * (xs - xbar)).sum(axis=0)
                info = (
                    ev[:, None, None]
                    * (s2 / s0[:, None, None] - xbar[:, :, None] * xbar[:, None, :])
                ).sum(axis=0)
        except FloatingPointError as exc:
            raise np.linalg.LinAlgError(f"Cox fit overflowed: {exc}") from exc
        step = np.linalg.solve(info, grad)
        beta = beta + step
        if np.max(np.abs(step)) < 1e-9:
            return beta
    raise np.linalg.LinAlgError(f"Cox fit did not converge in {max_iter} iterations")


@dataclass(frozen=True)
class Observation:
    """How latent event times are observed: censoring at ``censor`` (days) and, for PFS, the
    competing ``death`` time (PFS = min(progression, death))."""

    censor: FloatArray
    death: FloatArray | None = None

    def observe(self, t: FloatArray, sel: IntArray) -> tuple[FloatArray, BoolArray]:
        end = t if self.death is None else np.minimum(t, self.death[sel])
        c = self.censor[sel]
        return np.minimum(end, c), end <= c


@dataclass(frozen=True)
class WeibullFit:
    """Fitted parameters of one endpoint: shape ``k``, per-line log scale (days), ``beta``,
    and the fit diagnostics (KM medians achieved on the calibration data, in months)."""

    k: float
    log_scale: FloatArray
    beta: FloatArray
    achieved_months: dict[str, float]

    def times(self, log_e: FloatArray, x: FloatArray, line: IntArray) -> FloatArray:
        """Latent event times (whole days, >= 1) by inversion of the Weibull PH model."""
        return _times(log_e, x @ self.beta, line, self.k, self.log_scale)


def _times(
    log_e: FloatArray, lp: FloatArray, line: IntArray, k: float, log_scale: FloatArray
) -> FloatArray:
    return np.maximum(1.0, np.rint(np.exp(log_scale[line] + (log_e - lp) / k)))


def _line_scales(
    obs: Observation,
    log_e: FloatArray,
    lp: FloatArray,
    line: IntArray,
    k: float,
    target_days: FloatArray,
) -> FloatArray:
    """Per line, the log scale whose KM median is closest to the target: bisection to the
    crossing (the median grows with the scale, up to censoring noise), then a local scan of
    +-0.15 around it, because with heavy censoring the median is not monotone near the
    crossing."""
    log_scale = np.log(target_days).astype(np.float64)
    for j in range(target_days.size):
        sel = np.flatnonzero(line == j)
        if sel.size == 0:
            continue
        zero = np.zeros(sel.size, dtype=np.int64)

        def median_at(s: float, sel: IntArray = sel, zero: IntArray = zero) -> float:
            t = _times(log_e[sel], lp[sel], zero, k, np.array([s]))
            return km_median(*obs.observe(t, sel))

        lo, hi = np.log(target_days[j]) - 8.0, np.log(target_days[j]) + 8.0
        log_scale[j] = matching_log_scale(median_at, float(target_days[j]), lo, hi, 30, 0.15, 61)
    return log_scale


def matching_log_scale(
    median_at: Callable[[float], float],
    target: float,
    lo: float,
    hi: float,
    steps: int,
    half_width: float,
    points: int,
) -> float:
    """The log scale whose KM median is closest to ``target``: ``steps`` bisections of
    [``lo``, ``hi``] to the crossing (the median grows with the scale, up to censoring noise),
    then a scan of ``points`` scales within ``half_width`` of it, because medians of censored,
    discretised times are step functions of the scale and need not be monotone there. The
    first scale with the smallest |log(median / target)| wins. Shared by both synthetic
    survival models (:mod:`captemstats.synth.calibrate` brackets around a warm start)."""
    for _ in range(steps):
        mid = 0.5 * (lo + hi)
        if median_at(mid) < target:
            lo = mid
        else:
            hi = mid
    best_s, best_err = 0.5 * (lo + hi), np.inf
    for s in 0.5 * (lo + hi) + np.linspace(-half_width, half_width, points):
        med = median_at(float(s))
        err = abs(np.log(med / target)) if np.isfinite(med) else np.inf
        if err < best_err - 1e-12:
            best_s, best_err = float(s), err
    return best_s


def _fit_shape(
    obs: Observation,
    log_e: FloatArray,
    lp: FloatArray,
    line: IntArray,
    line_days: FloatArray,
    overall_days: float,
) -> tuple[float, FloatArray, float]:
    """Shape k minimising the worst |log(KM median / target)| over the overall and per-line
    medians (grid, then a finer grid around the best point), with the line scales solved for
    each candidate k."""
    everyone = np.arange(line.size)

    def loss(k: float) -> tuple[float, FloatArray, float]:
        ls = _line_scales(obs, log_e, lp, line, k, line_days)
        t = _times(log_e, lp, line, k, ls)
        med = km_median(*obs.observe(t, everyone))
        meds = [med]
        targets = [overall_days]
        for j in range(line_days.size):
            sel = np.flatnonzero(line == j)
            meds.append(km_median(*obs.observe(t[sel], sel)))
            targets.append(float(line_days[j]))
        m = np.array(meds)
        if not np.all(np.isfinite(m)):
            return float("inf"), ls, med
        return float(np.max(np.abs(np.log(m / np.array(targets))))), ls, med

    best: tuple[float, float, FloatArray, float] | None = None
    for grid in (np.linspace(0.5, 2.5, 9), None):
        if grid is None:
            assert best is not None
            grid = np.linspace(max(0.3, best[1] - 0.2), best[1] + 0.2, 9)
        for k in grid:
            err, ls, med = loss(float(k))
            if best is None or err < best[0] - 1e-12:
                best = (err, float(k), ls, med)
    assert best is not None
    return best[1], best[2], best[3]


def fit_endpoint(
    obs: Observation,
    log_e: FloatArray,
    x: FloatArray,
    cox_x: FloatArray,
    complete: BoolArray,
    line: IntArray,
    line_months: FloatArray,
    overall_months: float,
    target_log_hr: FloatArray,
    *,
    exact: bool,
    max_iter: int = 8,
) -> WeibullFit:
    """Fit (k, line scales, beta) of one endpoint as described in the module docstring.

    ``x`` holds the model covariates (unknown values as 0); ``cox_x`` the same plus the
    first-line indicator, used on ``complete`` rows for the Cox check of beta.
    """
    line_days = np.asarray(line_months, dtype=np.float64) * DAYS_PER_MONTH
    overall_days = overall_months * DAYS_PER_MONTH
    beta = target_log_hr.astype(np.float64).copy()
    everyone = np.arange(line.size)
    k, ls, _med = _fit_shape(obs, log_e, x @ beta, line, line_days, overall_days)
    for _ in range(max_iter if exact else 0):
        # shape held at its first fit while beta moves; refitted at the end
        ls = _line_scales(obs, log_e, x @ beta, line, k, line_days)
        t_obs, e_obs = obs.observe(_times(log_e, x @ beta, line, k, ls), everyone)
        if e_obs[complete].sum() < MIN_EVENTS_PER_COVARIATE * cox_x.shape[1]:
            break  # too few events for a Cox fit worth calibrating to: keep beta
        try:
            b_hat = cox_breslow(t_obs[complete], e_obs[complete], cox_x[complete])[: beta.size]
        except np.linalg.LinAlgError:
            break  # no finite Cox estimate (small sample): keep beta
        gap = target_log_hr - b_hat
        beta = beta + gap
        if np.max(np.abs(gap)) < 2e-3:
            break
    k, ls, med = _fit_shape(obs, log_e, x @ beta, line, line_days, overall_days)
    t_all = _times(log_e, x @ beta, line, k, ls)
    achieved = {"all": med / DAYS_PER_MONTH}
    for j, g in enumerate(("1", "2", "3+")):
        sel = np.flatnonzero(line == j)
        achieved[g] = km_median(*obs.observe(t_all[sel], sel)) / DAYS_PER_MONTH
    return WeibullFit(k, ls, beta, achieved)


def copula_uniforms(
    rng: np.random.Generator, line: IntArray, rho: float = COPULA_RHO
) -> tuple[FloatArray, FloatArray]:
    """Stratified uniforms per line for death (``u_os``) and progression (``u_pfs``), linked by a
    Gaussian copula with correlation ``rho`` on their normal scores; the progression uniforms
    are re-stratified by rank, so both margins are stratified within each line."""
    n = line.size
    u_os = np.empty(n)
    u_pfs = np.empty(n)
    for j in np.unique(line):
        sel = np.flatnonzero(line == j)
        m = sel.size
        a = stratified_uniforms(rng, m)
        z = rho * special.ndtri(a) + np.sqrt(1.0 - rho * rho) * rng.standard_normal(m)
        rank = np.argsort(np.argsort(z, kind="stable"), kind="stable")
        u_os[sel] = a
        u_pfs[sel] = (rank + rng.random(m)) / m
    return u_os, u_pfs


def exp_scores(u: FloatArray) -> FloatArray:
    """log E with E = -log(1 - u) ~ Exp(1)."""
    return np.log(-np.log1p(-np.clip(u, 1e-12, 1 - 1e-12)))


def weibull_summary(
    k: float, log_scale: FloatArray, covariates: tuple[str, ...], beta: FloatArray
) -> dict[str, Any]:
    """Shape, per-line scale (months) and hazard ratios of a fitted Weibull PH endpoint,
    rounded for the registry's calibration record."""
    return {
        "shape": round(k, 6),
        "scale_months": {
            g: round(float(np.exp(s)) / DAYS_PER_MONTH, 6)
            for g, s in zip(("1", "2", "3+"), log_scale, strict=True)
        },
        "hazard_ratios": {
            c: round(float(np.exp(b)), 6) for c, b in zip(covariates, beta, strict=True)
        },
    }
