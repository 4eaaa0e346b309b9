"""Vectorised Cox partial-likelihood engine (Efron or Breslow ties) over sorted risk sets.

Every quantity is a cumulative sum over subjects sorted by (stratum, time), so one evaluation
costs O(n p^2) with no per-event-time Python loop. For tied event times Efron's approximation
(Efron 1977) splits the d deaths into d sub-steps k = 0..d-1 whose risk set weights the dying
subjects by 1 - k/d, exactly as R's ``coxfit6`` C routine. The information matrix uses
sum_t sum_k S2_k / S0_k = X' diag(c) X with c_i = exp(eta_i) (A(T_i) - delta_i B(T_i)), A and B
being running sums of 1/S0_k and (k/d)/S0_k, which avoids storing p x p sums per time.

Memory: an evaluation holds O(n) vectors, the per-death means x̄_k (deaths × p, kept for
residuals and ``cox_zph``) and blocks of about ``_BLOCK`` numbers, never an n × p × p (nor an
n × p r·x) array: S1 from r·x built by blocks of whole tie groups (each group still summed in
row order by one ``reduceat``: the same bits), X' diag(c) X by blocks of rows. The sort, tie
groups, blocks and centred covariates are built once per fit (:class:`Layout`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt


@dataclass(frozen=True, slots=True)
class Layout:
    """Subjects sorted by (stratum, time) and the tie-group bookkeeping, fixed across beta."""

    order: npt.NDArray[np.intp]
    time: npt.NDArray[np.float64]
    event: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]  # sorted and centred
    strata: npt.NDArray[np.intp]
    gid: npt.NDArray[np.intp]  # tie group (stratum, time) of each row
    g_first: npt.NDArray[np.intp]  # first row of each tie group
    g_stratum_last: npt.NDArray[np.intp]  # last tie group of each group's stratum
    g_stratum_first: npt.NDArray[np.intp]  # first tie group of each group's stratum
    deaths: npt.NDArray[np.intp]  # rows with an event
    dg: npt.NDArray[np.intp]  # tie group of each death
    frac: npt.NDArray[np.float64]  # k/d of each death's Efron sub-step (0 for Breslow)
    n_groups: int
    xd_sum: npt.NDArray[np.float64]  # sum of the (centred) covariates of the deaths
    d_run: npt.NDArray[np.intp]  # first death of each tie group with deaths
    blocks: npt.NDArray[np.intp]  # first tie group of each row block, then n_groups
    # case weights (sorted) and, per death, the mean weight of its tie group's deaths (R's
    # ``meanwt`` of coxfit6); None when unweighted, where every formula uses weight 1
    w: npt.NDArray[np.float64] | None = None
    dwt: npt.NDArray[np.float64] | None = None
    # counting-process (start, stop] data (None: every subject at risk from time 0): rows by
    # (stratum, start), per tie group the range of those rows of its stratum that start at
    # or after its time (not yet at risk), and per row the last tie group of its stratum at
    # or before its start (events it was not at risk for); see :func:`entry_layout`
    e_order: npt.NDArray[np.intp] | None = None
    g_elo: npt.NDArray[np.intp] | None = None
    g_ehi: npt.NDArray[np.intp] | None = None
    entry_g: npt.NDArray[np.intp] | None = None


#: numbers per row block of the Gram products (16 MiB of float64)
_BLOCK = 2**21


@dataclass(frozen=True, eq=False)
class FitData:
    """What a fitted Cox model keeps for its residual-based methods (``cox_zph``): the risk-set
    layout, the data it was fitted on and which model columns were estimable."""

    layout: Layout
    time: npt.NDArray[np.float64]
    event: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    strata: npt.NDArray[np.intp]
    ties: str
    estimable: npt.NDArray[np.bool_]  # model columns kept in the fit (others aliased)
    weights: npt.NDArray[np.float64] | None = None  # case weights in data order
    entry: npt.NDArray[np.float64] | None = None  # start times of (start, stop] rows


def make_layout(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    strata: npt.NDArray[np.intp],
    ties: str,
    weights: npt.NDArray[np.float64] | None = None,
    entry: npt.NDArray[np.float64] | None = None,
) -> Layout:
    """The sorted layout of a Cox fit; with ``weights`` (case weights, R's ``coxph(weights =
    )``) each subject's risk and death count w_i times, and each Efron sub-step of a tie group
    carries the mean weight of its deaths, as R's ``coxfit6``. With ``entry`` (start times of
    (start, stop] rows, R's ``Surv(start, stop, event)``) a row is at risk at an event time t
    only when start < t <= stop (R's ``agfit4``)."""
    # one stratum: a stable sort on time is the same permutation as the two-key lexsort
    one = len(strata) == 0 or strata.min() == strata.max()
    order = np.argsort(time, kind="stable") if one else np.lexsort((time, strata))
    t, e, s = time[order], event[order], strata[order]
    xs = x[order]
    xs -= xs.mean(axis=0)  # centring changes nothing but rounding (R centres too)
    n = len(t)
    flag = np.ones(n, dtype=bool)
    flag[1:] = (s[1:] != s[:-1]) | (t[1:] != t[:-1])
    gid = np.cumsum(flag) - 1
    g_first = np.flatnonzero(flag)
    ng = len(g_first)
    gs = s[g_first]
    sflag = np.ones(ng, dtype=bool)
    sflag[1:] = gs[1:] != gs[:-1]
    s_first = np.flatnonzero(sflag)
    s_id = np.cumsum(sflag) - 1
    s_last = np.append(s_first[1:] - 1, ng - 1)
    deaths = np.flatnonzero(e == 1)
    dg = gid[deaths]
    d_count = np.bincount(dg, minlength=ng)
    run = np.concatenate(([True], dg[1:] != dg[:-1])) if len(dg) else np.ones(0, bool)
    d_run = np.flatnonzero(run)
    if ties == "efron":  # k = rank of the death within its tie group (deaths form runs)
        k = np.arange(len(deaths)) - d_run[np.cumsum(run) - 1]
        frac = k / d_count[dg]
    else:
        frac = np.zeros(len(deaths))
    w = dwt = None
    xd_sum = xs[deaths].sum(axis=0)
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64)[order]
        dwt = (np.bincount(dg, weights=w[deaths], minlength=ng) / np.maximum(d_count, 1))[dg]
        xd_sum = (w[deaths, None] * xs[deaths]).sum(axis=0)
    counting = {} if entry is None else entry_layout(t, s, g_first, gid, entry[order])
    return Layout(
        order=order,
        time=t,
        event=e,
        x=xs,
        strata=s,
        gid=gid,
        g_first=g_first,
        g_stratum_last=s_last[s_id],
        g_stratum_first=s_first[s_id],
        deaths=deaths,
        dg=dg,
        frac=frac,
        n_groups=ng,
        xd_sum=xd_sum,
        d_run=d_run,
        blocks=_row_blocks(gid, ng, max(1, _BLOCK // max(xs.shape[1], 1))),
        w=w,
        dwt=dwt,
        **counting,
    )


def entry_layout(
    t: npt.NDArray[np.float64],
    s: npt.NDArray[np.intp],
    g_first: npt.NDArray[np.intp],
    gid: npt.NDArray[np.intp],
    entry: npt.NDArray[np.float64],
) -> dict[str, npt.NDArray[np.intp]]:
    """The bookkeeping of (start, stop] rows, all arrays in the layout's (stratum, stop) row
    order: ``e_order`` the rows by (stratum, start); per tie group g, ``g_elo``/``g_ehi`` the
    positions in ``e_order`` of the rows of g's stratum with start >= t_g (at risk only later:
    their sums are taken off the stop-time risk sums); per row, ``entry_g`` the last tie group
    of its stratum with time <= its start (-1 if none), whose cumulative hazard it never had.
    Times are compared through their ranks in the union of stops and starts (exact)."""
    allt = np.unique(np.concatenate((t, entry)))
    m = np.int64(len(allt) + 1)
    skey = s.astype(np.int64) * m
    stop_key = skey + np.searchsorted(allt, t).astype(np.int64)
    entry_key = skey + np.searchsorted(allt, entry).astype(np.int64)
    e_order = np.argsort(entry_key, kind="stable").astype(np.intp)
    ek = entry_key[e_order]
    gkey = stop_key[g_first]
    g_elo = np.searchsorted(ek, gkey, side="left").astype(np.intp)
    g_ehi = np.searchsorted(ek, skey[g_first] + m, side="left").astype(np.intp)
    last = np.searchsorted(gkey, entry_key, side="right").astype(np.intp) - 1
    same = (last >= 0) & (s[g_first[np.maximum(last, 0)]] == s)
    del gid
    return {
        "e_order": e_order,
        "g_elo": g_elo,
        "g_ehi": g_ehi,
        "entry_g": np.where(same, last, -1).astype(np.intp),
    }


def _late(lay: Layout, v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64] | None:
    """Per tie group, the sum of ``v`` (per row, 1-D or rows × p) over the rows of its stratum
    that start at or after its time (None without (start, stop] data)."""
    if lay.e_order is None or lay.g_elo is None or lay.g_ehi is None:
        return None
    cs = np.cumsum(v[lay.e_order], axis=0)
    pad = np.concatenate((np.zeros((1, *cs.shape[1:])), cs), axis=0)
    out: npt.NDArray[np.float64] = pad[lay.g_ehi] - pad[lay.g_elo]
    return out


def _at_entry(lay: Layout, cum: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Per row, a within-stratum cumulative (per tie group) value at the row's start: 0 when
    no tie group of its stratum lies at or before it."""
    assert lay.entry_g is not None
    pad = np.concatenate((np.zeros((1, *cum.shape[1:])), cum), axis=0)
    out: npt.NDArray[np.float64] = pad[lay.entry_g + 1]
    return out


def _row_blocks(gid: npt.NDArray[np.intp], ng: int, step: int) -> npt.NDArray[np.intp]:
    """Blocks of about ``step`` rows cut at tie-group boundaries (a block starts with the
    group holding row 0, step, 2·step, ...), as group indices followed by ``ng``."""
    if len(gid) == 0:
        return np.zeros(1, dtype=np.intp)
    starts = np.unique(gid[::step])
    out: npt.NDArray[np.intp] = np.append(starts, ng).astype(np.intp)
    return out


def _suffix_within(lay: Layout, v: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Sum over tie groups at or after each group within its stratum (risk-set sums)."""
    cs = np.cumsum(v[::-1], axis=0)[::-1]
    pad = np.concatenate((cs, np.zeros((1, *cs.shape[1:]))), axis=0)
    out: npt.NDArray[np.float64] = cs - pad[lay.g_stratum_last + 1]
    return out


def _prefix_within(lay: Layout, v: npt.NDArray[Any]) -> npt.NDArray[np.float64]:
    """Sum over tie groups at or before each group within its stratum."""
    cs = np.cumsum(v, axis=0)
    pad = np.concatenate((np.zeros((1, *cs.shape[1:])), cs), axis=0)
    out: npt.NDArray[np.float64] = cs - pad[lay.g_stratum_first]
    return out


@dataclass(frozen=True, slots=True)
class Eval:
    """Partial likelihood, score, information and the per-death sub-step quantities."""

    loglik: float
    score: npt.NDArray[np.float64]
    imat: npt.NDArray[np.float64]
    r: npt.NDArray[np.float64]
    s0k: npt.NDArray[np.float64]
    xbar: npt.NDArray[np.float64]


def evaluate(lay: Layout, beta: npt.NDArray[np.float64], *, info: bool = True) -> Eval:
    """Log partial likelihood, score and information at ``beta`` (Efron or Breslow), as one
    pass of R's ``coxfit6``. S0 and S1 are sums over tie groups accumulated from the end of
    each stratum; Efron's sub-step k removes the fraction k/d of the dying subjects' weight.
    exp(x beta) is computed once and shared by the score, the information and the caller."""
    x = lay.x
    eta = x @ beta
    r = np.exp(eta)
    dths, dg, frac = lay.deaths, lay.dg, lay.frac
    ng = lay.n_groups
    p = x.shape[1]
    if lay.w is not None:
        r *= lay.w  # the weighted risk w_i exp(eta_i) enters every sum below
    s0 = _suffix_within(lay, np.add.reduceat(r, lay.g_first))
    late = _late(lay, r)
    if late is not None:  # (start, stop]: those starting at or after t are not at risk at t
        s0 -= late
    dr = np.bincount(dg, weights=r[dths], minlength=ng)
    s0k = s0[dg] - frac * dr[dg]
    if lay.w is None or lay.dwt is None:
        loglik = float(eta[dths].sum() - np.log(s0k).sum())
    else:
        loglik = float((lay.w[dths] * eta[dths]).sum() - (lay.dwt * np.log(s0k)).sum())
    del eta
    s1g, drx = _weighted_group_sums(lay, r)
    s1 = _suffix_within(lay, s1g)
    if lay.e_order is not None:
        late1 = _late(lay, r[:, None] * x)
        assert late1 is not None
        s1 -= late1
    xbar = np.empty((len(dths), p))
    step = max(1, _BLOCK // max(p, 1))
    for a in range(0, len(dths), step):  # x̄_k = S1_k / S0_k by blocks of deaths
        sl = slice(a, a + step)
        g = dg[sl]
        xbar[sl] = (s1[g] - frac[sl, None] * drx[g]) / s0k[sl, None]
    if lay.dwt is None:
        score = lay.xd_sum - xbar.sum(axis=0)
    else:
        score = lay.xd_sum - (lay.dwt[:, None] * xbar).sum(axis=0)
    imat = information(lay, r, s0k, xbar, weights=lay.dwt) if info else np.empty((p, p))
    return Eval(loglik, score, imat, r, s0k, xbar)


def _weighted_group_sums(
    lay: Layout, r: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per tie group, Σ r·x over its rows and over its deaths, from r·x built one block of
    whole tie groups at a time (``Layout.blocks``): each group is summed in row order by one
    ``reduceat``, exactly as on the full n × p product, which is never stored."""
    x, dths, dg, d_run = lay.x, lay.deaths, lay.dg, lay.d_run
    p = x.shape[1]
    s1g = np.empty((lay.n_groups, p))
    drx = np.zeros((lay.n_groups, p))
    bounds = np.append(lay.g_first, len(r))  # first row of each group, then n
    dlo = np.searchsorted(dths, bounds[lay.blocks])  # first death of each block
    rlo = np.searchsorted(d_run, dlo)  # first run of deaths of each block
    for k in range(len(lay.blocks) - 1):
        ga, gb = lay.blocks[k], lay.blocks[k + 1]
        lo, hi = bounds[ga], bounds[gb]
        rxb = r[lo:hi, None] * x[lo:hi]
        s1g[ga:gb] = np.add.reduceat(rxb, lay.g_first[ga:gb] - lo, axis=0)
        da, db = dlo[k], dlo[k + 1]
        if db > da:  # deaths are in sorted order: their tie groups form runs
            runs = d_run[rlo[k] : rlo[k + 1]]
            drx[dg[runs]] = np.add.reduceat(rxb[dths[da:db] - lo], runs - da, axis=0)
    return s1g, drx


def _gram(a: npt.NDArray[np.float64], w: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """a' diag(w) a, by blocks of rows so that the weighted copy of ``a`` is at most
    ``_BLOCK`` numbers (one block, hence the plain product, for up to 2^21 / p rows)."""
    n, p = a.shape
    step = max(1, _BLOCK // max(p, 1))
    if n <= step:
        whole: npt.NDArray[np.float64] = (a * w[:, None]).T @ a
        return whole
    out = np.zeros((p, p))
    for lo in range(0, n, step):
        ab = a[lo : lo + step]
        out += (ab * w[lo : lo + step, None]).T @ ab
    return out


def information(
    lay: Layout,
    r: npt.NDArray[np.float64],
    s0k: npt.NDArray[np.float64],
    xbar: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """Σ_t w_t Σ_k (S2_k/S0_k − x̄_k x̄_k') with per-death weights w (default 1).

    Σ_k S2_k/S0_k is X' diag(c) X with c_i = r_i (A(T_i) − δ_i B(T_i)) (module docstring), so
    only the p × p result and row blocks are stored; ``cox_zph`` calls this with w = g(t) and
    g(t)² for the blocks of its information (R's ``zph1``)."""
    w = np.ones(len(s0k)) if weights is None else weights
    ng = lay.n_groups
    a = np.bincount(lay.dg, weights=w / s0k, minlength=ng)
    b = np.bincount(lay.dg, weights=w * lay.frac / s0k, minlength=ng)
    # c = r (A - δ B), in place: fewer n-vectors at once, the same bits
    c: npt.NDArray[np.float64] = np.asarray(b, dtype=np.float64)[lay.gid]
    c *= lay.event
    a_cum = _prefix_within(lay, a)
    c = a_cum[lay.gid] - c
    if lay.entry_g is not None:  # only the events after the row's start
        c -= _at_entry(lay, a_cum)
    c *= r
    return _gram(lay.x, c) - _gram(xbar, w)


def score_residuals(lay: Layout, ev: Eval) -> npt.NDArray[np.float64]:
    """Efron/Breslow score residuals in sorted order (R ``residuals(fit, "score")``):
    r_i = δ_i (x_i − mean_k x̄_k) − e^{η_i} Σ_{t ≤ T_i} Σ_k w_ik m_t (x_i − x̄_k(t)) / S0_k(t),
    with w_ik = 1 − k/d for the subject's own death time and 1 otherwise, and m_t the mean
    case weight of the deaths at t (1 unweighted). Unweighted per subject, as R's; the
    sandwich multiplies them by the case weights (``residuals(fit, weighted = TRUE)``)."""
    ng = lay.n_groups
    x, dg, frac, s0k, xbar = lay.x, lay.dg, lay.frac, ev.s0k, ev.xbar
    p = x.shape[1]
    # the hazard increment per sub-step is m_t / S0_k; unweighted the division by S0_k is
    # kept as it is (the same bits as before weights existed)
    den = s0k if lay.dwt is None else s0k / lay.dwt
    a = np.bincount(dg, weights=1 / den, minlength=ng)
    b = np.bincount(dg, weights=frac / den, minlength=ng)
    gsum = np.empty((ng, p))
    gb = np.empty((ng, p))
    xbar_sum = np.empty((ng, p))
    for j in range(p):
        gsum[:, j] = np.bincount(dg, weights=xbar[:, j] / den, minlength=ng)
        gb[:, j] = np.bincount(dg, weights=frac * xbar[:, j] / den, minlength=ng)
        xbar_sum[:, j] = np.bincount(dg, weights=xbar[:, j], minlength=ng)
    d_count = np.bincount(dg, minlength=ng).astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar_mean = np.where(d_count[:, None] > 0, xbar_sum / d_count[:, None], 0.0)
    gcum = _prefix_within(lay, gsum)
    e, gid, r = lay.event, lay.gid, ev.r
    if lay.w is not None:
        r = r / lay.w  # exp(eta): the residual of one subject, before its case weight
    a_cum = _prefix_within(lay, a)
    ab = a_cum[gid] - e * b[gid]
    counting = lay.entry_g is not None
    if counting:  # (start, stop]: the events before the start do not count
        ab -= _at_entry(lay, a_cum)
    out = np.empty_like(x)
    for j in range(p):  # one covariate at a time: O(n) temporaries, not several n × p ones
        xj = x[:, j]
        gj = gcum[:, j][gid]
        if counting:
            gj -= _at_entry(lay, gcum[:, j])
        risk = r * (xj * ab - (gj - e * gb[:, j][gid]))
        out[:, j] = e * (xj - xbar_mean[:, j][gid]) - risk
    return out
