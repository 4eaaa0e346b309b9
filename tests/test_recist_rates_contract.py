"""The contract of ``response_rates`` and ``ResponseRates.contingency`` (issue 21, item 6).

Written against the survivors of a mutation run over ``captemstats/recist/rates.py``
(``benchmarks/mutation.py``): the denominators (evaluable patients only, a missing
``evaluable`` flag counting as not evaluable), groups of 0 and 1 patients, the category
order of a categorical grouping, the refusal of values that are not response codes (ORR and
DCR are measures, not codes), what the result records, and the exact shape of the
contingency tables handed to the tests of association. Expected counts are worked out by hand.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from captemstats.recist import clopper_pearson, response_rates
from captemstats.recist.errors import RecistInputError
from captemstats.recist.rates import OVERALL


def bor(values: list[str | None], evaluable: list[bool | None], group: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "bor": pd.array(values, dtype="string"),
            "evaluable": pd.array(evaluable, dtype="boolean"),
            "line": pd.array(group, dtype="string"),
        }
    )


def cell(rates: pd.DataFrame, group: str, measure: str, column: str) -> float:
    row = rates[(rates["group"] == group) & (rates["measure"] == measure)]
    assert len(row) == 1, (group, measure)
    return float(row[column].iloc[0])


def test_missing_evaluable_flag_is_not_evaluable() -> None:
    frame = bor(["PR", "PR", "SD"], [True, None, False], ["1", "1", "1"])
    table = response_rates(frame).to_frame()
    assert cell(table, OVERALL, "PR", "n") == 1 and cell(table, OVERALL, "PR", "count") == 1
    everyone = response_rates(frame.assign(bor=["PR", "PR", "NE"]), evaluable_only=False)
    assert cell(everyone.to_frame(), OVERALL, "PR", "n") == 3
    assert everyone.evaluable_only is False


def test_groups_of_zero_and_one_patient() -> None:
    frame = bor(["CR", "PD", "SD"], [True, True, True], ["1", "2", "2"])
    frame["line"] = pd.Categorical(frame["line"], categories=["2", "1", "3+"])
    res = response_rates(frame, by="line")
    table = res.to_frame()
    assert list(pd.unique(table["group"])) == ["2", "1", "3+", OVERALL]  # category order
    assert cell(table, "1", "CR", "proportion") == 1.0  # 1 of 1
    assert cell(table, "1", "PD", "proportion") == 0.0
    assert cell(table, "2", "DCR", "proportion") == 0.5
    assert cell(table, "3+", "ORR", "n") == 0
    assert math.isnan(cell(table, "3+", "ORR", "proportion"))  # 0 of 0: no proportion
    assert math.isnan(cell(table, "3+", "ORR", "ci_lower"))
    assert (res.by, res.column) == ("line", "bor")
    assert str(table["group"].dtype) == "string" and str(table["measure"].dtype) == "string"


def test_confidence_level_reaches_the_intervals() -> None:
    frame = bor(["PR"] * 3 + ["SD"] * 7, [True] * 10, ["1"] * 10)
    table = response_rates(frame, level=0.90, column="bor").to_frame()
    lo, hi = clopper_pearson(np.array([3]), np.array([10]), 0.90)
    assert (cell(table, OVERALL, "ORR", "ci_lower"), cell(table, OVERALL, "ORR", "ci_upper")) == (
        float(lo[0]),
        float(hi[0]),
    )


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        (["ORR", "PR"], "ORR"),  # a measure, not a response code
        (["DCR", "XYZ"], "DCR, XYZ"),
        ([None, "PR"], "<empty>"),
        (["a", "b", "c", "d", "e", "f"], "a, b, c, d, e"),  # at most five shown
    ],
)
def test_values_that_are_not_response_codes(values: list[str | None], shown: str) -> None:
    frame = bor(values, [True] * len(values), ["1"] * len(values))
    with pytest.raises(RecistInputError, match="not response codes") as info:
        response_rates(frame)
    assert str(info.value).endswith(f": {shown}")


def test_missing_columns_are_named() -> None:
    frame = bor(["PR"], [True], ["1"])
    with pytest.raises(RecistInputError, match=r"lacks column\(s\) site$"):
        response_rates(frame, by="site")
    with pytest.raises(RecistInputError, match=r"lacks column\(s\) bor_confirmed, evaluable$"):
        response_rates(frame.drop(columns="evaluable"), column="bor_confirmed")


def test_contingency_tables() -> None:
    frame = bor(["CR", "PD", "PD", "SD"], [True] * 4, ["1", "1", "2", "2"])
    res = response_rates(frame, by="line")
    wide = res.contingency()
    assert list(wide.index) == ["1", "2"]  # groups only, no overall row
    assert list(wide.columns) == ["CR", "SD", "PD"]  # observed categories, print order
    assert wide.to_numpy().tolist() == [[1, 0, 1], [0, 1, 1]]
    orr = res.contingency("ORR")
    assert list(orr.columns) == ["yes", "no"]
    assert orr.to_numpy().tolist() == [[1, 1], [0, 2]]
