"""Result metadata shared by every statistic: the method record each result carries (core layer)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class MethodInfo:
    """How a statistic was computed, so a table can footnote it and the manuscript can state
    its methods from the results rather than from hand-written prose.

    ``software_equivalent`` names the R call the result reproduces (tests check the numbers
    against it, see ``tests/reference/``).
    """

    test: str
    ci_method: str | None = None
    ci_transform: str | None = None
    conf_level: float | None = None
    ties: str | None = None
    continuity_correction: bool | None = None
    variance: str | None = None
    software_equivalent: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def as_dict(self) -> dict[str, Any]:
        """The record as a plain dict (``notes`` joined by '; ')."""
        d = asdict(self)
        d["notes"] = "; ".join(self.notes)
        return d
