"""A finished analysis under another methods profile, without re-running it.

:func:`with_methods` recomputes only Table 1's and Table 2's categorical tests under a
profile (:mod:`captemstats.methods`) and shares everything else (cohort, responses, survival,
Cox, adverse events) with the analysis it starts from; :func:`categorical_tests` gives those
tests as one tidy frame, so the reproduction appendix can set the other profile's P values
beside the paper's.

Layering: this module sits above :mod:`captemstats.analysis` (it takes a
:class:`~captemstats.analysis.StudyAnalysis`, whose :meth:`~captemstats.analysis.StudyAnalysis
.with_methods` does the recomputation); :mod:`captemstats.methods` holds the profiles and the
comparisons themselves and imports neither.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis
    from captemstats.methods import MethodProfile, MethodsName

__all__ = ["CATEGORICAL_TEST_COLUMNS", "categorical_tests", "with_methods"]

#: Columns of :func:`categorical_tests`.
CATEGORICAL_TEST_COLUMNS: tuple[str, ...] = (
    "table",
    "variable",
    "test",
    "statistic",
    "df",
    "p_value",
    "methods",
)


def with_methods(res: StudyAnalysis, methods: MethodsName | MethodProfile) -> StudyAnalysis:
    """``res`` under another profile: Table 1 and Table 2's tests recomputed, the rest
    (cohort, responses, survival, Cox, adverse events) shared, not re-run.

    Parameters
    ----------
    res
        A finished analysis (:func:`captemstats.analysis.analyze`).
    methods
        The profile to apply (:data:`~captemstats.methods.MethodsName` or a
        :class:`~captemstats.methods.MethodProfile`).

    Returns
    -------
    StudyAnalysis
        A new analysis whose ``methods``, ``characteristics`` and ``response_tests`` follow
        the profile; ``res`` itself when it already uses it.

    Example
    -------
    >>> from captemstats.analysis import analyze
    >>> res = analyze("data/registry")  # doctest: +SKIP
    >>> with_methods(res, "as_published").response_tests["ORR"].test  # doctest: +SKIP
    'chisq'
    """
    return res.with_methods(methods)


def categorical_tests(
    res: StudyAnalysis, methods: MethodsName | MethodProfile | None = None
) -> pd.DataFrame:
    """The Table 1 and Table 2 categorical tests under a profile, as one tidy frame.

    Only the categorical comparisons are (re)computed (:func:`with_methods`), so the
    reproduction appendix can set the other profile's P values beside the paper's without
    re-running the survival analyses.

    Parameters
    ----------
    res
        A finished analysis.
    methods
        The profile; None uses ``res.methods``.

    Returns
    -------
    pandas.DataFrame
        One row per tested categorical row, Table 1's in the table's order then Table 2's
        ``distribution``, ``ORR``, ``DCR``: ``table`` ("table1"/"table2"), ``variable``,
        ``test`` (``"chisq"``, ``"fisher"``, ``"fisher_mc"``), ``statistic`` and ``df``
        (chi-square only, else missing), ``p_value`` (a number, never printed) and
        ``methods`` (the profile's name).

    Example
    -------
    >>> from captemstats.analysis import analyze
    >>> from captemstats.methods import get_profile
    >>> res = analyze("data/registry")  # doctest: +SKIP
    >>> tests = categorical_tests(res, "as_published")  # doctest: +SKIP
    >>> sorted(set(tests["test"]))  # doctest: +SKIP
    ['chisq']
    >>> printed = tests["p_value"].map(get_profile("as_published").format_p)  # doctest: +SKIP
    """
    import pandas as pd

    from captemstats.compare import CategoricalComparison

    out = res if methods is None else with_methods(res, methods)
    table1 = [
        ("table1", variable, c)
        for variable, c in out.characteristics.comparisons.items()
        if isinstance(c, CategoricalComparison)
    ]
    table2 = [("table2", key, c) for key, c in out.response_tests.items()]
    rows = [
        {
            "table": table,
            "variable": variable,
            "test": c.test,
            "statistic": c.statistic,
            "df": c.df,
            "p_value": c.p_value,
            "methods": out.methods.name,
        }
        for table, variable, c in (*table1, *table2)
    ]
    frame = pd.DataFrame(rows, columns=list(CATEGORICAL_TEST_COLUMNS))
    return frame.astype(
        {
            "table": "string",
            "variable": "string",
            "test": "string",
            "statistic": "float64",
            "df": "Int64",
            "p_value": "float64",
            "methods": "string",
        }
    )
