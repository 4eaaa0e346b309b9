"""Results display themselves (issue 17, item 2): a one-line ``repr`` that says what the
result holds, ``summary()`` as a tidy frame, and that frame as the notebook display.

Checked on every result class that shows itself (``captemstats.results.Displayed``): those
of survival, compare, recist and adverse, each made from the shipped registry or a small
example.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from captemstats.results import Displayed

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def results() -> dict[str, Any]:
    import captemstats
    from captemstats.compare import chi_square_test, fisher_test, wilcoxon_rank_sum_test
    from captemstats.recist import assess_timepoints
    from captemstats.survival import cumulative_incidence, fine_gray, gray_test, rmst

    res = captemstats.analyze(ROOT / "data" / "registry")
    d = res.cohort.data
    km = res.km("pfs", "line_group")
    status = d["pfs_event"].astype(int) * (1 + (d["os_event"].astype(int)))
    return {
        "KaplanMeierResult": km.km,
        "LogRankResult": km.logrank,
        "CoxResult": res.cox["pfs"],
        "ZphResult": res.zph["pfs"],
        "CharacteristicsSummary": res.characteristics,
        "FollowUpResult": res.followup["observed"],
        "RMSTResult": rmst("os_months", "os_event", by="line_group", tau=36, data=d),
        "GrayTestResult": gray_test(d["pfs_months"], status, d["line_group"]),
        "CumulativeIncidenceResult": cumulative_incidence(
            d["pfs_months"], status, by=d["line_group"]
        ),
        "FineGrayResult": fine_gray(
            d["pfs_months"], status, d[["first_line"]].astype(float).to_numpy()
        ),
        "CoxResultCollection": res.cox_univariable["pfs"],
        "BestResponseResult": res.responses,
        "ResponseRates": res.response_rates,
        "TimepointResult": assess_timepoints(res.cohort.lesions, patients=d),
        "AdverseEventSummary": res.adverse,
        "CategoricalComparison": res.response_tests["ORR"],
        "ContinuousComparison": res.characteristics.comparisons["age"],
        "ChiSquareResult": chi_square_test([[3, 4], [5, 6]]),
        "FisherResult": fisher_test([[1, 2], [3, 4]]),
        "RankTestResult": wilcoxon_rank_sum_test([1, 2, 3], [4, 5, 6]),
    }


def test_every_displayed_class_is_checked(results: dict[str, Any]) -> None:
    import captemstats.adverse
    import captemstats.compare
    import captemstats.recist
    import captemstats.survival

    classes = {
        name
        for mod in (captemstats.survival, captemstats.compare, captemstats.recist)
        for name in mod.__all__
        if isinstance(getattr(mod, name), type) and issubclass(getattr(mod, name), Displayed)
    }
    assert classes <= set(results)
    # every result class of the survival package displays itself
    survival_results = {
        n for n in captemstats.survival.__all__ if n.endswith(("Result", "Collection"))
    }
    assert survival_results <= classes


@pytest.mark.parametrize(
    "name",
    [
        "KaplanMeierResult",
        "LogRankResult",
        "CoxResult",
        "ZphResult",
        "CharacteristicsSummary",
        "FollowUpResult",
        "RMSTResult",
        "GrayTestResult",
        "CumulativeIncidenceResult",
        "FineGrayResult",
        "CoxResultCollection",
        "BestResponseResult",
        "ResponseRates",
        "TimepointResult",
        "AdverseEventSummary",
        "CategoricalComparison",
        "ContinuousComparison",
        "ChiSquareResult",
        "FisherResult",
        "RankTestResult",
    ],
)
def test_result_shows_a_line_a_summary_and_a_table(results: dict[str, Any], name: str) -> None:
    obj = results[name]
    assert type(obj).__name__ == name
    text = repr(obj)
    assert text.startswith(f"<{name}: ") and text.endswith("; .summary(), .to_frame()>")
    assert "\n" not in text and len(text) < 160
    summary = obj.summary()
    assert isinstance(summary, pd.DataFrame) and len(summary) > 0
    html = obj._repr_html_()
    assert html.lstrip().startswith("<table") and html.count("<tr") == len(summary) + 1
