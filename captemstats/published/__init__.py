"""The values the CAPTEM paper prints, as typed data.

Every count, percentage, median, hazard ratio and P value of the paper (Tables 1–4, the
abstract and the text) is transcribed *exactly as printed* — typographical errors included —
in ``captem_study.yaml``, each with where it appears. This module validates that file with
pydantic models and offers tidy pandas views of it. It never corrects a value: the audit of
the printed values (:mod:`captemstats.audit`) finds the inconsistencies and
:func:`captemstats.audit.resolve` derives one consistent set of values from them.

Where the file lives
--------------------
The canonical copy is package data, ``captemstats/resources/published/captem_study.yaml``, so
:func:`load_published` works from an installed wheel. ``data/published/captem_study.yaml`` is
the user-facing duplicate (a plain copy, no symlink, so it survives any checkout or archive);
``tests/test_published.py`` asserts the two files are byte-identical, and also that the
committed JSON schema (``captem_study.schema.json``, both places) equals
:func:`json_schema`.

Conventions of the file
-----------------------
* Groups (columns) are coded ``all``, ``1``, ``2``, ``3+`` (line of CAPTEM).
* A cell keeps the printed text (``printed``), the count (``n``) and the percentage *as the
  printed string* (``pct``), because the number of printed decimals matters to the rounding
  check and some prints are odd (``"31.9)"``, ``"65.0%"``, a missing parenthesis).
* A dash (``—``) is a cell with ``n`` and ``pct`` null; a cell the table does not print at all
  is null.

Modules
-------
* :mod:`~captemstats.published.vocabulary` — the codes of the paper's tables (groups, Table 1
  levels, responses, adverse-event bands, Table 3 covariates, survival groupings);
* :mod:`~captemstats.published.printed` — parsing printed numbers and the models of one
  printed value (``n (%)`` cell, P value, integer, float, confidence interval);
* :mod:`~captemstats.published.sections` — the models of each section (Tables 1–4, survival,
  text values, study facts);
* :mod:`~captemstats.published.study` — :class:`PublishedStudy`, the whole file, with its
  lookups and tidy pandas views;
* :mod:`~captemstats.published.load` — :func:`default_path`, :func:`load_published`,
  :func:`json_schema` and :class:`PublishedDataError`.

Every name is importable from :mod:`captemstats.published` itself.
"""

from __future__ import annotations

from captemstats.published.load import _RESOURCE as _RESOURCE
from captemstats.published.load import (
    PublishedDataError,
    default_path,
    json_schema,
    load_published,
)
from captemstats.published.printed import _CELL as _CELL
from captemstats.published.printed import _NUMBER as _NUMBER
from captemstats.published.printed import Cell
from captemstats.published.printed import PrintedCI as PrintedCI
from captemstats.published.printed import PrintedFloat as PrintedFloat
from captemstats.published.printed import PrintedInt as PrintedInt
from captemstats.published.printed import PrintedP as PrintedP
from captemstats.published.printed import _Model as _Model
from captemstats.published.printed import parse_printed_number as parse_printed_number
from captemstats.published.sections import AETerm as AETerm
from captemstats.published.sections import Continuous as Continuous
from captemstats.published.sections import ContinuousCell as ContinuousCell
from captemstats.published.sections import CoxRow as CoxRow
from captemstats.published.sections import GroupHeader as GroupHeader
from captemstats.published.sections import Level as Level
from captemstats.published.sections import ResponseRow as ResponseRow
from captemstats.published.sections import StudyFacts as StudyFacts
from captemstats.published.sections import Survival as Survival
from captemstats.published.sections import SurvivalMedian as SurvivalMedian
from captemstats.published.sections import SurvivalP as SurvivalP
from captemstats.published.sections import Table1 as Table1
from captemstats.published.sections import Table2 as Table2
from captemstats.published.sections import Table2Group as Table2Group
from captemstats.published.sections import Table3 as Table3
from captemstats.published.sections import Table4 as Table4
from captemstats.published.sections import TextValue as TextValue
from captemstats.published.sections import Variable as Variable
from captemstats.published.study import _CELL_KEYS as _CELL_KEYS
from captemstats.published.study import PublishedStudy
from captemstats.published.study import _cell_row as _cell_row
from captemstats.published.study import _frame as _frame
from captemstats.published.vocabulary import AE_BANDS as AE_BANDS
from captemstats.published.vocabulary import CONTINUOUS_STATS as CONTINUOUS_STATS
from captemstats.published.vocabulary import COX_COVARIATES as COX_COVARIATES
from captemstats.published.vocabulary import (
    GROUPS,
    LINE_GROUPS,
    SIGNIFICANCE_CLAIMS,
    TABLE1_LEVELS,
)
from captemstats.published.vocabulary import RESPONSES as RESPONSES
from captemstats.published.vocabulary import SURVIVAL_GROUPS as SURVIVAL_GROUPS
from captemstats.published.vocabulary import Endpoint as Endpoint
from captemstats.published.vocabulary import Grouping as Grouping

__all__ = [
    "GROUPS",
    "LINE_GROUPS",
    "SIGNIFICANCE_CLAIMS",
    "TABLE1_LEVELS",
    "Cell",
    "PublishedDataError",
    "PublishedStudy",
    "default_path",
    "json_schema",
    "load_published",
]
