"""Test of proportional hazards for a Cox model, equal to R survival 3.5 ``cox.zph``.

Grambsch & Therneau (Biometrika 1994;81:515–26): for a time transform g(t) the model is
re-examined with the extra terms x·g(t) at the fitted beta. The score vector for those terms is
U_g = Σ_deaths g(t_i)·(x_i − x̄(t_i)) (the first p score components are zero at the fitted beta)
and the information is the 2p × 2p matrix [[I, I_g], [I_g, I_gg]] with
I_g = Σ g(t)·V(t), I_gg = Σ g(t)²·V(t), V(t) the risk-set covariance of x at each (Efron
sub-)step and g centred on its mean over the deaths. A term's statistic is u' M⁻¹ u with
u = (0, …, 0, U_g[j]) over the rows/columns (1..p, p + j) of the matrix, on 1 df; the GLOBAL
statistic uses the whole matrix, on p df. This is the exact score test R ≥ 3.0 computes
(C routine ``zph1``), not the older approximation through the scaled residuals that
lifelines' ``proportional_hazard_test`` and R < 3.0 use, so its chi-squares differ from
lifelines'.

Transforms (R's definitions): ``"km"`` g(t) = 1 − S(t−), S the left-continuous Kaplan–Meier
of the whole sample (strata ignored, censored times included); ``"rank"`` the average rank of
t among all observed times (events and censorings); ``"identity"`` t; ``"log"`` log t.

The scaled Schoenfeld residuals (for plots) are r_i·(I/d)⁻¹ + beta per death, with I/d
replaced by R's per-stratum weighting when there are strata (a covariate constant within a
stratum gets NaN residuals there). With a cluster term the test still uses the model-based
information, as R does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, Protocol

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival import _efron

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd


class FittedCox(Protocol):
    """What :func:`cox_zph` reads from a fitted model (a
    :class:`~captemstats.survival.cox.CoxResult`); a protocol, so this module does not import
    ``cox`` (which imports this one for ``CoxResult.zph``)."""

    @property
    def terms(self) -> list[str]: ...
    @property
    def coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def term_of(self) -> tuple[str, ...]: ...
    @property
    def _fit(self) -> _efron.FitData | None: ...


Transform = Literal["km", "rank", "identity", "log"]
_TRANSFORMS = ("km", "rank", "identity", "log")
GLOBAL = "GLOBAL"


@dataclass(frozen=True, eq=False, repr=False)
class ZphResult(Displayed):
    """Proportional-hazards tests per term (and GLOBAL) with the scaled Schoenfeld residuals.

    ``chisq``/``df``/``p_value`` hold one entry per term in ``terms`` order; the global test is
    ``global_chisq``/``global_df``/``global_p_value`` (None when not requested). ``time`` are
    the event times (sorted by stratum, then time, as R), ``x`` their transformed values,
    ``y`` the scaled Schoenfeld residuals (deaths × terms), ``strata`` the stratum code of each
    death (None without strata), ``var`` R's ``solve(vmean)``.
    """

    terms: list[str]
    chisq: npt.NDArray[np.float64]
    df: npt.NDArray[np.int64]
    p_value: npt.NDArray[np.float64]
    global_chisq: float | None
    global_df: int | None
    global_p_value: float | None
    transform: str
    time: npt.NDArray[np.float64]
    x: npt.NDArray[np.float64]
    y: npt.NDArray[np.float64]
    strata: npt.NDArray[np.intp] | None
    var: npt.NDArray[np.float64]
    method: MethodInfo

    def _headline(self) -> str:
        return (
            f"{count_words(len(self.terms), 'term')}, global chi-square "
            f"{self.global_chisq:.4g} on {self.global_df} df, P = {self.global_p_value:.3g}"
        )

    def summary(self) -> pd.DataFrame:
        """Per term and globally: chi-square, df and P (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """The test table as R prints it: one row per term then GLOBAL; columns term, chisq,
        df, p_value."""
        import pandas as pd

        frame = pd.DataFrame(
            {
                "term": self.terms,
                "chisq": self.chisq,
                "df": self.df,
                "p_value": self.p_value,
            }
        )
        if self.global_chisq is not None:
            frame.loc[len(frame)] = [GLOBAL, self.global_chisq, self.global_df, self.global_p_value]
        return frame

    def residuals_frame(self) -> pd.DataFrame:
        """One row per death: time, transformed time ``x``, stratum (if any) and the scaled
        Schoenfeld residual of each term (R ``zph$y``), e.g. for a beta(t) plot."""
        import pandas as pd

        frame = pd.DataFrame({"time": self.time, "x": self.x})
        if self.strata is not None:
            frame["stratum"] = self.strata
        for j, term in enumerate(self.terms):
            frame[term] = self.y[:, j]
        return frame


def transform_times(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    transform: str,
    entry: npt.NDArray[np.float64] | None = None,
) -> npt.NDArray[np.float64]:
    """g(t) for every observation, before centring (R ``cox.zph``'s ``ttimes``); with
    (start, stop] rows the "km" transform uses the Kaplan–Meier curve with delayed entry (at
    risk at t when start < t <= stop), as R's ``survfitKM`` on ``Surv(start, stop, event)``."""
    if transform == "identity":
        return np.asarray(time, dtype=np.float64)
    if transform == "log":
        if (time <= 0).any():
            raise AnalysisError("cox_zph: transform 'log' needs positive times")
        return np.asarray(np.log(time), dtype=np.float64)
    if transform == "rank":
        from scipy.stats import rankdata

        return np.asarray(rankdata(time, method="average"), dtype=np.float64)
    if transform == "km":
        uniq, inv = np.unique(time, return_inverse=True)
        n_risk = np.cumsum(np.bincount(inv)[::-1])[::-1].astype(float)
        if entry is not None:  # rows starting at or after a time are not yet at risk there
            n_risk -= len(entry) - np.searchsorted(np.sort(entry), uniq, side="left")
        deaths = np.bincount(inv, weights=event)
        surv = np.cumprod(1.0 - deaths / n_risk)
        left = np.concatenate(([1.0], surv[:-1]))  # S(t-): KM just before each time
        return np.asarray(1.0 - left[inv], dtype=np.float64)
    raise AnalysisError(f"cox_zph: transform {transform!r} is not one of {_TRANSFORMS}")


def _checked_fit(result: FittedCox, transform: str) -> _efron.FitData:
    """The fitted data of a model ``cox.zph`` can test: a known transform, a fit that carries
    its data, and every coefficient estimable."""
    if transform not in _TRANSFORMS:
        raise AnalysisError(f"cox_zph: transform {transform!r} is not one of {_TRANSFORMS}")
    fit = result._fit
    if fit is None:
        raise AnalysisError("cox_zph: the Cox result carries no fitted data")
    if not fit.estimable.all():
        aliased = [t for t, k in zip(result.terms, fit.estimable, strict=True) if not k]
        raise AnalysisError(
            f"cox_zph: the model has coefficients that are not estimable (NA): {aliased}; "
            "refit without them"
        )
    return fit


def _score_information(
    lay: _efron.Layout, ev: _efron.Eval, g: npt.NDArray[np.float64], terms: list[str]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The score u = (0, U_g) and the 2p × 2p information [[I, I_g], [I_g, I_gg]] of the
    x·g(t) terms at the fitted beta (R's ``zph1``), with I; a numerically unidentifiable test
    is refused. The three p × p blocks come from the same O(p²)-memory accumulation as the
    fit's information (:func:`~captemstats.survival._efron.information`, weights 1, g, g²)."""
    p = lay.x.shape[1]
    if lay.w is None or lay.dwt is None:
        dx = lay.x[lay.deaths] - ev.xbar  # per death and Efron sub-step
        m = np.ones(len(g))
    else:  # case weights: the death's own weight, each sub-step its tie group's mean weight
        dx = lay.w[lay.deaths, None] * lay.x[lay.deaths] - lay.dwt[:, None] * ev.xbar
        m = lay.dwt
    u2 = (g[:, None] * dx).sum(axis=0)
    del dx
    i11 = _efron.information(lay, ev.r, ev.s0k, ev.xbar, weights=lay.dwt)
    i12 = _efron.information(lay, ev.r, ev.s0k, ev.xbar, weights=g * m)
    i22 = _efron.information(lay, ev.r, ev.s0k, ev.xbar, weights=g * g * m)
    imat = np.block([[i11, i12], [i12.T, i22]])
    _check_identifiable(i11, i12, i22, terms)
    u = np.concatenate((np.zeros(p), u2))
    return u, imat, i11


def _term_tests(
    u: npt.NDArray[np.float64],
    imat: npt.NDArray[np.float64],
    groups: list[list[int]],
    global_: bool,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.int64],
    npt.NDArray[np.float64],
    float | None,
    int | None,
    float | None,
]:
    """Each term's chi-square on as many df as it has columns J (rows/columns 1..p and p + J
    of the matrix, R's ``cox.zph`` loop over ``fit$assign``) with its P, and the GLOBAL test
    on p df if asked (else None)."""
    from captemstats.survival._dist import chi2_sf

    p = len(u) // 2
    chisq = np.empty(len(groups))
    for i, cols in enumerate(groups):  # one small solve per term, not a per-subject loop
        kk = np.concatenate((np.arange(p), p + np.asarray(cols, dtype=np.intp)))
        uj = u[kk]
        chisq[i] = float(uj @ _solve(imat[np.ix_(kk, kk)], uj))
    df = np.asarray([len(c) for c in groups], dtype=np.int64)
    pval = np.asarray(chi2_sf(chisq, df), dtype=np.float64)
    g_chisq = g_df = g_p = None
    if global_:
        g_chisq = float(u @ _solve(imat, u))
        g_df = p
        g_p = float(chi2_sf(g_chisq, p))
    return chisq, df, pval, g_chisq, g_df, g_p


def _groups(result: FittedCox, terms: bool) -> tuple[list[str], list[list[int]]]:
    """Term names and model columns of each: R's ``fit$assign`` with ``terms = TRUE`` (a
    :class:`~captemstats.survival.Factor` is one term), one per column otherwise."""
    from captemstats.survival.cox_terms import term_groups

    out = term_groups(result.terms, result.term_of if terms else ())
    return list(out), list(out.values())


def _zph_method(ties: str, transform: str) -> MethodInfo:
    """The method record, naming the equivalent ``survival::cox.zph`` call."""
    return MethodInfo(
        test="Grambsch–Therneau score test of proportional hazards (per term and global)",
        ties=ties,
        variance="model-based information at the fitted coefficients",
        software_equivalent=f"R survival::cox.zph(transform='{transform}')",
        notes=(
            f"time transform: {transform}",
            "exact score test (R >= 3.0), not the scaled-residual approximation of lifelines",
        ),
    )


def cox_zph(
    result: FittedCox,
    transform: str = "km",
    terms: bool = True,
    global_: bool = True,
) -> ZphResult:
    """Test the proportional-hazards assumption of a fitted :func:`~captemstats.survival.cox_ph`
    model, equal to R ``cox.zph(fit, transform = transform, terms = terms, global = global_)``.

    With ``terms=True`` (R's default) a :class:`~captemstats.survival.Factor` is tested as one
    term on as many df as it has columns, and its scaled residual is R's combination over the
    term (the residuals times the coefficients, scaled, plus 1); every other term is one
    column, so then ``terms=True`` and ``terms=False`` give the same table.

    Parameters
    ----------
    result
        A fitted :func:`~captemstats.survival.cox_ph` result (``CoxResult.zph()`` calls this).
    transform
        Time scale of the test: ``"km"`` (R's default), ``"rank"``, ``"identity"`` or
        ``"log"``.
    terms
        Test each term (a factor jointly) rather than each model column (see above).
    global_
        Also compute the global test over all terms.

    Returns
    -------
    ZphResult
        Per-term and global chi-square tests (``to_frame()``) and the scaled Schoenfeld
        residuals (``residuals_frame()``).

    Raises
    ------
    AnalysisError
        The result carries no fit, the transform is unknown or a test is not defined.

    Notes
    -----
    The score test of Grambsch & Therneau (1994) for the terms x·g(t), the exact form that R
    ``survival`` >= 3.0 computes (not the older approximation through the scaled residuals;
    see the module docstring).

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> from captemstats.survival import cox_ph
    >>> fit = cox_ph(d, "pfs_months", "pfs_event", ["ecog_0_1", "first_line"])
    >>> cox_zph(fit).to_frame().round(3)
             term  chisq  df  p_value
    0    ecog_0_1  0.349   1    0.555
    1  first_line  0.360   1    0.549
    2      GLOBAL  0.739   2    0.691
    """
    fit = _checked_fit(result, transform)
    names, groups = _groups(result, terms)
    lay = fit.layout
    beta = np.asarray(result.coef, dtype=np.float64)
    entry = None if fit.entry is None else fit.entry[lay.order]
    ttimes = transform_times(lay.time, lay.event, transform, entry)
    gtime = ttimes - ttimes[lay.event == 1].mean()
    g = gtime[lay.deaths]  # one weight per death (ties share g, a function of time)
    del gtime
    # an undefined test is refused first, on the data alone, before the per-death arrays of
    # the evaluation exist (its exact check holds n × p minima and maxima)
    _check_defined(lay, g, result.terms)
    ev = _efron.evaluate(lay, beta, info=False)
    u, imat, i11 = _score_information(lay, ev, g, result.terms)
    chisq, df, pval, g_chisq, g_df, g_p = _term_tests(u, imat, groups, global_)
    multi = any(len(g) > 1 for g in groups)
    y, var = _scaled_schoenfeld(lay, ev, beta, i11, groups if multi else None)
    strata = lay.strata[lay.deaths] if len(np.unique(lay.strata)) > 1 else None
    return ZphResult(
        terms=names,
        chisq=chisq,
        df=df,
        p_value=pval,
        global_chisq=g_chisq,
        global_df=g_df,
        global_p_value=g_p,
        transform=transform,
        time=lay.time[lay.deaths],
        x=ttimes[lay.deaths],
        y=y,
        strata=strata,
        var=var,
        method=_zph_method(fit.ties, transform),
    )


def _check_defined(lay: _efron.Layout, g: npt.NDArray[np.float64], terms: list[str]) -> None:
    """Refuse a term whose x·g(t) carries no information beyond x, decided exactly on the data.

    A death contributes to the test of a covariate only if the covariate varies within its
    risk set; with fewer than two distinct g values among such deaths, x·g(t) equals a
    constant times x wherever there is information, and the statistic is 0/0. Deciding this
    from min ≠ max (not from a rounded Schur complement) gives the same answer for x and for
    any a·x + b, as the statistic itself is invariant to such changes.
    """
    from captemstats.survival._alias import varies_in_risk_set

    varies = varies_in_risk_set(lay.x, lay.strata, lay.g_first[lay.dg])
    bad = [
        t
        for j, t in enumerate(terms)
        if len(np.unique(g[varies[:, j]])) < 2  # g is a function of time: ties share it
    ]
    if bad:
        raise AnalysisError(
            f"cox_zph: the proportional-hazards test is undefined for {bad}: the covariate "
            "varies within the risk set at fewer than two distinct transformed event times"
        )


def _check_identifiable(
    i11: npt.NDArray[np.float64],
    i12: npt.NDArray[np.float64],
    i22: npt.NDArray[np.float64],
    terms: list[str],
) -> None:
    """Refuse a test whose x·g(t) term is (numerically) collinear with x: the Schur
    complement I_gg − I_g' I⁻¹ I_g, whose inverse the statistic uses, has a diagonal entry
    below 1e-8 of I_gg's. That happens when a covariate varies within the risk set at a single
    event time only, or when g(t) is constant over the informative deaths; R's ``solve`` then
    either fails or returns rounding noise (even a negative chi-square)."""
    schur = i22 - i12.T @ _solve(i11, i12)
    small = np.diag(schur) <= 1e-8 * np.abs(np.diag(i22))
    if small.any():
        names = [t for t, bad in zip(terms, small, strict=True) if bad]
        raise AnalysisError(
            f"cox_zph: the proportional-hazards test is undefined for {names}: the covariate "
            "varies within the risk set at fewer than two distinct transformed event times"
        )


def _solve(a: npt.NDArray[np.float64], b: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    try:
        out = np.asarray(np.linalg.solve(a, b), dtype=np.float64)
    except np.linalg.LinAlgError as exc:
        raise AnalysisError(
            "cox_zph: the information matrix is singular (a covariate may be constant or the "
            "time transform degenerate)"
        ) from exc
    return out


def _scaled_schoenfeld(
    lay: _efron.Layout,
    ev: _efron.Eval,
    beta: npt.NDArray[np.float64],
    imat: npt.NDArray[np.float64],
    groups: list[list[int]] | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """R's scaled Schoenfeld residuals and ``var``: residual r_i = x_i − mean of the Efron
    sub-step means at t_i; per stratum, only covariates that vary in it are scaled, by
    vmean = I / W with W_jk = Σ_strata min(used_sj, used_sk) (used = deaths in the stratum if
    the covariate varies there, else 0). With ``groups`` (terms of several columns, R's
    ``terms = TRUE``) the columns of a term share its largest ``used``, and the residuals and
    vmean are first combined per term with weights 1 (one column) or the coefficients (several
    columns), whose residual is then centred on 1 instead of the coefficient."""
    ng = lay.n_groups
    p = lay.x.shape[1]
    d_count = np.bincount(lay.dg, minlength=ng).astype(float)
    xsum = np.empty((ng, p))
    for j in range(p):
        xsum[:, j] = np.bincount(lay.dg, weights=ev.xbar[:, j], minlength=ng)
    with np.errstate(invalid="ignore", divide="ignore"):
        xmean = xsum / d_count[:, None]
    resid = np.empty((len(lay.deaths), p))
    for j in range(p):  # column by column: no deaths × p temporaries
        resid[:, j] = lay.x[lay.deaths, j] - xmean[lay.dg, j]

    # strata in sorted order: first row of each, deaths per stratum, does x vary within it
    s = lay.strata
    starts = np.flatnonzero(np.concatenate(([True], s[1:] != s[:-1])))
    varies = np.minimum.reduceat(lay.x, starts, axis=0) != np.maximum.reduceat(
        lay.x, starts, axis=0
    )
    s_of_row = np.cumsum(np.concatenate(([True], s[1:] != s[:-1]))) - 1
    deaths_per = np.bincount(s_of_row[lay.deaths], minlength=len(starts)).astype(float)
    used = np.where(varies, deaths_per[:, None], 0.0)
    for cols in groups or []:
        if len(cols) > 1:
            used[:, cols] = used[:, cols].max(axis=1, keepdims=True)
    wtmat = np.minimum(used[:, :, None], used[:, None, :]).sum(axis=0)
    vmean = imat / np.where(wtmat == 0, 1.0, wtmat)
    centre = beta
    if groups is not None:
        temp = np.zeros((p, len(groups)))
        for i, cols in enumerate(groups):
            temp[cols, i] = 1.0 if len(cols) == 1 else beta[cols]
        resid = resid @ temp
        vmean = temp.T @ vmean @ temp
        used = used[:, [cols[0] for cols in groups]]
        centre = np.asarray([beta[c[0]] if len(c) == 1 else 1.0 for c in groups])

    y = _scale(resid, vmean, used > 0, s_of_row[lay.deaths])
    y += centre[None, :]
    var = np.asarray(np.linalg.inv(vmean), dtype=np.float64)
    return y, var


def _scale(
    resid: npt.NDArray[np.float64],
    vmean: npt.NDArray[np.float64],
    used: npt.NDArray[np.bool_],
    death_stratum: npt.NDArray[np.intp],
) -> npt.NDArray[np.float64]:
    """resid · vmean⁻¹ on the columns that vary in each death's stratum (NaN elsewhere): one
    solve per distinct pattern of varying columns. When every column varies in every stratum
    (the usual case) that is one solve on all of ``resid``, without a second deaths × p copy."""
    patterns, pat_of_stratum = np.unique(used, axis=0, return_inverse=True)
    if len(patterns) == 1 and patterns[0].all():
        return np.ascontiguousarray(_solve(vmean, resid.T).T)
    y = np.full_like(resid, np.nan)
    pat_of_death = np.asarray(pat_of_stratum).reshape(-1)[death_stratum]
    for k, pat in enumerate(patterns):
        if not pat.any():
            continue
        rows = pat_of_death == k
        cols = np.flatnonzero(pat)
        y[np.ix_(rows, cols)] = _solve(vmean[np.ix_(cols, cols)], resid[np.ix_(rows, cols)].T).T
    return y
