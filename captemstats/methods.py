"""Methods profiles: which test each Table 1/2 comparison uses and how its P value prints.

A profile (:class:`MethodProfile`) is typed data, chosen by name (:data:`MethodsName`):

``"recommended"`` (the default)
    gtsummary's ``add_p()`` rule: Pearson's chi-square test without continuity correction
    when every expected count is at least 5, Fisher's exact test otherwise
    (:func:`captemstats.compare.compare_categorical`); P values rounded as the journal
    prints them (:func:`captemstats.formatting.format_p`, AMA).
``"as_published"``
    what the paper did (Methods: "Chi-square analysis was performed ..." in SPSS 22.0):
    Pearson's chi-square test without continuity correction for every categorical
    comparison of Table 1 (the tested rows) and Table 2 (distribution, ORR, DCR), whatever
    the expected counts; P values as the paper prints them, SPSS's three decimals truncated
    to two (:func:`captemstats.formatting.format_p_truncated`).

Both keep the continuous rows' rank test (Kruskal–Wallis, Wilcoxon for two groups): the
paper's Methods name no test for them and its Table 1 prints no P for age or cycles. The
survival analyses (log-rank, Cox) are the same in both profiles.

The profile travels with the results: :attr:`captemstats.analysis.StudyAnalysis.methods`,
``results.json`` (``"methods"``, :meth:`MethodProfile.to_dict`), the ``methods`` column of
:func:`categorical_tests`, and the Table 1/2 footnotes (:meth:`MethodProfile.footnote`,
given the profile through the builders' ``methods=`` argument). For the Methods text,
:meth:`MethodProfile.describe` gives sentence-free parts (test names, display rule,
software) for the manuscript to word. :func:`with_methods` (also
:meth:`StudyAnalysis.with_methods <captemstats.analysis.StudyAnalysis.with_methods>`)
recomputes only the Table 1/2 categorical tests under another profile, without re-running
the survival analyses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, get_args

from captemstats.formatting import PValueDisplay, format_p_as

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis
    from captemstats.compare import CategoricalComparison, CharacteristicsSummary

__all__ = [
    "AS_PUBLISHED",
    "METHODS_NAMES",
    "PROFILES",
    "RECOMMENDED",
    "CategoricalRule",
    "MethodProfile",
    "MethodsDescription",
    "MethodsName",
    "categorical_tests",
    "get_profile",
    "response_tests",
    "table1_summary",
    "with_methods",
]

#: The profiles' names (``analyze(methods=...)``, ``--methods``).
MethodsName = Literal["recommended", "as_published"]
#: The names in order, the default first.
METHODS_NAMES: tuple[MethodsName, ...] = get_args(MethodsName)
#: How a categorical comparison picks its test: ``"auto"`` gtsummary's expected-count rule,
#: ``"chisq"`` Pearson's chi-square always (the codes of ``compare.compare_categorical``).
CategoricalRule = Literal["auto", "chisq"]

_CHISQ = "Pearson's chi-square test without continuity correction"
_RANK = "Kruskal–Wallis rank-sum test (Wilcoxon rank-sum test for two groups)"
_P_DISPLAY: dict[PValueDisplay, str] = {
    "rounded": "two decimals, three below .01, <.001 below .001 (AMA)",
    "truncated": "SPSS's three decimals truncated to two at or above .01, <.001 below .0005",
}


@dataclass(frozen=True, slots=True)
class MethodsDescription:
    """The parts of a Methods sentence about the group comparisons, none a sentence.

    ``small_expected_test``/``small_expected_below`` are the fallback test and the expected
    count below which it replaces ``categorical_test`` (None: no fallback).
    """

    categorical_test: str
    small_expected_test: str | None
    small_expected_below: float | None
    continuous_test: str
    p_value_display: str
    software: str


@dataclass(frozen=True, slots=True)
class MethodProfile:
    """A methods profile: the categorical test rule and the P-value display rule.

    Parameters
    ----------
    name
        The profile's name (:data:`MethodsName`).
    categorical_rule
        ``"auto"`` (chi-square, Fisher's exact test when an expected count is below 5) or
        ``"chisq"`` (Pearson's chi-square for every categorical comparison).
    p_display
        ``"rounded"`` (:func:`~captemstats.formatting.format_p`) or ``"truncated"``
        (:func:`~captemstats.formatting.format_p_truncated`).
    software
        What the rule reproduces (named in :meth:`describe` and the footnote).

    Example
    -------
    >>> p = get_profile("as_published")
    >>> p.categorical_rule, p.p_display, p.format_p(0.3959)
    ('chisq', 'truncated', '.39')
    """

    name: MethodsName
    categorical_rule: CategoricalRule
    p_display: PValueDisplay
    software: str

    def format_p(self, p: Any) -> str:
        """``p`` printed by this profile's display rule (presentation only)."""
        return format_p_as(p, self.p_display)

    def describe(self) -> MethodsDescription:
        """The profile's parts for the manuscript's Methods (no sentence is composed here).

        Example
        -------
        >>> get_profile("recommended").describe().small_expected_test
        "Fisher's exact test"
        """
        auto = self.categorical_rule == "auto"
        return MethodsDescription(
            categorical_test=_CHISQ,
            small_expected_test="Fisher's exact test" if auto else None,
            small_expected_below=5.0 if auto else None,
            continuous_test=_RANK,
            p_value_display=_P_DISPLAY[self.p_display],
            software=self.software,
        )

    def footnote(self) -> str | None:
        """The Table 1/2 footnote stating the profile; None for the default profile, whose
        tables the per-test footnotes already describe (its tables stay as they were).

        Example
        -------
        >>> get_profile("recommended").footnote() is None
        True
        """
        if self.name == "recommended":
            return None
        rule = (
            "for every categorical comparison"
            if self.categorical_rule == "chisq"
            else "(Fisher's exact test when an expected count is below 5)"
        )
        shown = (
            "P values printed as the paper prints them (three decimals below .01, else "
            "truncated to two)"
            if self.p_display == "truncated"
            else "P values rounded"
        )
        return f"Methods as published ({self.software}): {_CHISQ} {rule}; {shown}."

    def to_dict(self) -> dict[str, Any]:
        """The profile for ``results.json`` (``"methods"``): name, rules and description."""
        d = self.describe()
        return {
            "name": self.name,
            "categorical_rule": self.categorical_rule,
            "p_display": self.p_display,
            "software": self.software,
            "categorical_test": d.categorical_test,
            "small_expected_test": d.small_expected_test,
            "small_expected_below": d.small_expected_below,
            "continuous_test": d.continuous_test,
            "p_value_display": d.p_value_display,
        }


#: gtsummary's rule, AMA rounding: today's results.
RECOMMENDED = MethodProfile(
    "recommended", "auto", "rounded", "captemstats, as R gtsummary add_p() defaults"
)
#: The paper's rule: chi-square throughout, SPSS's print truncated.
AS_PUBLISHED = MethodProfile("as_published", "chisq", "truncated", "SPSS 22.0")
#: The profiles by name.
PROFILES: dict[MethodsName, MethodProfile] = {p.name: p for p in (RECOMMENDED, AS_PUBLISHED)}


def get_profile(methods: MethodsName | MethodProfile | str) -> MethodProfile:
    """The profile ``methods`` names (a :class:`MethodProfile` is returned as given).

    Raises ``ValueError`` naming the known profiles for any other name.

    Example
    -------
    >>> get_profile("as_published").software
    'SPSS 22.0'
    """
    if isinstance(methods, MethodProfile):
        return methods
    try:
        return PROFILES[methods]  # type: ignore[index]
    except KeyError:
        raise ValueError(
            f"unknown methods profile {methods!r}; use {' or '.join(METHODS_NAMES)}"
        ) from None


# -- the comparisons a profile governs ------------------------------------------------------
def table1_summary(
    data: pd.DataFrame, methods: MethodsName | MethodProfile = "recommended"
) -> CharacteristicsSummary:
    """Table 1 by line (``analysis.TABLE1_VARIABLES``) with the profile's categorical test.

    The prior-treatment rows are not tested (none in first line by design); ECOG is an
    ordinal category (0, 1, 2). ``data`` is the analysis cohort (``Cohort.data``).
    """
    from captemstats.analysis import BY, PRIOR_TREATMENTS, TABLE1_VARIABLES
    from captemstats.compare import summarize_characteristics

    profile = get_profile(methods)
    return summarize_characteristics(
        data.assign(ecog=data["ecog"].astype("string")),
        by=BY,
        variables=list(TABLE1_VARIABLES),
        labels=TABLE1_VARIABLES,
        types={"ecog": "categorical"},
        tests=[v for v in TABLE1_VARIABLES if v not in PRIOR_TREATMENTS],
        categorical_test=profile.categorical_rule,
    )


def response_tests(
    bor: pd.DataFrame, methods: MethodsName | MethodProfile = "recommended"
) -> dict[str, CategoricalComparison]:
    """Table 2's tests by line on the evaluable patients: ``"distribution"`` (best overall
    response), ``"ORR"`` and ``"DCR"`` (yes/no), with the profile's categorical test.

    ``bor`` is the best response per patient with the line group
    (:meth:`StudyAnalysis.bor_frame <captemstats.analysis.StudyAnalysis.bor_frame>`).
    """
    import pandas as pd

    from captemstats.analysis import BY
    from captemstats.compare import compare_categorical

    test = get_profile(methods).categorical_rule
    evaluable = bor.loc[bor["evaluable"].fillna(False).astype(bool)].copy()
    evaluable["best_response"] = pd.Categorical(
        evaluable["bor"].astype("string"),
        categories=[
            c for c in ("CR", "PR", "SD", "NON_CR_NON_PD", "PD") if (evaluable["bor"] == c).any()
        ],
    )
    evaluable["ORR"] = evaluable["bor"].isin(["CR", "PR"])
    evaluable["DCR"] = evaluable["bor"].isin(["CR", "PR", "SD", "NON_CR_NON_PD"])
    return {
        "distribution": compare_categorical(evaluable, "best_response", BY, test=test),
        "ORR": compare_categorical(evaluable, "ORR", BY, test=test),
        "DCR": compare_categorical(evaluable, "DCR", BY, test=test),
    }


def with_methods(res: StudyAnalysis, methods: MethodsName | MethodProfile) -> StudyAnalysis:
    """``res`` under another profile: Table 1 and Table 2's tests recomputed, the rest
    (cohort, responses, survival, Cox, adverse events) shared, not re-run.

    Parameters
    ----------
    res
        A finished analysis (:func:`captemstats.analysis.analyze`).
    methods
        The profile to apply (:data:`MethodsName` or a :class:`MethodProfile`).

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
    from dataclasses import replace

    profile = get_profile(methods)
    if profile == res.methods:
        return res
    return replace(
        res,
        methods=profile,
        characteristics=table1_summary(res.cohort.data, profile),
        response_tests=response_tests(res.bor_frame(), profile),
    )


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
