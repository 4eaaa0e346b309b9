"""Settings of the RECIST 1.1 engine (Eisenhauer et al., Eur J Cancer 2009;45:228–47).

Every window and threshold the guideline leaves to the protocol is a field of
:class:`RecistConfig`; the fixed definitions of the guideline (measurability, the number of
target lesions) are module constants.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

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
        max_nr_ne: at most this many NE assessments may lie between a CR/PR and the
            assessment confirming it (admiralonco ``derive_param_confirmed_bor(max_nr_ne=)``;
            its default is 1). None: any number (RECIST 1.1 §4.4.1 sets no limit).
        accept_sd: one SD assessment may lie between a PR and the CR/PR confirming it
            (admiralonco ``accept_sd = TRUE``); False: any SD breaks the confirmation.
        dcr_min_sd_weeks: for the disease control rate, SD (or non-CR/non-PD) counts only if
            an SD-or-better assessment lies at least this many weeks after treatment start
            (a DCR "at N weeks"; admiralonco ``derive_param_clinbenefit(ref_start_window=)``).
            None: DCR = CR + PR + SD of the best response (SD after ``sd_min_days``). Must be
            at least ``sd_min_days`` / 7.

    The method record of a result (:meth:`option_notes`) states every setting that differs
    from these defaults.
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
    max_nr_ne: int | None = None
    accept_sd: bool = False
    dcr_min_sd_weeks: float | None = None

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
        if self.max_nr_ne is not None and self.max_nr_ne < 0:
            problems.append(f"max_nr_ne must be None or >= 0, got {self.max_nr_ne}")
        weeks = self.dcr_min_sd_weeks
        if weeks is not None and not weeks * 7 >= self.sd_min_days:
            problems.append(
                f"dcr_min_sd_weeks must be >= sd_min_days / 7 = {self.sd_min_days / 7:g}, "
                f"got {weeks}"
            )
        if problems:
            raise ValueError("invalid RecistConfig: " + "; ".join(problems))

    @property
    def dcr_min_days(self) -> float:
        """Days after treatment start at which SD must be shown to count for the DCR.

        Returns
        -------
        float
            ``7 * dcr_min_sd_weeks``, or ``sd_min_days`` (the BOR's SD rule) when None.

        Examples
        --------
        >>> RecistConfig().dcr_min_days, RecistConfig(dcr_min_sd_weeks=24).dcr_min_days
        (42.0, 168.0)
        """
        if self.dcr_min_sd_weeks is None:
            return float(self.sd_min_days)
        return 7.0 * self.dcr_min_sd_weeks

    def option_notes(self) -> tuple[str, ...]:
        """One statement per setting that differs from its default, for the method record.

        The defaults (RECIST 1.1 as the study applied it) give no note, so a default analysis
        states nothing extra; each protocol choice made (e.g. admiralonco's conventions)
        is named with its value so that the manuscript can say it.

        Returns
        -------
        tuple of str
            In field order; empty for the default configuration.

        Examples
        --------
        >>> RecistConfig().option_notes()
        ()
        >>> RecistConfig(max_nr_ne=1, accept_sd=True).option_notes()[0]
        'confirmation of CR/PR allows at most 1 NE assessment(s) in between'
        """
        default = RecistConfig()
        notes = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value != getattr(default, f.name):
                notes.append(_NOTES.get(f.name, f"{f.name} = {{v}}").format(v=value))
        return tuple(notes)


#: How :meth:`RecistConfig.option_notes` words a non-default setting (``{v}``: its value).
_NOTES: dict[str, str] = {
    "confirmation_min_days": "CR/PR confirmed by a repeat assessment at least {v} days later",
    "sd_min_days": "SD requires an assessment at least {v} days after treatment start",
    "max_nr_ne": "confirmation of CR/PR allows at most {v} NE assessment(s) in between",
    "accept_sd": "one SD assessment accepted between a PR and its confirmation",
    "dcr_min_sd_weeks": "disease control requires SD for at least {v:g} weeks from start",
    "count_after_subsequent_therapy": "assessments after the start of the next therapy count",
}
