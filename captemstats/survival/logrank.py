"""Log-rank tests equal to R's ``survival::survdiff``, stratified, and for trend.

:func:`logrank_test` takes R's ``rho``: the Harrington–Fleming G-rho family weighting each
event time by S(t-)^rho, S the Kaplan–Meier estimate of the pooled sample (within a stratum),
left-continuous as in survdiff's C routine; rho = 0 is the log-rank test, rho = 1 the
Peto & Peto (1972) / Prentice modification of the Gehan–Wilcoxon test (Harrington & Fleming
1982). Observed and expected counts are then the weighted sums, as R's ``obs`` and ``exp``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words
from captemstats.survival._inputs import as_event, as_labels, as_time, columns
from captemstats.survival.km import label_str

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

FloatArray = "npt.NDArray[np.float64]"


@dataclass(frozen=True, eq=False, repr=False)
class LogRankResult(Displayed):
    """A log-rank test: chi-square on ``df`` degrees of freedom with observed and expected
    events per group (summed over strata for a stratified test).

    Examples
    --------
    >>> from captemstats.survival import logrank_test
    >>> lr = logrank_test([1, 2, 3, 4, 5, 6, 7, 8], [1, 1, 0, 1, 1, 0, 1, 1], ["a", "b"] * 4)
    >>> lr.to_frame()[["group", "n", "observed", "expected", "chisq", "p_value"]].round(3)
      group  n  observed  expected  chisq  p_value
    0     a  4       3.0     2.329  0.365    0.546
    1     b  4       3.0     3.671  0.365    0.546
    """

    chisq: float
    df: int
    p_value: float
    groups: list[str]
    n: dict[str, int]
    observed: dict[str, float]
    expected: dict[str, float]
    variance: npt.NDArray[np.float64]
    n_excluded: int
    method: MethodInfo
    scores: dict[str, float] | None = None

    def _headline(self) -> str:
        return (
            f"chi-square {self.chisq:.4g} on {self.df} df, P = {self.p_value:.3g}, "
            f"{count_words(len(self.groups), 'group')}"
        )

    def summary(self) -> pd.DataFrame:
        """Per group: n, observed and expected events (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """One row per group: n, observed, expected, (O-E)^2/E, and the test's chisq, df, P."""
        import pandas as pd

        o = np.array([self.observed[g] for g in self.groups])
        e = np.array([self.expected[g] for g in self.groups])
        with np.errstate(divide="ignore", invalid="ignore"):
            contrib = (o - e) ** 2 / e
        frame = pd.DataFrame(
            {
                "group": self.groups,
                "n": [self.n[g] for g in self.groups],
                "observed": o,
                "expected": e,
                "o_minus_e_sq_over_e": contrib,
                "chisq": self.chisq,
                "df": self.df,
                "p_value": self.p_value,
                "test": self.method.test,
            }
        )
        if self.scores is not None:
            frame.insert(1, "score", [self.scores[g] for g in self.groups])
        return frame


def _stratum_parts(
    t: npt.NDArray[np.float64],
    e: npt.NDArray[np.float64],
    codes: npt.NDArray[np.intp],
    k: int,
    rho: float = 0.0,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Observed, expected and hypergeometric covariance of events per group within one stratum
    (Mantel 1966; the survdiff.fit C routine), vectorised over the distinct times."""
    uniq, inv = np.unique(t, return_inverse=True)
    nt = len(uniq)
    cell = inv * k + codes
    d = np.bincount(cell, weights=e, minlength=nt * k).reshape(nt, k)
    at = np.bincount(cell, minlength=nt * k).reshape(nt, k).astype(float)
    n = np.cumsum(at[::-1], axis=0)[::-1]  # at risk: time >= t
    n_tot = n.sum(axis=1)
    d_tot = d.sum(axis=1)
    if rho != 0:
        # pooled Kaplan-Meier just before each time (left-continuous), to the power rho
        km = np.concatenate(([1.0], np.cumprod((n_tot - d_tot) / n_tot)[:-1]))
        wt = km**rho
    else:
        wt = np.ones(nt)
    ev = d_tot > 0
    n, d, n_tot, d_tot, wt = n[ev], d[ev], n_tot[ev], d_tot[ev], wt[ev]
    p = n / n_tot[:, None]
    expected = ((wt * d_tot)[:, None] * p).sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(n_tot > 1, wt**2 * d_tot * (n_tot - d_tot) / (n_tot - 1), 0.0)
    var = np.diag((w[:, None] * p).sum(axis=0)) - (p * w[:, None]).T @ p
    return (wt[:, None] * d).sum(axis=0), expected, var


def _parts(
    time: Any, event: Any, group: Any, strata: Any, rho: float = 0.0
) -> tuple[
    list[Any],
    npt.NDArray[np.intp],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    int,
]:
    t = as_time(time)
    e = as_event(event, len(t))
    raw, codes, _ = as_labels(group, len(t), "group")
    keep = codes >= 0
    if strata is not None:
        _, scodes, _ = as_labels(strata, len(t), "strata")
        keep &= scodes >= 0
    else:
        scodes = np.zeros(len(t), dtype=np.intp)
    k = len(raw)
    if k < 2:
        raise AnalysisError(f"log-rank test needs at least 2 groups, got {k}")
    o = np.zeros(k)
    ex = np.zeros(k)
    v = np.zeros((k, k))
    for s in np.unique(scodes[keep]):
        sel = keep & (scodes == s)
        oo, ee, vv = _stratum_parts(t[sel], e[sel], codes[sel], k, rho)
        o += oo
        ex += ee
        v += vv
    return raw, codes[keep], o, ex, v, ex, int((~keep).sum())


def logrank_test(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    by: npt.ArrayLike | Sequence[object],
    *,
    strata: npt.ArrayLike | Sequence[object] | None = None,
    rho: float = 0.0,
    data: pd.DataFrame | None = None,
) -> LogRankResult:
    """Log-rank test across k groups, optionally stratified, equal to R
    ``survdiff(Surv(time, event) ~ group [+ strata(s)], rho = rho)``.

    chisq = (O - E)' V^-1 (O - E) over the groups with E > 0 less the first; df = that count
    (Peto & Peto 1972; Mantel 1966); with df = 0 (all censored, or one group with expected
    events) the P value is NaN, as R's NA. Rows with a missing group or stratum are excluded and
    counted in ``n_excluded``.

    Parameters
    ----------
    time, event, by
        Survival times, event indicators (1 = event, 0 = censored) and group labels.
    strata
        Optional stratum labels (``strata()`` in R's formula).
    rho
        Harrington–Fleming weight exponent: each event time is weighted by S(t-)^rho of the
        pooled Kaplan–Meier curve; 0 = log-rank (default), 1 = Peto–Peto (R ``rho = 1``).
        O, E and V are the weighted sums, as R's ``obs``, ``exp`` and ``var``.
    data
        Optional DataFrame: any argument given as a string is then the name of a column of
        ``data`` (pingouin's and gtsummary's style), e.g.
        ``logrank_test("pfs_months", "pfs_event", "grade", data=d)``.

    Returns
    -------
    LogRankResult
        chisq, df, P, observed and expected per group and the method record.

    Examples
    --------
    >>> r = logrank_test([1, 2, 3, 4, 5, 6], [1, 1, 0, 1, 1, 0], ["a", "b"] * 3, rho=1)
    >>> r.df, r.method.software_equivalent
    (1, 'R survival::survdiff(rho = 1)')
    """
    time, event, by, strata = columns(data, time, event, by, strata)
    from captemstats.survival._dist import chi2_sf

    rho = float(rho)
    if not np.isfinite(rho):
        raise AnalysisError(f"rho {rho!r} must be a finite number (0 = log-rank, 1 = Peto-Peto)")
    raw, codes, o, e, v, _, n_excl = _parts(time, event, by, strata, rho)
    pos = np.flatnonzero(e > 0)
    if len(pos) < 2:
        chisq, df = 0.0, 0
    else:
        diff = (o - e)[pos][1:]
        vv = v[np.ix_(pos, pos)][1:, 1:]
        try:
            chisq = float(diff @ np.linalg.solve(vv, diff))
        except np.linalg.LinAlgError as exc:
            raise AnalysisError("log-rank variance matrix is singular") from exc
        df = len(pos) - 1
    labels = [label_str(x) for x in raw]
    stratified = strata is not None
    name = "log-rank test" if rho == 0 else f"Harrington-Fleming G-rho test (rho = {rho:g})"
    if rho == 1:
        name = "Peto-Peto test (Harrington-Fleming G-rho, rho = 1)"
    method = MethodInfo(
        test=("stratified " if stratified else "") + name,
        variance="hypergeometric (Mantel-Haenszel)",
        software_equivalent=f"R survival::survdiff(rho = {rho:g}"
        + (", strata())" if stratified else ")"),
        notes=() if rho == 0 else ("weights S(t-)^rho of the pooled Kaplan-Meier curve",),
    )
    return LogRankResult(
        chisq=chisq,
        df=df,
        # Nothing to compare (fewer than two groups with expected events): no test was done, so
        # P is NaN, as R's survdiff (`pvalue` NA), never a printable "P = 1.00".
        p_value=float(chi2_sf(chisq, df)) if df > 0 else float("nan"),
        groups=labels,
        n={g: int((codes == i).sum()) for i, g in enumerate(labels)},
        observed=dict(zip(labels, o.tolist(), strict=True)),
        expected=dict(zip(labels, e.tolist(), strict=True)),
        variance=v,
        n_excluded=n_excl,
        method=method,
    )


def logrank_trend_test(
    time: npt.ArrayLike,
    event: npt.ArrayLike,
    by: npt.ArrayLike | Sequence[object],
    *,
    scores: npt.ArrayLike | dict[str, float] | dict[int, float] | dict[float, float] | None = None,
    strata: npt.ArrayLike | Sequence[object] | None = None,
    rho: float = 0.0,
    data: pd.DataFrame | None = None,
) -> LogRankResult:
    """Log-rank test for trend across ordered groups (Collett 2015, §2.6.4; Stata
    ``sts test, trend``): U = Σ s_j (O_j − E_j), Var U = s' V s, chisq = U² / Var U on 1 df.
    With ``rho`` the O − E and V are those of the G-rho test (each event time weighted by
    S(t-)^rho, as :func:`logrank_test`; rho = 1 the Peto–Peto trend test).

    Group order: a pandas categorical's order, else sorted values. ``scores`` default to the
    group values when they are numeric, else 1..k; pass a sequence (one per group in order)
    or a mapping label -> score to override. R's survival has no trend test; the reference
    computes it from ``survdiff``'s O, E and variance.

    Parameters
    ----------
    time, event
        Survival times and event indicators (1 = event, 0 = censored).
    by
        Ordered group labels, one per row.
    scores
        Optional scores: a sequence in group order or a mapping label -> score.
    strata
        Optional stratum labels: O, E and V are summed over strata.
    rho
        Harrington–Fleming weight exponent (0: log-rank; R ``survdiff(rho = )``).
    data
        Optional DataFrame: any argument given as a string is then the name of a column of
        ``data`` (pingouin's and gtsummary's style), e.g.
        ``logrank_trend_test("pfs_months", "pfs_event", "ecog", data=d)``.

    Returns
    -------
    LogRankResult
        chisq on 1 df, P, observed and expected events per group, and ``scores``.

    Raises
    ------
    AnalysisError
        A score is missing for a group, the counts disagree, or the score variance is zero.

    Examples
    --------
    Treatment line 1, 2, 3+ scored 1, 2, 3 (the labels are not numbers):

    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> r = logrank_trend_test(d["pfs_months"], d["pfs_event"], d["line_group"])
    >>> round(r.chisq, 2), r.df, round(r.p_value, 4), r.scores
    (8.82, 1, 0.003, {'1': 1.0, '2': 2.0, '3+': 3.0})
    """
    time, event, by, strata = columns(data, time, event, by, strata)
    from captemstats.survival._dist import chi2_sf

    raw, codes, o, e, v, _, n_excl = _parts(time, event, by, strata, rho)
    labels = [label_str(x) for x in raw]
    if scores is None:
        try:
            s = np.array([float(x) for x in raw])
        except (TypeError, ValueError):
            s = np.arange(1, len(raw) + 1, dtype=float)
    elif isinstance(scores, dict):
        by_key = cast("dict[object, float]", scores)  # keyed by label or by raw value
        missing = [g for g in labels if g not in by_key and raw[labels.index(g)] not in by_key]
        if missing:
            raise AnalysisError(f"scores: no score for group(s) {missing}")
        s = np.array(
            [float(by_key[g] if g in by_key else by_key[raw[i]]) for i, g in enumerate(labels)]
        )
    else:
        s = np.asarray(scores, dtype=float)
        if len(s) != len(labels):
            raise AnalysisError(f"scores: {len(s)} given for {len(labels)} groups {labels}")
    u = float(s @ (o - e))
    var_u = float(s @ v @ s)
    if var_u <= 0:
        raise AnalysisError("trend test: variance of the score statistic is zero")
    chisq = u * u / var_u
    method = MethodInfo(
        test="log-rank test for trend" + (f" (G-rho, rho = {rho:g})" if rho else ""),
        variance="hypergeometric (Mantel-Haenszel)",
        software_equivalent="R survival::survdiff"
        + (f"(rho = {rho:g})" if rho else "")
        + " O, E, var: (s'(O-E))^2 / s'Vs",
        notes=("scores: " + ", ".join(f"{g}={x:g}" for g, x in zip(labels, s, strict=True)),),
    )
    return LogRankResult(
        chisq=chisq,
        df=1,
        p_value=float(chi2_sf(chisq, 1)),
        groups=labels,
        n={g: int((codes == i).sum()) for i, g in enumerate(labels)},
        observed=dict(zip(labels, o.tolist(), strict=True)),
        expected=dict(zip(labels, e.tolist(), strict=True)),
        variance=v,
        n_excluded=n_excl,
        method=method,
        scores=dict(zip(labels, s.tolist(), strict=True)),
    )
