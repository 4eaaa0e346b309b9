"""Publication tables (great_tables) built from analysis results.

Every builder takes result objects (or their tidy frames), only formats and lays them out,
and returns a :class:`Table`: ``.data`` is the tidy display content (snapshot-tested and
exported by ``.to_csv`` / ``.to_excel``), ``.gt()`` the great_tables object, built lazily.

- :func:`characteristics_table` — Table 1 (``compare.CharacteristicsSummary``)
- :func:`response_table` — Table 2 (``recist.ResponseRates`` + ``compare`` tests)
- :func:`cox_table` — Table 3 (two ``survival.CoxResult``)
- :func:`adverse_event_table` — Table 4 (``adverse.AdverseEventSummary``)
- :func:`survival_summary_table` — median PFS/OS with log-rank P by subgroup
"""

from __future__ import annotations

from captemstats.tables.adverse import adverse_event_table
from captemstats.tables.characteristics import COMORBIDITY_NOTE, characteristics_table
from captemstats.tables.cox import cox_table
from captemstats.tables.response import response_table
from captemstats.tables.survival import survival_summary_table
from captemstats.tables.table import Column, Footnote, Table

__all__ = [
    "COMORBIDITY_NOTE",
    "Column",
    "Footnote",
    "Table",
    "adverse_event_table",
    "characteristics_table",
    "cox_table",
    "response_table",
    "survival_summary_table",
]
