"""Fisher's exact test's P value: the r×c network enumeration, the 2×2 sum and R's Monte Carlo.

The engine behind :func:`captemstats.compare.fisher_test` (which documents the method):

* :func:`_fisher_2x2` — R's 2×2 ``fisher.test``: the hypergeometric probabilities of the
  tables as or less probable than the observed one (relative tolerance ``R_REL_ERR``);
* :func:`_fisher_rxc` — the exact r×c P of R's FEXACT (Mehta & Patel's network algorithm,
  J Am Stat Assoc 1983; 78:427; FEXACT is their ACM TOMS algorithm 643, 1986) with FEXACT's
  tolerance ``FEXACT_TOL``, by a vectorised enumeration of the same node network, bounded by
  ``max_work`` (:class:`EnumerationTooLarge` beyond it);
* :func:`_fisher_monte_carlo` — R's ``fisher.test(simulate.p.value = TRUE)`` (random tables
  with the observed margins, as R's ``r2dtable``).

The node network's building blocks are in :mod:`captemstats.compare._network`. Private: the
public API is :mod:`captemstats.compare.contingency`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from captemstats.compare._network import (
    _allocation_counts,
    _allocations,
    _two_column_extremes,
    _two_column_values,
    _unique_rows,
)
from captemstats.errors import AnalysisError

if TYPE_CHECKING:
    import numpy.typing as npt

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]
    Partials = tuple[IntArray, FloatArray, FloatArray]

#: R's ``fisher.test`` relative tolerance for "as or less probable than observed" (2×2 case).
R_REL_ERR = 1 + 1e-7
#: FEXACT's tolerance (``tol`` in ``f2xact``, on the log-probability scale) for the r×c case.
FEXACT_TOL = 3.45254e-7
#: Default limit on the partial tables held at one stage of the exact r×c enumeration.
DEFAULT_MAX_WORK = 20_000_000

_CHUNK = 1_000_000
#: Largest smaller dimension for the exact r×c enumeration (vertex search is 2^(r-1)·r).
_MAX_ROWS = 8
#: Largest number of splits of one column held in the node network.
_MAX_EDGES = 2_000_000


class EnumerationTooLarge(AnalysisError):
    """The exact r×c Fisher enumeration would exceed its work limit (use the Monte-Carlo form)."""


def _log_factorials(n: int) -> FloatArray:
    from scipy.special import gammaln

    out: FloatArray = gammaln(np.arange(n + 2, dtype=np.float64) + 1.0)
    return out


def _fisher_2x2(t: IntArray) -> float:
    """R's 2×2 ``fisher.test``: P = Σ d[d <= d_obs · relErr] over the hypergeometric support."""
    from scipy.special import gammaln

    m, nn = int(t[:, 0].sum()), int(t[:, 1].sum())
    k, x = int(t[0].sum()), int(t[0, 0])
    support = np.arange(max(0, k - nn), min(k, m) + 1, dtype=np.float64)
    logd = (
        gammaln(m + 1.0)
        - gammaln(support + 1.0)
        - gammaln(m - support + 1.0)
        + gammaln(nn + 1.0)
        - gammaln(k - support + 1.0)
        - gammaln(nn - k + support + 1.0)
    )
    d = np.exp(logd - logd.max())
    d /= d.sum()
    obs = d[x - int(support[0])]
    return float(min(1.0, max(0.0, d[d <= obs * R_REL_ERR].sum())))


def _node_chunks(counts: FloatArray) -> list[tuple[int, int]]:
    """Consecutive node ranges holding about ``_CHUNK`` splits each."""
    ends = np.cumsum(counts)
    cuts = np.searchsorted(ends, np.arange(_CHUNK, ends[-1] if ends.size else 0, _CHUNK))
    bounds = sorted({0, *(int(c) + 1 for c in cuts), counts.size})
    return [(lo, hi) for lo, hi in itertools.pairwise(bounds) if hi > lo]


# -- the network enumeration ------------------------------------------------------------------


@dataclass(eq=False)
class _Network:
    """One exact r×c enumeration: the table's constants, the node network (``stage_nodes``,
    ``edges``), each node's longest and shortest path (``f_max``, ``f_min``), the log of its
    completions' total weight (``log_sum``) and the probability settled so far (``total``)."""

    shape: tuple[int, int]
    n: int
    max_work: int
    lf: FloatArray
    const: float
    threshold: float
    stage_nodes: list[IntArray] = field(default_factory=list)
    edges: list[tuple[IntArray, IntArray, FloatArray]] = field(default_factory=list)
    f_max: list[FloatArray] = field(default_factory=list)
    f_min: list[FloatArray] = field(default_factory=list)
    log_sum: list[FloatArray] = field(default_factory=list)
    total: list[float] = field(default_factory=list)

    def too_large(self, what: str, size: float) -> EnumerationTooLarge:
        return EnumerationTooLarge(
            f"Fisher's exact test: the exact enumeration of this {self.shape[0]}×"
            f"{self.shape[1]} table (n = {self.n}) needs {size:,.0f} {what}, more than "
            f"max_work = {self.max_work:,}; use the Monte-Carlo P value (simulate=True)"
        )

    def settle(self, j: int, node: IntArray, val: FloatArray, freq: FloatArray) -> Partials:
        """Add the partial tables at stage ``j`` whose every completion counts, drop those
        none of whose completions counts, and return the rest."""
        sure = val + self.f_max[j][node] <= self.threshold
        if sure.any():
            weight = np.exp(self.const + val[sure] + self.log_sum[j][node[sure]])
            self.total.append(float((freq[sure] * weight).sum()))
        keep = ~sure & (val + self.f_min[j][node] <= self.threshold)
        return node[keep], val[keep], freq[keep]


def _build_network(net: _Network, rows: IntArray, cols: IntArray) -> FloatArray:
    """Stages 0 .. n_col - 2 of the node network (the last stage has two columns left); returns
    the number of completions of each last-stage node."""
    n_col = cols.size
    net.stage_nodes.append(rows[None, :])
    for j in range(n_col - 2):
        nodes = net.stage_nodes[j]
        n_edges = float(_allocation_counts(nodes, int(cols[j])).sum())
        if n_edges > min(net.max_work, _MAX_EDGES):
            raise net.too_large(
                f"splits of column {j + 1} (node network limit {_MAX_EDGES:,})", n_edges
            )
        parent, x = _allocations(nodes, int(cols[j]))
        child_rows = np.sort(nodes[parent] - x, axis=1)
        uniq, inv = _unique_rows(child_rows, net.n)
        net.edges.append((parent, inv, -net.lf[x].sum(axis=1)))
        net.stage_nodes.append(uniq)
    last_counts = _allocation_counts(net.stage_nodes[-1], int(cols[n_col - 2]))
    if float(last_counts.sum()) > net.max_work:
        raise net.too_large("completions at the last two columns", float(last_counts.sum()))
    return last_counts


def _bound_paths(net: _Network, cols: IntArray) -> None:
    """Each node's longest and shortest path, backwards from the two-column extremes, and the
    log of the total weight of its completions."""
    n_col, lf = cols.size, net.lf
    f_max = [np.empty(0)] * (n_col - 1)
    f_min = [np.empty(0)] * (n_col - 1)
    f_max[-1], f_min[-1] = _two_column_extremes(net.stage_nodes[-1], int(cols[n_col - 2]), lf)
    for j in range(n_col - 3, -1, -1):
        parent, child, step = net.edges[j]
        starts = np.searchsorted(parent, np.arange(net.stage_nodes[j].shape[0]))
        f_max[j] = np.maximum.reduceat(step + f_max[j + 1][child], starts)
        f_min[j] = np.minimum.reduceat(step + f_min[j + 1][child], starts)
    net.f_max, net.f_min = f_max, f_min
    n_left = np.concatenate([[net.n], net.n - np.cumsum(cols)])
    net.log_sum = [
        lf[n_left[j]] - lf[net.stage_nodes[j]].sum(axis=1) - lf[cols[j:]].sum()
        for j in range(n_col - 1)
    ]


def _expand_stage(net: _Network, j: int, partials: Partials) -> Partials:
    """The partial tables of stage ``j`` extended by every split of column j + 1 (in chunks of
    about ``_CHUNK``), settled at stage j + 1, then merged."""
    e_node, e_val, e_freq = partials
    parent, child, step = net.edges[j]
    m = net.stage_nodes[j].shape[0]
    a_start = np.searchsorted(parent, np.arange(m))
    a_count = np.bincount(parent, minlength=m)
    per_entry = a_count[e_node]
    work = float(per_entry.sum())
    if work > net.max_work:
        raise net.too_large(f"partial tables at column {j + 1}", work)
    cum = np.cumsum(per_entry)
    kept: list[Partials] = []
    lo = 0
    while lo < e_node.size:
        hi = int(np.searchsorted(cum, (cum[lo - 1] if lo else 0) + _CHUNK, side="right"))
        hi = max(hi, lo + 1)
        cnt = per_entry[lo:hi]
        ent = np.repeat(np.arange(lo, hi), cnt)
        within = np.arange(ent.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        alloc = a_start[e_node[ent]] + within
        kept.append(net.settle(j + 1, child[alloc], e_val[ent] + step[alloc], e_freq[ent]))
        lo = hi
    return _merge_partials(
        np.concatenate([k[0] for k in kept]),
        np.concatenate([k[1] for k in kept]),
        np.concatenate([k[2] for k in kept]),
    )


def _merge_partials(new_node: IntArray, new_val: FloatArray, new_freq: FloatArray) -> Partials:
    """Merge partial tables with the same node and (numerically) the same past value."""
    key_val = np.round(new_val * 1e9).astype(np.int64)
    srt = np.lexsort((key_val, new_node))
    new_node, key_val = new_node[srt], key_val[srt]
    new_val, new_freq = new_val[srt], new_freq[srt]
    first = np.ones(srt.size, dtype=bool)
    first[1:] = (new_node[1:] != new_node[:-1]) | (key_val[1:] != key_val[:-1])
    e_freq = np.bincount(np.cumsum(first) - 1, weights=new_freq).astype(np.float64)
    return new_node[first], new_val[first], e_freq


def _fisher_rxc(table: IntArray, *, max_work: int) -> float:
    """Exact r×c Fisher P by network enumeration (see :func:`fisher_test`).

    Rows are the smaller dimension; columns are filled in ascending order of their totals. A
    node at stage j is the sorted vector of row totals left after j columns. First the node
    network is built (every split of each column) and, backwards from the nodes with two
    columns left, the exact largest and smallest completion values of every node (FEXACT's
    longest and shortest paths). Then partial tables (node, past value, frequency) flow forward:
    each is settled as soon as its node's bounds decide it — all completions count (add the
    node's closed-form total probability) or none does (drop) — and the rest are expanded and
    merged. At two columns left the remaining partial tables are summed against the node's
    sorted completion values.
    """
    t = table if table.shape[0] <= table.shape[1] else table.T
    n = int(t.sum())
    lf = _log_factorials(n)
    rows = np.sort(t.sum(axis=1)).astype(np.int64)
    cols = np.sort(t.sum(axis=0)).astype(np.int64)
    n_col = cols.size
    if rows.size > _MAX_ROWS:
        raise EnumerationTooLarge(
            f"Fisher's exact test: exact enumeration is limited to tables with at most "
            f"{_MAX_ROWS} non-empty rows or columns (got {table.shape[0]}×{table.shape[1]}); "
            "use the Monte-Carlo P value (simulate=True)"
        )
    net = _Network(
        shape=(int(table.shape[0]), int(table.shape[1])),
        n=n,
        max_work=max_work,
        lf=lf,
        const=float(lf[rows].sum() + lf[cols].sum() - lf[n]),
        threshold=float(-lf[t].sum() + FEXACT_TOL),
    )
    last_counts = _build_network(net, rows, cols)
    _bound_paths(net, cols)
    partials = net.settle(0, np.zeros(1, dtype=np.int64), np.zeros(1), np.ones(1))
    for j in range(n_col - 2):
        if partials[0].size == 0:
            break
        partials = _expand_stage(net, j, partials)
    e_node, e_val, e_freq = partials
    if e_node.size:
        net.total.append(
            _resolve_last_two(
                net.stage_nodes[-1],
                last_counts,
                e_node,
                e_val,
                e_freq,
                int(cols[n_col - 2]),
                lf,
                net.const,
                net.threshold,
            )
        )
    return float(min(1.0, max(0.0, math.fsum(net.total))))


def _resolve_last_two(
    nodes: IntArray,
    counts: FloatArray,
    e_node: IntArray,
    e_val: FloatArray,
    e_freq: FloatArray,
    c: int,
    lf: FloatArray,
    const: float,
    threshold: float,
) -> float:
    """Sum, over partial tables with two columns left, of the probability of their completions
    with value <= ``threshold`` − past value: per node the completion values are sorted with
    the partial tables' limits (completions first at ties) and prefix sums of the completions'
    weights are read at each limit. Only nodes holding partial tables are enumerated, in
    chunks of about ``_CHUNK`` completions."""
    order = np.argsort(e_node, kind="stable")
    e_node, e_val, e_freq = e_node[order], e_val[order], e_freq[order]
    used = np.unique(e_node)
    sub = nodes[used]
    sub_counts = counts[used]
    e_sub = np.searchsorted(used, e_node)
    bounds = np.searchsorted(e_sub, np.arange(used.size + 1))
    total = 0.0
    for lo, hi in _node_chunks(sub_counts):
        a, b = bounds[lo], bounds[hi]
        block = sub[lo:hi]
        parent, values = _two_column_values(block, c, lf)
        starts = np.searchsorted(parent, np.arange(hi - lo))
        shift = np.maximum.reduceat(values, starts)
        weight = np.exp(values - shift[parent])
        en = e_sub[a:b] - lo
        limit = threshold - e_val[a:b]
        key_node = np.concatenate([parent, en])
        key_val = np.concatenate([values, limit])
        kind = np.concatenate([np.zeros(parent.size, np.int8), np.ones(en.size, np.int8)])
        srt = np.lexsort((kind, key_val, key_node))
        w_sorted = np.concatenate([weight, np.zeros(en.size)])[srt]
        cum = np.cumsum(w_sorted)
        node_sorted = key_node[srt]
        first = np.searchsorted(node_sorted, np.arange(hi - lo), side="left")
        before = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)
        pos = np.flatnonzero(kind[srt] == 1)
        ent = srt[pos] - parent.size
        below = cum[pos] - before[node_sorted[pos]]
        nd = en[ent]
        total += float(
            (e_freq[a:b][ent] * np.exp(const + e_val[a:b][ent] + shift[nd]) * below).sum()
        )
    return total


def _fisher_monte_carlo(table: IntArray, b: int, seed: int | None) -> tuple[float, int]:
    """R's ``fisher.test(simulate.p.value = TRUE)``: (1 + hits) / (b + 1)."""
    n = int(table.sum())
    r, c = table.shape
    lf = _log_factorials(n)
    stat = -lf[table].sum()
    row_labels = np.repeat(np.arange(r), table.sum(axis=1))
    col_of = np.repeat(np.arange(c), table.sum(axis=0))
    rng = np.random.default_rng(seed)
    chunk = max(1, 2_000_000 // max(n, 1))
    sims: list[FloatArray] = []
    for start in range(0, b, chunk):
        size = min(chunk, b - start)
        perm = rng.permuted(np.tile(row_labels, (size, 1)), axis=1)
        cell = perm * c + col_of + (np.arange(size) * (r * c))[:, None]
        counts = np.bincount(cell.ravel(), minlength=size * r * c).reshape(size, r * c)
        sims.append(-lf[counts].sum(axis=1))
    almost_one = 1 + 64 * np.finfo(float).eps
    hits = int((np.concatenate(sims) <= stat / almost_one).sum())
    return (1 + hits) / (b + 1), hits
