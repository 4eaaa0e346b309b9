"""Synthetic registry generator: ``generate_registry`` and ``write_registry``.

The generated patients are SYNTHETIC: no real person is represented. They are calibrated so
that, pushed through the same pipeline as a real registry (read -> validate -> cohort ->
RECIST -> statistics), they reproduce the resolved published aggregates: Table 1 counts per
line and Table 2/4 counts exactly, the Kaplan–Meier medians (overall, by line, grade, Ki-67
class and primary site) and by-line log-rank P as closely as the model allows, and the Table 3
effects of the covariates no median describes. Design (see the submodules for each part):

* :mod:`~captemstats.synth.characteristics` — Table 1 by shuffled exact allocation;
* :mod:`~captemstats.synth.scheduled` — survival times calibrated to every printed median,
  progression seen at scheduled assessments (:mod:`~captemstats.synth.survival`: the
  earlier Weibull model);
* :mod:`~captemstats.synth.lesions` — RECIST measurements yielding the Table 2 responses;
* :mod:`~captemstats.synth.adverse` — CTCAE events yielding Table 4 and Table 1's grade 3–4.

Any N uses the same design (counts scaled by largest remainder); the same seed gives the
same tables, and :func:`write_registry` writes them byte-identically.

This module orchestrates the stages (:func:`generate_registry`); the registry and its
provenance record are :mod:`~captemstats.synth.registry`, the survival and response outcomes
of either model :mod:`~captemstats.synth.outcomes`, the tables built from the generated arrays
:mod:`~captemstats.synth.frames`, and :func:`write_registry` is
:mod:`~captemstats.synth.write`. Every name of those is importable from here as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from captemstats.schema import TABLES
from captemstats.synth import characteristics as chars
from captemstats.synth.adverse import EventRows, generate_events
from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.frames import _KIND_DTYPES as _KIND_DTYPES
from captemstats.synth.frames import _STRING as _STRING
from captemstats.synth.frames import _ae_terms as _ae_terms
from captemstats.synth.frames import _centers as _centers
from captemstats.synth.frames import _idx as _idx
from captemstats.synth.frames import _ineligible as _ineligible
from captemstats.synth.frames import _lines as _lines
from captemstats.synth.frames import _text_rank as _text_rank
from captemstats.synth.frames import (
    _typed,
    events_frame,
    lesions_frame,
    number_patients,
    patients_frame,
)
from captemstats.synth.lesions import LesionRows, generate_lesions
from captemstats.synth.outcomes import (
    Outcomes,
    _model_covariates,
    scheduled_outcomes,
    weibull_outcomes,
)
from captemstats.synth.outcomes import _assign_bor as _assign_bor
from captemstats.synth.outcomes import _fit as _fit
from captemstats.synth.outcomes import _fit_summary as _fit_summary
from captemstats.synth.registry import GENERATOR_VERSION as GENERATOR_VERSION
from captemstats.synth.registry import SyntheticRegistry as SyntheticRegistry
from captemstats.synth.survival import DAYS_PER_MONTH
from captemstats.synth.targets import LINES, Targets, load_resolved
from captemstats.synth.write import Format as Format
from captemstats.synth.write import write_registry as write_registry

DEFAULT_SEED = 20240305
#: CAPTEM starts between June 2010 and December 2022 (Results para 1); data cut-off after.
ENROLMENT = (np.datetime64("2010-06-01"), np.datetime64("2022-12-31"))
CUTOFF = np.datetime64("2023-06-30")
#: Ineligible kinds the paper excluded (Methods: one drug only, or irregular follow-up).
PAPER_INELIGIBLE: tuple[str, ...] = ("one_drug", "irregular_followup")
#: Every kind of ineligibility the default eligibility rules recognise.
ALL_INELIGIBLE: tuple[str, ...] = (
    "nec",
    "grade_ki67",
    "one_drug",
    "no_cycles",
    "irregular_followup",
    "not_evaluable",
)

Progress = Callable[[str, float], None]
BoolArray = npt.NDArray[np.bool_]
SurvivalModel = Literal["weibull", "scheduled"]


def _tick(progress: Progress | None, stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, fraction)


def generate_registry(
    n_patients: int = 308,
    seed: int = DEFAULT_SEED,
    n_ineligible: int = 11,
    progress: Progress | None = None,
    *,
    ineligible_kinds: Sequence[str] = PAPER_INELIGIBLE,
    resolved: Any = None,
    survival_model: SurvivalModel = "scheduled",
) -> SyntheticRegistry:
    """Generate a synthetic registry of ``n_patients`` eligible patients plus ``n_ineligible``
    ineligible ones (kinds cycled from ``ineligible_kinds``, see :data:`ALL_INELIGIBLE`).

    ``resolved`` defaults to :func:`~captemstats.synth.targets.load_resolved`. ``progress`` is
    called as ``progress(stage, fraction_done)``. ``survival_model``: ``"scheduled"``
    (the default and the shipped registry's, :mod:`~captemstats.synth.scheduled`: every
    published median and the by-line log-rank P calibrated, progression seen at the next
    scheduled assessment, best-response PD at the first one) or ``"weibull"`` (the earlier
    model: Weibull PH fitted to the by-line medians and Table 3's HRs, each progression
    imaged on its own date).
    """
    _check_arguments(n_patients, ineligible_kinds, survival_model)
    scheduled = survival_model == "scheduled"
    source = "captemstats.audit.resolve" if resolved is None else "supplied"
    if resolved is None:
        resolved = load_resolved()
    published = Targets.from_resolved(resolved)
    targets = published.scaled(n_patients)
    rng = np.random.default_rng(seed)
    n = n_patients
    line = np.repeat(np.arange(3), targets.line_n)
    _tick(progress, "characteristics", 0.05)
    cat, age, grade34, ne = _characteristics(rng, targets, line)
    start, admin, censor = _enrolment(rng, n, scheduled)

    _tick(progress, "survival model", 0.15)
    x = _model_covariates(cat, age)
    if scheduled:
        out = scheduled_outcomes(rng, targets, published, cat, x, line, ne, censor)
        _tick(progress, "responses", 0.40)
    else:
        out = weibull_outcomes(
            rng, targets, x, line, ne, censor, lambda stage, f: _tick(progress, stage, f)
        )
    cycles = _cycles(rng, targets, line, ne, out.horizon)

    _tick(progress, "lesions", 0.50)
    les = _lesions(rng, cat, out)
    _tick(progress, "adverse events", 0.70)
    ev, onset = _events(rng, targets, cat, grade34, cycles, out.window_end)

    _tick(progress, "follow-up", 0.80)
    gap, met_gap = _followup(rng, targets, age, line, out.window_end)

    # --- tables ----------------------------------------------------------------------------------
    day0 = start.astype(np.int64)
    patients = patients_frame(rng, cat, age, line, cycles, day0, gap, met_gap, admin, ne, out)
    _tick(progress, "ineligible patients", 0.90)
    inel = _ineligible(rng, patients, n_ineligible, ineligible_kinds)
    allp, ids, row_of, coded_ids = number_patients(rng, patients, inel)
    lesions, coded_lesions = lesions_frame(les, ids, row_of, day0)
    events, coded_events = events_frame(ev, onset, targets, ids, row_of, day0)
    _tick(progress, "typing", 0.95)
    reg = SyntheticRegistry(
        patients=_typed(allp, TABLES["patients"]),
        lesions=_typed(lesions, TABLES["lesions"]),
        adverse_events=_typed(events, TABLES["adverse_events"]),
        seed=seed,
        n_patients=n,
        n_ineligible=len(inel),
        targets_source=source,
        calibration=out.calibration,
        survival_model=survival_model,
        coded_text={
            "patients": {"patient_id": coded_ids},
            "lesions": coded_lesions,
            "adverse_events": coded_events,
        },
    )
    _tick(progress, "done", 1.0)
    return reg


def _check_arguments(
    n_patients: int, ineligible_kinds: Sequence[str], survival_model: SurvivalModel
) -> None:
    if survival_model not in ("weibull", "scheduled"):
        raise ValueError(f"survival_model must be 'weibull' or 'scheduled', got {survival_model!r}")
    if n_patients < 30:
        raise ValueError("n_patients must be at least 30 (every line needs patients)")
    unknown = set(ineligible_kinds) - set(ALL_INELIGIBLE)
    if unknown:
        raise ValueError(f"unknown ineligible kind(s) {sorted(unknown)}; use {ALL_INELIGIBLE}")


def _characteristics(
    rng: np.random.Generator, targets: Targets, line: IntArray
) -> tuple[dict[str, IntArray], FloatArray, BoolArray, BoolArray]:
    """Table 1 codes, ages, who had a grade 3–4 adverse event, and the not evaluable (drawn
    among those with a grade 3–4 event when there are enough of them in the line)."""
    cat = chars.categorical(rng, targets, line)
    age = chars.ages(rng, targets, line, cat["age_group"])
    grade34 = cat["grade34_ae"] == 0
    ne = np.zeros(line.size, dtype=bool)
    for j in range(3):
        sel = np.flatnonzero(line == j)
        k = int(targets.bor[0, j])
        pool = sel[grade34[sel]] if grade34[sel].sum() >= k else sel
        ne[rng.choice(pool, size=k, replace=False)] = True
    return cat, age, grade34, ne


def _enrolment(
    rng: np.random.Generator, n: int, scheduled: bool
) -> tuple[npt.NDArray[np.datetime64], FloatArray, FloatArray]:
    """Dates and censoring: CAPTEM start dates, days from start to the cut-off, and the
    censoring day (cut-off or loss to follow-up)."""
    span = int((ENROLMENT[1] - ENROLMENT[0]).astype(int))
    start = ENROLMENT[0] + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    admin = (CUTOFF - start).astype(np.float64)
    # the scheduled model's first assessment can fall on day 129: nobody is lost before it
    loss = (136.0 if scheduled else 120.0) + rng.exponential(15 * 365.25, n)
    censor = np.floor(np.minimum(admin, loss))
    return start, admin, censor


def _cycles(
    rng: np.random.Generator, targets: Targets, line: IntArray, ne: BoolArray, horizon: FloatArray
) -> FloatArray:
    """CAPTEM cycles per patient: one for the not evaluable, the others' values ranked by
    their progression-free horizon (with noise)."""
    cycles = np.empty(line.size)
    for j, g in enumerate(LINES):
        sel = np.flatnonzero(line == j)
        n_one = int(ne[sel].sum())
        v = chars.cycle_values(targets, sel.size, n_one, g)
        cycles[sel[ne[sel]]] = 1.0
        others = sel[~ne[sel]]
        rank = np.log(horizon[others]) + rng.normal(0.0, 0.5, others.size)
        cycles[others[np.argsort(rank, kind="stable")]] = v[n_one:]
    return cycles


def _lesions(rng: np.random.Generator, cat: dict[str, IntArray], out: Outcomes) -> LesionRows:
    """RECIST lesion measurements yielding each patient's best response and progression."""
    return generate_lesions(
        rng,
        out.bor,
        cat["metastatic_sites"],
        out.progressed,
        out.progression.astype(np.int64),
        out.window_end.astype(np.int64),
        out.schedule,
    )


def _events(
    rng: np.random.Generator,
    targets: Targets,
    cat: dict[str, IntArray],
    grade34: BoolArray,
    cycles: FloatArray,
    window_end: FloatArray,
) -> tuple[EventRows, FloatArray]:
    """Adverse events (Table 4, Table 1's grade 3–4 and interruptions) and their onset days
    from CAPTEM start."""
    interruption = cat["treatment_interruption"] == 0
    ev = generate_events(rng, targets.ae, grade34, interruption)
    onset_max = np.maximum(8.0, np.minimum(cycles * 28.0, window_end))
    onset = np.floor(7.0 + rng.random(ev.patient.size) * (onset_max[ev.patient] - 7.0))
    return ev, onset


def _pin_followup_range(
    gap: FloatArray, observed: FloatArray, months: tuple[float, float]
) -> FloatArray:
    """Gaps (days, diagnosis to CAPTEM start) moved so that follow-up (gap + observed days)
    spans the printed range: the patient observed the shortest time gets the gap that makes
    the printed minimum when that time is shorter than it (else follow-up stays above it);
    every follow-up beyond the printed maximum is shortened to it by a shorter gap (never
    below 0). Only the extremes move, so the median bisected before is kept."""
    lo_days, hi_days = (m * DAYS_PER_MONTH for m in months)
    out = gap.copy()
    total = out + observed
    over = total > hi_days
    out[over] = np.maximum(0.0, np.floor(hi_days - observed[over]))
    i = int(np.argmin(observed))
    if observed[i] < lo_days:
        out[i] = np.ceil(lo_days - observed[i])
    return out


def _followup(
    rng: np.random.Generator,
    targets: Targets,
    age: FloatArray,
    line: IntArray,
    window_end: FloatArray,
) -> tuple[FloatArray, FloatArray]:
    """Diagnosis and follow-up: days from diagnosis to CAPTEM start (scaled so the median
    follow-up is the published one) and from diagnosis to metastasis."""
    n = line.size
    gap_shape = rng.lognormal(0.0, 0.9, n) * np.array([1.0, 2.0, 3.0])[line]
    max_gap = (age - 16.0) * 365.25
    observed = window_end
    lo, hi = 0.0, 20000.0
    target_fu = targets.followup_median_months * DAYS_PER_MONTH
    for _ in range(50):  # bisection on the gap scale: median follow-up = published median
        mid = 0.5 * (lo + hi)
        if np.median(np.minimum(mid * gap_shape, max_gap) + observed) < target_fu:
            lo = mid
        else:
            hi = mid
    gap = np.floor(np.minimum(0.5 * (lo + hi) * gap_shape, max_gap))
    if targets.followup_range_months is not None and n == targets.n:
        gap = _pin_followup_range(gap, observed, targets.followup_range_months)
    de_novo = rng.random(n) < 0.4
    met_gap = np.where(de_novo, 0.0, np.floor(gap * rng.uniform(0.1, 1.0, n)))
    return gap, met_gap
