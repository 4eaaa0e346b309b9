"""Pointwise confidence limits of a Kaplan–Meier curve for every R ``conf.type``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np

from captemstats.errors import AnalysisError

if TYPE_CHECKING:
    import numpy.typing as npt

ConfType = Literal["log", "plain", "log-log", "logit", "arcsin", "none"]
CONF_TYPES: tuple[str, ...] = ("log", "plain", "log-log", "logit", "arcsin", "none")


def confidence_limits(
    surv: npt.NDArray[np.float64],
    se_log: npt.NDArray[np.float64],
    conf_type: str,
    conf_level: float,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Pointwise CI of S(t) from the standard error of the cumulative hazard, as R's
    ``survival:::survfit_confint`` (plain: S ± z·se·S clipped to [0, 1]; log: exp(log S ± z·se),
    upper capped at 1, missing where S = 0; log-log: exp(-exp(log(-log S) ∓ z·se/log S)),
    missing where S is 0 or 1; logit: expit(logit S ∓ z·se/(1 - S)); arcsin:
    sin²(asin √S ∓ z·se/2·√(S/(1 - S))) kept in [0, π/2]; both missing where S is 0 or 1, as
    R's arithmetic gives NA there; none: no limits, all NaN)."""
    from captemstats.survival._dist import norm_ppf

    z = float(norm_ppf(1 - (1 - conf_level) / 2))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "plain":
            se2 = se_log * surv * z
            # np.maximum/np.minimum propagate NaN as R's pmax/pmin do
            return np.maximum(surv - se2, 0.0), np.minimum(surv + se2, 1.0)
        if conf_type == "log":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * se_log
            return np.exp(np.log(xx) - se2), np.minimum(np.exp(np.log(xx) + se2), 1.0)
        if conf_type == "log-log":
            xx = np.where((surv == 0) | (surv == 1), np.nan, surv)
            se2 = z * se_log / np.log(xx)
            lower = np.exp(-np.exp(np.log(-np.log(xx)) - se2))
            upper = np.exp(-np.exp(np.log(-np.log(xx)) + se2))
            return lower, upper
        if conf_type == "logit":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = z * se_log * (1 + xx / (1 - xx))
            lg = np.log(surv / (1 - surv))
            return 1 - 1 / (1 + np.exp(lg - se2)), 1 - 1 / (1 + np.exp(lg + se2))
        if conf_type == "arcsin":
            xx = np.where(surv == 0, np.nan, surv)
            se2 = 0.5 * z * se_log * np.sqrt(xx / (1 - xx))
            a = np.arcsin(np.sqrt(xx))
            return np.sin(np.maximum(0.0, a - se2)) ** 2, np.sin(
                np.minimum(np.pi / 2, a + se2)
            ) ** 2
        if conf_type == "none":
            empty = np.full(surv.shape, np.nan)
            return empty, empty.copy()
    raise AnalysisError(f"conf_type {conf_type!r} is not one of {', '.join(CONF_TYPES)}")
