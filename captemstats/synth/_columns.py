"""Columnar helpers of the generator: sort orders, typed pandas arrays, Arrow tables.

The generator works on integer codes; these helpers turn them into the registry's typed
columns (``string``, ``Int64``, ``boolean``, ``datetime64[ns]``, the dtype contract of
:mod:`captemstats.io`) without per-element Python work, and write text columns to Arrow from
their codes (:class:`CodedText`) instead of from Python string objects.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from captemstats.synth.allocate import IntArray

if TYPE_CHECKING:
    import pyarrow as pa

BoolArray = npt.NDArray[np.bool_]
_NS_PER_DAY = 86_400 * 10**9
_INT64_MAX = 2**63 - 1


def lexsort_order(keys: Sequence[npt.NDArray[np.integer[Any]]]) -> IntArray:
    """The permutation ``np.lexsort(keys)`` returns (last key primary, stable), computed faster.

    The integer keys are packed into one int64 (mixed radix over each key's range) and, when
    the row number fits in it too, sorted by value (``np.sort``, no stability needed: every
    packed value is distinct) and the row numbers read back; otherwise the packed key is sorted
    stably; only keys too wide to pack fall back to ``np.lexsort``. All three give the same
    order, ties kept in row order.
    """
    n = int(keys[0].size) if keys else 0
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    lows = [int(k.min()) for k in keys]
    spans = [int(k.max()) - lo + 1 for k, lo in zip(keys, lows, strict=True)]
    total = 1
    for s in spans:
        total *= s
    if total > _INT64_MAX:
        return np.asarray(np.lexsort(keys), dtype=np.int64)
    packed = np.zeros(n, dtype=np.int64)
    radix = 1
    for k, lo, s in zip(keys, lows, spans, strict=True):  # first key least significant
        packed += (k.astype(np.int64) - lo) * radix
        radix *= s
    if total * n <= _INT64_MAX:
        packed *= n
        packed += np.arange(n, dtype=np.int64)
        packed = np.sort(packed)
        return np.asarray(packed % n, dtype=np.int64)
    return np.asarray(np.argsort(packed, kind="stable"), dtype=np.int64)


@dataclass(frozen=True)
class CodedText:
    """A text column as ``codes`` into ``values`` (-1 = missing; the smallest signed integer
    type that holds them, so that keeping the codes next to the frame costs little memory)."""

    values: tuple[str, ...]
    codes: npt.NDArray[np.signedinteger[Any]]

    def to_pandas(self) -> pd.api.extensions.ExtensionArray:
        """The ``string``-dtype array (one shared Python string per distinct value): the
        distinct values are checked once, then taken by code (-1 -> NA)."""
        return pd.array(list(self.values), dtype="string").take(self.codes, allow_fill=True)

    def to_arrow(self) -> pa.Array:
        """The same column as an Arrow ``string`` array, taken from the codes."""
        import pyarrow as pa

        missing = self.codes < 0
        indices = pa.array(self.codes, mask=missing if missing.any() else None)
        return pa.array(self.values, type=pa.string()).take(indices)

    def matches(self, array: Any) -> bool:
        """Whether a pandas ``string`` array holds exactly this column (value by value)."""
        if not isinstance(array, pd.arrays.StringArray) or len(array) != self.codes.size:
            return False
        # the backing object array itself (to_numpy would scan it for missing values first)
        data = np.asarray(array._ndarray)
        lookup = np.asarray(self.values, dtype=object)
        missing = self.codes < 0
        try:
            if not missing.any():
                return bool(np.array_equal(data, lookup[self.codes]))
            keep = ~missing
            return bool(
                np.array_equal(data[keep], lookup[self.codes[keep]])
                and pd.isna(data[missing]).all()
            )
        except TypeError:  # NA where text is expected: NA == text has no truth value
            return False


def text(values: Sequence[str], codes: IntArray) -> CodedText:
    dtype = next(
        t for t in (np.int8, np.int16, np.int32, np.int64) if len(values) < np.iinfo(t).max
    )
    return CodedText(tuple(values), np.asarray(codes).astype(dtype))


def integers(values: npt.ArrayLike) -> pd.arrays.IntegerArray:
    """``Int64`` array without missing values."""
    v = np.asarray(values, dtype=np.int64)
    return pd.arrays.IntegerArray(v, np.zeros(v.size, dtype=bool))


def booleans(values: npt.ArrayLike, n: int | None = None) -> pd.arrays.BooleanArray:
    """``boolean`` array without missing values (a scalar is repeated ``n`` times)."""
    v = np.asarray(values, dtype=bool)
    if v.ndim == 0:
        v = np.full(int(n or 0), bool(v))
    return pd.arrays.BooleanArray(v, np.zeros(v.size, dtype=bool))


def dates(days: npt.ArrayLike, present: BoolArray | None = None) -> npt.NDArray[np.datetime64]:
    """``datetime64[ns]`` from whole days since 1970-01-01; NaT where not ``present``."""
    ns = np.asarray(days, dtype=np.int64) * _NS_PER_DAY
    out = ns.view("M8[ns]")
    if present is not None:
        out[~present] = np.datetime64("NaT", "ns")
    return out


def arrow_table(frame: pd.DataFrame, coded: Mapping[str, CodedText]) -> pa.Table:
    """``pa.Table.from_pandas(frame, preserve_index=False)``, with the text columns listed in
    ``coded`` taken from their codes when the frame still holds exactly that text (checked
    value by value; otherwise converted from the frame as usual)."""
    import pyarrow as pa

    schema = pa.Schema.from_pandas(frame.iloc[:0], preserve_index=False)
    arrays = []
    for name in frame.columns:
        c = coded.get(str(name))
        s = frame[name]
        if c is not None and c.matches(s.array):
            arrays.append(c.to_arrow())
        else:
            arrays.append(pa.array(s, type=schema.field(str(name)).type, from_pandas=True))
    return pa.Table.from_arrays(arrays, schema=schema)
