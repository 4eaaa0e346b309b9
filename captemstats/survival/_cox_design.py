"""The input preparation of :func:`captemstats.survival.cox.cox_ph`: checked arguments, complete
cases, strata codes and the estimable model columns.

Kept apart from :mod:`captemstats.survival.cox` so that the fitting module stays short; it
mirrors the part of R's ``coxph`` that builds the model frame (``na.omit``) and finds the
aliased columns before ``coxph.fit`` runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.survival._alias import estimable_columns
from captemstats.survival._covariate import Covariate, Factor, expand_terms
from captemstats.survival._inputs import as_event, as_time, as_weights

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd


@dataclass(frozen=True, eq=False)
class CoxDesign:
    """The complete cases of a Cox model: ``covs`` the model columns and ``term_of`` the term
    of each (a :class:`Factor` spans several), ``sub`` the rows used, ``t``/``e`` their times
    and events, ``x`` the estimable columns (C order), ``strata`` their stratum codes,
    ``estimable`` which model columns ``x`` holds, and the warnings about the others."""

    covs: list[Covariate]
    term_of: list[str]
    names: list[str]
    sub: pd.DataFrame
    t: npt.NDArray[np.float64]
    e: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    strata: npt.NDArray[np.intp]
    estimable: npt.NDArray[np.bool_]
    n_excluded: int
    warnings: tuple[str, ...]
    weights: npt.NDArray[np.float64] | None = None
    entry: npt.NDArray[np.float64] | None = None


def codes(values: Any, name: str) -> npt.NDArray[np.intp]:
    """Integer codes of the sorted distinct values (R's factor levels of a strata or cluster
    term)."""
    import pandas as pd

    out, _ = pd.factorize(pd.Series(values).reset_index(drop=True), sort=True)
    del name
    return out.astype(np.intp)


def _check_arguments(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str | Covariate | Factor],
    ties: str,
    cluster: str | None,
    strata: str | None,
) -> tuple[list[Covariate], list[str]]:
    """The ties method, at least one covariate, and every named column present; the model
    columns and the term of each (:func:`~captemstats.survival._covariate.expand_terms`)."""
    if ties not in ("efron", "breslow"):
        raise AnalysisError(f"ties {ties!r} is not 'efron' or 'breslow'")
    if not covariates:
        raise AnalysisError("cox_ph: give at least one covariate")
    for col in [duration, event, *(c for c in (cluster, strata) if c)]:
        if col not in data.columns:
            raise AnalysisError(f"column {col!r} is not in the data")
    return expand_terms(data, covariates)


def _complete_cases(
    data: pd.DataFrame,
    duration: str,
    event: str,
    xcols: npt.NDArray[np.float64],
    cluster: str | None,
    strata: str | None,
    weights: str | None = None,
) -> npt.NDArray[np.bool_]:
    """Rows with every used column present (R's ``na.omit`` of the model frame)."""
    ok = ~np.isnan(xcols).any(axis=1)
    ok &= data[duration].notna().to_numpy() & data[event].notna().to_numpy()
    for opt in (cluster, strata, weights):
        if opt:
            ok &= data[opt].notna().to_numpy()
    return ok


def _estimable(
    t: npt.NDArray[np.float64],
    e: npt.NDArray[np.float64],
    x: npt.NDArray[np.float64],
    s_codes: npt.NDArray[np.intp],
    names: list[str],
) -> tuple[npt.NDArray[np.bool_], list[str]]:
    """The columns R's ``coxph`` can estimate (``singular.ok = TRUE``: the others are NA), with
    the warning naming the others; none estimable is an error."""
    est = estimable_columns(t, e, x, s_codes)
    if not est.any():
        raise AnalysisError(
            f"cox_ph: no covariate can be estimated: {names} "
            f"{'is' if len(names) == 1 else 'are'} constant among the subjects at risk at "
            "every event time (the information matrix is zero)"
        )
    warnings: list[str] = []
    if not est.all():  # R's coxph (singular.ok = TRUE): the coefficient is NA
        warnings.append(
            "coefficient not estimable (collinear with earlier covariates or constant among "
            "those at risk; NA as in R's coxph): "
            + ", ".join(n for n, k in zip(names, est, strict=True) if not k)
        )
    return est, warnings


def cox_design(
    data: pd.DataFrame,
    duration: str,
    event: str,
    covariates: Sequence[str | Covariate | Factor],
    *,
    ties: str,
    cluster: str | None,
    strata: str | None,
    weights: str | None = None,
    start: str | None = None,
) -> CoxDesign:
    """Check the arguments of ``cox_ph`` and build its complete-case design."""
    covs, term_of = _check_arguments(data, duration, event, covariates, ties, cluster, strata)
    for opt in (weights, start):
        if opt is not None and opt not in data.columns:
            raise AnalysisError(f"column {opt!r} is not in the data")
    xcols = np.column_stack([c.values(data) for c in covs])
    ok = _complete_cases(data, duration, event, xcols, cluster, strata, weights)
    if start is not None:
        ok &= data[start].notna().to_numpy()
    n_excl = int((~ok).sum())
    # complete data (the large case): no copies of the frame or of the covariates
    sub = data if n_excl == 0 else data.loc[ok]
    t = as_time(sub[duration], duration)
    e = as_event(sub[event], len(t), event)
    x = xcols if n_excl == 0 else xcols[ok]
    del xcols
    if len(t) == 0 or e.sum() == 0:
        raise AnalysisError("cox_ph: no events among the complete cases")
    s_codes = codes(sub[strata], strata) if strata else np.zeros(len(t), dtype=np.intp)
    names = [c.name for c in covs]
    est, warnings = _estimable(t, e, x, s_codes, names)
    # C order (one contiguous row per subject) for the fit's row-wise products; the
    # concordance forms its linear predictor column by column (_cox_summary.row_products)
    x = np.ascontiguousarray(x if est.all() else x[:, est])
    w = None if weights is None else as_weights(sub[weights], len(t), weights)
    entry = None if start is None else _entry_times(sub[start], t, start)
    return CoxDesign(
        covs, term_of, names, sub, t, e, x, s_codes, est, n_excl, tuple(warnings), w, entry
    )


def _entry_times(
    col: pd.Series, stop: npt.NDArray[np.float64], name: str
) -> npt.NDArray[np.float64]:
    """Start times of (start, stop] rows: finite numbers below the row's stop time (R:
    "Stop time must be > start time"); the first bad row is named."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(col) or not pd.api.types.is_numeric_dtype(col):
        raise AnalysisError(f"start column {name!r} is not numeric (dtype {col.dtype})")
    a = np.asarray(col.astype("Float64").to_numpy(na_value=np.nan), dtype=np.float64)
    bad = ~np.isfinite(a) | (a >= stop)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise AnalysisError(
            f"start column {name!r}: row {col.index[i]!r} starts at {a[i]!r} but stops at "
            f"{stop[i]!r}; each (start, stop] interval needs start < stop"
        )
    return a
