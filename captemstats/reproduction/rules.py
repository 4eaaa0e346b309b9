"""Verdict rules of the reproduction: equal at the printed precision, within tolerance, differs.

Every tolerance lives in :data:`TOLERANCES`, one :class:`Tolerance` per :data:`Kind` of printed
value, and the verdict of a value is :func:`verdict` (a pure function of the print and the
recomputed number). Nothing here estimates anything: the rules compare two numbers.

* ``equal``: the recomputed value, rounded half-up (or truncated, for a print made that way)
  to the printed decimals, is the printed number; ``<.001`` is equal to any value below .001;
  two "not reached" medians are equal.
* ``within tolerance``: not equal, but no further from the print than the kind's tolerance
  (absolute, relative, and for P values also on the same side of α = .05).
* ``differs``: anything else, including one value missing and the other not.

Example
-------
>>> verdict("count", "59", 59.0, 59.0)
'equal'
>>> verdict("p_value", ".39", 0.39, 0.3959)
'within tolerance'
>>> verdict("p_value", ".01", 0.01, 0.00004)
'differs'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal
from typing import Literal, get_args

__all__ = [
    "ALPHA",
    "KINDS",
    "TOLERANCES",
    "VERDICTS",
    "Kind",
    "Rounding",
    "Tolerance",
    "Verdict",
    "equal_at_precision",
    "printed_decimals",
    "verdict",
    "within_tolerance",
]

#: What a printed value is; each kind has one tolerance.
Kind = Literal[
    "count",
    "percentage",
    "p_value",
    "median_survival",
    "hazard_ratio",
    "years",
    "months",
    "cycles",
]
KINDS: tuple[Kind, ...] = get_args(Kind)
#: The three verdicts, best first.
Verdict = Literal["equal", "within tolerance", "differs"]
VERDICTS: tuple[Verdict, ...] = get_args(Verdict)
#: How a print was made from its value: rounded half-up, or truncated (the paper's P values).
Rounding = Literal["round", "truncate"]
#: Significance level of the study (Methods): a P within tolerance stays on its side of it.
ALPHA = 0.05


@dataclass(frozen=True)
class Tolerance:
    """How far from its print a recomputed value may be and still be "within tolerance".

    Parameters
    ----------
    absolute
        Largest absolute difference (the value's unit), or None for no absolute limit.
    relative
        Largest difference relative to the printed value (0.10 = 10%), or None. Every limit
        given must hold; a tolerance with neither allows nothing (a count).
    same_side_of_alpha
        Also require the recomputed value on the printed value's side of :data:`ALPHA`.
    description
        The rule in words (printed in the manuscript's appendix footnote).

    Example
    -------
    >>> Tolerance(absolute=1.0, description="1 year").allows(53.0, 53.9)
    True
    """

    absolute: float | None = None
    relative: float | None = None
    same_side_of_alpha: bool = False
    description: str = ""

    def allows(self, published: float, recomputed: float) -> bool:
        """True when ``recomputed`` is within this tolerance of ``published``."""
        diff = abs(recomputed - published)
        if self.absolute is None and self.relative is None:
            return False
        ok = self.absolute is None or diff <= self.absolute + 1e-12
        if self.relative is not None:
            ok = ok and published != 0 and diff <= self.relative * abs(published) + 1e-12
        if self.same_side_of_alpha:
            ok = ok and (recomputed < ALPHA) == (published < ALPHA)
        return ok


#: The tolerance of each kind of printed value (the only place tolerances are set).
TOLERANCES: Mapping[Kind, Tolerance] = {
    "count": Tolerance(description="none: a count is equal or it differs"),
    "percentage": Tolerance(
        absolute=0.1, description="0.1 percentage point (one unit of a one-decimal print)"
    ),
    "p_value": Tolerance(
        absolute=0.01,
        relative=0.5,
        same_side_of_alpha=True,
        description="0.01 and half the printed P, on the same side of .05",
    ),
    "median_survival": Tolerance(relative=0.10, description="10% of the printed median"),
    "hazard_ratio": Tolerance(relative=0.10, description="10% of the printed HR or CI limit"),
    "years": Tolerance(absolute=1.0, description="1 year"),
    "months": Tolerance(absolute=1.0, description="1 month"),
    "cycles": Tolerance(absolute=0.5, description="0.5 cycle"),
}


def printed_decimals(printed: str) -> int:
    """The decimals of the first number of a print (``".039"`` → 3, ``"42"`` → 0).

    Example
    -------
    >>> printed_decimals("<.001"), printed_decimals("44.6"), printed_decimals("59")
    (3, 1, 0)
    """
    from captemstats.published import parse_printed_number

    parsed = parse_printed_number(printed)
    return 0 if parsed is None else parsed[1]


def _missing(x: float | None) -> bool:
    return x is None or not math.isfinite(x)


def equal_at_precision(
    printed: str,
    published: float | None,
    recomputed: float | None,
    rounding: Rounding = "round",
) -> bool:
    """True when ``recomputed`` prints as ``printed`` at its decimals.

    Parameters
    ----------
    printed
        The print (its decimals set the precision; a leading ``<`` makes it a bound).
    published
        The printed number (None/NaN: "not reached", "—" read as no value).
    recomputed
        The recomputed number (None/NaN: not estimable, e.g. a median not reached).
    rounding
        ``"round"`` (half-up) or ``"truncate"``.

    Returns
    -------
    bool
        Both missing, or the rounded (truncated) value equal to the print, or below a
        ``<`` bound.

    Example
    -------
    >>> equal_at_precision("<.001", 0.001, 0.0004), equal_at_precision(".39", 0.39, 0.3959)
    (True, False)
    >>> equal_at_precision(".39", 0.39, 0.3959, "truncate")
    True
    """
    if _missing(published) or _missing(recomputed):
        return _missing(published) and _missing(recomputed)
    assert published is not None and recomputed is not None
    if printed.strip().startswith("<"):
        return recomputed < published
    q = Decimal(1).scaleb(-printed_decimals(printed))
    mode = ROUND_DOWN if rounding == "truncate" else ROUND_HALF_UP
    got = Decimal(repr(float(recomputed))).quantize(q, rounding=mode)
    return got == Decimal(repr(float(published))).quantize(q, rounding=ROUND_HALF_UP)


def within_tolerance(kind: Kind, published: float | None, recomputed: float | None) -> bool:
    """True when both values exist and :data:`TOLERANCES` ``[kind]`` allows the difference.

    Example
    -------
    >>> within_tolerance("median_survival", 10.6, 11.1), within_tolerance("count", 5, 59)
    (True, False)
    """
    if _missing(published) or _missing(recomputed):
        return False
    assert published is not None and recomputed is not None
    return TOLERANCES[kind].allows(published, recomputed)


def verdict(
    kind: Kind,
    printed: str,
    published: float | None,
    recomputed: float | None,
    rounding: Rounding = "round",
    recomputed_printed: str | None = None,
) -> Verdict:
    """The verdict of one printed value against its recomputed value.

    Parameters
    ----------
    kind
        The kind of value (its tolerance, :data:`TOLERANCES`).
    printed, published, recomputed, rounding
        As for :func:`equal_at_precision`.
    recomputed_printed
        The recomputed value as a print rule prints it (e.g. the as-published profile's
        P); when given, "equal" means this print is the published print.

    Returns
    -------
    Verdict
        ``"equal"``, ``"within tolerance"`` or ``"differs"``.

    Example
    -------
    >>> verdict("hazard_ratio", "1.80", 1.80, 1.71), verdict("hazard_ratio", "1.80", 1.80, 0.55)
    ('within tolerance', 'differs')
    """
    if recomputed_printed is not None:
        if recomputed_printed.strip() == printed.strip():
            return "equal"
    elif equal_at_precision(printed, published, recomputed, rounding):
        return "equal"
    if within_tolerance(kind, published, recomputed):
        return "within tolerance"
    return "differs"
