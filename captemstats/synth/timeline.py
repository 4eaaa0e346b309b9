"""Radiological assessment schedule of the synthetic registry, and progression dated by it.

The Methods assessed response "every 3-4 months" from the start of CAPTEM. Each synthetic
patient gets an interval ``Δ`` drawn from 91–122 days; follow-up assessment ``j`` (``j >= 1``)
is due on day ``rint(j Δ) + jitter(j)`` with a jitter of −7…+7 days, and from the second one
on an assessment is *missed* with probability :data:`MISSED_SCAN` (the next one is then the
first to see what happened). Jitter and misses are functions of (patient salt, ``j``) through
a 64-bit integer hash (SplitMix64's finaliser), so any assessment of any patient is computed
in O(1) without storing a schedule, the same for the survival calibration and for the lesion
table, and byte-reproducible from the seed.

A progression is not observed when it happens but at the first performed assessment on or
after it (interval censoring, as in every trial and registry with scheduled imaging; FDA's
guidance on oncology endpoints discusses the resulting assessment-time bias). The patients
whose best overall response is PD progress at the *first* follow-up assessment (RECIST 1.1
§4.4: PD is the best response only when no SD was documented at or after the minimum
interval first); every other progression is seen at the second assessment or later.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from captemstats.synth.allocate import FloatArray, IntArray

#: Assessment interval range, days (Methods: "every 3-4 months").
INTERVAL_DAYS = (91.0, 122.0)
#: Jitter of each assessment around its due day, days (inclusive).
JITTER_DAYS = 7
#: Probability that a follow-up assessment after the first is not performed.
MISSED_SCAN = 0.08
#: Consecutive missed assessments after which the next one is always performed.
MAX_MISSED = 3

U64 = npt.NDArray[np.uint64]
BoolArray = npt.NDArray[np.bool_]


def _mix(x: U64) -> U64:
    """SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014): a bijective 64-bit mix."""
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return x ^ (x >> np.uint64(31))


@dataclass(frozen=True)
class ScanSchedule:
    """Follow-up assessment days of every patient (days from CAPTEM start).

    ``interval`` is each patient's ``Δ`` (days) and ``salt`` the 64-bit key of its jitter and
    misses. Assessment 1 is always performed.
    """

    interval: FloatArray
    salt: U64

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> ScanSchedule:
        """A schedule for ``n`` patients."""
        interval = rng.uniform(*INTERVAL_DAYS, n)
        salt = rng.integers(0, 2**63 - 1, n, dtype=np.int64).astype(np.uint64)
        return cls(interval, salt)

    def subset(self, idx: IntArray) -> ScanSchedule:
        """The schedules of patients ``idx`` (renumbered 0..len-1)."""
        return ScanSchedule(self.interval[idx], self.salt[idx])

    def _hash(self, idx: IntArray, j: IntArray, stream: int) -> U64:
        key = self.salt[idx] ^ (j.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
        return _mix(key ^ np.uint64(stream))

    def day(self, idx: IntArray, j: IntArray) -> IntArray:
        """Day of assessment ``j`` (>= 1) of patients ``idx`` (whether performed or not)."""
        h = self._hash(idx, j, 1)
        jitter = (h % np.uint64(2 * JITTER_DAYS + 1)).astype(np.int64) - JITTER_DAYS
        return np.rint(j * self.interval[idx]).astype(np.int64) + jitter

    def performed(self, idx: IntArray, j: IntArray) -> BoolArray:
        """Whether assessment ``j`` of patients ``idx`` took place."""
        h = self._hash(idx, j, 2)
        u = (h >> np.uint64(11)).astype(np.float64) / float(2**53)
        missed = (j >= 2) & (u < MISSED_SCAN)
        # never more than MAX_MISSED in a row: every (MAX_MISSED + 1)-th one after the first
        forced = (j >= 2) & ((j - 2) % (MAX_MISSED + 1) == MAX_MISSED)
        return np.asarray(~missed | forced, dtype=bool)

    def first_day(self, idx: IntArray) -> IntArray:
        """Day of the first follow-up assessment."""
        return self.day(idx, np.ones(idx.size, dtype=np.int64))

    def seen_at(self, t: FloatArray, idx: IntArray, *, min_j: int = 1) -> IntArray:
        """Day of the first performed assessment ``j >= min_j`` on or after day ``t``."""
        j = np.maximum(np.floor(t / self.interval[idx]).astype(np.int64), min_j)
        out = np.full(idx.size, -1, dtype=np.int64)
        todo = np.ones(idx.size, dtype=bool)
        for _ in range(MAX_MISSED + 3):
            d = self.day(idx, j)
            ok = todo & (d >= t) & self.performed(idx, j)
            out[ok] = d[ok]
            todo &= ~ok
            if not todo.any():
                break
            j = j + 1
        if todo.any():  # unreachable: jitter < Δ/2 and misses are bounded
            raise AssertionError("no assessment found after a progression")
        return out

    def performed_days(self, idx: IntArray, until: IntArray) -> tuple[IntArray, IntArray]:
        """All performed follow-up assessments of ``idx`` up to and including day ``until``:
        (owner position in ``idx``, day), ragged, ascending within each owner."""
        # every j whose due day rint(j Δ) - jitter can still fall on or before ``until``
        n_max = np.maximum(np.floor((until + JITTER_DAYS + 1) / self.interval[idx]), 0)
        counts = n_max.astype(np.int64)
        owner = np.repeat(np.arange(idx.size), counts)
        starts = np.cumsum(counts) - counts
        j = np.arange(owner.size) - starts[owner] + 1
        days = self.day(idx[owner], j)
        keep = (days <= until[owner]) & self.performed(idx[owner], j)
        return owner[keep], days[keep]
