"""Which Cox covariates are estimable, and R's generalised-inverse helpers.

R's ``coxph`` factors the information matrix with ``cholesky2`` (tolerance ``toler.chol`` =
``.Machine$double.eps^0.75``), walking the columns in model order: a column whose pivot is
below the tolerance is *aliased* — its Newton step is zero, its row and column of ``fit$var``
are zero and its coefficient is reported as ``NA`` (``singular.ok = TRUE``). So of two
collinear columns the later one is dropped.

Deciding that from the floating-point information matrix is fragile: a covariate that is
constant among the subjects at risk at every event time has information that is exactly zero
in theory but rounding noise (~1e-17, of either sign) in practice, and a Newton step of
noise/noise then gives an arbitrary coefficient (or a raw ``Singular matrix`` from numpy).
The information at any beta is Σ_t Var_{R(t)}(x) with positive weights, and the risk sets of
a stratum are nested, so a combination a'x has zero information exactly when it is constant
on the risk set of the stratum's first event time. :func:`estimable_columns` therefore
decides on the data, not on the noisy matrix: the columns restricted to those rows, centred
within stratum and scaled to unit length (scale-free, like R's centring and scaling in
``coxfit6``), are projected in model order on the columns kept so far; a column whose
residual sum of squares is below ``toler.chol`` is aliased.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import numpy.typing as npt

#: R's ``coxph.control()$toler.chol``
TOLER_CHOL = float(np.finfo(float).eps) ** 0.75


def informative_rows(
    time: npt.NDArray[np.float64], event: npt.NDArray[np.float64], strata: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Rows at risk at their stratum's first event time (the only rows with information).

    Parameters
    ----------
    time, event, strata
        Per subject: follow-up time, 0/1 event and stratum code.

    Returns
    -------
    numpy.ndarray
        Boolean mask; ``False`` for a stratum without events.

    Example
    -------
    >>> informative_rows(np.array([1.0, 2, 3]), np.array([0.0, 1, 0]), np.zeros(3, int))
    array([False,  True,  True])
    """
    out = np.zeros(len(time), dtype=bool)
    for s in np.unique(strata):
        in_s = strata == s
        dead = in_s & (event == 1)
        if dead.any():
            out |= in_s & (time >= time[dead].min())
    return out


#: Smallest eigenvalue of the columns' correlation (Gram) matrix above which no column can be
#: aliased: far above ``TOLER_CHOL`` so that rounding in the p x p product cannot matter.
FULL_RANK_EIGENVALUE = 1e-8


def _clearly_full_rank(xr: npt.NDArray[np.float64]) -> bool:
    """True when every centred column is non-zero and the smallest eigenvalue of their
    normalised Gram matrix exceeds :data:`FULL_RANK_EIGENVALUE`.

    After normalisation, the squared residual of any column projected on the others is at
    least the smallest eigenvalue of the Gram matrix (1 / (G^-1)_jj >= lambda_min), so every
    column then passes the projection test below: the result is the same, without building a
    projection basis per column (at 10^6 rows that was ~280 MiB and ~1 s). Near-singular
    designs take the exact column-by-column path.
    """
    if xr.shape[1] == 0:
        return False
    raw = xr.T @ xr  # one pass over the rows; its diagonal holds the squared column norms
    norms = np.sqrt(np.diag(raw))
    if not (np.isfinite(norms).all() and (norms > 0.0).all()):
        return False
    gram = raw / np.outer(norms, norms)
    if not np.isfinite(gram).all():
        return False
    return bool(np.linalg.eigvalsh(gram).min() > FULL_RANK_EIGENVALUE)


def _uncentred_gram_full_rank(x: npt.NDArray[np.float64]) -> bool:
    """:func:`_clearly_full_rank` of the centred columns, from the uncentred Gram matrix
    (X'X - n m m', no centred copy of the data), with the cancellation accounted for.

    Subtracting n m m' loses the digits a column's mean takes of its sum of squares: an
    entry of the normalised centred Gram matrix is then off by up to about n ε (summation)
    times that ratio. The shortcut is taken only when the smallest eigenvalue clears
    :data:`FULL_RANK_EIGENVALUE` by that bound times the number of columns; otherwise the
    caller centres a copy and decides as before, so the answer never changes.
    """
    n, p = x.shape
    if p == 0 or n == 0:
        return False
    raw = x.T @ x
    mean = x.mean(axis=0)
    centred = raw - n * np.outer(mean, mean)
    ss = np.diag(centred)
    if not (np.isfinite(raw).all() and np.isfinite(ss).all() and (ss > 0.0).all()):
        return False
    cancel = float((np.diag(raw) / ss).max())
    margin = p * n * np.finfo(np.float64).eps * cancel
    if margin > 1e-3:
        return False
    gram = centred / np.sqrt(np.outer(ss, ss))
    return bool(np.linalg.eigvalsh(gram).min() > FULL_RANK_EIGENVALUE + margin)


def estimable_columns(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    strata: npt.NDArray[np.intp],
) -> npt.NDArray[np.bool_]:
    """The covariate columns R's ``coxph`` estimates (``True``) and those it aliases to NA.

    Parameters
    ----------
    time, event, strata
        Per subject: follow-up time, 0/1 event and stratum code.
    x
        Covariate matrix, one column per model term, in model order.

    Returns
    -------
    numpy.ndarray
        One boolean per column: ``False`` when the column is constant, or a linear
        combination of earlier kept columns, among the subjects at risk at every event time.

    Example
    -------
    >>> t = np.array([1.0, 2, 3, 4]); e = np.ones(4); s = np.zeros(4, int)
    >>> x = np.column_stack([[0.0, 1, 0, 1], [0.0, 2, 0, 2]])  # second = 2 x first
    >>> estimable_columns(t, e, x, s)
    array([ True, False])
    """
    rows = informative_rows(time, event, strata)
    sr = strata[rows]
    levels = np.unique(sr)
    whole = bool(rows.all())
    if levels.size == 1 and whole and _uncentred_gram_full_rank(x):
        return np.ones(x.shape[1], dtype=bool)  # the common case: no copy of the data
    xr = x[rows] if not whole else x.copy()
    if levels.size == 1:
        xr -= xr.mean(axis=0)
    else:
        for s in levels:  # centring within stratum: a stratum-constant column is aliased
            xr[sr == s] -= xr[sr == s].mean(axis=0)
    if _clearly_full_rank(xr):
        return np.ones(x.shape[1], dtype=bool)
    keep = np.zeros(x.shape[1], dtype=bool)
    for j in range(x.shape[1]):
        col = xr[:, j]
        norm = float(np.sqrt(col @ col))
        if norm == 0.0 or not np.isfinite(norm):
            continue
        col = col / norm
        if keep.any():
            basis = xr[:, keep] / np.sqrt((xr[:, keep] ** 2).sum(axis=0))
            coef, *_ = np.linalg.lstsq(basis, col, rcond=None)
            col = col - basis @ coef
        keep[j] = float(col @ col) > TOLER_CHOL
    return keep


def wtest(
    var: npt.NDArray[np.float64], b: npt.NDArray[np.float64], toler: float = TOLER_CHOL
) -> float:
    """b' V⁻ b as R's ``coxph.wtest`` (C ``cholesky2`` + ``chsolve2``).

    An LDL' factorisation that zeroes every pivot below ``toler`` × the largest diagonal and
    gives those components a zero solution, so a singular V (e.g. a cluster-robust variance
    from fewer clusters than covariates) yields R's number where ``numpy.linalg.solve`` would
    fail. Loops run over the p covariates only.

    Parameters
    ----------
    var
        Symmetric p × p (generalised) variance; only its upper triangle is read, as R.
    b
        Vector of length p.
    toler
        Relative pivot tolerance. ``coxph`` passes ``control$toler.chol`` (eps^0.75, about
        1.8e-12) for its Wald and robust score tests; ``coxph.wtest``'s own default of 1e-9
        would drop a covariate whose variance is small only because of its units (a covariate
        rescaled by 1e4 changed the Wald test from 47.9 to 40.9).

    Returns
    -------
    float
        The quadratic form.

    Example
    -------
    >>> wtest(np.array([[4.0, 0], [0, 0]]), np.array([2.0, 5.0]))
    1.0
    """
    return float(np.asarray(b, dtype=np.float64) @ chol_solve(var, b, toler))


def chol_solve(
    var: npt.NDArray[np.float64], b: npt.NDArray[np.float64], toler: float = TOLER_CHOL
) -> npt.NDArray[np.float64]:
    """V⁻ b as R's C ``cholesky2`` + ``chsolve2`` (the Newton step of ``coxfit6`` and the
    solve inside ``coxph.wtest``).

    An LDL' factorisation that zeroes every pivot below ``toler`` × the largest diagonal (or
    not finite) and gives those components a zero solution: where the information vanishes
    (a monotone likelihood, a constant column) that coefficient does not move, as in R, where
    ``numpy.linalg.solve`` would fail. Only the upper triangle of ``var`` is read.

    Parameters
    ----------
    var
        Symmetric p × p matrix.
    b
        Vector of length p.
    toler
        Relative pivot tolerance (R's ``toler.chol``).

    Returns
    -------
    numpy.ndarray
        The solution, 0 for the dropped pivots.

    Example
    -------
    >>> chol_solve(np.array([[4.0, 0], [0, 0]]), np.array([2.0, 5.0])).tolist()
    [0.5, 0.0]
    """
    m = np.triu(np.array(var, dtype=np.float64))
    m = m + np.triu(m, 1).T
    n = len(b)
    diag = np.diag(m)
    top = max([0.0, *[float(v) for v in diag if np.isfinite(v)]])
    eps = toler if top == 0 else top * toler
    for i in range(n):
        pivot = m[i, i]
        if not np.isfinite(pivot) or pivot < eps:
            m[i, i] = 0.0
            continue
        for j in range(i + 1, n):
            temp = m[j, i] / pivot
            m[j, i] = temp
            m[j, j] -= temp * temp * pivot
            m[j + 1 :, j] -= temp * m[j + 1 :, i]
    y = np.array(b, dtype=np.float64)
    for i in range(n):  # L y = b (unit lower triangle)
        y[i] -= float(y[:i] @ m[i, :i])
    for i in range(n - 1, -1, -1):  # D L' z = y, zero for dropped pivots
        y[i] = 0.0 if m[i, i] == 0 else y[i] / m[i, i] - float(y[i + 1 :] @ m[i + 1 :, i])
    return y


def chol_ginverse(
    imat: npt.NDArray[np.float64], toler: float = TOLER_CHOL
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """R's ``cholesky2`` + ``chinv2`` generalised inverse, as ``coxph`` takes the variance.

    Walking the columns in order, a pivot below ``toler`` × the largest diagonal (or not
    finite) is zeroed and its row and column of the inverse are 0; the other columns are
    factored as if the zeroed ones were absent, so their block is the inverse of their
    submatrix. ``coxph`` then reports those coefficients as NA (``which.sing``).

    Parameters
    ----------
    imat
        Symmetric information matrix.
    toler
        Relative pivot tolerance (R's ``toler.chol``).

    Returns
    -------
    tuple of numpy.ndarray
        The generalised inverse and the boolean mask of zeroed pivots.

    Example
    -------
    >>> inv, zeroed = chol_ginverse(np.array([[4.0, 0], [0, 0]]))
    >>> inv.tolist(), zeroed.tolist()
    ([[0.25, 0.0], [0.0, 0.0]], [False, True])
    """
    m = np.array(imat, dtype=np.float64)
    n = m.shape[0]
    diag = np.diag(m)
    top = max([0.0, *[float(v) for v in diag if np.isfinite(v)]])
    eps = toler if top == 0 else top * toler
    zeroed = np.zeros(n, dtype=bool)
    for i in range(n):  # Schur complements in column order, skipping zeroed pivots
        kept = np.flatnonzero(~zeroed[:i])
        pivot = m[i, i]
        if len(kept):
            sub = m[np.ix_(kept, kept)]
            pivot = m[i, i] - m[i, kept] @ np.linalg.solve(sub, m[kept, i])
        zeroed[i] = not np.isfinite(pivot) or pivot < eps
    out = np.zeros((n, n))
    keep = ~zeroed
    if keep.any():
        out[np.ix_(keep, keep)] = np.linalg.inv(m[np.ix_(keep, keep)])
    return out, zeroed


def varies_in_risk_set(
    x: npt.NDArray[np.float64], strata: npt.NDArray[np.intp], start: npt.NDArray[np.intp]
) -> npt.NDArray[np.bool_]:
    """Per death and column: does the column vary within the death's risk set?

    The rows must be sorted by (stratum, time), as in
    :class:`~captemstats.survival._efron.Layout`, so the risk set of a death is every row of its
    stratum from the first row of its tie group on. Exact (min ≠ max), hence the same for x
    and for any a·x + b with a ≠ 0.

    Parameters
    ----------
    x
        Sorted covariates, one column per term.
    strata
        Sorted stratum codes.
    start
        Per death, the first row of its tie group (``lay.g_first[lay.dg]``).

    Returns
    -------
    numpy.ndarray
        Boolean array deaths × columns.

    Example
    -------
    >>> s = np.zeros(3, int)
    >>> varies_in_risk_set(np.array([[0.0], [1], [1]]), s, np.array([0, 1]))
    array([[ True],
           [False]])
    """
    lo = np.empty_like(x)
    hi = np.empty_like(x)
    firsts = np.flatnonzero(np.concatenate(([True], strata[1:] != strata[:-1])))
    for a, b in zip(firsts, np.append(firsts[1:], len(x)), strict=True):
        lo[a:b] = np.minimum.accumulate(x[a:b][::-1], axis=0)[::-1]  # suffix min in stratum
        hi[a:b] = np.maximum.accumulate(x[a:b][::-1], axis=0)[::-1]
    out: npt.NDArray[np.bool_] = lo[start] != hi[start]
    return out
