"""Reading a data frame for the comparisons and the summary: groups, levels, counts, rows.

Shared by :mod:`captemstats.compare.groups` and :mod:`captemstats.compare.characteristics`:
the ``by`` groups and each row's group code, a categorical variable's levels in display order
(R's ``factor()`` order: categories, booleans "True" then "False", numbers in numeric order,
strings in the order of ``schema.LABELS`` when listed there, else sorted, as gtsummary shows
them) and its level × group counts, a continuous variable's values, and a column's type
(gtsummary's rule: categorical for category, boolean and string columns, continuous for other
numeric columns), and the tidy rows of a characteristics summary for each variable (the
``tbl_summary()`` statistics: n and % per level, or median, range, mean and SD).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from captemstats.errors import AnalysisError

if TYPE_CHECKING:
    import numpy.typing as npt
    import pandas as pd

    IntArray = npt.NDArray[np.int64]
    FloatArray = npt.NDArray[np.float64]
    BoolArray = npt.NDArray[np.bool_]

VariableType = Literal["categorical", "continuous"]


def _levels_of(s: pd.Series, variable: str, given: Sequence[Any] | None) -> list[str]:
    """Display order of a categorical variable's levels (as text)."""
    import pandas as pd

    if given is not None:
        return [_text(v) for v in given]
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [str(v) for v in s.cat.categories]
    if pd.api.types.is_bool_dtype(s.dtype):
        return ["True", "False"]
    if pd.api.types.is_numeric_dtype(s.dtype):  # numbers in numeric order, as R's factor()
        return list(dict.fromkeys(str(v) for v in sorted(_whole(s).dropna().unique())))
    present = sorted({str(v) for v in s.dropna().unique()})
    from captemstats.schema import LABELS

    known = [k for k in LABELS.get(variable, {}) if k in present]
    return known + [v for v in present if v not in known]


def _as_text(s: pd.Series) -> pd.Series:
    """Values as strings (booleans as "True"/"False"), missing kept missing (vectorised)."""
    import pandas as pd

    if pd.api.types.is_bool_dtype(s.dtype):
        b = s.astype("boolean")
        text = np.where(b.fillna(False).to_numpy(dtype=bool), "True", "False")
        return pd.Series(text, index=s.index, dtype="string").mask(b.isna())
    return _whole(s).astype("string")


def _text(v: Any) -> str:
    """A given level or group as text, whole-number floats as integers (as :func:`_whole`)."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _whole(s: pd.Series) -> pd.Series:
    """A float column whose values are all whole numbers as integers (ECOG 1.0 reads "1", as
    R prints it); anything else unchanged."""
    import pandas as pd

    if pd.api.types.is_float_dtype(s.dtype):
        v = s.dropna()
        if len(v) and bool((v == np.floor(v)).all()):
            return s.astype("Int64")
    return s


def _group_codes(
    df: pd.DataFrame, by: str, groups: Sequence[Any] | None
) -> tuple[list[str], IntArray]:
    """The ``by`` groups (category order, else sorted) and each row's code (-1 = missing)."""
    import pandas as pd

    if by not in df.columns:
        raise AnalysisError(f"grouping column {by!r} is not in the data")
    s = df[by]
    if groups is None:
        if isinstance(s.dtype, pd.CategoricalDtype):
            names = [str(v) for v in s.cat.categories]
        elif pd.api.types.is_bool_dtype(s.dtype):
            names = ["True", "False"]
        elif pd.api.types.is_numeric_dtype(s.dtype):
            names = list(dict.fromkeys(str(v) for v in sorted(_whole(s).dropna().unique())))
        else:
            names = sorted({str(v) for v in s.dropna().unique()})
    else:
        names = [_text(g) for g in groups]
    return names, _codes_in(s, by, names, "the groups")


def _codes_in(s: pd.Series, column: str, names: list[str], what: str) -> IntArray:
    """Each value's index in ``names`` (-1 = missing); a value outside them is an error whose
    message calls them ``what``."""
    import pandas as pd

    text = _as_text(s)
    codes = pd.Categorical(text, categories=names).codes.astype(np.int64)
    unknown = text.notna().to_numpy() & (codes < 0)
    if unknown.any():
        bad = sorted({str(v) for v in text[unknown]})
        raise AnalysisError(f"column {column!r} has value(s) {bad} outside {what} {names}")
    return codes


def _cross_counts(
    s: pd.Series, variable: str, group_code: IntArray, n_groups: int, levels: Sequence[Any] | None
) -> tuple[list[str], IntArray, IntArray]:
    """Level × group counts (rows with a group and a value), the levels, and missing per group."""
    names = _levels_of(s, variable, levels)
    code = _codes_in(s, variable, names, "its levels")
    has_group = group_code >= 0
    ok = has_group & (code >= 0)
    counts = np.bincount(
        code[ok] * n_groups + group_code[ok], minlength=len(names) * n_groups
    ).reshape(len(names), n_groups)
    missing = np.bincount(group_code[has_group & (code < 0)], minlength=n_groups)
    return names, counts.astype(np.int64), missing.astype(np.int64)


def _numeric(s: pd.Series, variable: str) -> FloatArray:
    import pandas as pd

    if isinstance(s.dtype, pd.CategoricalDtype) or pd.api.types.is_bool_dtype(s.dtype):
        raise AnalysisError(f"column {variable!r} is not numeric (dtype {s.dtype})")
    values = pd.to_numeric(s, errors="coerce").astype("float64")
    bad = s.notna() & values.isna()
    if bad.any():
        raise AnalysisError(
            f"column {variable!r} has non-numeric value {s[bad].iloc[0]!r} "
            f"(row {s.index[bad.to_numpy()].tolist()[0]!r})"
        )
    out: FloatArray = np.asarray(values.to_numpy(dtype=np.float64), dtype=np.float64)
    return out


#: A numeric column of whole numbers with fewer distinct values than this is a category (an
#: ordinal score such as ECOG), gtsummary's rule for numeric variables.
FEW_LEVELS = 10


def _variable_type(s: pd.Series) -> VariableType:
    """The summary type inferred from a column: categories, booleans and text are
    categorical; numbers are continuous, except whole numbers with fewer than
    :data:`FEW_LEVELS` distinct values (gtsummary's rule, kept to whole numbers here so that a
    measured quantity with few values stays continuous)."""
    import pandas as pd

    if (
        isinstance(s.dtype, pd.CategoricalDtype)
        or pd.api.types.is_bool_dtype(s.dtype)
        or pd.api.types.is_string_dtype(s.dtype)
        or s.dtype == object
    ):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s.dtype):
        v = s.dropna()
        whole = len(v) > 0 and bool((v == np.floor(v.astype("float64"))).all())
        return "categorical" if whole and v.nunique() < FEW_LEVELS else "continuous"
    raise AnalysisError(
        f"column {s.name!r} has dtype {s.dtype}: neither categorical nor numeric; "
        "pass types={...} or convert it"
    )


# -- the rows of a characteristics summary ----------------------------------------------------


def _categorical_rows(
    variable: str,
    label: str,
    names: list[str],
    counts: IntArray,
    missing: IntArray,
    out_groups: list[str],
    overall: bool,
) -> pd.DataFrame:
    """One row per level per group: n, denominator, pct and the group's missing values."""
    import pandas as pd

    all_counts = np.column_stack([counts.sum(axis=1), counts]) if overall else counts
    all_missing = np.concatenate([[missing.sum()], missing]) if overall else missing
    denom = all_counts.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        pct = np.where(denom > 0, 100.0 * all_counts / np.maximum(denom, 1), np.nan)
    n_lev = len(names)
    return pd.DataFrame(
        {
            "variable": variable,
            "label": label,
            "type": "categorical",
            "level": np.tile(np.array(names, dtype=object), len(out_groups)),
            "group": np.repeat(np.array(out_groups, dtype=object), n_lev),
            "n": all_counts.T.ravel(),
            "denominator": np.repeat(denom, n_lev),
            "pct": pct.T.ravel(),
            "n_missing": np.repeat(all_missing, n_lev),
        }
    )


def _continuous_rows(
    variable: str,
    label: str,
    values: FloatArray,
    gcode: IntArray,
    k: int,
    out_groups: list[str],
    overall: bool,
) -> pd.DataFrame:
    """One row per group: n, denominator, missing, median, min, max, mean, sd (n − 1)."""
    import pandas as pd

    sel: list[BoolArray] = [gcode >= 0] if overall else []
    sel += [gcode == i for i in range(k)]
    rows = []
    for g, mask in zip(out_groups, sel, strict=True):
        v = values[mask]
        v = v[~np.isnan(v)]
        rows.append(
            {
                "group": g,
                "n": int(v.size),
                "denominator": int(mask.sum()),
                "n_missing": int(mask.sum() - v.size),
                "median": float(np.median(v)) if v.size else np.nan,
                "min": float(v.min()) if v.size else np.nan,
                "max": float(v.max()) if v.size else np.nan,
                "mean": float(v.mean()) if v.size else np.nan,
                "sd": float(v.std(ddof=1)) if v.size > 1 else np.nan,
            }
        )
    return pd.DataFrame(rows).assign(
        variable=variable, label=label, type="continuous", level=None, pct=np.nan
    )


def _summary_frame(parts: list[pd.DataFrame], columns: Sequence[str]) -> pd.DataFrame:
    """The variables' rows in one frame with ``columns`` (a characteristics summary's) and their
    dtypes."""
    import pandas as pd

    frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame({c: [] for c in columns})
    for c in columns:
        if c not in frame.columns:
            frame[c] = np.nan
    return frame[list(columns)].astype(
        {
            "variable": "string",
            "label": "string",
            "type": "string",
            "level": "string",
            "group": "string",
            "n": "Int64",
            "denominator": "Int64",
            "n_missing": "Int64",
            "pct": "float64",
            "p_value": "float64",
            "test": "string",
        }
    )
