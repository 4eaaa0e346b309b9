"""Adverse events whose Table 4 counts and Table 1 grade 3–4 row come out exactly.

Counting rule matched (:mod:`captemstats.adverse`): per CTCAE term a patient counts once, in
the band of the worst grade; the interruption column counts patients with an event of that
term flagged ``led_to_interruption``. Construction, one event row per (patient, term):

1. grade 3–4 slots (term, grade) go only to patients allocated ``grade34_ae = yes`` in Table
   1 — the first slots one per such patient (so each has at least one), the rest without
   repeating a term for a patient;
2. interruption slots go only to patients allocated ``treatment_interruption = yes`` (each
   of them first, while slots last); the flag is set on the patient's event of that term,
   which, when the patient has none, takes one of the term's grade 1–2 slots;
3. the remaining grade 1–2 slots go to any patient without an event of that term.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from captemstats.synth.allocate import IntArray

BoolArray = npt.NDArray[np.bool_]
BoolMatrix = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class EventRows:
    """Columnar adverse-event table (term indexes ``terms``)."""

    patient: IntArray
    term: IntArray
    grade: IntArray
    led_to_interruption: BoolArray


def _fill(
    rng: np.random.Generator, slots_term: IntArray, pool: IntArray, taken: BoolMatrix
) -> tuple[IntArray, IntArray]:
    """Give each slot (a term) to a pool patient not yet holding that term (``taken`` is the
    patients x terms matrix, updated): first one slot per pool patient (random order) while
    slots last, then the rest at random. Returns the owner of each slot of
    ``slots_term[order]`` and ``order``."""
    order = rng.permutation(slots_term.size)
    slots = slots_term[order]
    owners = np.full(slots.size, -1, dtype=np.int64)
    first = rng.permutation(pool)[: slots.size]
    owners[: first.size] = first
    taken[first, slots[: first.size]] = True
    rest = slots[first.size :]
    for term in np.unique(rest):
        idx = first.size + np.flatnonzero(rest == term)
        free = pool[~taken[pool, term]]
        if free.size < idx.size:
            raise ValueError(f"not enough patients for adverse-event term index {term}")
        chosen = rng.choice(free, size=idx.size, replace=False)
        owners[idx] = chosen
        taken[chosen, term] = True
    return owners, order


def generate_events(
    rng: np.random.Generator,
    counts: IntArray,
    grade34: BoolArray,
    interruption: BoolArray,
) -> EventRows:
    """Event rows for ``counts`` (terms x [grade_1_2, grade_3, grade_4, interruption])."""
    n = grade34.size
    n_terms = counts.shape[0]
    terms = np.arange(n_terms)
    held = np.zeros((n, n_terms), dtype=bool)
    # 1. grade 3-4
    sev_all = np.concatenate([np.repeat(terms, counts[:, 1]), np.repeat(terms, counts[:, 2])])
    grade_all = np.repeat([3, 4], [counts[:, 1].sum(), counts[:, 2].sum()])
    sev_owner, order = _fill(rng, sev_all, np.flatnonzero(grade34), held)
    sev_term, sev_grade = sev_all[order], grade_all[order]
    # 2. interruptions, flagged on the patient's event of that term (created if missing)
    flagged = np.zeros((n, n_terms), dtype=bool)
    int_all = np.repeat(terms, counts[:, 3])
    int_owner, order = _fill(rng, int_all, np.flatnonzero(interruption), flagged)
    int_term = int_all[order]
    need = ~held[int_owner, int_term]
    new_p, new_t = int_owner[need], int_term[need]
    g12_left = counts[:, 0] - np.bincount(new_t, minlength=n_terms)
    if (g12_left < 0).any():
        raise ValueError("interruption counts exceed the grade 1-2 events of a term")
    held[new_p, new_t] = True
    # 3. remaining grade 1-2 to anyone without an event of that term
    pats = [sev_owner, new_p]
    trms = [sev_term, new_t]
    grds = [sev_grade, rng.choice([1, 2], size=new_p.size, p=[0.6, 0.4])]
    for t in terms:
        k = int(g12_left[t])
        if k:
            chosen = rng.choice(np.flatnonzero(~held[:, t]), size=k, replace=False)
            held[chosen, t] = True
            pats.append(chosen)
            trms.append(np.full(k, t, dtype=np.int64))
            grds.append(rng.choice([1, 2], size=k, p=[0.6, 0.4]))
    pat = np.concatenate(pats).astype(np.int64)
    trm = np.concatenate(trms).astype(np.int64)
    grd = np.concatenate(grds).astype(np.int64)
    order = np.lexsort((trm, pat))
    pat, trm, grd = pat[order], trm[order], grd[order]
    return EventRows(pat, trm, grd, flagged[pat, trm])
