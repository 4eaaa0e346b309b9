"""The cluster-robust (sandwich) variance of a Cox fit and its robust score test, as R's
``coxph(cluster = )`` or ``coxph(robust = TRUE)``.

Kept apart from :mod:`captemstats.survival.cox` so that the fitting module stays short.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from captemstats.survival import _efron
from captemstats.survival._alias import wtest

if TYPE_CHECKING:
    import numpy.typing as npt


def _sum_by_cluster(
    cl: npt.NDArray[np.intp], values: npt.NDArray[np.float64], p: int
) -> npt.NDArray[np.float64]:
    """Per-subject rows summed within each cluster (R's ``rowsum(resid, cluster)``)."""
    out = np.empty((int(cl.max()) + 1, p))
    for j in range(p):
        out[:, j] = np.bincount(cl, weights=values[:, j])
    return out


def robust_variance(
    lay: _efron.Layout,
    ev: _efron.Eval,
    naive_var: npt.NDArray[np.float64],
    cl: npt.NDArray[np.intp],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], float]:
    """R's robust variance: the grouped sandwich D'D of dfbeta residuals (times the case
    weights, R's ``residuals(fit, "dfbeta", weighted = TRUE)``) summed by cluster
    (``fit$var``; each subject its own cluster when ``cl`` is 0..n-1, as ``robust = TRUE``
    without a cluster), its standard errors and the robust score statistic (``fit$rscore``).

    Parameters
    ----------
    lay, ev
        The fit's layout and its evaluation at the estimate.
    naive_var
        The model-based variance (inverse information).
    cl
        Cluster code of each row, in the layout's sorted order.

    Returns
    -------
    tuple
        The robust variance, its standard errors and the robust score chi-square.

    Example
    -------
    >>> t, e = np.array([1.0, 2, 3, 4, 5, 6]), np.array([1.0, 1, 0, 1, 1, 0])
    >>> x = np.array([[0.0], [1], [0], [1], [0], [1]])
    >>> lay = _efron.make_layout(t, e, x, np.zeros(6, dtype=np.intp), "efron")
    >>> ev = _efron.evaluate(lay, np.zeros(1))
    >>> var, se, rscore = robust_variance(lay, ev, np.linalg.inv(ev.imat), np.arange(6))
    >>> var.shape, bool(rscore >= 0)
    ((1, 1), True)
    """
    p = naive_var.shape[0]
    dfbeta = _efron.score_residuals(lay, ev) @ naive_var
    if lay.w is not None:
        dfbeta *= lay.w[:, None]
    dsum = _sum_by_cluster(cl, dfbeta, p)
    var = np.asarray(dsum.T @ dsum, dtype=np.float64)
    robust_se = np.sqrt(np.diag(var))
    # robust score test (R's fit$rscore): score residuals at beta = 0 summed by cluster
    res0 = _efron.score_residuals(lay, _efron.evaluate(lay, np.zeros(p), info=False))
    if lay.w is not None:
        res0 *= lay.w[:, None]
    ssum = _sum_by_cluster(cl, res0, p)
    usum = ssum.sum(axis=0)
    return var, robust_se, wtest(ssum.T @ ssum, usum)
