"""The peers of captemstats.survival that ``bench_survival.py`` runs side by side with it.

Each peer turns the benchmark's data frame into the same three calls — Kaplan–Meier by group,
the log-rank test across the groups, Cox with the 8 covariates and Efron ties — and reduces what
each call returns to a common summary (the curves, the chi-square, coefficients / standard
errors / log partial likelihood), so that every peer can be checked against ours. A peer is
optional: it is imported only when it is installed (``pip install -e '.[bench]'``), and by
``importlib`` so that this module type-checks without it.

* ``survival`` (PyPI): the Rust port of R's survival, called with R's formulas on the frame.
* ``greenwood``: numpy / scipy, R-validated; ``KaplanMeier().fit(Surv, by=group)``,
  ``logrank_test(Surv, group)``, ``CoxPH(ties="efron").fit(Surv, X)``.
* ``lifelines``: ``KaplanMeierFitter`` once per group (it has no grouped fit),
  ``multivariate_logrank_test``, ``CoxPHFitter`` (always Efron).

Each peer's Cox fit is timed with its default settings. lifelines' default stopping rule
(step norm < 1e-7) leaves its coefficients ~1e-6 (relative) short of the maximum, so the
cross-check fits it once more, untimed, with tight tolerances (``Peer.check``) and compares
that: it measures the likelihood that is maximised, not where a solver stops. greenwood stops
by R's rule (relative change of the log likelihood < 1e-9), but on uncentred covariates and
with its own Newton steps; tighter tolerances do not bring it closer (the log likelihood no
longer changes in double precision), so it is compared as it is.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from captemstats.survival import cox_ph, kaplan_meier, logrank_test

COVARIATES = [f"x{i}" for i in range(1, 9)]
STEPS = ("km", "logrank", "cox8")
COX_FORMULA = "Surv(time, event) ~ " + " + ".join(COVARIATES)
LIFELINES_TIGHT = {"precision": 1e-14, "r_precision": 1e-16, "max_steps": 100}

FloatArray = npt.NDArray[np.float64]
Curves = dict[str, tuple[FloatArray, FloatArray]]
"""group label -> (times, survival) of a step function."""


@dataclass(frozen=True)
class CoxStats:
    coef: FloatArray
    se: FloatArray
    loglik: float


Summary = Curves | float | CoxStats
Calls = dict[str, Callable[[], Any]]


@dataclass(frozen=True)
class Peer:
    """``calls(d)``: step -> the timed call; ``summarize(step, result)``: its common summary;
    ``check(d)``: step -> the call whose answer is compared with ours, where not the timed one."""

    name: str
    module: str
    engine: str
    calls: Callable[[pd.DataFrame], Calls]
    summarize: Callable[[str, Any], Summary]
    check: Callable[[pd.DataFrame], Calls] | None = None
    """Untimed variants (tight tolerances) of some steps, compared instead of the timed ones."""

    def installed(self) -> bool:
        return importlib.util.find_spec(self.module) is not None


def _f(x: Any) -> FloatArray:
    return np.asarray(x, dtype=np.float64)


# --- captemstats (ours) -------------------------------------------------------------------


def _ours_calls(d: pd.DataFrame) -> Calls:
    return {
        "km": lambda: kaplan_meier(d["time"], d["event"], by=d["group"]),
        "logrank": lambda: logrank_test(d["time"], d["event"], d["group"]),
        "cox8": lambda: cox_ph(d, "time", "event", COVARIATES, ties="efron"),
    }


def _ours_summary(step: str, r: Any) -> Summary:
    if step == "km":
        return {g: (_f(c.time), _f(c.surv)) for g, c in r.curves.items()}
    if step == "logrank":
        return float(r.chisq)
    return CoxStats(_f(r.coef), _f(r.se), float(r.loglik))


# --- survival (PyPI, Rust port of R's survival) -------------------------------------------


def _survival_calls(d: pd.DataFrame) -> Calls:
    sv = importlib.import_module("survival")
    return {
        "km": lambda: sv.survfit("Surv(time, event) ~ group", data=d),
        "logrank": lambda: sv.survdiff("Surv(time, event) ~ group", data=d),
        "cox8": lambda: sv.coxph(COX_FORMULA, data=d, ties="efron"),
    }


def _survival_summary(step: str, r: Any) -> Summary:
    if step == "km":
        time, surv = _f(r.time), _f(r.surv)
        out: Curves = {}
        start = 0
        for name, count in r.strata.items():  # "group=1": rows, in the order of time / surv
            stop = start + int(count)
            out[str(name).split("=", 1)[1]] = (time[start:stop], surv[start:stop])
            start = stop
        return out
    if step == "logrank":
        return float(r.chisq)
    return CoxStats(_f(r.coefficients), np.sqrt(np.diag(_f(r.var))), float(r.loglik[-1]))


# --- greenwood ----------------------------------------------------------------------------


def _greenwood_calls(d: pd.DataFrame) -> Calls:
    gw = importlib.import_module("greenwood")

    def surv() -> Any:
        return gw.Surv(time=d["time"].to_numpy(), event=d["event"].to_numpy())

    return {
        "km": lambda: gw.KaplanMeier().fit(surv(), by=d["group"].to_numpy()),
        "logrank": lambda: gw.logrank_test(surv(), d["group"].to_numpy()),
        "cox8": lambda: gw.CoxPH(ties="efron").fit(surv(), d[COVARIATES].to_numpy()),
    }


def _greenwood_summary(step: str, r: Any) -> Summary:
    if step == "km":
        strata = np.asarray(r.strata_).astype(str)
        time, surv = _f(r.time_), _f(r.survival_)
        return {g: (time[strata == g], surv[strata == g]) for g in np.unique(strata)}
    if step == "logrank":
        return float(r.statistic)
    return CoxStats(_f(r.coef_), _f(r.std_error_), float(r.loglik_))


# --- lifelines ----------------------------------------------------------------------------


def _lifelines_calls(d: pd.DataFrame) -> Calls:
    ll = importlib.import_module("lifelines")
    stats = importlib.import_module("lifelines.statistics")
    cox_frame = d[["time", "event", *COVARIATES]]

    def km() -> dict[str, Any]:
        return {
            str(g): ll.KaplanMeierFitter().fit(sub["time"], sub["event"])
            for g, sub in d.groupby("group")
        }

    return {
        "km": km,
        "logrank": lambda: stats.multivariate_logrank_test(d["time"], d["group"], d["event"]),
        "cox8": lambda: ll.CoxPHFitter().fit(cox_frame, "time", "event"),
    }


def _lifelines_check(d: pd.DataFrame) -> Calls:
    ll = importlib.import_module("lifelines")
    cox_frame = d[["time", "event", *COVARIATES]]
    return {
        "cox8": lambda: ll.CoxPHFitter().fit(
            cox_frame, "time", "event", fit_options=LIFELINES_TIGHT
        )
    }


def _lifelines_summary(step: str, r: Any) -> Summary:
    if step == "km":
        return {
            g: (_f(f.survival_function_.index), _f(f.survival_function_.iloc[:, 0]))
            for g, f in r.items()
        }
    if step == "logrank":
        return float(r.test_statistic)
    return CoxStats(
        _f(r.params_[COVARIATES]), _f(r.standard_errors_[COVARIATES]), float(r.log_likelihood_)
    )


OURS = Peer("captemstats", "captemstats", "numpy", _ours_calls, _ours_summary)
PEERS = [
    Peer("survival", "survival", "Rust", _survival_calls, _survival_summary),
    Peer("greenwood", "greenwood", "numpy", _greenwood_calls, _greenwood_summary),
    Peer(
        "lifelines",
        "lifelines",
        "numpy/pandas",
        _lifelines_calls,
        _lifelines_summary,
        _lifelines_check,
    ),
]


def by_name(name: str) -> Peer:
    for p in [OURS, *PEERS]:
        if p.name == name:
            return p
    raise KeyError(name)


# --- agreement ----------------------------------------------------------------------------


def _rel(a: FloatArray, b: FloatArray) -> float:
    """max |a - b| / |b| (|a - b| itself where b == 0); inf when the shapes differ."""
    if a.shape != b.shape:
        return float("inf")
    if a.size == 0:
        return 0.0
    diff = np.abs(a - b)
    scale = np.abs(b)
    return float(np.max(np.where(scale > 0, diff / np.where(scale > 0, scale, 1.0), diff)))


def _step_at(time: FloatArray, surv: FloatArray, at: FloatArray) -> FloatArray:
    """The right-continuous step function (time, surv), 1 before its first time, at ``at``."""
    order = np.argsort(time, kind="stable")
    t, s = time[order], surv[order]
    idx = np.searchsorted(t, at, side="right") - 1
    return np.where(idx >= 0, s[np.maximum(idx, 0)], 1.0)


def max_rel_diff(step: str, theirs: Summary, ours: Summary) -> tuple[float, str]:
    """Largest relative difference of a peer's summary from ours, and what it was on:
    KM survival at every time of our curves, the log-rank chi-square, or the Cox
    coefficients, standard errors and log partial likelihood."""
    if step == "km":
        assert isinstance(theirs, dict) and isinstance(ours, dict)
        if set(theirs) != set(ours):
            return float("inf"), f"groups {sorted(theirs)} != {sorted(ours)}"
        worst = 0.0
        for g, (t, s) in ours.items():
            worst = max(worst, _rel(_step_at(*theirs[g], at=t), s))
        return worst, "S(t)"
    if step == "logrank":
        assert isinstance(theirs, float) and isinstance(ours, float)
        return _rel(np.array([theirs]), np.array([ours])), "chisq"
    assert isinstance(theirs, CoxStats) and isinstance(ours, CoxStats)
    parts = {
        "coef": _rel(theirs.coef, ours.coef),
        "se": _rel(theirs.se, ours.se),
        "loglik": _rel(np.array([theirs.loglik]), np.array([ours.loglik])),
    }
    label = ", ".join(f"{k} {v:.1e}" for k, v in parts.items())
    return max(parts.values()), label
