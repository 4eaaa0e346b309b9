"""Lesion measurements whose RECIST 1.1 classification is the intended best response.

Per patient: a baseline assessment 0–7 days before CAPTEM start with 1–5 target lesions
(<= 2 per organ, organs consistent with ``metastatic_sites``; non-nodal >= 12 mm, nodal short
axis >= 16 mm; the largest >= 20 mm) and 0–2 non-target lesions; follow-up assessments every
84–112 days (``Δ`` per patient, ±5 days jitter) until progression or the end of follow-up —
or, given a :class:`~captemstats.synth.timeline.ScanSchedule`, on that schedule (every
91–122 days, jitter, missed assessments); and, for a radiological progression, one
assessment ON the progression date showing PD.

Target-sum factors relative to baseline (margins keep every assessment well inside its RECIST
1.1 band — §4.3.1: PR <= -30 %, PD >= +20 % and >= 5 mm over the nadir):

* CR: every target disappeared and every non-target absent at each follow-up (no nodal
  targets, so CR never hinges on the 10 mm node rule);
* PR: first follow-up ``1 + p·u`` (u in [0.86, 1]), later ``1 + p``, p in [-0.65, -0.36] —
  confirmed by the next assessment, >= 28 days later (§4.4 confirmation);
* SD: ``1 + p`` ± 1 %, p in [-0.22, +0.10] (>= 42 days after baseline);
* PD at the progression assessment: growth to ``max(1.25–1.6 × nadir, nadir + 8 mm)`` or,
  for a third of patients and every CR, a new lesion (§4.3.3).

No assessment has all its measured targets below 10 mm, so sizes never look like centimetres.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from captemstats.synth.allocate import FloatArray, IntArray
from captemstats.synth.timeline import ScanSchedule

BOR_NE, BOR_CR, BOR_PR, BOR_SD, BOR_PD = range(5)
ORGANS: tuple[str, ...] = ("liver", "lung", "lymph node", "peritoneum", "bone")
LESION_IDS: tuple[str, ...] = ("T1", "T2", "T3", "T4", "T5", "N1", "N2", "NEW1")
ROLES: tuple[str, ...] = ("target", "non_target", "new")
MEASUREMENT: tuple[str, ...] = ("measured", "too_small", "disappeared", "not_assessed")
NON_TARGET: tuple[str, ...] = ("present", "absent", "unequivocal_progression", "not_assessed")

LIVER, LUNG, NODE, PERITONEUM, BONE = range(5)
#: Target-organ templates by (metastatic_sites, complete responder); <= 2 per organ.
_TEMPLATES: dict[tuple[int, bool], tuple[int, ...]] = {
    (0, False): (LIVER, LIVER),
    (0, True): (LIVER, LIVER),
    (1, False): (NODE, LUNG, PERITONEUM, NODE, LUNG),
    (1, True): (LUNG, PERITONEUM, LUNG, PERITONEUM),
    (2, False): (LIVER, NODE, LIVER, LUNG, PERITONEUM),
    (2, True): (LIVER, LUNG, LIVER, PERITONEUM, LUNG),
}
#: Minimum follow-up window (days from CAPTEM start) each best response needs.
MIN_WINDOW_SD = 63
MIN_WINDOW_RESPONSE = 112

BoolArray = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class LesionRows:
    """Columnar lesion table: integer codes index the tuples above (-1 = missing). Rows are
    in no particular order (:func:`generate_lesions` leaves the sort to the caller)."""

    patient: IntArray
    day: IntArray  # days from CAPTEM start
    lesion_id: IntArray
    role: IntArray
    organ: IntArray
    nodal: BoolArray
    diameter_mm: FloatArray
    measurement_status: IntArray
    non_target_status: IntArray


def responder_mask(bor: IntArray) -> BoolArray:
    """CR or PR (a response needs a confirming assessment: at least two follow-ups)."""
    return np.asarray((bor == BOR_CR) | (bor == BOR_PR), dtype=bool)


def _segment_index(counts: IntArray) -> tuple[IntArray, IntArray]:
    """(owner, position within owner) for ragged segments of the given sizes."""
    owner = np.repeat(np.arange(counts.size), counts)
    starts = np.cumsum(counts) - counts
    return owner, np.arange(owner.size) - starts[owner]


def generate_lesions(
    rng: np.random.Generator,
    bor: IntArray,
    sites: IntArray,
    progressed: BoolArray,
    prog_day: IntArray,
    window_end: IntArray,
    schedule: ScanSchedule | None = None,
) -> LesionRows:
    """Lesion rows for every patient (see the module docstring for the design)."""
    n = bor.size
    cr = bor == BOR_CR
    # --- lesions at baseline -------------------------------------------------------------
    template = np.full((n, 5), -1, dtype=np.int64)
    cap = np.zeros(n, dtype=np.int64)
    for (site, is_cr), organs in _TEMPLATES.items():
        sel = (sites == site) & (cr == is_cr)
        template[sel, : len(organs)] = organs
        cap[sel] = len(organs)
    n_t = np.minimum(rng.choice(5, size=n, p=[0.2, 0.3, 0.25, 0.15, 0.1]) + 1, cap)
    n_nt = rng.choice(3, size=n, p=[0.35, 0.45, 0.2])
    n_les = n_t + n_nt
    l_pat, l_pos = _segment_index(n_les)
    is_t = l_pos < n_t[l_pat]
    organ = np.where(is_t, template[l_pat, np.minimum(l_pos, 4)], -1)
    nt_pos = l_pos - n_t[l_pat]
    nt_organ = np.where(
        sites[l_pat] == 1, BONE, np.where(sites[l_pat] == 0, LIVER, LIVER + BONE * (nt_pos % 2))
    )
    organ = np.where(is_t, organ, nt_organ)
    nodal = organ == NODE
    d0 = np.where(
        nodal,
        rng.uniform(16.0, 34.0, l_pat.size),
        np.clip(rng.lognormal(np.log(25.0), 0.45, l_pat.size), 12.0, 95.0),
    )
    first_target = is_t & (l_pos == 0)
    d0 = np.where(first_target, np.maximum(d0, 20.0), d0)
    d0 = np.round(d0, 1)
    lesion_code = np.where(is_t, l_pos, 5 + nt_pos)
    base_sum = np.bincount(l_pat, weights=np.where(is_t, d0, 0.0), minlength=n)
    max_d0 = np.zeros(n)
    np.maximum.at(max_d0, l_pat[is_t], d0[is_t])

    # --- assessment schedule -------------------------------------------------------------
    if schedule is None:
        n_vis, v_pat, v_pos, n_reg, kind, day, has_pd_visit = _fixed_interval_visits(
            rng, bor, progressed, prog_day, window_end
        )
    else:
        n_vis, v_pat, v_pos, n_reg, kind, day, has_pd_visit = _scheduled_visits(
            rng, bor, progressed, prog_day, window_end, schedule
        )

    # --- target-sum factor per assessment --------------------------------------------------
    p_sd = rng.uniform(-0.22, 0.10, n)
    p_pr = np.maximum(rng.uniform(-0.65, -0.36, n), 10.5 / np.maximum(max_d0, 1.0) - 1.0)
    u_first = rng.uniform(0.86, 1.0, n)
    noise = rng.uniform(-0.01, 0.01, v_pat.size)
    b = bor[v_pat]
    f = np.ones(v_pat.size)
    reg = kind == 1
    f = np.where(reg & (b == BOR_SD), 1.0 + p_sd[v_pat] + noise, f)
    pr_f = np.where(v_pos == 1, 1.0 + p_pr[v_pat] * u_first[v_pat], 1.0 + p_pr[v_pat])
    f = np.where(reg & (b == BOR_PR), pr_f, f)
    f = np.where(reg & (b == BOR_CR), 0.0, f)
    # nadir over baseline and regular follow-ups, and the last regular factor
    f_reg = np.where(kind == 2, np.inf, f)
    starts = np.cumsum(n_vis) - n_vis
    nadir = np.minimum.reduceat(f_reg, starts)
    last_reg = f[starts + n_reg]
    new_lesion = progressed & ((rng.random(n) < 1.0 / 3.0) | cr)
    growth = rng.uniform(0.25, 0.60, n)
    grown = np.maximum(nadir * (1.0 + growth), nadir + 8.0 / np.maximum(base_sum, 1.0))
    hold = np.where(n_reg > 0, last_reg, 1.0 + rng.uniform(-0.10, 0.05, n))
    pd_f = np.where(new_lesion, hold, grown)
    f = np.where(kind == 2, pd_f[v_pat], f)

    # --- cross assessments x lesions ---------------------------------------------------------
    r_vis, r_pos = _segment_index(n_les[v_pat])
    l_start = np.cumsum(n_les) - n_les
    r_les = l_start[v_pat[r_vis]] + r_pos
    r_pat = v_pat[r_vis]
    r_target = is_t[r_les]
    r_f = f[r_vis]
    r_kind = kind[r_vis]
    gone = r_target & (r_f == 0.0)
    diameter = np.where(r_target & ~gone, np.round(d0[r_les] * r_f, 1), np.nan)
    m_status = np.where(r_target, np.where(gone, 2, 0), -1)
    cr_row = cr[r_pat] & (r_kind > 0)
    nt_status = np.where(r_target, -1, np.where(cr_row, 1, 0))
    rows = LesionRows(
        patient=r_pat,
        day=day[r_vis],
        lesion_id=lesion_code[r_les],
        role=np.where(r_target, 0, 1),
        organ=organ[r_les],
        nodal=nodal[r_les],
        diameter_mm=diameter,
        measurement_status=m_status,
        non_target_status=nt_status,
    )
    # --- new lesions at the progression assessment ---------------------------------------------
    new_pat = np.flatnonzero(new_lesion & has_pd_visit)
    k = new_pat.size
    new = LesionRows(
        patient=new_pat,
        day=prog_day[new_pat].astype(np.int64),
        lesion_id=np.full(k, 7, dtype=np.int64),
        role=np.full(k, 2, dtype=np.int64),
        organ=np.where(sites[new_pat] == 1, BONE, LIVER),
        nodal=np.zeros(k, dtype=bool),
        diameter_mm=np.round(rng.uniform(8.0, 25.0, k), 1),
        measurement_status=np.zeros(k, dtype=np.int64),
        non_target_status=np.full(k, -1, dtype=np.int64),
    )
    return _concat(rows, new)


def _concat(a: LesionRows, b: LesionRows) -> LesionRows:
    """The rows of ``a`` then those of ``b`` (unsorted: the caller orders the final table)."""
    return LesionRows(
        **{
            name: np.concatenate([getattr(a, name), getattr(b, name)])
            for name in a.__dataclass_fields__
        }
    )


Visits = tuple[IntArray, IntArray, IntArray, IntArray, IntArray, IntArray, BoolArray]


def _fixed_interval_visits(
    rng: np.random.Generator,
    bor: IntArray,
    progressed: BoolArray,
    prog_day: IntArray,
    window_end: IntArray,
) -> Visits:
    """Baseline, regular follow-ups every ``Δ`` (84–112 days, ±5 days), and the progression
    assessment on the progression date: (visits per patient, owner, position, regular
    visits per patient, kind 0/1/2, day, has a progression visit)."""
    n = bor.size
    delta = rng.uniform(84.0, 112.0, n)
    responder = (bor == BOR_CR) | (bor == BOR_PR)
    horizon = np.where(progressed, prog_day - 14, window_end - 7).astype(np.float64)
    delta = np.where(responder, np.minimum(delta, horizon / 2.0), np.minimum(delta, horizon))
    regular = (bor == BOR_CR) | (bor == BOR_PR) | (bor == BOR_SD)
    if np.any(regular & (delta < 49.0)):
        raise ValueError("a responding or stable patient has too short a follow-up window")
    n_reg = np.where(regular, np.minimum(np.floor(horizon / np.maximum(delta, 1.0)), 80), 0)
    n_reg = n_reg.astype(np.int64)
    has_pd_visit = progressed & (bor != BOR_NE) | (progressed & (bor == BOR_NE))
    n_vis = 1 + n_reg + has_pd_visit.astype(np.int64)
    v_pat, v_pos = _segment_index(n_vis)
    kind = np.where(v_pos == 0, 0, np.where(v_pos <= n_reg[v_pat], 1, 2))
    jitter = rng.integers(-5, 6, v_pat.size)
    reg_day = np.minimum(np.rint(v_pos * delta[v_pat]) + jitter, horizon[v_pat])
    baseline_day = -rng.integers(0, 8, n)
    day = np.where(kind == 0, baseline_day[v_pat], np.where(kind == 1, reg_day, prog_day[v_pat]))
    day = day.astype(np.int64)

    return n_vis, v_pat, v_pos, n_reg, kind, day, has_pd_visit


def _scheduled_visits(
    rng: np.random.Generator,
    bor: IntArray,
    progressed: BoolArray,
    prog_day: IntArray,
    window_end: IntArray,
    schedule: ScanSchedule,
) -> Visits:
    """As :func:`_fixed_interval_visits`, with the regular follow-ups the schedule's performed
    assessments before the progression (or up to a week before the end of follow-up); a PD
    patient has none: it progresses at the first, the progression assessment."""
    n = bor.size
    regular = (bor == BOR_CR) | (bor == BOR_PR) | (bor == BOR_SD)
    horizon = np.where(progressed, prog_day - 1, window_end - 7).astype(np.int64)
    who = np.flatnonzero(regular)
    owner, reg_days = schedule.performed_days(who, horizon[who])
    n_reg = np.bincount(who[owner], minlength=n).astype(np.int64)
    if np.any((bor == BOR_SD) & (n_reg < 1)) or np.any(responder_mask(bor) & (n_reg < 2)):
        raise ValueError("a responding or stable patient has too few assessments")
    n_vis = 1 + n_reg + progressed.astype(np.int64)
    v_pat, v_pos = _segment_index(n_vis)
    kind = np.where(v_pos == 0, 0, np.where(v_pos <= n_reg[v_pat], 1, 2))
    baseline_day = -rng.integers(0, 8, n)
    day = np.where(kind == 0, baseline_day[v_pat], prog_day[v_pat]).astype(np.int64)
    day[kind == 1] = reg_days  # both in (patient, day) order
    return n_vis, v_pat, v_pos, n_reg, kind, day, np.asarray(progressed, dtype=bool)
