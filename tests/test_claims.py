"""The decision rules behind the manuscript's claims (``captemstats.claims``), table-driven on
synthetic values, with hypothesis for the invariants; the wiring to a real analysis is in
``test_claims_registry.py``.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captemstats.claims import (
    Claim,
    Finding,
    GroupValue,
    Wording,
    compare_values,
    decide,
    make_claim,
)
from captemstats.claims_summary import JointItem, JointWording, SummaryWording, joint, summarize


def med(group: str, value: float | None, followed_to: float | None = None) -> GroupValue:
    """A median: ``None`` = not reached (curve followed to ``followed_to``)."""
    if value is None:
        return GroupValue(group, None, reached=False, followed_to=followed_to)
    return GroupValue(group, value)


# -- compare_values -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (med("1", 16.1), med("2", 7.9), 1),
        (med("1", 7.9), med("2", 16.1), -1),
        (med("1", 10.0), med("2", 10.0), None),  # a tie is no direction
        # not reached, followed beyond the other median: survival still > 1/2 there
        (med("1", None, followed_to=60.0), med("2", 24.0), 1),
        (med("1", None, followed_to=24.0), med("2", 24.0), 1),
        # not reached, but the curve stops before the other median: unknown
        (med("1", None, followed_to=12.0), med("2", 24.0), None),
        (med("1", None, followed_to=None), med("2", 24.0), None),
        (med("1", 24.0), med("2", None, followed_to=60.0), -1),
        (med("1", 24.0), med("2", None, followed_to=12.0), None),
        (med("1", None, followed_to=60.0), med("2", None, followed_to=80.0), None),
    ],
)
def test_compare_values(a: GroupValue, b: GroupValue, expected: int | None) -> None:
    assert compare_values(a, b) == expected


def test_a_reached_value_must_be_finite() -> None:
    with pytest.raises(ValueError, match="group '1'"):
        GroupValue("1", math.nan)
    with pytest.raises(ValueError, match="finite"):
        GroupValue("1", None)


# -- decide ---------------------------------------------------------------------------------
FIRST_LONGEST = [med("1", 16.1), med("2", 7.9), med("3+", 9.6)]
FIRST_SHORTEST = [med("1", 5.0), med("2", 7.9), med("3+", 9.6)]
FIRST_MIDDLE = [med("1", 8.0), med("2", 7.9), med("3+", 9.6)]
FIRST_TIED = [med("1", 9.6), med("2", 7.9), med("3+", 9.6)]
FIRST_NR = [med("1", None, followed_to=120.0), med("2", 47.2), med("3+", 24.1)]
FIRST_NR_SHORT = [med("1", None, followed_to=30.0), med("2", 47.2), med("3+", 24.1)]
ALL_NR = [med("1", None, followed_to=120.0), med("2", None, followed_to=90.0)]


@pytest.mark.parametrize(
    ("p", "values", "reference", "expected"),
    [
        (0.001, FIRST_LONGEST, "1", Finding.HIGHER),
        (0.001, FIRST_SHORTEST, "1", Finding.LOWER),  # reversed direction
        (0.001, FIRST_MIDDLE, "1", Finding.DIFFERENT),  # no uniform direction
        (0.001, FIRST_TIED, "1", Finding.DIFFERENT),  # a tie with one line
        (0.001, FIRST_NR, "1", Finding.HIGHER),  # not reached, followed past the others
        (0.001, FIRST_NR_SHORT, "1", Finding.DIFFERENT),  # not reached, stops before 47.2
        (0.001, ALL_NR, "1", Finding.DIFFERENT),
        (0.001, FIRST_LONGEST, "3+", Finding.DIFFERENT),
        (0.001, FIRST_SHORTEST, "3+", Finding.HIGHER),
        (0.001, FIRST_LONGEST, None, Finding.DIFFERENT),  # no reference: never a direction
        (0.0499, FIRST_LONGEST, "1", Finding.HIGHER),
        (0.05, FIRST_LONGEST, "1", Finding.NO_DIFFERENCE),  # P = alpha is not significant
        (0.52, FIRST_LONGEST, "1", Finding.NO_DIFFERENCE),
        (0.52, FIRST_SHORTEST, "1", Finding.NO_DIFFERENCE),
        (1.0, FIRST_LONGEST, None, Finding.NO_DIFFERENCE),
        (None, FIRST_LONGEST, "1", Finding.NOT_TESTED),
        (math.nan, FIRST_LONGEST, "1", Finding.NOT_TESTED),
    ],
)
def test_decide(
    p: float | None, values: list[GroupValue], reference: str | None, expected: Finding
) -> None:
    assert decide(p, values, reference=reference) is expected


@pytest.mark.parametrize(
    ("alpha", "expected"), [(0.01, Finding.NO_DIFFERENCE), (0.1, Finding.HIGHER)]
)
def test_decide_uses_the_documents_alpha(alpha: float, expected: Finding) -> None:
    assert decide(0.03, FIRST_LONGEST, reference="1", alpha=alpha) is expected


@pytest.mark.parametrize("alpha", [0.0, 1.0, -0.1, 5.0])
def test_decide_refuses_an_impossible_alpha(alpha: float) -> None:
    with pytest.raises(ValueError, match="alpha"):
        decide(0.01, FIRST_LONGEST, reference="1", alpha=alpha)


def test_decide_names_a_missing_reference() -> None:
    with pytest.raises(KeyError, match="'4'"):
        decide(0.01, FIRST_LONGEST, reference="4")


values_st = st.lists(
    st.floats(min_value=0.1, max_value=200, allow_nan=False), min_size=2, max_size=5
)


@settings(derandomize=True, max_examples=200)
@given(p=st.floats(min_value=0, max_value=1), xs=values_st)
def test_invariants_of_decide(p: float, xs: list[float]) -> None:
    values = [GroupValue(str(i), x) for i, x in enumerate(xs)]
    finding = decide(p, values, reference="0")
    # significance follows P alone
    assert finding.significant == (p < 0.05)
    # a direction holds against every other group
    if finding is Finding.HIGHER:
        assert all(xs[0] > x for x in xs[1:])
    if finding is Finding.LOWER:
        assert all(xs[0] < x for x in xs[1:])
    # mirroring the values reverses the direction
    mirrored = decide(
        p, [GroupValue(v.group, 1000 - xs[i]) for i, v in enumerate(values)], reference="0"
    )
    swap = {Finding.HIGHER: Finding.LOWER, Finding.LOWER: Finding.HIGHER}
    assert mirrored is swap.get(finding, finding)


# -- wording --------------------------------------------------------------------------------
WORDS = Wording(
    higher="{subject} was longer in first line ({p})",
    lower="{subject} was shorter in first line ({p})",
    different="{subject} differed by line ({p})",
    no_difference="{subject} did not differ by line ({p})",
    not_tested="{subject} was {values}",
)


@pytest.mark.parametrize(
    ("p", "values", "text"),
    [
        (0.0004, FIRST_LONGEST, "PFS was longer in first line (P < .001)"),
        (0.0004, FIRST_SHORTEST, "PFS was shorter in first line (P < .001)"),
        (0.0004, FIRST_MIDDLE, "PFS differed by line (P < .001)"),
        (0.52, FIRST_LONGEST, "PFS did not differ by line (P = .52)"),
        (None, FIRST_LONGEST, "PFS was 16.1, 7.9 and 9.6"),
    ],
)
def test_make_claim_fills_the_wording_of_its_finding(
    p: float | None, values: list[GroupValue], text: str
) -> None:
    from captemstats.prose import p_phrase

    fields = {"p": p_phrase(p), "values": "16.1, 7.9 and 9.6"}
    claim = make_claim("PFS", p, WORDS, fields, values=values, reference="1")
    assert str(claim) == text
    assert claim.sentence == text  # already capitalised
    assert claim.p_value == p


def test_a_wording_without_a_direction_states_the_difference_only() -> None:
    neutral = Wording(no_difference="no", different="differed", not_tested="untested")
    claim = make_claim("PFS", 0.001, neutral, {}, values=FIRST_LONGEST, reference="1")
    assert claim.finding is Finding.HIGHER
    assert str(claim) == "differed"


def test_an_unknown_placeholder_is_named() -> None:
    words = Wording(no_difference="{subject} {nope}", different="d", not_tested="n")
    with pytest.raises(KeyError, match=r"\['nope'\].*available: \['p', 'subject'\]"):
        make_claim("PFS", 0.5, words, {"p": "P = .50"})


# -- summaries (toxicity by line) ---------------------------------------------------------
def part(subject: str, p: float | None) -> Claim:
    return make_claim(subject, p, WORDS, {"p": "", "values": ""})


@pytest.mark.parametrize(
    ("ps", "finding", "text"),
    [
        (
            (0.30, 0.15, 0.36),
            Finding.NO_DIFFERENCE,
            "toxicity did not differ by line: a (P = .30), b (P = .15), and c (P = .36)",
        ),
        (
            (0.30, 0.0004, 0.36),
            Finding.DIFFERENT,
            "b (P < .001) differed by line, whereas a (P = .30) and c (P = .36) did not",
        ),
        (
            (0.01, 0.0004, 0.02),
            Finding.DIFFERENT,
            "a (P = .01), b (P < .001), and c (P = .02) differed by line",
        ),
        (
            (0.30, None, 0.36),
            Finding.NOT_TESTED,
            "toxicity by line: a (P = .30), b (P not computed), and c (P = .36)",
        ),
        (
            (0.01, None, 0.36),
            Finding.DIFFERENT,
            "a (P = .01) differed by line, whereas c (P = .36) did not",
        ),
    ],
)
def test_summaries(ps: tuple[float | None, ...], finding: Finding, text: str) -> None:
    parts = [part(s, p) for s, p in zip("abc", ps, strict=True)]
    claim = summarize("toxicity", parts, SummaryWording())
    assert claim.finding is finding
    assert str(claim) == text
    finite = [p for p in ps if p is not None]
    assert claim.p_value == min(finite)


# -- joint sentences (PFS, OS and ORR by line) --------------------------------------------
def endpoint(subject: str, p: float | None, values: list[GroupValue]) -> JointItem:
    claim = make_claim(subject, p, WORDS, {"p": "", "values": ""}, values=values, reference="1")
    return JointItem(claim, subject, f"longer {subject}", f"shorter {subject}")


LEAD, TAIL = "first-line treatment was associated with ", " than later-line treatment"


@pytest.mark.parametrize(
    ("spec", "finding", "text"),
    [
        (
            [("PFS", 0.0004, FIRST_LONGEST), ("OS", 0.003, FIRST_NR)],
            Finding.DIFFERENT,
            f"{LEAD}longer PFS (P < .001) and longer OS (P = .003){TAIL}",
        ),
        (
            [("PFS", 0.52, FIRST_LONGEST), ("OS", 0.35, FIRST_SHORTEST)],
            Finding.NO_DIFFERENCE,
            "PFS (P = .52) and OS (P = .35) did not differ by line",
        ),
        (
            [
                ("PFS", 0.0004, FIRST_SHORTEST),
                ("OS", 0.2, FIRST_LONGEST),
                ("ORR", 0.01, FIRST_MIDDLE),
            ],
            Finding.DIFFERENT,
            f"{LEAD}shorter PFS (P < .001){TAIL}; ORR (P = .01) differed by line; "
            "OS (P = .20) did not differ by line",
        ),
        (
            [("PFS", None, FIRST_LONGEST), ("OS", 0.2, FIRST_LONGEST)],
            Finding.NOT_TESTED,
            "OS (P = .20) did not differ by line; PFS (P not computed) could not be tested by line",
        ),
    ],
)
def test_joint(
    spec: list[tuple[str, float | None, list[GroupValue]]], finding: Finding, text: str
) -> None:
    claim = joint([endpoint(*s) for s in spec])
    assert claim.finding is finding
    assert str(claim) == text
    assert len(claim.parts) == len(spec)


def test_joint_keeps_the_documents_words() -> None:
    words = JointWording(directional="in first line: {items}", separator=". ")
    items = [endpoint("PFS", 0.0004, FIRST_LONGEST), endpoint("OS", 0.4, FIRST_LONGEST)]
    assert (
        str(joint(items, words))
        == "in first line: longer PFS (P < .001). OS (P = .40) did not differ by line"
    )
