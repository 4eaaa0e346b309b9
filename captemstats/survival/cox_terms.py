"""Joint tests of the terms of a fitted Cox model: a multi-level :class:`Factor` is one term.

Per term, the Wald test of all its coefficients together (b' V⁻¹ b on the term's block of the
model's variance — the cluster-robust one when the fit has a cluster, as ``vcov(fit)`` in R)
and the likelihood-ratio test of dropping it (the model refitted without the term's columns
on the same rows, R's ``drop1(fit, test = "Chisq")``; R refuses ``drop1`` when dropping a term
would change the rows used, and so does this module, by refitting on the fitted rows only).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import MethodInfo
from captemstats.survival import _efron
from captemstats.survival._alias import wtest
from captemstats.survival._coxfit import newton_raphson

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

__all__ = ["FittedModel", "TermTests", "cox_term_tests"]


class FittedModel(Protocol):
    """What :func:`cox_term_tests` reads from a fitted model (a
    :class:`~captemstats.survival.cox.CoxResult`); a protocol, so that this module does not
    import ``cox`` (which imports this one for ``CoxResult.term_tests``)."""

    @property
    def terms(self) -> list[str]: ...
    @property
    def term_of(self) -> tuple[str, ...]: ...
    @property
    def coef(self) -> npt.NDArray[np.float64]: ...
    @property
    def var(self) -> npt.NDArray[np.float64]: ...
    @property
    def robust_se(self) -> npt.NDArray[np.float64] | None: ...
    @property
    def loglik(self) -> float: ...
    @property
    def loglik_null(self) -> float: ...
    @property
    def _fit(self) -> _efron.FitData | None: ...


@dataclass(frozen=True, eq=False)
class TermTests:
    """Per term (in model order): its model columns, degrees of freedom, the joint Wald
    chi-square and P and the likelihood-ratio (drop-one) chi-square and P."""

    terms: list[str]
    columns: list[tuple[str, ...]]
    df: npt.NDArray[np.int64]
    wald_chisq: npt.NDArray[np.float64]
    wald_p_value: npt.NDArray[np.float64]
    lr_chisq: npt.NDArray[np.float64]
    lr_p_value: npt.NDArray[np.float64]
    robust: bool
    method: MethodInfo

    def to_frame(self) -> pd.DataFrame:
        """One row per term: term, n_columns, df, wald_chisq, wald_p_value, lr_chisq,
        lr_p_value."""
        import pandas as pd

        return pd.DataFrame(
            {
                "term": self.terms,
                "n_columns": [len(c) for c in self.columns],
                "df": self.df,
                "wald_chisq": self.wald_chisq,
                "wald_p_value": self.wald_p_value,
                "lr_chisq": self.lr_chisq,
                "lr_p_value": self.lr_p_value,
            }
        )


def term_groups(terms: list[str], term_of: tuple[str, ...]) -> dict[str, list[int]]:
    """Model-column positions of each term, in model order (R's ``fit$assign``): columns
    sharing a ``term_of`` name form one term; without ``term_of``, one term per column."""
    names = list(term_of) if term_of else list(terms)
    groups: dict[str, list[int]] = {}
    for j, name in enumerate(names):
        groups.setdefault(name, []).append(j)
    return groups


def cox_term_tests(result: FittedModel) -> TermTests:
    """Wald and likelihood-ratio tests of each term of a Cox model, jointly over its columns.

    Method: for a term with columns J (its estimable ones; an aliased, NA coefficient adds no
    degree of freedom), the Wald statistic b_J' V_JJ⁻¹ b_J on df = ``|J|`` with V the model's
    variance (cluster-robust when the model has a cluster; R's pivoting solve,
    ``coxph.wtest``), and the likelihood ratio 2 (ℓ − ℓ₋J) with ℓ₋J the maximised partial
    likelihood without J on the same rows, ties and strata (R ``drop1(fit, test =
    "Chisq")``; the null likelihood when J is every column). A one-column term gives the
    square of its z on the Wald side.

    Parameters
    ----------
    result
        A fitted :func:`~captemstats.survival.cox_ph` model.

    Returns
    -------
    TermTests
        One row per term (``to_frame()``).

    Raises
    ------
    AnalysisError
        The result carries no fitted data.

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.survival import Factor, cox_ph
    >>> d = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 2, 6, 11, 13],
    ...                   "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 0, 1],
    ...                   "g": list("abcabcabcabc"), "x": [1, 0, 1, 1, 0, 0, 1, 0, 1, 0, 1, 0]})
    >>> fit = cox_ph(d, "t", "e", [Factor("g"), "x"])
    >>> fit.terms
    ['g: b vs a', 'g: c vs a', 'x']
    >>> fit.term_tests().to_frame()[["term", "df"]]
      term  df
    0    g   2
    1    x   1
    """
    fit = result._fit
    if fit is None:
        raise AnalysisError("cox_term_tests: the Cox result carries no fitted data")
    groups = term_groups(result.terms, result.term_of)
    est = fit.estimable
    # position of each model column among the estimable (fitted) columns; -1 when aliased
    fitted_pos = np.cumsum(est) - 1
    coef = np.asarray(result.coef, dtype=np.float64)
    names, cols, df, wald, lr = [], [], [], [], []
    for name, members in groups.items():
        kept = [j for j in members if est[j]]
        names.append(name)
        cols.append(tuple(result.terms[j] for j in members))
        df.append(len(kept))
        if not kept:
            wald.append(np.nan)
            lr.append(np.nan)
            continue
        block = np.ix_(kept, kept)
        wald.append(wtest(np.asarray(result.var)[block], coef[kept]))
        drop = np.ones(fit.x.shape[1], dtype=bool)
        drop[fitted_pos[kept]] = False
        lr.append(2.0 * (result.loglik - _reduced_loglik(fit, drop, result.loglik_null)))
    from captemstats.survival._dist import chi2_sf

    dfa = np.asarray(df, dtype=np.int64)
    w, lrs = np.asarray(wald, dtype=np.float64), np.asarray(lr, dtype=np.float64)
    safe = np.maximum(dfa, 1)
    return TermTests(
        terms=names,
        columns=cols,
        df=dfa,
        wald_chisq=w,
        wald_p_value=np.where(dfa > 0, chi2_sf(w, safe), np.nan),
        lr_chisq=lrs,
        lr_p_value=np.where(dfa > 0, chi2_sf(lrs, safe), np.nan),
        robust=result.robust_se is not None,
        method=_method(result.robust_se is not None),
    )


def _reduced_loglik(fit: _efron.FitData, keep: npt.NDArray[np.bool_], null: float) -> float:
    """Maximised partial log-likelihood of the model on the fitted rows with only the
    ``keep`` columns (the null log-likelihood when none is kept)."""
    if not keep.any():
        return null
    x = np.ascontiguousarray(fit.x[:, keep])
    lay = _efron.make_layout(fit.time, fit.event, x, fit.strata, fit.ties, fit.weights, fit.entry)
    _, ev, _, _, _, converged = newton_raphson(lay, x.shape[1])
    if not converged:
        raise AnalysisError(
            "cox_term_tests: the model without a term did not converge; its likelihood-ratio "
            "test is not available"
        )
    return float(ev.loglik)


def _method(robust: bool) -> MethodInfo:
    """The method record of the term tests, naming the R equivalents."""
    return MethodInfo(
        test="Joint Wald and likelihood-ratio (drop-one) tests per model term",
        variance="cluster-robust sandwich" if robust else "model-based (inverse information)",
        software_equivalent=(
            "R survival: drop1(fit, test = 'Chisq') for the likelihood ratio; "
            "b' solve(vcov(fit)[J, J]) b for the Wald test"
        ),
        notes=(
            ("the likelihood-ratio test assumes independence within clusters",) if robust else ()
        ),
    )
