"""Cox proportional-hazards regression equal to R's ``survival::coxph``.

Why not lifelines or statsmodels: lifelines' ``CoxPHFitter`` stops one Newton step before R
(P values differ by ~2e-3 relative) and is slow at 10^6 rows; statsmodels' ``PHReg`` defaults
to Breslow ties and slows down with many distinct times. This module runs R's algorithm
(``coxfit6``: Newton–Raphson from beta = 0 with step halving, converged when
|1 − loglik_old/loglik_new| <= 1e-9, at most 20 iterations) on the vectorised Efron engine in
:mod:`captemstats.survival._efron`. The iteration is in :mod:`captemstats.survival._coxfit`,
the input preparation (complete cases, estimable columns) in
:mod:`captemstats.survival._cox_design`.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal, TypedDict, Unpack

import numpy as np

from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival import _efron
from captemstats.survival._alias import wtest
from captemstats.survival._covariate import Covariate as Covariate  # re-exported
from captemstats.survival._covariate import Factor as Factor  # re-exported
from captemstats.survival._cox_design import codes, cox_design
from captemstats.survival._cox_summary import (
    _check_estimate,
    _method,
    _per_term,
    _widen,
    concordance_of,
)
from captemstats.survival._coxfit import EPS as EPS  # re-exported
from captemstats.survival._coxfit import ITER_MAX as ITER_MAX  # re-exported
from captemstats.survival._coxfit import newton_raphson as newton_raphson  # re-exported
from captemstats.survival._sandwich import robust_variance

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    from captemstats.survival.cox_terms import TermTests
    from captemstats.survival.zph import ZphResult

Ties = Literal["efron", "breslow"]


class CoxOptions(TypedDict, total=False):
    """The keyword options of :func:`cox_ph` that :func:`univariable_cox` passes on."""

    ties: Ties
    cluster: str | None
    strata: str | None
    conf_level: float
    weights: str | None
    robust: bool | None
    start: str | None


@dataclass(frozen=True, slots=True)
class ChiSquareTest:
    """A chi-square test statistic with its degrees of freedom and P value."""

    chisq: float
    df: int
    p_value: float


@dataclass(frozen=True, eq=False, repr=False)
class CoxResult(Displayed):
    """A fitted Cox model. Per term (in ``terms`` order): coef, hr, se (model-based),
    robust_se (cluster sandwich, or None), lower/upper (HR CI), z and Wald p_value — the last
    four use robust_se when a cluster was given, as R's ``summary.coxph``, and
    ``robust_score_test`` is then R's robust score test (``fit$rscore``). ``term_of`` names the
    term of each model column (a :class:`Factor` spans several; empty: one term per column),
    for the joint tests of :meth:`term_tests` and the grouping of :meth:`zph`."""

    terms: list[str]
    columns: list[str]
    coef: npt.NDArray[np.float64]
    se: npt.NDArray[np.float64]
    robust_se: npt.NDArray[np.float64] | None
    hr: npt.NDArray[np.float64]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    z: npt.NDArray[np.float64]
    p_value: npt.NDArray[np.float64]
    var: npt.NDArray[np.float64]
    naive_var: npt.NDArray[np.float64]
    loglik: float
    loglik_null: float
    lr_test: ChiSquareTest
    wald_test: ChiSquareTest
    score_test: ChiSquareTest
    n: int
    n_events: int
    n_excluded: int
    iterations: int
    converged: bool
    conf_level: float
    method: MethodInfo
    warnings: tuple[str, ...] = ()
    robust_score_test: ChiSquareTest | None = None
    term_of: tuple[str, ...] = ()
    _fit: _efron.FitData | None = field(default=None, repr=False)
    #: the estimable coefficients as fitted (the linear predictor of the concordance)
    _beta: npt.NDArray[np.float64] | None = field(default=None, repr=False)

    def _headline(self) -> str:
        return (
            f"{count_words(len(self.terms), 'term')}, n = {self.n}, {self.n_events} events, "
            f"likelihood-ratio P = {self.lr_test.p_value:.3g}"
        )

    def summary(self) -> pd.DataFrame:
        """Per term: HR with its CI and P (robust ones with a cluster), as Table 3 prints."""
        return self.to_frame()[["term", "hr", "lower", "upper", "p_value"]]

    @functools.cached_property
    def _concordance_pair(self) -> tuple[float, dict[str, float]]:
        if self._fit is None or self._beta is None:
            return float("nan"), {}
        return concordance_of(self._fit, self._beta)

    @property
    def concordance(self) -> float:
        """Harrell's C of the linear predictor, as R's ``fit$concordance["concordance"]``.

        Computed on first use and kept: it is an O(n log n) count over all comparable pairs
        (about 1 s at 10^6 rows, as long as the fit itself), which a fit whose concordance
        nobody reads (a bootstrap, a simulation) need not pay. lifelines defers it the same
        way; R's ``coxph`` computes it in every fit.
        """
        return self._concordance_pair[0]

    @property
    def concordance_counts(self) -> dict[str, float]:
        """The pair counts behind :attr:`concordance`: ``concordant``, ``discordant``,
        ``tied.x`` and ``tied.y`` (R's ``fit$concordance``; computed with it)."""
        return self._concordance_pair[1]

    def to_frame(self) -> pd.DataFrame:
        """One row per term: term, column, coef, hr, se, robust_se, lower, upper, z, p_value,
        and the model's n, n_events, concordance and likelihood-ratio P."""
        import pandas as pd

        return pd.DataFrame(
            {
                "term": self.terms,
                "column": self.columns,
                "coef": self.coef,
                "hr": self.hr,
                "se": self.se,
                "robust_se": self.robust_se if self.robust_se is not None else np.nan,
                "lower": self.lower,
                "upper": self.upper,
                "z": self.z,
                "p_value": self.p_value,
                "n": self.n,
                "n_events": self.n_events,
                "concordance": self.concordance,
                "lr_p_value": self.lr_test.p_value,
            }
        )

    def zph(self, transform: str = "km", terms: bool = True) -> ZphResult:
        """Proportional-hazards test on scaled Schoenfeld residuals (R ``cox.zph``)."""
        from captemstats.survival.zph import cox_zph

        return cox_zph(self, transform=transform, terms=terms)

    def term_tests(self) -> TermTests:
        """Joint Wald and likelihood-ratio tests per term (:func:`cox_term_tests`)."""
        from captemstats.survival.cox_terms import cox_term_tests

        return cox_term_tests(self)


@dataclass(frozen=True, eq=False, repr=False)
class CoxResultCollection(Displayed):
    """Several Cox models (e.g. one univariable model per covariate), in order."""

    results: list[CoxResult]

    def _headline(self) -> str:
        return count_words(len(self.results), "model")

    def summary(self) -> pd.DataFrame:
        """Per model and term: HR with its CI and P."""
        cols = ["model", "term", "hr", "lower", "upper", "p_value"]
        return self.to_frame()[cols]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.concat(
            [r.to_frame().assign(model=i) for i, r in enumerate(self.results)],
            ignore_index=True,
        )


def _global_tests(
    ev: _efron.Eval,
    loglik0: float,
    var: npt.NDArray[np.float64],
    beta: npt.NDArray[np.float64],
    u0_stuff: npt.NDArray[np.float64],
) -> tuple[ChiSquareTest, ChiSquareTest, ChiSquareTest]:
    """The likelihood-ratio, Wald and score tests of all coefficients (R's ``summary.coxph``;
    the score test from the score and step at beta = 0, as ``coxfit6``)."""
    from captemstats.survival._dist import chi2_sf

    p = len(beta)
    lr = 2 * (ev.loglik - loglik0)
    wald = wtest(var, beta)
    u0 = u0_stuff[:p]
    score = float(u0 @ u0_stuff[p:])
    return (
        ChiSquareTest(lr, p, float(chi2_sf(lr, p))),
        ChiSquareTest(wald, p, float(chi2_sf(wald, p))),
        ChiSquareTest(score, p, float(chi2_sf(score, p))),
    )


def cox_ph(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str | Covariate | Factor],
    *,
    ties: Ties = "efron",
    cluster: str | None = None,
    strata: str | None = None,
    conf_level: float = 0.95,
    weights: str | None = None,
    robust: bool | None = None,
    start: str | None = None,
) -> CoxResult:
    """Fit a Cox model equal to R ``coxph(Surv(time, event) ~ covariates
    [+ strata(strata)], ties = ties [, cluster = cluster])``.

    Rows missing any used column are excluded and counted in ``n_excluded`` (R's
    ``na.omit``). With ``cluster`` the variance is the grouped sandwich D'D of dfbeta
    residuals summed by cluster (Lin & Wei 1989), and the Wald z, P and CI use it; the
    likelihood-ratio test assumes independence, as R notes. Concordance is R's default
    (Harrell's C on the linear predictor, within strata).

    Parameters
    ----------
    data
        One row per patient.
    time, event
        Columns of ``data``: follow-up time and event indicator (1 = event, 0 = censored);
        the same names as :func:`kaplan_meier` and :func:`logrank_test` take.
    covariates
        Column names (numbers as they are, booleans as 0/1, text or categorical columns as a
        :class:`Factor` with its first level as reference), :class:`Covariate` terms (a 0/1
        indicator of a level against a reference, as the paper's Table 3) or :class:`Factor`
        terms (one indicator per level against an explicit reference, tested jointly by
        ``term_tests()``).
    ties
        ``"efron"`` (R's default) or ``"breslow"``.
    cluster
        Optional column of cluster labels (e.g. the centre) for the robust variance.
    strata
        Optional column: a separate baseline hazard per stratum (R ``strata()``).
    conf_level
        Confidence level of the hazard-ratio intervals.
    weights
        Optional column of case weights (finite, > 0; R ``coxph(weights = )``): each subject's
        risk and death count w times, and each Efron sub-step of tied deaths carries their
        mean weight, as R's ``coxfit6``. Under Breslow ties an integer weight k equals k
        copies of the row.
    start
        Optional column of start times for counting-process data (R ``Surv(start, stop,
        event)``, e.g. time-varying covariates split into intervals): ``time`` is then
        the stop time, and a row is at risk at an event time t only when start < t <= stop.
        Give ``cluster`` (the subject id) for a variance robust to a subject's several rows.
    robust
        Use the robust (sandwich) variance. None (default) follows R: robust when a cluster
        is given or any weight is not an integer (then each subject is its own cluster).

    Returns
    -------
    CoxResult
        Coefficients, hazard ratios with CIs, Wald P values, the likelihood-ratio, Wald and
        score tests, concordance, ``to_frame()`` and ``zph()``.

    Raises
    ------
    AnalysisError
        A missing column, a non-numeric covariate given without a level, or a model that
        cannot be estimated.

    Notes
    -----
    Partial likelihood with Efron's (1977) approximation for tied event times by default,
    maximised by Newton–Raphson as R ``coxph``; the cluster-robust variance is that of Lin &
    Wei (1989).

    Examples
    --------
    PFS by sex and ECOG with the centre as cluster (cluster-robust variance):

    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> fit = cox_ph(d, "pfs_months", "pfs_event",
    ...              [Covariate("sex", level="male", reference="female"), "ecog_0_1"],
    ...              cluster="center")
    >>> fit.to_frame()[["term", "hr", "lower", "upper", "p_value"]].round(3)
                       term     hr  lower  upper  p_value
    0  sex (male vs female)  0.962  0.728  1.271    0.785
    1              ecog_0_1  0.972  0.631  1.497    0.897
    >>> fit.n, fit.n_events, fit.robust_se is not None
    (308, 236, True)
    """
    d = cox_design(
        data,
        time,
        event,
        covariates,
        ties=ties,
        cluster=cluster,
        strata=strata,
        weights=weights,
        start=start,
    )
    est = d.estimable
    lay = _efron.make_layout(d.t, d.e, d.x, d.strata, ties, d.weights, d.entry)
    beta, ev, loglik0, u0_stuff, iters, converged = newton_raphson(lay, d.x.shape[1])
    warnings = list(d.warnings)
    naive_var, vanished = _check_estimate(ev, beta, d, converged, warnings)
    se = np.sqrt(np.diag(naive_var))
    robust_se = None
    robust_score: ChiSquareTest | None = None
    var = naive_var
    # R's default: robust with a cluster or with non-integer case weights
    w = d.weights
    fractional = w is not None and bool((w != np.floor(w)).any())
    use_robust = bool(cluster) or fractional if robust is None else robust
    if cluster and not use_robust:  # R: "cluster specified with robust=FALSE, cluster ignored"
        warnings.append("cluster given with robust=False: the cluster is ignored, as R")
        cluster = None
    if use_robust:
        from captemstats.survival._dist import chi2_sf

        cl = codes(d.sub[cluster], cluster) if cluster else np.arange(len(d.t), dtype=np.intp)
        var, robust_se, rscore = robust_variance(lay, ev, naive_var, cl[lay.order])
        robust_score = ChiSquareTest(rscore, len(beta), float(chi2_sf(rscore, len(beta))))
    terms = _per_term(beta, se, robust_se, vanished, conf_level)
    lr_test, wald_test, score_test = _global_tests(ev, loglik0, var, beta, u0_stuff)
    loglik = ev.loglik
    del ev, w
    return CoxResult(
        terms=[c.name for c in d.covs],
        columns=[c.column for c in d.covs],
        term_of=tuple(d.term_of),
        coef=_widen(terms.coef, est),
        se=_widen(terms.se, est),
        robust_se=None if terms.robust_se is None else _widen(terms.robust_se, est),
        hr=_widen(terms.hr, est),
        lower=_widen(terms.lower, est),
        upper=_widen(terms.upper, est),
        z=_widen(terms.z, est),
        p_value=_widen(terms.p_value, est),
        var=_widen(var, est),
        naive_var=_widen(naive_var, est),
        loglik=loglik,
        loglik_null=loglik0,
        lr_test=lr_test,
        wald_test=wald_test,
        score_test=score_test,
        n=len(d.t),
        n_events=int(d.e.sum()),
        n_excluded=d.n_excluded,
        iterations=iters,
        converged=converged,
        conf_level=conf_level,
        method=_method(ties, cluster, strata, conf_level, weights, use_robust, start),
        warnings=tuple(warnings),
        robust_score_test=robust_score,
        _fit=_efron.FitData(lay, d.t, d.e, d.x, d.strata, ties, est, d.weights, d.entry),
        _beta=beta,
    )


def univariable_cox(
    data: pd.DataFrame,
    time: str,
    event: str,
    covariates: Sequence[str | Covariate | Factor],
    **kwargs: Unpack[CoxOptions],
) -> CoxResultCollection:
    """One Cox model per covariate (each on its own complete cases), collected in order.

    Parameters
    ----------
    data, time, event
        As :func:`cox_ph`.
    covariates
        One model is fitted per entry (a column name or a :class:`Covariate`).
    **kwargs
        Passed to :func:`cox_ph` (``ties``, ``cluster``, ``strata``, ``conf_level``).

    Returns
    -------
    CoxResultCollection
        The models in ``covariates`` order; ``to_frame()`` stacks them with a ``model``
        column.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"t": [2, 3, 4, 5, 6, 7, 8, 9], "e": [1, 1, 0, 1, 1, 0, 1, 1],
    ...                   "x": [1, 0, 1, 0, 1, 0, 0, 1], "z": [1, 1, 0, 0, 1, 0, 1, 0]})
    >>> u = univariable_cox(d, "t", "e", ["x", "z"])
    >>> u.to_frame()[["model", "term", "n"]]
       model term  n
    0      0    x  8
    1      1    z  8
    """
    return CoxResultCollection([cox_ph(data, time, event, [c], **kwargs) for c in covariates])
