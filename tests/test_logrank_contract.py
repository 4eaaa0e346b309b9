"""The contract of ``logrank_test`` and ``logrank_trend_test`` beyond the R cross-checks
(issue 21, item 6): written against the survivors of a mutation run over
``captemstats/survival/logrank.py``.

The small example is worked by hand (Mantel 1966): group a dies at 1 and 3, group b at 2 and
is censored at 4. Risk sets (a, b): (2, 2), (1, 2), (1, 1); so E_a = 1/2 + 1/3 + 1/2 = 4/3,
E_b = 5/3, Var(O_a - E_a) = 1/4 + 2/9 + 1/4 = 13/18 and chisq = (2/3)^2 / (13/18) = 8/13.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _compare import assert_close
from scipy.stats import chi2

from captemstats.errors import AnalysisError
from captemstats.survival import logrank_test, logrank_trend_test

TIME = [1.0, 3.0, 2.0, 4.0]
EVENT = [1, 1, 1, 0]
GROUP = ["a", "a", "b", "b"]


def test_two_groups_by_hand() -> None:
    res = logrank_test(TIME, EVENT, GROUP)
    assert res.groups == ["a", "b"] and res.n == {"a": 2, "b": 2} and res.n_excluded == 0
    assert res.observed == {"a": 2.0, "b": 1.0}
    assert_close(res.expected["a"], 4 / 3)
    assert_close(res.expected["b"], 5 / 3)
    np.testing.assert_allclose(res.variance, [[13 / 18, -13 / 18], [-13 / 18, 13 / 18]])
    assert_close(res.chisq, 8 / 13)
    assert res.df == 1
    assert_close(res.p_value, float(chi2.sf(8 / 13, 1)), p_value=True)
    assert res.method.test == "log-rank test" and res.scores is None
    assert res.method.software_equivalent == "R survival::survdiff(rho = 0)"


def test_to_frame_by_hand() -> None:
    frame = logrank_test(TIME, EVENT, GROUP).to_frame()
    assert list(frame.columns) == [
        "group",
        "n",
        "observed",
        "expected",
        "o_minus_e_sq_over_e",
        "chisq",
        "df",
        "p_value",
        "test",
    ]
    assert frame["group"].tolist() == ["a", "b"] and frame["n"].tolist() == [2, 2]
    assert_close(frame["o_minus_e_sq_over_e"].iloc[0], (2 - 4 / 3) ** 2 / (4 / 3))
    assert_close(frame["o_minus_e_sq_over_e"].iloc[1], (1 - 5 / 3) ** 2 / (5 / 3))
    assert (frame["df"] == 1).all() and (frame["test"] == "log-rank test").all()
    trend = logrank_trend_test(TIME, EVENT, GROUP).to_frame()
    assert list(trend.columns[:3]) == ["group", "score", "n"]
    assert trend["score"].tolist() == [1.0, 2.0]


def test_missing_labels_are_excluded_and_counted() -> None:
    res = logrank_test([*TIME, 5.0, 6.0], [*EVENT, 1, 1], [*GROUP, None, "a"], strata=None)
    assert res.n_excluded == 1 and res.n == {"a": 3, "b": 2}
    strat = logrank_test(
        [*TIME, 5.0], [*EVENT, 1], [*GROUP, "a"], strata=["s", "s", "s", "s", None]
    )
    assert strat.n_excluded == 1 and strat.n == {"a": 2, "b": 2}
    assert_close(strat.chisq, 8 / 13)  # one stratum left: the unstratified test
    assert strat.method.test == "stratified log-rank test"
    assert strat.method.software_equivalent == "R survival::survdiff(rho = 0, strata())"


def test_a_group_without_expected_events_leaves_no_test() -> None:
    # group c is censored before the first death: E_c = 0, so it is left out of the test
    res = logrank_test([1.0, 2.0, 0.5], [1, 1, 0], ["a", "b", "c"])
    assert res.expected["c"] == 0.0
    assert res.df == 1  # a and b remain
    none = logrank_test([1.0, 0.5], [1, 0], ["a", "c"])  # one group left: no test (R: NA)
    assert (none.chisq, none.df) == (0.0, 0)
    assert np.isnan(none.p_value)
    censored = logrank_test([1.0, 2.0, 3.0], [0, 0, 0], ["a", "b", "b"])  # no event at all
    assert censored.df == 0 and np.isnan(censored.p_value)


# ---- trend: U = s'(O - E), chisq = U^2 / s'Vs --------------------------------------------------

THREE = pd.DataFrame(
    {
        "time": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0],
        "event": [1, 1, 0, 1, 1, 1, 0, 1, 1],
        "group": [1, 2, 5, 1, 2, 5, 1, 2, 5],
    }
)


def _trend_by_definition(res: object, s: list[float]) -> float:
    o = np.array([res.observed[g] for g in res.groups])  # type: ignore[attr-defined]
    e = np.array([res.expected[g] for g in res.groups])  # type: ignore[attr-defined]
    u = float(np.array(s) @ (o - e))
    return u * u / float(np.array(s) @ res.variance @ np.array(s))  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("scores", "used"),
    [
        (None, [1.0, 2.0, 5.0]),  # numeric groups: their values
        ([0.0, 1.0, 2.0], [0.0, 1.0, 2.0]),
        ({"1": 3.0, "2": 2.0, "5": 1.0}, [3.0, 2.0, 1.0]),  # by label
        ({1: 0.0, 2: 1.0, 5: 4.0}, [0.0, 1.0, 4.0]),  # by raw value
    ],
)
def test_trend_scores(scores: object, used: list[float]) -> None:
    res = logrank_trend_test(THREE["time"], THREE["event"], THREE["group"], scores=scores)
    assert res.groups == ["1", "2", "5"]
    assert res.scores == dict(zip(["1", "2", "5"], used, strict=True))
    assert_close(res.chisq, _trend_by_definition(res, used))
    assert res.df == 1
    assert_close(res.p_value, float(chi2.sf(res.chisq, 1)), p_value=True)
    assert res.n == {"1": 3, "2": 3, "5": 3} and res.n_excluded == 0
    assert res.method.test == "log-rank test for trend"
    assert res.method.software_equivalent == "R survival::survdiff O, E, var: (s'(O-E))^2 / s'Vs"
    notes = "scores: " + ", ".join(f"{g}={x:g}" for g, x in res.scores.items())
    assert res.method.notes == (notes,)
    plain = logrank_test(THREE["time"], THREE["event"], THREE["group"])
    assert res.observed == plain.observed and res.expected == plain.expected


def test_trend_scores_default_to_ranks_for_labels() -> None:
    res = logrank_trend_test(THREE["time"], THREE["event"], THREE["group"].map(str) + "x")
    assert res.scores == {"1x": 1.0, "2x": 2.0, "5x": 3.0}


@pytest.mark.parametrize(
    ("scores", "message"),
    [
        ({"1": 1.0, "2": 2.0}, r"no score for group\(s\) \['5'\]"),
        ([1.0, 2.0], r"2 given for 3 groups \['1', '2', '5'\]"),
        ([2.0, 2.0, 2.0], "variance of the score statistic is zero"),
        ([0.0, 0.0, 0.0], "variance of the score statistic is zero"),  # exactly 0
    ],
)
def test_trend_score_errors(scores: object, message: str) -> None:
    with pytest.raises(AnalysisError, match=f"^(scores|trend test): {message}$"):
        logrank_trend_test(THREE["time"], THREE["event"], THREE["group"], scores=scores)


def test_stratified_trend_uses_the_strata() -> None:
    strata = ["s", "t", "s", "t", "s", "t", "s", "t", "t"]
    res = logrank_trend_test(THREE["time"], THREE["event"], THREE["group"], strata=strata)
    plain = logrank_test(THREE["time"], THREE["event"], THREE["group"], strata=strata)
    assert res.expected == plain.expected
    assert (
        res.expected != logrank_trend_test(THREE["time"], THREE["event"], THREE["group"]).expected
    )
    assert res.method.variance == plain.method.variance == "hypergeometric (Mantel-Haenszel)"


@pytest.mark.parametrize("fn", [logrank_test, logrank_trend_test])
def test_input_errors_name_the_argument(fn: object) -> None:
    with pytest.raises(AnalysisError, match=r"^group: length 3 differs from time length 4$"):
        fn(TIME, EVENT, GROUP[:3])  # type: ignore[operator]
    with pytest.raises(AnalysisError, match=r"^strata: length 2 differs from time length 4$"):
        fn(TIME, EVENT, GROUP, strata=["s", "s"])  # type: ignore[operator]


def test_rows_missing_the_group_are_excluded_within_strata() -> None:
    res = logrank_test([*TIME, 5.0], [*EVENT, 1], [*GROUP, None], strata=["s"] * 5)
    assert res.n_excluded == 1 and res.n == {"a": 2, "b": 2}
    assert_close(res.chisq, 8 / 13)


def test_one_group_is_refused() -> None:
    with pytest.raises(AnalysisError, match="at least 2 groups, got 1"):
        logrank_trend_test([1.0, 2.0], [1, 1], ["a", "a"])


# ---- landmark survival after the last observation (R summary(fit, times, extend=TRUE)) --------


def test_landmark_after_the_last_observation() -> None:
    from captemstats.survival import kaplan_meier

    # group a ends in an event (S reaches 0), group b ends censored at 4 (S = 0.5 stays unknown)
    km = kaplan_meier([1.0, 2.0, 3.0, 4.0], [1, 1, 1, 0], by=["a", "a", "b", "b"])
    later = km.survival_at([10.0]).set_index("group")
    assert later["surv"].isna().all()  # R's default drops rows after the last observation
    extended = km.survival_at([10.0], extend=True).set_index("group")
    assert extended.loc["a", "surv"] == 0.0  # the curve reached 0 and stays there
    assert extended.loc["b", "surv"] == 0.5  # R's extend=TRUE carries the last value
    assert (extended["n_risk"] == 0).all()
