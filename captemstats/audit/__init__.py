"""Audit of the CAPTEM paper's printed values, and one consistent set of values derived from it.

:func:`audit_published` recomputes everything that can be recomputed from the printed numbers
(:mod:`captemstats.published`) and lists every disagreement as a :class:`Discrepancy`:
location, printed value, the value that makes the arithmetic consistent when one is
determinable (else ``None`` with the reason), the check that found it and a severity.
:func:`resolve` turns the printed values plus the audit into :class:`ResolvedValues`, the
internally consistent tidy tables the synthetic registry is calibrated to
(:mod:`captemstats.audit.resolve` says how each discrepancy is resolved).

Checks (``Discrepancy.check``)
------------------------------
``table1_row_column_sums``
    Per-line counts must add up to the All column, and the levels of a variable to the
    group's n (Table 1 'Number' row). A single wrong cell is located where the row residual
    and the column residual agree; its consistent value is ``printed + residual``.
``table2_row_column_sums``
    The same for Table 2's CR/PR/SD/PD rows against the printed denominators.
``orr_dcr_composition``
    ORR = CR + PR and DCR = CR + PR + SD (Methods; RECIST 1.1 §4.4 categories), per group.
``percentage``
    A printed percentage ``p`` with ``k`` decimals must equal ``round(100 n / d, k)``;
    both half-up and half-even rounding are accepted (they differ only on exact ties).
    ``d`` is the group n (Table 1), the printed denominator (Table 2) or 308 (Table 4).
    ``n`` is the resolved count, so a cell whose count was corrected is not flagged twice.
    A print one unit in its last digit off (41.3 for 41.2) is rounding-only: ``info``
    (:func:`grade_rounding_only`; also for ``text_vs_table``).
``cell_format``
    A cell that is not exactly ``n (p)`` (stray or missing parenthesis, a ``%`` sign).
``p_value_chi_square``
    Table 1 and 2 P values recomputed by Pearson's chi-square test of independence across
    the three lines (as the Methods state; no continuity correction, as SPSS prints for
    tables larger than 2 × 2) on the resolved counts. The paper *truncates* most P values
    (e.g. .3959 printed .39, five of thirteen Table 1 rows), so a print matches when it
    equals the recomputed P rounded **or** truncated to the printed decimals; ``<.001``
    matches any P below .001. Table 2's P in the CR row is read as the test of the whole
    CR/PR/SD/PD distribution (it reproduces .004).
``table2_vs_table1_denominators``
    Table 2's denominators must be Table 1's n minus the one-course patients of the
    footnote (four in all).
``one_course_vs_cycle_minimum``
    A line that lost a one-course patient from Table 2 cannot print a minimum of 2 cycles.
``range_within_overall``
    Each line's min/max must lie inside the All column's range (the All range is the union).
``median_between_group_medians``
    The All median of a pooled sample lies between the smallest and largest group median.
``median_vs_category_counts``
    A group's median age must agree with its age-group counts (fewer than half below 50...).
``weighted_mean`` / ``pooled_sd``
    The All mean must equal the n-weighted mean of the line means, and the All SD the SD
    pooled from the line n, means and SDs (total sum of squares), allowing for each printed
    value's rounding (every corner of the half-unit intervals is tried).
``ae_counts_within_bounds``
    Table 4: grade 3–4 events of any one term cannot exceed the patients with a grade 3–4
    event (Table 1), and all terms' events must be at least that many; likewise for
    interruptions.
``text_vs_table``
    A number restated in the abstract or text must equal the table (counts exactly,
    percentages after rounding the resolved count to the text's decimals).
``repeated_values``
    A median, P value or range printed in several places must be printed the same.
``cox_hr_within_ci`` / ``cox_ci_symmetry`` / ``cox_wald_p`` / ``cox_significance_vs_ci``
    Table 3: the HR lies inside its CI; on the log scale the HR is the CI's midpoint; the
    Wald P recomputed from the HR and CI (SE = log(upper/lower) / 3.92) agrees with the print
    (same rounding/truncation rule as above, over all rounding corners); P < .05 exactly when
    the CI excludes 1. ``cox_significant_list`` checks the text's lists of significant factors.
``cox_direction_vs_km``
    A covariate whose Kaplan–Meier comparison and Cox HR are both significant must point the
    same way.
``label``
    Group labels that overlap (Figure 3's "3%-20%, 20%-55%").
``significance_statement`` (an inference check, as the next three)
    A statement of significance in the prose against the P printed for that comparison.
``cox_ci_width_vs_events``
    A Table 3 CI narrower than its events allow (SE(log HR) ≥ √(4/D); ≈ 1/√(D p(1−p))).
``cox_hr_vs_km_medians``
    A Table 3 HR against median(reference) / median(exposed) of the same KM grouping
    (generalises ``cox_direction_vs_km``, which is kept and whose rows it does not repeat).
``p_vs_ci``
    A P printed with an HR and CI in the text against their Wald P and the CI's side of 1.

The inference checks grade a rounding-only discrepancy (one unit in the last printed
digit) ``info`` and a substantive one ``warning`` or ``error``; they never set
``consistent``, so :func:`resolve` does not depend on them.

Severity: rounding
------------------
A printed number stands for every value that rounds to it (± half a unit in its last
digit); a P value also for every value that truncates to it (the paper truncates most P
values, see ``p_value_chi_square``): ``.05`` is any P in [.045, .06). A CI, a median or
an HR passes a check when some values its prints stand for satisfy it; a discrepancy
that goes away only when they may move by one unit in their last printed digit (±0.1 for
a median printed to one decimal, ±0.01 for an HR or a CI bound) is *rounding-only* and
gets ``info``. A claim about P is judged on the printed value (P < .05 ⇔ significant;
``.05`` is not significant); when only the print's rounding/truncation interval holds a
value that agrees ("significant" with P = .05, which may be a rounded .046) it is
rounding-only, ``info``. Anything larger is substantive (``warning`` or ``error``).
:func:`grade_rounding_only` applies the same rule to the arithmetic checks' percentage
findings (a percentage one unit off in its last digit becomes ``info``).

Modules
-------
* :mod:`~captemstats.audit.core` — :class:`Discrepancy`, :class:`AuditResult`, the checks'
  contexts (:class:`InferenceContext`) and registries (:data:`CHECKS`);
* :mod:`~captemstats.audit.numbers` — rounding, percentages, P values, Wald P;
* :mod:`~captemstats.audit.table1`, :mod:`~captemstats.audit.table1_continuous`,
  :mod:`~captemstats.audit.table2`, :mod:`~captemstats.audit.percentages`,
  :mod:`~captemstats.audit.table3`, :mod:`~captemstats.audit.table4`,
  :mod:`~captemstats.audit.text`, :mod:`~captemstats.audit.survival` — the arithmetic checks;
* :mod:`~captemstats.audit.inference_significance`,
  :mod:`~captemstats.audit.inference_events`, :mod:`~captemstats.audit.inference_medians` —
  the inference checks;
* :mod:`~captemstats.audit.run` — :func:`audit_published`, :func:`run_inference_checks`,
  :func:`grade_rounding_only`;
* :mod:`~captemstats.audit.resolve` — :func:`resolve`, :class:`ResolvedValues`,
  :func:`consistency_problems`.
"""

from __future__ import annotations

from captemstats.audit.core import (
    CHECKS,
    AuditResult,
    Discrepancy,
    InferenceContext,
    Severity,
)
from captemstats.audit.inference_events import (
    COX_TABLE1_SPLITS,
    ci_width_tier,
    max_events,
    max_exposed_variance,
)
from captemstats.audit.inference_medians import COX_KM_GROUPINGS, mixture_median
from captemstats.audit.inference_significance import significance_severity
from captemstats.audit.numbers import (
    ALPHA,
    p_print_interval,
    pct_matches,
    rounded_pct_text,
    ulp,
    wald_p_range,
)
from captemstats.audit.resolve import ResolvedValues, consistency_problems, resolve
from captemstats.audit.run import audit_published, grade_rounding_only, run_inference_checks

__all__ = [
    "ALPHA",
    "CHECKS",
    "COX_KM_GROUPINGS",
    "COX_TABLE1_SPLITS",
    "AuditResult",
    "Discrepancy",
    "InferenceContext",
    "ResolvedValues",
    "Severity",
    "audit_published",
    "ci_width_tier",
    "consistency_problems",
    "grade_rounding_only",
    "max_events",
    "max_exposed_variance",
    "mixture_median",
    "p_print_interval",
    "pct_matches",
    "resolve",
    "rounded_pct_text",
    "run_inference_checks",
    "significance_severity",
    "ulp",
    "wald_p_range",
]
