"""Locate a registry's table files and read each into a *raw* frame of strings.

A raw frame has one ``string``-dtype column per header cell (names stripped, cells stripped,
empty cells missing) and an integer index named ``_row`` holding the row's line in its file
(header = line 1). Everything format-specific ends here: CSV sniffing and decoding, Excel
cells, SPSS value labels and Parquet types are all turned into text, so that typing and
error reporting (:mod:`captemstats.io.coerce`) work the same for every format.

With ``typed=True`` (what :func:`~captemstats.io.read_registry` asks for) the boolean, integer,
float and timestamp columns of Parquet and SPSS files stay typed instead
(:mod:`captemstats.io.typed`): the parser reads them on their types, and makes their text only
where text is needed. Cells are cleaned once per distinct value: registry columns repeat a
few values over millions of rows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from captemstats.errors import RegistryReadError
from captemstats.io.excel import ROW_INDEX as ROW_INDEX
from captemstats.io.excel import cell_to_text as cell_to_text
from captemstats.io.excel import read_xlsx, sheet_names, tables_by_name
from captemstats.io.fastcsv import read_simple_bytes, read_simple_csv
from captemstats.io.problems import Problem
from captemstats.io.typed import keep_typed, native_columns, read_parquet, read_sav

FileFormat = Literal["csv", "xlsx", "sav", "parquet"]

#: File suffix -> format. ``.tsv`` is a CSV with a tab separator (sniffed like any CSV).
SUFFIXES: dict[str, FileFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".sav": "sav",
    ".parquet": "parquet",
}
#: Distinct values per CSV column shared as one string object (see _read_records).
_SHARED_VALUES = 20_000
#: Longest cell read (Excel's limit for one cell): a longer one means a damaged export.
MAX_CELL_CHARS = 32_767


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """Where a table came from: file, its SHA-256, rows read, format and how it was parsed.

    ``sheet`` is set for workbooks; ``encoding``, ``separator`` and ``decimal`` for CSV files
    (``decimal`` is the decimal mark detected or given for the number columns).
    """

    table: str
    path: Path
    sha256: str
    rows: int
    format: FileFormat
    sheet: str | None = None
    encoding: str | None = None
    separator: str | None = None
    decimal: str | None = None
    header_line: int = 1

    @property
    def label(self) -> str:
        """How problems name the file: ``patients.csv`` or ``registry.xlsx[patients]``."""
        return f"{self.path.name}[{self.sheet}]" if self.sheet else self.path.name


@dataclass(slots=True)
class RawTable:
    """A table read as text: see the module docstring. ``problems`` are structural (e.g. a
    CSV row with the wrong number of fields)."""

    name: str
    frame: pd.DataFrame
    source: SourceInfo
    problems: list[Problem]


@dataclass(frozen=True, slots=True)
class TableLocation:
    path: Path
    format: FileFormat
    sheet: str | None = None


def locate_tables(path: Path, tables: dict[str, bool]) -> dict[str, TableLocation]:
    """Find the file (or sheet) of each table. ``tables`` maps table name -> required.

    ``path`` is a folder holding ``<table>.<csv|tsv|xlsx|sav|parquet>`` files, or one ``.xlsx``
    workbook with a sheet per table (sheet names compared case-insensitively).
    Raises :class:`RegistryReadError` when the path is missing, not a supported format, a table
    exists twice, or a required table is absent.
    """
    if not path.exists():
        raise RegistryReadError(f"registry not found: {path} does not exist")
    if path.is_file():
        if path.suffix.lower() != ".xlsx":
            raise RegistryReadError(
                f"{path}: a registry is a folder of table files or one .xlsx workbook with a "
                f"sheet per table; {path.suffix or 'this file'!s} is not supported"
            )
        sheets = sheet_names(path)
        by_name = tables_by_name(sheets, tables, f"workbook {path}", "sheets")
        found = {t: TableLocation(path, "xlsx", by_name[t]) for t in tables if t in by_name}
        _require(found, tables, f"workbook {path} (sheets: {', '.join(sheets) or 'none'})")
        return found

    found = {}
    files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES)
    # "patients .csv" or "Patients.csv" is the patients table too: compared like sheet names.
    stems = tables_by_name([p.stem for p in files], tables, f"folder {path}", "file names")
    for table in tables:
        candidates = [p for p in files if p.stem == stems.get(table)]
        if len(candidates) > 1:
            names = ", ".join(p.name for p in candidates)
            raise RegistryReadError(
                f"{path}: table {table!r} is given more than once ({names}); keep one file"
            )
        if candidates:
            p = candidates[0]
            found[table] = TableLocation(p, SUFFIXES[p.suffix.lower()])
    where = f"folder {path}"
    missing = [t for t, req in tables.items() if req and t not in found]
    if missing:
        others = sorted(p.name for p in path.iterdir() if p.stem in missing)
        hint = (
            f"; found {', '.join(others)} but only .csv, .tsv, .xlsx, .sav and .parquet are read"
            if others
            else ""
        )
        raise RegistryReadError(
            f"{where}: required table {', '.join(missing)} not found (expected a file named "
            f"{missing[0]}.csv, .xlsx, .sav or .parquet){hint}"
        )
    return found


def _require(found: dict[str, TableLocation], tables: dict[str, bool], where: str) -> None:
    missing = [t for t, req in tables.items() if req and t not in found]
    if missing:
        raise RegistryReadError(f"{where}: required table {', '.join(missing)} not found")


def read_raw(
    table: str,
    loc: TableLocation,
    *,
    encoding: str | None = None,
    sep: str | None = None,
    typed: bool = False,
) -> RawTable:
    """Read one table file into a raw frame (see the module docstring; ``typed`` keeps the
    typed columns of Parquet and SPSS files typed)."""
    data = _read_bytes(loc.path)
    digest = hashlib.sha256(data).hexdigest()
    problems: list[Problem] = []
    label = f"{loc.path.name}[{loc.sheet}]" if loc.sheet else loc.path.name
    used_encoding: str | None = None
    used_sep: str | None = None
    header_line = 1
    if loc.format == "csv":
        frame, problems, header_line, used_encoding, used_sep = _read_csv(
            data, loc.path, encoding, sep, table, label
        )
    elif loc.format == "xlsx":
        frame, header_line, problems = read_xlsx(loc.path, loc.sheet, table)
    elif loc.format == "parquet":
        frame = native_columns(read_parquet(loc.path), typed)
    else:
        frame = native_columns(read_sav(loc.path), typed)
    del data  # the file's bytes (and text) are not kept while the cells are cleaned
    frame = _normalise(frame, loc.path, label)
    source = SourceInfo(
        table=table,
        path=loc.path,
        sha256=digest,
        rows=len(frame),
        format=loc.format,
        sheet=loc.sheet,
        encoding=used_encoding,
        separator=used_sep,
        header_line=header_line,
    )
    return RawTable(table, frame, source, problems)


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise RegistryReadError(f"{path}: cannot be read ({exc.strerror or exc})") from None


# --------------------------------------------------------------------------- CSV


def decode(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """Bytes -> text and the encoding used.

    UTF-8 (with or without BOM) is tried first: a file that decodes as UTF-8 and holds
    non-ASCII text is almost surely UTF-8, while cp1254 / latin-1 text with Turkish letters is
    almost never valid UTF-8. Otherwise ``encoding`` is used when given. Undecodable bytes
    raise :class:`RegistryReadError` naming the file and the byte offset.
    """
    try:
        if data.startswith(b"\xef\xbb\xbf"):
            return data[3:].decode("utf-8"), "utf-8-sig"
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    if encoding is None:
        bad = data[utf8_error.start : utf8_error.start + 1].hex()
        raise RegistryReadError(
            f"{path}: not valid UTF-8 at byte offset {utf8_error.start} (byte 0x{bad}); if the "
            "file was saved in another encoding, give it, e.g. --encoding cp1254 (Turkish "
            "Windows) or --encoding latin-1"
        )
    try:
        return data.decode(encoding), encoding
    except LookupError:
        raise RegistryReadError(f"unknown encoding {encoding!r} (given for {path})") from None
    except UnicodeDecodeError as exc:
        bad = data[exc.start : exc.start + 1].hex()
        raise RegistryReadError(
            f"{path}: neither UTF-8 nor {encoding}: byte 0x{bad} at offset {exc.start} cannot "
            f"be decoded as {encoding} (UTF-8 failed at offset {utf8_error.start})"
        ) from None


def sniff_separator(text: str, default: str = ",") -> str:
    """The field separator of a CSV: the most frequent of ``;``, ``,`` and tab in the header
    line (outside quotes). Header names do not contain separators, so this is unambiguous."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    counts: dict[str, int] = {";": 0, ",": 0, "\t": 0}
    quoted = False
    for ch in header:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda c: counts[c])
    return best if counts[best] > 0 else default


def _read_csv(
    data: bytes, path: Path, encoding: str | None, sep: str | None, table: str, label: str
) -> tuple[pd.DataFrame, list[Problem], int, str, str]:
    """A CSV file's frame, structural problems, header line, encoding and separator.

    A file without quotes is split column-wise (:mod:`captemstats.io.fastcsv`: the same
    cells and lines as the record reader). A UTF-8 file's bytes are its text, so the decoded
    text, as large as the file, is dropped before the columns are built."""
    text, used = decode(data, path, encoding)
    used_sep = sep or sniff_separator(text, default="\t" if path.suffix == ".tsv" else ",")
    if used in ("utf-8", "utf-8-sig"):
        del text
        simple = read_simple_bytes(data[3:] if used == "utf-8-sig" else data, used_sep)
        if simple is not None:
            return simple[0], [], simple[1], used, used_sep
        text = decode(data, path, encoding)[0]
    else:
        simple = read_simple_csv(text, used_sep)
        if simple is not None:
            return simple[0], [], simple[1], used, used_sep
    frame, problems, header_line = _parse_csv(text, used_sep, table, label)
    return frame, problems, header_line, used, used_sep


def _parse_csv(
    text: str, sep: str, table: str, label: str
) -> tuple[pd.DataFrame, list[Problem], int]:
    """Parse CSV text, keeping each record's first physical line number."""
    # The csv module refuses fields over 128 KiB with a bare "field larger than field limit"
    # that names no line; the limit is lifted here (the text is in memory anyway) and long
    # cells are reported with file, line and column by _normalise.
    old_limit = csv.field_size_limit(max(len(text) + 1, csv.field_size_limit()))
    try:
        return _read_records(text, sep, table, label)
    finally:
        csv.field_size_limit(old_limit)


def _read_records(
    text: str, sep: str, table: str, label: str
) -> tuple[pd.DataFrame, list[Problem], int]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    last = 0
    caches: list[dict[str, str] | None] = []
    # The loop is I/O-bound (csv is C code); it records line numbers the reader knows.
    for record in reader:
        start, last = last + 1, reader.line_num
        if not any(cell.strip() for cell in record):
            continue  # blank line: not a record
        if header is None:
            header, header_line = record, start
            caches = [{} for _ in header]
            continue
        # One string object per distinct value of a column ("target", "2021-03-02", "no"):
        # registry columns repeat a few values, and a str object costs ~50 bytes a cell.
        # A column whose values do not repeat (ids, garbage) stops being cached.
        record = [
            cell if cache is None else cache.setdefault(cell, cell)
            for cache, cell in zip(caches, record, strict=False)
        ] + record[len(caches) :]
        if len(rows) % 4096 == 4095:
            caches = [
                None if c is None or len(c) > min(_SHARED_VALUES, len(rows) // 2) else c
                for c in caches
            ]
        if len(record) != len(header):
            problems.append(
                Problem(
                    "error",
                    table,
                    label,
                    start,
                    None,
                    None,
                    sep.join(record),
                    "field_count",
                    f"row has {len(record)} fields but the header has {len(header)}; "
                    "values may be shifted (check separators and quotes)",
                )
            )
            record = (record + [""] * len(header))[: len(header)]
        rows.append(record)
        lines.append(start)
    if header is None:
        raise RegistryReadError(f"{label}: the file is empty (no header line)")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame.index = pd.Index(lines, name=ROW_INDEX, dtype="int64")
    return frame, problems, header_line


def _normalise(frame: pd.DataFrame, path: Path, label: str) -> pd.DataFrame:
    """Strip header names and cells; empty cells -> missing; every column ``string``.

    A cell longer than :data:`MAX_CELL_CHARS` raises :class:`RegistryReadError` naming the
    file, line and column: no registry value is that long, so the export is damaged (an
    unclosed quote swallows the lines after it into one cell)."""
    names = [str(c).strip().lstrip("\ufeff") for c in frame.columns]
    # A trailing separator makes a nameless column; dropped only when it holds nothing.
    keep = [bool(n) or _holds_text(frame.iloc[:, i]) for i, n in enumerate(names)]
    frame = frame if all(keep) else frame.loc[:, keep]
    names = [n or f"column_{i + 1}" for i, n in enumerate(names) if keep[i]]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RegistryReadError(f"{path}: column name(s) repeated in the header: {dupes}")
    columns: dict[str, pd.Series] = {}
    for i, new in enumerate(names):
        column = frame.iloc[:, i]
        if keep_typed(column):  # a typed column of a Parquet or SPSS file: nothing to strip
            columns[new] = column
            continue
        # Each distinct cell (str, or None / NA for empty ones) is stripped once, in Python:
        # faster than pandas' string methods chained, and columns repeat their values.
        codes, uniques = _codes(column)
        cells = [(v.strip() or None) if isinstance(v, str) else None for v in uniques]
        lengths = np.array([len(c) if c else 0 for c in cells] + [0], dtype="int64")
        if lengths.max() > MAX_CELL_CHARS:
            first = int(np.flatnonzero(lengths[codes] > MAX_CELL_CHARS)[0])
            raise RegistryReadError(
                f"{label} line {frame.index[first]}, column {new!r}: a cell of "
                f"{int(lengths[codes[first]]):,} characters (the limit is {MAX_CELL_CHARS:,}, "
                "Excel's own); the file is damaged, e.g. a quote that is never closed"
            )
        done = np.array([*cells, None], dtype=object)  # code -1 (missing) picks the None
        columns[new] = pd.Series(pd.array(done[codes], dtype="string"), index=frame.index)
    return pd.DataFrame(columns, index=frame.index, copy=False)


def _codes(column: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """A code per cell (-1: missing) and the distinct cells (the CSV reader's categoricals
    already are that)."""
    if isinstance(column.dtype, pd.CategoricalDtype):
        return column.cat.codes.to_numpy(dtype=np.int64), column.cat.categories.to_numpy(object)
    codes, uniques = pd.factorize(column.to_numpy(dtype=object), use_na_sentinel=True)
    return codes, np.asarray(uniques, dtype=object)


def _holds_text(column: pd.Series) -> bool:
    """Whether a column has a non-blank cell (a typed value is never blank)."""
    if keep_typed(column):
        return bool(column.notna().any())
    return bool(column.astype("string").str.strip().fillna("").ne("").any())
