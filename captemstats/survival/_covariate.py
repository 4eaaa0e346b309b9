"""Cox model terms: :class:`Covariate` (a numeric column or a 0/1 indicator of levels) and
:class:`Factor` (a categorical column entered as k − 1 indicators against a reference level,
R's treatment contrasts), which :func:`expand_terms` turns into model columns.

Kept apart from :mod:`captemstats.survival.cox` so that the fitting module stays short; it is
re-exported there and from :mod:`captemstats.survival`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.errors import AnalysisError
from captemstats.survival._inputs import label_str

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

__all__ = ["Covariate", "Factor", "expand_terms"]


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
    level: object = None
    reference: object = None
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
                    "Factor(column) for one indicator per level, or Covariate(level=..., "
                    "reference=...) for one indicator"
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


@dataclass(frozen=True, slots=True)
class Factor:
    """A categorical term: one 0/1 column per level other than the reference, as R's
    ``factor`` with treatment contrasts (``contr.treatment``), jointly tested by
    :meth:`~captemstats.survival.cox.CoxResult.term_tests` and grouped by ``cox_zph``.

    Levels are ``levels`` in the order given, else the categories of a categorical column, else
    the sorted distinct values (R sorts a character column's levels; this sort is Python's,
    R's ``sort`` in the C locale); only levels that occur are kept (R's ``droplevels``), so no
    column is identically zero. The reference is ``reference`` or the first level. Rows where
    the column is missing are excluded from the model and counted (R's ``na.omit``). Model
    columns are named "<label>: <level> vs <reference>".

    Parameters
    ----------
    column
        The data column.
    reference
        The reference level (default: the first level).
    levels
        Optional level order (every occurring value must be listed).
    label
        The term's name (default: the column name).

    Example
    -------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"grade": ["G2", "G1", "G3", "G1", None]})
    >>> [c.name for c in Factor("grade").expand(d)]
    ['grade: G2 vs G1', 'grade: G3 vs G1']
    """

    column: str
    reference: object = None
    levels: tuple[object, ...] | None = None
    label: str | None = None

    @property
    def name(self) -> str:
        return self.label or self.column

    def level_order(self, data: pd.DataFrame) -> list[object]:
        """The occurring levels in model order, the reference first."""
        import pandas as pd

        if self.column not in data.columns:
            raise AnalysisError(f"factor column {self.column!r} is not in the data")
        col = data[self.column]
        present = pd.unique(col.dropna())
        if self.levels is not None:
            unlisted = [v for v in present if v not in self.levels]
            if unlisted:
                raise AnalysisError(
                    f"factor {self.column!r}: values {sorted(map(str, unlisted))} are not in "
                    f"levels {list(self.levels)}"
                )
            order = [v for v in self.levels if v in set(present)]
        elif isinstance(col.dtype, pd.CategoricalDtype):
            order = [v for v in col.cat.categories if v in set(present)]
        else:
            order = sorted(present.tolist())
        ref = order[0] if self.reference is None or not order else self.reference
        if ref not in order:
            raise AnalysisError(
                f"factor {self.column!r}: reference level {ref!r} never occurs "
                f"(levels: {[str(v) for v in order]})"
            )
        return [ref, *(v for v in order if v != ref)]

    def expand(self, data: pd.DataFrame) -> list[Covariate]:
        """One indicator :class:`Covariate` per non-reference level (0 for every other
        non-missing value, missing where the column is); a single level is refused."""
        order = self.level_order(data)
        if len(order) < 2:
            raise AnalysisError(
                f"factor {self.column!r} has {len(order)} level(s) among the data: nothing to "
                "compare"
            )
        ref = label_str(order[0])
        return [
            Covariate(self.column, level=v, label=f"{self.name}: {label_str(v)} vs {ref}")
            for v in order[1:]
        ]


def expand_terms(
    data: pd.DataFrame, covariates: Sequence[str | Covariate | Factor]
) -> tuple[list[Covariate], list[str]]:
    """Model columns and, per column, the name of the term it belongs to. A column name whose
    data are not numeric or boolean (text, categories) becomes a :class:`Factor`, as R codes a
    character or factor column; numbers and booleans enter as one column."""
    import pandas as pd

    cols: list[Covariate] = []
    term_of: list[str] = []
    for c in covariates:
        if isinstance(c, str) and c in data.columns:
            col = data[c]
            numeric = pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col)
            c = c if numeric else Factor(c)
        if isinstance(c, Factor):
            expanded = c.expand(data)
            cols.extend(expanded)
            term_of.extend([c.name] * len(expanded))
        else:
            cov = c if isinstance(c, Covariate) else Covariate(column=c)
            cols.append(cov)
            term_of.append(cov.name)
    return cols, term_of


def _as_tuple(v: Any) -> tuple[Any, ...]:
    return tuple(v) if isinstance(v, list | tuple | set | frozenset) else (v,)


def _join(v: Any) -> str:
    return ", ".join(str(x) for x in _as_tuple(v))


def _eq(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (TypeError, ValueError):
        return False
