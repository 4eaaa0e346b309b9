"""Median follow-up, two ways.

* :func:`reverse_km_followup` — the reverse Kaplan–Meier estimate (Schemper & Smith, Control
  Clin Trials 1996;17:343–6): the Kaplan–Meier curve with censoring as the event and deaths
  censored, equal to R ``survfit(Surv(time, 1 - event) ~ group)``; its median and CI follow
  ``quantile.survfit`` exactly as :func:`~captemstats.survival.kaplan_meier` does. At a time
  with both a death and a censoring the death stays in the risk set of the censoring, as R
  (events before censorings).
* :func:`observed_followup` — the paper's definition ("the time from disease diagnosis to the
  last follow-up or date of death", Methods): the plain median of the observed follow-up times
  (R ``median()``: the mean of the two middle values for an even count) with the min–max
  range, as the Results report "41.0 months (range: 1.7-212.1)".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival._inputs import as_event, as_time, group_codes
from captemstats.survival.km import ConfType, kaplan_meier

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd


@dataclass(frozen=True, slots=True)
class FollowUpEstimate:
    """Median follow-up of one group. ``lower``/``upper`` are the CI of the reverse-KM median
    (None when not reached, or for the observed definition); ``minimum``/``maximum`` the
    range of the observed times; ``n_censored`` the patients alive at last contact."""

    group: str
    n: int
    n_censored: int | None
    median: float | None
    lower: float | None
    upper: float | None
    minimum: float
    maximum: float


@dataclass(frozen=True, eq=False, repr=False)
class FollowUpResult(Displayed):
    """Median follow-up per group (``groups`` in order) under one ``definition``
    (``"reverse_km"`` or ``"observed"``).

    Examples
    --------
    >>> from captemstats.survival import reverse_km_followup
    >>> fu = reverse_km_followup([4, 10, 12, 30, 41], [1, 0, 1, 0, 0])
    >>> fu.to_frame()[["definition", "n", "n_censored", "median", "lower", "minimum", "maximum"]]
       definition  n  n_censored  median  lower  minimum  maximum
    0  reverse_km  5           3    30.0   10.0      4.0     41.0
    """

    definition: str
    groups: list[str]
    estimates: dict[str, FollowUpEstimate]
    conf_level: float | None
    n_excluded: int
    method: MethodInfo

    def _headline(self) -> str:
        return f"{self.definition} follow-up, {count_words(len(self.groups), 'group')}"

    def summary(self) -> pd.DataFrame:
        """Per group: the median follow-up with its CI or range (:meth:`to_frame`)."""
        return self.to_frame()

    def __getitem__(self, group: str) -> FollowUpEstimate:
        if group not in self.estimates:
            raise AnalysisError(f"no group {group!r}; groups are {self.groups}")
        return self.estimates[group]

    @property
    def overall(self) -> FollowUpEstimate:
        """The estimate of the single group (no ``group`` given)."""
        if len(self.groups) != 1:
            raise AnalysisError(f"several groups ({self.groups}); index the result by group")
        return self.estimates[self.groups[0]]

    def to_frame(self) -> pd.DataFrame:
        """One row per group: definition, group, n, n_censored, median, lower, upper,
        minimum, maximum (NaN = not reached / not applicable)."""
        import pandas as pd

        def num(v: float | None) -> float:
            return np.nan if v is None else v

        return pd.DataFrame(
            [
                {
                    "definition": self.definition,
                    "group": e.group,
                    "n": e.n,
                    "n_censored": e.n_censored,
                    "median": num(e.median),
                    "lower": num(e.lower),
                    "upper": num(e.upper),
                    "minimum": e.minimum,
                    "maximum": e.maximum,
                }
                for e in (self.estimates[g] for g in self.groups)
            ]
        )


def _complete(time: Any, event: Any, group: Any, dropna: bool) -> tuple[Any, Any, Any, int]:
    """Drop rows missing time/event (only when ``dropna``) and return them with the count."""
    import pandas as pd

    if not dropna:
        return time, event, group, 0
    t = pd.Series(time).reset_index(drop=True)
    miss = t.isna().to_numpy()
    e = None
    if event is not None:
        e = pd.Series(event).reset_index(drop=True)
        if len(e) != len(t):
            raise AnalysisError(f"event: length {len(e)} differs from time length {len(t)}")
        miss |= e.isna().to_numpy()
    g = None
    if group is not None:
        g = pd.Series(group).reset_index(drop=True)
        if len(g) != len(t):
            raise AnalysisError(f"group: length {len(g)} differs from time length {len(t)}")
    keep = ~miss
    return (
        t[keep],
        None if e is None else e[keep],
        None if g is None else g[keep],
        int(miss.sum()),
    )


def reverse_km_followup(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    *,
    by: npt.ArrayLike | Sequence[object] | None = None,
    conf_type: ConfType = "log",
    conf_level: float = 0.95,
    dropna: bool = False,
) -> FollowUpResult:
    """Median follow-up by the reverse Kaplan–Meier method, equal to R
    ``quantile(survfit(Surv(time, 1 - event) ~ group, conf.type = conf_type), 0.5)``.

    ``event`` is the outcome indicator (1 = death); the reverse curve treats 0 as its event.
    Rows with a missing group are excluded and counted; rows missing time or event are errors
    unless ``dropna`` (then excluded and counted).

    Parameters
    ----------
    time
        Follow-up times (e.g. months from start to death or last contact).
    event
        1 = death (the outcome), 0 = alive at last contact.
    by
        Optional group labels.
    conf_type, conf_level
        As :func:`~captemstats.survival.kaplan_meier`.
    dropna
        Exclude (and count) rows missing time or event instead of raising.

    Returns
    -------
    FollowUpResult
        One :class:`FollowUpEstimate` per group (``.overall`` without groups), ``to_frame()``.

    Notes
    -----
    The reverse Kaplan–Meier estimate of the potential follow-up (Schemper & Smith 1996).

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> fu = reverse_km_followup(d["os_months"], d["os_event"]).overall
    >>> round(fu.median, 1), round(fu.lower, 1), round(fu.upper, 1), fu.n_censored
    (59.6, 51.2, 73.5, 162)
    """
    time, event, by, n_drop = _complete(time, event, by, dropna)
    t = as_time(time)
    e = as_event(event, len(t))
    km = kaplan_meier(t, 1.0 - e, by=by, conf_type=conf_type, conf_level=conf_level)
    estimates: dict[str, FollowUpEstimate] = {}
    for g in km.groups:
        m = km.median[g]
        c = km.curves[g]
        estimates[g] = FollowUpEstimate(
            group=g,
            n=km.n[g],
            n_censored=km.n_events[g],
            median=m.estimate,
            lower=m.lower,
            upper=m.upper,
            minimum=float(c.time[0]),
            maximum=float(c.time[-1]),
        )
    method = MethodInfo(
        test="median follow-up by the reverse Kaplan–Meier method",
        ci_method="Greenwood variance of the cumulative hazard (quantile.survfit)",
        ci_transform=conf_type,
        conf_level=conf_level,
        software_equivalent=f"R survival::survfit(Surv(time, 1 - event), conf.type='{conf_type}')",
        notes=("censoring is the event; deaths are censored observations",),
    )
    return FollowUpResult(
        definition="reverse_km",
        groups=km.groups,
        estimates=estimates,
        conf_level=conf_level,
        n_excluded=km.n_excluded + n_drop,
        method=method,
    )


def observed_followup(
    time: npt.ArrayLike,
    *,
    event: npt.ArrayLike | None = None,
    by: npt.ArrayLike | Sequence[object] | None = None,
    dropna: bool = False,
) -> FollowUpResult:
    """Median observed follow-up (diagnosis to last follow-up or death) with its range: R
    ``median(time)``, ``range(time)`` per group.

    ``event`` (optional, 1 = death) only fills ``n_censored``. Rows with a missing group are
    excluded and counted; rows missing time are errors unless ``dropna``.

    Parameters
    ----------
    time
        Observed follow-up times.
    event
        Optional event indicator (1 = death): only fills ``n_censored``.
    by
        Optional group labels.
    dropna
        Exclude (and count) rows missing time instead of raising.

    Returns
    -------
    FollowUpResult
        Median and range per group; ``lower``/``upper`` are None.

    Examples
    --------
    >>> fu = observed_followup([4.0, 10.0, 12.0, 30.0, 41.0])
    >>> fu.overall.median, fu.overall.minimum, fu.overall.maximum
    (12.0, 4.0, 41.0)
    """
    time, event, by, n_drop = _complete(time, event, by, dropna)
    t = as_time(time)
    e = None if event is None else as_event(event, len(t))
    labels, codes, n_excl = group_codes(by, len(t))
    if len(t) - n_excl == 0:
        raise AnalysisError("observed_followup: no observations")
    estimates: dict[str, FollowUpEstimate] = {}
    for k, g in enumerate(labels):
        sel = codes == k
        tt = t[sel]
        estimates[g] = FollowUpEstimate(
            group=g,
            n=int(sel.sum()),
            n_censored=int((1 - e[sel]).sum()) if e is not None else None,
            median=float(np.median(tt)),
            lower=None,
            upper=None,
            minimum=float(tt.min()),
            maximum=float(tt.max()),
        )
    method = MethodInfo(
        test="median observed follow-up (diagnosis to last follow-up or death) with range",
        software_equivalent="R median(time), range(time)",
    )
    return FollowUpResult(
        definition="observed",
        groups=labels,
        estimates=estimates,
        conf_level=None,
        n_excluded=n_excl + n_drop,
        method=method,
    )
