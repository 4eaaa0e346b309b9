"""Objective response and disease control rates with exact (Clopper–Pearson) 95% CIs.

The comparison of groups (chi-square or Fisher) belongs to :mod:`captemstats.compare`; this
module only counts and estimates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from captemstats.recist.errors import RecistInputError
from captemstats.recist.timepoint import CR, NCNP, NE, PD, PR, SD
from captemstats.results import Displayed, count_words

#: Rows of the rates table, in print order: each response category, then ORR and DCR.
MEASURES: tuple[str, ...] = (CR, PR, SD, NCNP, PD, NE, "ORR", "DCR")
#: Label of the all-patients group.
OVERALL: str = "All patients"
_ORR = (CR, PR)
_DCR = (CR, PR, SD, NCNP)
#: The disease-control flag of each BOR column (``best_overall_response``; it applies
#: ``RecistConfig.dcr_min_sd_weeks``).
_DC_COLUMN: dict[str, str] = {
    "bor": "disease_control",
    "bor_confirmed": "disease_control_confirmed",
}


def clopper_pearson(
    k: np.ndarray, n: np.ndarray, level: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Exact binomial CI (Clopper & Pearson 1934) from beta quantiles, vectorised.

    Lower = Beta(a/2; k, n-k+1) (0 when k = 0); upper = Beta(1-a/2; k+1, n-k) (1 when k = n).
    Equal to ``scipy.stats.binomtest(k, n).proportion_ci(method="exact")`` and to R's
    ``binom.test``. NaN where n = 0.

    Parameters
    ----------
    k
        Numbers of responders.
    n
        Denominators (same shape as ``k``).
    level
        Confidence level.

    Returns
    -------
    tuple of numpy.ndarray
        The lower and upper limits.

    Examples
    --------
    >>> import numpy as np
    >>> lower, upper = clopper_pearson(np.array([3]), np.array([10]))
    >>> round(float(lower[0]), 4), round(float(upper[0]), 4)
    (0.0667, 0.6525)
    """
    from scipy.stats import beta

    k = np.asarray(k, dtype=float)
    n = np.asarray(n, dtype=float)
    a = 1.0 - level
    with np.errstate(invalid="ignore", divide="ignore"):
        lower = np.where(k > 0, beta.ppf(a / 2, k, n - k + 1), 0.0)
        upper = np.where(k < n, beta.ppf(1 - a / 2, k + 1, n - k), 1.0)
    empty = n <= 0
    return np.where(empty, np.nan, lower), np.where(empty, np.nan, upper)


@dataclass(frozen=True, repr=False)
class ResponseRates(Displayed):
    """Response counts and rates per group and overall.

    ``table`` is tidy: one row per group × measure (:data:`MEASURES`) with ``count``, ``n``
    (the denominator: evaluable patients of the group), ``proportion``, ``ci_lower`` and
    ``ci_upper`` (exact 95%). ``by`` names the grouping column (None: overall only).
    ``column`` is the BOR column used (``bor`` or ``bor_confirmed``).

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.recist import response_rates
    >>> bor = pd.DataFrame({"patient_id": ["P1", "P2", "P3", "P4"], "line": ["1", "1", "2", "2"],
    ...                     "bor": ["PR", "SD", "PD", "CR"], "evaluable": True})
    >>> rates = response_rates(bor, by="line")
    >>> rates.table.query("measure == 'ORR'")[["group", "count", "n", "proportion"]]
               group  count  n  proportion
    6              1      1  2         0.5
    14             2      1  2         0.5
    22  All patients      2  4         0.5
    """

    table: pd.DataFrame
    by: str | None
    column: str
    evaluable_only: bool

    def _headline(self) -> str:
        groups = count_words(int(self.table["group"].nunique()), "group")
        measures = ", ".join(dict.fromkeys(str(m) for m in self.table["measure"]))
        return f"{measures} by {self.by!r}, {groups}"

    def summary(self) -> pd.DataFrame:
        """Per group: ORR and DCR with exact CIs (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """The tidy rates table (a copy)."""
        return self.table.copy()

    def contingency(self, measure: str | None = None) -> pd.DataFrame:
        """Groups × outcome counts for a test of association (overall row excluded).

        ``measure=None``: groups × response categories (CR, PR, SD, NON_CR_NON_PD, PD, NE;
        all-zero columns dropped). ``"ORR"`` / ``"DCR"``: groups × (yes, no).
        """
        t = self.table[self.table["group"] != OVERALL]
        if measure is None:
            wide = t[t["measure"].isin(MEASURES[:6])].pivot(
                index="group", columns="measure", values="count"
            )
            wide = wide[[m for m in MEASURES[:6] if m in wide.columns]]
            return wide.loc[:, wide.sum(axis=0) > 0]
        sub = t[t["measure"] == measure].set_index("group")
        return pd.DataFrame({"yes": sub["count"], "no": sub["n"] - sub["count"]})


def response_rates(
    bor_frame: pd.DataFrame,
    by: str | None = None,
    *,
    evaluable_only: bool = True,
    column: str = "bor",
    level: float = 0.95,
) -> ResponseRates:
    """Count best responses and estimate ORR (CR+PR) and DCR (CR+PR+SD+non-CR/non-PD).

    DCR counts the frame's ``disease_control`` (for ``bor``) or
    ``disease_control_confirmed`` (for ``bor_confirmed``) flag when present, which applies
    ``RecistConfig.dcr_min_sd_weeks`` (SD shown at least that long after start); without it
    (or with the default configuration, where both agree) DCR is CR + PR + SD +
    non-CR/non-PD of the BOR column.

    Parameters
    ----------
    bor_frame
        ``BestResponseResult.to_frame()``, optionally with a grouping column merged in
        (e.g. the treatment-line group "1", "2", "3+").
    by
        Grouping column; groups are listed in sorted order (or category order), followed by
        :data:`OVERALL`.
    evaluable_only
        Keep only ``evaluable`` patients (the study's denominator: 304 of 308); False keeps
        everyone (non-evaluable patients count as NE).
    column
        ``bor`` (unconfirmed, as the study reports) or ``bor_confirmed``.
    level
        Confidence level of the Clopper–Pearson intervals.

    Returns
    -------
    ResponseRates
        The tidy ``table``: count, n, proportion and exact CI per group and measure.

    Raises
    ------
    RecistInputError
        A needed column is missing, a BOR is not a response code or is empty for an
        evaluable patient, or a group value is empty.

    Examples
    --------
    >>> import pandas as pd
    >>> bor = pd.DataFrame({"patient_id": ["P1", "P2", "P3", "P4", "P5"],
    ...                     "bor": ["CR", "PR", "SD", "PD", "PR"], "evaluable": True})
    >>> rates = response_rates(bor)
    >>> rates.table.query("measure in ['ORR', 'DCR']").round(3)
              group measure  count  n  proportion  ci_lower  ci_upper
    6  All patients     ORR      3  5         0.6     0.147     0.947
    7  All patients     DCR      4  5         0.8     0.284     0.995
    """
    needed = [column, "evaluable"] + ([by] if by else [])
    missing = [c for c in needed if c not in bor_frame.columns]
    if missing:
        raise RecistInputError(f"bor_frame lacks column(s) {', '.join(missing)}")
    df = bor_frame
    if evaluable_only:
        df = df[df["evaluable"].fillna(False).to_numpy(dtype=bool)]
    resp = df[column].astype("string")
    bad = resp.isna() | ~resp.isin(MEASURES[:6])
    if bad.any():
        shown = ", ".join(map(str, resp[bad].fillna("<empty>").unique()[:5]))
        raise RecistInputError(
            f"bor_frame.{column} holds values that are not response codes: {shown}"
        )
    if by:
        groups = df[by]
        if groups.isna().any():
            raise RecistInputError(f"bor_frame.{by} is empty for {int(groups.isna().sum())} row(s)")
        if isinstance(groups.dtype, pd.CategoricalDtype):
            levels = [str(c) for c in groups.cat.categories]
        else:
            levels = sorted(map(str, groups.unique()))
        glab = groups.astype(str).to_numpy()
    else:
        levels, glab = [], np.array([], dtype=object)

    dc_col = _DC_COLUMN.get(column, "")
    dc = (
        df[dc_col].fillna(False).to_numpy(dtype=bool)
        if dc_col in df.columns
        else resp.isin(_DCR).to_numpy(dtype=bool)
    )
    counts: dict[str, pd.Series] = {}
    dcr: dict[str, int] = {}
    for name, mask in ((lv, glab == lv) for lv in levels):
        counts[name] = resp[mask].value_counts()
        dcr[name] = int(dc[mask].sum())
    counts[OVERALL] = resp.value_counts()
    dcr[OVERALL] = int(dc.sum())
    n_by = {lv: int((glab == lv).sum()) for lv in levels} | {OVERALL: len(resp)}

    rows = []
    for g in [*levels, OVERALL]:
        vc = counts[g]
        for m in MEASURES:
            if m == "ORR":
                k = int(sum(vc.get(c, 0) for c in _ORR))
            elif m == "DCR":
                k = dcr[g]
            else:
                k = int(vc.get(m, 0))
            rows.append((g, m, k, n_by[g]))
    table = pd.DataFrame(rows, columns=["group", "measure", "count", "n"])
    kk = table["count"].to_numpy(dtype=float)
    nn = table["n"].to_numpy(dtype=float)
    lo, hi = clopper_pearson(kk, nn, level)
    table["proportion"] = np.where(nn > 0, kk / np.maximum(nn, 1.0), np.nan)
    table["ci_lower"] = lo
    table["ci_upper"] = hi
    table["group"] = table["group"].astype("string")
    table["measure"] = table["measure"].astype("string")
    return ResponseRates(table=table, by=by, column=column, evaluable_only=evaluable_only)
