"""A fast, column-wise reading of the common CSV: no quotes, one record per line.

Python's :mod:`csv` reader, a record at a time, took 22 s for a 130 MB registry export. Most
exports hold no quote character at all; then a record is a line, its fields are the pieces
between separators, and pyarrow's C++ reader splits the whole file into columns at once. The
result is exactly what :func:`captemstats.io.readers._read_records` builds (the same cells,
line numbers, header line), or ``None`` when the file needs the record-by-record reader:
quotes (fields holding separators or line breaks), carriage returns other than in Windows line
breaks, NUL characters, or a row
whose field count differs from the header's (that reader reports it, with its line).

Columns come back as pandas categoricals of the file's text: the distinct values once, and a
code per row, which :func:`~captemstats.io.readers._normalise` cleans per distinct value.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from captemstats.io.excel import ROW_INDEX

#: Characters that make a file need the record-by-record reader (a carriage return only when
#: it is not part of a Windows line break).
_SPECIAL = ('"', "\r", "\x00")


def read_simple_csv(text: str, sep: str) -> tuple[pd.DataFrame, int] | None:
    """:func:`read_simple_bytes` of a decoded text."""
    return read_simple_bytes(text.encode("utf-8"), sep)


def read_simple_bytes(data: bytes, sep: str) -> tuple[pd.DataFrame, int] | None:
    """Split a quote-free CSV file into columns (see the module docstring).

    Parameters
    ----------
    data : bytes
        The file as UTF-8 (without a byte-order mark). The special characters are ASCII,
        and an ASCII byte is never part of a multi-byte character, so they are looked for
        in the bytes.
    sep : str
        The field separator (one ASCII character).

    Returns
    -------
    tuple of (pandas.DataFrame, int) or None
        The frame (header cells as column names, a categorical column each, index ``_row``
        = the record's line) and the header's line; ``None`` when the file is not simple.
    """
    if len(sep) != 1 or not sep.isascii():
        return None
    if b"\r" in data and data.count(b"\r") == data.count(b"\r\n"):
        data = data.replace(b"\r\n", b"\n")  # Windows line breaks: still one record a line
    if any(c.encode("ascii") in data for c in _SPECIAL):
        return None
    lines = _Lines(data, ord(sep))
    kept = np.flatnonzero(lines.non_blank(sep))
    if len(kept) == 0:
        return None  # no header: the record reader raises the error that names the file
    header = data[lines.starts[kept[0]] : lines.ends[kept[0]]].decode("utf-8").split(sep)
    rows = kept[1:]
    columns = _split(lines.select(rows), sep, len(header), len(rows))
    if columns is None:
        return None  # a row with a field too many or too few: the record reader reports it
    frame = pd.DataFrame(dict(enumerate(columns)), index=pd.RangeIndex(len(rows)), copy=False)
    frame.columns = pd.Index(header, dtype=object)
    frame.index = pd.Index(rows + 1, name=ROW_INDEX, dtype="int64")
    return frame, int(kept[0]) + 1


#: Per byte: 1 = a character that is not white space (``str.strip`` keeps it), 2 = part of a
#: non-ASCII character (white space or not: decided by ``str.strip``), 0 = ASCII white space
#: (``\t\n\v\f\r``, the file separators 0x1C-0x1F, the space). The separator is set to 0.
_KIND = np.ones(256, dtype=np.uint8)
_KIND[[0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F, 0x20]] = 0
_KIND[0x80:] = 2


class _Lines:
    """The lines of a file's bytes, found with numpy: where each starts and ends, and
    whether it is a record (see :meth:`non_blank`). Nothing of the file's size but one
    boolean per byte is allocated, briefly (a 200 MB export stays well under 1 GB)."""

    def __init__(self, data: bytes, sep: int) -> None:
        self.data = data
        self.sep = sep
        b = np.frombuffer(data, dtype=np.uint8)
        breaks = np.flatnonzero(b == 0x0A)
        # the final line break ends the last line, it starts no new one
        self.ends = breaks if data.endswith(b"\n") else np.append(breaks, len(b))
        self.starts = np.concatenate([[0], breaks + 1])[: len(self.ends)].astype(np.int64)
        kind = _KIND.copy()
        kind[sep] = 0
        # the first byte of each line (an empty line's is its line break, white space)
        self.first = kind[b[self.starts]] if len(b) else np.zeros(0, dtype=np.uint8)

    def non_blank(self, sep: str) -> np.ndarray:
        """Whether each line is a record: some field is more than white space, as
        ``cell.strip()`` has it. A line that starts with such a character is one (nearly
        all do: the patient id comes first); the others are decided by ``str.strip``."""
        out = self.first == 1
        for i in np.flatnonzero(~out):
            line = self.data[self.starts[i] : self.ends[i]].decode("utf-8")
            out[i] = bool(line.replace(sep, "").strip())
        return np.asarray(out)

    def select(self, rows: np.ndarray) -> bytes | memoryview:
        """The bytes of the given lines (with their line breaks), without copying runs of
        consecutive lines."""
        if len(rows) == 0:
            return b""
        view = memoryview(self.data)
        # runs of consecutive lines: usually one (no blank line among the records)
        cut = np.flatnonzero(np.diff(rows) != 1) + 1
        runs = [(int(r[0]), int(r[-1])) for r in np.split(rows, cut)]
        if len(runs) == 1:
            return view[self.starts[runs[0][0]] : self.ends[runs[0][1]]]
        return b"\n".join(bytes(view[self.starts[a] : self.ends[z]]) for a, z in runs)


def _split(data: bytes | memoryview, sep: str, width: int, n: int) -> list[pd.Series] | None:
    """The fields of the data lines, one categorical per column, split by pyarrow; ``None``
    when a line has more or fewer than ``width`` fields (pyarrow refuses it)."""
    import pyarrow as pa

    names = [f"c{i}" for i in range(width)]
    if n == 0:
        return [pd.Series(pd.Categorical([]), dtype="category") for _ in names]
    try:
        table = _read(pa.py_buffer(data), sep, names)
    except pa.ArrowInvalid:
        return None
    out = []
    for name in names:
        encoded = table.column(name).dictionary_encode().combine_chunks()
        codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        categories = encoded.dictionary.to_pylist()
        out.append(pd.Series(_categorical(codes, categories)))
    return out


def _read(buffer: Any, sep: str, names: list[str]) -> Any:
    """pyarrow's reading of quote-free lines: every field a string, kept as written."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    return pacsv.read_csv(
        buffer,
        read_options=pacsv.ReadOptions(column_names=names, block_size=1 << 24),
        parse_options=pacsv.ParseOptions(
            delimiter=sep,
            quote_char=False,
            double_quote=False,
            escape_char=False,
            newlines_in_values=False,
            ignore_empty_lines=False,
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={name: pa.string() for name in names},
            null_values=[],
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        ),
    )


def _categorical(codes: np.ndarray, categories: list[str]) -> pd.Categorical:
    return pd.Categorical.from_codes(codes, categories=pd.Index(categories, dtype=object))


__all__ = ["read_simple_bytes", "read_simple_csv"]
