"""Units of the journal typesetting: where KM legends go, footnote wording, median lists.

The rendered documents are checked in tests/test_typesetting.py (slow); these are the rules
those documents rely on, each small enough to state exactly.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captemstats.figures._placement import Step, is_free, overlaps, segment_crosses
from captemstats.formatting import format_medians
from captemstats.tables._common import method_text, plain_method

# -- a survival step curve crossing a box -------------------------------------------------------

CURVE = Step(np.array([0.0, 2.0, 5.0, 9.0]), np.array([1.0, 0.8, 0.5, 0.3]))


@pytest.mark.parametrize(
    ("box", "crosses"),
    [
        ((6.0, 0.6, 8.0, 1.0), False),  # above the curve after its drop to 0.5
        ((6.0, 0.4, 8.0, 0.6), True),  # the flat step at 0.5
        ((4.0, 0.55, 6.0, 0.75), True),  # the vertical drop 0.8 -> 0.5 at t = 5
        ((9.5, 0.0, 12.0, 1.0), False),  # right of the last time drawn
        ((0.0, 0.0, 1.0, 0.9), False),  # under S = 1 before the first event
        ((8.0, 0.0, 9.5, 0.35), True),  # the last drop to 0.3 at t = 9
    ],
)
def test_step_crosses_box(box: tuple[float, float, float, float], crosses: bool) -> None:
    assert CURVE.crosses(box) is crosses


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    drops=st.lists(st.floats(0.01, 0.3), min_size=1, max_size=6),
    gaps=st.lists(st.floats(0.1, 3.0), min_size=6, max_size=6),
    x0=st.floats(0.0, 12.0),
    width=st.floats(0.05, 6.0),
    y0=st.floats(0.0, 1.0),
    height=st.floats(0.01, 0.5),
)
def test_step_crosses_agrees_with_a_dense_walk_along_the_curve(
    drops: list[float],
    gaps: list[float],
    x0: float,
    width: float,
    y0: float,
    height: float,
) -> None:
    """The interval rule equals tracing the drawn polyline (flats and drops) point by point."""
    x = np.cumsum([0.0, *gaps[: len(drops)]])
    y = np.maximum(1.0 - np.cumsum([0.0, *drops]), 0.0)
    curve = Step(x, y)
    box = (x0, y0, x0 + width, y0 + height)
    # the drawn line: each flat segment, then the vertical drop at the next time
    points = []
    for i in range(len(x) - 1):
        points += [(t, y[i]) for t in np.linspace(x[i], x[i + 1], 400)]
        points += [(x[i + 1], v) for v in np.linspace(y[i], y[i + 1], 400)]
    hit = any(box[0] <= px <= box[2] and box[1] <= py <= box[3] for px, py in points)
    if hit:
        assert curve.crosses(box)
    # a miss by the sampled trace may still graze the box within the sampling step
    elif curve.crosses(box):
        near = any(
            box[0] - 0.02 <= px <= box[2] + 0.02 and box[1] - 0.01 <= py <= box[3] + 0.01
            for px, py in points
        )
        assert near


@pytest.mark.parametrize(
    ("seg", "box", "meets"),
    [
        ((3.0, 0.0, 3.0, 0.5), (2.0, 0.2, 4.0, 0.3), True),  # a median guide through the box
        ((3.0, 0.0, 3.0, 0.5), (2.0, 0.6, 4.0, 0.9), False),  # the guide stops at S = 0.5
        ((0.0, 0.5, 8.0, 0.5), (9.0, 0.4, 10.0, 0.6), False),  # the horizontal one ends at 8
    ],
)
def test_segment_crosses(
    seg: tuple[float, float, float, float], box: tuple[float, float, float, float], meets: bool
) -> None:
    assert segment_crosses(seg, box) is meets


def test_is_free_needs_no_curve_guide_or_placed_box() -> None:
    box = (6.0, 0.6, 8.0, 1.0)
    assert is_free(box, [CURVE], [], [])
    assert not is_free(box, [CURVE], [(7.0, 0.0, 7.0, 0.7)], [])
    assert not is_free(box, [CURVE], [], [(7.5, 0.9, 9.0, 1.1)])
    assert overlaps((0, 0, 1, 1), (1, 1, 2, 2))


# -- footnote wording: methods, not software ---------------------------------------------------


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("Greenwood variance of the cumulative hazard (quantile.survfit)", None),
        ("median follow-up (R survival::survfit(Surv(time, 1 - event)))", None),
        ("Wald (conf.type='log')", None),
        ("Fisher's exact test (Monte Carlo P value)", "Fisher's exact test (Monte Carlo P value)"),
        ("hypergeometric (Mantel-Haenszel)", "hypergeometric (Mantel-Haenszel)"),
    ],
)
def test_plain_method_drops_parentheses_that_name_code(text: str, plain: str | None) -> None:
    out = plain_method(text)
    if plain is None:
        assert "(" not in out and out == text.split(" (")[0]
    else:
        assert out == plain


def test_method_text_never_prints_the_software_equivalent() -> None:
    record = SimpleNamespace(
        test="log-rank test",
        conf_level=None,
        ci_method=None,
        ci_transform=None,
        ties=None,
        variance="hypergeometric (Mantel-Haenszel)",
        continuity_correction=False,
        software_equivalent="R survival::survdiff(rho = 0)",
    )
    text = method_text(record)
    assert text == "Log-rank test; hypergeometric (Mantel-Haenszel) variance."
    assert "survdiff" not in text and "R " not in text


# -- medians in prose ---------------------------------------------------------------------------


def _m(estimate: float | None) -> SimpleNamespace:
    return SimpleNamespace(estimate=estimate, reached=estimate is not None, lower=None, upper=None)


@pytest.mark.parametrize(
    ("estimates", "text"),
    [
        ([16.1, 7.9, 9.6], "16.1, 7.9 and 9.6 months"),
        ([32.5, 62.6, None], "32.5 months, 62.6 months and not reached"),
        ([None, 47.2], "not reached and 47.2 months"),
        ([None], "not reached"),
        ([12.0], "12.0 months"),
    ],
)
def test_format_medians_never_says_not_reached_months(
    estimates: list[float | None], text: str
) -> None:
    out = format_medians([_m(e) for e in estimates])
    assert out == text
    assert "not reached months" not in out


def test_plain_method_keeps_formulas() -> None:
    assert plain_method("Wald, exp(coef ± z·se)") == "Wald, exp(coef ± z·se)"
