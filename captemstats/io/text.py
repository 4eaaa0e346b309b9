"""Text normalisation for registry cells: one reading of labels, names and digits.

Hospital exports spell the same thing in several ways: a non-breaking space or a double space
inside a centre name, upper-case Turkish labels (``KADIN``, ``HAYIR``), full-width or
Arabic-Indic digits, an invisible character pasted into an identifier. Three operations cover
them, all vectorised over pandas ``string`` Series:

* :func:`fold_key` - the comparison key of a label or free-text value: Unicode NFKC (UAX #15;
  superscripts, circled digits and fractions excepted),
  invisible characters removed, runs of white space collapsed, then *Turkish-aware* case
  folding. Turkish has dotted and dotless i (``İ``/``i`` and ``I``/``ı``), so ``KADIN`` is
  ``kadın`` in Turkish but ``kadin`` in English; the key folds all four to ``i``, which makes a
  label match in either reading (distinct labels that differ only in the dot of an i do not
  occur in a registry).
* :func:`ascii_digits` - every Unicode decimal digit (category Nd: Arabic-Indic ``٥``,
  full-width ``５``, Devanagari ...) to its ASCII digit by :func:`unicodedata.digit`, and the
  full-width sign and separator forms to ASCII, so numbers and dates read as written.
  NFKC is *not* used for numbers: it turns a superscript ``²`` into ``2`` (``5²`` would read 52).
* :func:`invisible_characters` - the first invisible character (controls, format characters,
  non-breaking and other non-ASCII spaces, the BOM) of each value, for identifiers, where such a
  character makes two equal-looking ids different.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata
from collections.abc import Callable

import numpy as np
import pandas as pd

_SIGNS = {
    0xFF0B: "+",  # FULLWIDTH PLUS SIGN
    0xFF0D: "-",  # FULLWIDTH HYPHEN-MINUS
    0x2212: "-",  # MINUS SIGN
    0xFF0E: ".",  # FULLWIDTH FULL STOP
    0xFF0C: ",",  # FULLWIDTH COMMA
    0xFF0F: "/",  # FULLWIDTH SOLIDUS
    0xFF1A: ":",  # FULLWIDTH COLON
}


@functools.cache
def _tables() -> tuple[re.Pattern[str], dict[int, str], re.Pattern[str]]:
    """The invisible-character class and the digit translation, built once on first use
    (scanning the Unicode database takes 0.2 s, too long for every command's start-up).

    Invisible: C0/C1 controls, format characters (soft hyphen, zero-width and direction marks,
    word joiner, BOM), non-ASCII spaces (NBSP, en/em/thin, ideographic), line and paragraph
    separators: categories Cc, Cf, Zs, Zl, Zp except U+0020. Digits: category Nd -> ASCII.
    Other numbers (category No: superscripts, circled digits, fractions), which NFKC would
    turn into plain digits, as a capturing pattern for :func:`tidy_one` to keep them.
    """
    invisible: list[str] = []
    other_numbers: list[str] = []
    digits: dict[int, str] = dict(_SIGNS)
    for c in range(sys.maxunicode + 1):
        cat = unicodedata.category(chr(c))
        if cat in {"Cc", "Cf", "Zs", "Zl", "Zp"} and c != 0x20:
            invisible.append(re.escape(chr(c)))
        elif cat == "Nd" and c > 0x7F:
            digits[c] = str(unicodedata.digit(chr(c)))
        elif cat == "No":
            other_numbers.append(re.escape(chr(c)))
    return (
        re.compile("[" + "".join(invisible) + "]"),
        digits,
        re.compile("([" + "".join(other_numbers) + "]+)"),
    )


ARABIC_DECIMAL_SEPARATOR = "\u066b"

# Turkish capitals first (NFKC has composed İ), then casefold, then the dotless ı.
_TURKISH_UPPER = str.maketrans({"İ": "i", "I": "i"})
_ZERO_WIDTH = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def tidy(s: pd.Series) -> pd.Series:
    """NFKC, invisible characters removed, white space collapsed and trimmed (case kept).

    Parameters
    ----------
    s : pandas.Series
        ``string`` values (missing stays missing).

    Returns
    -------
    pandas.Series
        The tidied values, ``string`` dtype.

    Example
    -------
    >>> tidy(pd.Series(["Ankara\\u00a0 Univ. "], dtype="string")).tolist()
    ['Ankara Univ.']
    """
    return _per_value(s, tidy_one)


def fold_key(s: pd.Series) -> pd.Series:
    """The comparison key of labels and free text: :func:`tidy`, then Turkish-aware case
    folding (``İ``, ``I``, ``ı`` and ``i`` all become ``i``).

    Parameters
    ----------
    s : pandas.Series
        ``string`` values.

    Returns
    -------
    pandas.Series
        Keys, ``string`` dtype; equal keys are the same label.

    Example
    -------
    >>> fold_key(pd.Series(["KADIN", "Kadın", "kadın"], dtype="string")).tolist()
    ['kadin', 'kadin', 'kadin']
    """
    return _per_value(s, fold_one)


def tidy_one(value: str) -> str:
    """:func:`tidy` of one string.

    Example
    -------
    >>> tidy_one("\\u200bAnkara  Univ.")
    'Ankara Univ.'
    """
    if value.isascii() and value.isprintable():
        return " ".join(value.split())
    # Zero-width characters are removed, not made a space: they separate nothing visible.
    text = _ZERO_WIDTH.sub("", value)
    invisible, _, other_numbers = _tables()
    # NFKC except on superscripts, circled digits and fractions: it would read "5²" as 52
    # and "②" as grade 2; those stay as written (and are refused where a code is expected).
    parts = other_numbers.split(text)
    text = "".join(p if i % 2 else unicodedata.normalize("NFKC", p) for i, p in enumerate(parts))
    return " ".join(invisible.sub(" ", text).split())


def _per_value(s: pd.Series, fn: Callable[[str], str]) -> pd.Series:
    """``fn`` applied once per distinct value (registries repeat their labels: 300 rows,
    three spellings), missing values kept missing."""
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    done = np.array([fn(str(u)) for u in uniques] + [None], dtype=object)
    # code -1 (missing) picks the trailing None
    return pd.Series(done[codes], index=s.index, dtype="string")


def fold_one(value: str) -> str:
    """:func:`fold_key` of one string (mapping keys, tokens).

    Example
    -------
    >>> fold_one(" Hayır ")
    'hayir'
    """
    if value.isascii() and value.isprintable():
        # Fast path (most cells): NFKC and the invisible set do not touch printable ASCII.
        return " ".join(value.split()).lower()
    return tidy_one(value).translate(_TURKISH_UPPER).casefold().replace("ı", "i")


def lookup(s: pd.Series, table: dict[str, object]) -> list[object]:
    """``table[fold_one(value)]`` per row (``None`` when missing or not in ``table``),
    folding each distinct value once.

    Example
    -------
    >>> lookup(pd.Series(["EVET", "Hayır", None, "?"], dtype="string"),
    ...        {"evet": True, "hayir": False})
    [True, False, None, None]
    """
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    found = [table.get(fold_one(str(u))) for u in uniques] + [None]
    return [found[c] for c in codes.tolist()]


def ascii_digits(s: pd.Series) -> pd.Series:
    """Unicode decimal digits and full-width signs -> ASCII (see the module docstring).

    Example
    -------
    >>> ascii_digits(pd.Series(["٥٤", "５４", "8²"], dtype="string")).tolist()
    ['54', '54', '8²']
    """
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    values = np.full(len(uniques) + 1, None, dtype=object)  # the last: missing (code -1)
    values[:-1] = np.asarray(uniques, dtype=object)
    # ASCII values are left as they are; the Unicode tables are built only for the others
    for i in np.flatnonzero(~_only_bytes(values[:-1], 0x00, 0x7F)):
        values[i] = str(values[i]).translate(_tables()[1])
    return pd.Series(values[codes], index=s.index, dtype="string")


def invisible_characters(s: pd.Series) -> pd.Series:
    """The first invisible character of each value as ``U+XXXX NAME at position N``, or
    missing when the value has none.

    Example
    -------
    >>> invisible_characters(pd.Series(["P0\\u200b01", "P002"], dtype="string")).tolist()
    ['U+200B ZERO WIDTH SPACE at position 3', <NA>]
    """
    codes, uniques = pd.factorize(s.astype("string"), use_na_sentinel=True)
    values = np.asarray(uniques, dtype=object)
    described = np.full(len(values) + 1, None, dtype=object)  # the last: missing (code -1)
    # Printable ASCII holds no invisible character (U+0020 is not one): only the other
    # distinct values are searched, and the Unicode tables are not built when there are none
    # (ids of 10^5 patients: one vectorised pass instead of 10^5 searches).
    suspect = np.flatnonzero(~printable_ascii(values))
    if len(suspect):
        pattern = _tables()[0]
        for i in suspect:
            value = str(values[i])
            if pattern.search(value):
                described[i] = _describe_first(value)
    return pd.Series(described[codes], index=s.index, dtype="string")


def printable_ascii(values: np.ndarray) -> np.ndarray:
    """Whether each string holds only printable ASCII (U+0020 to U+007E), vectorised over the
    UTF-8 bytes (a non-ASCII character's bytes are all above 0x7F).

    Example
    -------
    >>> printable_ascii(np.array(["P001", "P0\\u200b01", "", "a\\x01b"], dtype=object)).tolist()
    [True, False, True, False]
    """
    return _only_bytes(values, 0x20, 0x7E)


def _only_bytes(values: np.ndarray, low: int, high: int) -> np.ndarray:
    """Whether each string's UTF-8 bytes all lie in ``low``..``high`` (one pass over the
    bytes of every value, through an Arrow string array)."""
    import pyarrow as pa

    arr = pa.array(values, type=pa.large_string())
    offsets = np.frombuffer(arr.buffers()[1], dtype=np.int64)[: len(arr) + 1]
    data = arr.buffers()[2]
    raw = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, np.uint8)
    bad = np.concatenate([[0], np.cumsum((raw < low) | (raw > high), dtype=np.int64)])
    within: np.ndarray = bad[offsets[1:]] == bad[offsets[:-1]]
    return within


def strip_invisible(s: pd.Series) -> pd.Series:
    """Values with every invisible character removed (plain spaces kept).

    Example
    -------
    >>> strip_invisible(pd.Series(["\\ufeffP001", "P0\\x0002"], dtype="string")).tolist()
    ['P001', 'P002']
    """
    return s.astype("string").str.replace(_tables()[0], "", regex=True)


def visible(value: str) -> str:
    """A value quoted with its invisible characters written as ``<U+XXXX>`` (for messages).

    Example
    -------
    >>> visible("Ankara\\u00a0Univ.")
    "'Ankara<U+00A0>Univ.'"
    """
    return "'" + _tables()[0].sub(lambda m: f"<U+{ord(m.group()):04X}>", value) + "'"


# Control characters have no name in the Unicode database, only aliases.
_CONTROL_NAMES = {0x00: "NULL", 0x09: "TAB", 0x0A: "LINE FEED", 0x0D: "CARRIAGE RETURN"}


def _describe_first(value: str) -> str:
    m = _tables()[0].search(value)
    if m is None:
        return ""
    ch = m.group()
    name = unicodedata.name(ch, None) or _CONTROL_NAMES.get(ord(ch), "CONTROL CHARACTER")
    return f"U+{ord(ch):04X} {name} at position {m.start() + 1}"


__all__ = [
    "ARABIC_DECIMAL_SEPARATOR",
    "ascii_digits",
    "fold_key",
    "fold_one",
    "invisible_characters",
    "lookup",
    "printable_ascii",
    "strip_invisible",
    "tidy",
    "tidy_one",
    "visible",
]
