"""Yates' continuity correction inside compare_categorical (issue 19, item 4): R's
``chisq.test`` default, corrected only for a 2×2 table. The corrected statistic itself is
checked against R in the 2×2 tests; here the comparison must run exactly that test."""

from __future__ import annotations

import pandas as pd
import pytest

from captemstats.compare import chi_square_test, compare_categorical
from captemstats.compare.two_by_two import yates_chi_square_test


def frame(counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    rows = [(v, g) for (v, g), k in counts.items() for _ in range(k)]
    return pd.DataFrame(rows, columns=["x", "arm"])


TWO_BY_TWO = frame({("yes", "A"): 12, ("no", "A"): 5, ("yes", "B"): 7, ("no", "B"): 14})
THREE_BY_TWO = frame(
    {("a", "A"): 9, ("b", "A"): 8, ("c", "A"): 7, ("a", "B"): 4, ("b", "B"): 10, ("c", "B"): 12}
)


def test_a_2x2_table_gets_the_yates_corrected_test() -> None:
    c = compare_categorical(TWO_BY_TWO, "x", "arm", test="chisq_yates")
    want = yates_chi_square_test(pd.crosstab(TWO_BY_TWO["x"], TWO_BY_TWO["arm"]))
    assert c.test == "chisq_yates"
    assert c.p_value == pytest.approx(want.p_value, rel=1e-12)
    assert c.statistic == pytest.approx(want.statistic, rel=1e-12)
    assert c.method is not None and c.method.continuity_correction
    # the correction lowers the statistic: the uncorrected test is not what ran
    plain = compare_categorical(TWO_BY_TWO, "x", "arm", test="chisq")
    assert c.statistic is not None and plain.statistic is not None
    assert c.statistic < plain.statistic


def test_a_larger_table_is_not_corrected_as_in_r() -> None:
    c = compare_categorical(THREE_BY_TWO, "x", "arm", test="chisq_yates")
    want = chi_square_test(pd.crosstab(THREE_BY_TWO["x"], THREE_BY_TWO["arm"]))
    assert c.test == "chisq"
    assert c.p_value == pytest.approx(want.p_value, rel=1e-12)
    assert "chisq_yates requested" in c.reason
