"""How suppressed cells are marked: the threshold, the printed marks and the footnote.

Shared by the string-based suppression (:mod:`captemstats.privacy`) and the key-based one
(:mod:`captemstats.privacy_keys`), which :mod:`captemstats.privacy` calls.
"""

from __future__ import annotations

#: Default threshold: counts 1-4 are suppressed.
DEFAULT_MIN_CELL = 5

#: How a withheld (complementary or derived) value is printed.
WITHHELD = "*"


def primary_marker(min_cell: int) -> str:
    """How a suppressed small count is printed: ``"<5"`` for ``min_cell=5``."""
    return f"<{min_cell}"


def suppression_note(min_cell: int) -> str:
    """The footnote a suppressed table carries (and the provenance block can quote)."""
    return (
        f"{primary_marker(min_cell)}: a count between 1 and {min_cell - 1}, suppressed with "
        f"its percentage; {WITHHELD}: withheld so that a suppressed count cannot be recomputed "
        "from the totals, or a statistic of a suppressed group."
    )


def check_min_cell(min_cell: int | None) -> int | None:
    """``None``/0 (off) or an integer >= 2; anything else raises :class:`ValueError`."""
    if min_cell is None or min_cell == 0:
        return None
    if isinstance(min_cell, bool) or not isinstance(min_cell, int) or min_cell < 2:
        raise ValueError(f"min_cell must be an integer >= 2 (or 0/None: off), not {min_cell!r}")
    return min_cell


__all__ = ["DEFAULT_MIN_CELL", "WITHHELD", "check_min_cell", "primary_marker", "suppression_note"]
