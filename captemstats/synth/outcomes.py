"""Survival and best-response outcomes per patient, from either survival model.

:func:`scheduled_outcomes` wraps :func:`~captemstats.synth.scheduled.scheduled_survival`
(the default model: every printed median calibrated, progression seen at scheduled
assessments); :func:`weibull_outcomes` is the earlier model (Weibull PH fitted to the
by-line medians and Table 3's HRs, each progression imaged on its own date, best response
assigned by :func:`_assign_bor`). Both give an :class:`Outcomes` and the calibration record.
:func:`_model_covariates` builds the Table 3 covariates both models use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.lesions import (
    BOR_CR,
    BOR_NE,
    BOR_PD,
    BOR_PR,
    BOR_SD,
    MIN_WINDOW_RESPONSE,
    MIN_WINDOW_SD,
)
from captemstats.synth.scheduled import fit_summary, scheduled_survival
from captemstats.synth.survival import (
    CALIBRATION_SAMPLE,
    EXACT_LIMIT,
    Observation,
    WeibullFit,
    copula_uniforms,
    exp_scores,
    fit_endpoint,
    weibull_summary,
)
from captemstats.synth.targets import COX_COVARIATES, LINES, Targets
from captemstats.synth.timeline import ScanSchedule

__all__ = ["Outcomes", "scheduled_outcomes", "weibull_outcomes"]

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Outcomes:
    """Per patient (days from CAPTEM start): death and progression times, who progressed
    and died before censoring, the end of the observation window, the progression-free
    horizon, the best response code, the scan schedule (scheduled model only) and the
    calibration record of the model."""

    death: FloatArray
    progression: FloatArray
    progressed: BoolArray
    died: BoolArray
    window_end: FloatArray
    horizon: FloatArray
    bor: IntArray
    schedule: ScanSchedule | None
    calibration: dict[str, Any]


def scheduled_outcomes(
    rng: np.random.Generator,
    targets: Targets,
    published: Targets,
    cat: dict[str, IntArray],
    x: FloatArray,
    line: IntArray,
    ne: BoolArray,
    censor: FloatArray,
) -> Outcomes:
    """The scheduled model's outcomes (:func:`~captemstats.synth.scheduled.scheduled_survival`)."""
    out = scheduled_survival(rng, targets, published, cat, x, line, ne, censor)
    calibration: dict[str, Any] = {
        "survival_model": "scheduled",
        "os": fit_summary(out.os_fit),
        "pfs": fit_summary(out.pfs_fit),
        "exact_calibration": out.exact,
        # each refinement term's error, 1 = at its tolerance (synth.refine)
        "refinement_errors": {
            ep: {name: round(v, 4) for name, v in errs.items()} for ep, errs in out.refined.items()
        },
    }
    return Outcomes(
        death=out.death,
        progression=out.progression,
        progressed=out.progressed,
        died=out.death <= censor,
        window_end=out.window_end,
        horizon=out.horizon,
        bor=out.bor,
        schedule=out.schedule,
        calibration=calibration,
    )


def weibull_outcomes(
    rng: np.random.Generator,
    targets: Targets,
    x: FloatArray,
    line: IntArray,
    ne: BoolArray,
    censor: FloatArray,
    tick: Callable[[str, float], None],
) -> Outcomes:
    """The earlier (Weibull) model's outcomes; ``tick(stage, fraction)`` reports progress
    after the OS fit and before the best responses are drawn."""
    n = censor.size
    u_os, u_pfs = copula_uniforms(rng, line)
    exact = n <= EXACT_LIMIT
    cal = np.arange(n) if exact else np.sort(rng.choice(n, CALIBRATION_SAMPLE, replace=False))
    le_os, le_pfs = exp_scores(u_os), exp_scores(u_pfs)
    os_fit = _fit(censor, None, le_os, x, line, targets, "os", cal, exact)
    death_t = os_fit.times(le_os, np.nan_to_num(x), line)
    tick("survival model", 0.30)
    pfs_fit = _fit(censor, death_t, le_pfs, x, line, targets, "pfs", cal, exact)
    prog_t = pfs_fit.times(le_pfs, np.nan_to_num(x), line)
    died = death_t <= censor
    progressed = (prog_t < death_t) & (prog_t <= censor)
    window_end = np.minimum(death_t, censor)
    # an evaluable patient dying before any useful assessment progressed first (imaged 3 days
    # before death): keeps every evaluable patient classifiable, moves PFS by 3 days at most
    early = ~ne & ~progressed & died & (window_end < MIN_WINDOW_SD)
    prog_t = np.where(early, np.maximum(death_t - 3.0, 1.0), prog_t)
    progressed |= early
    horizon = np.where(progressed, prog_t, window_end)

    tick("responses", 0.40)
    bor = _assign_bor(rng, targets, line, ne, progressed, prog_t, horizon)
    calibration = {
        "os": _fit_summary(os_fit),
        "pfs": _fit_summary(pfs_fit),
        "exact_calibration": exact,
    }
    return Outcomes(
        death=death_t,
        progression=prog_t,
        progressed=progressed,
        died=died,
        window_end=window_end,
        horizon=horizon,
        bor=bor,
        schedule=None,
        calibration=calibration,
    )


def _model_covariates(cat: dict[str, IntArray], age: FloatArray) -> FloatArray:
    """Table 3 covariates (COX_COVARIATES order); NaN where the variable is unknown."""
    ki = cat["ki67_group"]
    grade = cat["grade"]
    cols = {
        "sex_male": cat["sex"] == 1,
        "age_le50": age <= 50,
        "comorbidity": cat["comorbidity"] == 0,
        "ecog_0_1": cat["ecog"] <= 1,
        "pancreas": cat["primary_site"] == 0,
        "ki67_le20": np.where(ki == 3, np.nan, (ki <= 1).astype(float)),
        "grade_1_2": np.where(grade == 3, np.nan, (grade <= 1).astype(float)),
        "prior_curative_surgery": cat["prior_curative_surgery"] == 0,
    }
    return np.column_stack([np.asarray(cols[c], dtype=np.float64) for c in COX_COVARIATES])


def _fit(
    obs_censor: FloatArray,
    death: FloatArray | None,
    log_e: FloatArray,
    x: FloatArray,
    line: IntArray,
    targets: Targets,
    endpoint: str,
    cal: IntArray,
    exact: bool,
) -> WeibullFit:
    complete = np.asarray(~np.isnan(x).any(axis=1), dtype=bool)
    x0 = np.nan_to_num(x)
    cox_x = np.column_stack([x0, (line == 0).astype(np.float64)])
    obs = Observation(obs_censor[cal], None if death is None else death[cal])
    return fit_endpoint(
        obs,
        log_e[cal],
        x0[cal],
        cox_x[cal],
        complete[cal],
        line[cal],
        np.array([targets.medians[(endpoint, g)] for g in LINES]),
        targets.medians[(endpoint, "all")],
        np.array([targets.log_hr[(endpoint, c)] for c in COX_COVARIATES]),
        exact=exact,
    )


def _assign_bor(
    rng: np.random.Generator,
    targets: Targets,
    line: IntArray,
    ne: BoolArray,
    progressed: BoolArray,
    prog_day: FloatArray,
    horizon: FloatArray,
) -> IntArray:
    """Best response per patient with the exact Table 2 counts per line.

    PD: the earliest radiological progressions; responders (CR, PR): drawn towards longer
    progression-free windows (log window + N(0, 0.6) noise), CR the best of them; SD: the rest.
    """
    bor = np.full(line.size, BOR_NE, dtype=np.int64)
    for j in range(3):
        n_cr, n_pr, n_sd, n_pd = (int(v) for v in targets.bor[1:, j])
        sel = np.flatnonzero((line == j) & ~ne)
        prog = sel[progressed[sel]]
        if prog.size < n_pd:
            raise ValueError(f"line {LINES[j]}: {prog.size} progressions for {n_pd} PD")
        pd_ids = prog[np.argsort(prog_day[prog], kind="stable")[:n_pd]]
        bor[pd_ids] = BOR_PD
        rest = sel[bor[sel] == BOR_NE]
        score = np.log(np.maximum(horizon[rest], 1.0)) + rng.normal(0.0, 0.6, rest.size)
        score[horizon[rest] < MIN_WINDOW_RESPONSE] = -np.inf
        order = rest[np.argsort(-score, kind="stable")]
        responders = order[: n_cr + n_pr]
        if np.any(horizon[responders] < MIN_WINDOW_RESPONSE):
            raise ValueError(f"line {LINES[j]}: too few long windows for {n_cr + n_pr} responders")
        cr_score = np.log(np.maximum(horizon[responders], 1.0)) + rng.normal(
            0, 0.6, responders.size
        )
        cr_ids = responders[np.argsort(-cr_score, kind="stable")[:n_cr]]
        bor[responders] = BOR_PR
        bor[cr_ids] = BOR_CR
        sd_ids = order[n_cr + n_pr :]
        if sd_ids.size != n_sd or np.any(horizon[sd_ids] < MIN_WINDOW_SD):
            raise ValueError(f"line {LINES[j]}: stable-disease windows too short")
        bor[sd_ids] = BOR_SD
    return bor


def _fit_summary(fit: WeibullFit) -> dict[str, Any]:
    return {
        **weibull_summary(fit.k, fit.log_scale, COX_COVARIATES, fit.beta),
        "km_median_months_on_calibration_data": {
            g: round(v, 4) for g, v in fit.achieved_months.items()
        },
    }
