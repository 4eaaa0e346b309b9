"""A variable compared across groups, as gtsummary's ``add_p()`` chooses and R computes it.

* :func:`compare_categorical` — gtsummary's default rule: Pearson's chi-square (R's
  ``chisq.test(x, correct = FALSE)``) when every expected count is at least 5, Fisher's exact
  test (R's ``fisher.test``) otherwise, with R's Monte-Carlo form when the exact r×c
  enumeration is too large;
* :func:`compare_continuous` — R's ``wilcox.test`` (two groups) and ``kruskal.test`` (more than
  two), as gtsummary's default for continuous variables.

The tests are in :mod:`captemstats.compare.contingency` and :mod:`captemstats.compare.rank`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

import numpy as np

from captemstats.compare._tabulate import _cross_counts, _group_codes, _numeric
from captemstats.compare.contingency import (
    DEFAULT_B,
    DEFAULT_MAX_WORK,
    DEFAULT_SEED,
    MIN_EXPECTED,
    ChiSquareResult,
    EnumerationTooLarge,
    FisherResult,
    _expected,
    _nonempty,
    chi_square_test,
    fisher_test,
)
from captemstats.compare.rank import RankTestResult, kruskal_wallis_test, wilcoxon_rank_sum_test
from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]

CategoricalTest = Literal["auto", "chisq", "chisq_yates", "fisher", "fisher_mc"]


@dataclass(frozen=True, eq=False, repr=False)
class CategoricalComparison(Displayed):
    """A categorical variable compared across groups: the test gtsummary's rule chose, why,
    and the table it was computed on (levels × groups, missing values excluded).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["A"] * 6 + ["B"] * 6,
    ...                    "sex": ["female", "male", "male", "female", "female", "male",
    ...                            "male", "male", "male", "female", "male", "male"],
    ...                    "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60]})
    >>> from captemstats.compare import compare_categorical
    >>> c = compare_categorical(df, "sex", "arm")
    >>> c.table
    arm     A  B
    sex
    female  3  1
    male    3  5
    """

    variable: str
    by: str
    test: str | None
    p_value: float
    statistic: float | None
    df: int | None
    reason: str
    table: pd.DataFrame
    min_expected: float
    n: int
    n_missing: int
    n_missing_by: int
    chisq: ChiSquareResult | None
    fisher: FisherResult | None
    method: MethodInfo | None

    def _headline(self) -> str:
        return f"{self.variable!r} by {self.by!r}, {self.test}, P = {self.p_value:.3g}"

    def summary(self) -> pd.DataFrame:
        """The comparison: variable, test, statistic and P (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """One row: variable, test, statistic, df, P, minimum expected count, n, missing, reason."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "variable": self.variable,
                    "by": self.by,
                    "test": self.test,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "min_expected": self.min_expected,
                    "n": self.n,
                    "n_missing": self.n_missing,
                    "n_missing_by": self.n_missing_by,
                    "reason": self.reason,
                }
            ]
        )


def _untested(
    variable: str,
    by: str,
    frame: pd.DataFrame,
    counts: IntArray,
    min_e: float,
    n_missing: int,
    n_missing_by: int,
) -> CategoricalComparison:
    """The comparison of a levels × groups table before a test, ``reason`` the missing-value
    note."""
    missing_note = f"{n_missing} missing value(s) of {variable!r} excluded"
    if n_missing_by:
        missing_note += f"; {n_missing_by} row(s) with missing {by!r} excluded"
    return CategoricalComparison(
        variable=variable,
        by=by,
        test=None,
        p_value=float("nan"),
        statistic=None,
        df=None,
        reason=missing_note,
        table=frame,
        min_expected=min_e,
        n=int(counts.sum()),
        n_missing=n_missing,
        n_missing_by=n_missing_by,
        chisq=None,
        fisher=None,
        method=None,
    )


def _with_test(
    base: CategoricalComparison,
    code: str | None,
    p: float,
    reason: str,
    chisq: ChiSquareResult | None = None,
    fisher: FisherResult | None = None,
) -> CategoricalComparison:
    """``base`` (the untested comparison, its ``reason`` the missing-value note) with a test's
    result, the reason for the test put first."""
    method = chisq.method if chisq is not None else fisher.method if fisher else None
    return replace(
        base,
        test=code,
        p_value=p,
        statistic=chisq.statistic if chisq is not None else None,
        df=chisq.df if chisq is not None else None,
        reason=f"{reason}; {base.reason}",
        chisq=chisq,
        fisher=fisher,
        method=method,
    )


def _choose_test(
    test: CategoricalTest, variable: str, expected: FloatArray, min_e: float
) -> tuple[CategoricalTest, str]:
    """The test to run (gtsummary's rule for ``"auto"``) and why."""
    n_small = int((expected < MIN_EXPECTED).sum())
    if test == "auto":
        if n_small == 0:
            return "chisq", (
                f"all expected counts >= {MIN_EXPECTED:g} (minimum {min_e:.2f}): chi-square"
            )
        return "fisher", (
            f"{n_small} of {expected.size} expected counts < {MIN_EXPECTED:g} "
            f"(minimum {min_e:.2f}): Fisher's exact test"
        )
    if test in ("chisq", "chisq_yates", "fisher", "fisher_mc"):
        return test, f"{test} requested (minimum expected count {min_e:.2f})"
    raise AnalysisError(
        f"unknown test {test!r} for {variable!r}; use auto, chisq, chisq_yates, fisher or fisher_mc"
    )


def _categorical_from_counts(
    variable: str,
    by: str,
    counts: IntArray,
    levels: Sequence[str],
    groups: Sequence[str],
    n_missing: int,
    n_missing_by: int,
    test: CategoricalTest,
    b: int,
    seed: int | None,
    max_work: int,
) -> CategoricalComparison:
    """The comparison of a levels × groups table of counts (see :func:`compare_categorical`)."""
    import pandas as pd

    frame = pd.DataFrame(
        counts, index=pd.Index(levels, name=variable), columns=pd.Index(groups, name=by)
    )
    expected = _expected(counts)
    min_e = float(expected.min()) if expected.size else float("nan")
    used = _nonempty(counts)
    base = _untested(variable, by, frame, counts, min_e, n_missing, n_missing_by)
    if used.shape[0] < 2 or used.shape[1] < 2:
        return _with_test(
            base,
            None,
            float("nan"),
            f"no test: {used.shape[0]} level(s) observed in {used.shape[1]} group(s)",
        )
    chosen, why = _choose_test(test, variable, expected, min_e)
    if chosen == "chisq":
        ch = chi_square_test(frame)
        return _with_test(base, "chisq", ch.p_value, why, chisq=ch)
    if chosen == "chisq_yates":  # R's chisq.test default: corrected only when 2 x 2
        from captemstats.compare.two_by_two import yates_chi_square_test

        ch = yates_chi_square_test(frame)
        return _with_test(base, ch.test, ch.p_value, why, chisq=ch)
    if chosen == "fisher":
        try:
            fi = fisher_test(counts, max_work=max_work)
        except EnumerationTooLarge:
            why += f"; exact enumeration too large, Monte Carlo P (B = {b}, seed {seed})"
        else:
            return _with_test(base, "fisher", fi.p_value, why, fisher=fi)
    fi = fisher_test(counts, simulate=True, b=b, seed=seed)
    return _with_test(base, "fisher_mc", fi.p_value, why, fisher=fi)


def compare_categorical(
    data: pd.DataFrame,
    variable: str,
    by: str,
    *,
    test: CategoricalTest = "auto",
    levels: Sequence[object] | None = None,
    groups: Sequence[object] | None = None,
    b: int = DEFAULT_B,
    seed: int | None = DEFAULT_SEED,
    max_work: int = DEFAULT_MAX_WORK,
) -> CategoricalComparison:
    """Compare a categorical variable across the ``by`` groups as gtsummary's ``add_p()``.

    ``test="auto"``: Pearson's chi-square (no continuity correction) when every expected count
    of the levels × groups table is at least 5, else Fisher's exact test — gtsummary's default
    for categorical variables. The expected counts are those of the table as shown (all levels,
    so an unused level gives expected 0 and Fisher). When the exact r×c enumeration is too
    large the Monte-Carlo P (``b`` tables, ``seed``) is used and ``test`` is ``"fisher_mc"``.
    Rows with a missing value of ``variable`` or ``by`` are counted and excluded (the counts
    and the exclusion are in ``n_missing``, ``n_missing_by`` and ``reason``). Fewer than two
    observed levels or groups: no test (P is NaN, ``test`` None).

    Parameters
    ----------
    data
        One row per patient.
    variable
        The categorical column compared.
    by
        The grouping column.
    test
        ``"auto"`` (gtsummary's rule), ``"chisq"``, ``"chisq_yates"`` (R's ``chisq.test``
        default: Yates' continuity correction on a 2×2 table, none on larger ones; ``test``
        then says which was run), ``"fisher"`` or ``"fisher_mc"`` (Monte Carlo).
    levels, groups
        The levels of ``variable`` and the ``by`` groups to tabulate, in order.
    b, seed, max_work
        As :func:`fisher_test`.

    Returns
    -------
    CategoricalComparison
        The test chosen, its P value, ``reason`` (why that test) and the table.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({
    ...     "arm": ["A"] * 6 + ["B"] * 6,
    ...     "sex": ["female", "male", "male", "female", "female", "male",
    ...             "male", "male", "male", "female", "male", "male"],
    ...     "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60],
    ... })
    >>> c = compare_categorical(data, "sex", "arm")
    >>> c.test, round(c.p_value, 4)
    ('fisher', 0.5455)
    >>> print(c.reason)
    4 of 4 expected counts < 5 (minimum 2.00): Fisher's exact test;
    0 missing value(s) of 'sex' excluded
    """
    if variable not in data.columns:
        raise AnalysisError(f"column {variable!r} is not in the data")
    group_names, gcode = _group_codes(data, by, groups)
    names, counts, missing = _cross_counts(
        data[variable], variable, gcode, len(group_names), levels
    )
    return _categorical_from_counts(
        variable,
        by,
        counts,
        names,
        group_names,
        int(missing.sum()),
        int((gcode < 0).sum()),
        test,
        b,
        seed,
        max_work,
    )


@dataclass(frozen=True, eq=False, repr=False)
class ContinuousComparison(Displayed):
    """A continuous variable compared across groups by a rank test (Wilcoxon or
    Kruskal–Wallis), with the groups compared and the missing values excluded.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["A"] * 6 + ["B"] * 6,
    ...                    "sex": ["female", "male", "male", "female", "female", "male",
    ...                            "male", "male", "male", "female", "male", "male"],
    ...                    "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60]})
    >>> from captemstats.compare import compare_continuous
    >>> c = compare_continuous(df, "age", "arm")
    >>> c.groups, c.n, c.result.statistic
    (('A', 'B'), {'A': 6, 'B': 6}, ...)
    """

    variable: str
    by: str
    test: str | None
    p_value: float
    statistic: float | None
    df: int | None
    exact: bool
    groups: tuple[str, ...]
    n: dict[str, int]
    n_missing: int
    n_missing_by: int
    reason: str
    result: RankTestResult | None
    method: MethodInfo | None

    def _headline(self) -> str:
        return f"{self.variable!r} by {self.by!r}, {self.test}, P = {self.p_value:.3g}"

    def summary(self) -> pd.DataFrame:
        """The comparison: variable, test, statistic and P (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        """One row: variable, test, statistic, df, P, exact, n, missing, reason."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "variable": self.variable,
                    "by": self.by,
                    "test": self.test,
                    "statistic": self.statistic,
                    "df": self.df,
                    "p_value": self.p_value,
                    "exact": self.exact,
                    "n": sum(self.n.values()),
                    "n_missing": self.n_missing,
                    "n_missing_by": self.n_missing_by,
                    "reason": self.reason,
                }
            ]
        )


def _rank_test(samples: list[FloatArray]) -> tuple[RankTestResult, str]:
    """Wilcoxon rank-sum for two groups, Kruskal–Wallis for more, and why."""
    if len(samples) == 2:
        res = wilcoxon_rank_sum_test(samples[0], samples[1])
        return res, "2 groups: Wilcoxon rank-sum test" + (" (exact)" if res.exact else "")
    return kruskal_wallis_test(samples), f"{len(samples)} groups: Kruskal–Wallis test"


def compare_continuous(
    data: pd.DataFrame, variable: str, by: str, *, groups: Sequence[object] | None = None
) -> ContinuousComparison:
    """Compare a continuous variable across the ``by`` groups as gtsummary's ``add_p()``:
    Wilcoxon rank-sum (R ``wilcox.test``) for two groups, Kruskal–Wallis (R ``kruskal.test``)
    for more. Groups without values are left out; missing values are counted and excluded.
    Fewer than two groups with values: no test (P NaN, ``test`` None).

    Parameters
    ----------
    data
        One row per patient.
    variable
        The numeric column compared.
    by
        The grouping column.
    groups
        The ``by`` groups and their order.

    Returns
    -------
    ContinuousComparison
        The rank test used, its P value and the group sizes.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({
    ...     "arm": ["A"] * 6 + ["B"] * 6,
    ...     "sex": ["female", "male", "male", "female", "female", "male",
    ...             "male", "male", "male", "female", "male", "male"],
    ...     "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60],
    ... })
    >>> c = compare_continuous(data, "age", "arm")
    >>> c.test, round(c.p_value, 4), c.exact
    ('wilcoxon', 0.6991, True)
    """
    if variable not in data.columns:
        raise AnalysisError(f"column {variable!r} is not in the data")
    names, gcode = _group_codes(data, by, groups)
    values = _numeric(data[variable], variable)
    ok = (gcode >= 0) & ~np.isnan(values)
    n_missing = int(((gcode >= 0) & np.isnan(values)).sum())
    n_missing_by = int((gcode < 0).sum())
    counts = np.bincount(gcode[ok], minlength=len(names))
    n = {g: int(k) for g, k in zip(names, counts, strict=True)}
    present = [i for i, k in enumerate(counts) if k > 0]
    note = f"{n_missing} missing value(s) of {variable!r} excluded"
    if n_missing_by:
        note += f"; {n_missing_by} row(s) with missing {by!r} excluded"
    samples = [values[ok & (gcode == i)] for i in present]
    if len(present) < 2:
        return ContinuousComparison(
            variable,
            by,
            None,
            float("nan"),
            None,
            None,
            False,
            tuple(names),
            n,
            n_missing,
            n_missing_by,
            f"no test: {len(present)} group(s) with values; {note}",
            None,
            None,
        )
    res, why = _rank_test(samples)
    return ContinuousComparison(
        variable=variable,
        by=by,
        test=res.test,
        p_value=res.p_value,
        statistic=res.statistic,
        df=res.df,
        exact=res.exact,
        groups=tuple(names[i] for i in present),
        n=n,
        n_missing=n_missing,
        n_missing_by=n_missing_by,
        reason=f"{why}; {note}",
        result=res,
        method=res.method,
    )


__all__ = [
    "CategoricalComparison",
    "CategoricalTest",
    "ContinuousComparison",
    "compare_categorical",
    "compare_continuous",
]
