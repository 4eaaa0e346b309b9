"""Restricted mean survival time (RMST) equal to R's ``survival`` and ``survRM2``.

The RMST to a truncation time tau is the area under the Kaplan–Meier curve from 0 to tau
(Royston & Parmar 2013, BMC Med Res Methodol 13:152; Uno et al. 2014, J Clin Oncol
32:2380–2385). Per group, with t_1 < … < t_m the distinct times <= tau, S the KM estimate,
d_j events among n_j at risk at t_j:

* RMST = Σ_j (t_{j+1} − t_j) S(t_j), with t_0 = 0, S(t_0) = 1 and t_{m+1} = tau, R's
  ``survival:::survmean`` (``print(fit, rmean = tau)``, ``summary(fit, rmean = tau)$table``);
* Var RMST = Σ_j A_j² d_j / (n_j (n_j − d_j)), A_j = ∫_{t_j}^{tau} S(u) du (the Greenwood-based
  delta method; terms with n_j = d_j are 0), ``se(rmean)`` in R and ``rmst1`` in survRM2;
* CI: RMST ± z SE; the restricted mean time lost RMTL = tau − RMST has the same SE.

Between a group and the reference group (survRM2's ``rmst2``, arm 1 vs arm 0), the groups
independent:

* difference D = RMST_g − RMST_ref, SE = √(Var_g + Var_ref), CI D ± z SE, P = 2Φ(−|D/SE|);
* ratio R = RMST_g / RMST_ref on the log scale: SE(log R) = √(Var_g/RMST_g² + Var_ref/RMST_ref²)
  (delta method), CI exp(log R ± z SE), P = 2Φ(−|log R / SE|); the RMTL ratio likewise.

tau below the smallest observed time (of all groups) is an error, as in R. tau beyond a group's
last observed time: the curve is not estimated there unless it has
fallen to 0. By default this is an error naming survRM2's rule (tau at most the smallest
last time of the groups whose last observation is censored, and at most the largest last
time overall); ``extend=True`` carries S forward flat as ``print.survfit(rmean = tau)`` does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival._inputs import as_event, as_time, columns, group_codes
from captemstats.survival.km import risk_sets

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd


@dataclass(frozen=True, slots=True)
class RMSTEstimate:
    """One group's RMST to ``tau`` with its SE and normal CI, and the RMTL (tau − RMST)."""

    group: str
    n: int
    n_events: int
    tau: float
    rmst: float
    se: float
    lower: float
    upper: float
    rmtl: float
    last_time: float
    extended: bool


@dataclass(frozen=True, slots=True)
class RMSTContrast:
    """A group against the reference: ``measure`` is "difference" (RMST_g − RMST_ref), "ratio"
    (RMST_g / RMST_ref) or "rmtl_ratio" (RMTL_g / RMTL_ref); ``se`` is on the log scale for the
    ratios."""

    group: str
    reference: str
    measure: str
    estimate: float
    se: float
    lower: float
    upper: float
    p_value: float


@dataclass(frozen=True, eq=False, repr=False)
class RMSTResult(Displayed):
    """RMST per group (``estimates``, groups in order) and each group against ``reference``."""

    tau: float
    conf_level: float
    groups: list[str]
    reference: str | None
    estimates: dict[str, RMSTEstimate]
    contrasts: list[RMSTContrast]
    n_excluded: int
    method: MethodInfo

    def _headline(self) -> str:
        return f"tau = {self.tau:g}, {count_words(len(self.groups), 'group')}"

    def summary(self) -> pd.DataFrame:
        """Per group: the restricted mean with its CI (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """One row per group: n, events, tau, rmst, se, lower, upper, rmtl, last_time."""
        import pandas as pd

        return pd.DataFrame([asdict(e) for e in self.estimates.values()])

    def contrasts_frame(self) -> pd.DataFrame:
        """One row per group other than the reference and measure (difference, ratio,
        rmtl_ratio): estimate, se (log scale for ratios), lower, upper, p_value."""
        import pandas as pd

        cols = ["group", "reference", "measure", "estimate", "se", "lower", "upper", "p_value"]
        return pd.DataFrame(
            [{k: getattr(c, k) for k in cols} for c in self.contrasts], columns=cols
        )


def _survmean(
    time: npt.NDArray[np.float64], event: npt.NDArray[np.float64], tau: float
) -> tuple[float, float]:
    """RMST and its variance for one group, step for step as ``survival:::survmean``."""
    uniq, _, d, n = risk_sets(time, event)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.cumprod((n - d) / n)
        hh = np.where(n - d == 0, 0.0, d / (n * (n - d)))
    keep = uniq <= tau
    if not keep.any():
        return float(tau), 0.0
    tt = np.concatenate((uniq[keep], [tau]))
    ss = surv[keep]
    rect = np.diff(np.concatenate(([0.0], tt))) * np.concatenate(([1.0], ss))
    # area from each kept time to tau (R: cumsum(rev(rectangles[-1])))
    tail = np.cumsum(rect[1:][::-1])
    var = float(np.sum(tail**2 * hh[keep][::-1]))
    return float(rect.sum()), var


def _check_tau(tau: float, last: dict[str, tuple[float, bool]], extend: bool) -> None:
    """survRM2's rule for tau; ``last`` maps group -> (last time, curve reached 0 there)."""
    if extend:
        return
    overall = max(t for t, _ in last.values())
    censored = {g: t for g, (t, zero) in last.items() if not zero}
    limit = min([overall, *censored.values()])
    if tau > limit:
        which = min(censored, key=lambda g: censored[g]) if censored and limit < overall else None
        why = (
            f"the last observation of group {which!r} (time {limit:g}) is censored"
            if which is not None
            else f"the largest observed time is {overall:g}"
        )
        raise AnalysisError(
            f"rmst: tau = {tau:g} is beyond where the Kaplan-Meier curve is estimated: {why}. "
            "Rule (survRM2): tau must not exceed the last observed time of any group whose "
            "last observation is censored, nor the largest observed time; pass extend=True to "
            "carry S(t) forward flat as R's print(survfit, rmean = tau) does"
        )


def _contrast(
    g: str, ref: str, measure: str, a: float, va: float, b: float, vb: float, z: float
) -> RMSTContrast:
    from captemstats.survival._dist import norm_sf

    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "difference":
            est = a - b
            se = float(np.sqrt(va + vb))
            lo, hi, stat = est - z * se, est + z * se, np.float64(est) / se
        else:
            est = float(np.float64(a) / b)
            se = float(np.sqrt(np.float64(va) / a**2 + np.float64(vb) / b**2))
            lr = np.log(np.float64(a) / b)
            lo, hi, stat = float(np.exp(lr - z * se)), float(np.exp(lr + z * se)), lr / se
    p = float(2 * norm_sf(abs(stat))) if not np.isnan(stat) else float("nan")
    return RMSTContrast(g, ref, measure, float(est), se, float(lo), float(hi), p)


def _check_options(tau: float, conf_level: float) -> float:
    """tau as a finite float > 0 and conf_level in (0, 1)."""
    tau = float(tau)
    if not np.isfinite(tau) or tau <= 0:
        raise AnalysisError(f"rmst: tau {tau!r} must be a finite time > 0")
    if not 0 < conf_level < 1:
        raise AnalysisError(f"rmst: conf_level {conf_level!r} is not in (0, 1)")
    return tau


def _last_times(
    t: npt.NDArray[np.float64],
    e: npt.NDArray[np.float64],
    labels: list[str],
    codes: npt.NDArray[np.intp],
    tau: float,
) -> dict[str, tuple[float, bool]]:
    """Refuse tau before the smallest observed time (R's ``survmean``) and map each group to
    its last time and whether its curve reached 0 there (all of its last rows are events)."""
    first = float(t[codes >= 0].min())
    if tau < first:
        raise AnalysisError(
            f"rmst: tau = {tau:g} is before the smallest observed time ({first:g}); R's "
            "summary/print.survfit(rmean = tau) refuse a truncation point < smallest survival"
        )
    last: dict[str, tuple[float, bool]] = {}
    for k, g in enumerate(labels):
        sel = codes == k
        tmax = float(t[sel].max())
        last[g] = (tmax, bool(np.all(e[sel][t[sel] == tmax] == 1)))
    return last


def _estimates(
    t: npt.NDArray[np.float64],
    e: npt.NDArray[np.float64],
    labels: list[str],
    codes: npt.NDArray[np.intp],
    tau: float,
    z: float,
    last: dict[str, tuple[float, bool]],
) -> dict[str, RMSTEstimate]:
    """Each group's RMST (``survival:::survmean``) with survRM2 ``rmst1``'s normal CI."""
    est: dict[str, RMSTEstimate] = {}
    for k, g in enumerate(labels):
        sel = codes == k
        m, v = _survmean(t[sel], e[sel], tau)
        se = float(np.sqrt(v))
        est[g] = RMSTEstimate(
            g,
            int(sel.sum()),
            int(e[sel].sum()),
            tau,
            m,
            se,
            m - z * se,
            m + z * se,
            tau - m,
            last[g][0],
            tau > last[g][0],
        )
    return est


def _contrasts(
    est: dict[str, RMSTEstimate], labels: list[str], reference: str | None, z: float
) -> tuple[str | None, list[RMSTContrast]]:
    """The reference group (default the first of several) and survRM2 ``rmst2``'s difference,
    ratio and RMTL ratio of every other group against it."""
    if reference is not None and reference not in est:
        raise AnalysisError(f"rmst: no reference group {reference!r}; groups are {labels}")
    ref = reference if reference is not None else (labels[0] if len(labels) > 1 else None)
    contrasts: list[RMSTContrast] = []
    if ref is not None:
        r = est[ref]
        for g in labels:
            if g == ref:
                continue
            a = est[g]
            va, vr = a.se**2, r.se**2
            contrasts += [
                _contrast(g, ref, "difference", a.rmst, va, r.rmst, vr, z),
                _contrast(g, ref, "ratio", a.rmst, va, r.rmst, vr, z),
                _contrast(g, ref, "rmtl_ratio", a.rmtl, va, r.rmtl, vr, z),
            ]
    return ref, contrasts


def _method(tau: float, conf_level: float, extend: bool) -> MethodInfo:
    """The method record, naming the equivalent survival and survRM2 calls."""
    return MethodInfo(
        test="restricted mean survival time (area under the Kaplan-Meier curve to tau)",
        ci_method="normal; ratios on the log scale (delta method)",
        conf_level=conf_level,
        variance="Greenwood-based delta method (survival:::survmean)",
        software_equivalent=(
            f"R print(survfit(Surv(time, event) ~ group), rmean = {tau:g}); "
            f"survRM2::rmst2(time, status, arm, tau = {tau:g})"
        ),
        notes=(
            "Royston & Parmar 2013; Uno et al. 2014",
            "contrasts: each group vs the reference, groups independent",
        )
        + (("S(t) carried forward beyond the last observed time (extend=True)",) if extend else ()),
    )


def rmst(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    *,
    by: npt.ArrayLike | Sequence[object] | None = None,
    tau: float,
    conf_level: float = 0.95,
    reference: str | None = None,
    extend: bool = False,
    data: pd.DataFrame | None = None,
) -> RMSTResult:
    """Restricted mean survival time to ``tau`` by group, with between-group contrasts.

    Per group equal to R ``summary(survfit(Surv(time, event) ~ group), rmean = tau)$table``
    (``rmean``, ``se(rmean)``); CIs and contrasts (difference, ratio, RMTL ratio) as
    ``survRM2::rmst2`` (see the module docstring for the formulas).

    Parameters
    ----------
    time, event
        Survival times (>= 0) and event indicators (1 = event, 0 = censored).
    by
        Optional group labels (a categorical's order, else sorted); rows with a missing group
        are excluded and counted in ``n_excluded``.
    tau
        Truncation time (> 0).
    conf_level
        Confidence level of the per-group and contrast intervals.
    reference
        The group the others are compared with; default the first group.
    extend
        Allow tau beyond a group's last observed time (S carried forward flat, R survival's
        behaviour); by default that is an error naming survRM2's rule.
    data
        Optional DataFrame: any argument given as a string is then the name of a column of
        ``data`` (pingouin's and gtsummary's style), e.g.
        ``rmst("os_months", "os_event", by="line_group", tau=36, data=d)``.

    Returns
    -------
    RMSTResult
        ``estimates`` per group, ``contrasts`` of each other group against ``reference``,
        ``to_frame()`` / ``contrasts_frame()`` and the method record.

    Examples
    --------
    >>> r = rmst([2, 3, 5, 7, 8, 9], [1, 0, 1, 1, 0, 1], by=["a", "b"] * 3, tau=7)
    >>> round(r.estimates["a"].rmst, 4), r.contrasts[0].measure
    (4.6667, 'difference')
    """
    time, event, by = columns(data, time, event, by)
    from captemstats.survival._dist import norm_ppf

    tau = _check_options(tau, conf_level)
    t = as_time(time)
    e = as_event(event, len(t))
    labels, codes, n_excl = group_codes(by, len(t))
    if len(t) - n_excl == 0:
        raise AnalysisError("rmst: no observations")
    last = _last_times(t, e, labels, codes, tau)
    _check_tau(tau, last, extend)
    z = float(norm_ppf(1 - (1 - conf_level) / 2))
    est = _estimates(t, e, labels, codes, tau, z, last)
    ref, contrasts = _contrasts(est, labels, reference, z)
    method = _method(tau, conf_level, extend)
    return RMSTResult(tau, conf_level, labels, ref, est, contrasts, n_excl, method)
