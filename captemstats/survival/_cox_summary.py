"""The summary of a fitted Cox model: per-term statistics, the estimate's checks, the
concordance and the method record, as R's ``coxph.fit`` and ``summary.coxph`` compute them.

Kept apart from :mod:`captemstats.survival.cox` so that the fitting module stays short.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import MethodInfo
from captemstats.survival import _efron
from captemstats.survival._alias import chol_ginverse
from captemstats.survival._cox_design import CoxDesign
from captemstats.survival._coxfit import EPS, ITER_MAX, concordance_counts

if TYPE_CHECKING:
    import numpy.typing as npt


def _widen(v: npt.NDArray[np.float64], keep: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Per-term values back on all model columns: NaN (R's NA) for an aliased coefficient, and
    zero rows/columns of a variance matrix, as R's ``fit$var``."""
    if keep.all():
        return v
    if v.ndim == 1:
        out = np.full(len(keep), np.nan)
        out[keep] = v
        return out
    full = np.zeros((len(keep), len(keep)))
    full[np.ix_(keep, keep)] = v
    return full


def _check_estimate(
    ev: _efron.Eval,
    beta: npt.NDArray[np.float64],
    design: CoxDesign,
    converged: bool,
    warnings: list[str],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """The model-based variance at the estimate and which coefficients vanished, appending
    ``coxph.fit``'s warnings (no convergence, possibly infinite coefficients) to ``warnings``."""
    if not np.isfinite(ev.imat).all():
        raise AnalysisError(
            "cox_ph: the information matrix at the estimate is not finite: a coefficient "
            "diverges (monotone likelihood)"
        )
    # R's generalised inverse: a coefficient whose information vanished at the estimate (a
    # monotone likelihood drives it to rounding level) gets variance 0 and is reported NA
    naive_var, vanished = chol_ginverse(ev.imat)
    if not converged:
        warnings.append(f"Newton-Raphson did not converge in {ITER_MAX} iterations")
    # R's check for infinite coefficients (coxph.fit, toler.inf = sqrt(eps))
    infs = np.abs(ev.score @ naive_var)
    bad = (infs > np.sqrt(EPS) * (1 + np.abs(beta))) | vanished
    if bad.any():
        kept = [n for n, k in zip(design.names, design.estimable, strict=True) if k]
        warnings.append(
            "coefficient may be infinite: "
            + ", ".join(n for n, b in zip(kept, bad, strict=True) if b)
        )
    return naive_var, vanished


@dataclass(frozen=True, slots=True)
class _Terms:
    """Per-term statistics on the estimable columns, NaN where a coefficient vanished."""

    coef: npt.NDArray[np.float64]
    se: npt.NDArray[np.float64]
    robust_se: npt.NDArray[np.float64] | None
    hr: npt.NDArray[np.float64]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]
    z: npt.NDArray[np.float64]
    p_value: npt.NDArray[np.float64]


def _per_term(
    beta: npt.NDArray[np.float64],
    se: npt.NDArray[np.float64],
    robust_se: npt.NDArray[np.float64] | None,
    vanished: npt.NDArray[np.bool_],
    conf_level: float,
) -> _Terms:
    """R's ``summary.coxph`` table: HR, its Wald CI, z and P (on the robust SE if given)."""
    from captemstats.survival._dist import norm_ppf, norm_sf

    use_se = robust_se if robust_se is not None else se
    zc = float(norm_ppf(1 - (1 - conf_level) / 2))
    with np.errstate(over="ignore"):  # an infinite coefficient gives an infinite HR, as R
        hr = np.exp(beta)
        lower = np.exp(beta - zc * use_se)
        upper = np.exp(beta + zc * use_se)
    with np.errstate(divide="ignore", invalid="ignore"):  # se 0 where the information vanished
        z = beta / use_se
    pval = 2 * norm_sf(np.abs(z))
    shown = beta
    if vanished.any():  # R: coef[which.sing] <- NA, and with it every per-term statistic
        shown, se, hr, lower, upper, z, pval = (
            np.where(vanished, np.nan, v) for v in (beta, se, hr, lower, upper, z, pval)
        )
        if robust_se is not None:
            robust_se = np.where(vanished, np.nan, robust_se)
    return _Terms(shown, se, robust_se, hr, lower, upper, z, pval)


def row_products(
    x: npt.NDArray[np.float64], beta: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """``x @ beta`` accumulated column by column, as R's ``x %*% coef`` on its column-major
    model matrix: each row's sum is formed in the same order whatever its position, so
    identical covariate rows get identical linear predictors and the concordance counts
    their ties as R does. (A BLAS ``x @ beta`` processes rows in SIMD blocks and can round
    the same row differently at different positions: on the shipped registry it split 5 of
    R's 443 ``tied.x`` pairs.)

    Examples
    --------
    >>> x = np.array([[1.0, 0.1, 0.7]] * 5)
    >>> len(set(row_products(x, np.array([0.3, -0.2, 0.11])).tolist()))
    1
    """
    out = np.zeros(x.shape[0])
    for j in range(x.shape[1]):
        out += x[:, j] * beta[j]
    return out


def concordance_of(
    fit: _efron.FitData, beta: npt.NDArray[np.float64]
) -> tuple[float, dict[str, float]]:
    """R's default concordance of a fitted model: Harrell's C of the linear predictor within
    strata (``concordance(fit)``: concordant, discordant and x-tied pairs; C = (concordant +
    tied.x / 2) / their sum), with the counts."""
    lp = row_products(fit.x, beta)
    cc = concordance_counts(fit.time, fit.event, lp, fit.strata, fit.weights, fit.entry)
    denom = cc["concordant"] + cc["discordant"] + cc["tied.x"]
    conc = (cc["concordant"] + cc["tied.x"] / 2) / denom if denom > 0 else np.nan
    return float(conc), cc


def _method(
    ties: str,
    cluster: str | None,
    strata: str | None,
    conf_level: float,
    weights: str | None = None,
    robust: bool = False,
    start: str | None = None,
) -> MethodInfo:
    """The method record of a Cox fit, naming the equivalent ``survival::coxph`` call."""
    if cluster:
        variance = "cluster-robust sandwich (grouped dfbeta)"
    elif robust:
        variance = "robust sandwich (dfbeta, each subject its own cluster)"
    else:
        variance = "model-based (inverse information)"
    notes: tuple[str, ...] = ()
    if cluster or robust:
        notes += ("likelihood-ratio test assumes independence within clusters",)
    if weights:
        notes += (f"case weights from {weights!r} (weighted Efron/Breslow as R's coxfit6)",)
    return MethodInfo(
        test="Cox proportional-hazards regression, Wald test per term",
        ci_method="Wald",
        ci_transform="exp(coef ± z·se)",
        conf_level=conf_level,
        ties=ties,
        variance=variance,
        software_equivalent=(
            "R survival::coxph(Surv("
            + (f"{start}, " if start else "")
            + "time, event) ~ terms"
            + (f" + strata({strata})" if strata else "")
            + f", ties = '{ties}'"
            + (f", weights = {weights}" if weights else "")
            + (f", cluster = {cluster}" if cluster else "")
            + (", robust = TRUE" if robust and not cluster else "")
            + ")"
        ),
        notes=notes,
    )
