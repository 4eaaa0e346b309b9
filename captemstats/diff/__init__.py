"""What changed since the last data cut (issue 13, part 6).

:func:`diff_datacuts` compares two registries (or two ``results.json``, or one of each):

- patients added and removed (by ``patient_id``), and per patient which fields changed;
- lesion and adverse-event rows added, removed and changed, keyed by their natural keys
  (:mod:`captemstats.schema`); rows of a patient who left are listed and flagged, never
  folded away;
- the results that moved: cohort and response counts, Kaplan–Meier medians by grouping,
  log-rank P values, Cox hazard ratios and P values, Table 1 and Table 4 counts.

The result (:class:`DataCutDiff`) gives ``to_frame()`` (counts only, no identifier: what a
shared appendix may print, see :func:`captemstats.tables.datacut.datacut_tables`) and
``to_dict()`` / ``to_json()`` (the data manager's listing, with ids; its layout is
:data:`DIFF_SCHEMA`). ``captemstats diff OLD NEW`` prints it.
"""

from __future__ import annotations

from captemstats.diff._datacut import (
    DIFF_SCHEMA_VERSION,
    CutSource,
    DataCutDiff,
    InvalidCutError,
    RecordChanges,
    ResultsReadError,
    diff_datacuts,
    diff_records,
    read_results,
)
from captemstats.diff._schema import DIFF_SCHEMA
from captemstats.diff.records import TableDiff, diff_table
from captemstats.diff.results import ResultChanges, diff_results, results_quantities

__all__ = [
    "DIFF_SCHEMA",
    "DIFF_SCHEMA_VERSION",
    "CutSource",
    "DataCutDiff",
    "InvalidCutError",
    "RecordChanges",
    "ResultChanges",
    "ResultsReadError",
    "TableDiff",
    "diff_datacuts",
    "diff_records",
    "diff_results",
    "diff_table",
    "read_results",
    "results_quantities",
]
