"""One Cox model term (:class:`Covariate`): a numeric column or a 0/1 indicator of levels.

Kept apart from :mod:`captemstats.survival.cox` so that the fitting module stays short; it is
re-exported there and from :mod:`captemstats.survival`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.errors import AnalysisError

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

__all__ = ["Covariate"]


@dataclass(frozen=True, slots=True)
class Covariate:
    """One model term. Without ``level`` the column enters as a number (booleans as 0/1).

    With ``level`` it becomes a 0/1 indicator as the paper's Table 3 reports it: 1 where the
    column is in ``level`` (a value or a tuple of values), 0 where it is in ``reference``
    (``None`` = every other non-missing value), missing otherwise (such rows are excluded and
    counted, as R's ``na.omit``). Example: ``Covariate("sex", level="male",
    reference="female", label="Gender (male vs. female)")``.
    """

    column: str
    level: Any = None
    reference: Any = None
    label: str | None = None

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.level is None:
            return self.column
        ref = "others" if self.reference is None else _join(self.reference)
        return f"{self.column} ({_join(self.level)} vs {ref})"

    def values(self, data: pd.DataFrame) -> npt.NDArray[np.float64]:
        import pandas as pd

        if self.column not in data.columns:
            raise AnalysisError(f"covariate column {self.column!r} is not in the data")
        col = data[self.column]
        if self.level is None:
            if col.dtype == bool or isinstance(col.dtype, pd.BooleanDtype):
                return np.asarray(col.astype("Float64").to_numpy(na_value=np.nan), dtype=np.float64)
            if not pd.api.types.is_numeric_dtype(col):
                raise AnalysisError(
                    f"covariate {self.column!r} is not numeric (dtype {col.dtype}); give "
                    "Covariate(level=..., reference=...) to code it as an indicator"
                )
            if isinstance(col.dtype, np.dtype):  # plain numpy ints/floats: no masked copy
                return np.asarray(col.to_numpy(dtype=np.float64), dtype=np.float64)
            return np.asarray(col.astype("Float64").to_numpy(na_value=np.nan), dtype=np.float64)
        lev = _as_tuple(self.level)
        present = set(col.dropna().unique().tolist())
        missing_levels = [v for v in lev if v not in present]
        if missing_levels and not any(_eq(v, p) for v in lev for p in present):
            raise AnalysisError(
                f"covariate {self.column!r}: level {missing_levels!r} never occurs "
                f"(values: {sorted(map(str, present))})"
            )
        is_level = col.isin(lev).fillna(False).to_numpy(dtype=bool)
        notna = col.notna().to_numpy(dtype=bool)
        if self.reference is None:
            is_ref = notna & ~is_level
        else:
            is_ref = col.isin(_as_tuple(self.reference)).fillna(False).to_numpy(dtype=bool)
        return np.where(is_level, 1.0, np.where(is_ref, 0.0, np.nan))


def _as_tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, list | tuple | set | frozenset) else (v,)


def _join(v: Any) -> str:
    return ", ".join(str(x) for x in _as_tuple(v))


def _eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
