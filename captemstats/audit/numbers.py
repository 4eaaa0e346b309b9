"""The audit's arithmetic on printed numbers: rounding, percentages, P values, Wald P.

A printed number stands for every value that rounds to it (± half a unit in its last
digit); a P value also for every value that truncates to it (the paper truncates most P
values). Percentages are compared exactly (:class:`~decimal.Decimal`), P intervals as
:class:`~fractions.Fraction`. Nothing here records a finding.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal
from fractions import Fraction

from captemstats.published import parse_printed_number

#: The significance level of the Methods ("a P-value of less than .05").
ALPHA = Fraction(5, 100)
#: The 97.5 % normal quantile: a 95 % CI is ±1.96 SE (the inference checks).
Z_975 = 1.959963984540054
#: The same quantile as the Table 3 Wald checks have always used it (2 z = 3.92); kept
#: apart so that their findings stay exactly as they were.
Z_TABLE3 = 1.959964


# ------------------------------------------------------------------------- rounding
def round_decimal(x: Decimal, k: int, mode: str) -> Decimal:
    """``x`` rounded to ``k`` decimals by ``mode`` (a :mod:`decimal` rounding)."""
    return x.quantize(Decimal(1).scaleb(-k), rounding=mode)


def printed_decimals(printed: str) -> int:
    """The decimals of the first number in a print (``"0.80"`` -> 2; none -> 0)."""
    parsed = parse_printed_number(printed)
    return 0 if parsed is None else parsed[1]


def half_unit(decimals: int) -> float:
    """Half a unit in the last of ``decimals`` digits: the rounding of a print."""
    return 0.5 * 10.0**-decimals


def ulp(printed: str) -> float:
    """One unit in the last printed digit.

    Parameters
    ----------
    printed : str
        A printed number (``"0.80"``, ``"16.1"``, ``".003"``, ``"53"``).

    Returns
    -------
    float
        ``0.01``, ``0.1``, ``0.001``, ``1.0`` for the examples.
    """
    return 10.0 ** -printed_decimals(printed)


# ----------------------------------------------------------------------- percentages
def exact_pct(n: int, d: int) -> Decimal:
    """100 n / d, exactly (to :mod:`decimal`'s precision)."""
    return Decimal(100 * n) / Decimal(d)


def pct_matches(printed_value: float, decimals: int, n: int, d: int) -> bool:
    """True when ``printed_value`` equals round(100 n / d, decimals), half-up or half-even."""
    exact = exact_pct(n, d)
    target = Decimal(str(printed_value))
    return any(
        round_decimal(exact, decimals, m) == target for m in (ROUND_HALF_UP, ROUND_HALF_EVEN)
    )


def rounded_pct_text(n: int, d: int, decimals: int) -> str:
    """100 n / d rounded half-up to ``decimals`` (the paper's rounding), as printed: the
    percentage alone (``"41.2"``), unlike :func:`captemstats.formatting.format_pct`'s
    ``"n (p)"`` cell."""
    return str(round_decimal(exact_pct(n, d), decimals, ROUND_HALF_UP))


def counts_for_pct(printed_value: float, decimals: int, d: int) -> list[int]:
    """Whole counts n <= d whose percentage of d prints as ``printed_value``."""
    half = half_unit(decimals)
    lo = max(0, math.floor((printed_value - half) * d / 100))
    hi = min(d, math.ceil((printed_value + half) * d / 100))
    return [n for n in range(lo, hi + 1) if pct_matches(printed_value, decimals, n, d)]


# -------------------------------------------------------------------------- P values
def p_matches(printed: str, p: float) -> bool:
    """Printed P vs a recomputed one: rounding or truncation to the printed decimals."""
    text = printed.strip().lstrip("P=< ").strip()
    parsed = parse_printed_number(text)
    if parsed is None:
        return False
    value, k = parsed
    if printed.strip().startswith("<") or text.startswith("<"):
        return p < value
    exact = Decimal(repr(p))
    target = Decimal(str(value))
    return any(round_decimal(exact, k, m) == target for m in (ROUND_HALF_UP, ROUND_DOWN))


def p_interval_matches(printed: str, lo: float, hi: float) -> bool:
    """True if some P in [lo, hi] would be printed as ``printed``."""
    parsed = parse_printed_number(printed)
    if parsed is None:
        return False
    value, k = parsed
    if printed.strip().startswith("<"):
        return lo < value
    half = half_unit(k)
    # rounding: [v - half, v + half); truncation: [v, v + 2 half)
    return lo < value + 2 * half and hi >= value - half


def rounded_p_text(p: float, decimals: int) -> str:
    """A recomputed P as the paper would print it rounded: ``<.001`` or half-up to
    ``decimals`` without the leading zero."""
    if p < 0.001:
        return "<.001"
    return str(round_decimal(Decimal(repr(p)), decimals, ROUND_HALF_UP)).lstrip("0")


def chi2_p(table: Sequence[Sequence[int]]) -> float:
    """Pearson's chi-square P without continuity correction (empty rows left out)."""
    from scipy.stats import chi2_contingency

    rows = [r for r in table if sum(r) > 0]
    return float(chi2_contingency(rows, correction=False).pvalue)


def p_text(printed: str) -> str:
    """A printed P without ``P``, ``=`` and spaces (``"P = .42"`` -> ``".42"``)."""
    return printed.replace("P", "").replace("=", "").replace(" ", "")


def p_print_interval(printed: str) -> tuple[Fraction, Fraction]:
    """The P values a printed P stands for, as a half-open interval ``[low, high)``.

    Parameters
    ----------
    printed : str
        ``".05"``, ``"P = .42"``, ``"<.001"``.

    Returns
    -------
    tuple of Fraction
        A value ``v`` with unit ``u`` is its rounding ``[v − u/2, v + u/2)`` or its
        truncation ``[v, v + u)``: together ``[v − u/2, v + u)``. ``<x`` is ``[0, x)``.
    """
    text = p_text(printed)
    bound = text.startswith("<")
    digits = text.lstrip("<")
    value = Fraction(digits)
    if bound:
        return Fraction(0), value
    decimals = len(digits.split(".")[1]) if "." in digits else 0
    unit = Fraction(1, 10**decimals)
    return value - unit / 2, value + unit


def is_significant(printed: str) -> bool:
    """The Methods' rule on the printed value itself: P < .05 (``<x`` with x ≤ .05)."""
    text = p_text(printed)
    value, bound = Fraction(text.lstrip("<")), text.startswith("<")
    return value <= ALPHA if bound else value < ALPHA


# -------------------------------------------------------------------------- Wald P
def ci_parts(printed: str) -> tuple[str, str]:
    """The printed bounds of a CI (``"0.79-1.05"`` -> ``("0.79", "1.05")``)."""
    m = re.search(r"(\d*\.?\d+)\s*[-–]\s*(\d*\.?\d+)\s*$", printed)
    if m is None:
        raise ValueError(f"not a printed CI: {printed!r}")
    return m.group(1), m.group(2)


def wald_p(hr: float, lower: float, upper: float, z: float) -> float:
    """The two-sided Wald P of an HR with the CI ``lower``-``upper`` (SE = log(upper /
    lower) / 2z)."""
    from scipy.stats import norm

    se = math.log(upper / lower) / (2 * z)
    return float(2 * norm.sf(abs(math.log(hr)) / se))


def wald_p_corners(
    hrs: tuple[float, float],
    lowers: tuple[float, float],
    uppers: tuple[float, float],
    z: float,
) -> tuple[float, float]:
    """The smallest and largest Wald P over every corner of the HR and bounds' ranges."""
    ps = [wald_p(b, a, c, z) for b in hrs for a in lowers for c in uppers]
    return min(ps), max(ps)


def _moved(printed: str, units: float) -> tuple[float, float]:
    """A print moved down and up by ``units`` of its last digit."""
    return float(printed) - units * ulp(printed), float(printed) + units * ulp(printed)


def wald_p_range(hr: str, lower: str, upper: str, units: float) -> tuple[float, float]:
    """The Wald P of an HR and its 95% CI over the corners of the prints' rounding.

    Parameters
    ----------
    hr, lower, upper : str
        The printed HR and CI bounds.
    units : float
        How many units of the last digit each print may move (0.5: its rounding; 1: the
        rounding-only tolerance).

    Returns
    -------
    tuple of float
        The smallest and largest two-sided P, SE = log(upper / lower) / 3.92.
    """
    return wald_p_corners(_moved(hr, units), _moved(lower, units), _moved(upper, units), Z_975)
