"""Survival summary: median PFS and OS with 95% CI and log-rank P by subgroup.

The paper gives these only in prose (Results); the table collects them: one block per
grouping (treatment line, grade, Ki-67 group, primary site) with the log-rank P on the
block's heading row, and the whole cohort on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeAlias

from captemstats.tables._common import (
    BOLD_NOTE,
    is_significant,
    method_text,
    ordered_codes,
    p_cell,
)
from captemstats.tables.table import Column, Footnote, Table

if TYPE_CHECKING:
    from captemstats.survival.km import KaplanMeierResult
    from captemstats.survival.logrank import LogRankResult

#: Printed names of the study's groupings (the keys :func:`captemstats.analysis.analyze`
#: uses); other keys print as given.
GROUPING_LABELS: dict[str, str] = {
    "all": "All patients",
    "line_group": "Treatment line",
    "grade": "Histological grade",
    "ki67_group": "Ki-67 index",
    "primary_site": "Primary tumour site",
}

#: A grouping's results for one endpoint: the KM fit and its log-rank test (None: no test).
Comparison: TypeAlias = "tuple[KaplanMeierResult, LogRankResult | None]"


def survival_summary_table(
    pfs: Mapping[str, Comparison],
    os: Mapping[str, Comparison],
    *,
    group_labels: Mapping[str, Mapping[str, str]] | None = None,
    grouping_labels: Mapping[str, str] | None = None,
    endpoint_labels: Sequence[str] = ("Progression-free survival", "Overall survival"),
    title: str = "Median progression-free and overall survival by subgroup",
    time_unit: str = "months",
    alpha: float = 0.05,
    footnotes: Sequence[str] = (),
) -> Table:
    """Median survival (95% CI) per group and log-rank P, PFS and OS side by side.

    ``pfs`` and ``os`` map a grouping's printed name (e.g. "Treatment line") to
    ``(KaplanMeierResult, LogRankResult | None)``; both mappings must name the same
    groupings. A grouping whose KM has a single group prints one row (e.g. "All patients").
    Medians are printed by :func:`captemstats.formatting.format_median` ("not reached" when
    S(t) never falls to 0.5); n is the number at risk at time 0 (``km.at_risk([0])``).
    ``group_labels[grouping][code]`` renames groups and orders them (the mapping's order;
    groups it does not name follow in the fit's order). ``grouping_labels`` names the
    groupings' heading rows (default :data:`GROUPING_LABELS`, then the key itself). The CI
    method (``km.method``) and the test are footnoted.

    Parameters
    ----------
    pfs, os
        Grouping name -> (Kaplan–Meier result, log-rank result or None), per endpoint.
    group_labels
        Printed group names (and order) per grouping.
    grouping_labels
        Printed heading per grouping.
    endpoint_labels
        The spanner labels of the two endpoints.
    title
        The table's title.
    time_unit
        The unit printed in the median's header.
    alpha
        P values below it are bold.
    footnotes
        Extra footnotes.

    Returns
    -------
    Table
        Display content (``data``), column headers, title and footnotes; ``gt()`` gives the
        great_tables table, ``as_html()``, ``to_csv()`` and ``to_excel()`` write it.

    Examples
    --------
    >>> from captemstats import read_registry
    >>> from captemstats.cohort import derive_cohort
    >>> d = derive_cohort(read_registry("data/registry")).data
    >>> from captemstats.survival import kaplan_meier, logrank_test
    >>> def by_line(time, event):
    ...     return (kaplan_meier(d[time], d[event], by=d["line_group"]),
    ...             logrank_test(d[time], d[event], d["line_group"]))
    >>> t = survival_summary_table({"line_group": by_line("pfs_months", "pfs_event")},
    ...                            {"line_group": by_line("os_months", "os_event")})
    >>> t.data[["label", "n", "pfs_median", "pfs_p", "os_median", "os_p"]]
                label    n       pfs_median pfs_p         os_median  os_p
    0  Treatment line                         .01                    .005
    1               1  139  15.9 (9.3–32.6)         105.8 (61.7–NR)
    2               2  118   7.8 (4.9–17.9)          50.1 (28.8–NR)
    3              3+   51   9.7 (4.2–15.6)        26.1 (11.4–61.1)
    """
    if list(pfs) != list(os):
        raise ValueError(f"pfs and os name different groupings: {list(pfs)} vs {list(os)}")
    rows: list[dict[str, str]] = []
    bold: list[tuple[int, str]] = []
    methods: list[str] = []
    for grouping in pfs:
        fits = {"pfs": pfs[grouping], "os": os[grouping]}
        names = dict((group_labels or {}).get(grouping, {}))
        heading = {**GROUPING_LABELS, **(grouping_labels or {})}.get(grouping, grouping)
        _add_grouping(rows, bold, grouping, fits, names, heading, alpha)
        for km, test in fits.values():
            for obj in (km, test):
                text = method_text(getattr(obj, "method", None))
                if text and text not in methods:
                    methods.append(text)
    cols: list[Column] = [Column("n", "n")]
    for key, spanner in zip(("pfs", "os"), endpoint_labels, strict=True):
        cols += [
            Column(f"{key}_median", f"Median, {time_unit} (95% CI)", spanner),
            Column(f"{key}_p", "Log-rank P", spanner),
        ]
    notes = [Footnote(m) for m in methods]
    if any("NR" in row.get(f"{key}_median", "") for row in rows for key in ("pfs", "os")):
        notes.append(Footnote("NR, not reached (the confidence limit cannot be estimated)."))
    notes += [Footnote(t) for t in footnotes]
    return Table.from_rows(
        rows,
        cols,
        title=title,
        stub_header="Subgroup",
        footnotes=tuple(notes),
        notes=(BOLD_NOTE,) if bold else (),
        bold=tuple(bold),
    )


def _add_grouping(
    rows: list[dict[str, str]],
    bold: list[tuple[int, str]],
    grouping: str,
    fits: Mapping[str, Comparison],
    names: Mapping[str, str],
    heading: str,
    alpha: float,
) -> None:
    """One grouping's block: a heading row with the log-rank P of each endpoint (none for a
    single group), then one row per group with n and the medians."""
    from captemstats.formatting import format_median

    groups = ordered_codes([str(g) for g in fits["pfs"][0].groups], names)
    single = len(groups) == 1
    if not single:
        head = {"variable": grouping, "row_type": "label", "label": heading}
        for key, (_, test) in fits.items():
            if test is not None:
                head[f"{key}_p"] = p_cell(test.p_value)
                if is_significant(test.p_value, alpha):
                    bold.append((len(rows), f"{key}_p"))
        rows.append(head)
    # numbers at risk at time 0, as under the KM figure (KaplanMeierResult.at_risk)
    n0 = fits["pfs"][0].at_risk([0.0]).set_index("group")["n_risk"]
    medians = {key: _medians(km, groups) for key, (km, _) in fits.items()}
    for g in groups:
        row = {
            "variable": grouping,
            # a single-group row (all patients) stands at the top level, unindented
            "row_type": "label" if single else "level",
            "label": names.get(g, heading if single else g),
            "n": str(int(n0[g])),
        }
        for key in fits:
            row[f"{key}_median"] = str(format_median(medians[key][g]))
        rows.append(row)


def _medians(km: Any, groups: Sequence[str]) -> dict[str, Any]:
    return {g: km.median[g] for g in groups}
