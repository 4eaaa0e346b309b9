"""Aalen–Johansen estimate of competing-risks cumulative incidence and its two variances.

One group at a time, all subjects entering at time 0 (right-censored data), one row per
distinct time — censoring-only times included, as R ``survfit``'s multi-state ``time``.
Everything is a cumulative sum over the distinct times; there is no loop over subjects.

* ``"ij"`` — the infinitesimal-jackknife variance R ``survival::survfit`` reports for
  multi-state curves (``std.err``): the sum over subjects of the squared derivative of the
  estimate with respect to the subject's case weight. The per-subject derivatives depend on
  the subject only through its time and status, so their squares are summed in closed form
  (see :func:`_ij_variance`).
* ``"aalen"`` — the delta-method (Aalen 1978) variance of ``cmprsk::cuminc`` (Gray's Fortran
  ``cinc``), which changes only at event times of the cause; for the event-free state it is
  Greenwood's.

:func:`cause_states` codes the status as the states and :func:`group_curves` runs the estimate
for each group, for :func:`captemstats.survival.competing.cumulative_incidence`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from captemstats.errors import AnalysisError

if TYPE_CHECKING:
    import numpy.typing as npt

    F64 = npt.NDArray[np.float64]


def probability_limits(
    p: npt.NDArray[np.float64], se: npt.NDArray[np.float64], conf_type: str, conf_level: float
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Pointwise limits of a probability from its standard error, as R's
    ``survival:::survfit_confint(p, se, logse = FALSE, conf.type)`` (NaN for R's NA)."""
    from captemstats.survival._dist import norm_ppf

    z = float(norm_ppf(1 - (1 - conf_level) / 2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        rel = np.where(se == 0, 0.0, se / p)  # se on the log scale
        xx = np.where(p == 0, np.nan, p)
        if conf_type == "plain":
            half = rel * p * z
            return np.maximum(p - half, 0.0), np.minimum(p + half, 1.0)
        if conf_type == "log":
            return np.exp(np.log(xx) - z * rel), np.minimum(np.exp(np.log(xx) + z * rel), 1.0)
        if conf_type == "log-log":
            xx = np.where(p == 1, np.nan, xx)
            s2 = z * rel / np.log(xx)
            return np.exp(-np.exp(np.log(-np.log(xx)) - s2)), np.exp(
                -np.exp(np.log(-np.log(xx)) + s2)
            )
        if conf_type == "logit":
            s2 = z * rel * (1 + xx / (1 - xx))
            lg = np.log(p / (1 - p))
            return 1 - 1 / (1 + np.exp(lg - s2)), 1 - 1 / (1 + np.exp(lg + s2))
        if conf_type == "arcsin":
            s2 = 0.5 * z * rel * np.sqrt(xx / (1 - xx))
            root = np.arcsin(np.sqrt(xx))
            return np.sin(np.maximum(0.0, root - s2)) ** 2, np.sin(
                np.minimum(np.pi / 2, root + s2)
            ) ** 2
    raise AnalysisError(f"conf_type {conf_type!r} is not one of log, plain, log-log, logit, arcsin")


@dataclass(frozen=True, slots=True)
class Curve:
    """Cumulative incidence of each cause in one group (cause along the first axis)."""

    time: F64
    n_risk: F64
    n_event: F64  # (K, T)
    n_censor: F64
    estimate: F64  # (K, T)
    std_error: F64  # (K, T)
    survival: F64  # event-free probability, the R "(s0)" state
    survival_se: F64


def aeq_times(time: F64) -> F64:
    """R's ``survival::aeqSurv`` (survfit's ``timefix = TRUE``): distinct times closer than
    ``sqrt(eps)`` (absolutely, or relative to the mean of the distinct times) are one time,
    the smallest of the run."""
    tol = float(np.sqrt(np.finfo(float).eps))
    y = np.unique(time)
    if len(y) < 2:
        return time
    dy = np.diff(y)
    tied = (dy <= tol) | (dy / np.mean(np.abs(y)) <= tol)
    if not tied.any():
        return time
    cuts = y[np.concatenate(([True], ~tied))]
    # only the values merged into an earlier one change: look each time up among those few
    # in a hash table (a search of every time in all the cuts took 0.27 s at 10^6 times, of
    # which 0.7 % were merged, one in the merged values 0.12 s, the hash table 0.04 s)
    import pandas as pd

    merged = y[1:][tied]
    into = cuts[np.searchsorted(cuts, merged, side="right") - 1]
    at = pd.Index(merged).get_indexer(pd.Index(time + 0.0))  # + 0.0: -0.0 is 0.0
    hit = at >= 0
    out = time.copy()
    out[hit] = into[at[hit]]
    return out


def _prev(x: F64, first: float) -> F64:
    return np.concatenate(([first], x[:-1]))


def _ij_variance(n: F64, counts: F64, dk: F64, s_prev: F64, surv: F64, cif: F64) -> tuple[F64, F64]:
    """Infinitesimal-jackknife variances of the incidences (K, T) and of S (T).

    With ``a(l) = d(l)/n(l)`` and Greenwood's ``G(j) = sum_{l<=j} d/(n(n-d))``, the derivative
    of S(t_j) for a subject whose time is t_m (event indicator e) is ``S(t_j) G(j)`` while
    j < m and ``-S(t_j) r`` from m on, ``r = e/(n_m - d_m) - G(m)``. For the incidence F_k:
    ``B_k(j) - C_k(j)`` while j < m (the same for everyone still at risk), and
    ``B_k(m) - C_k(m) + S(t_{m-1}) e_k / n_m + r (F_k(m) - F_k(j))`` from m on, with
    ``B_k = cumsum(S(t-) h_k G(t-))``, ``C_k = cumsum(S(t-) h_k / n)``, ``h_k = d_k / n``.
    The subjects with one time share one value per status, so the squares are summed per time
    (censored, and each cause) and accumulated.
    """
    d = dk.sum(axis=0)
    n_after = n - counts
    dead = n == d  # everyone still at risk has the event: nothing after this time
    with np.errstate(divide="ignore", invalid="ignore"):
        g_term = np.where(d > 0, d / (n * (n - d)), 0.0)
        g = np.cumsum(np.where(dead, 0.0, g_term))
        r_event = np.where(dead, 0.0, 1.0 / (n - d) - g)
    r_cens = -g
    g_prev = _prev(g, 0.0)
    hk = dk / n
    b = np.cumsum(s_prev * hk * g_prev, axis=1)
    c = np.cumsum(s_prev * hk / n, axis=1)
    bc = b - c
    cens = counts - d
    # per time: sum over subjects of alpha^2, alpha*beta, beta^2 for each cause k, where the
    # subject's value is alpha + beta * F_k(j) (beta = -r)
    k_count = dk.shape[0]
    sa2 = np.empty_like(dk)
    sab = np.empty_like(dk)
    for k in range(k_count):  # loop over causes (a handful), not subjects
        a_cens = bc[k] + r_cens * cif[k]
        a2 = cens * a_cens**2
        ab = cens * a_cens * (-r_cens)
        for kk in range(k_count):
            jump = np.where(kk == k, s_prev / n, 0.0)
            a_ev = bc[k] + jump + r_event * cif[k]
            a2 = a2 + dk[kk] * a_ev**2
            ab = ab + dk[kk] * a_ev * (-r_event)
        sa2[k] = np.cumsum(a2)
        sab[k] = np.cumsum(ab)
    sb2 = np.cumsum(cens * r_cens**2 + d * r_event**2)
    var = n_after * bc**2 + sa2 + 2 * cif * sab + cif**2 * sb2
    var_s = surv**2 * (n_after * g**2 + sb2)
    return np.maximum(var, 0.0), np.maximum(var_s, 0.0)


def _aalen_variance(n: F64, dk: F64, s_prev: F64, surv: F64, cif: F64) -> F64:
    """``cmprsk``'s delta-method variance of each incidence (Gray's ``cinc``), as a step
    function that changes at the event times of its cause."""
    d = dk.sum(axis=0)
    out = np.empty_like(dk)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv_s = np.where(surv > 0, 1.0 / surv, 0.0)
        for k in range(dk.shape[0]):
            d1 = dk[k]
            d2 = d - d1
            f = cif[k]
            # other causes (only while S > 0)
            t5 = np.where(d2 > 1, 1 - (d2 - 1) / (n - 1), 1.0)
            t6 = np.where((d2 > 0) & (surv > 0), s_prev**2 * t5 * d2 / n**2, 0.0)
            t3, t4 = inv_s, f * inv_s
            v1, v2, v3 = t4 * t4 * t6, t3 * t4 * t6, t3 * t3 * t6
            # the cause itself
            t5 = np.where(d1 > 1, 1 - (d1 - 1) / (n - 1), 1.0)
            t6 = np.where(d1 > 0, s_prev**2 * t5 * d1 / n**2, 0.0)
            t4 = 1 + inv_s * f
            v1 = np.cumsum(v1 + t4 * t4 * t6)
            v2 = np.cumsum(v2 + inv_s * t4 * t6)
            v3 = np.cumsum(v3 + inv_s * inv_s * t6)
            v = v1 + f * f * v3 - 2 * f * v2
            # carried forward from the last event time of the cause (0 before the first)
            last = np.maximum.accumulate(np.where(d1 > 0, np.arange(len(n)), -1))
            out[k] = np.where(last >= 0, v[np.maximum(last, 0)], 0.0)
    # a rounding-level negative value (R prints -1e-16 once S reaches 0) is 0
    return np.maximum(out, 0.0)


def aalen_johansen(time: F64, status: npt.NDArray[np.intp], n_causes: int, variance: str) -> Curve:
    """The curve of one group; ``status`` is 0 (censored) or the cause index 1..n_causes."""
    uniq, inv = np.unique(time, return_inverse=True)
    t_len = len(uniq)
    counts = np.bincount(inv, minlength=t_len).astype(float)
    flat = np.bincount(inv * (n_causes + 1) + status, minlength=t_len * (n_causes + 1))
    by_status = flat.reshape(t_len, n_causes + 1).T.astype(float)
    dk = by_status[1:]
    d = dk.sum(axis=0)
    n = np.cumsum(counts[::-1])[::-1]
    surv = np.cumprod(1.0 - d / n)
    s_prev = _prev(surv, 1.0)
    cif = np.cumsum(s_prev * dk / n, axis=1)
    if variance == "ij":
        var, var_s = _ij_variance(n, counts, dk, s_prev, surv, cif)
    else:
        var = _aalen_variance(n, dk, s_prev, surv, cif)
        with np.errstate(divide="ignore", invalid="ignore"):
            gw = np.cumsum(np.where(d > 0, d / (n * (n - d)), 0.0))
            var_s = np.where(surv > 0, surv**2 * gw, 0.0)
    return Curve(
        time=uniq,
        n_risk=n,
        n_event=dk,
        n_censor=by_status[0],
        estimate=cif,
        std_error=np.sqrt(var),
        survival=surv,
        survival_se=np.sqrt(var_s),
    )


def cause_states(
    st: npt.NDArray[np.int64], codes: npt.NDArray[np.intp], causes: Sequence[int] | None
) -> tuple[list[str], npt.NDArray[np.intp]]:
    """The reported causes as text (R's state names) and each row's state: 0 censored, k the
    k-th cause, as survfit's ``factor(status)`` with the causes as its levels."""
    present = sorted({int(v) for v in np.unique(st[codes >= 0]) if v > 0})
    cause_codes = sorted({int(c) for c in causes}) if causes is not None else present
    if any(c <= 0 for c in cause_codes):
        raise AnalysisError(f"causes {cause_codes} must be codes >= 1 (0 is censoring)")
    missing = sorted(set(present) - set(cause_codes))
    if missing:
        raise AnalysisError(f"status codes {missing} occur but are not among causes")
    if not cause_codes:
        cause_codes = [1]
    lut = np.zeros(max(cause_codes) + 1, dtype=np.intp)
    lut[cause_codes] = np.arange(1, len(cause_codes) + 1)
    idx = lut[np.minimum(st, len(lut) - 1)]
    return [str(c) for c in cause_codes], idx


def group_curves(
    t: npt.NDArray[np.float64],
    idx: npt.NDArray[np.intp],
    labels: list[str],
    codes: npt.NDArray[np.intp],
    names: list[str],
    variance: str,
) -> tuple[dict[str, Curve], dict[str, int], dict[str, dict[str, int]]]:
    """The Aalen–Johansen curves of each group with rows, and its n and events per cause."""
    curves: dict[str, Curve] = {}
    n: dict[str, int] = {}
    nev: dict[str, dict[str, int]] = {}
    for k, g in enumerate(labels):
        sel = codes == k
        if not sel.any():
            continue
        curves[g] = aalen_johansen(t[sel], idx[sel], len(names), variance)
        n[g] = int(sel.sum())
        nev[g] = {c: int(curves[g].n_event[i].sum()) for i, c in enumerate(names)}
    return curves, n, nev
