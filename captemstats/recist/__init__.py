"""RECIST 1.1 response engine (Eisenhauer et al., Eur J Cancer 2009;45:228–47).

Pipeline: :func:`assess_timepoints` (lesions -> timepoint responses and input errors) ->
:func:`best_overall_response` (-> best response per patient, unconfirmed and confirmed) ->
:func:`response_rates` (ORR, DCR with exact CIs), :func:`waterfall_data`,
:func:`swimmer_data`. Recorded per-visit overall responses (no measurements) enter through
:func:`timepoints_from_visits` / :func:`best_response_from_visits`. Submodules load lazily
so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from captemstats._lazy import lazy_loader
from captemstats.recist.config import RecistConfig

_LAZY: dict[str, str] = {
    "assess_timepoints": "captemstats.recist.timepoint",
    "TimepointResult": "captemstats.recist.timepoint",
    "best_overall_response": "captemstats.recist.best_response",
    "bor_from_sequence": "captemstats.recist.best_response",
    "BestResponseResult": "captemstats.recist.best_response",
    "NotEvaluableRule": "captemstats.recist.best_response",
    "response_rates": "captemstats.recist.rates",
    "ResponseRates": "captemstats.recist.rates",
    "clopper_pearson": "captemstats.recist.rates",
    "waterfall_data": "captemstats.recist.patient_metrics",
    "swimmer_data": "captemstats.recist.patient_metrics",
    "SwimmerData": "captemstats.recist.patient_metrics",
    "ErrorRule": "captemstats.recist.errors",
    "RecistInputError": "captemstats.recist.errors",
    "best_response_from_visits": "captemstats.recist.visits",
    "timepoints_from_visits": "captemstats.recist.visits",
}

__all__ = [
    "BestResponseResult",
    "ErrorRule",
    "NotEvaluableRule",
    "RecistConfig",
    "RecistInputError",
    "ResponseRates",
    "SwimmerData",
    "TimepointResult",
    "assess_timepoints",
    "best_overall_response",
    "best_response_from_visits",
    "bor_from_sequence",
    "clopper_pearson",
    "response_rates",
    "swimmer_data",
    "timepoints_from_visits",
    "waterfall_data",
]

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.recist.best_response import (
        BestResponseResult,
        NotEvaluableRule,
        best_overall_response,
        bor_from_sequence,
    )
    from captemstats.recist.errors import ErrorRule, RecistInputError
    from captemstats.recist.patient_metrics import SwimmerData, swimmer_data, waterfall_data
    from captemstats.recist.rates import ResponseRates, clopper_pearson, response_rates
    from captemstats.recist.timepoint import TimepointResult, assess_timepoints
    from captemstats.recist.visits import best_response_from_visits, timepoints_from_visits


__getattr__, __dir__ = lazy_loader("captemstats.recist", _LAZY, globals())
