"""Time units shared by the whole library (core layer: no import beyond the standard library).

Every conversion between days and months goes through :data:`DAYS_PER_MONTH`, so the cohort's
derived times (:mod:`captemstats.cohort`), the swimmer plot (:mod:`captemstats.recist`) and
the synthetic registry's calibration (:mod:`captemstats.synth`) share one convention.
"""

from __future__ import annotations

__all__ = ["DAYS_PER_MONTH"]

#: Days per month: 365.25 / 12 = 30.4375, the mean Julian month — the convention of R
#: (``survival``/``lubridate`` month conversions) and the paper's months.
DAYS_PER_MONTH: float = 365.25 / 12
