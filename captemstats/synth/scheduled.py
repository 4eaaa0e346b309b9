"""The scheduled-assessment survival model of the synthetic registry (``survival_model=
"scheduled"`` of :func:`~captemstats.synth.generate.generate_registry`).

Death and progression are Weibull proportional-hazards times calibrated by
:mod:`~captemstats.synth.calibrate` to every published Kaplan–Meier median (overall, by line,
grade, Ki-67 class and primary site) and to the by-line log-rank P value; progression is
observed on the patient's assessment schedule (:mod:`~captemstats.synth.timeline`), the
best-response PD patients at the first assessment. The best responses keep Table 2's counts
exactly. The hazard ratios of grade, Ki-67, primary site and line follow the medians (see
:mod:`~captemstats.synth.calibrate`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.calibrate import (
    EndpointFit,
    Grouping,
    OsObservation,
    PfsObservation,
    fit_endpoint,
)
from captemstats.synth.lesions import BOR_CR, BOR_NE, BOR_PD, BOR_PR, BOR_SD
from captemstats.synth.refine import REFINE_LIMIT, endpoint_terms, refine_assignment
from captemstats.synth.survival import (
    DAYS_PER_MONTH,
    copula_uniforms,
    exp_scores,
    weibull_summary,
)
from captemstats.synth.targets import COX_COVARIATES, LINES, TABLE1_LEVELS, Targets
from captemstats.synth.timeline import ScanSchedule

BoolArray = npt.NDArray[np.bool_]
#: Cohorts larger than this are calibrated on a random sample of this size (the raking
#: evaluates thousands of medians; a sample of this size pins each parameter well within the
#: sampling error of a 308-patient cohort) and the parameters applied to everyone.
SAMPLE_LIMIT = 2000

OTHER_COVARIATES: tuple[str, ...] = (
    "sex_male",
    "age_le50",
    "comorbidity",
    "ecog_0_1",
    "prior_curative_surgery",
)
#: The columns of the Table 3 design (``table3`` in :func:`scheduled_survival`), as named in
#: the published Cox model.
TABLE3_TERMS: tuple[str, ...] = (
    *OTHER_COVARIATES,
    *(c for c in COX_COVARIATES if c not in OTHER_COVARIATES),
    "first_line",
)
#: Published grouping -> the characteristic whose codes are its levels (in TABLE1_LEVELS order).
MEDIAN_GROUPINGS: dict[str, str] = {
    "grade": "grade",
    "ki67_group": "ki67_group",
    "primary_site": "primary_site",
}


def _groupings(
    cat: dict[str, IntArray], targets: Targets, endpoint: str, sel: IntArray
) -> list[Grouping]:
    """The median groupings on rows ``sel``: levels without a printed median (grade and
    Ki-67 "unknown", left out of the paper's curves) are coded -1."""
    out = []
    for grouping, var in MEDIAN_GROUPINGS.items():
        levels = TABLE1_LEVELS[var]
        target = np.full(len(levels), np.nan)
        for i, lev in enumerate(levels):
            key = (endpoint, grouping, lev)
            if key in targets.group_medians:
                m = targets.group_medians[key]
                target[i] = np.inf if m is None else m * DAYS_PER_MONTH
        codes = cat[var][sel].astype(np.int64)
        codes = np.where(np.isnan(target)[codes], -1, codes)
        out.append(Grouping(grouping, codes, target, targets.group_p.get((endpoint, grouping))))
    return out


def _scaled_p(p: float | None, factor: float, df: int) -> float | None:
    """The P value of the same effect in a sample ``factor`` times the published one (the
    log-rank statistic grows in proportion to the sample size)."""
    if p is None:
        return None
    from scipy import stats

    return float(stats.chi2.sf(stats.chi2.isf(p, df) * factor, df))


def _fit(
    obs: OsObservation | PfsObservation,
    log_e: FloatArray,
    x: FloatArray,
    table3: FloatArray,
    complete: BoolArray,
    line: IntArray,
    groups: list[Grouping],
    targets: Targets,
    endpoint: str,
    exact: bool,
    n_published: int,
) -> EndpointFit:
    return fit_endpoint(
        obs,
        log_e,
        x,
        line,
        groups,
        np.array([targets.medians[(endpoint, g)] for g in LINES]) * DAYS_PER_MONTH,
        targets.medians[(endpoint, "all")] * DAYS_PER_MONTH,
        _scaled_p(targets.group_p.get((endpoint, "line")), line.size / n_published, 2),
        np.array([targets.log_hr[(endpoint, c)] for c in OTHER_COVARIATES]),
        cox=(table3, complete),
    )


def assign_bor(
    rng: np.random.Generator,
    targets: Targets,
    line: IntArray,
    ne: BoolArray,
    first_pd: BoolArray,
    n_scans: IntArray,
    horizon: FloatArray,
) -> IntArray:
    """Best response per patient with the exact Table 2 counts per line.

    PD: the patients seen progressing at the first assessment (their number per line is
    Table 2's by construction); responders (CR, PR) need two assessments before progression
    (a response is confirmed by the next one) and are drawn towards longer progression-free
    windows (log window + N(0, 0.6) noise), CR the best of them; SD: the rest.
    """
    bor = np.full(line.size, BOR_NE, dtype=np.int64)
    for j in range(3):
        n_cr, n_pr, n_sd, n_pd = (int(v) for v in targets.bor[1:, j])
        sel = np.flatnonzero((line == j) & ~ne)
        pd_ids = sel[first_pd[sel]]
        if pd_ids.size != n_pd:
            raise ValueError(f"line {LINES[j]}: {pd_ids.size} first-assessment PD for {n_pd}")
        bor[pd_ids] = BOR_PD
        rest = sel[bor[sel] == BOR_NE]
        score = np.log(np.maximum(horizon[rest], 1.0)) + rng.normal(0.0, 0.6, rest.size)
        score[n_scans[rest] < 2] = -np.inf
        order = rest[np.argsort(-score, kind="stable")]
        responders = order[: n_cr + n_pr]
        if np.any(n_scans[responders] < 2):
            raise ValueError(f"line {LINES[j]}: too few long windows for {n_cr + n_pr} responders")
        cr_score = np.log(np.maximum(horizon[responders], 1.0)) + rng.normal(
            0, 0.6, responders.size
        )
        cr_ids = responders[np.argsort(-cr_score, kind="stable")[:n_cr]]
        bor[responders] = BOR_PR
        bor[cr_ids] = BOR_CR
        sd_ids = order[n_cr + n_pr :]
        if sd_ids.size != n_sd or np.any(n_scans[sd_ids] < 1):
            raise ValueError(f"line {LINES[j]}: stable disease without an assessment")
        bor[sd_ids] = BOR_SD
    return bor


@dataclass(frozen=True)
class ScheduledOutcome:
    """Survival and response of every patient (days from CAPTEM start)."""

    death: FloatArray
    progression: FloatArray
    progressed: BoolArray
    window_end: FloatArray
    horizon: FloatArray
    bor: IntArray
    schedule: ScanSchedule
    os_fit: EndpointFit
    pfs_fit: EndpointFit
    exact: bool
    #: Per endpoint, each refinement term's error (1 = at its tolerance; empty when the
    #: cohort was too large to refine, see :mod:`~captemstats.synth.refine`).
    refined: dict[str, dict[str, float]]


def scheduled_survival(
    rng: np.random.Generator,
    targets: Targets,
    published: Targets,
    cat: dict[str, IntArray],
    x: FloatArray,
    line: IntArray,
    ne: BoolArray,
    censor: FloatArray,
) -> ScheduledOutcome:
    """Draw and calibrate the survival times, then the best responses (module docstring).

    ``x`` holds the Table 3 covariates in ``COX_COVARIATES`` order (NaN = unknown),
    ``censor`` the censoring day of each patient, ``published`` the unscaled targets.
    """
    n = line.size
    # --- survival ----------------------------------------------------------------------------
    schedule = ScanSchedule.draw(rng, n)
    everyone = np.arange(n)
    first_scan = schedule.first_day(everyone).astype(np.float64)
    other = [COX_COVARIATES.index(c) for c in OTHER_COVARIATES]
    median_only = [COX_COVARIATES.index(c) for c in COX_COVARIATES if c not in OTHER_COVARIATES]
    x_other = x[:, other]
    table3 = np.column_stack([x_other, np.nan_to_num(x[:, median_only]), line == 0])
    complete = np.asarray(~np.isnan(x).any(axis=1), dtype=bool)
    u_os, u_pfs = copula_uniforms(rng, line)
    exact = n <= SAMPLE_LIMIT
    cal = everyone if exact else np.sort(rng.choice(n, SAMPLE_LIMIT, replace=False))
    le_os, le_pfs = exp_scores(u_os), exp_scores(u_pfs)
    # an evaluable patient is alive at the first assessment (the Table 2 denominators count
    # every patient with more than one course as evaluable)
    death_floor = np.where(ne, 1.0, first_scan + 30.0)
    os_obs = OsObservation(censor[cal], death_floor[cal])
    os_groups = _groupings(cat, targets, "os", cal)
    os_fit = _fit(
        os_obs,
        le_os[cal],
        x_other[cal],
        table3[cal],
        complete[cal],
        line[cal],
        os_groups,
        targets,
        "os",
        exact,
        published.n,
    )
    os_all = _groupings(cat, targets, "os", everyone)
    eta_os = os_fit.eta(x_other, os_all)
    refined: dict[str, dict[str, float]] = {}
    refine = n <= REFINE_LIMIT
    # follow-up = diagnosis-to-start gap + this observation: its printed minimum needs one
    # observation at most that long (at the published size, where the range is pinned)
    fu_range = targets.followup_range_months if n == published.n else None
    shortest_followup = None if fu_range is None else fu_range[0] * DAYS_PER_MONTH
    if refine:
        # the published size: decide which patient gets which draw (synth.refine)
        search = np.random.default_rng(rng.integers(2**63))
        perm, refined["os"] = refine_assignment(
            search,
            lambda p: os_obs(os_fit.times(le_os[p], eta_os, line), everyone),
            endpoint_terms(
                targets, "os", os_all, line, table3, complete, TABLE3_TERMS, shortest_followup
            ),
            line,
        )
        le_os, le_pfs = le_os[perm], le_pfs[perm]
    death_t = os_obs.floored(os_fit.times(le_os, eta_os, line), death_floor)
    n_eval = np.array([int((~ne & (line == j)).sum()) for j in range(3)])
    pd_share = targets.bor[4] / np.maximum(n_eval, 1)
    pfs_obs = PfsObservation(
        censor[cal], death_t[cal], schedule.subset(cal), line[cal], ~ne[cal], pd_share
    )
    pfs_groups = _groupings(cat, targets, "pfs", cal)
    pfs_fit = _fit(
        pfs_obs,
        le_pfs[cal],
        x_other[cal],
        table3[cal],
        complete[cal],
        line[cal],
        pfs_groups,
        targets,
        "pfs",
        exact,
        published.n,
    )
    pfs_all = PfsObservation(censor, death_t, schedule, line, ~ne, pd_share)
    pfs_groups_all = _groupings(cat, targets, "pfs", everyone)
    eta_pfs = pfs_fit.eta(x_other, pfs_groups_all)
    if refine:
        perm, refined["pfs"] = refine_assignment(
            search,
            lambda p: pfs_all(pfs_fit.times(le_pfs[p], eta_pfs, line), everyone),
            endpoint_terms(targets, "pfs", pfs_groups_all, line, table3, complete, TABLE3_TERMS),
            line,
            neighbours_of=le_os,
        )
        le_pfs = le_pfs[perm]
    latent = pfs_fit.times(le_pfs, eta_pfs, line)
    prog_t = pfs_all.progression_day(latent, everyone).astype(np.float64)
    first_pd = pfs_all.pd_mask(latent, everyone)
    progressed = (prog_t < death_t) & (prog_t <= censor)
    window_end = np.minimum(death_t, censor)
    horizon = np.where(progressed, prog_t - 1.0, window_end - 7.0)
    owner, _days = schedule.performed_days(everyone, horizon.astype(np.int64))
    n_scans = np.bincount(owner, minlength=n)
    bor = assign_bor(rng, targets, line, ne, first_pd & progressed, n_scans, horizon)
    return ScheduledOutcome(
        death_t,
        prog_t,
        progressed,
        window_end,
        horizon,
        bor,
        schedule,
        os_fit,
        pfs_fit,
        exact,
        refined,
    )


def fit_summary(fit: EndpointFit) -> dict[str, Any]:
    """The fitted parameters and what they achieved, for the registry's provenance."""
    return {
        **weibull_summary(fit.k, fit.log_scale, OTHER_COVARIATES, fit.beta),
        "shape_spread": round(fit.spread, 6),
        "group_log_hazards": {
            name: [round(float(v), 6) for v in g] for name, g in fit.gamma.items()
        },
        "achieved_on_calibration_data": {name: round(v, 6) for name, v in fit.achieved.items()},
    }
