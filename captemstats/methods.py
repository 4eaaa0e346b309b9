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
:func:`captemstats.reanalysis.categorical_tests`, and the Table 1/2 footnotes
(:meth:`MethodProfile.footnote`, given the profile through the builders' ``methods=``
argument). For the Methods text, :meth:`MethodProfile.describe` gives sentence-free parts
(test names, display rule, software) for the manuscript to word.

The comparisons a profile governs are here (:func:`table1_summary`, :func:`response_tests`),
with the study's rows and by-line grouping read from the study specification
(:mod:`captemstats.study`). This module does not know the analysis result: re-running a
finished analysis under another profile is :func:`captemstats.reanalysis.with_methods` (also
:meth:`StudyAnalysis.with_methods <captemstats.analysis.StudyAnalysis.with_methods>`), which
recomputes only the Table 1/2 categorical tests, without re-running the survival analyses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

from captemstats.formatting import PValueDisplay, format_p_as
from captemstats.study import CAPTEM_STUDY, StudySpec

if TYPE_CHECKING:
    import pandas as pd

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
    "get_profile",
    "response_tests",
    "table1_summary",
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

    def format_p(self, p: float | None) -> str:
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

    def to_dict(self) -> dict[str, str | float | None]:
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
    data: pd.DataFrame,
    methods: MethodsName | MethodProfile = "recommended",
    *,
    study: StudySpec = CAPTEM_STUDY,
) -> CharacteristicsSummary:
    """Table 1 by line (the rows of ``study.table1``) with the profile's categorical test.

    The prior-treatment rows are not tested (none in first line by design); a row typed
    categorical (ECOG 0, 1, 2) is summarised as an ordinal category. ``data`` is the
    analysis cohort (``Cohort.data``).
    """
    from captemstats.compare import summarize_characteristics

    profile = get_profile(methods)
    labels = study.table1_labels()
    types = study.table1_types()
    return summarize_characteristics(
        data.assign(**{column: data[column].astype("string") for column in types}),
        by=study.by,
        variables=list(labels),
        labels=labels,
        types=types,
        tests=study.table1_tested(),
        categorical_test=profile.categorical_rule,
    )


def response_tests(
    bor: pd.DataFrame,
    methods: MethodsName | MethodProfile = "recommended",
    *,
    by: str = CAPTEM_STUDY.by,
) -> dict[str, CategoricalComparison]:
    """Table 2's tests by line on the evaluable patients: ``"distribution"`` (best overall
    response), ``"ORR"`` and ``"DCR"`` (yes/no), with the profile's categorical test.

    ``bor`` is the best response per patient with the line group ``by`` (the study's
    by-line grouping, :attr:`captemstats.study.StudySpec.by`;
    :meth:`StudyAnalysis.bor_frame <captemstats.analysis.StudyAnalysis.bor_frame>`).
    """
    import pandas as pd

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
        "distribution": compare_categorical(evaluable, "best_response", by, test=test),
        "ORR": compare_categorical(evaluable, "ORR", by, test=test),
        "DCR": compare_categorical(evaluable, "DCR", by, test=test),
    }
