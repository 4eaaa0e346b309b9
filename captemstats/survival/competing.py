"""Competing risks: Aalen–Johansen cumulative incidence and Gray's test, equal to R.

* :func:`cumulative_incidence` — the cumulative incidence of each cause (Aalen & Johansen
  1978; Kalbfleisch & Prentice 1980), equal to R ``survival::survfit(Surv(time,
  factor(status)) ~ group)`` (multi-state ``pstate``, ``std.err``, ``lower``, ``upper``) and
  to the estimates of ``cmprsk::cuminc``. Two variances: ``"ij"`` (default) is survfit's
  infinitesimal jackknife, ``"aalen"`` is cuminc's delta-method variance (its ``var``).
  Confidence limits are survfit's for multi-state curves: ``conf.type = "log"`` applied to
  the probability itself (``exp(log p ± z se / p)``, upper capped at 1), not to a cumulative
  hazard; ``"plain"``, ``"log-log"``, ``"logit"`` and ``"arcsin"`` as ``survfit_confint``.
* :func:`gray_test` — Gray's (1988) K-sample test of the incidence of one cause, equal to
  ``cmprsk::cuminc(...)$Tests`` (its P is the upper tail, not cuminc's ``1 - pchisq``, which
  is 0 below ~1e-16).

Fine–Gray regression (``cmprsk::crr``) is :func:`captemstats.survival.finegray.fine_gray`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival._aalen_johansen import (
    Curve,
    aeq_times,
    cause_states,
    group_curves,
    probability_limits,
)
from captemstats.survival._gray import gray_layout, gray_score_of
from captemstats.survival._inputs import ALL as ALL  # re-exported
from captemstats.survival._inputs import (
    as_labels,
    as_status,
    as_time,
    columns,
    group_codes,
    select_group,
)

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

CIFConfType = Literal["log", "plain", "log-log", "logit", "arcsin"]
Variance = Literal["ij", "aalen"]
#: the event-free state's label, as R's ``(s0)``
EVENT_FREE = "(s0)"
_CONF = ("log", "plain", "log-log", "logit", "arcsin")


@dataclass(frozen=True, eq=False, repr=False)
class CumulativeIncidenceResult(Displayed):
    """Cumulative incidence of each cause by group, with the event-free probability.

    ``causes`` are the status codes as text (R's state names); ``curves[group]`` holds the
    arrays, one row per distinct time of the group (censoring times included).
    """

    groups: list[str]
    causes: list[str]
    curves: dict[str, Curve] = field(repr=False)
    n: dict[str, int]
    n_events: dict[str, dict[str, int]]
    conf_type: str
    conf_level: float
    variance: str
    n_excluded: int
    method: MethodInfo

    def _headline(self) -> str:
        return (
            f"{count_words(len(self.causes), 'cause')}, "
            f"{count_words(len(self.groups), 'group')}, n = {sum(self.n.values())}"
        )

    def summary(self) -> pd.DataFrame:
        """Per group and cause: n, events and the cumulative incidence at the group's last
        time, with its CI."""
        import pandas as pd

        last = self.to_frame().groupby(["group", "cause"], sort=False).tail(1)
        events = [self.n_events[g][c] for g, c in zip(last["group"], last["cause"], strict=True)]
        return pd.DataFrame(
            {
                "group": last["group"].to_numpy(),
                "cause": last["cause"].to_numpy(),
                "n": [self.n[g] for g in last["group"]],
                "n_events": events,
                "time": last["time"].to_numpy(),
                "estimate": last["estimate"].to_numpy(),
                "lower": last["lower"].to_numpy(),
                "upper": last["upper"].to_numpy(),
            }
        )

    def _limits(
        self, p: npt.NDArray[np.float64], se: npt.NDArray[np.float64]
    ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        return probability_limits(p, se, self.conf_type, self.conf_level)

    def table(self, group: str | None = None, *, include_event_free: bool = False) -> pd.DataFrame:
        """One group's curves in long form: cause, time, n_risk, n_event, estimate,
        std_error, lower, upper (``include_event_free`` adds the ``(s0)`` state's rows)."""
        import pandas as pd

        g = self._group(group)
        c = self.curves[g]
        rows = [(k, c.estimate[i], c.std_error[i], c.n_event[i]) for i, k in enumerate(self.causes)]
        if include_event_free:
            rows.append((EVENT_FREE, c.survival, c.survival_se, c.n_censor * np.nan))
        frames = []
        for cause, est, se, nev in rows:
            lo, up = self._limits(est, se)
            frames.append(
                pd.DataFrame(
                    {
                        "group": g,
                        "cause": cause,
                        "time": c.time,
                        "n_risk": c.n_risk.astype(np.int64),
                        "n_event": nev if cause == EVENT_FREE else nev.astype(np.int64),
                        "estimate": est,
                        "std_error": se,
                        "lower": lo,
                        "upper": up,
                    }
                )
            )
        return pd.concat(frames, ignore_index=True)

    def to_frame(self, *, include_event_free: bool = False) -> pd.DataFrame:
        """Tidy frame of every group and cause: group, cause, time, n_risk, n_event,
        estimate, std_error, lower, upper."""
        import pandas as pd

        return pd.concat(
            [self.table(g, include_event_free=include_event_free) for g in self.groups],
            ignore_index=True,
        )

    def at(
        self,
        times: Sequence[float] | npt.NDArray[np.float64],
        *,
        extend: bool = False,
        include_event_free: bool = False,
    ) -> pd.DataFrame:
        """Landmark values as R ``summary(fit, times=)``: each cause's incidence at the last
        time <= t with its std_error and CI, n_risk at t (time >= t). Before the first time
        the incidence is 0 (the event-free probability 1) with the limits that implies (R's
        ``summary.survfitms`` prints 0 for both limits there); after a group's last time the
        values are NaN unless ``extend``.
        """
        import pandas as pd

        t = np.sort(np.asarray(times, dtype=float))
        frames = []
        for g in self.groups:
            c = self.curves[g]
            idx = np.searchsorted(c.time, t, side="right") - 1
            safe = np.clip(idx, 0, None)
            before = idx < 0
            mask = np.where((t > c.time[-1]) & (not extend), np.nan, 1.0)
            n_risk = np.concatenate((c.n_risk, [0.0]))[np.searchsorted(c.time, t, side="left")]
            states = [(k, c.estimate[i], c.std_error[i], 0.0) for i, k in enumerate(self.causes)]
            if include_event_free:
                states.append((EVENT_FREE, c.survival, c.survival_se, 1.0))
            for k, est_t, se_t, start in states:
                est = np.where(before, start, est_t[safe])
                se = np.where(before, 0.0, se_t[safe])
                lo, up = self._limits(est, se)
                frames.append(
                    pd.DataFrame(
                        {
                            "group": g,
                            "cause": k,
                            "time": t,
                            "n_risk": n_risk.astype(np.int64),
                            "estimate": est * mask,
                            "std_error": se * mask,
                            "lower": lo * mask,
                            "upper": up * mask,
                        }
                    )
                )
        return pd.concat(frames, ignore_index=True)

    def _group(self, group: str | None) -> str:
        return select_group(self.groups, group)


@dataclass(frozen=True, slots=True, repr=False)
class GrayTestResult(Displayed):
    """Gray's K-sample test for one cause: chi-square ``statistic`` on ``df`` degrees of
    freedom, ``p_value`` (upper tail), the score of the first K - 1 groups and its variance."""

    statistic: float
    df: int
    p_value: float
    cause: str
    groups: list[str]
    score: tuple[float, ...]
    variance: tuple[tuple[float, ...], ...]
    rho: float
    method: MethodInfo

    def _headline(self) -> str:
        return (
            f"cause {self.cause}, statistic {self.statistic:.4g} on {self.df} df, "
            f"P = {self.p_value:.3g}, {count_words(len(self.groups), 'group')}"
        )

    def summary(self) -> pd.DataFrame:
        """The test: statistic, df and P (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """One row: cause, statistic, df, p_value, rho, groups (joined by ', ')."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "cause": self.cause,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "rho": self.rho,
                    "groups": ", ".join(self.groups),
                }
            ]
        )


def _prepare(
    time: Any, status: Any, group: Any, name: str
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.int64], list[str], npt.NDArray[np.intp], int]:
    t = as_time(time)
    st = as_status(status, len(t))
    labels, codes, n_excl = group_codes(group, len(t))
    if group is not None and len(t) - n_excl == 0:
        raise AnalysisError(f"{name}: no observations")
    return t, st, labels, codes, n_excl


def _check_cif_options(conf_type: str, variance: str, conf_level: float) -> None:
    """The confidence-limit type, the variance and the level are among the allowed ones."""
    if conf_type not in _CONF:
        raise AnalysisError(f"conf_type {conf_type!r} is not one of {', '.join(_CONF)}")
    if variance not in ("ij", "aalen"):
        raise AnalysisError(f"variance {variance!r} is not 'ij' or 'aalen'")
    if not 0 < conf_level < 1:
        raise AnalysisError(f"conf_level {conf_level!r} is not in (0, 1)")


def _cif_method(variance: str, conf_type: str, conf_level: float) -> MethodInfo:
    """The method record, naming survfit (``"ij"``) or cuminc (``"aalen"``) as the equivalent."""
    return MethodInfo(
        test="Aalen–Johansen cumulative incidence (competing risks)",
        ci_method=(
            "infinitesimal jackknife variance" if variance == "ij" else "delta-method variance"
        ),
        ci_transform=conf_type,
        conf_level=conf_level,
        variance=variance,
        software_equivalent=(
            "R survival::survfit(Surv(time, factor(status)))"
            if variance == "ij"
            else "R cmprsk::cuminc (var)"
        ),
        notes=("estimates equal cmprsk::cuminc's est",),
    )


def cumulative_incidence(
    time: npt.ArrayLike,
    status: npt.ArrayLike,
    *,
    by: npt.ArrayLike | Sequence[object] | None = None,
    causes: Sequence[int] | None = None,
    conf_level: float = 0.95,
    conf_type: CIFConfType = "log",
    variance: Variance = "ij",
    timefix: bool = True,
    data: pd.DataFrame | None = None,
) -> CumulativeIncidenceResult:
    """Aalen–Johansen cumulative incidence of each cause, by group.

    Parameters
    ----------
    time
        Follow-up times (finite, >= 0).
    status
        0 = censored, 1, 2, ... = the cause of the event.
    by
        Optional group labels; rows with a missing group are excluded (``n_excluded``).
    causes
        The cause codes to report (default: the nonzero codes present); a cause without
        events gets an incidence of 0.
    conf_level, conf_type
        Pointwise confidence limits, R ``survfit``'s for multi-state curves (default
        ``"log"`` on the probability scale).
    variance
        ``"ij"``: R ``survfit``'s infinitesimal jackknife; ``"aalen"``: ``cmprsk::cuminc``'s
        delta-method variance (Greenwood's for the event-free state).
    timefix
        Merge times closer than ``sqrt(eps)`` as survfit does (``aeqSurv``); cuminc does not.
    data
        Optional DataFrame: any argument given as a string is then the name of a column of
        ``data`` (pingouin's and gtsummary's style), e.g.
        ``cumulative_incidence("pfs_months", "status", by="line_group", data=d)``.

    Returns
    -------
    CumulativeIncidenceResult
        With ``.to_frame()`` and ``.at(times)``.

    References
    ----------
    Aalen O. O., Johansen S. (1978), Scand. J. Statist. 5:141-150; Gray R. J. (1988),
    Ann. Statist. 16:1141-1154; R ``survival`` 3.5 (Therneau), ``cmprsk`` 2.2 (Gray).

    Examples
    --------
    >>> r = cumulative_incidence([1, 2, 2, 3, 4], [1, 2, 1, 0, 1])
    >>> r.at([2.5]).round(3)[["cause", "estimate", "std_error"]].to_dict("records")
    [{'cause': '1', 'estimate': 0.4, 'std_error': 0.219}, {'cause': '2', 'estimate': 0.2, \
'std_error': 0.179}]
    """
    time, status, by = columns(data, time, status, by)
    _check_cif_options(conf_type, variance, conf_level)
    t, st, labels, codes, n_excl = _prepare(time, status, by, "cumulative_incidence")
    if timefix:
        t = aeq_times(t)
    names, idx = cause_states(st, codes, causes)
    curves, n, nev = group_curves(t, idx, labels, codes, names, variance)
    return CumulativeIncidenceResult(
        groups=[g for g in labels if g in curves],
        causes=names,
        curves=curves,
        n=n,
        n_events=nev,
        conf_type=conf_type,
        conf_level=conf_level,
        variance=variance,
        n_excluded=n_excl,
        method=_cif_method(variance, conf_type, conf_level),
    )


def gray_test(
    time: npt.ArrayLike,
    status: npt.ArrayLike,
    by: npt.ArrayLike | Sequence[object],
    *,
    cause: int = 1,
    rho: float = 0.0,
    strata: npt.ArrayLike | Sequence[object] | None = None,
    data: pd.DataFrame | None = None,
) -> GrayTestResult:
    """Gray's K-sample test that the cumulative incidence of ``cause`` is equal across groups.

    Equal to ``cmprsk::cuminc(time, status, group, strata, rho)$Tests`` for that cause
    (``stat``, ``df``); ``p_value`` is ``pchisq(stat, df, lower.tail = FALSE)``.

    Parameters
    ----------
    time, status, by
        As :func:`cumulative_incidence`; at least two groups.
    cause
        The status code whose incidence is compared (every other nonzero code competes).
    rho
        Power of the weight ``(1 - F(t-))^rho`` (0: Gray's default).
    strata
        Optional strata: scores and variances are summed over strata.
    data
        Optional DataFrame: any argument given as a string is then the name of a column of
        ``data`` (pingouin's and gtsummary's style), e.g.
        ``gray_test("pfs_months", "status", "line_group", data=d)``.

    Returns
    -------
    GrayTestResult
        The statistic is NaN when the score variance is singular (cuminc's -1).

    Examples
    --------
    >>> r = gray_test([1, 2, 3, 4, 5, 6], [1, 2, 1, 1, 0, 2], ["a", "a", "a", "b", "b", "b"])
    >>> (round(r.statistic, 4), r.df)
    (2.1654, 1)
    """
    return _gray(time, status, by, [cause], rho, strata, data, "gray_test")[str(cause)]


def gray_tests(
    time: npt.ArrayLike,
    status: npt.ArrayLike,
    by: npt.ArrayLike | Sequence[object],
    *,
    causes: Sequence[int] | None = None,
    rho: float = 0.0,
    strata: npt.ArrayLike | Sequence[object] | None = None,
    data: pd.DataFrame | None = None,
) -> dict[str, GrayTestResult]:
    """Gray's K-sample test for every cause at once, as ``cmprsk::cuminc(...)$Tests``.

    Each result equals :func:`gray_test` for that cause; the times are sorted and counted
    once for all causes (``cuminc`` also tests every cause in one call), so testing C causes
    costs one layout and C scores instead of C of each.

    Parameters
    ----------
    time, status, by
        As :func:`cumulative_incidence`; at least two groups.
    causes
        The status codes to test (default: every nonzero code present, in order).
    rho, strata, data
        As :func:`gray_test`.

    Returns
    -------
    dict of str to GrayTestResult
        Keyed by the cause code as text, in the order of ``causes``.

    Examples
    --------
    >>> tests = gray_tests([1, 2, 3, 4, 5, 6], [1, 2, 1, 1, 0, 2], ["a", "a", "a", "b", "b", "b"])
    >>> {cause: round(t.statistic, 4) for cause, t in tests.items()}
    {'1': 2.1654, '2': 0.9412}
    """
    return _gray(time, status, by, causes, rho, strata, data, "gray_tests")


def _gray(
    time: npt.ArrayLike,
    status: npt.ArrayLike,
    by: npt.ArrayLike | Sequence[object],
    causes: Sequence[int] | None,
    rho: float,
    strata: npt.ArrayLike | Sequence[object] | None,
    data: pd.DataFrame | None,
    name: str,
) -> dict[str, GrayTestResult]:
    """Gray's test of each of ``causes`` from one layout per stratum."""
    time, status, by, strata = columns(data, time, status, by, strata)
    t, st, labels, codes, n_excl = _prepare(time, status, by, name)
    del n_excl
    keep = codes >= 0
    sk = np.zeros(len(t), dtype=np.intp)
    if strata is not None:
        _, sk, _ = as_labels(strata, len(t), "strata")
        keep &= sk >= 0
    t, st, codes, sk = t[keep], st[keep], codes[keep], sk[keep]
    used = np.unique(codes)
    labels = [labels[i] for i in used]
    codes = np.searchsorted(used, codes)
    ng = len(labels)
    if ng < 2:
        raise AnalysisError(f"{name}: needs at least two groups, got {labels}")
    present = [int(c) for c in np.unique(st) if c != 0]
    wanted = present if causes is None else [int(c) for c in causes]
    # index 0: censored; 1..C: the causes present (every one competes with the others)
    index = np.searchsorted(present, st) + 1
    index[st == 0] = 0
    scores = {c: np.zeros(ng - 1) for c in wanted}
    variances = {c: np.zeros((ng - 1, ng - 1)) for c in wanted}
    for s in np.unique(sk):
        sel = sk == s
        events, rs = gray_layout(t[sel], index[sel].astype(np.intp), codes[sel], ng, len(present))
        all_events = events.sum(axis=2)
        for c in wanted:
            d1 = events[:, :, present.index(c)] if c in present else np.zeros_like(all_events)
            sc, v = gray_score_of(d1, all_events - d1, rs, rho)
            scores[c] += sc
            variances[c] += v
    return {str(c): _gray_result(scores[c], variances[c], labels, c, rho) for c in wanted}


def _gray_result(
    score: npt.NDArray[np.float64],
    var: npt.NDArray[np.float64],
    labels: list[str],
    cause: int,
    rho: float,
) -> GrayTestResult:
    """The test statistic score' V^-1 score and its record (NaN when V is singular)."""
    from captemstats.survival._dist import chi2_sf

    ng = len(labels)
    if np.linalg.matrix_rank(var) < ng - 1:
        stat = float("nan")
    else:
        stat = float(score @ np.linalg.solve(var, score))
    return GrayTestResult(
        statistic=stat,
        df=ng - 1,
        p_value=float(chi2_sf(stat, ng - 1)),
        cause=str(cause),
        groups=labels,
        score=tuple(float(x) for x in score),
        variance=tuple(tuple(float(x) for x in row) for row in var),
        rho=rho,
        method=MethodInfo(
            test="Gray's K-sample test of cumulative incidence",
            software_equivalent="R cmprsk::cuminc(...)$Tests",
            notes=(f"rho = {rho}", "P = upper chi-square tail"),
        ),
    )
