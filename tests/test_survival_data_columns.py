"""``data=`` plus column names (issue 17, item 1): every survival estimator and test takes a
DataFrame and column names, as pingouin and gtsummary do, and gives exactly the result of the
same columns passed as arrays; a name that is not a column is refused by name."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from captemstats import read_registry
from captemstats.cohort import derive_cohort
from captemstats.errors import AnalysisError
from captemstats.survival import (
    cumulative_incidence,
    gray_test,
    kaplan_meier,
    logrank_test,
    logrank_trend_test,
    rmst,
)


@cache
def cohort() -> pd.DataFrame:
    d = derive_cohort(read_registry("data/registry")).data
    died_first = d["os_event"].astype(bool) & (d["os_months"] <= d["pfs_months"])
    d["status"] = np.where(d["pfs_event"], np.where(died_first, 2, 1), 0)
    d["w"] = 1 + (np.arange(len(d)) % 3)
    return d


def _frame(result: Any) -> pd.DataFrame:
    return result.to_frame() if hasattr(result, "to_frame") else pd.DataFrame([vars(result)])


#: name -> (call with names and data=, call with the columns themselves)
CASES: dict[str, tuple[Callable[[pd.DataFrame], Any], Callable[[pd.DataFrame], Any]]] = {
    "kaplan_meier": (
        lambda d: kaplan_meier("pfs_months", "pfs_event", by="line_group", weights="w", data=d),
        lambda d: kaplan_meier(d["pfs_months"], d["pfs_event"], by=d["line_group"], weights=d["w"]),
    ),
    "logrank_test": (
        lambda d: logrank_test("pfs_months", "pfs_event", "line_group", strata="sex", data=d),
        lambda d: logrank_test(d["pfs_months"], d["pfs_event"], d["line_group"], strata=d["sex"]),
    ),
    "logrank_trend_test": (
        lambda d: logrank_trend_test("pfs_months", "pfs_event", "line", data=d),
        lambda d: logrank_trend_test(d["pfs_months"], d["pfs_event"], d["line"]),
    ),
    "rmst": (
        lambda d: rmst("os_months", "os_event", by="line_group", tau=36.0, data=d),
        lambda d: rmst(d["os_months"], d["os_event"], by=d["line_group"], tau=36.0),
    ),
    "cumulative_incidence": (
        lambda d: cumulative_incidence("pfs_months", "status", by="line_group", data=d),
        lambda d: cumulative_incidence(d["pfs_months"], d["status"], by=d["line_group"]),
    ),
    "gray_test": (
        lambda d: gray_test("pfs_months", "status", "line_group", data=d),
        lambda d: gray_test(d["pfs_months"], d["status"], d["line_group"]),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_names_with_data_give_the_array_result(name: str) -> None:
    by_name, by_array = CASES[name]
    got, want = _frame(by_name(cohort())), _frame(by_array(cohort()))
    pd.testing.assert_frame_equal(got, want)


def test_a_name_that_is_not_a_column_is_refused() -> None:
    with pytest.raises(AnalysisError, match="'pfs_days' is not in the data"):
        kaplan_meier("pfs_days", "pfs_event", data=cohort())
