"""Result metadata shared by every statistic: the method record each result carries (core layer)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    import pandas as pd

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


class Displayed:
    """What every statistical result shows of itself (mixin): a one-line ``repr`` that says
    what the result holds (not its arrays), :meth:`summary` as a tidy frame, and that frame as
    the notebook display (``_repr_html_``), as pandas and great_tables objects display.

    A result class defines :meth:`summary` and :meth:`_headline` and is a dataclass with
    ``repr=False`` (a dataclass would otherwise write its own ``repr`` of every field).

    Examples
    --------
    >>> from captemstats.survival import kaplan_meier
    >>> kaplan_meier([1, 2, 3, 4], [1, 0, 1, 1])
    <KaplanMeierResult: 1 group, n = 4, 3 events; .summary(), .to_frame()>
    """

    __slots__ = ()  # slotted results stay slotted

    def summary(self) -> pd.DataFrame:
        """The result's main numbers, one row per group or term."""
        raise NotImplementedError

    def _headline(self) -> str:
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__}: {self._headline()}; .summary(), .to_frame()>"

    def _repr_html_(self) -> str:
        return str(self.summary().to_html(index=False, na_rep="", float_format="{:.4g}".format))


def count_words(n: int, word: str) -> str:
    """``"1 group"``, ``"3 groups"``: a count with its noun (plural in ``s``)."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"
