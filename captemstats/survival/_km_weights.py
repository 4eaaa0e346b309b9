"""The variance of a case-weighted Kaplan–Meier curve, as R's ``survfit(weights = )``.

R uses Greenwood's formula on the weighted counts when every weight is an integer (a weight
of k is then k copies of the row) and, by default, the infinitesimal-jackknife (robust)
variance when a weight is not an integer (``survfit(robust = TRUE)``): each subject's
influence on log S(t), weighted by its case weight, squared and summed. Kept apart from
:mod:`captemstats.survival.km` so that the estimator's module stays short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

__all__ = ["ij_se_log"]


def ij_se_log(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64],
    uniq: npt.NDArray[np.float64],
    d: npt.NDArray[np.float64],
    n: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """Infinitesimal-jackknife standard error of log S(t) at each distinct time.

    Method: log S(t) = Σ_{s ≤ t} log(1 − d_s / n_s) with weighted counts; the derivative with
    respect to subject i's weight is A_i(t) = Σ_{s ≤ t} (d_s Y_i(s) − n_s dN_i(s)) /
    (n_s (n_s − d_s)), i.e. H(t) while i is at risk beyond t and, from its own time T_i on,
    the constant c_i = H(T_i) − δ_i / (n_{T_i} − d_{T_i}) (H the cumulative sum of
    d/(n(n − d))). The variance is Σ_i (w_i A_i(t))², accumulated over the distinct times
    with one ``bincount`` and two cumulative sums (no n × times matrix).

    Parameters
    ----------
    time, event, weights
        Per subject: time, 0/1 event, case weight.
    uniq, d, n
        Per distinct time (sorted): the time, the weighted events and the weighted number at
        risk.

    Returns
    -------
    numpy.ndarray
        se(log S(t)) per distinct time; infinite once the curve has reached 0.

    Example
    -------
    >>> t = np.array([1.0, 2.0, 3.0]); e = np.array([1.0, 0.0, 1.0]); w = np.ones(3)
    >>> ij_se_log(t, e, w, t, np.array([1.0, 0.0, 1.0]), np.array([3.0, 2.0, 1.0]))[:2].round(4)
    array([0.4082, 0.4082])
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(d > 0, d / (n * (n - d)), 0.0)
        big_h = np.cumsum(h)
        own = np.where(d > 0, 1.0 / (n - d), 0.0)  # the death's own jump, 1 / (n − d)
    k = np.searchsorted(uniq, time)  # each subject's distinct-time index
    with np.errstate(invalid="ignore"):  # inf - inf once everyone at risk has died
        c = big_h[k] - event * own[k]
    w2 = weights * weights
    m = len(uniq)
    # Σ over subjects whose time is <= t_k of w² c², and Σ over those beyond t_k of w²
    done = np.cumsum(np.bincount(k, weights=w2 * c * c, minlength=m))
    beyond = w2.sum() - np.cumsum(np.bincount(k, weights=w2, minlength=m))
    with np.errstate(invalid="ignore", over="ignore"):
        var = big_h * big_h * beyond + done
        out: npt.NDArray[np.float64] = np.sqrt(var)
    return np.where(np.isfinite(big_h), out, np.inf)
