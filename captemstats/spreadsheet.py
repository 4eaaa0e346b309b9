"""Spreadsheet safety of exported tables: formula-injection neutralisation.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read by
Excel, LibreOffice and Google Sheets as a formula (OWASP "CSV injection"), so a registry
value such as ``=HYPERLINK(...)`` that reaches an exported table could run when the file is
opened. Such text cells are written with a leading apostrophe, which spreadsheets show as
text. Numbers are left alone: a numeric column, and a text cell that is a plain number
(``-0.25``, ``+3``), cannot be a formula. A carriage return inside a text cell becomes a
line feed: the CSV writer (``lineterminator="\\n"``) quotes a cell holding ``\\n`` but not
one holding a bare ``\\r``, which other readers take as the end of the row.
"""

from __future__ import annotations

import re

import pandas as pd

#: First characters that make a spreadsheet cell a formula.
FORMULA_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")

_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$")


def neutralise_text(value: str) -> str:
    """``value`` with a leading apostrophe when a spreadsheet would read it as a formula."""
    if value.startswith(FORMULA_PREFIXES) and not _PLAIN_NUMBER.match(value):
        return "'" + value
    return value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names cannot be read as formulas
    (vectorised per text column; numeric, boolean and date columns are unchanged)."""
    out = frame.copy()
    for name in out.columns:
        s = out[name]
        if not (pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s)):
            continue
        text = s.astype("string")
        has_cr = text.str.contains("\r", regex=False).fillna(False).astype(bool)
        if has_cr.any():
            fixed_cr = s.astype(object).copy()
            fixed_cr[has_cr.to_numpy()] = text[has_cr].str.replace("\r\n?", "\n", regex=True)
            out[name] = s = fixed_cr
            text = s.astype("string")
        risky = text.str.startswith(FORMULA_PREFIXES).fillna(False).astype(bool)
        risky &= ~text.str.fullmatch(_PLAIN_NUMBER.pattern).fillna(False).astype(bool)
        if risky.any():
            fixed = s.astype(object).copy()
            fixed[risky.to_numpy()] = "'" + text[risky].astype(str)
            out[name] = fixed
    out.columns = [neutralise_text(str(c)) for c in out.columns]
    return out
