"""Excel workbooks: a table per sheet, cell values as text, formulas without saved values.

``openpyxl`` with ``data_only=True`` gives each formula cell the value Excel saved with it; a
workbook written by a program, or saved without recalculation, has none, and the cell reads as
empty - a registry then silently loses values (a cohort of 308 read as 302). The workbook is
therefore read twice in lock-step (values and formulas, both streaming ``read_only`` readers)
and every formula cell without a saved value is reported at its cell (rule
``formula_without_value``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
import zipfile
from pathlib import Path
from typing import Any

import pandas as pd

from captemstats.errors import RegistryReadError
from captemstats.io.problems import Problem

ROW_INDEX = "_row"


def tables_by_name(
    names: list[str], tables: dict[str, bool], where: str, what: str
) -> dict[str, str]:
    """Table name -> the one sheet (or file stem) that names it, compared after NFKC, trimming,
    white-space collapsing and Turkish-aware case folding (:func:`~captemstats.io.text.fold_one`).
    Two names for one table (``patients`` and ``patients ``) are refused: which one is meant
    cannot be told, and reading either silently changes the results."""
    from captemstats.io.text import fold_one, visible

    groups: dict[str, list[str]] = {}
    for name in names:
        groups.setdefault(fold_one(name), []).append(name)
    for table in tables:
        same = sorted(set(groups.get(table, [])))
        if len(same) > 1:
            listed = " and ".join(visible(n) for n in same)
            raise RegistryReadError(
                f"{where}: {what} {listed} are the same table {table!r} after trimming spaces "
                "and ignoring case; keep one (rename or remove the others)"
            )
    return {t: groups[t][0] for t in tables if t in groups}


def sheet_names(path: Path) -> list[str]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a corrupt file
        raise RegistryReadError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        return list(wb.sheetnames)
    finally:
        wb.close()


def read_xlsx(path: Path, sheet: str | None, table: str) -> tuple[pd.DataFrame, int, list[Problem]]:
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:
        raise RegistryReadError(f"{path}: not a readable .xlsx workbook ({exc})") from None
    try:
        if sheet is None:
            names = tables_by_name(
                list(wb.sheetnames), {table: False}, f"workbook {path}", "sheets"
            )
            sheet = names.get(table, wb.sheetnames[0])
        # The second (formula) reading is needed only when a worksheet holds a formula.
        formulas = (
            openpyxl.load_workbook(path, read_only=True, data_only=False)
            if has_formulas(path)
            else None
        )
    except BaseException:
        wb.close()
        raise
    label = f"{path.name}[{sheet}]"
    header: list[str] | None = None
    header_line = 1
    rows: list[list[str | None]] = []
    lines: list[int] = []
    problems: list[Problem] = []
    try:
        pairs = zip(
            wb[sheet].iter_rows(min_row=1, values_only=True),
            itertools.repeat(())
            if formulas is None
            else formulas[sheet].iter_rows(min_row=1, values_only=True),
            strict=False,
        )
        for number, (values, written) in enumerate(pairs, start=1):
            cells = [cell_to_text(v) for v in values]
            # data_only gives a formula's value saved by Excel; a file written by a program
            # (or saved without recalculation) has none, and the cell would read as empty.
            uncached = [
                i
                for i, (v, f) in enumerate(zip(values, written, strict=False))
                if v is None and f is not None and (not isinstance(f, str) or f.startswith("="))
            ]
            if not any(c for c in cells) and not uncached:
                continue
            if header is None:
                header, header_line = [c or "" for c in cells], number
                continue
            problems += [
                _formula_problem(table, label, number, i, header, written[i]) for i in uncached
            ]
            rows.append((cells + [None] * len(header))[: len(header)])
            lines.append(number)
    finally:
        wb.close()
        if formulas is not None:
            formulas.close()
    if header is None:
        raise RegistryReadError(f"{path}[{sheet}]: the sheet is empty (no header row)")
    frame = pd.DataFrame(rows, columns=header, dtype=object)
    frame.index = pd.Index(lines, name=ROW_INDEX, dtype="int64")
    return frame, header_line, problems


_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s>/]")


def has_formulas(path: Path) -> bool:
    """Whether any worksheet of the workbook holds a formula (an ``<f>`` element in its XML),
    read as a stream in 1 MiB chunks (an unreadable archive counts as "maybe": true).

    Example
    -------
    >>> import openpyxl, tempfile
    >>> book = Path(tempfile.mkdtemp()) / "b.xlsx"
    >>> wb = openpyxl.Workbook(); wb.active["A1"] = "=1+1"; wb.save(book)
    >>> has_formulas(book)
    True
    """
    try:
        with zipfile.ZipFile(path) as archive:
            for name in archive.namelist():
                if not (name.startswith("xl/worksheets/") and name.endswith(".xml")):
                    continue
                with archive.open(name) as stream:
                    tail = b""
                    while chunk := stream.read(1 << 20):
                        if _FORMULA.search(tail + chunk):
                            return True
                        tail = chunk[-64:]  # an element cut by the chunk boundary
    except (OSError, zipfile.BadZipFile):
        return True
    return False


def _formula_problem(
    table: str, label: str, row: int, i: int, header: list[str], formula: Any
) -> Problem:
    from openpyxl.utils import get_column_letter

    column = header[i].strip() if i < len(header) else f"column_{i + 1}"
    text = formula if isinstance(formula, str) else str(getattr(formula, "text", formula))
    return Problem(
        "error",
        table,
        label,
        row,
        None,
        column,
        text,
        "formula_without_value",
        f"cell {get_column_letter(i + 1)}{row} holds a formula without a saved value, so its "
        "value cannot be read (it would be empty); open the file in Excel or LibreOffice, "
        "recalculate and save, or paste the values",
    )


def cell_to_text(value: Any) -> str | None:
    """One native cell value (Excel, SPSS) -> text the typed parser understands.

    Whole floats lose their ``.0`` (an Excel ``1`` is read as ``1.0``), dates become ISO,
    booleans ``true``/``false``; missing values and NaN become ``None``.
    """
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return None
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
