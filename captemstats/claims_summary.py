"""Claims about several comparisons at once, built from the single claims of
:mod:`captemstats.claims` without deciding anything again.

* :func:`summarize` — one subject over several items ("toxicity did not differ by line" only
  when *every* item has P >= alpha; otherwise the items that differ are named);
* :func:`joint` — several endpoints in one sentence ("first-line treatment was associated with
  longer median PFS (P < .001) and a higher ORR (P < .001) than later-line treatment; median
  OS (P = .21) did not differ by line"): each item goes to the clause of its own finding, so a
  direction is only ever stated for an item whose claim has it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from captemstats.claims import Claim, Finding
from captemstats.prose import join_words, p_phrase

__all__ = ["JointItem", "JointWording", "SummaryWording", "joint", "summarize"]


@dataclass(frozen=True)
class SummaryWording:
    """Words for :func:`summarize`. Placeholders: ``{subject}``; ``{differed}`` and ``{same}``
    (the items with P < alpha and with P >= alpha, each with its P); ``{all}`` (every item
    with its P)."""

    none_differ: str = "{subject} did not differ by line: {all}"
    some_differ: str = "{differed} differed by line, whereas {same} did not"
    all_differ: str = "{differed} differed by line"
    not_tested: str = "{subject} by line: {all}"


def _items(claims: Sequence[Claim]) -> str:
    return join_words([f"{c.subject} ({p_phrase(c.p_value)})" for c in claims])


def summarize(
    subject: str, parts: Sequence[Claim], wording: SummaryWording, *, alpha: float = 0.05
) -> Claim:
    """One claim about several (``parts``): NO_DIFFERENCE only when every part is; DIFFERENT
    when any part is significant; NOT_TESTED otherwise. Its ``p_value`` is the smallest of
    the parts' (below alpha exactly when some part differs).

    Example
    -------
    >>> from captemstats.claims import Wording, make_claim
    >>> w = Wording(no_difference="", different="", not_tested="")
    >>> parts = [make_claim("dose reduction", 0.0004, w, {}), make_claim("AEs", 0.3, w, {})]
    >>> str(summarize("toxicity", parts, SummaryWording()))
    'dose reduction (P < .001) differed by line, whereas AEs (P = .30) did not'
    """
    differed = [c for c in parts if c.finding.significant]
    same = [c for c in parts if c.finding is Finding.NO_DIFFERENCE]
    if differed:
        finding = Finding.DIFFERENT
        template = wording.some_differ if same else wording.all_differ
    elif parts and len(same) == len(parts):
        finding, template = Finding.NO_DIFFERENCE, wording.none_differ
    else:
        finding, template = Finding.NOT_TESTED, wording.not_tested
    fields = {
        "subject": subject,
        "differed": _items(differed),
        "same": _items(same),
        "all": _items(parts),
    }
    ps = [c.p_value for c in parts if c.p_value is not None]
    return Claim(
        subject=subject,
        finding=finding,
        p_value=min(ps) if ps else None,
        alpha=alpha,
        text=template.format_map(fields),
        parts=tuple(parts),
    )


@dataclass(frozen=True)
class JointItem:
    """One endpoint of :func:`joint`: its claim and the words for it in each clause
    (``higher``/``lower``: "longer median PFS"; ``noun``: "median PFS")."""

    claim: Claim
    noun: str
    higher: str
    lower: str


@dataclass(frozen=True)
class JointWording:
    """The clauses of :func:`joint`; ``{items}`` is the clause's items, each with its P."""

    directional: str = "first-line treatment was associated with {items} than later-line treatment"
    different: str = "{items} differed by line"
    no_difference: str = "{items} did not differ by line"
    not_tested: str = "{items} could not be tested by line"
    separator: str = "; "


def joint(items: Sequence[JointItem], wording: JointWording | None = None) -> Claim:
    """Several endpoints in one sentence, each in the clause of its own claim's finding
    (clauses in the order directional, different, no difference, not tested; empty ones
    left out). The joint claim is DIFFERENT when any item is significant, NO_DIFFERENCE when
    every item is, NOT_TESTED otherwise; its ``p_value`` is the smallest item P.

    Example
    -------
    >>> from captemstats.claims import GroupValue, Wording, make_claim
    >>> w = Wording(no_difference="", different="", not_tested="")
    >>> v = [GroupValue("1", 16.1), GroupValue("2", 7.9)]
    >>> pfs = make_claim("PFS", 0.0004, w, {}, values=v, reference="1")
    >>> os = make_claim("OS", 0.21, w, {}, values=v, reference="1")
    >>> items = [JointItem(pfs, "PFS", "longer PFS", "shorter PFS"), JointItem(os, "OS", "", "")]
    >>> for clause in str(joint(items)).split("; "):
    ...     print(clause)
    first-line treatment was associated with longer PFS (P < .001) than later-line treatment
    OS (P = .21) did not differ by line
    """
    w = wording or JointWording()

    def phrase(item: JointItem) -> str:
        c = item.claim
        words = {Finding.HIGHER: item.higher, Finding.LOWER: item.lower}.get(c.finding, item.noun)
        return f"{words} ({p_phrase(c.p_value)})"

    clauses = [
        (w.directional, [i for i in items if i.claim.finding.directional]),
        (w.different, [i for i in items if i.claim.finding is Finding.DIFFERENT]),
        (w.no_difference, [i for i in items if i.claim.finding is Finding.NO_DIFFERENCE]),
        (w.not_tested, [i for i in items if i.claim.finding is Finding.NOT_TESTED]),
    ]
    text = w.separator.join(
        template.format(items=join_words([phrase(i) for i in group]))
        for template, group in clauses
        if group
    )
    parts = tuple(i.claim for i in items)
    if any(c.finding.significant for c in parts):
        finding = Finding.DIFFERENT
    elif parts and all(c.finding is Finding.NO_DIFFERENCE for c in parts):
        finding = Finding.NO_DIFFERENCE
    else:
        finding = Finding.NOT_TESTED
    ps = [c.p_value for c in parts if c.p_value is not None]
    return Claim(
        subject=join_words([i.noun for i in items]),
        finding=finding,
        p_value=min(ps) if ps else None,
        alpha=parts[0].alpha if parts else 0.05,
        text=text,
        parts=parts,
    )
