"""R's ``coxfit6`` Newton–Raphson for :func:`captemstats.survival.cox.cox_ph`, and the fit's
concordance (R's ``concordance`` of a ``coxph`` fit).

Kept apart from :mod:`captemstats.survival.cox` so that the fitting module stays short; it is
re-exported there. From beta = 0 with step halving, converged when
|1 − loglik_old/loglik_new| <= ``EPS``, at most ``ITER_MAX`` iterations, on the vectorised
Efron engine in :mod:`captemstats.survival._efron`. The sorted layout (order, centred
covariates, tie groups) is built once by the caller and reused by every step; each step
evaluates exp(x beta) once and derives loglik, score and information from it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.survival import _efron
from captemstats.survival._alias import chol_solve

if TYPE_CHECKING:
    import numpy.typing as npt

EPS = 1e-9
ITER_MAX = 20


def newton_raphson(
    lay: _efron.Layout, p: int, *, eps: float = EPS, iter_max: int = ITER_MAX
) -> tuple[npt.NDArray[np.float64], _efron.Eval, float, npt.NDArray[np.float64], int, bool]:
    """R's ``coxfit6`` iteration. Returns beta, the evaluation at beta, the null loglik,
    the score at beta = 0, the iteration count and whether it converged."""
    beta = np.zeros(p)
    # R's coxfit6/agfit4 (survival >= 3.0) bound every Newton update: |beta_j| <= 200 /
    # max_i |x_ij - mean_j| (its "maxbeta", computed on the scaled, centred covariates and
    # the same bound in the original units), so near-collinear covariates cannot send
    # exp(x beta) past overflow before step halving brings them back
    # max |x_ij| as max(max x, -min x): the same number without an n × p |x| copy
    spread = np.maximum(lay.x.max(axis=0), -lay.x.min(axis=0)) if lay.x.size else np.ones(p)
    maxbeta = 200.0 / np.where(spread > 0, spread, 1.0)
    ev = _efron.evaluate(lay, beta)
    # keep only the p-vectors of beta = 0 (not its per-death means) for the score test
    loglik0, u0, step0 = ev.loglik, ev.score, _solve(ev.imat, ev.score)
    loglik_old = loglik0
    newbeta = beta + step0
    halving = False
    it = 0
    converged = False
    for it in range(1, iter_max + 1):
        del ev  # the previous step's per-death arrays are not needed while evaluating
        ev = _efron.evaluate(lay, newbeta)
        if abs(1 - loglik_old / ev.loglik) <= eps and not halving:
            converged = True
            break
        if it == iter_max:
            break
        if ev.loglik < loglik_old:  # not converging: halve the step (coxfit6)
            halving = True
            newbeta = (newbeta + beta) / 2
        else:
            halving = False
            loglik_old = ev.loglik
            beta = newbeta
            newbeta = np.clip(newbeta + _solve(ev.imat, ev.score), -maxbeta, maxbeta)
    if p == 0:
        converged = True
    return newbeta, ev, loglik0, np.concatenate([u0, step0]), it, converged


def _solve(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The Newton step as ``coxfit6`` takes it: ``cholesky2``/``chsolve2`` with
    ``toler.chol``, so a coefficient whose information is (numerically) 0 does not move
    instead of the fit failing — R fits and warns that it may be infinite."""
    return chol_solve(a, b)


def concordance_counts(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    lp: npt.NDArray[np.float64],
    strata: npt.NDArray[np.intp],
    weights: npt.NDArray[np.float64] | None = None,
    entry: npt.NDArray[np.float64] | None = None,
) -> dict[str, float]:
    """Harrell's concordance counts as R's ``concordance`` for a coxph fit (reverse=TRUE):
    a death at t is compared with every subject of its stratum still at risk after it (time
    > t, or censored at t); pairs tied on the linear predictor are ``tied.x``, deaths at the
    same time with different linear predictors ``tied.y`` (R leaves pairs tied on both out of
    all four counts). O(n log n) by a bitwise stable-partition count (no Python loop over
    subjects). With case weights a pair (i, j) counts w_i w_j (:func:`_weighted_counts`).
    With (start, stop] rows (``entry``) a death at t is compared only with the rows at risk
    at t: those starting at or after t are taken off (:func:`_not_yet_at_risk`)."""
    if entry is not None:
        w = np.ones(len(time)) if weights is None else weights
        cc = _weighted_counts(time, event, lp, strata, w)
        gone, smaller, equal = _not_yet_at_risk(time, event, lp, strata, entry, w)
        cc["concordant"] -= smaller
        cc["tied.x"] -= equal
        cc["discordant"] -= gone - smaller - equal
        return cc
    if weights is not None:
        return _weighted_counts(time, event, lp, strata, weights)
    n = len(time)
    _, rank = np.unique(lp, return_inverse=True)
    nr = int(rank.max()) + 1 if n else 1
    key = strata.astype(np.int64) * nr + rank.astype(np.int64)
    del rank
    order = _concordance_order(time, event, strata, rank_of_lp=key - strata * nr, nr=nr)
    k = key[order]
    del key
    e = event[order]
    dmask = e == 1
    conc = float(_count_later_smaller(k)[dmask].sum())  # first, while few n-arrays are held
    t, s = time[order], strata[order]
    del order
    # slot: a tie group of deaths (or of censorings) at equal time and stratum
    newslot = np.ones(n, dtype=bool)
    newslot[1:] = (t[1:] != t[:-1]) | (s[1:] != s[:-1]) | (e[1:] != e[:-1])
    tx = float(_later_same_key(k, newslot)[dmask].sum())
    slot = np.cumsum(newslot) - 1
    slot_last = _run_last(newslot)
    snew = np.ones(n, dtype=bool)
    snew[1:] = s[1:] != s[:-1]
    comparable = _run_last(snew)[dmask] - slot_last[dmask]
    kd = k[dmask]
    disc = float(comparable.sum()) - conc - tx
    dcount = np.bincount(slot[dmask])
    # R counts a pair of deaths at the same time as tied.y only when their linear predictors
    # differ (equal ones are tied.xy); deaths are sorted by key within each time slot
    ds = slot[dmask]
    newpair = np.ones(len(kd), dtype=bool)
    newpair[1:] = (ds[1:] != ds[:-1]) | (kd[1:] != kd[:-1])
    xy = np.diff(np.append(np.flatnonzero(newpair), len(kd)))
    tied_xy = float((xy * (xy - 1) / 2).sum())
    tied_y = float((dcount * (dcount - 1) / 2).sum()) - tied_xy
    return {"concordant": conc, "discordant": disc, "tied.x": tx, "tied.y": tied_y}


def _weighted_counts(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    lp: npt.NDArray[np.float64],
    strata: npt.NDArray[np.intp],
    weights: npt.NDArray[np.float64],
) -> dict[str, float]:
    """:func:`concordance_counts` with a pair (i, j) weighted w_i w_j, as R's ``concordance``
    with case weights: the same order and comparisons, sums of weights instead of counts."""
    n = len(time)
    _, rank = np.unique(lp, return_inverse=True)
    nr = int(rank.max()) + 1 if n else 1
    key = strata.astype(np.int64) * nr + rank.astype(np.int64)
    order = _concordance_order(time, event, strata, rank_of_lp=key - strata * nr, nr=nr)
    k, e, w = key[order], event[order], np.asarray(weights, dtype=np.float64)[order]
    t, s = time[order], strata[order]
    dmask = e == 1
    wd = w[dmask]
    conc = float((wd * _count_later_smaller(k, w)[dmask]).sum())
    newslot = np.ones(n, dtype=bool)
    newslot[1:] = (t[1:] != t[:-1]) | (s[1:] != s[:-1]) | (e[1:] != e[:-1])
    snew = np.ones(n, dtype=bool)
    snew[1:] = s[1:] != s[:-1]
    cw = np.concatenate(([0.0], np.cumsum(w)))
    slot_last, stratum_last = _run_last(newslot), _run_last(snew)
    comparable = float((wd * (cw[stratum_last + 1] - cw[slot_last + 1])[dmask]).sum())
    # tied.x: later rows beyond the slot with the same key, by (key, position) order
    srt = np.lexsort((np.arange(n), k))
    ks, ws = k[srt], w[srt]
    key_last = _run_last(np.concatenate(([True], ks[1:] != ks[:-1])))
    cws = np.concatenate(([0.0], np.cumsum(ws)))
    pos = np.empty(n, dtype=np.intp)
    pos[srt] = np.arange(n)
    later_same = cws[key_last[pos] + 1] - cws[pos + 1]
    run = newslot.copy()
    run[1:] |= k[1:] != k[:-1]
    in_slot_after = cw[_run_last(run) + 1] - cw[np.arange(n) + 1]
    tx = float((wd * (later_same - in_slot_after)[dmask]).sum())
    # tied.y: pairs of deaths in one slot with different keys
    slot = (np.cumsum(newslot) - 1)[dmask]
    kd = k[dmask]
    pair = np.ones(len(kd), dtype=bool)
    pair[1:] = (slot[1:] != slot[:-1]) | (kd[1:] != kd[:-1])

    def pairs(starts: npt.NDArray[np.bool_]) -> float:
        grp = np.cumsum(starts) - 1
        tot = np.bincount(grp, weights=wd)
        sq = np.bincount(grp, weights=wd * wd)
        return float(((tot * tot - sq) / 2).sum())

    slot_start = np.ones(len(kd), dtype=bool)
    slot_start[1:] = slot[1:] != slot[:-1]
    tied_y = pairs(slot_start) - pairs(pair)
    return {
        "concordant": conc,
        "discordant": comparable - conc - tx,
        "tied.x": tx,
        "tied.y": tied_y,
    }


def _not_yet_at_risk(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    lp: npt.NDArray[np.float64],
    strata: npt.NDArray[np.intp],
    entry: npt.NDArray[np.float64],
    w: npt.NDArray[np.float64],
) -> tuple[float, float, float]:
    """Over every death i (weighted w_i), the weight of the rows of its stratum that start at
    or after its time t_i — in total, with a smaller linear predictor, with an equal one. One
    sequence holds each death as a query (weight 0) just before the rows starting at its time,
    sorted by (stratum, time); a weighted "later and smaller key" count at the queries gives
    the sums, with keys doubled so that one pass counts "smaller" and another "not larger"."""
    n = len(time)
    _, rank = np.unique(lp, return_inverse=True)
    nr = int(rank.max()) + 1 if n else 1
    key = strata.astype(np.int64) * nr + rank.astype(np.int64)
    d = np.flatnonzero(event == 1)
    value = np.concatenate((time[d], entry))
    kind = np.concatenate((np.zeros(len(d)), np.ones(n)))  # queries before starts at a tie
    stratum = np.concatenate((strata[d], strata))
    order = np.lexsort((kind, value, stratum))
    is_query = (kind == 0)[order]
    weight = np.concatenate((np.zeros(len(d)), w))[order]
    k2 = 2 * np.concatenate((key[d], key))[order]
    smaller = _count_later_smaller(k2, weight)[is_query]
    not_larger = _count_later_smaller(k2 + is_query, weight)[is_query]
    # the total weight after each query within its stratum
    st = stratum[order]
    cw = np.concatenate(([0.0], np.cumsum(weight)))
    snew = np.concatenate(([True], st[1:] != st[:-1]))
    after = (cw[_run_last(snew) + 1] - cw[1:])[is_query]
    wd = w[d][order[is_query]]  # each sorted query's death weight
    return (
        float((wd * after).sum()),
        float((wd * smaller).sum()),
        float((wd * (not_larger - smaller)).sum()),
    )


def _concordance_order(
    time: Any, event: Any, strata: Any, rank_of_lp: Any, nr: int
) -> npt.NDArray[np.intp]:
    """Rows by (stratum, time, deaths first, linear predictor): one sort of a single integer
    code when it fits in int64, else ``lexsort``. Rows equal on all four may come in any
    order: they are interchangeable in every count."""
    n = len(time)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    _, trank = np.unique(time, return_inverse=True)
    s0 = strata - strata.min()
    if (int(s0.max()) + 1) * (int(trank.max()) + 1) * 2 * nr >= 2**63:
        return np.lexsort((rank_of_lp, 1 - event, time, strata))
    code = s0.astype(np.int64)  # built in place: one n-vector, not a temporary per step
    code *= int(trank.max()) + 1
    code += trank.reshape(-1)
    code *= 2
    code += event != 1
    code *= nr
    code += rank_of_lp
    return np.argsort(code)


def _later_same_key(k: npt.NDArray[np.int64], newslot: npt.NDArray[np.bool_]) -> Any:
    """Per position i, #{j beyond i's time slot : k_j = k_i} (the ``tied.x`` pairs of a death).

    All later rows with the key, from the rank of (k_i, i) in the sort of (key, position),
    minus those later in the slot itself: within a slot rows are sorted by key, so these are
    the rest of i's run of equal (slot, key)."""
    n = len(k)
    if n == 0:
        return np.zeros(0, dtype=np.intp)
    srt = np.sort(k * (n + 1) + np.arange(n))  # (key, position) pairs in order
    rank = np.empty(n, dtype=np.intp)
    rank[srt % (n + 1)] = np.arange(n)
    ks = srt // (n + 1)
    later_all = _run_last(np.concatenate(([True], ks[1:] != ks[:-1])))[rank] - rank
    run = newslot.copy()
    run[1:] |= k[1:] != k[:-1]
    return later_all - (_run_last(run) - np.arange(n))


def _run_last(starts: npt.NDArray[np.bool_]) -> npt.NDArray[np.intp]:
    """Per position, the last position of its run (runs begin where ``starts`` is True)."""
    first = np.flatnonzero(starts)
    last = np.append(first[1:] - 1, len(starts) - 1)
    out: npt.NDArray[np.intp] = last[np.cumsum(starts) - 1]
    return out


def _count_later_smaller(
    v: npt.NDArray[np.int64], w: npt.NDArray[np.float64] | None = None
) -> npt.NDArray[np.float64]:
    """For each position i, #{j > i : v_j < v_i} (or Σ w_j over those j, with weights ``w``),
    by most-significant-bit-first stable partitions: the first differing bit decides the
    comparison, so at each level a 1-bit element counts the 0-bit elements after it within
    its prefix group. Values (or their dense ranks) and positions are int32 when they fit:
    half the memory per level."""
    n = len(v)
    counts = np.zeros(n)
    if n == 0:
        return counts
    small = n < 2**31 - 1
    it = np.dtype(np.int32 if small else np.int64)
    if v.min() >= 0 and v.max() < (2**31 - 1 if small else 2**63 - 1):  # fits as is
        cur: npt.NDArray[Any] = v.astype(it)
    else:  # dense ranks: the same order in fewer bits
        cur = np.unique(v, return_inverse=True)[1].reshape(-1).astype(it)
    idx: npt.NDArray[Any] = np.arange(n, dtype=it)
    slot: npt.NDArray[Any] = np.arange(n, dtype=it)
    gstart: npt.NDArray[Any] = np.zeros(n, dtype=it)
    gend: npt.NDArray[Any] = np.full(n, n, dtype=it)
    cz: npt.NDArray[Any] = np.zeros(n + 1, dtype=it)  # cz[j] = zeros before slot j
    cw = np.zeros(n + 1) if w is not None else cz  # the weight of those zeros
    wcur = None if w is None else np.asarray(w, dtype=np.float64).copy()
    for b in range(int(cur.max()).bit_length() - 1, -1, -1):
        zero = ((cur >> b) & 1) == 0
        np.cumsum(zero, out=cz[1:])
        if wcur is not None:
            np.cumsum(np.where(zero, wcur, 0.0), out=cw[1:])
        zeros_before_group = cz[gstart]
        zeros_in_group = cz[gend] - zeros_before_group
        ones = ~zero
        counts[idx[ones]] += (cw[gend] - cw[1:])[ones]  # zeros after the slot in its group
        zeros_before = cz[:-1] - zeros_before_group  # zeros before the slot in its group
        split = gstart + zeros_in_group
        newpos = np.where(zero, gstart + zeros_before, split + (slot - gstart - zeros_before))
        new_gend = np.where(zero, split, gend)
        new_gstart = np.where(zero, gstart, split)
        cur, idx = _moved(cur, newpos), _moved(idx, newpos)
        if wcur is not None:
            wcur = _moved(wcur, newpos)
        gstart, gend = _moved(new_gstart, newpos), _moved(new_gend, newpos)
    return counts


def _moved(a: npt.NDArray[Any], newpos: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``a`` with element i put at position ``newpos[i]`` (a permutation)."""
    out = np.empty_like(a)
    out[newpos] = a
    return out
