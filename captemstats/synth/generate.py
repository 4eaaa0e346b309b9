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
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
import pandas as pd

from captemstats._version import __version__
from captemstats.schema import CTCAE_TERMS, TABLES, TableSpec
from captemstats.synth import _columns as cols
from captemstats.synth import characteristics as chars
from captemstats.synth.adverse import generate_events
from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.lesions import (
    BOR_CR,
    BOR_NE,
    BOR_PD,
    BOR_PR,
    BOR_SD,
    LESION_IDS,
    MEASUREMENT,
    MIN_WINDOW_RESPONSE,
    MIN_WINDOW_SD,
    NON_TARGET,
    ORGANS,
    ROLES,
    generate_lesions,
)
from captemstats.synth.scheduled import fit_summary, scheduled_survival
from captemstats.synth.survival import (
    CALIBRATION_SAMPLE,
    DAYS_PER_MONTH,
    EXACT_LIMIT,
    Observation,
    WeibullFit,
    copula_uniforms,
    exp_scores,
    fit_endpoint,
    weibull_summary,
)
from captemstats.synth.targets import COX_COVARIATES, LINES, TABLE1_LEVELS, Targets, load_resolved
from captemstats.synth.timeline import ScanSchedule

DEFAULT_SEED = 20240305
GENERATOR_VERSION = "1.0.0"
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
Format = Literal["csv", "parquet"]
SurvivalModel = Literal["weibull", "scheduled"]


@dataclass
class SyntheticRegistry:
    """The three registry tables (typed per the data model) plus how they were made."""

    patients: pd.DataFrame
    lesions: pd.DataFrame
    adverse_events: pd.DataFrame
    seed: int
    n_patients: int
    n_ineligible: int
    targets_source: str
    calibration: dict[str, Any] = field(default_factory=dict)
    #: The survival model (``generate_registry(survival_model=)``).
    survival_model: str = "scheduled"
    #: Text columns of the tables as integer codes (table -> column -> codes), from which
    #: :func:`write_registry` writes Parquet without converting Python strings; a column is
    #: taken from its codes only while the frame still holds exactly that text.
    coded_text: dict[str, dict[str, cols.CodedText]] = field(
        default_factory=dict, repr=False, compare=False
    )

    @property
    def tables(self) -> dict[str, pd.DataFrame]:
        return {
            "patients": self.patients,
            "lesions": self.lesions,
            "adverse_events": self.adverse_events,
        }

    def provenance(self, command: str | None = None) -> dict[str, Any]:
        return {
            "synthetic": True,
            "description": "Synthetic patients calibrated to the published aggregates of the "
            "CAPTEM multicenter study; no real patient is represented.",
            "generator": "captemstats.synth",
            "generator_version": GENERATOR_VERSION,
            "captemstats_version": __version__,
            "seed": self.seed,
            "n_patients": self.n_patients,
            "n_ineligible": self.n_ineligible,
            "targets": self.targets_source,
            "survival_model": self.survival_model,
            "command": command
            or f"captemstats synth --patients {self.n_patients} --seed {self.seed} "
            f"--ineligible {self.n_ineligible}",
        }


def _tick(progress: Progress | None, stage: str, fraction: float) -> None:
    if progress is not None:
        progress(stage, fraction)


def _idx(values: Sequence[str], codes: IntArray) -> pd.api.extensions.ExtensionArray:
    return cols.text(values, codes).to_pandas()


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
    if survival_model not in ("weibull", "scheduled"):
        raise ValueError(f"survival_model must be 'weibull' or 'scheduled', got {survival_model!r}")
    scheduled = survival_model == "scheduled"
    if n_patients < 30:
        raise ValueError("n_patients must be at least 30 (every line needs patients)")
    unknown = set(ineligible_kinds) - set(ALL_INELIGIBLE)
    if unknown:
        raise ValueError(f"unknown ineligible kind(s) {sorted(unknown)}; use {ALL_INELIGIBLE}")
    source = "captemstats.audit.resolve" if resolved is None else "supplied"
    if resolved is None:
        resolved = load_resolved()
    published = Targets.from_resolved(resolved)
    targets = published.scaled(n_patients)
    rng = np.random.default_rng(seed)
    n = n_patients
    line = np.repeat(np.arange(3), targets.line_n)
    _tick(progress, "characteristics", 0.05)
    cat = chars.categorical(rng, targets, line)
    age = chars.ages(rng, targets, line, cat["age_group"])
    grade34 = cat["grade34_ae"] == 0
    ne = np.zeros(n, dtype=bool)
    for j in range(3):
        sel = np.flatnonzero(line == j)
        k = int(targets.bor[0, j])
        pool = sel[grade34[sel]] if grade34[sel].sum() >= k else sel
        ne[rng.choice(pool, size=k, replace=False)] = True

    # --- dates and censoring ---------------------------------------------------------------
    span = int((ENROLMENT[1] - ENROLMENT[0]).astype(int))
    start = ENROLMENT[0] + rng.integers(0, span + 1, n).astype("timedelta64[D]")
    admin = (CUTOFF - start).astype(np.float64)
    # the scheduled model's first assessment can fall on day 129: nobody is lost before it
    loss = (136.0 if scheduled else 120.0) + rng.exponential(15 * 365.25, n)
    censor = np.floor(np.minimum(admin, loss))

    # --- survival ----------------------------------------------------------------------------
    _tick(progress, "survival model", 0.15)
    x = _model_covariates(cat, age)
    schedule: ScanSchedule | None = None
    if scheduled:
        out = scheduled_survival(rng, targets, published, cat, x, line, ne, censor)
        death_t, prog_t, progressed = out.death, out.progression, out.progressed
        window_end, horizon, bor, schedule = out.window_end, out.horizon, out.bor, out.schedule
        died = death_t <= censor
        calibration: dict[str, Any] = {
            "survival_model": survival_model,
            "os": fit_summary(out.os_fit),
            "pfs": fit_summary(out.pfs_fit),
            "exact_calibration": out.exact,
        }
        _tick(progress, "responses", 0.40)
    else:
        u_os, u_pfs = copula_uniforms(rng, line)
        exact = n <= EXACT_LIMIT
        cal = np.arange(n) if exact else np.sort(rng.choice(n, CALIBRATION_SAMPLE, replace=False))
        le_os, le_pfs = exp_scores(u_os), exp_scores(u_pfs)
        os_fit = _fit(censor, None, le_os, x, line, targets, "os", cal, exact)
        death_t = os_fit.times(le_os, np.nan_to_num(x), line)
        _tick(progress, "survival model", 0.30)
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

        _tick(progress, "responses", 0.40)
        bor = _assign_bor(rng, targets, line, ne, progressed, prog_t, horizon)
    cycles = np.empty(n)
    for j, g in enumerate(LINES):
        sel = np.flatnonzero(line == j)
        n_one = int(ne[sel].sum())
        v = chars.cycle_values(targets, sel.size, n_one, g)
        cycles[sel[ne[sel]]] = 1.0
        others = sel[~ne[sel]]
        rank = np.log(horizon[others]) + rng.normal(0.0, 0.5, others.size)
        cycles[others[np.argsort(rank, kind="stable")]] = v[n_one:]

    _tick(progress, "lesions", 0.50)
    sites = cat["metastatic_sites"]
    les = generate_lesions(
        rng,
        bor,
        sites,
        progressed,
        prog_t.astype(np.int64),
        window_end.astype(np.int64),
        schedule,
    )
    _tick(progress, "adverse events", 0.70)
    interruption = cat["treatment_interruption"] == 0
    ev = generate_events(rng, targets.ae, grade34, interruption)
    onset_max = np.maximum(8.0, np.minimum(cycles * 28.0, window_end))
    onset = np.floor(7.0 + rng.random(ev.patient.size) * (onset_max[ev.patient] - 7.0))

    # --- diagnosis, follow-up ------------------------------------------------------------------
    _tick(progress, "follow-up", 0.80)
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
    de_novo = rng.random(n) < 0.4
    met_gap = np.where(de_novo, 0.0, np.floor(gap * rng.uniform(0.1, 1.0, n)))

    # --- tables ----------------------------------------------------------------------------------
    # columns are built typed from integer codes and whole days since 1970-01-01; the random
    # draws below keep their order (center, birth date, Ki-67, SSA, subsequent therapy)
    day0 = start.astype(np.int64)
    center = _centers(rng, n)
    birth = day0 - np.floor(age * 365.25 + rng.uniform(30, 330, n)).astype(np.int64)
    ki67 = chars.ki67_values(rng, cat["ki67_group"])
    concomitant = rng.random(n) < np.where(line == 0, 0.6, 0.4)
    subsequent = (prog_t + rng.integers(21, 61, n)).astype(np.int64)
    diagnosis = day0 - gap.astype(np.int64)
    reason = np.select([ne, progressed, died, admin - window_end < 180], [0, 1, 2, 3], default=4)
    patients = pd.DataFrame(
        {
            "center": _idx([f"C{i:02d}" for i in range(1, 35)], center),
            "sex": _idx(TABLE1_LEVELS["sex"], cat["sex"]),
            "age": age,
            "birth_date": cols.dates(birth),
            "ecog": cols.integers(cat["ecog"]),
            "comorbidity": cols.booleans(cat["comorbidity"] == 0),
            "primary_site": _idx(TABLE1_LEVELS["primary_site"], cat["primary_site"]),
            "grade": _idx(TABLE1_LEVELS["grade"], cat["grade"]),
            "ki67": ki67,
            "metastatic_sites": _idx(TABLE1_LEVELS["metastatic_sites"], sites),
            **{
                v: cols.booleans(cat[v] == 0)
                for v in (
                    "prior_curative_surgery",
                    "prior_ssa",
                    "prior_prrt",
                    "prior_chemo",
                    "prior_everolimus",
                    "prior_sunitinib",
                    "prior_locoregional",
                )
            },
            "diagnosis_date": cols.dates(diagnosis),
            "metastatic_date": cols.dates(diagnosis + met_gap.astype(np.int64)),
            "captem_start_date": cols.dates(day0),
            "line": cols.integers(_lines(rng, line, cat)),
            "cycles": cols.integers(cycles.astype(np.int64)),
            "capecitabine": cols.booleans(True, n),
            "temozolomide": cols.booleans(True, n),
            "concomitant_ssa": cols.booleans(concomitant),
            "dose_reduction": cols.booleans(cat["dose_reduction"] == 0),
            "drug_holiday": cols.booleans(cat["drug_holiday"] == 0),
            "treatment_interruption": cols.booleans(interruption),
            "discontinuation_reason": _idx(
                ("toxicity", "progression", "death", "ongoing", "completed"), reason
            ),
            "progression_date": cols.dates(day0 + prog_t.astype(np.int64), progressed),
            "death_date": cols.dates(day0 + death_t.astype(np.int64), died),
            "last_followup_date": cols.dates(day0 + window_end.astype(np.int64)),
            "subsequent_therapy_date": cols.dates(
                day0 + subsequent, progressed & (prog_t + 60 < window_end)
            ),
            "tumour_type": _idx(("NET",), np.zeros(n, dtype=np.int64)),
            "regular_followup": cols.booleans(True, n),
            "evaluable_disease": cols.booleans(True, n),
        },
        copy=False,
    )
    _tick(progress, "ineligible patients", 0.90)
    inel = _ineligible(rng, patients, n_ineligible, ineligible_kinds)
    allp = pd.concat([patients, inel], ignore_index=True) if len(inel) else patients
    # shuffle row order, then number the ids in that order
    perm = rng.permutation(len(allp))
    allp = allp.take(perm)
    allp.index = pd.RangeIndex(len(allp))
    width = max(4, len(str(len(allp))))
    ids = tuple(f"P{i:0{width}d}" for i in range(1, len(allp) + 1))
    # row of each generated patient (eligible ones first, then the ineligible copies) in the
    # final table; the ids all have one width, so their text order is this row order and the
    # tables can be sorted on integer keys
    row_of = np.empty(len(allp), dtype=np.int64)
    row_of[perm] = np.arange(len(allp))
    coded: dict[str, dict[str, cols.CodedText]] = {
        "patients": {"patient_id": cols.text(ids, np.arange(len(allp)))}
    }
    allp.insert(0, "patient_id", pd.Series(coded["patients"]["patient_id"].to_pandas()))

    # lesions and events sorted by (patient_id, assessment_date, lesion_id) and
    # (patient_id, term, grade): text keys as their ranks in sorted order
    lesion_rank = _text_rank(LESION_IDS)
    o = cols.lexsort_order((lesion_rank[les.lesion_id], les.day, row_of[les.patient]))
    lp = les.patient[o]
    coded["lesions"] = {
        "patient_id": cols.text(ids, row_of[lp]),
        "lesion_id": cols.text(LESION_IDS, les.lesion_id[o]),
        "role": cols.text(ROLES, les.role[o]),
        "organ": cols.text(ORGANS, les.organ[o]),
        "measurement_status": cols.text(MEASUREMENT, les.measurement_status[o]),
        "non_target_status": cols.text(NON_TARGET, les.non_target_status[o]),
    }
    lt = {k: c.to_pandas() for k, c in coded["lesions"].items()}
    lesions = pd.DataFrame(
        {
            "patient_id": lt["patient_id"],
            "assessment_date": cols.dates(day0[lp] + les.day[o]),
            "lesion_id": lt["lesion_id"],
            "role": lt["role"],
            "organ": lt["organ"],
            "nodal": cols.booleans(les.nodal[o]),
            "diameter_mm": les.diameter_mm[o],
            "measurement_status": lt["measurement_status"],
            "non_target_status": lt["non_target_status"],
        },
        copy=False,
    )
    del lt
    terms = _ae_terms(targets)
    o = cols.lexsort_order((ev.grade, _text_rank(terms)[ev.term], row_of[ev.patient]))
    ep = ev.patient[o]
    coded["adverse_events"] = {
        "patient_id": cols.text(ids, row_of[ep]),
        "term": cols.text(terms, ev.term[o]),
    }
    events = pd.DataFrame(
        {
            "patient_id": coded["adverse_events"]["patient_id"].to_pandas(),
            "term": coded["adverse_events"]["term"].to_pandas(),
            "grade": cols.integers(ev.grade[o]),
            "onset_date": cols.dates(day0[ep] + onset[o].astype(np.int64)),
            "led_to_interruption": cols.booleans(ev.led_to_interruption[o]),
            "led_to_discontinuation": cols.booleans(False, ep.size),
        },
        copy=False,
    )
    _tick(progress, "typing", 0.95)
    if not scheduled:
        calibration = {
            "os": _fit_summary(os_fit),
            "pfs": _fit_summary(pfs_fit),
            "exact_calibration": exact,
        }
    reg = SyntheticRegistry(
        patients=_typed(allp, TABLES["patients"]),
        lesions=_typed(lesions, TABLES["lesions"]),
        adverse_events=_typed(events, TABLES["adverse_events"]),
        seed=seed,
        n_patients=n,
        n_ineligible=len(inel),
        targets_source=source,
        calibration=calibration,
        survival_model=survival_model,
        coded_text=coded,
    )
    _tick(progress, "done", 1.0)
    return reg


def _text_rank(values: Sequence[str]) -> IntArray:
    """Rank of each value in sorted (code point) order: ``rank[code]`` sorts as the text."""
    rank = np.empty(len(values), dtype=np.int64)
    rank[np.argsort(np.asarray(values, dtype=object), kind="stable")] = np.arange(len(values))
    return rank


def _ae_terms(targets: Targets) -> tuple[str, ...]:
    return targets.ae_terms or CTCAE_TERMS


def _fit_summary(fit: WeibullFit) -> dict[str, Any]:
    return {
        **weibull_summary(fit.k, fit.log_scale, COX_COVARIATES, fit.beta),
        "km_median_months_on_calibration_data": {
            g: round(v, 4) for g, v in fit.achieved_months.items()
        },
    }


def _centers(rng: np.random.Generator, n: int) -> IntArray:
    w = rng.dirichlet(np.full(34, 2.0))
    codes = rng.choice(34, size=n, p=w)
    codes[: min(n, 34)] = np.arange(min(n, 34))  # every center contributes
    return rng.permutation(codes)


def _lines(rng: np.random.Generator, line: IntArray, cat: dict[str, IntArray]) -> IntArray:
    """Line number: 1, 2, or 3-5 for the >= third-line group (more prior therapies -> later)."""
    n_prior = sum(
        cat[v] == 0 for v in ("prior_prrt", "prior_chemo", "prior_everolimus", "prior_sunitinib")
    )
    extra = np.minimum(np.asarray(n_prior, dtype=np.int64) // 2, 2)
    return np.where(line < 2, line + 1, 3 + extra).astype(np.int64)


def _ineligible(
    rng: np.random.Generator, patients: pd.DataFrame, k: int, kinds: Sequence[str]
) -> pd.DataFrame:
    """``k`` ineligible patients: copies of random eligible patients, each changed to fail
    one eligibility rule (kinds cycled in order)."""
    if k == 0 or not kinds:
        return patients.iloc[0:0].copy()
    rows = patients.iloc[rng.choice(len(patients), size=k, replace=False)].copy()
    rows = rows.reset_index(drop=True)
    for i in range(k):
        kind = kinds[i % len(kinds)]
        if kind == "nec":
            rows.loc[i, "tumour_type"] = "NEC"
        elif kind == "grade_ki67":
            rows.loc[i, "grade"] = "3"
            rows.loc[i, "ki67"] = 70.0
        elif kind == "one_drug":
            rows.loc[i, "capecitabine" if i % 2 else "temozolomide"] = False
        elif kind == "no_cycles":
            rows.loc[i, "cycles"] = 0
        elif kind == "irregular_followup":
            rows.loc[i, "regular_followup"] = False
        elif kind == "not_evaluable":
            rows.loc[i, "evaluable_disease"] = False
    return rows


_STRING = pd.StringDtype()


_KIND_DTYPES: dict[str, Any] = {
    "string": _STRING,
    "category": _STRING,
    "integer": pd.Int64Dtype(),
    "number": np.dtype("float64"),
    "boolean": pd.BooleanDtype(),
    "date": np.dtype("datetime64[ns]"),
}


def _typed(frame: pd.DataFrame, spec: TableSpec) -> pd.DataFrame:
    """Cast to the typed-registry contract: every schema column, in schema order (columns
    already of their dtype are kept as they are, not copied)."""
    out: dict[str, pd.Series[Any]] = {}
    for col in spec.columns:
        s = frame[col.name] if col.name in frame.columns else pd.Series(pd.NA, index=frame.index)
        if s.dtype == _KIND_DTYPES[col.kind]:
            out[col.name] = s
        elif col.kind in ("string", "category"):
            out[col.name] = s.astype("string")
        elif col.kind == "integer":
            out[col.name] = s.astype("Int64")
        elif col.kind == "number":
            out[col.name] = pd.to_numeric(s).astype("float64")
        elif col.kind == "boolean":
            out[col.name] = s.astype("boolean")
        else:
            out[col.name] = pd.to_datetime(s).astype("datetime64[ns]")
    typed = pd.DataFrame(out, copy=False)
    if not typed.index.equals(pd.RangeIndex(len(typed))):
        typed = typed.reset_index(drop=True)
    return typed


def write_registry(
    registry: SyntheticRegistry,
    out_dir: str | Path,
    *,
    format: Format = "csv",
    command: str | None = None,
) -> dict[str, Path]:
    """Write the tables (``patients``, ``lesions``, ``adverse_events``) as CSV or Parquet plus
    ``provenance.json`` (seed, generator version, command, sha256 of each file). Output is
    byte-identical for the same registry."""
    from captemstats.atomic import write_atomic

    if format not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet', got {format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    # Each file is written to a temporary name and renamed into place (write_atomic): an
    # interrupted run leaves the previous version of every file intact.
    for name, frame in registry.tables.items():
        if format == "csv":

            def write_csv(tmp: Path, frame: pd.DataFrame = frame) -> None:
                frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")

            paths[name] = write_atomic(out / f"{name}.csv", write_csv)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            # text columns from their codes: the same table as pa.Table.from_pandas makes,
            # without converting millions of Python strings
            table = cols.arrow_table(frame, registry.coded_text.get(name, {}))

            def write_parquet(tmp: Path, table: pa.Table = table) -> None:
                pq.write_table(table, tmp)

            paths[name] = write_atomic(out / f"{name}.parquet", write_parquet)
    prov = registry.provenance(command)
    prov["format"] = format
    prov["files"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths.values()}
    text = json.dumps(prov, indent=2, sort_keys=True) + "\n"
    paths["provenance"] = write_atomic(
        out / "provenance.json", lambda tmp: tmp.write_text(text, encoding="utf-8")
    )
    return paths
