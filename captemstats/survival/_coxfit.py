"""R's ``coxfit6`` Newton–Raphson for :func:`captemstats.survival.cox.cox_ph`.

Kept apart from :mod:`captemstats.survival.cox` so that the fitting module stays short; it is
re-exported there. From beta = 0 with step halving, converged when
|1 − loglik_old/loglik_new| <= ``EPS``, at most ``ITER_MAX`` iterations, on the vectorised
Efron engine in :mod:`captemstats.survival._efron`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
    spread = np.abs(lay.x).max(axis=0) if lay.x.size else np.ones(p)
    maxbeta = 200.0 / np.where(spread > 0, spread, 1.0)
    ev0 = _efron.evaluate(lay, beta)
    loglik_old = ev0.loglik
    u0 = ev0.score
    newbeta = beta + _solve(ev0.imat, ev0.score)
    halving = False
    ev = ev0
    it = 0
    converged = False
    for it in range(1, iter_max + 1):
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
    return newbeta, ev, ev0.loglik, np.concatenate([u0, _solve(ev0.imat, u0)]), it, converged


def _solve(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """The Newton step as ``coxfit6`` takes it: ``cholesky2``/``chsolve2`` with
    ``toler.chol``, so a coefficient whose information is (numerically) 0 does not move
    instead of the fit failing — R fits and warns that it may be infinite."""
    return chol_solve(a, b)
