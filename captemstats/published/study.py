"""The whole transcription, :class:`PublishedStudy`: its lookups (group sizes, Table 2
denominators, a Table 1 variable, a text value) and its tidy pandas views (the ``*_frame``
methods) of each table, the survival medians and P values, and the text values.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from captemstats.published.printed import Cell, _Model
from captemstats.published.sections import (
    StudyFacts,
    Survival,
    Table1,
    Table2,
    Table3,
    Table4,
    TextValue,
    Variable,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["PublishedStudy"]


class PublishedStudy(_Model):
    """The whole transcription. Use the ``*_frame`` methods for tidy views."""

    schema_version: Literal[1]
    source: dict[str, str]
    study: StudyFacts
    table1: Table1
    table2: Table2
    table3: Table3
    table4: Table4
    survival: Survival
    text_values: list[TextValue] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique_ids(self) -> PublishedStudy:
        ids = [t.id for t in self.text_values]
        dup = sorted({i for i in ids if ids.count(i) > 1})
        if dup:
            raise ValueError(f"duplicate text_values ids: {dup}")
        return self

    # ----------------------------------------------------------------- lookups
    def n_per_group(self) -> dict[str, int]:
        """Table 1 'Number' row: {'all': 308, '1': 139, '2': 118, '3+': 51}."""
        return {g.group: int(g.cell.n or 0) for g in self.table1.groups}

    def table2_denominators(self) -> dict[str, int]:
        """Table 2 header denominators: {'all': 304, '1': 137, '2': 117, '3+': 50}."""
        return {g.group: g.denominator.value for g in self.table2.groups}

    def variable(self, code: str) -> Variable:
        for v in self.table1.variables:
            if v.variable == code:
                return v
        raise KeyError(code)

    def text_value(self, id_: str) -> TextValue:
        for t in self.text_values:
            if t.id == id_:
                return t
        raise KeyError(id_)

    # ------------------------------------------------------------------ frames
    def table1_frame(self) -> pd.DataFrame:
        """Tidy Table 1 counts as printed: variable, level, group, n, pct (printed text),
        pct_value, printed, where. Dash cells have n = <NA>."""
        rows = [
            _cell_row({"variable": v.variable, "level": lv.level, "group": g}, c)
            for v in self.table1.variables
            for lv in v.levels
            for g, c in lv.cells.items()
        ]
        return _frame(rows, int_cols=("n",))

    def table1_continuous_frame(self) -> pd.DataFrame:
        """Tidy continuous rows: variable, stat, group, printed (the stat), value, cell, where."""
        rows = [
            {
                "variable": c.variable,
                "stat": stat,
                "group": g,
                "printed": text,
                "value": float(text),
                "cell": cell.printed,
                "where": cell.where,
            }
            for c in self.table1.continuous
            for g, cell in c.cells.items()
            for stat, text in cell.stats.items()
        ]
        return _frame(rows)

    def table1_p_frame(self) -> pd.DataFrame:
        """Table 1 P values: variable, printed, value, where."""
        rows = [
            {"variable": v.variable, "printed": p.printed, "value": p.value, "where": p.where}
            for v in self.table1.variables
            if (p := v.p_value) is not None
        ]
        return _frame(rows)

    def table2_frame(self) -> pd.DataFrame:
        """Tidy Table 2: response, group, n, pct, pct_value, printed, where, denominator."""
        den = self.table2_denominators()
        rows = [
            _cell_row({"response": r.response, "group": g}, c) | {"denominator": den[g]}
            for r in self.table2.responses
            for g, c in r.cells.items()
        ]
        return _frame(rows, int_cols=("n",))

    def table4_frame(self) -> pd.DataFrame:
        """Tidy Table 4: term, printed_term, band, n, pct, pct_value, printed, where.

        Dashes give n = <NA> with printed '—'; cells the table leaves blank give printed = None.
        """
        rows: list[dict[str, Any]] = []
        for t in self.table4.terms:
            for band, c in t.cells.items():
                key = {"term": t.term, "printed_term": t.printed_term, "band": band}
                if c is None:
                    rows.append(key | dict.fromkeys(_CELL_KEYS))
                else:
                    rows.append(_cell_row(key, c))
        return _frame(rows, int_cols=("n",))

    def survival_frame(self) -> pd.DataFrame:
        """Every printed median (one row per appearance): endpoint, grouping, group, printed,
        median_months (NaN = not reached), where, plus the log-rank P printed at that place."""
        rows = [m.model_dump() for m in self.survival.medians]
        return _frame(rows)

    def survival_p_frame(self) -> pd.DataFrame:
        """Every printed log-rank P (one row per appearance)."""
        return _frame([p.model_dump() for p in self.survival.p_values])

    def cox_frame(self) -> pd.DataFrame:
        """Table 3 tidy: endpoint, covariate, hr, lower, upper, p_value, and the printed
        strings hr_printed, ci_printed, p_printed, plus where."""
        rows = [
            {
                "endpoint": r.endpoint,
                "covariate": r.covariate,
                "hr": r.hr.value,
                "lower": r.ci.lower,
                "upper": r.ci.upper,
                "p_value": r.p_value.value,
                "hr_printed": r.hr.printed,
                "ci_printed": r.ci.printed,
                "p_printed": r.p_value.printed,
                "where": r.where,
            }
            for r in self.table3.rows
        ]
        return _frame(rows)

    def text_values_frame(self) -> pd.DataFrame:
        """Numbers printed in the abstract and text: id, where, printed, kind, value, refers_to."""
        rows = [
            {
                "id": t.id,
                "where": t.where,
                "printed": t.printed,
                "kind": t.kind,
                "value": t.value,
                "refers_to": json.dumps(t.refers_to, sort_keys=True) if t.refers_to else None,
                "quote": t.quote,
            }
            for t in self.text_values
        ]
        return _frame(rows)


_CELL_KEYS = ("n", "pct", "pct_value", "printed", "where")


def _cell_row(key: dict[str, Any], c: Cell) -> dict[str, Any]:
    return key | {
        "n": c.n,
        "pct": c.pct,
        "pct_value": c.pct_value,
        "printed": c.printed,
        "where": c.where,
    }


def _frame(rows: list[dict[str, Any]], int_cols: tuple[str, ...] = ()) -> pd.DataFrame:
    import pandas as pd

    df = pd.DataFrame(rows)
    for col in int_cols:
        df[col] = df[col].astype("Int64")
    return df
