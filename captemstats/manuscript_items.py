"""The manuscript's tables and figures, one call each, with the study's labels and the
disclosure decision applied by the library rather than by each chunk of the ``.qmd``.

:class:`ManuscriptItems` is built once per document from the analysis and the small-cell
threshold of a shared version (``min_cell``). Every table it returns has gone through the
suppression of :mod:`captemstats.privacy` under one decision
(:func:`captemstats.disclosure.plan_disclosure`); every figure that would show counts below
the threshold or individual patients (numbers at risk, group sizes in the legend, the flow
diagram, the waterfall and swimmer plots) is drawn without them or withheld. The labels of
the groups come from the study specification (:class:`captemstats.study.StudySpec`): the
legend names of :attr:`captemstats.study.Grouping.legend`, the time axis
:attr:`~captemstats.study.StudySpec.time_axis_label` and "<endpoint> probability" on the
survival axis. Without ``min_cell`` the items are the full, unsuppressed versions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from captemstats.study import CAPTEM_STUDY

if TYPE_CHECKING:
    from captemstats.analysis import StudyAnalysis
    from captemstats.disclosure import Decision
    from captemstats.study import StudySpec
    from captemstats.tables.table import Table


class ManuscriptItems:
    """The study's tables and figures for one document.

    Parameters
    ----------
    analysis : StudyAnalysis
        The result of :func:`captemstats.analyze`.
    min_cell : int or None
        The small-cell threshold of a shared version (counts 1 to ``min_cell - 1`` are
        suppressed); ``None`` or 0: the full version.
    study : StudySpec
        The study specification whose labels the items print (default: the CAPTEM study).

    Example
    -------
    >>> from captemstats import analyze                         # doctest: +SKIP
    >>> items = ManuscriptItems(analyze("data/registry"), min_cell=5)  # doctest: +SKIP
    >>> items.table1().data.shape[1] > 3                        # doctest: +SKIP
    True
    >>> fig = items.km("pfs", "line_group")   # no numbers at risk  # doctest: +SKIP
    """

    def __init__(
        self,
        analysis: StudyAnalysis,
        *,
        min_cell: int | None = None,
        study: StudySpec = CAPTEM_STUDY,
    ) -> None:
        from captemstats.disclosure import plan_disclosure

        self.analysis = analysis
        self.study = study
        self.min_cell = min_cell or None
        #: True for a shared version (a threshold was given).
        self.suppress = self.min_cell is not None
        #: The one disclosure decision every table follows (None for the full version).
        self.decision: Decision | None = (
            plan_disclosure(analysis, self.min_cell) if self.min_cell is not None else None
        )

    # -- labels ---------------------------------------------------------------------------

    def legend(self, grouping: str) -> dict[str, str]:
        """The legend names of a grouping's levels (the study's :attr:`Grouping.legend`)."""
        return self.study.grouping(grouping).legend_labels

    @property
    def line_labels(self) -> dict[str, str]:
        """The names of the by-line groups (the columns of Tables 1 and 2)."""
        return self.legend(self.study.by)

    @property
    def recist_options(self) -> str:
        """The RECIST protocol options that differ from the defaults, as a sentence for the
        Methods (with a leading space), or "" when every option is the default."""
        notes = self.analysis.responses.method.notes
        if not notes:
            return ""
        text = "; ".join(notes)
        return f" Protocol options: {text}."

    # -- tables ---------------------------------------------------------------------------

    def table1(self) -> Table:
        """Table 1, patient characteristics by line (suppressed for a shared version)."""
        from captemstats.privacy import suppress_table
        from captemstats.tables import characteristics_table

        res = self.analysis
        table = characteristics_table(
            res.characteristics, group_labels=self.line_labels, title="", methods=res.methods
        )
        return suppress_table(table, self.min_cell, decision=self.decision, kind="table1")

    def table2(self) -> Table:
        """Table 2, best responses by line; the number treated is withheld with its cell."""
        from captemstats.privacy import suppress_response_table
        from captemstats.tables import response_table

        res = self.analysis
        hidden = self.decision is not None and self.decision.is_hidden("t2|NOTEVAL|all")
        table = response_table(
            res.response_rates,
            tests=res.response_tests,
            group_labels=self.line_labels,
            n_treated=None if hidden else res.n,
            title="",
            methods=res.methods,
        )
        return suppress_response_table(table, self.min_cell, decision=self.decision)

    def table4(self) -> Table:
        """Table 4, adverse events by CTCAE grade."""
        from captemstats.privacy import suppress_table
        from captemstats.tables import adverse_event_table

        table = adverse_event_table(self.analysis.adverse, title="")
        return suppress_table(table, self.min_cell, decision=self.decision, kind="table4")

    def attrition_table(self) -> Table:
        """The eligibility steps and the patients each removed."""
        from captemstats.privacy import suppress_attrition_table
        from captemstats.tables.appendix import attrition_table

        table = attrition_table(self.analysis.cohort.attrition, title="")
        return suppress_attrition_table(table, self.min_cell, decision=self.decision)

    def survival_table(self, groupings: Sequence[str] | None = None) -> Table:
        """Median PFS and OS with log-rank P by subgroup (default: every grouping)."""
        from captemstats.privacy import suppress_table
        from captemstats.tables import survival_summary_table

        res = self.analysis
        names = [g.column for g in self.study.groupings] if groupings is None else groupings
        labels = {g: self.legend(g) for g in names if g != "all"}
        fits = {
            e: {g: (res.km(e, g).km, res.km(e, g).logrank) for g in names} for e in ("pfs", "os")
        }
        table = survival_summary_table(fits["pfs"], fits["os"], group_labels=labels, title="")
        return suppress_table(
            table, self.min_cell, decision=self.decision, kind="survival", group_labels=labels
        )

    # -- figures --------------------------------------------------------------------------

    def km(self, endpoint: str, grouping: str = "all") -> Any:
        """Kaplan–Meier curves of ``endpoint`` by ``grouping`` with the log-rank test; a
        shared version draws neither numbers at risk nor group sizes (either can be a
        withheld count, :mod:`captemstats.disclosure`)."""
        from captemstats.figures import km_figure

        sc = self.analysis.km(endpoint, grouping)
        grouped = grouping != "all"
        return km_figure(
            sc.km,
            logrank=sc.logrank if grouped else None,
            labels=self.legend(grouping) if grouped else None,
            xlabel=self.study.time_axis_label,
            risk_table=not self.suppress,
            legend_n=not self.suppress,
            ylabel=f"{self.study.endpoint(endpoint).label} probability",
        )

    def flow(self) -> Any:
        """The STROBE flow of patients, by line; withheld from a shared version."""
        from captemstats.figures import flow_figure, withheld_figure

        if self.suppress:
            return withheld_figure()
        res = self.analysis
        groups = {self.line_labels[k]: v for k, v in res.n_by_line.items()}
        return flow_figure(res.cohort.attrition, groups=groups)

    def waterfall(self) -> Any:
        """Best change of the target-lesion sum per patient; withheld from a shared version."""
        from captemstats.figures import waterfall_figure, withheld_figure
        from captemstats.recist import waterfall_data

        if self.suppress:
            return withheld_figure()
        return waterfall_figure(waterfall_data(self.analysis.responses))

    def swimmer(self, max_patients: int = 60) -> Any:
        """Time on study per patient with response, progression and death; withheld from a
        shared version (it shows individual patients)."""
        from captemstats.figures import swimmer_figure, withheld_figure
        from captemstats.recist import swimmer_data

        if self.suppress:
            return withheld_figure()
        res = self.analysis
        data = swimmer_data(res.responses, res.cohort.data)
        return swimmer_figure(data, max_patients=max_patients)


__all__ = ["ManuscriptItems"]
