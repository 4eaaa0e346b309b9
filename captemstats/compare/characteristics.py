"""Table 1 content: the characteristics of each group, then the tests between the groups.

As gtsummary's ``tbl_summary(by = ) |> add_p()`` (Sjoberg et al. 2021, R Journal 13:570),
describing and testing are two steps:

* :func:`describe_characteristics` — counts and percentages of each level of a categorical
  variable, median, range, mean and SD of a continuous one, per group (``tbl_summary()``);
* :func:`add_tests` — the P value of each variable (``add_p()``): gtsummary's rule of
  :func:`captemstats.compare.compare_categorical` (chi-square or Fisher's exact test) and
  :func:`captemstats.compare.compare_continuous` (Wilcoxon or Kruskal–Wallis);
* :func:`summarize_characteristics` — both steps in one tidy frame
  (:class:`CharacteristicsSummary`), consumed by :func:`captemstats.tables.characteristics_table`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.compare._tabulate import (
    VariableType,
    _categorical_rows,
    _continuous_rows,
    _cross_counts,
    _group_codes,
    _numeric,
    _summary_frame,
    _variable_type,
)
from captemstats.compare.contingency import DEFAULT_B, DEFAULT_MAX_WORK, DEFAULT_SEED
from captemstats.compare.groups import (
    CategoricalComparison,
    CategoricalTest,
    ContinuousComparison,
    _categorical_from_counts,
    compare_continuous,
)
from captemstats.errors import AnalysisError
from captemstats.results import Displayed, MethodInfo, count_words

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    IntArray = npt.NDArray[np.int64]

#: The name of the all-patients group in a :class:`CharacteristicsSummary`.
OVERALL = "all"

SUMMARY_COLUMNS: tuple[str, ...] = (
    "variable",
    "label",
    "type",
    "level",
    "group",
    "n",
    "denominator",
    "pct",
    "n_missing",
    "median",
    "min",
    "max",
    "mean",
    "sd",
    "p_value",
    "test",
)

Comparison = CategoricalComparison | ContinuousComparison


@dataclass(frozen=True, eq=False, repr=False)
class CharacteristicsSummary(Displayed):
    """Table 1 content: gtsummary's ``tbl_summary(by = ) |> add_p()`` as a tidy frame.

    ``frame`` has one row per level per group for categorical variables and one row per group
    for continuous ones (level missing), groups ``"all"`` first then the ``by`` groups; see
    :func:`summarize_characteristics` for the columns. ``comparisons`` holds each variable's
    test (None when tests were not requested).

    Examples
    --------
    Made by :func:`summarize_characteristics`:

    >>> import pandas as pd
    >>> df = pd.DataFrame({"arm": ["A"] * 6 + ["B"] * 6,
    ...                    "sex": ["female", "male", "male", "female", "female", "male",
    ...                            "male", "male", "male", "female", "male", "male"],
    ...                    "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60]})
    >>> from captemstats.compare import summarize_characteristics
    >>> s = summarize_characteristics(df, "arm", ["age", "sex"])
    >>> s.groups, s.group_sizes, s.tests
    (('all', 'A', 'B'), {'all': 12, 'A': 6, 'B': 6}, {'age': 'wilcoxon', 'sex': 'fisher'})
    """

    frame: pd.DataFrame
    by: str
    groups: tuple[str, ...]
    variables: tuple[str, ...]
    group_sizes: dict[str, int]
    n_missing_by: int
    comparisons: dict[str, CategoricalComparison | ContinuousComparison | None]
    overall: bool = True

    def _headline(self) -> str:
        return (
            f"{count_words(len(self.variables), 'variable')} by {self.by!r} "
            f"({count_words(len(self.groups), 'group')})"
        )

    def summary(self) -> pd.DataFrame:
        """The table's rows: one per variable and level (:meth:`to_frame`)."""
        return self.to_frame()

    def to_frame(self) -> pd.DataFrame:
        return self.frame.copy()

    @property
    def tests(self) -> dict[str, str | None]:
        """The test code used for each variable (None: no test)."""
        return {v: (c.test if c is not None else None) for v, c in self.comparisons.items()}

    @property
    def methods(self) -> list[MethodInfo]:
        """The distinct methods used (for a manuscript's statistical-methods paragraph)."""
        seen: dict[str, MethodInfo] = {}
        for c in self.comparisons.values():
            if c is not None and c.method is not None:
                seen.setdefault(c.method.test, c.method)
        return list(seen.values())


# -- describing -------------------------------------------------------------------------------


def default_variables(data: pd.DataFrame, by: str) -> list[str]:
    """The columns a summary describes when none are named (gtsummary's default, every
    column), in frame order, leaving out ``by``, date and time columns and identifiers (a
    text column with a distinct value in every row), which a characteristics table should
    not list; name them in ``variables`` to include them.

    Parameters
    ----------
    data
        One row per patient.
    by
        The grouping column.

    Returns
    -------
    list of str
        The column names.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({"id": ["p1", "p2", "p3"], "arm": list("ABA"), "ecog": [0, 1, 1],
    ...                    "start": pd.to_datetime(["2020-01-01"] * 3)})
    >>> default_variables(data, "arm")
    ['ecog']
    """
    import pandas as pd

    out = []
    for name in data.columns:
        col = data[name]
        if name == by or pd.api.types.is_datetime64_any_dtype(col.dtype):
            continue
        text = pd.api.types.is_string_dtype(col.dtype) or col.dtype == object
        values = col.dropna()
        if text and len(values) > 1 and values.nunique() == len(values):
            continue
        out.append(str(name))
    return out


def describe_characteristics(
    data: pd.DataFrame,
    by: str,
    variables: Sequence[str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    overall: bool = True,
    types: Mapping[str, VariableType] | None = None,
    levels: Mapping[str, Sequence[object]] | None = None,
    groups: Sequence[object] | None = None,
) -> CharacteristicsSummary:
    """Describe ``variables`` by ``by`` as gtsummary's ``tbl_summary(by = by)``, without tests.

    Parameters
    ----------
    data, by, variables, labels, overall, types, levels, groups
        As :func:`summarize_characteristics` (which documents the groups, types, levels and
        the frame's columns).

    Returns
    -------
    CharacteristicsSummary
        The rows of every variable with ``p_value`` and ``test`` missing and every comparison
        None; :func:`add_tests` adds them.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({
    ...     "arm": ["A"] * 6 + ["B"] * 6,
    ...     "sex": ["female", "male", "male", "female", "female", "male",
    ...             "male", "male", "male", "female", "male", "male"],
    ...     "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60],
    ... })
    >>> s = describe_characteristics(data, "arm", ["age", "sex"])
    >>> s.groups, s.group_sizes, bool(s.frame["p_value"].isna().all())
    (('all', 'A', 'B'), {'all': 12, 'A': 6, 'B': 6}, True)
    """
    labels, types, levels = dict(labels or {}), dict(types or {}), dict(levels or {})
    variables = default_variables(data, by) if variables is None else list(variables)
    missing_cols = [v for v in variables if v not in data.columns]
    if missing_cols:
        raise AnalysisError(f"summarize_characteristics: column(s) {missing_cols} not in the data")
    if by in variables:
        raise AnalysisError(f"summarize_characteristics: {by!r} is the grouping column")
    group_names, gcode = _group_codes(data, by, groups)
    if not group_names:
        raise AnalysisError(f"column {by!r} has no non-missing values to group by")
    k = len(group_names)
    sizes = np.bincount(gcode[gcode >= 0], minlength=k)
    out_groups = ([OVERALL] if overall else []) + group_names
    parts: list[pd.DataFrame] = []
    for variable in variables:
        s = data[variable]
        kind = types.get(variable) or _variable_type(s)
        label = labels.get(variable, variable)
        if kind == "categorical":
            names, counts, missing = _cross_counts(s, variable, gcode, k, levels.get(variable))
            part = _categorical_rows(variable, label, names, counts, missing, out_groups, overall)
        elif kind == "continuous":
            values = _numeric(s, variable)
            part = _continuous_rows(variable, label, values, gcode, k, out_groups, overall)
        else:
            raise AnalysisError(
                f"type of {variable!r} must be 'categorical' or 'continuous', got {kind!r}"
            )
        part["p_value"] = np.nan
        part["test"] = None
        parts.append(part)
    return CharacteristicsSummary(
        frame=_summary_frame(parts, SUMMARY_COLUMNS),
        by=by,
        groups=tuple(out_groups),
        variables=tuple(variables),
        group_sizes={
            **({OVERALL: int(sizes.sum())} if overall else {}),
            **{g: int(x) for g, x in zip(group_names, sizes, strict=True)},
        },
        n_missing_by=int((gcode < 0).sum()),
        comparisons=dict.fromkeys(variables),
        overall=overall,
    )


# -- testing ----------------------------------------------------------------------------------


def _test_variable(
    df: pd.DataFrame,
    summary: CharacteristicsSummary,
    variable: str,
    kind: str,
    gcode: IntArray,
    levels: Sequence[Any] | None,
    categorical_test: CategoricalTest,
    b: int,
    seed: int | None,
    max_work: int,
) -> Comparison:
    """One variable's comparison across the summary's groups."""
    group_names = list(summary.groups[1:] if summary.overall else summary.groups)
    if kind == "categorical":
        names, counts, missing = _cross_counts(
            df[variable], variable, gcode, len(group_names), levels
        )
        return _categorical_from_counts(
            variable,
            summary.by,
            counts,
            names,
            group_names,
            int(missing.sum()),
            summary.n_missing_by,
            categorical_test,
            b,
            seed,
            max_work,
        )
    if kind == "continuous":
        return compare_continuous(df, variable, summary.by, groups=group_names)
    raise AnalysisError(f"type of {variable!r} must be 'categorical' or 'continuous', got {kind!r}")


def add_tests(
    summary: CharacteristicsSummary,
    data: pd.DataFrame,
    *,
    tests: bool | Collection[str] = True,
    types: Mapping[str, VariableType] | None = None,
    levels: Mapping[str, Sequence[object]] | None = None,
    b: int = DEFAULT_B,
    seed: int | None = DEFAULT_SEED,
    max_work: int = DEFAULT_MAX_WORK,
    categorical_test: CategoricalTest = "auto",
) -> CharacteristicsSummary:
    """Add the P value of each variable to a summary, as gtsummary's ``add_p()``.

    Parameters
    ----------
    summary
        The description made by :func:`describe_characteristics` from ``data``.
    data
        The data the summary describes (its ``by`` column and variables).
    tests, b, seed, max_work, categorical_test
        As :func:`summarize_characteristics`.
    types, levels
        The overrides given to :func:`describe_characteristics` (a type that differs from the
        described one is an error).

    Returns
    -------
    CharacteristicsSummary
        ``summary`` with ``comparisons`` and the ``p_value`` and ``test`` columns filled.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({
    ...     "arm": ["A"] * 6 + ["B"] * 6,
    ...     "sex": ["female", "male", "male", "female", "female", "male",
    ...             "male", "male", "male", "female", "male", "male"],
    ...     "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60],
    ... })
    >>> s = add_tests(describe_characteristics(data, "arm", ["age", "sex"]), data)
    >>> s.frame.drop_duplicates("variable")[["variable", "p_value", "test"]].round(3)
      variable  p_value      test
    0      age    0.699  wilcoxon
    3      sex    0.545    fisher
    """
    import pandas as pd

    tested = set(summary.variables) if tests is True else set() if tests is False else set(tests)
    types, levels = dict(types or {}), dict(levels or {})
    missing_cols = [v for v in summary.variables if v not in data.columns]
    if missing_cols:
        raise AnalysisError(f"add_tests: column(s) {missing_cols} not in the data")
    group_names = summary.groups[1:] if summary.overall else summary.groups
    _, gcode = _group_codes(data, summary.by, group_names)
    frame = summary.frame.copy()
    described = dict(zip(frame["variable"].tolist(), frame["type"].tolist(), strict=True))
    comparisons: dict[str, Comparison | None] = {}
    for variable in summary.variables:
        cmp: Comparison | None = None
        if variable in tested:
            kind = types.get(variable) or _variable_type(data[variable])
            if described.get(variable, kind) != kind:
                raise AnalysisError(
                    f"add_tests: {variable!r} was described as {described[variable]}, "
                    f"not {kind}; pass the types given to describe_characteristics"
                )
            cmp = _test_variable(
                data,
                summary,
                variable,
                kind,
                gcode,
                levels.get(variable),
                categorical_test,
                b,
                seed,
                max_work,
            )
        comparisons[variable] = cmp
    rows = [comparisons[v] for v in frame["variable"].tolist()]
    frame["p_value"] = np.array(
        [c.p_value if c is not None else np.nan for c in rows], dtype=np.float64
    )
    frame["test"] = pd.array([c.test if c is not None else None for c in rows], dtype="string")
    return replace(summary, frame=frame, comparisons=comparisons)


# -- both steps -------------------------------------------------------------------------------


def summarize_characteristics(
    data: pd.DataFrame,
    by: str,
    variables: Sequence[str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    overall: bool = True,
    tests: bool | Collection[str] = True,
    types: Mapping[str, VariableType] | None = None,
    levels: Mapping[str, Sequence[object]] | None = None,
    groups: Sequence[object] | None = None,
    b: int = DEFAULT_B,
    seed: int | None = DEFAULT_SEED,
    max_work: int = DEFAULT_MAX_WORK,
    categorical_test: CategoricalTest = "auto",
) -> CharacteristicsSummary:
    """Summarise ``variables`` by ``by`` as gtsummary's ``tbl_summary(by = by) |> add_p()``.

    Rows with a missing ``by`` value are excluded (as gtsummary; the number is
    ``n_missing_by``). Groups: ``"all"`` (when ``overall``) then the ``by`` values in category
    order (else sorted, or ``groups``). Variable types: categorical for category, boolean and
    string columns and for whole numbers with fewer than 10 distinct values (an ordinal score
    such as ECOG; gtsummary's rule), continuous for other numeric columns (``types``
    overrides).

    Frame columns: variable, label, type, level, group, n, denominator, pct, n_missing, median,
    min, max, mean, sd, p_value, test.

    * categorical — one row per level per group: ``n`` patients at the level, ``denominator``
      the group's non-missing values, ``pct`` = 100·n/denominator, ``n_missing`` the group's
      missing values. Levels follow the categorical order (booleans "True" then "False", i.e.
      Yes first; strings in the order of ``schema.LABELS`` when listed there, else sorted, as
      R's ``factor()``), or ``levels[variable]``. Unused categories appear with n = 0.
    * continuous — one row per group, ``level`` missing: median, min, max, mean, sd (n − 1
      denominator), ``n`` non-missing values, ``denominator`` the group size, ``n_missing``.

    ``p_value`` and ``test`` (codes "chisq", "fisher", "fisher_mc", "kruskal", "wilcoxon")
    repeat on every row of the variable (:func:`compare_categorical`,
    :func:`compare_continuous`; ``categorical_test`` is passed to the former as its
    ``test``: ``"auto"`` is gtsummary's rule, ``"chisq"`` Pearson's chi-square for every
    categorical row, as the paper's SPSS analysis); missing when ``tests`` is False (or,
    given as a collection of variable names, does not name the variable — e.g. rows that are
    zero by design in one group) or no test is possible.

    Parameters
    ----------
    data
        One row per patient.
    by
        The grouping column (e.g. the treatment line).
    variables
        The columns to describe, in the table's order (default: every column but ``by``,
        dates and identifiers, :func:`default_variables`).
    labels
        Printed label per variable (default: the column name).
    overall
        Add the ``"all"`` group (every patient with a ``by`` value) first.
    tests
        True: test every variable; False: none; a collection: only the variables it names.
    types
        ``"categorical"`` or ``"continuous"`` per variable, overriding the inferred type.
    levels
        The levels (and their order) per categorical variable.
    groups
        The ``by`` groups and their order (default: category order, else sorted).
    b, seed, max_work
        Monte-Carlo tables, seed and enumeration limit of Fisher's test
        (:func:`fisher_test`), used when an exact r×c enumeration is too large.
    categorical_test
        ``"auto"`` (gtsummary's rule) or ``"chisq"`` (Pearson's chi-square for every
        categorical variable, as the paper's SPSS analysis).

    Returns
    -------
    CharacteristicsSummary
        The tidy ``frame`` (columns above), the groups and their sizes, and each variable's
        comparison.

    Examples
    --------
    >>> import pandas as pd
    >>> data = pd.DataFrame({
    ...     "arm": ["A"] * 6 + ["B"] * 6,
    ...     "sex": ["female", "male", "male", "female", "female", "male",
    ...             "male", "male", "male", "female", "male", "male"],
    ...     "age": [54, 61, 47, 70, 66, 58, 49, 52, 63, 71, 45, 60],
    ... })
    >>> s = summarize_characteristics(data, "arm", ["age", "sex"])
    >>> s.frame[["variable", "level", "group", "n", "pct", "median", "p_value", "test"]].round(2)
      variable   level group   n    pct  median  p_value      test
    0      age    <NA>   all  12    NaN    59.0     0.70  wilcoxon
    1      age    <NA>     A   6    NaN    59.5     0.70  wilcoxon
    2      age    <NA>     B   6    NaN    56.0     0.70  wilcoxon
    3      sex  female   all   4  33.33     NaN     0.55    fisher
    4      sex    male   all   8  66.67     NaN     0.55    fisher
    5      sex  female     A   3  50.00     NaN     0.55    fisher
    6      sex    male     A   3  50.00     NaN     0.55    fisher
    7      sex  female     B   1  16.67     NaN     0.55    fisher
    8      sex    male     B   5  83.33     NaN     0.55    fisher
    """
    summary = describe_characteristics(
        data,
        by,
        variables,
        labels=labels,
        overall=overall,
        types=types,
        levels=levels,
        groups=groups,
    )
    return add_tests(
        summary,
        data,
        tests=tests,
        types=types,
        levels=levels,
        b=b,
        seed=seed,
        max_work=max_work,
        categorical_test=categorical_test,
    )


__all__ = [
    "OVERALL",
    "SUMMARY_COLUMNS",
    "CharacteristicsSummary",
    "VariableType",
    "add_tests",
    "default_variables",
    "describe_characteristics",
    "summarize_characteristics",
]
