"""What the manuscript may say about a comparison: the decision rules behind every sentence
that states a direction, a difference or its absence.

A sentence such as "first-line CAPTEM was associated with longer PFS" is a claim about a
result; a rerun on another registry must not be able to keep the sentence while its own P
value or medians deny it. So the ``.qmd`` never types such a sentence: it asks
:class:`captemstats.manuscript_claims.ManuscriptClaims` for it, and the wording is chosen here
from the result by one rule, applied to every claim (``alpha`` is the document's significance
level, .05 unless told):

* **NOT_TESTED** — no P value (no test could be computed, or it is not finite): neutral
  wording only, never "differed" or "did not differ".
* **NO_DIFFERENCE** — ``P >= alpha``: "did not differ". A non-significant test never gets a
  direction, whatever the point estimates say.
* **HIGHER** / **LOWER** — ``P < alpha`` *and* the reference group's value is above (below)
  the value of *every* other group (:func:`compare_values`); a tie or a value that cannot be
  ordered against one group is not a direction.
* **DIFFERENT** — ``P < alpha`` without such a uniform direction (or without a reference
  group, as for a multi-level Table 1 row): "differed", with no direction.

Values are ordered by :func:`compare_values`: two finite values by their sign of difference;
a Kaplan–Meier median the curve never reaches is above a reached median ``m`` of another group
only when the curve was followed to at least ``m`` (its survival is then still above one half
at ``m``, where the other curve has fallen to it); two medians not reached, or a not-reached
median whose curve stops before ``m``, cannot be ordered.

The decision is pure and tested table-driven (``tests/test_claims.py``); the words are the
document's (:class:`Wording`), filled from named placeholders.
"""

from __future__ import annotations

import math
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Claim",
    "Finding",
    "GroupValue",
    "Wording",
    "compare_values",
    "decide",
    "make_claim",
]


class Finding(StrEnum):
    """What a result allows the text to say (module docstring: the rule)."""

    HIGHER = "higher"
    LOWER = "lower"
    DIFFERENT = "different"
    NO_DIFFERENCE = "no_difference"
    NOT_TESTED = "not_tested"

    @property
    def significant(self) -> bool:
        """True for the findings that state a difference (P < alpha)."""
        return self in (Finding.HIGHER, Finding.LOWER, Finding.DIFFERENT)

    @property
    def directional(self) -> bool:
        return self in (Finding.HIGHER, Finding.LOWER)


@dataclass(frozen=True)
class GroupValue:
    """One group's value in a comparison: a proportion, a hazard ratio, or a median.

    ``value`` is None for a median the curve never reaches (``reached=False``); then
    ``followed_to`` is the last time of the curve (how far the median is known to exceed).
    """

    group: str
    value: float | None
    reached: bool = True
    followed_to: float | None = None

    def __post_init__(self) -> None:
        if self.reached and (self.value is None or not math.isfinite(self.value)):
            raise ValueError(f"group {self.group!r}: a reached value must be finite")


def compare_values(a: GroupValue, b: GroupValue) -> int | None:
    """+1 when ``a`` is above ``b``, -1 below, None when they are equal or cannot be ordered
    (module docstring: not-reached medians).

    Example
    -------
    >>> not_reached = GroupValue("1", None, reached=False, followed_to=60.0)
    >>> compare_values(not_reached, GroupValue("2", 20.0))
    1
    """
    if a.reached and b.reached:
        assert a.value is not None and b.value is not None
        if a.value == b.value:
            return None
        return 1 if a.value > b.value else -1
    if a.reached == b.reached:  # neither reached: both medians unknown
        return None
    if not a.reached:
        assert b.value is not None
        return 1 if a.followed_to is not None and b.value <= a.followed_to else None
    below = compare_values(b, a)
    return None if below is None else -below


def _finite_p(p_value: float | None) -> float | None:
    if p_value is None:
        return None
    p = float(p_value)
    return p if math.isfinite(p) else None


def decide(
    p_value: float | None,
    values: Sequence[GroupValue] = (),
    *,
    reference: str | None = None,
    alpha: float = 0.05,
) -> Finding:
    """The finding a test and its group values allow (module docstring: the rule).

    Parameters
    ----------
    p_value
        The test's P value (None or NaN: not tested).
    values
        Every group's value; only used for a direction.
    reference
        The group a direction is stated for (e.g. ``"1"``, first line); None: no direction
        is ever stated (multi-level comparisons).
    alpha
        Significance level: ``P < alpha`` is a difference.

    Returns
    -------
    Finding

    Example
    -------
    >>> decide(0.01, [GroupValue("1", 16.1), GroupValue("2", 7.9)], reference="1")
    <Finding.HIGHER: 'higher'>
    >>> decide(0.52, [GroupValue("1", 16.1), GroupValue("2", 7.9)], reference="1")
    <Finding.NO_DIFFERENCE: 'no_difference'>
    """
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    p = _finite_p(p_value)
    if p is None:
        return Finding.NOT_TESTED
    if p >= alpha:
        return Finding.NO_DIFFERENCE
    if reference is None:
        return Finding.DIFFERENT
    by_group = {v.group: v for v in values}
    if reference not in by_group:
        raise KeyError(f"reference group {reference!r} is not among {sorted(by_group)}")
    others = [v for v in values if v.group != reference]
    signs = {compare_values(by_group[reference], o) for o in others}
    if signs == {1}:
        return Finding.HIGHER
    if signs == {-1}:
        return Finding.LOWER
    return Finding.DIFFERENT


@dataclass(frozen=True)
class Wording:
    """The document's words for each finding: ``str.format`` templates with named
    placeholders (which ones a claim fills is listed by the method that makes it, e.g.
    ``{subject}``, ``{p}``, ``{values}``).

    ``higher``/``lower`` default to ``different``: a claim without words for a direction
    states the difference without one.
    """

    no_difference: str
    different: str
    not_tested: str
    higher: str | None = None
    lower: str | None = None

    def template(self, finding: Finding) -> str:
        chosen = {
            Finding.HIGHER: self.higher,
            Finding.LOWER: self.lower,
            Finding.DIFFERENT: self.different,
            Finding.NO_DIFFERENCE: self.no_difference,
            Finding.NOT_TESTED: self.not_tested,
        }[finding]
        return self.different if chosen is None else chosen

    def fill(self, finding: Finding, fields: Mapping[str, str]) -> str:
        """The template of ``finding`` with ``fields`` filled in; an unknown placeholder is
        an error naming it and the ones available."""
        template = self.template(finding)
        names = {name for _, name, _, _ in string.Formatter().parse(template) if name}
        missing = sorted(names - set(fields))
        if missing:
            raise KeyError(
                f"wording {template!r} ({finding}) uses {missing}; available: {sorted(fields)}"
            )
        return template.format_map(fields)


@dataclass(frozen=True)
class Claim:
    """A sentence (or clause) of the manuscript with the result it was decided from.

    ``str(claim)`` is the text, so the ``.qmd`` prints it inline.
    """

    subject: str
    finding: Finding
    p_value: float | None
    alpha: float
    text: str
    values: tuple[GroupValue, ...] = ()
    reference: str | None = None
    parts: tuple[Claim, ...] = field(default=())

    def __str__(self) -> str:
        return self.text

    @property
    def sentence(self) -> str:
        """The text with a capital first letter (for a claim opening a sentence)."""
        return self.text[:1].upper() + self.text[1:]


def make_claim(
    subject: str,
    p_value: float | None,
    wording: Wording,
    fields: Mapping[str, str],
    *,
    values: Sequence[GroupValue] = (),
    reference: str | None = None,
    alpha: float = 0.05,
) -> Claim:
    """Decide the finding (:func:`decide`) and fill its wording.

    Parameters
    ----------
    subject
        What the claim is about ("median PFS"); also the ``{subject}`` placeholder.
    p_value, values, reference, alpha
        As :func:`decide`.
    wording
        The document's words for each finding.
    fields
        Placeholder values besides ``subject`` (``p``, ``values``, ...).

    Returns
    -------
    Claim

    Example
    -------
    >>> w = Wording(no_difference="{subject} did not differ ({p})",
    ...             different="{subject} differed ({p})", not_tested="{subject}: no test")
    >>> str(make_claim("grade", 0.69, w, {"p": "P = .69"}))
    'grade did not differ (P = .69)'
    """
    finding = decide(p_value, values, reference=reference, alpha=alpha)
    text = wording.fill(finding, {"subject": subject, **fields})
    return Claim(
        subject=subject,
        finding=finding,
        p_value=_finite_p(p_value),
        alpha=alpha,
        text=text,
        values=tuple(values),
        reference=reference,
    )
