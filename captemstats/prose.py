"""Numbers for the manuscript's prose, formatted from a ``StudyAnalysis``.

Presentation only: every method looks a computed value up in the analysis result and prints it
with :mod:`captemstats.formatting`; nothing here estimates anything. The ``.qmd`` writes
``{python} txt.median("pfs", "line_group", "1")`` instead of a typed number, so the prose
follows the data.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

from captemstats.formatting import (
    format_ci,
    format_median,
    format_medians,
    format_number,
    format_p,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd

    from captemstats.analysis import StudyAnalysis
    from captemstats.disclosure import Decision

ALL = "(all)"


@dataclass(frozen=True, eq=False)
class ProseNumbers:
    """Formatted look-ups into one analysis result (see module docstring)."""

    res: StudyAnalysis
    digits: int = 1
    #: Small-cell threshold of a shared document (``--min-cell``): the counts the disclosure
    #: decision withholds print as "<min_cell" (primary) or "*" (complementary), with their
    #: percentages, and ranges are dropped. None: off.
    min_cell: int | None = None
    #: The disclosure decision the document's tables apply (computed when not given), so the
    #: prose withholds exactly what the tables withhold.
    decision: Decision | None = None

    @cached_property
    def _plan(self) -> Decision | None:
        if self.min_cell is None:
            return None
        if self.decision is not None:
            return self.decision
        from captemstats.disclosure import plan_disclosure

        return plan_disclosure(self.res, self.min_cell)

    def _mark(self, key: str) -> str | None:
        plan = self._plan
        return None if plan is None else plan.marker(key)

    def _n(self, n: int, key: str) -> str:
        """A patient count as printed: "<5" / "*" when the decision withholds ``key``."""
        return self._mark(key) or str(n)

    def _n_pct(self, n: int, pct: float, key: str, denominator: str) -> str:
        mark = self._mark(key)
        if mark is not None:
            return mark
        if self._mark(denominator) is not None:  # the share would give the hidden n back
            return str(n)
        return f"{n} ({format_number(pct, self.digits)}%)"

    # -- cohort ------------------------------------------------------------------------------
    @property
    def n(self) -> int:
        return self.res.n

    @property
    def n_input(self) -> int:
        return int(self.res.cohort.attrition.n_input)

    @property
    def n_excluded(self) -> str:
        return self._n(int(self.res.cohort.attrition.n_excluded), "att|excluded")

    @property
    def n_centres(self) -> int:
        return int(self.res.cohort.data["center"].nunique())

    def n_line(self, line: str) -> str:
        return self._n(self.res.n_by_line.get(line, 0), f"t1|N|{line}")

    def n_pct_line(self, line: str) -> str:
        """``"139 (45.1%)"``: the patients treated in a line and their share of the cohort."""
        n = self.res.n_by_line.get(line, 0)
        return self._n_pct(n, 100.0 * n / self.n, f"t1|N|{line}", "t1|N|all")

    @property
    def start_years(self) -> str:
        """First and last calendar year of CAPTEM start ("2010–2022"): years only, never a
        date, so no patient can be singled out by it."""
        years = self.res.cohort.data["captem_start_date"].dt.year.dropna()
        return f"{int(years.min())}–{int(years.max())}"

    # -- Table 1 look-ups ----------------------------------------------------------------------
    def _t1(self) -> pd.DataFrame:
        frame: pd.DataFrame = self.res.characteristics.to_frame()
        return frame

    def count(self, variable: str, level: str, group: str = "all") -> str:
        """``"65 (21.1%)"``: a Table 1 count with its percentage."""
        f = self._t1()
        row = f[
            (f["variable"] == variable)
            & (f["level"].astype("string") == level)
            & (f["group"].astype("string") == group)
        ]
        if row.empty:
            raise KeyError(f"Table 1 has no cell {variable}={level} for group {group!r}")
        r = row.iloc[0]
        key = f"t1|{variable}|{level}|{group}"
        return self._n_pct(int(r["n"]), float(r["pct"]), key, f"t1|N|{group}")

    def continuous(self, variable: str, group: str = "all", digits: int = 0) -> str:
        """``"53 (range, 22–79)"``: median and range of a continuous Table 1 variable; the
        median only in a shared version (the range prints two patients' values)."""
        f = self._t1()
        row = f[(f["variable"] == variable) & (f["group"].astype("string") == group)]
        if row.empty:
            raise KeyError(f"Table 1 has no continuous row {variable} for group {group!r}")
        r = row.iloc[0]
        if self.min_cell is not None:
            return format_number(r["median"], digits)
        return (
            f"{format_number(r['median'], digits)} (range, "
            f"{format_number(r['min'], digits)}–{format_number(r['max'], digits)})"
        )

    def p_table1(self, variable: str) -> str:
        f = self._t1()
        p = f.loc[f["variable"] == variable, "p_value"].dropna()
        return p_phrase(p.iloc[0] if len(p) else None)

    # -- survival ----------------------------------------------------------------------------
    def median(
        self, endpoint: str, grouping: str = "all", group: str = ALL, *, ci: bool = False
    ) -> str:
        """Median PFS/OS in months ("10.6", or "not reached"), optionally with its 95% CI."""
        km = self.res.km(endpoint, grouping).km
        return format_median(km.median[group], self.digits, ci=ci)

    def medians(self, endpoint: str, grouping: str, groups: Sequence[str]) -> str:
        """Medians of several groups listed with their unit, never "not reached months".

        "16.1, 7.9 and 9.6 months" when every median is reached, else each reached one carries
        the unit ("32.5 months, 62.6 months and not reached"); see
        :func:`captemstats.formatting.format_medians`.
        """
        km = self.res.km(endpoint, grouping).km
        return format_medians([km.median[g] for g in groups], digits=self.digits)

    def median_months(
        self, endpoint: str, grouping: str = "all", group: str = ALL, *, ci: bool = False
    ) -> str:
        """:meth:`median` followed by "months" when the median is reached ("not reached" has
        no unit)."""
        km = self.res.km(endpoint, grouping).km
        text = self.median(endpoint, grouping, group, ci=ci)
        return f"{text} months" if km.median[group].reached else text

    def p_logrank(self, endpoint: str, grouping: str) -> str:
        """``"P = .01"`` / ``"P < .001"`` for the log-rank test of a grouping."""
        test = self.res.km(endpoint, grouping).logrank
        return p_phrase(None if test is None else test.p_value)

    @property
    def followup_median(self) -> str:
        return self._followup("median")

    @property
    def followup_range(self) -> str:
        return f"{self._followup('minimum')}–{self._followup('maximum')}"

    @property
    def followup_spread(self) -> str:
        """``"range, 3.0–212.2"``; in a shared version the range (two patients' follow-up
        times) is withheld and said so."""
        if self.min_cell is not None:
            return "range withheld in the shared version"
        return f"range, {self.followup_range}"

    def _followup(self, field: str) -> str:
        """The paper's definition: diagnosis to last follow-up or death (observed times)."""
        estimate = self.res.followup["observed"].overall
        return format_number(getattr(estimate, field), self.digits)

    # -- response ----------------------------------------------------------------------------
    def _rate(self, measure: str, group: str) -> pd.Series[Any]:
        t = self.res.response_rates.table
        sel = t[(t["measure"] == measure) & (t["group"].astype("string") == group)]
        if sel.empty:
            raise KeyError(f"no {measure} for group {group!r}")
        row: pd.Series[Any] = sel.iloc[0]
        return row

    def rate(self, measure: str, group: str = "All patients", *, ci: bool = False) -> str:
        """``"54.7%"`` (ORR, DCR, CR, ...), optionally ``"54.7% (95% CI, 46.0–63.3)"``."""
        r = self._rate(measure, group)
        g = "all" if group == "All patients" else group
        mark = self._mark(f"t2|{measure}|{g}") or self._mark(f"t2|N|{g}")
        if mark is not None:  # a rate of a withheld count, or over a withheld n
            return "withheld (small numbers)"
        text = f"{format_number(100 * r['proportion'], self.digits)}%"
        if ci:
            lo, hi = 100 * r["ci_lower"], 100 * r["ci_upper"]
            text += f" (95% CI, {format_ci(lo, hi, self.digits)})"
        return text

    def n_evaluable(self, group: str = "All patients") -> int:
        return int(self._rate("ORR", group)["n"])

    def evaluable(self, group: str = "All patients") -> str:
        """:meth:`n_evaluable` as printed (withheld as the decision says)."""
        g = "all" if group == "All patients" else group
        return self._n(self.n_evaluable(group), f"t2|N|{g}")

    @property
    def n_not_evaluable(self) -> str:
        return self._n(self.n - self.n_evaluable(), "t2|NOTEVAL|all")

    def p_response(self, which: str) -> str:
        return p_phrase(self.res.response_tests[which].p_value)

    # -- Cox ---------------------------------------------------------------------------------
    def hr(self, endpoint: str, term: str) -> str:
        """``"HR 0.80 (95% CI, 0.69–0.93; P = .003)"`` for a Table 3 term (by label)."""
        r = self.res.cox[endpoint]
        i = r.terms.index(term)
        return (
            f"HR {format_number(r.hr[i], 2)} (95% CI, {format_ci(r.lower[i], r.upper[i], 2)}; "
            f"{p_phrase(r.p_value[i])})"
        )

    def p_proportional_hazards(self, endpoint: str) -> str:
        """The global test of proportional hazards of a Table 3 model (R ``cox.zph``)."""
        return p_phrase(self.res.zph[endpoint].global_p_value)

    def significant_terms(self, endpoint: str, alpha: float = 0.05) -> list[str]:
        r = self.res.cox[endpoint]
        return [t for t, p in zip(r.terms, r.p_value, strict=True) if p < alpha]

    # -- adverse events ----------------------------------------------------------------------
    @property
    def grade34(self) -> str:
        a = self.res.adverse
        pct = 100 * a.grade34_patients / a.denominator
        return self._n_pct(a.grade34_patients, pct, "ae|grade34", "t1|N|all")


def p_phrase(p: Any) -> str:
    """``"P = .43"``, ``"P < .001"``, ``"P > .99"``; ``"P not computed"`` for a missing one
    (a missing or non-finite P is never printed as a number, so it cannot read as a result).

    Example
    -------
    >>> p_phrase(0.0004)
    'P < .001'
    """
    if p is None or not math.isfinite(float(p)):
        return "P not computed"
    text = format_p(float(p))
    if text.startswith(("<", ">")):
        return f"P {text[0]} {text[1:]}"
    return f"P = {text}"


def join_words(items: list[str]) -> str:
    """``"a, b, and c"``; ``"none"`` for an empty list."""
    if not items:
        return "none"
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + (", and " if len(items) > 2 else " and ") + items[-1]
