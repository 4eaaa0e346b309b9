"""Group comparisons for the characteristics tables (issue 4, items 5–6).

Reproduces what R and gtsummary report for Table 1 (``tbl_summary(by = line_group) |>
add_p()``) and the response-rate comparisons of Table 2:

* :func:`chi_square_test` — Pearson's chi-square without continuity correction, as R's
  ``chisq.test(x, correct = FALSE)``, with the expected counts;
* :func:`fisher_test` — Fisher's exact test, as R's ``fisher.test``: the 2×2 conditional test,
  the exact r×c test and R's Monte-Carlo form (``simulate.p.value = TRUE``);
* :func:`compare_categorical` — gtsummary's default rule: chi-square when every expected count
  is at least 5, Fisher's exact test otherwise;
* :func:`wilcoxon_rank_sum_test`, :func:`kruskal_wallis_test` and :func:`compare_continuous` —
  R's ``wilcox.test`` (two groups) and ``kruskal.test`` (more than two);
* :func:`summarize_characteristics` — counts, percentages, summaries and P values in one tidy
  frame (:class:`CharacteristicsSummary`), consumed by
  :func:`captemstats.tables.characteristics_table`; the two steps apart are
  :func:`describe_characteristics` (``tbl_summary()``) and :func:`add_tests` (``add_p()``).

Modules: :mod:`~captemstats.compare.contingency` (chi-square, Fisher; the exact r×c
enumeration in the private ``_exact`` and ``_network``), :mod:`~captemstats.compare.rank`
(Wilcoxon, Kruskal–Wallis), :mod:`~captemstats.compare.groups` (a variable across groups),
:mod:`~captemstats.compare.characteristics` (Table 1) and :mod:`~captemstats.compare.two_by_two`
(Yates' chi-square and Fisher's odds ratio for 2×2 tables; also ``captemstats.compare_2x2``).

Where scipy differs from R the R behaviour is implemented here: ``scipy.stats.chi2_contingency``
applies Yates' correction to 2×2 tables by default; ``scipy.stats.fisher_exact`` handles r×c
tables (scipy >= 1.15) by resampling, not by R's exact enumeration (it gives 1e-4 where R gives
4.05e-5 for a grade × line table of the synthetic cohort); ``mannwhitneyu`` chooses its
exact/asymptotic method by other rules than R's ``wilcox.test``. P values agree with R to 1e-6
(``tests/test_compare.py`` checks them against ``tests/reference/``).
"""

from __future__ import annotations

# Names importable from the former single module captemstats.compare (private helpers and
# R_REL_ERR), re-exported for compatibility; new code imports them from their modules. (A
# monkeypatch of _exact._CHUNK must target captemstats.compare._exact itself.)
from captemstats.compare._exact import R_REL_ERR as R_REL_ERR
from captemstats.compare._exact import _log_factorials as _log_factorials
from captemstats.compare._network import _two_column_extremes as _two_column_extremes
from captemstats.compare._network import _two_column_values as _two_column_values
from captemstats.compare.characteristics import (
    OVERALL,
    SUMMARY_COLUMNS,
    CharacteristicsSummary,
    VariableType,
    add_tests,
    default_variables,
    describe_characteristics,
    summarize_characteristics,
)
from captemstats.compare.contingency import (
    DEFAULT_B,
    DEFAULT_MAX_WORK,
    DEFAULT_SEED,
    FEXACT_TOL,
    MIN_EXPECTED,
    ChiSquareResult,
    EnumerationTooLarge,
    FisherResult,
    chi_square_test,
    fisher_test,
)
from captemstats.compare.contingency import _as_count_table as _as_count_table
from captemstats.compare.groups import (
    CategoricalComparison,
    CategoricalTest,
    ContinuousComparison,
    compare_categorical,
    compare_continuous,
)
from captemstats.compare.rank import RankTestResult, kruskal_wallis_test, wilcoxon_rank_sum_test

__all__ = [
    "DEFAULT_B",
    "DEFAULT_MAX_WORK",
    "DEFAULT_SEED",
    "FEXACT_TOL",
    "MIN_EXPECTED",
    "OVERALL",
    "SUMMARY_COLUMNS",
    "CategoricalComparison",
    "CategoricalTest",
    "CharacteristicsSummary",
    "ChiSquareResult",
    "ContinuousComparison",
    "EnumerationTooLarge",
    "FisherResult",
    "RankTestResult",
    "VariableType",
    "add_tests",
    "chi_square_test",
    "compare_categorical",
    "compare_continuous",
    "default_variables",
    "describe_characteristics",
    "fisher_test",
    "kruskal_wallis_test",
    "summarize_characteristics",
    "wilcoxon_rank_sum_test",
]
