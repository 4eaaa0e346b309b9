"""The normal and chi-square tail functions the survival statistics need, from
:mod:`scipy.special` rather than :mod:`scipy.stats`.

``scipy.stats`` costs about a second to import (its distribution classes), which made the
first Kaplan–Meier call slow; the values here are those ``scipy.stats`` gives, bit for bit
(``norm.ppf`` is ``ndtri``, ``norm.sf(x)`` is ``ndtr(-x)``, ``chi2.sf`` is ``chdtrc``), with
``scipy.stats``' edge cases kept: a negative statistic has chi-square tail 1 and a
non-positive degree of freedom gives NaN. ``tests/test_survival.py`` compares them on grids.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from scipy import special


def norm_ppf(q: Any) -> npt.NDArray[np.float64]:
    """Standard normal quantile (``scipy.stats.norm.ppf``)."""
    return np.asarray(special.ndtri(np.asarray(q, dtype=np.float64)), dtype=np.float64)


def norm_sf(x: Any) -> npt.NDArray[np.float64]:
    """Standard normal upper tail P(Z > x) (``scipy.stats.norm.sf``)."""
    return np.asarray(special.ndtr(-np.asarray(x, dtype=np.float64)), dtype=np.float64)


def chi2_sf(x: Any, df: Any) -> npt.NDArray[np.float64]:
    """Chi-square upper tail P(X > x) on ``df`` degrees of freedom (``scipy.stats.chi2.sf``)."""
    xx = np.asarray(x, dtype=np.float64)
    dd = np.asarray(df, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        tail = special.chdtrc(dd, np.where(xx < 0, 0.0, xx))
        out = np.where(xx < 0, 1.0, tail)
        out = np.where(dd > 0, out, np.nan)
    return np.asarray(out, dtype=np.float64)
