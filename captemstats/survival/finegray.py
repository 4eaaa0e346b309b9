"""Fine–Gray subdistribution-hazard regression equal to R ``cmprsk::crr`` (time-fixed
covariates, one censoring group).

The partial likelihood of Fine & Gray (1999): at each failure time of the cause, the risk set
holds everyone still under observation plus, with weight ``G(t-) / G(t_j-)`` (``G`` the
Kaplan–Meier estimate of the censoring distribution), those who failed from another cause
before. Estimation replays ``crr``'s Newton–Raphson with step halving (``gtol``, ``maxiter``,
starting at 0) so that the estimate is crr's iterate; the variance is crr's sandwich
``H^-1 V H^-1`` whose V includes the effect of estimating ``G`` (the ``psi`` terms of Gray's
``crrvv``). Sums over risk sets are cumulative sums over the distinct times: no loop over
patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival._inputs import as_status, as_time

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    F64 = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, repr=False)
class FineGrayResult(Displayed):
    """Coefficients (log subdistribution hazard ratios), standard errors, Wald z and
    two-sided P, as ``summary(crr(...))``."""

    terms: list[str]
    coef: tuple[float, ...]
    std_error: tuple[float, ...]
    z: tuple[float, ...]
    p_value: tuple[float, ...]
    loglik: float
    converged: bool
    iterations: int
    n: int
    cause: int
    method: MethodInfo

    def _headline(self) -> str:
        return f"cause {self.cause}, {count_words(len(self.terms), 'term')}, n = {self.n}"

    def summary(self) -> pd.DataFrame:
        """Per term: coefficient, subdistribution HR, SE and P (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """One row per term: term, coef, shr (exp(coef)), std_error, z, p_value."""
        import pandas as pd

        return pd.DataFrame(
            {
                "term": self.terms,
                "coef": self.coef,
                "shr": np.exp(self.coef),
                "std_error": self.std_error,
                "z": self.z,
                "p_value": self.p_value,
            }
        )


@dataclass(frozen=True, slots=True)
class _Data:
    x: F64  # (n, p), sorted by time
    inv: npt.NDArray[np.intp]  # distinct-time index of each row
    starts: npt.NDArray[np.intp]  # first row of each distinct time (rows sorted by time)
    k: int  # number of distinct times
    fail: npt.NDArray[np.bool_]  # the cause of interest
    other: npt.NDArray[np.bool_]  # another cause
    cens: npt.NDArray[np.bool_]
    g_row: F64  # G(t_i-) of each row
    g_time: F64  # G(u-) at each distinct time
    n_risk: F64  # at each distinct time


def _by_time(values: F64, d: _Data) -> F64:
    """Sum rows (any trailing shape; sorted by time) into the distinct times."""
    return np.add.reduceat(values, d.starts, axis=0)


def _sums(d: _Data, b: F64) -> tuple[F64, F64, F64, F64, F64]:
    """S0, S1 of the weighted risk set at each distinct time, C0, C1 (the other-cause sums
    before it, divided by G), and the rows' exp(x b)."""
    e = np.exp(d.x @ b)
    ex = e[:, None] * d.x
    r0 = np.cumsum(_by_time(e, d)[::-1], axis=0)[::-1]
    r1 = np.cumsum(_by_time(ex, d)[::-1], axis=0)[::-1]
    w = np.where(d.other, 1.0 / d.g_row, 0.0)

    def before(v: F64) -> F64:  # strictly earlier distinct times
        c = np.cumsum(_by_time(v, d), axis=0)
        return np.concatenate((np.zeros((1, *c.shape[1:])), c[:-1]), axis=0)

    c0 = before(w * e)
    c1 = before(w[:, None] * ex)
    s0 = r0 + d.g_time * c0
    s1 = r1 + d.g_time[:, None] * c1
    return s0, s1, c0, c1, e


def _lik(d: _Data, b: F64) -> float:
    """crr's objective: minus the log partial likelihood (Breslow ties)."""
    e = np.exp(d.x @ b)
    r0 = np.cumsum(_by_time(e, d)[::-1])[::-1]
    c = np.cumsum(_by_time(np.where(d.other, e / d.g_row, 0.0), d))
    s0 = r0 + d.g_time * np.concatenate(([0.0], c[:-1]))
    d1 = _by_time(d.fail.astype(float), d)
    on = d1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return -float((d.x[d.fail] @ b).sum()) + float((d1[on] * np.log(s0[on])).sum())


def _lik_score_info(d: _Data, b: F64) -> tuple[float, F64, F64]:
    """crr's objective, its gradient and Hessian. The risk-set second moments enter only as
    ``sum_t d(t) S2(t) / S0(t)``, a weighted cross-product of the rows (no n x p x p array):
    row i counts with ``e_i (A(t_i) + [other cause] B(t_i) / G_i)``, A the cumulative sum of
    d/S0 up to t_i and B that of d G / S0 after it."""
    s0, s1, _, _, e = _sums(d, b)
    d1 = _by_time(d.fail.astype(float), d)
    x1 = _by_time(np.where(d.fail[:, None], d.x, 0.0), d)
    on = d1 > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        lik = -float((d.x[d.fail] @ b).sum()) + float((d1[on] * np.log(s0[on])).sum())
        a = np.where(on, d1 / s0, 0.0)
        xbar = np.where(on[:, None], s1 / s0[:, None], 0.0)
    score = -(x1.sum(axis=0) - (d1[:, None] * xbar).sum(axis=0))
    ag = a * d.g_time
    after = np.concatenate((np.cumsum(ag[::-1])[::-1][1:], [0.0]))
    m = d.inv
    wrow = e * (np.cumsum(a)[m] + np.where(d.other, after[m] / d.g_row, 0.0))
    info = (d.x * wrow[:, None]).T @ d.x - (xbar * d1[:, None]).T @ xbar
    return lik, score, info


def _sandwich(d: _Data, b: F64) -> tuple[F64, F64]:
    """Information and the V of crr's sandwich (score residuals eta + psi of Gray's crrvv)."""
    s0, s1, c0, c1, e = _sums(d, b)
    _, _, info = _lik_score_info(d, b)
    d1 = _by_time(d.fail.astype(float), d)
    on = d1 > 0
    xbar = np.where(on[:, None], s1 / np.where(on, s0, 1.0)[:, None], 0.0)
    a0 = np.where(on, d1 / np.where(on, s0, 1.0), 0.0)
    a1 = a0[:, None] * xbar
    b0, b1 = a0 * d.g_time, a1 * d.g_time[:, None]
    ca0, ca1 = np.cumsum(a0), np.cumsum(a1, axis=0)
    rb0 = np.cumsum(b0[::-1])[::-1]  # sum over distinct times >= u
    rb1 = np.cumsum(b1[::-1], axis=0)[::-1]
    nb0 = np.concatenate((rb0[1:], [0.0]))  # > u
    nb1 = np.concatenate((rb1[1:], np.zeros((1, rb1.shape[1]))), axis=0)
    m = d.inv
    x = d.x
    eta = np.where(d.fail[:, None], x - xbar[m], 0.0)
    eta -= e[:, None] * (x * ca0[m][:, None] - ca1[m])
    w2 = np.where(d.other, e / d.g_row, 0.0)
    eta -= w2[:, None] * (x * nb0[m][:, None] - nb1[m])
    q = c1 * rb0[:, None] - c0[:, None] * rb1  # q(u) at each distinct time
    n_cens = _by_time(d.cens.astype(float), d)
    psi_t = -np.cumsum(n_cens[:, None] * q / d.n_risk[:, None] ** 2, axis=0)
    psi = psi_t[m] + np.where(d.cens[:, None], q[m] / d.n_risk[m][:, None], 0.0)
    u = eta + psi
    return info, u.T @ u


def _prepare(time: Any, status: Any, covariates: Any, cause: int) -> tuple[_Data, list[str]]:
    import pandas as pd

    t = as_time(time)
    st = as_status(status, len(t))
    cov = pd.DataFrame(covariates).reset_index(drop=True)
    if len(cov) != len(t):
        raise AnalysisError(f"covariates: {len(cov)} rows, time has {len(t)}")
    names = [str(c) for c in cov.columns]
    x = cov.to_numpy(dtype=float, na_value=np.nan)
    ok = np.isfinite(x).all(axis=1)
    if not ok.any():
        raise AnalysisError("fine_gray: no complete rows")
    order = np.argsort(t[ok], kind="stable")
    t, st, x = t[ok][order], st[ok][order], x[ok][order]
    uniq, starts, inv = np.unique(t, return_index=True, return_inverse=True)
    k = len(uniq)
    cens = st == 0
    counts = np.bincount(inv, minlength=k).astype(float)
    n_risk = np.cumsum(counts[::-1])[::-1]
    c = np.bincount(inv, weights=cens.astype(float), minlength=k)
    gkm = np.cumprod(1.0 - c / n_risk)  # censoring distribution, right-continuous
    g_time = np.concatenate(([1.0], gkm[:-1]))  # G(u-)
    if uniq[0] == 0:  # crr looks G up at t (1 - 100 eps): at t = 0 that is G(0), not G(0-)
        g_time[0] = gkm[0]
    other = (st > 0) & (st != cause)
    data = _Data(x, inv, starts, k, st == cause, other, cens, g_time[inv], g_time, n_risk)
    return data, names


def _newton(d: _Data, gtol: float, maxiter: int) -> tuple[F64, bool, int]:
    """crr's Newton–Raphson from 0 with step halving (its ``gtol`` rule on the scaled score,
    at most ``maxiter`` steps and 20 halvings of one step): the estimate, whether it
    converged and the iteration count."""
    b = np.zeros(d.x.shape[1])
    converged = False
    it = 0
    for it in range(maxiter + 1):
        lik, score, info = _lik_score_info(d, b)
        if np.max(np.abs(score) * np.maximum(np.abs(b), 1)) < max(abs(lik), 1) * gtol:
            converged = True
            break
        if it == maxiter:
            break
        sc = -np.linalg.solve(info, score)
        halvings = 0
        while True:
            bn = b + sc
            fbn = _lik(d, bn)
            if np.isfinite(fbn) and fbn <= lik + 1e-4 * float(sc @ score):
                break
            halvings += 1
            sc = sc * 0.5
            if halvings > 20:
                break
        if halvings > 20:
            break
        b = bn
    return b, converged, it


def _std_error(d: _Data, b: F64) -> F64:
    """Standard errors from crr's sandwich variance ``H^-1 V H^-1``."""
    info, v2 = _sandwich(d, b)
    h = np.linalg.inv(info)
    var = h @ v2 @ h.T
    return np.asarray(np.sqrt(np.diag(var)), dtype=np.float64)


def fine_gray(
    time: npt.ArrayLike,
    status: npt.ArrayLike,
    covariates: pd.DataFrame | npt.ArrayLike,
    *,
    cause: int = 1,
    gtol: float = 1e-6,
    maxiter: int = 10,
) -> FineGrayResult:
    """Fine–Gray regression of the subdistribution hazard of ``cause``.

    Parameters
    ----------
    time, status
        Follow-up times and status (0 = censored, 1, 2, ... = the cause).
    covariates
        A data frame (or 2-D array) of numeric, time-fixed covariates; rows with a missing
        value are excluded (R's ``na.omit``).
    cause
        The cause of interest (crr's ``failcode``).
    gtol, maxiter
        crr's convergence rule and iteration limit.

    Returns
    -------
    FineGrayResult
        Equal to ``summary(cmprsk::crr(time, status, cov1 = covariates, failcode = cause))``.

    References
    ----------
    Fine J. P., Gray R. J. (1999), J. Amer. Statist. Assoc. 94:496-509.

    Examples
    --------
    >>> import pandas as pd
    >>> r = fine_gray([1, 2, 3, 4, 5, 6, 7, 8], [1, 2, 1, 0, 1, 2, 1, 0],
    ...               pd.DataFrame({"x": [0, 1, 0, 1, 1, 0, 1, 0]}))
    >>> r.converged
    True
    """
    from captemstats.survival._dist import norm_sf

    d, names = _prepare(time, status, covariates, cause)
    if not d.fail.any():
        raise AnalysisError(f"fine_gray: no events of cause {cause}")
    b, converged, it = _newton(d, gtol, maxiter)
    se = _std_error(d, b)
    z = b / se
    return FineGrayResult(
        terms=names,
        coef=tuple(float(v) for v in b),
        std_error=tuple(float(v) for v in se),
        z=tuple(float(v) for v in z),
        p_value=tuple(float(v) for v in 2 * norm_sf(np.abs(z))),
        loglik=-_lik(d, b),
        converged=converged,
        iterations=it,
        n=len(d.x),
        cause=cause,
        method=MethodInfo(
            test="Fine–Gray subdistribution hazard regression",
            variance="sandwich with the censoring-distribution term (Fine & Gray 1999)",
            software_equivalent="R cmprsk::crr",
            notes=("Breslow ties", "censoring weights: Kaplan–Meier, one censoring group"),
        ),
    )
