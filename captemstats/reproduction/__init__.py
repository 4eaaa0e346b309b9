"""Every number the paper prints beside the recomputed one (the manuscript's reproduction appendix).

:func:`compare_with_published` lines up each printed value of Tables 1–4 (counts,
percentages, summaries, P values; Table 1/2 P under both methods profiles), every
Kaplan–Meier median and log-rank P of the text, Table 3's HR, CI limits and P (as labelled
and reversed) and the text's median follow-up and age (with ranges) with the same quantity
read out of a :class:`~captemstats.analysis.StudyAnalysis`. It looks values up and subtracts;
it estimates nothing. Each value gets a verdict (:mod:`captemstats.reproduction.rules`:
``equal`` at the printed precision, ``within tolerance``, ``differs``) and a reason: the
audit finding on that print (:func:`captemstats.audit.audit_published`), the methods profile,
Table 3's label reading, or the synthetic registry. A value printed in several places (the
abstract, the results, the discussion) is one row listing every place.

Example
-------
>>> from captemstats.analysis import analyze
>>> from captemstats.published import load_published
>>> rep = compare_with_published(analyze("data/registry"), load_published())  # doctest: +SKIP
>>> rep.summary().loc["Table 1", "equal"]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from captemstats.reproduction._base import COLUMNS
from captemstats.reproduction._survival import GROUPING_COLUMNS
from captemstats.reproduction.rules import TOLERANCES, VERDICTS, Verdict, verdict

if TYPE_CHECKING:
    import os
    import pathlib

    import pandas as pd

    from captemstats.analysis import StudyAnalysis
    from captemstats.audit import AuditResult
    from captemstats.disclosure import Decision
    from captemstats.published import PublishedStudy

__all__ = [
    "COLUMNS",
    "GROUPING_COLUMNS",
    "TABLES",
    "TOLERANCES",
    "VERDICTS",
    "Reproduction",
    "Verdict",
    "compare_with_published",
    "verdict",
]

#: The printed places, in the appendix's order.
TABLES: tuple[str, ...] = ("Table 1", "Table 2", "Table 3", "Table 4", "Text")
#: Kinds and quantities a shared version (``--min-cell``) leaves out: counts, the
#: percentages that give them back, and ranges (single patients' values).
_SHARED_OUT_KINDS = frozenset({"count", "percentage"})
_SHARED_OUT_QUANTITIES = frozenset({"min", "max"})


@dataclass(frozen=True, eq=False)
class Reproduction:
    """One row per printed value (columns :data:`COLUMNS`).

    ``quantity`` (count, percentage, median, P value, hazard ratio...), ``kind`` (its
    tolerance, :data:`~captemstats.reproduction.rules.TOLERANCES`), ``table`` (Table 1–4 or
    Text) and ``location`` (every place it is printed), ``endpoint``, ``variable`` and
    ``group``; ``published`` (as printed) and ``published_value``; ``recomputed`` (the
    recommended profile) and, for Table 1/2 P values, ``recomputed_as_published`` with its
    print ``as_published_printed``; for Table 3's HR and CI ``recomputed_reversed`` (1/HR,
    the CI inverted); ``difference`` (recomputed − published); ``verdict``,
    ``verdict_as_published``, ``verdict_reversed`` and ``reading`` (which Table 3 reading
    matches); ``reason``, with the audit findings it cites in ``audit_check`` and
    ``audit_item`` (``table:item:field``); ``disclosure_key`` (the counts behind the value,
    :mod:`captemstats.disclosure`).
    """

    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """A copy of the rows.

        Returns
        -------
        pandas.DataFrame
            The columns :data:`COLUMNS`.

        Example
        -------
        >>> rep.to_frame().columns[:3].tolist()  # doctest: +SKIP
        ['quantity', 'kind', 'table']
        """
        return self.frame.copy()

    def summary(self) -> pd.DataFrame:
        """Verdict counts by table: one row per :data:`TABLES` entry (present ones) and
        ``All``; columns ``equal``, ``within tolerance``, ``differs`` and ``total``.

        Example
        -------
        >>> int(rep.summary().loc["All", "total"]) == len(rep.to_frame())  # doctest: +SKIP
        True
        """
        import pandas as pd

        f = self.frame
        tables = [t for t in TABLES if (f["table"] == t).any()]
        counts = pd.crosstab(f["table"], f["verdict"]).reindex(
            index=tables, columns=list(VERDICTS), fill_value=0
        )
        counts.loc["All"] = counts.sum()
        counts["total"] = counts.sum(axis=1)
        counts.columns.name = None
        return counts.astype(int)

    def shareable(self, decision: Decision | None = None) -> Reproduction:
        """The rows a shared version (``--min-cell``) may print: no count, no percentage, no
        range, and no value resting on a count the disclosure ``decision`` withholds (e.g. the
        median survival of a small group).

        Example
        -------
        >>> set(rep.shareable().to_frame()["kind"]) & {"count", "percentage"}  # doctest: +SKIP
        set()
        """
        f = self.frame
        keep = ~f["kind"].isin(list(_SHARED_OUT_KINDS)) & ~f["quantity"].isin(
            list(_SHARED_OUT_QUANTITIES)
        )
        if decision is not None:
            hidden = f["disclosure_key"].map(
                lambda keys: any(decision.is_hidden(k) for k in str(keys).split())
            )
            keep &= ~hidden.astype(bool)
        return Reproduction(f[keep].reset_index(drop=True))

    def to_csv(self, path: str | os.PathLike[str]) -> pathlib.Path:
        """Write the rows as CSV (formula-safe, LF line ends); return the path.

        Example
        -------
        >>> rep.to_csv("results/reproduction.csv")  # doctest: +SKIP
        """
        from pathlib import Path

        from captemstats.atomic import write_atomic
        from captemstats.results_files import csv_writer

        return write_atomic(Path(path), csv_writer(self.frame))


def compare_with_published(
    res: StudyAnalysis, study: PublishedStudy, audit: AuditResult | None = None
) -> Reproduction:
    """Every printed value of ``study`` beside the value recomputed in ``res``.

    Parameters
    ----------
    res
        A finished analysis (any methods profile: Table 1/2 P values are read under both).
    study
        The published values (:func:`captemstats.published.load_published`).
    audit
        The audit of ``study`` (computed when not given) whose findings the reasons cite.

    Returns
    -------
    Reproduction
        One row per printed value, Tables 1–4 then the text's survival, follow-up and age.

    Example
    -------
    >>> rep = compare_with_published(res, load_published())  # doctest: +SKIP
    >>> rep.to_frame().groupby("table")["verdict"].value_counts()  # doctest: +SKIP
    """
    import pandas as pd

    from captemstats.audit import audit_published
    from captemstats.reanalysis import categorical_tests
    from captemstats.reproduction._reasons import attach_reasons
    from captemstats.reproduction._survival import cox_rows, survival_rows, text_rows
    from captemstats.reproduction._tables import table1_rows, table2_rows, table4_rows

    # each profile's tests once: another profile recomputes Table 1 (seconds at 10^5 patients)
    tests = {name: categorical_tests(res, name) for name in ("recommended", "as_published")}
    rows = [
        *table1_rows(res, study, tests),
        *table2_rows(res, study, tests),
        *cox_rows(res, study),
        *table4_rows(res, study),
        *survival_rows(res, study),
        *text_rows(res, study),
    ]
    attach_reasons(rows, audit or audit_published(study), bool(res.provenance.synthetic))
    return Reproduction(pd.DataFrame(rows, columns=list(COLUMNS)))
