"""Numbers as journals print them, kept apart from the computation.

Every function takes a computed value (or a result object) and returns text; none computes a
statistic. Conventions follow the AMA Manual of Style (11th ed., §19.5), which the study's
journal uses: P values without a leading zero, two decimals (three below .01), ``<.001``
below .001 and ``>.99`` above .99; hazard ratios with two decimals and an en-dash CI;
medians with one decimal and "not reached" spelled out rather than printed as a number.
The published paper's own P-value print (SPSS's three decimals, truncated to two) is
:func:`format_p_truncated`; :func:`format_p_as` picks one of the two by a methods profile's
``p_display`` (:mod:`captemstats.methods`).
"""

from __future__ import annotations

import math
import re
from typing import Any, Literal

#: How a table prints its P values: ``"rounded"`` (:func:`format_p`, AMA) or ``"truncated"``
#: (:func:`format_p_truncated`, the published paper's SPSS-style print).
PValueDisplay = Literal["rounded", "truncated"]

__all__ = [
    "NOT_REACHED",
    "format_ci",
    "format_hr",
    "format_median",
    "format_medians",
    "format_number",
    "format_p",
    "format_p_as",
    "format_p_truncated",
    "format_pct",
    "format_range",
]

#: How a quantile that the curve never reaches is printed.
NOT_REACHED = "not reached"
#: Printed for a missing or non-finite number.
MISSING = "NA"
DASH = "–"


def _finite(x: Any) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def format_number(x: Any, digits: int = 1) -> str:
    """``x`` rounded half-up to ``digits`` decimals (Python's ``round`` is half-even, which a
    reader checking a table by hand does not expect); ``NA`` when missing."""
    if not _finite(x):
        return MISSING
    from decimal import ROUND_HALF_UP, Decimal

    q = Decimal(1).scaleb(-digits)
    return str(Decimal(repr(float(x))).quantize(q, rounding=ROUND_HALF_UP))


def format_p(p: Any, *, threshold: float = 0.001, leading_zero: bool = False) -> str:
    """A P value as the journal prints it (AMA §19.5): ``<.001``; three decimals below .01
    (``.003``); otherwise two (``.43``), or three when two would print a value at the .05
    boundary that is in fact below it (``.049``, not ``.05``); ``>.99`` near 1.

    ``leading_zero=True`` gives ``0.43`` for journals that want it. Missing -> ``NA``.
    """
    if not _finite(p):
        return MISSING
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"format_p: {value!r} is not a probability")
    low = format_number(threshold, 3)
    if value < threshold:
        text = "<" + low
    elif value > 0.99:
        text = ">0.99"
    else:
        digits = 3 if value < 0.01 else 2
        text = format_number(value, digits)
        if digits == 2 and value < 0.05 <= float(text):
            text = format_number(value, 3)
    if not leading_zero:
        text = text.replace("0.", ".", 1)
    return text


def format_p_truncated(p: Any, *, leading_zero: bool = False) -> str:
    """A P value as the CAPTEM paper prints it: SPSS's three-decimal P, truncated to two.

    SPSS 22 shows a P ("Sig.") rounded half-up to three decimals; the paper copies that print
    below .01 (``.004``; SPSS's ``.000`` becomes ``<.001``) and drops the third decimal at or
    above .01 (SPSS ``.396`` printed ``.39``). So:

    * ``<.001`` when SPSS would show ``.000`` (P < .0005);
    * three decimals, rounded, when that rounding is below .010 (.00057 → ``.001``, the
      paper's dose-reduction P; .0094 → ``.009``);
    * otherwise the three-decimal rounding truncated to two decimals (.3959 → ``.396`` →
      ``.39``; .0099 → ``.010`` → ``.01``; .0496 → ``.050`` → ``.05``: truncation never
      turns a P above .05 into one below it, but SPSS's rounding can print a P just below
      .05 as ``.05``, as the paper's software would; significance is judged on the value);
      P ≥ .9995 prints ``1.00``.

    Every print this gives is the exact P either rounded or truncated to its decimals, the
    rule by which :mod:`captemstats.audit` (check ``p_value_chi_square``) accepts the
    paper's prints. ``leading_zero=True`` gives ``0.39``. Missing -> ``NA``.

    Parameters
    ----------
    p
        A probability (float-like), or None/NaN.
    leading_zero
        Keep the "0" before the decimal point.

    Returns
    -------
    str
        The printed P value; never a statistic.

    Example
    -------
    >>> [format_p_truncated(p) for p in (0.3959, 0.0099, 0.004, 0.00057, 0.0004)]
    ['.39', '.01', '.004', '.001', '<.001']
    """
    if not _finite(p):
        return MISSING
    value = float(p)
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"format_p_truncated: {value!r} is not a probability")
    from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

    spss = Decimal(repr(value)).quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    if spss == 0:
        text = "<0.001"
    elif spss < Decimal("0.01"):
        text = str(spss)
    else:
        text = str(spss.quantize(Decimal("0.01"), rounding=ROUND_DOWN))
    if not leading_zero:
        text = text.replace("0.", ".", 1)
    return text


def format_p_as(p: Any, display: PValueDisplay = "rounded") -> str:
    """A P value printed by the rule ``display`` names: ``"rounded"`` is :func:`format_p`,
    ``"truncated"`` :func:`format_p_truncated` (a methods profile's ``p_display``,
    :mod:`captemstats.methods`).

    Parameters
    ----------
    p
        A probability, or None/NaN (printed ``NA``).
    display
        ``"rounded"`` or ``"truncated"``.

    Returns
    -------
    str
        The printed P value.

    Example
    -------
    >>> format_p_as(0.3959), format_p_as(0.3959, "truncated")
    ('.40', '.39')
    """
    if display == "rounded":
        return format_p(p)
    if display == "truncated":
        return format_p_truncated(p)
    raise ValueError(f"format_p_as: unknown display {display!r}; use 'rounded' or 'truncated'")


def format_ci(lower: Any, upper: Any, digits: int = 2, *, missing: str = MISSING) -> str:
    """``"0.69–0.93"``: a confidence interval with an en dash; a limit that cannot be
    estimated prints as ``missing``."""
    lo = format_number(lower, digits) if _finite(lower) else missing
    hi = format_number(upper, digits) if _finite(upper) else missing
    return f"{lo}{DASH}{hi}"


def format_hr(hr: Any, lower: Any, upper: Any, digits: int = 2) -> str:
    """``"0.80 (0.69–0.93)"``: a hazard (or odds) ratio with its CI."""
    return f"{format_number(hr, digits)} ({format_ci(lower, upper, digits)})"


def format_median(
    median: Any,
    digits: int = 1,
    *,
    ci: bool = True,
    not_reached: str = NOT_REACHED,
) -> str:
    """A Kaplan–Meier median (a ``survival.km.MedianEstimate``) as ``"16.1 (12.0–20.3)"``.

    A median the curve never reaches prints as ``not_reached`` (never a number or NaN); an
    upper limit the upper confidence curve never reaches prints as ``"NR"``
    (``"16.1 (12.0–NR)"``), as R prints ``NA`` for it.
    """
    if not getattr(median, "reached", _finite(getattr(median, "estimate", None))):
        head = not_reached
    else:
        head = format_number(median.estimate, digits)
    if not ci:
        return head
    lower, upper = getattr(median, "lower", None), getattr(median, "upper", None)
    if not _finite(lower) and not _finite(upper) and head == not_reached:
        return head
    return f"{head} ({format_ci(lower, upper, digits, missing='NR')})"


def format_medians(medians: Any, unit: str = "months", digits: int = 1) -> str:
    """Medians listed in prose with their unit, never "not reached months".

    When every median is reached the unit is said once ("16.1, 7.9 and 9.6 months");
    otherwise each reached median carries the unit and the others read "not reached"
    ("32.5 months, 62.6 months and not reached").

    Parameters
    ----------
    medians
        ``survival.km.MedianEstimate``-like records (``estimate``, ``reached``), in order.
    unit
        The time unit printed after a number.
    digits
        Decimals of :func:`format_median`.

    Returns
    -------
    str
        The list joined with commas and a final "and".

    Example
    -------
    >>> from types import SimpleNamespace as M
    >>> format_medians([M(estimate=32.5, reached=True), M(estimate=None, reached=False)])
    '32.5 months and not reached'
    """
    texts = [format_median(m, digits, ci=False) for m in medians]
    if not texts:
        return ""
    if NOT_REACHED not in texts:
        items = [*texts[:-1], f"{texts[-1]} {unit}"]
    else:
        items = [t if t == NOT_REACHED else f"{t} {unit}" for t in texts]
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def format_pct(n: int, denominator: int, digits: int = 1) -> str:
    """``"34 (11.0)"``: a count and its percentage of ``denominator``, half-up rounded."""
    if denominator <= 0:
        return f"{n} ({MISSING})"
    return f"{n} ({format_number(100.0 * n / denominator, digits)})"


def format_range(low: Any, high: Any, digits: int = 1) -> str:
    """``"1.7–212.1"``: a range with an en dash."""
    return f"{format_number(low, digits)}{DASH}{format_number(high, digits)}"


def is_missing(x: Any) -> bool:
    """True for None, NA and NaN."""
    import pandas as pd

    if x is None:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):  # array-likes are not missing scalars
        return False


#: A hyphen between two numbers (or a percentage and a number) is a range: "0-1", "21%-55%".
_RANGE_HYPHEN = re.compile(r"(?<=[0-9%])-(?=[0-9])")


def en_dash(text: str) -> str:
    """Print numeric ranges with an en dash ("ECOG 0–1", "21%–55%"), as journals set them.

    Only a hyphen between digits (a digit or "%" before, a digit after) changes, so
    hyphenated words such as "Ki-67" or "First-line" keep their hyphen.
    """
    return _RANGE_HYPHEN.sub("\u2013", text)
