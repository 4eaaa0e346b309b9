"""Table 1 with the defaults a new analyst expects (issue 17, item 1): every column when none
are named (never identifiers or dates), ordinal scores such as ECOG as categories, and
missing values counted, as gtsummary's ``tbl_summary()``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from captemstats import read_registry
from captemstats.cohort import derive_cohort
from captemstats.compare import default_variables, summarize_characteristics
from captemstats.compare._tabulate import _variable_type

#: a column -> its inferred summary type
TYPES = [
    (pd.Series([0, 1, 2, 1, 0]), "categorical"),  # ECOG-like score
    (pd.Series([0.0, 1.0, np.nan, 2.0]), "categorical"),  # the same read as floats
    (pd.Series(range(10)), "continuous"),  # 10 distinct values: a number
    (pd.Series([1.5, 2.5, 1.5]), "continuous"),  # few values, not whole: a measurement
    (pd.Series([True, False]), "categorical"),
    (pd.Series(["a", "b"]), "categorical"),
]


@pytest.mark.parametrize(("column", "kind"), TYPES)
def test_the_summary_type_is_inferred_as_gtsummary_does(column: pd.Series, kind: str) -> None:
    assert _variable_type(column) == kind


def test_every_column_but_identifiers_dates_and_by_by_default() -> None:
    d = derive_cohort(read_registry("data/registry")).data
    chosen = default_variables(d, "grade")
    assert "patient_id" not in chosen and "grade" not in chosen
    assert not any(pd.api.types.is_datetime64_any_dtype(d[c]) for c in chosen)
    assert {"age", "sex", "ecog", "primary_site", "cycles"} <= set(chosen)


def test_ecog_comes_out_as_categories_with_whole_number_levels() -> None:
    d = derive_cohort(read_registry("data/registry")).data
    s = summarize_characteristics(d.assign(ecog=d["ecog"].astype("float64")), "grade", ["ecog"])
    rows = s.frame[(s.frame["variable"] == "ecog") & (s.frame["group"] == "all")]
    assert rows["type"].unique().tolist() == ["categorical"]
    assert rows["level"].tolist() == ["0", "1", "2"]
    assert int(rows["n"].sum()) == int(d["ecog"].notna().sum())
