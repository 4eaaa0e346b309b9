"""Exact-count allocation helpers for the synthetic registry.

Published tables fix category COUNTS, so categories are assigned by shuffled allocation (a
random permutation of a vector holding each code exactly its count times), never by
independent draws. Counts for another cohort size are scaled by the largest-remainder
(Hamilton) method, which preserves the total exactly.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


def largest_remainder(weights: npt.ArrayLike, total: int) -> IntArray:
    """Integers proportional to ``weights`` summing exactly to ``total`` (Hamilton's method;
    ties broken by position, so the result is deterministic)."""
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or np.any(w < 0):
        raise ValueError("weights and total must be non-negative")
    s = w.sum()
    if s == 0:
        if total:
            raise ValueError("cannot allocate a positive total over zero weights")
        return np.zeros(len(w), dtype=np.int64)
    quota = w * total / s
    base = np.floor(quota).astype(np.int64)
    rest = int(total - base.sum())
    order = np.argsort(-(quota - base), kind="stable")
    base[order[:rest]] += 1
    return np.asarray(base, dtype=np.int64)


def shuffled_codes(rng: np.random.Generator, counts: npt.ArrayLike) -> IntArray:
    """A random permutation of ``repeat(arange(k), counts)``: code i appears counts[i] times."""
    c = np.asarray(counts, dtype=np.int64)
    return rng.permutation(np.repeat(np.arange(len(c), dtype=np.int64), c))


def northwest_corner(rows: npt.ArrayLike, cols: npt.ArrayLike) -> IntArray:
    """Comonotone contingency table with the given ordered margins (north-west corner rule).

    Used to couple two ordinal classifications (grade and Ki-67 class) as closely as their
    margins allow: low grade goes with low Ki-67.
    """
    r = np.asarray(rows, dtype=np.int64).copy()
    c = np.asarray(cols, dtype=np.int64).copy()
    if r.sum() != c.sum():
        raise ValueError(f"margins differ: {r.sum()} vs {c.sum()}")
    out = np.zeros((len(r), len(c)), dtype=np.int64)
    i = j = 0
    while i < len(r) and j < len(c):
        m = min(r[i], c[j])
        out[i, j] = m
        r[i] -= m
        c[j] -= m
        if r[i] == 0:
            i += 1
        if j < len(c) and c[j] == 0:
            j += 1
    return out


def stratified_uniforms(rng: np.random.Generator, n: int) -> FloatArray:
    """``n`` uniforms, exactly one in each interval [i/n, (i+1)/n), in random order (Latin
    hypercube sampling in one dimension: the empirical distribution is uniform to within 1/n)."""
    return (rng.permutation(n) + rng.random(n)) / n
