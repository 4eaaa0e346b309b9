"""Published values beside the recomputed ones (the manuscript's reproduction appendix).

:func:`compare_with_published` lines up every Kaplan–Meier median and log-rank P value the
paper prints (text and figures), and Table 3's hazard ratios, with the same quantities in a
:class:`~captemstats.analysis.StudyAnalysis`. It looks values up and subtracts; it estimates
nothing. Duplicate printings of one value (abstract, results, discussion) are kept once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis
    from captemstats.published import PublishedStudy

#: Published grouping name -> the analysis' grouping column.
GROUPING_COLUMNS: dict[str, str] = {
    "overall": "all",
    "line": "line_group",
    "grade": "grade",
    "ki67_group": "ki67_group",
    "primary_site": "primary_site",
}


@dataclass(frozen=True, eq=False)
class Reproduction:
    """One row per published quantity: ``quantity``, ``endpoint``, ``grouping``, ``group``,
    ``published`` (as printed), ``published_value``, ``recomputed``, ``difference``
    (recomputed − published) and ``relative_difference``."""

    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()


def compare_with_published(res: StudyAnalysis, study: PublishedStudy) -> Reproduction:
    """Published medians, log-rank P values and Table 3 HRs beside the recomputed values."""
    import pandas as pd

    from captemstats.analysis import table3_covariates

    terms = table3_covariates()
    rows: list[dict[str, object]] = []
    med = study.survival_frame().drop_duplicates(["endpoint", "grouping", "group"])
    for m in med.itertuples(index=False):
        grouping = GROUPING_COLUMNS[str(m.grouping)]
        km = res.km(str(m.endpoint), grouping).km
        group = "(all)" if grouping == "all" else str(m.group)
        est = km.median[group].estimate if group in km.median else None
        rows.append(
            _row("median (months)", m.endpoint, grouping, group, m.printed, m.median_months, est)
        )
    pv = study.survival_p_frame().drop_duplicates(["endpoint", "grouping"])
    for p in pv.itertuples(index=False):
        grouping = GROUPING_COLUMNS[str(p.grouping)]
        test = res.km(str(p.endpoint), grouping).logrank
        rows.append(
            _row(
                "log-rank P",
                p.endpoint,
                grouping,
                "",
                p.printed,
                p.value,
                None if test is None else test.p_value,
            )
        )
    for c in study.cox_frame().itertuples(index=False):
        fit = res.cox[str(c.endpoint)]
        term = str(terms[str(c.covariate)].label)
        hr = float(fit.hr[fit.terms.index(term)]) if term in fit.terms else None
        rows.append(_row("hazard ratio", c.endpoint, "table3", term, c.hr_printed, c.hr, hr))
    return Reproduction(pd.DataFrame(rows))


def _row(
    quantity: str,
    endpoint: object,
    grouping: str,
    group: str,
    printed: object,
    published: object,
    recomputed: float | None,
) -> dict[str, object]:
    pub = np.nan if published is None else float(str(published))
    rec = np.nan if recomputed is None else float(recomputed)
    diff = rec - pub
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff / pub if pub else np.nan
    return {
        "quantity": quantity,
        "endpoint": str(endpoint),
        "grouping": grouping,
        "group": group,
        "published": str(printed),
        "published_value": pub,
        "recomputed": rec,
        "difference": diff,
        "relative_difference": rel,
    }
