"""Printed values as typed data: parsing a printed number and the models of one printed
value (an ``n (%)`` cell, a P value, an integer, a float, a confidence interval).

Every model here keeps the printed text verbatim beside its parsed value, because the number
of printed decimals matters to the rounding checks and some prints are odd (``"31.9)"``,
``"65.0%"``, a missing parenthesis).
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = [
    "Cell",
    "PrintedCI",
    "PrintedFloat",
    "PrintedInt",
    "PrintedP",
    "parse_printed_number",
]

_NUMBER = re.compile(r"(\d*)\.(\d+)|\d+")
_CELL = re.compile(r"(\d+) \(")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def parse_printed_number(printed: str) -> tuple[float, int] | None:
    """The first decimal number in a print and its decimals (``"65.0%"`` -> (65.0, 1);
    ``".039"`` -> (0.039, 3))."""
    m = _NUMBER.search(printed)
    if m is None:
        return None
    return float(m.group(0)), len(m.group(2) or "")


class Cell(_Model):
    """One ``n (%)`` cell as printed. ``pct`` is the printed percentage text, verbatim."""

    printed: str
    where: str
    n: int | None
    pct: str | None

    @model_validator(mode="after")
    def _n_matches_print(self) -> Cell:
        if self.printed == "—":
            if self.n is not None or self.pct is not None:
                raise ValueError(f"{self.where}: a dash cell has no n or pct")
            return self
        m = _CELL.match(self.printed)
        if m is None or self.n != int(m.group(1)):
            raise ValueError(f"{self.where}: n={self.n} does not match print {self.printed!r}")
        if self.pct is None or self.pct not in self.printed:
            raise ValueError(f"{self.where}: pct={self.pct!r} is not in print {self.printed!r}")
        return self

    @property
    def is_dash(self) -> bool:
        return self.printed == "—"

    @property
    def pct_value(self) -> float | None:
        """The printed percentage as a number (``"31.9)"`` -> 31.9)."""
        parsed = None if self.pct is None else parse_printed_number(self.pct)
        return None if parsed is None else parsed[0]

    @property
    def pct_decimals(self) -> int | None:
        parsed = None if self.pct is None else parse_printed_number(self.pct)
        return None if parsed is None else parsed[1]

    @property
    def well_formed(self) -> bool:
        """True when the print is exactly ``n (p)`` with a plain number ``p`` (or a dash)."""
        return self.is_dash or re.fullmatch(r"\d+ \(\d+(?:\.\d+)?\)", self.printed) is not None


class PrintedP(_Model):
    printed: str
    value: float
    where: str

    @property
    def is_bound(self) -> bool:
        """``<.001`` is an upper bound, not a value."""
        return self.printed.strip().startswith("<")


class PrintedInt(_Model):
    printed: str
    value: int
    where: str


class PrintedFloat(_Model):
    printed: str
    value: float

    @property
    def decimals(self) -> int:
        parsed = parse_printed_number(self.printed)
        return 0 if parsed is None else parsed[1]


class PrintedCI(_Model):
    printed: str
    lower: float
    upper: float
