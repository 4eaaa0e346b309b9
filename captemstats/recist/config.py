"""Settings of the RECIST 1.1 engine (Eisenhauer et al., Eur J Cancer 2009;45:228–47).

Every window and threshold the guideline leaves to the protocol is a field of
:class:`RecistConfig`; the fixed definitions of the guideline (measurability, the number of
target lesions) are module constants.
"""

from __future__ import annotations

from dataclasses import dataclass

#: RECIST 1.1 §3.1.1: a non-nodal lesion is measurable at >= 10 mm longest diameter (CT).
MIN_MEASURABLE_MM: float = 10.0
#: RECIST 1.1 §3.1.1: a lymph node is measurable (pathological) at >= 15 mm short axis.
MIN_MEASURABLE_NODE_MM: float = 15.0
#: RECIST 1.1 §4.3.1: a node < 10 mm short axis is normal (counts towards CR).
NODE_NORMAL_MM: float = 10.0
#: RECIST 1.1 §3.2: at most 5 target lesions in total ...
MAX_TARGETS: int = 5
#: ... and at most 2 per organ.
MAX_TARGETS_PER_ORGAN: int = 2
#: Comparisons of percentages allow this much floating-point slack, so that e.g. exactly -30%
#: (35 mm vs 50 mm) is PR and exactly +20% is PD as the guideline intends.
EPS: float = 1e-9


@dataclass(frozen=True, slots=True)
class RecistConfig:
    """Thresholds and windows of the RECIST 1.1 engine.

    Defaults follow RECIST 1.1 (§4.3.1 thresholds, §4.4 confirmation and SD duration) and the
    study's rule that patients who received only one course are not evaluable for response
    (Table 2 footnote of the CAPTEM paper).

    Attributes:
        pr_threshold: relative change of the target sum from baseline at or below which the
            target response is PR (§4.3.1: at least a 30% decrease).
        pd_threshold: relative increase over the nadir at or above which the target response is
            PD (§4.3.1: at least 20%) ...
        pd_min_abs_mm: ... provided the absolute increase is at least this many mm (§4.3.1).
        too_small_mm: size counted for a target recorded as too small to measure (Appendix I).
        confirmation_min_days: CR/PR must be repeated at least this long after first shown to
            be confirmed (§4.4.1 / Table 3: 4 weeks).
        sd_min_days: SD must be shown at least this long after treatment start (§4.4.1).
        min_cycles_for_response: patients who received fewer CAPTEM cycles are not evaluable
            for response (the study excluded 4 patients given one course).
        baseline_window_days: the baseline may precede treatment start by at most this many
            days (§3.3 asks for 4 weeks; the registry allows 6 by default).
        count_after_subsequent_therapy: count assessments on or after the start of the next
            anticancer therapy (§4.4.1 says they must not count).
    """

    pr_threshold: float = -0.30
    pd_threshold: float = 0.20
    pd_min_abs_mm: float = 5.0
    too_small_mm: float = 5.0
    confirmation_min_days: int = 28
    sd_min_days: int = 42
    min_cycles_for_response: int = 2
    baseline_window_days: int = 42
    count_after_subsequent_therapy: bool = False

    def __post_init__(self) -> None:
        problems = []
        if not -1.0 < self.pr_threshold < 0.0:
            problems.append(f"pr_threshold must lie in (-1, 0), got {self.pr_threshold}")
        if self.pd_threshold <= 0.0:
            problems.append(f"pd_threshold must be > 0, got {self.pd_threshold}")
        for name in (
            "pd_min_abs_mm",
            "too_small_mm",
            "confirmation_min_days",
            "sd_min_days",
            "min_cycles_for_response",
            "baseline_window_days",
        ):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0, got {getattr(self, name)}")
        if problems:
            raise ValueError("invalid RecistConfig: " + "; ".join(problems))
