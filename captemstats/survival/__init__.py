"""Survival statistics equal to R's ``survival`` package (3.5), checked against it in
``tests/test_survival.py`` with the reference values of ``tests/reference/``.

- :func:`kaplan_meier` — Kaplan–Meier curves, medians and milestones (``survfit``)
- :func:`logrank_test`, :func:`logrank_trend_test` — log-rank tests (``survdiff``)
- :func:`cox_ph`, :func:`univariable_cox` — Cox regression (``coxph``)
- :func:`cox_zph` — proportional-hazards test (``cox.zph``)
- :func:`reverse_km_followup`, :func:`observed_followup` — median follow-up
- :func:`cumulative_incidence`, :func:`gray_test` — competing risks: Aalen–Johansen
  incidence (``survfit`` multi-state, ``cmprsk::cuminc``) and Gray's test (``cuminc``;
  :func:`gray_tests` tests every cause in one pass)
- :func:`fine_gray` — Fine–Gray subdistribution hazard regression (``cmprsk::crr``)
- :func:`rmst` — restricted mean survival time and group contrasts (``print(survfit, rmean=)``,
  survRM2's ``rmst2``)

Submodules load lazily so that importing the package is cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from captemstats._lazy import lazy_loader
from captemstats.results import MethodInfo

_LAZY: dict[str, str] = {
    "kaplan_meier": "captemstats.survival.km",
    "KaplanMeierResult": "captemstats.survival.km",
    "MedianEstimate": "captemstats.survival.km",
    "logrank_test": "captemstats.survival.logrank",
    "logrank_trend_test": "captemstats.survival.logrank",
    "LogRankResult": "captemstats.survival.logrank",
    "cox_ph": "captemstats.survival.cox",
    "univariable_cox": "captemstats.survival.cox",
    "Covariate": "captemstats.survival.cox",
    "Factor": "captemstats.survival.cox",
    "cox_term_tests": "captemstats.survival.cox_terms",
    "TermTests": "captemstats.survival.cox_terms",
    "CoxResult": "captemstats.survival.cox",
    "CoxResultCollection": "captemstats.survival.cox",
    "ChiSquareTest": "captemstats.survival.cox",
    "cox_zph": "captemstats.survival.zph",
    "ZphResult": "captemstats.survival.zph",
    "reverse_km_followup": "captemstats.survival.followup",
    "observed_followup": "captemstats.survival.followup",
    "FollowUpResult": "captemstats.survival.followup",
    "FollowUpEstimate": "captemstats.survival.followup",
    "cumulative_incidence": "captemstats.survival.competing",
    "CumulativeIncidenceResult": "captemstats.survival.competing",
    "gray_test": "captemstats.survival.competing",
    "gray_tests": "captemstats.survival.competing",
    "GrayTestResult": "captemstats.survival.competing",
    "fine_gray": "captemstats.survival.finegray",
    "FineGrayResult": "captemstats.survival.finegray",
    "rmst": "captemstats.survival.restricted_mean",
    "RMSTResult": "captemstats.survival.restricted_mean",
    "RMSTEstimate": "captemstats.survival.restricted_mean",
    "RMSTContrast": "captemstats.survival.restricted_mean",
}

__all__ = [
    "ChiSquareTest",
    "Covariate",
    "CoxResult",
    "CoxResultCollection",
    "CumulativeIncidenceResult",
    "Factor",
    "FineGrayResult",
    "FollowUpEstimate",
    "FollowUpResult",
    "GrayTestResult",
    "KaplanMeierResult",
    "LogRankResult",
    "MedianEstimate",
    "MethodInfo",
    "RMSTContrast",
    "RMSTEstimate",
    "RMSTResult",
    "TermTests",
    "ZphResult",
    "cox_ph",
    "cox_term_tests",
    "cox_zph",
    "cumulative_incidence",
    "fine_gray",
    "gray_test",
    "gray_tests",
    "kaplan_meier",
    "logrank_test",
    "logrank_trend_test",
    "observed_followup",
    "reverse_km_followup",
    "rmst",
    "univariable_cox",
]

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.survival.competing import (
        CumulativeIncidenceResult,
        GrayTestResult,
        cumulative_incidence,
        gray_test,
        gray_tests,
    )
    from captemstats.survival.cox import (
        ChiSquareTest,
        Covariate,
        CoxResult,
        CoxResultCollection,
        Factor,
        cox_ph,
        univariable_cox,
    )
    from captemstats.survival.cox_terms import TermTests, cox_term_tests
    from captemstats.survival.finegray import FineGrayResult, fine_gray
    from captemstats.survival.followup import (
        FollowUpEstimate,
        FollowUpResult,
        observed_followup,
        reverse_km_followup,
    )
    from captemstats.survival.km import KaplanMeierResult, MedianEstimate, kaplan_meier
    from captemstats.survival.logrank import LogRankResult, logrank_test, logrank_trend_test
    from captemstats.survival.restricted_mean import RMSTContrast, RMSTEstimate, RMSTResult, rmst
    from captemstats.survival.zph import ZphResult, cox_zph


__getattr__, __dir__ = lazy_loader("captemstats.survival", _LAZY, globals())
