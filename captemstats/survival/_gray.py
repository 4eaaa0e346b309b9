"""Score and variance of Gray's (1988) K-sample test of cumulative incidence curves.

The algorithm of Gray's Fortran ``crst`` in R's ``cmprsk`` (the routine behind
``cuminc(...)$Tests``), with the loop over failure times replaced by cumulative sums and
products over the distinct event times (arrays of shape times x groups x groups): the score
of the first K - 1 groups, ``sum_t w(t) (d_1k(t) - d_1(t) R_k(t) / sum_r R_r(t))`` with
``R_k = n_k (1 - F_1k(t-)) / S_k(t-)``, and its variance from the martingale representation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

    F64 = npt.NDArray[np.float64]


def _prev(x: F64) -> F64:
    """The previous row (zeros before the first): a left-continuous value."""
    return np.concatenate((np.zeros((1, *x.shape[1:])), x[:-1]), axis=0)


def _weighted_gram(big: F64, w: F64) -> F64:
    """``sum_e sum_k big[e, i, k] big[e, j, k] w[e, k]`` by one matrix product."""
    m = big.transpose(0, 2, 1).reshape(-1, big.shape[1])  # (e k, i)
    return m.T @ (m * w.reshape(-1, 1))


def gray_layout(
    time: F64,
    cause: npt.NDArray[np.intp],
    group: npt.NDArray[np.intp],
    n_groups: int,
    n_causes: int,
) -> tuple[F64, F64]:
    """The counts Gray's test reads, shared by every cause: events ``(T, K, C)`` by group and
    cause index (``cause`` 0 censored, 1..C a cause) and the numbers at risk ``(T, K)``, at
    the T distinct times with an event of any cause (one sort for all causes, as ``cuminc``
    tests every cause in one call)."""
    ng, nc = n_groups, n_causes + 1
    uniq, inv = np.unique(time, return_inverse=True)
    cnt = (
        np.bincount((inv * ng + group) * nc + cause, minlength=len(uniq) * ng * nc)
        .reshape(len(uniq), ng, nc)
        .astype(float)
    )
    rs_all = np.cumsum(cnt.sum(axis=2)[::-1], axis=0)[::-1]
    events = cnt[:, :, 1:]
    keep = events.sum(axis=(1, 2)) > 0  # event times only
    return events[keep], rs_all[keep]


def gray_score_of(d1: F64, d2: F64, rs: F64, rho: float) -> tuple[F64, F64]:
    """Score and variance from the counts of :func:`gray_layout`: ``d1`` the events of the
    cause of interest, ``d2`` those of the other causes, ``rs`` at risk (each ``(T, K)``).

    Only the first K - 1 groups' rows of the ``(T, K, K)`` arrays enter the score and its
    variance, so those arrays are ``(T, K - 1, K)``.
    """
    ng = d1.shape[1]
    nd1 = d1.sum(axis=1)
    live = rs > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(live, (rs - d1 - d2) / rs, 1.0)
        skm = np.cumprod(factor, axis=0)
        skmm = np.concatenate((np.ones((1, ng)), skm[:-1]), axis=0)
        f1 = np.cumsum(np.where(live, skmm * d1 / rs, 0.0), axis=0)
        f1m = _prev(f1)
        t1 = np.where(live, rs / skmm, 0.0)
        tr = t1.sum(axis=1)
        tq = np.where(live, rs * (1 - f1m) / skmm, 0.0).sum(axis=1)
        f = np.cumsum(nd1 / tr)
        fm = np.concatenate(([0.0], f[:-1]))
        fb = (1 - fm) ** rho
        eye = np.eye(ng)[: ng - 1]
        t1k = t1[:, : ng - 1, None]
        a = fb[:, None, None] * (t1k * eye[None] - t1k * t1[:, None, :] / tr[:, None, None])
        inc = np.where(nd1 > 0, nd1 / (tr * (1 - fm)), 0.0)
        c = np.cumsum(a * inc[:, None, None], axis=0)
        score_t = np.where(live, d1 - nd1[:, None] * rs * (1 - f1m) / (skmm * tq[:, None]), 0.0)
        score = (fb[:, None] * score_t).sum(axis=0)[: ng - 1]
        # failures from the cause of interest
        on1 = (nd1[:, None] > 0) & live
        t4 = np.where(skm > 0, 1 - (1 - f[:, None]) / skm, 1.0)
        t5 = np.where(nd1[:, None] > 1, 1 - (nd1[:, None] - 1) / (tr[:, None] * skmm - 1), 1.0)
        t3 = np.where(on1, t5 * skmm * nd1[:, None] / (tr[:, None] * rs), 0.0)
        r1 = nd1 > 0  # only these times contribute
        big = a[r1] - t4[r1, None, :] * c[r1]
        v3 = (t4 * t4 * t3).sum(axis=0)
        v2 = np.einsum("eik,ek->ik", big, (t4 * t3)[r1])
        v = _weighted_gram(big, t3[r1])
        # failures from the other causes
        on2 = (skm > 0) & (d2 > 0)
        t4 = np.where(on2, (1 - f[:, None]) / skm, 0.0)
        t5 = np.where(d2 > 1, 1 - (d2 - 1) / (rs - 1), 1.0)
        t3 = np.where(on2, t5 * skmm**2 * d2 / rs**2, 0.0)
        r2 = on2.any(axis=1)
        big = t4[r2, None, :] * c[r2]
        v3 = v3 + (t4 * t4 * t3).sum(axis=0)
        v2 = v2 - np.einsum("eik,ek->ik", big, (t4 * t3)[r2])
        v = v + _weighted_gram(big, t3[r2])
    cend = c[-1] if len(c) else np.zeros((ng - 1, ng))
    v = v + (cend * v3) @ cend.T + cend @ v2.T + v2 @ cend.T
    return score, v
