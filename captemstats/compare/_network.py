"""The node network of the exact r×c Fisher test: splits of a column and two-column extremes.

Building blocks of :func:`captemstats.compare._exact._fisher_rxc` (Mehta & Patel's network
algorithm, J Am Stat Assoc 1983; 78:427, as R's FEXACT): a node is the sorted vector of row
totals left after some columns; its edges are the splits of the next column over its rows
(:func:`_allocations`, counted by :func:`_allocation_counts`); at two columns left its
completions are enumerated by :func:`_two_column_values`, and their largest and smallest values
(FEXACT's longest and shortest paths) are found in closed form by
:func:`_two_column_extremes`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]


# -- splits of a column over a node's rows ----------------------------------------------------


def _allocations(nodes: IntArray, c: int) -> tuple[IntArray, IntArray]:
    """Every way to split a column total ``c`` over each node's rows (xᵢ <= rowᵢ): the parent
    node index of each split and the splits (one row each)."""
    m, r = nodes.shape
    suffix = np.concatenate(
        [np.cumsum(nodes[:, ::-1], axis=1)[:, ::-1], np.zeros((m, 1), np.int64)], axis=1
    )
    parent = np.arange(m)
    rem = np.full(m, c, dtype=np.int64)
    parts: list[IntArray] = []
    for i in range(r):
        cap = nodes[parent, i]
        lo = np.maximum(0, rem - suffix[parent, i + 1])
        hi = np.minimum(rem, cap)
        cnt = np.maximum(hi - lo + 1, 0)
        idx = np.repeat(np.arange(parent.size), cnt)
        offset = np.arange(idx.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        x = lo[idx] + offset
        parts = [p[idx] for p in parts]
        parts.append(x)
        parent = parent[idx]
        rem = rem[idx] - x
    return parent, np.stack(parts, axis=1)


def _allocation_counts(nodes: IntArray, c: int) -> FloatArray:
    """Number of splits of ``c`` over each node's rows with xᵢ <= rowᵢ (vectorised DP)."""
    m = nodes.shape[0]
    ways = np.zeros((m, c + 1))
    ways[:, 0] = 1.0
    grid = np.arange(c + 1)[None, :]
    for i in range(nodes.shape[1]):
        cs = np.cumsum(ways, axis=1)
        back = grid - nodes[:, i : i + 1] - 1
        sub = np.where(back >= 0, np.take_along_axis(cs, np.maximum(back, 0), axis=1), 0.0)
        ways = cs - sub
    out: FloatArray = ways[:, c]
    return out


def _two_column_values(nodes: IntArray, c: int, lf: FloatArray) -> tuple[IntArray, FloatArray]:
    """Completions of nodes with two columns left (c and the rest): each is a split x of c;
    returns the node of each completion (ascending) and its value −Σ log x! − Σ log (r − x)!."""
    parent, x = _allocations(nodes, c)
    values: FloatArray = -lf[x].sum(axis=1) - lf[nodes[parent] - x].sum(axis=1)
    return parent, values


def _unique_rows(a: IntArray, n: int) -> tuple[IntArray, IntArray]:
    """Unique rows of a non-negative integer array (values <= n) and the inverse index; rows
    are packed into one int64 key when they fit (much faster than ``np.unique(axis=0)``)."""
    r = a.shape[1]
    if r * math.log2(n + 1) < 62:
        base = np.int64(n + 1) ** np.arange(r, dtype=np.int64)
        keys, inv = np.unique(a @ base, return_inverse=True)
        uniq = (keys[:, None] // base[None, :]) % (n + 1)
        return uniq.astype(np.int64), np.asarray(inv, dtype=np.int64).ravel()
    uniq, inv = np.unique(a, axis=0, return_inverse=True)
    return uniq, np.asarray(inv, dtype=np.int64).ravel()


# -- the longest and shortest paths: closed-form two-column extremes --------------------------


def _completion_value(nodes: IntArray, x: IntArray, lf: FloatArray) -> FloatArray:
    out: FloatArray = -(lf[x] + lf[nodes - x]).sum(axis=1)
    return out


def _largest_completion(nodes: IntArray, c: int, lf: FloatArray) -> FloatArray:
    """The largest value: proportional start, greedy completion, then unit exchanges."""
    m, r = nodes.shape
    n = nodes.sum(axis=1)
    x = (nodes * c) // np.maximum(n, 1)[:, None]
    rows = np.arange(m)
    with np.errstate(divide="ignore"):
        for _ in range(r + 1):
            deficit = c - x.sum(axis=1)
            if not (deficit > 0).any():
                break
            up = np.where(x < nodes, np.log(nodes - x) - np.log(x + 1), -np.inf)
            best = np.argmax(up, axis=1)
            x[rows, best] += (deficit > 0).astype(np.int64)
        for _ in range(10 * (c + r)):
            up = np.where(x < nodes, np.log(nodes - x) - np.log(x + 1), -np.inf)
            down = np.where(x > 0, np.log(x) - np.log(nodes - x + 1), -np.inf)
            i = np.argmax(up, axis=1)
            masked = down.copy()
            masked[rows, i] = -np.inf
            j = np.argmax(masked, axis=1)
            gain = up[rows, i] + masked[rows, j]
            move = gain > 1e-12
            if not move.any():
                break
            x[rows[move], i[move]] += 1
            x[rows[move], j[move]] -= 1
    return _completion_value(nodes, x, lf)


def _smallest_completion(nodes: IntArray, c: int, lf: FloatArray) -> FloatArray:
    """The smallest value: vertices (row k free, the others at 0 or their total)."""
    m, r = nodes.shape
    smallest = np.full(m, np.inf)
    for k in range(r):
        others = [i for i in range(r) if i != k]
        for bits in range(1 << len(others)):
            full = np.array([(bits >> b) & 1 for b in range(len(others))], dtype=bool)
            v = np.zeros_like(nodes)
            for b, i in enumerate(others):
                if full[b]:
                    v[:, i] = nodes[:, i]
            v[:, k] = c - v.sum(axis=1)
            ok = (v[:, k] >= 0) & (v[:, k] <= nodes[:, k])
            vals = np.where(ok, _completion_value(nodes, np.clip(v, 0, nodes), lf), np.inf)
            smallest = np.minimum(smallest, vals)
    return smallest


def _two_column_extremes(nodes: IntArray, c: int, lf: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Exact largest and smallest completion values of nodes with two columns left, without
    enumerating them. Each value is Σᵢ gᵢ(xᵢ), gᵢ(x) = −log x! − log (rᵢ − x)!, over splits
    Σ xᵢ = c, 0 <= xᵢ <= rᵢ. gᵢ is concave: the largest comes from the proportional split
    ⌊rᵢc/n⌋ completed greedily and improved by unit exchanges until none gains. The smallest
    (a convex maximisation of −g) lies at a vertex: every row but one at 0 or rᵢ."""
    if nodes.shape[0] == 0:
        return np.empty(0), np.empty(0)
    return _largest_completion(nodes, c, lf), _smallest_completion(nodes, c, lf)
