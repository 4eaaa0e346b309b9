"""Cell formats of the tables, delegating numbers to :mod:`captemstats.formatting`."""

from __future__ import annotations


def n_pct(n: int, pct: float, digits: int = 1) -> str:
    """``"34 (11.0)"``: a count with its percentage (computed upstream) in parentheses.

    The percentage is rounded half-up by :func:`captemstats.formatting.format_number`, as
    :func:`captemstats.formatting.format_pct` rounds it in the prose.
    """
    from captemstats.formatting import format_number

    return f"{n} ({format_number(pct, digits)})"
