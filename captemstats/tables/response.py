"""Table 2: best overall response by treatment line with ORR and DCR (exact CIs) and P."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, SupportsInt, cast

import pandas as pd

from captemstats.schema import LABELS
from captemstats.tables._common import (
    BOLD_NOTE,
    LINE_LABELS,
    TestResult,
    header,
    is_significant,
    label_for,
    num,
    p_cell,
    profile_of,
    test_footnotes,
)
from captemstats.tables._format import n_pct
from captemstats.tables.table import Column, Footnote, Table

if TYPE_CHECKING:
    from captemstats.formatting import PValueDisplay
    from captemstats.methods import MethodProfile, MethodsName
    from captemstats.recist.rates import ResponseRates

_CATEGORIES: tuple[str, ...] = ("CR", "PR", "SD", "NON_CR_NON_PD", "PD", "NE")
_SUMMARY_LABELS = {
    "ORR": "Objective response rate (ORR = CR + PR)",
    "DCR": "Disease control rate (DCR = CR + PR + SD)",
}


def response_table(
    rates: ResponseRates,
    *,
    tests: Mapping[str, TestResult] | None = None,
    group_labels: Mapping[str, str] | None = None,
    overall_label: str = "All patients",
    title: str = "Best responses according to the line of treatment",
    ci_digits: int = 1,
    alpha: float = 0.05,
    n_treated: int | None = None,
    footnotes: Sequence[str] = (),
    methods: MethodsName | MethodProfile | None = None,
) -> Table:
    """Table 2 layout from ``captemstats.recist.ResponseRates``.

    Rows: the best-response categories n (%) (RECIST 1.1 §4.4; non-CR/non-PD and NE shown
    only when someone has them), then ORR and DCR n (%) each followed by its exact
    Clopper–Pearson 95% CI (computed by the RECIST engine). Column headers state each
    group's denominator (evaluable patients). ``tests`` maps ``"distribution"``, ``"ORR"``
    and ``"DCR"`` to ``captemstats.compare`` test results (``p_value``, ``test``); the test
    used is footnoted and significant P values are bold. ``n_treated`` (the patients
    analysed, e.g. ``StudyAnalysis.n``) adds how many were not evaluable for response, as
    the paper's footnote does; without it the footnote states the rule only.

    ``methods`` is the analysis' methods profile (``StudyAnalysis.methods``, a name or a
    :class:`captemstats.methods.MethodProfile`; None: the default's print): it sets how P
    values print and, for a profile other than the default, adds a footnote stating it.

    Parameters
    ----------
    rates
        :func:`captemstats.recist.response_rates` (``StudyAnalysis.response_rates``).
    tests
        Tests of the distribution, ORR and DCR (``StudyAnalysis.response_tests``).
    group_labels
        Printed name per group.
    overall_label
        Printed name of the all-patients column.
    title
        The table's title.
    ci_digits
        Decimals of the CI limits (percent).
    alpha
        P values below it are bold.
    n_treated
        The patients analysed (for the not-evaluable footnote).
    footnotes
        Extra footnotes.
    methods
        The methods profile (above).

    Returns
    -------
    Table
        Display content (``data``), column headers, title and footnotes; ``gt()`` gives the
        great_tables table, ``as_html()``, ``to_csv()`` and ``to_excel()`` write it.

    Examples
    --------
    >>> import pandas as pd
    >>> from captemstats.recist import response_rates
    >>> bor = pd.DataFrame({"patient_id": ["P1", "P2", "P3", "P4", "P5"],
    ...                     "bor": ["CR", "PR", "SD", "PD", "PR"], "evaluable": True})
    >>> response_table(response_rates(bor)).data[["label", "all"]]
                                                  label        all
    0                      Best overall response, n (%)
    1                            Complete response (CR)   1 (20.0)
    2                             Partial response (PR)   2 (40.0)
    3                               Stable disease (SD)   1 (20.0)
    4                          Progressive disease (PD)   1 (20.0)
    5    Objective response rate (ORR = CR + PR), n (%)   3 (60.0)
    6                                        95% CI (%)  14.7–94.7
    7  Disease control rate (DCR = CR + PR + SD), n (%)   4 (80.0)
    8                                        95% CI (%)  28.4–99.5
    """
    frame = rates.to_frame()
    overall = _overall_name(rates)
    groups = [g for g in pd.unique(frame["group"].astype("string")) if g != overall]
    order = [overall, *groups]
    cell = frame.assign(group=frame["group"].astype("string")).set_index(["measure", "group"])
    n_of = {g: int(cell.loc[("ORR", g), "n"]) for g in order}
    ids = {g: "all" if g == overall else str(g) for g in order}
    tests = dict(tests or {})
    display, profile_notes = profile_of(methods)

    present = [
        m
        for m in _CATEGORIES
        if m in ("CR", "PR", "SD", "PD")
        or int(cast(SupportsInt, cell.loc[(m, overall), "count"])) > 0
    ]
    out = _Rows(display, alpha)
    out.add(
        {"variable": "bor", "row_type": "label", "label": "Best overall response, n (%)"},
        tests.get("distribution"),
    )
    _add_categories(out, cell, present, order, ids)
    _add_rates(out, cell, present, order, ids, tests, ci_digits)

    names = {overall: overall_label, **LINE_LABELS}
    cols = (
        *(Column(ids[g], header(label_for(g, group_labels, names), n_of[g])) for g in order),
        Column("p", "P value"),
    )
    notes = [
        *test_footnotes(out.tested, "p"),
        *profile_notes,
        Footnote(_evaluable_note(n_of[overall], n_treated), column=ids[overall]),
        Footnote("95% CI: exact (Clopper–Pearson) confidence interval of the rate."),
        *[Footnote(t) for t in footnotes],
    ]
    return Table.from_rows(
        out.rows,
        cols,
        title=title,
        stub_header="Response category",
        footnotes=tuple(notes),
        notes=(BOLD_NOTE,) if out.bold else (),
        bold=tuple(out.bold),
    )


@dataclasses.dataclass
class _Rows:
    """Table 2's rows as they are added, with the P cells to footnote and embolden."""

    display: PValueDisplay
    alpha: float
    rows: list[dict[str, str]] = dataclasses.field(default_factory=list)
    tested: list[tuple[int, Any]] = dataclasses.field(default_factory=list)
    bold: list[tuple[int, str]] = dataclasses.field(default_factory=list)

    def add(self, row: dict[str, str], test: Any = None) -> None:
        """Append ``row``; with a ``test``, its P value in the "p" cell."""
        if test is not None:
            p = getattr(test, "p_value", None)
            row["p"] = p_cell(p, self.display)
            self.tested.append((len(self.rows), getattr(test, "test", None)))
            if is_significant(p, self.alpha):
                self.bold.append((len(self.rows), "p"))
        self.rows.append(row)


def _add_categories(
    out: _Rows,
    cell: Any,
    present: Sequence[str],
    order: Sequence[str],
    ids: Mapping[str, str],
) -> None:
    """One "n (%)" row per best-response category shown (``cell``: the rates frame indexed
    by measure and group)."""
    for m in present:
        row = {
            "variable": "bor",
            "row_type": "level",
            "label": f"{LABELS['best_response'].get(m, m)} ({_abbrev(m)})",
        }
        for g in order:
            row[ids[g]] = n_pct(
                int(cell.loc[(m, g), "count"]), 100 * float(cell.loc[(m, g), "proportion"])
            )
        out.add(row)


def _add_rates(
    out: _Rows,
    cell: Any,
    present: Sequence[str],
    order: Sequence[str],
    ids: Mapping[str, str],
    tests: Mapping[str, Any],
    ci_digits: int,
) -> None:
    """ORR and DCR: an "n (%)" row with its test's P, then its exact 95% CI row."""
    summary_labels = dict(_SUMMARY_LABELS)
    if "NON_CR_NON_PD" in present:  # RECIST 1.1: non-CR/non-PD counts as disease control
        summary_labels["DCR"] = summary_labels["DCR"][:-1] + " + non-CR/non-PD)"
    for m in ("ORR", "DCR"):
        row = {"variable": m, "row_type": "label", "label": summary_labels[m] + ", n (%)"}
        ci = {"variable": m, "row_type": "stat", "label": "95% CI (%)"}
        for g in order:
            c = cell.loc[(m, g)]
            row[ids[g]] = n_pct(int(c["count"]), 100 * float(c["proportion"]))
            ci[ids[g]] = (
                f"{num(100 * c['ci_lower'], ci_digits)}–{num(100 * c['ci_upper'], ci_digits)}"
            )
        out.add(row, tests.get(m))
        out.add(ci)


def _evaluable_note(n_evaluable: int, n_treated: int | None) -> str:
    """The denominator footnote: who was evaluable and, given ``n_treated``, who was not."""
    rule = (
        "Percentages of the patients evaluable for response (RECIST 1.1); patients who "
        "received only one course or had no evaluable assessment are not included"
    )
    if n_treated is None:
        return rule + "."
    missing = int(n_treated) - int(n_evaluable)
    if missing < 0:
        raise ValueError(
            f"response_table: n_treated = {n_treated} is below the {n_evaluable} evaluable patients"
        )
    return f"{rule} ({missing} of {int(n_treated)} patients)."


def _overall_name(rates: Any) -> str:
    try:
        from captemstats.recist.rates import OVERALL
    except ImportError:  # pragma: no cover - the RECIST package is part of captemstats
        return "All patients"
    return str(OVERALL)


def _abbrev(code: str) -> str:
    return {"NON_CR_NON_PD": "non-CR/non-PD"}.get(code, code)
