"""Result metadata shared by every statistic: the method record each result carries (core layer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TypeAlias

#: A JSON value: what :func:`json.dumps` writes and :func:`json.loads` returns (arrays and
#: objects as read-only ``Sequence`` and ``Mapping``, so a ``dict[str, str]`` is one): the type
#: of the ``to_dict()`` documents (``results.json``, the validation report).
JSONValue: TypeAlias = (
    str | int | float | bool | Sequence["JSONValue"] | Mapping[str, "JSONValue"] | None
)

#: A JSON object (``dict`` of :data:`JSONValue`).
JSONObject: TypeAlias = dict[str, JSONValue]


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

    def as_dict(self) -> dict[str, str | float | bool | None]:
        """The record as a plain dict (``notes`` joined by '; ')."""
        d = asdict(self)
        d["notes"] = "; ".join(self.notes)
        return d
