"""Input checks shared by the survival functions: clear errors naming row, value and rule."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from captemstats.errors import AnalysisError

if TYPE_CHECKING:
    import numpy.typing as npt

ArrayLike = "Sequence[Any] | npt.NDArray[Any] | pd.Series[Any]"


def columns(data: Any, *values: Any) -> tuple[Any, ...]:
    """The arguments of a survival function, each a column of ``data`` when ``data`` is given
    and the argument is a column name (pingouin's and gtsummary's ``data=`` plus names), else
    as given (arrays, Series, lists, None). A name that is not a column is an error."""
    if data is None:
        return values
    out = []
    for v in values:
        if isinstance(v, str):
            if v not in data.columns:
                raise AnalysisError(f"column {v!r} is not in the data")
            v = data[v]
        out.append(v)
    return tuple(out)


def _first_bad(mask: npt.NDArray[np.bool_], index: Sequence[Any]) -> tuple[Any, int]:
    pos = int(np.flatnonzero(mask)[0])
    return index[pos], int(mask.sum())


def _index_of(values: Any, n: int) -> Sequence[Any]:
    idx = getattr(values, "index", None)
    # a pandas index; a plain list's .index is a method
    return list(idx) if idx is not None and not callable(idx) else list(range(n))


def _numeric_array(values: Any) -> npt.NDArray[np.float64] | None:
    """A 1-D numpy array of numbers or booleans as float64 (the values pandas would give),
    else ``None``: plain arrays skip the pandas conversion (and its import on a first call)."""
    if isinstance(values, np.ndarray) and values.ndim == 1 and values.dtype.kind in "biuf":
        return np.asarray(values, dtype=np.float64)
    return None


def as_time(values: Any, name: str = "time") -> npt.NDArray[np.float64]:
    """Survival times as float64; missing, infinite or negative times are errors."""
    arr = _numeric_array(values)
    if arr is None:
        import pandas as pd

        s = pd.Series(values) if not isinstance(values, pd.Series) else values
        try:
            arr = pd.to_numeric(s, errors="raise").to_numpy(dtype=float, na_value=np.nan)
        except (TypeError, ValueError) as exc:
            raise AnalysisError(f"{name}: values must be numeric ({exc})") from exc
    bad = ~np.isfinite(arr) | (arr < 0)
    if bad.any():
        row, count = _first_bad(bad, _index_of(values, len(arr)))
        raise AnalysisError(
            f"{name}: {count} value(s) missing, infinite or negative (first at row {row!r}: "
            f"{arr[np.flatnonzero(bad)[0]]!r}); survival times must be finite and >= 0"
        )
    return arr


def as_event(values: Any, n: int, name: str = "event") -> npt.NDArray[np.float64]:
    """Event indicator as float64 0/1 (booleans or 0/1 codes); anything else is an error."""
    arr = _numeric_array(values)
    if arr is None:
        import pandas as pd

        s = pd.Series(values) if not isinstance(values, pd.Series) else values
        if len(s) != n:
            raise AnalysisError(f"{name}: length {len(s)} differs from time length {n}")
        try:
            arr = np.asarray(s.astype("float64").to_numpy(na_value=np.nan), dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise AnalysisError(f"{name}: values must be 0/1 or boolean ({exc})") from exc
    elif len(arr) != n:
        raise AnalysisError(f"{name}: length {len(arr)} differs from time length {n}")
    bad = ~np.isin(arr, (0.0, 1.0))
    if bad.any():
        row, count = _first_bad(bad, _index_of(values, n))
        raise AnalysisError(
            f"{name}: {count} value(s) not 0/1 (first at row {row!r}: "
            f"{arr[np.flatnonzero(bad)[0]]!r}); the event indicator must be 1 = event, "
            "0 = censored"
        )
    return arr


def as_weights(values: Any, n: int, name: str = "weights") -> npt.NDArray[np.float64]:
    """Case weights as float64, NaN where missing (the caller excludes and counts those
    rows); a weight that is not a number, infinite or <= 0 is an error naming its row (R:
    "Invalid weights, must be >0")."""
    arr = _numeric_array(values)
    if arr is None:
        import pandas as pd

        s = pd.Series(values) if not isinstance(values, pd.Series) else values
        if len(s) != n:
            raise AnalysisError(f"{name}: length {len(s)} differs from time length {n}")
        if pd.api.types.is_bool_dtype(s) or not pd.api.types.is_numeric_dtype(s):
            raise AnalysisError(f"{name}: case weights must be numbers (dtype {s.dtype})")
        arr = np.asarray(s.astype("float64").to_numpy(na_value=np.nan), dtype=np.float64)
    elif len(arr) != n:
        raise AnalysisError(f"{name}: length {len(arr)} differs from time length {n}")
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(arr) & (~np.isfinite(arr) | (arr <= 0))
    if bad.any():
        row, count = _first_bad(bad, _index_of(values, n))
        raise AnalysisError(
            f"{name}: {count} weight(s) not finite and > 0 (first at row {row!r}: "
            f"{arr[np.flatnonzero(bad)[0]]!r}); case weights must be finite and > 0"
        )
    return arr


def as_labels(values: Any, n: int, name: str) -> tuple[list[Any], npt.NDArray[np.intp], int]:
    """Group labels -> (ordered labels, integer codes with -1 for missing, n missing).

    Order: a pandas categorical's category order, else sorted unique values (as R's factor()).
    """
    import pandas as pd

    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if len(s) != n:
        raise AnalysisError(f"{name}: length {len(s)} differs from time length {n}")
    s = s.reset_index(drop=True)
    if isinstance(s.dtype, pd.CategoricalDtype):
        used = s.cat.remove_unused_categories()
        labels = list(used.cat.categories)
        codes = used.cat.codes.to_numpy().astype(np.intp)
    else:
        codes_arr, uniques = pd.factorize(s, sort=True, use_na_sentinel=True)
        labels = list(uniques)
        codes = codes_arr.astype(np.intp)
    return labels, codes, int((codes < 0).sum())


#: The label of the single group when no grouping is given.
ALL = "(all)"


def label_str(value: Any) -> str:
    """A group label as text; integral floats print without '.0' (as R's factor labels)."""
    if isinstance(value, float | np.floating) and float(value).is_integer():
        return str(int(value))
    return str(value)


def group_codes(group: Any, n: int) -> tuple[list[str], npt.NDArray[np.intp], int]:
    """The grouping of ``n`` observations -> (labels as text, codes with -1 for missing,
    n missing); no grouping (``None``) is one group :data:`ALL`. Shared by every estimator
    that takes ``group=`` (KM, follow-up, RMST, cumulative incidence)."""
    if group is None:
        return [ALL], np.zeros(n, dtype=np.intp), 0
    raw, codes, n_excl = as_labels(group, n, "group")
    return [label_str(v) for v in raw], codes, n_excl


def as_status(values: Any, n: int) -> npt.NDArray[np.int64]:
    """Competing-risks status as int64 codes: 0 = censored, 1, 2, ... = the cause."""
    import pandas as pd

    s = pd.Series(values) if not isinstance(values, pd.Series) else values
    if len(s) != n:
        raise AnalysisError(f"status: length {len(s)} differs from time length {n}")
    try:
        arr = np.asarray(s.astype("float64").to_numpy(na_value=np.nan), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise AnalysisError(f"status: values must be integer codes ({exc})") from exc
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.round(arr))
    if bad.any():
        row, count = _first_bad(bad, _index_of(values, n))
        raise AnalysisError(
            f"status: {count} value(s) not a code >= 0 (first at row {row!r}: "
            f"{arr[np.flatnonzero(bad)[0]]!r}); status must be 0 = censored or 1, 2, ... = "
            "the cause"
        )
    return arr.astype(np.int64)


def select_group(groups: Sequence[str], group: str | None) -> str:
    """The group a per-group accessor of a result means: ``group`` itself when it is one of
    ``groups``, or the only group when ``group`` is None; otherwise an error naming them."""
    if group is None:
        if len(groups) != 1:
            raise AnalysisError(f"several groups ({list(groups)}); name one")
        return groups[0]
    if group not in groups:
        raise AnalysisError(f"no group {group!r}; groups are {list(groups)}")
    return group
