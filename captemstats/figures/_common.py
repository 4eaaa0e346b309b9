"""Small helpers shared by the figure builders (input checks, no statistics)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import pandas as pd


class SupportsToFrame(Protocol):
    """A result object that gives its tidy frame (``to_frame()``)."""

    def to_frame(self) -> pd.DataFrame: ...


def as_frame(data: Any) -> pd.DataFrame:
    """Accept a DataFrame or a result object exposing ``to_frame()``."""
    if isinstance(data, pd.DataFrame):
        return data
    to_frame = getattr(data, "to_frame", None)
    if callable(to_frame):
        frame = to_frame()
        if isinstance(frame, pd.DataFrame):
            return frame
    raise TypeError(f"expected a DataFrame or a result with .to_frame(), got {type(data).__name__}")


def require_columns(frame: pd.DataFrame, columns: Sequence[str], where: str) -> pd.DataFrame:
    """Raise a clear ``ValueError`` naming the missing columns."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(
            f"{where}: input lacks column(s) {missing}; it has {list(map(str, frame.columns))}"
        )
    return frame
