"""Cell formats of the tables, delegating numbers to :mod:`captemstats.formatting`."""

from __future__ import annotations


def n_pct(n: int, pct: float, digits: int = 1) -> str:
    """``"34 (11.0)"``: a count with its percentage (computed upstream) in parentheses."""
    return f"{n} ({pct:.{digits}f})"
