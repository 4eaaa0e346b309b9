"""Kaplan–Meier estimation equal to R's ``survival::survfit`` (survival 3.5).

Differences from lifelines, each implemented here the R way (see issue 4):

* confidence intervals use R's ``conf.type`` (default ``"log"``; also ``"plain"``,
  ``"log-log"``, ``"logit"``, ``"arcsin"`` and ``"none"``) with Greenwood's variance of the
  cumulative hazard — lifelines only offers the log-log ("exponential Greenwood") form;
* quantiles (the median) and their CIs follow ``quantile.survfit``: when S(t) equals 1 - p
  within ``sqrt(.Machine$double.eps)`` over an interval, the quantile is that interval's
  midpoint; the CI limits are where the upper / lower curves cross 1 - p;
* numbers at risk at a time t count subjects with time >= t (``summary(fit, times=)``),
  not those just after t;
* where S falls to 0 the log and log-log limits are missing (R's ``NA``), not a number.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival._confint import CONF_TYPES, ConfType, confidence_limits
from captemstats.survival._inputs import ALL as ALL  # re-exported
from captemstats.survival._inputs import (
    as_event,
    as_time,
    as_weights,
    columns,
    group_codes,
    select_group,
)
from captemstats.survival._inputs import label_str as label_str  # re-exported

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

_TOL = float(np.sqrt(np.finfo(float).eps))
__all__ = [
    "ALL",
    "CONF_TYPES",
    "ConfType",
    "KaplanMeierResult",
    "MedianEstimate",
    "confidence_limits",
    "find_quantile",
    "kaplan_meier",
    "label_str",
]


@dataclass(frozen=True, slots=True)
class MedianEstimate:
    """A survival quantile (the median by default) with its confidence interval.

    ``estimate`` is ``None`` and ``reached`` is False when the curve never falls to 1 - p
    ("not reached"); ``upper`` is ``None`` when the upper confidence curve never falls to it
    (upper limit not reached); ``lower`` is ``None`` when the lower curve never does.

    Examples
    --------
    >>> from captemstats.survival import kaplan_meier
    >>> km = kaplan_meier([3, 5, 6, 8, 10, 12, 14, 15, 18, 22], [1, 1, 0, 1, 1, 0, 1, 1, 0, 0])
    >>> m = km.median
    >>> m["(all)"].estimate, m["(all)"].lower, m["(all)"].upper, m["(all)"].upper_reached
    (14.0, 8.0, None, False)
    """

    estimate: float | None
    lower: float | None
    upper: float | None
    reached: bool
    quantile: float = 0.5
    conf_level: float = 0.95
    conf_type: str = "log"

    @property
    def upper_reached(self) -> bool:
        return self.upper is not None

    @property
    def lower_reached(self) -> bool:
        return self.lower is not None


def find_quantile(
    time: npt.NDArray[np.float64], surv: npt.NDArray[np.float64], p: float
) -> float | None:
    """The time at which a step curve first falls to 1 - p: R's ``survival:::findq``.

    ``y = c(0, 1 - surv)`` against ``x = c(0, time)``; duplicates of y are dropped (keeping the
    first time a value is reached); if y reaches p within ``tol = sqrt(eps)`` the answer is the
    midpoint of the flat stretch (or of that point and the last time when it is the last step).
    Missing values of the curve (R's NA confidence limits) are skipped and the points sorted
    by y, as ``approx`` does: where a confidence curve rises again (the log upper limit can),
    the limit is the time of the first point in that order at or above p, as R.
    """
    x = np.concatenate(([0.0], time))
    y = np.concatenate(([0.0], 1.0 - surv))
    if np.all(np.isnan(y)) or np.nanmax(y) < p:
        return None
    xmax = x[-1]
    # duplicated(): NaN counts as a value of its own
    key = np.where(np.isnan(y), np.inf, y)
    _, first = np.unique(key, return_index=True)
    keep = np.sort(first)
    x, y = x[keep], y[keep]
    n = len(y)
    ok = ~np.isnan(y)
    pos = np.flatnonzero(ok)
    yv = y[ok]

    def approx_index(shift: float) -> int | None:
        # approx(method="constant", f=1) first sorts the points by y (a confidence curve need
        # not be monotone), then takes the first point with y >= p
        yy = yv + shift
        srt = np.argsort(yy, kind="stable")
        ys = yy[srt]
        if p < ys[0] or p > ys[-1]:
            return None
        return int(pos[srt[int(np.searchsorted(ys, p, side="left"))]])

    i1 = approx_index(_TOL)
    i2 = approx_index(-_TOL)
    if p == 0:
        return float(x[0])
    if not np.isnan(y[n - 1]) and abs(p - y[n - 1]) < _TOL and i1 is not None:
        return float((x[i1] + xmax) / 2)
    if i1 is None or i2 is None:
        return None
    return float((x[i1] + x[i2]) / 2)


@dataclass(frozen=True, slots=True)
class _Curve:
    time: npt.NDArray[np.float64]
    n_risk: npt.NDArray[np.float64]
    n_event: npt.NDArray[np.float64]
    n_censor: npt.NDArray[np.float64]
    surv: npt.NDArray[np.float64]
    se_log: npt.NDArray[np.float64]
    lower: npt.NDArray[np.float64]
    upper: npt.NDArray[np.float64]


def risk_sets(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    weights: npt.NDArray[np.float64] | None = None,
) -> tuple[
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
]:
    """Per distinct time (sorted): the time, the subjects with that time, the events and
    the number at risk (time >= t), as R's ``survfit`` counts them; shared by the KM curve
    and the RMST (``survmean``). With case weights every count is a sum of weights."""
    uniq, inv = np.unique(time, return_inverse=True)
    if weights is None:
        counts = np.bincount(inv).astype(float)
        d = np.bincount(inv, weights=event).astype(float)
    else:
        counts = np.bincount(inv, weights=weights)
        d = np.bincount(inv, weights=event * weights)
    n = np.cumsum(counts[::-1])[::-1]
    return uniq, counts, d, n


def _km_curve(
    time: npt.NDArray[np.float64],
    event: npt.NDArray[np.float64],
    conf_type: str,
    conf_level: float,
    weights: npt.NDArray[np.float64] | None = None,
    robust: bool = False,
) -> _Curve:
    """Product-limit estimate with Greenwood variance (Kaplan & Meier 1958; Greenwood 1926),
    one row per distinct time (censored-only times included, as ``summary(censored=TRUE)``);
    with ``robust`` the infinitesimal-jackknife variance of the weighted curve instead."""
    uniq, counts, d, n = risk_sets(time, event, weights)
    with np.errstate(divide="ignore", invalid="ignore"):
        surv = np.asarray(np.cumprod((n - d) / n), dtype=np.float64)
        # Greenwood on the cumulative-hazard scale; infinite once everyone at risk has died
        term = np.where(d > 0, d / (n * (n - d)), 0.0)
        se_log = np.sqrt(np.cumsum(term))
    if robust and weights is not None:
        from captemstats.survival._km_weights import ij_se_log

        se_log = ij_se_log(time, event, weights, uniq, d, n)
    lower, upper = confidence_limits(surv, se_log, conf_type, conf_level)
    return _Curve(uniq, n, d, counts - d, surv, se_log, lower, upper)


def _opt(x: float) -> float | None:
    return None if np.isnan(x) else float(x)


@dataclass(frozen=True, eq=False, repr=False)
class KaplanMeierResult(Displayed):
    """Kaplan–Meier curves, one per group (``groups`` in order), with medians and methods.

    Examples
    --------
    >>> from captemstats.survival import kaplan_meier
    >>> km = kaplan_meier([3, 5, 6, 8, 10, 12, 14, 15, 18, 22], [1, 1, 0, 1, 1, 0, 1, 1, 0, 0])
    >>> km.groups, km.n, km.n_events
    (['(all)'], {'(all)': 10}, {'(all)': 6})
    >>> km.table().round(3).head(3)
       time  n_risk  n_event  n_censor  surv  std_err  lower  upper
    0   3.0      10        1         0   0.9    0.095  0.732    1.0
    1   5.0       9        1         0   0.8    0.126  0.587    1.0
    2   6.0       8        0         1   0.8    0.126  0.587    1.0
    """

    groups: list[str]
    curves: dict[str, _Curve] = field(repr=False)
    median: dict[str, MedianEstimate]
    n: dict[str, int]
    n_events: dict[str, int]
    conf_type: str
    conf_level: float
    n_excluded: int
    method: MethodInfo
    weighted: bool = False
    robust: bool = False

    def _headline(self) -> str:
        n, events = sum(self.n.values()), sum(self.n_events.values())
        return f"{count_words(len(self.groups), 'group')}, n = {n:g}, {events:g} events"

    def summary(self) -> pd.DataFrame:
        """Per group: n, events and the median with its CI (:meth:`medians_frame`)."""
        return self.medians_frame()

    def table(self, group: str | None = None) -> pd.DataFrame:
        """The survival table of one group: time, n_risk, n_event, n_censor (sums of case
        weights, as floats, for a weighted curve), surv, std_err (of S, as R's ``summary``),
        lower, upper."""
        import pandas as pd

        g = self._group(group)
        c = self.curves[g]
        with np.errstate(invalid="ignore"):
            std_err = c.surv * c.se_log
        if self.robust:  # R's jackknife is taken on S itself: 0 where S is 0 (not 0 × inf)
            std_err = np.where(c.surv == 0, 0.0, std_err)
        count = np.float64 if self.weighted else np.int64
        return pd.DataFrame(
            {
                "time": c.time,
                "n_risk": c.n_risk.astype(count),
                "n_event": c.n_event.astype(count),
                "n_censor": c.n_censor.astype(count),
                "surv": c.surv,
                "std_err": std_err,
                "lower": c.lower,
                "upper": c.upper,
            }
        )

    def to_frame(self) -> pd.DataFrame:
        """All survival tables stacked, with a leading ``group`` column."""
        import pandas as pd

        return pd.concat([self.table(g).assign(group=g) for g in self.groups], ignore_index=True)[
            ["group", "time", "n_risk", "n_event", "n_censor", "surv", "std_err", "lower", "upper"]
        ]

    def quantile(self, p: float) -> dict[str, MedianEstimate]:
        """The time by which a fraction ``p`` has had the event (R's ``quantile.survfit``)."""
        if not 0 <= p <= 1:
            raise AnalysisError(f"quantile probability {p!r} is outside [0, 1]")
        out = {}
        for g in self.groups:
            c = self.curves[g]
            est = find_quantile(c.time, c.surv, p)
            out[g] = MedianEstimate(
                estimate=est,
                # the lower confidence curve falls to 1 - p first: it gives the lower limit
                lower=find_quantile(c.time, c.lower, p),
                upper=find_quantile(c.time, c.upper, p),
                reached=est is not None,
                quantile=p,
                conf_level=self.conf_level,
                conf_type=self.conf_type,
            )
        return out

    def medians_frame(self) -> pd.DataFrame:
        """One row per group: n, events, median, lower, upper (NaN = not reached), reached."""
        import pandas as pd

        rows = [
            {
                "group": g,
                "n": self.n[g],
                "n_events": self.n_events[g],
                "median": np.nan if m.estimate is None else m.estimate,
                "lower": np.nan if m.lower is None else m.lower,
                "upper": np.nan if m.upper is None else m.upper,
                "reached": m.reached,
                "upper_reached": m.upper_reached,
            }
            for g, m in self.median.items()
        ]
        return pd.DataFrame(rows)

    def survival_at(
        self, times: Sequence[float] | npt.NDArray[np.float64], *, extend: bool = False
    ) -> pd.DataFrame:
        """Milestone survival as R's ``summary(fit, times=)``: S at the last time <= t with its
        std_err and CI, n_risk at t (time >= t), n_event in (previous t, t].

        Times after a group's last observation are not estimable by default: surv and its CI
        are NaN (R's default drops those rows). ``extend=True`` carries the last values forward
        as R's ``summary(fit, times=, extend=TRUE)`` does (so a curve that reached 0 stays 0).
        """
        import pandas as pd

        t = np.sort(np.asarray(times, dtype=float))
        frames = []
        for g in self.groups:
            c = self.curves[g]
            idx = np.searchsorted(c.time, t, side="right") - 1
            safe = np.clip(idx, 0, None)
            before = idx < 0
            beyond = t > c.time[-1]
            surv = np.where(before, 1.0, c.surv[safe])
            se_log = np.where(before, 0.0, c.se_log[safe])
            lower = np.where(before, 1.0, c.lower[safe])
            upper = np.where(before, 1.0, c.upper[safe])
            cum_d = np.concatenate(([0.0], np.cumsum(c.n_event)))[idx + 1]
            n_event = np.diff(np.concatenate(([0.0], cum_d)))
            with np.errstate(invalid="ignore"):
                std_err = surv * se_log
            if self.robust:  # as in table(): the jackknife of S is 0 where S is 0
                std_err = np.where(surv == 0, 0.0, std_err)
            nan = np.where(beyond & (not extend), np.nan, 1.0)
            frames.append(
                pd.DataFrame(
                    {
                        "group": g,
                        "time": t,
                        "n_risk": self._weight_at_risk(c, t)
                        if self.weighted
                        else self._at_risk(c, t),
                        "n_event": n_event if self.weighted else n_event.astype(np.int64),
                        "surv": surv * nan,
                        "std_err": std_err * nan,
                        "lower": lower * nan,
                        "upper": upper * nan,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def at_risk(self, times: Sequence[float] | npt.NDArray[np.float64]) -> pd.DataFrame:
        """Numbers at risk AT each time (subjects with time >= t), one row per group and
        time, as printed under a Kaplan–Meier plot (R ``summary(fit, times=, extend=TRUE)``)."""
        import pandas as pd

        t = np.asarray(times, dtype=float)
        return pd.concat(
            [
                pd.DataFrame(
                    {"group": g, "time": t, "n_risk": self._at_risk(self.curves[g], t)}
                    if not self.weighted
                    else {"group": g, "time": t, "n_risk": self._weight_at_risk(self.curves[g], t)}
                )
                for g in self.groups
            ],
            ignore_index=True,
        )

    @staticmethod
    def _at_risk(c: _Curve, t: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
        j = np.searchsorted(c.time, t, side="left")
        padded = np.concatenate((c.n_risk, [0.0]))
        return padded[j].astype(np.int64)

    @staticmethod
    def _weight_at_risk(c: _Curve, t: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        """The weighted number at risk (a sum of case weights, not rounded)."""
        j = np.searchsorted(c.time, t, side="left")
        out: npt.NDArray[np.float64] = np.concatenate((c.n_risk, [0.0]))[j]
        return out

    def _group(self, group: str | None) -> str:
        return select_group(self.groups, group)


def kaplan_meier(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    *,
    by: npt.ArrayLike | Sequence[object] | None = None,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
    times: Sequence[float] | None = None,
    weights: npt.ArrayLike | None = None,
    robust: bool | None = None,
    data: pd.DataFrame | None = None,
) -> KaplanMeierResult:
    """Kaplan–Meier estimate by group, equal to R ``survfit(Surv(time, event) ~ group,
    conf.type=conf_type)``.

    Rows whose group is missing are excluded and counted in ``n_excluded`` (R's
    ``na.action``); missing or negative times and event codes other than 0/1 are errors.
    ``times`` is accepted for symmetry with R and ignored (use :meth:`survival_at`).
    ``conf_type="none"`` computes no limits (R returns none): the tables' lower/upper are NaN
    and the medians' limits None.

    Parameters
    ----------
    time
        Follow-up times (finite, >= 0), any 1-D array-like.
    event
        Event indicators: 1 (or True) = event, 0 = censored.
    by
        Optional group labels, one per row (a categorical's order, else sorted); None gives
        one curve labelled ``"(all)"``.
    conf_type
        Transform of the pointwise confidence limits: ``"plain"``, ``"log"`` (R's default),
        ``"log-log"``, ``"logit"``, ``"arcsin"`` or ``"none"``.
    conf_level
        Confidence level of the limits and of the median's interval.
    times
        Ignored (see above).
    weights
        Optional case weights (finite, > 0), one per row (R ``survfit(weights = )``): the
        numbers at risk and of events become sums of weights; rows with a missing weight are
        excluded and counted in ``n_excluded``; ``n`` and ``n_events`` still count rows.
    robust
        Infinitesimal-jackknife variance instead of Greenwood's. None (default) follows R:
        robust when a weight is not an integer (integer weights are copies of rows).
    data
        Optional DataFrame: any argument given as a string is then the name of a column of
        ``data`` (pingouin's and gtsummary's style), e.g.
        ``kaplan_meier("pfs_months", "pfs_event", by="grade", data=d)``.

    Returns
    -------
    KaplanMeierResult
        Curves per group with ``medians_frame()``, ``survival_at(times)``, ``at_risk(times)``,
        ``to_frame()`` and the ``method`` record.

    Raises
    ------
    AnalysisError
        Missing or negative times, event codes other than 0/1, an unknown ``conf_type`` or no
        observations.

    Notes
    -----
    The product-limit estimator (Kaplan & Meier 1958) with Greenwood's variance of the
    cumulative hazard, as R ``survival`` 3.5; the median and its confidence interval are read
    off the curve and its limits as ``quantile.survfit`` does (Brookmeyer & Crowley 1982).

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> km = kaplan_meier(d["pfs_months"], d["pfs_event"], by=d["line_group"])
    >>> km.medians_frame()[["group", "n", "n_events", "median", "lower", "upper"]].round(1)
      group    n  n_events  median  lower  upper
    0     1  139       100    15.9    9.3   32.6
    1     2  118        91     7.8    4.9   17.9
    2    3+   51        45     9.7    4.2   15.6
    >>> km.method.software_equivalent
    "R survival::survfit(conf.type='log')"
    """
    time, event, by, weights = columns(data, time, event, by, weights)
    del times
    if conf_type not in CONF_TYPES:
        raise AnalysisError(f"conf_type {conf_type!r} is not one of {', '.join(CONF_TYPES)}")
    if not 0 < conf_level < 1:
        raise AnalysisError(f"conf_level {conf_level!r} is not in (0, 1)")
    t = as_time(time)
    e = as_event(event, len(t))
    labels, codes, n_excl = group_codes(by, len(t))
    w = None if weights is None else as_weights(weights, len(t))
    if w is not None and np.isnan(w).any():  # a missing weight: the row is left out (R)
        codes = np.where(np.isnan(w), -1, codes)
        n_excl = int((codes < 0).sum())
    if len(t) - n_excl == 0:
        raise AnalysisError("kaplan_meier: no observations")
    use_robust = w is not None and (
        bool((w[codes >= 0] != np.floor(w[codes >= 0])).any()) if robust is None else robust
    )
    curves: dict[str, _Curve] = {}
    n: dict[str, int] = {}
    nev: dict[str, int] = {}
    for k, g in enumerate(labels):
        sel = codes == k
        wk = None if w is None else w[sel]
        curves[g] = _km_curve(t[sel], e[sel], conf_type, conf_level, wk, use_robust)
        n[g] = int(sel.sum())
        nev[g] = int(e[sel].sum())
    variance = "Greenwood variance of the cumulative hazard"
    if use_robust:
        variance = "infinitesimal-jackknife (robust) variance of the weighted curve"
    call = f"conf.type='{conf_type}'" + (", weights = w" if w is not None else "")
    call += ", robust = TRUE" if use_robust else ""
    method = MethodInfo(
        test="Kaplan–Meier product-limit estimator"
        + (" with case weights" if w is not None else ""),
        ci_method=variance,
        ci_transform=conf_type,
        conf_level=conf_level,
        software_equivalent=f"R survival::survfit({call})",
        notes=(
            "median and its CI by quantile.survfit (midpoint rule when S(t) = 0.5 over an "
            "interval)",
            "numbers at risk at t count subjects with time >= t",
        ),
    )
    result = KaplanMeierResult(
        groups=labels,
        curves=curves,
        median={},
        n=n,
        n_events=nev,
        conf_type=conf_type,
        conf_level=conf_level,
        n_excluded=n_excl,
        method=method,
        weighted=w is not None,
        robust=use_robust,
    )
    result.median.update(result.quantile(0.5))
    return result
