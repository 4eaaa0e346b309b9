"""Mutation engine for fuzzing the registry reader and validator (tests/test_fuzz.py and
benchmarks/fuzz_campaign.py).

A mutant is the valid fixture registry (tests/data/valid) with *preserving* transformations
(separator, BOM, CRLF, column order, an unknown extra column, blank lines, cell spelling:
padding, case, day-first dates, trailing zeros, yes/no synonyms) and at most one *breaking*
mutation (wrong type, out-of-range or huge value, impossible or month-first date, empty
required cell, dropped column, duplicated or orphaned row, extra field, empty table,
non-UTF-8 bytes). Every mutant states what must happen:

* ``same``: it loads, validates without error and gives typed tables equal to the original
  (so the analysis, a deterministic function of them, is the same);
* ``warn`` (an adverse-events table with a header and no rows, which a registry may truly
  have): it loads with a warning naming the table;
* ``refuse``: reading raises :class:`~captemstats.errors.RegistryReadError` naming the file,
  or validation reports an error naming the mutated place (table, line, column).

:func:`run_mutant` classifies the outcome: ``unchanged``, ``refused`` (with the named
place), or a failure: ``traceback`` (any other exception), ``silent`` (loaded without error
but different), ``unnamed`` (refused without naming the place), ``false_refusal`` (a
preserving mutant refused).
"""

from __future__ import annotations

import csv
import io
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import strategies as st

from captemstats.errors import RegistryReadError
from captemstats.io import read_registry
from captemstats.schema import TABLES

VALID = Path(__file__).parent / "data" / "valid"
TABLE_NAMES = tuple(TABLES)


@dataclass
class RawTable:
    header: list[str]
    rows: list[list[str]]


def load_valid() -> dict[str, RawTable]:
    out = {}
    for name in TABLE_NAMES:
        with (VALID / f"{name}.csv").open(encoding="utf-8", newline="") as fh:
            records = list(csv.reader(fh))
        out[name] = RawTable(records[0], records[1:])
    return out


@dataclass
class Expectation:
    kind: str  # "same" or "refuse"
    table: str | None = None
    line: int | None = None  # file line of the mutated row (header = 1)
    column: str | None = None
    what: str = ""


@dataclass
class Mutant:
    """Tables as text plus how each is written (separator, BOM, CRLF, encoding)."""

    tables: dict[str, RawTable]
    sep: dict[str, str] = field(default_factory=dict)
    bom: set[str] = field(default_factory=set)
    crlf: set[str] = field(default_factory=set)
    encoding: dict[str, str] = field(default_factory=dict)
    blank_lines: set[str] = field(default_factory=set)
    raw_bytes: dict[str, bytes] = field(default_factory=dict)
    expect: Expectation = field(default_factory=lambda: Expectation("same"))
    steps: list[str] = field(default_factory=list)

    def write(self, folder: Path) -> None:
        for name, table in self.tables.items():
            path = folder / f"{name}.csv"
            if name in self.raw_bytes:
                path.write_bytes(self.raw_bytes[name])
                continue
            buf = io.StringIO()
            end = "\r\n" if name in self.crlf else "\n"
            writer = csv.writer(buf, delimiter=self.sep.get(name, ","), lineterminator=end)
            writer.writerow(table.header)
            for row in table.rows:
                writer.writerow(row)
                if name in self.blank_lines:
                    buf.write(end)
            text = buf.getvalue()
            try:
                data = text.encode(self.encoding.get(name, "utf-8"))
            except UnicodeEncodeError:  # a later step put non-ASCII text in an "ASCII" table
                data = text.encode("utf-8")
            if name in self.bom:
                data = b"\xef\xbb\xbf" + data
            path.write_bytes(data)


# ----------------------------------------------------------------------------- outcome


@dataclass(frozen=True)
class Outcome:
    status: str  # unchanged | refused | warned | traceback | silent | unnamed | false_refusal
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("unchanged", "refused", "warned")


_BASELINE: dict[str, pd.DataFrame] | None = None


def baseline() -> dict[str, pd.DataFrame]:
    global _BASELINE
    if _BASELINE is None:
        reg = read_registry(VALID)
        assert reg.validate().ok
        _BASELINE = {n: reg.table(n).reset_index(drop=True) for n in TABLE_NAMES}
    return _BASELINE


def _same_tables(registry: Any) -> str:
    base = baseline()
    for name in TABLE_NAMES:
        got = registry.table(name).reset_index(drop=True)
        try:
            pd.testing.assert_frame_equal(got, base[name], check_exact=True)
        except AssertionError as exc:
            return f"{name}: {str(exc).splitlines()[0]}"
    return ""


def _named(problems: pd.DataFrame, e: Expectation) -> bool:
    errors = problems[problems["severity"] == "error"]
    if e.table is not None:
        errors = errors[errors["table"] == e.table]
    if e.line is not None:
        errors = errors[errors["line"] == e.line]
    if e.column is not None:
        errors = errors[errors["column"] == e.column]
    return len(errors) > 0


def classify(mutant: Mutant, folder: Path) -> Outcome:
    """Read and validate the written mutant and judge the outcome against its expectation."""
    e = mutant.expect
    try:
        registry = read_registry(folder)
        report = registry.validate()
    except RegistryReadError as exc:
        if e.kind in ("same", "warn"):
            return Outcome("false_refusal", str(exc))
        file = f"{e.table}.csv" if e.table else ""
        named = file in str(exc) or (e.column is not None and e.column in str(exc))
        return Outcome("refused" if named else "unnamed", str(exc))
    except Exception as exc:  # the failure this suite hunts
        import traceback

        return Outcome("traceback", "".join(traceback.format_exception(exc))[-2000:])
    if report.ok:
        diff = _same_tables(registry)
        if e.kind == "same" and not diff:
            return Outcome("unchanged")
        warned = report.frame[report.frame["table"] == e.table]
        if e.kind == "warn" and len(warned):
            return Outcome("warned", str(warned["message"].iloc[0]))
        return Outcome("silent", diff or f"expected refusal: {e.what}")
    if e.kind in ("same", "warn"):
        return Outcome("false_refusal", report.to_frame().head(5).to_string())
    if _named(report.frame, e):
        return Outcome("refused")
    return Outcome("unnamed", f"{e}\n{report.to_frame().head(8).to_string()}")


def run_mutant(mutant: Mutant) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="captemstats-fuzz-") as tmp:
        folder = Path(tmp)
        mutant.write(folder)
        return classify(mutant, folder)


# ----------------------------------------------------------------------------- mutations

Draw = Callable[[st.SearchStrategy[Any]], Any]


def _copy(tables: dict[str, RawTable]) -> dict[str, RawTable]:
    return {n: RawTable(list(t.header), [list(r) for r in t.rows]) for n, t in tables.items()}


def _cells(tables: dict[str, RawTable], kinds: tuple[str, ...], *, filled: bool = True) -> list:
    """(table, row index, column name, spec) of cells whose column kind is in ``kinds``."""
    out = []
    for name, t in tables.items():
        spec = TABLES[name]
        for j, col in enumerate(t.header):
            if col not in spec.names:
                continue  # an extra column added by a preserving step
            cs = spec.column(col)
            if cs.kind not in kinds:
                continue
            for i, row in enumerate(t.rows):
                if bool(row[j].strip()) == filled:
                    out.append((name, i, col, cs))
    return out


def _set(m: Mutant, name: str, i: int, col: str, value: str) -> None:
    t = m.tables[name]
    t.rows[i][t.header.index(col)] = value


def _get(m: Mutant, name: str, i: int, col: str) -> str:
    t = m.tables[name]
    return t.rows[i][t.header.index(col)].strip()


def _line(i: int) -> int:
    return i + 2  # header is line 1, no blank lines when a breaking mutation is applied


def _pick(draw: Draw, items: list) -> Any:
    return items[draw(st.integers(0, len(items) - 1))]


# preserving --------------------------------------------------------------------------


def p_separator(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    m.sep[name] = draw(st.sampled_from([";", "\t"]))
    m.steps.append(f"separator {m.sep[name]!r} in {name}")


def p_bom(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    m.bom.add(name)
    m.steps.append(f"BOM in {name}")


def p_crlf(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    m.crlf.add(name)
    m.steps.append(f"CRLF in {name}")


def p_shuffle(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    t = m.tables[name]
    order = draw(st.permutations(range(len(t.header))))
    t.header = [t.header[k] for k in order]
    t.rows = [[r[k] for k in order] for r in t.rows]
    m.steps.append(f"columns shuffled in {name}")


def p_extra_column(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    t = m.tables[name]
    ascii_text = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=12)
    values = st.one_of(ascii_text, st.sampled_from(["=1+1", "@SUM(A1)", "-2", "x"]))
    name_ = draw(st.sampled_from(["notes", "zz_extra", "Hasta notu"]))
    while name_ in t.header:  # a second extra column needs its own name
        name_ += "_2"
    t.header.append(name_)
    for r in t.rows:
        r.append(draw(values).replace("\x00", ""))
    m.steps.append(f"extra column in {name}")


def p_pad(draw: Draw, m: Mutant) -> None:
    name, i, col, _ = _pick(draw, _cells(m.tables, ("category", "boolean", "number", "date")))
    _set(m, name, i, col, f"  {_get(m, name, i, col)} ")
    m.steps.append(f"padded {name}:{i}:{col}")


def p_case(draw: Draw, m: Mutant) -> None:
    name, i, col, _ = _pick(draw, _cells(m.tables, ("category", "boolean")))
    value = _get(m, name, i, col)
    _set(m, name, i, col, draw(st.sampled_from([value.upper(), value.title()])))
    m.steps.append(f"case {name}:{i}:{col}")


def _iso_cells(m: Mutant) -> list:
    import re

    iso = re.compile(r"\d{4}-\d{2}-\d{2}")
    return [c for c in _cells(m.tables, ("date",)) if iso.fullmatch(_get(m, *c[:3]))]


def p_dayfirst(draw: Draw, m: Mutant) -> None:
    name, i, col, _ = _pick(draw, _iso_cells(m))
    y, mo, d = _get(m, name, i, col).split("-")
    sep = draw(st.sampled_from([".", "/", "-"]))
    if sep == "/" and int(d) <= 12 and int(mo) <= 12 and d != mo:
        sep = "."  # d/m with both <= 12 is fine too, but keep to the unambiguous dotted form
    _set(m, name, i, col, f"{d}{sep}{mo}{sep}{y}")
    m.steps.append(f"day-first date {name}:{i}:{col}")


def p_zeros(draw: Draw, m: Mutant) -> None:
    name, i, col, _ = _pick(draw, _cells(m.tables, ("number", "integer")))
    value = _get(m, name, i, col)
    new = value + (".0" if "." not in value else "0")
    _set(m, name, i, col, new)
    m.steps.append(f"trailing zeros {name}:{i}:{col}")


def p_bool_synonym(draw: Draw, m: Mutant) -> None:
    name, i, col, _ = _pick(draw, _cells(m.tables, ("boolean",)))
    value = _get(m, name, i, col).strip().casefold()
    yes = value in ("yes", "true", "1", "y", "t")
    _set(m, name, i, col, draw(st.sampled_from(["true", "1", "Y"] if yes else ["false", "0", "N"])))
    m.steps.append(f"yes/no synonym {name}:{i}:{col}")


def p_blank_lines(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    m.blank_lines.add(name)
    m.steps.append(f"blank lines in {name}")


def p_ascii_encoding(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(("lesions", "adverse_events")))  # ASCII-only tables
    m.encoding[name] = "cp1254"
    m.steps.append(f"cp1254 (ASCII content) in {name}")


PRESERVING = {
    "separator": p_separator,
    "bom": p_bom,
    "crlf": p_crlf,
    "shuffle_columns": p_shuffle,
    "extra_column": p_extra_column,
    "pad_cell": p_pad,
    "case": p_case,
    "day_first_date": p_dayfirst,
    "trailing_zeros": p_zeros,
    "yes_no_synonym": p_bool_synonym,
    "ascii_cp1254": p_ascii_encoding,
}


# breaking ----------------------------------------------------------------------------


def _refuse_cell(m: Mutant, name: str, i: int, col: str, what: str) -> None:
    m.expect = Expectation("refuse", name, _line(i), col, what)
    m.steps.append(what)


def b_wrong_type(draw: Draw, m: Mutant) -> None:
    name, i, col, cs = _pick(
        draw, _cells(m.tables, ("number", "integer", "date", "boolean", "category"))
    )
    junk = draw(
        st.one_of(
            st.sampled_from(["abc", "n/a?", "1,2,3", "nan", "inf", "--", "12abc", "yes!", "#REF!"]),
            st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=8)
            .map(str.strip)
            .filter(lambda s: bool(s) and s.casefold() not in _ACCEPTED),
        )
    )
    if cs.kind == "category" and junk.casefold() in {c.casefold() for c in cs.categories}:
        junk = "zz" + junk
    if _parses(cs.kind, junk):
        junk = "abc"
    _set(m, name, i, col, junk)
    _refuse_cell(m, name, i, col, f"wrong type {junk!r} at {name}:{_line(i)}:{col}")


_ACCEPTED = {"yes", "no", "true", "false", "1", "0", "y", "n", "t", "f"}


def _parses(kind: str, text: str) -> bool:
    import re

    if kind == "number":
        return bool(re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?", text.strip()))
    if kind == "integer":
        return bool(re.fullmatch(r"[+-]?\d+(?:[.,]0*)?", text.strip()))
    if kind == "date":
        return bool(re.search(r"\d", text)) and bool(re.fullmatch(r"[\d./ :T-]+", text.strip()))
    if kind == "boolean":
        return text.strip().casefold() in _ACCEPTED
    return False


def _bounded_cells(m: Mutant) -> list:
    return [c for c in _cells(m.tables, ("number", "integer")) if c[3].maximum is not None]


def b_out_of_range(draw: Draw, m: Mutant) -> None:
    name, i, col, cs = _pick(draw, _bounded_cells(m))
    high = draw(st.booleans())
    if cs.kind == "integer":
        value = (
            str(int(cs.maximum) + draw(st.integers(1, 1000)))
            if high
            else str(int(cs.minimum) - draw(st.integers(1, 1000)))
        )
    else:
        step = draw(st.floats(0.5, 1e6, allow_nan=False))
        value = repr(cs.maximum + step) if high else repr(cs.minimum - step)
    _set(m, name, i, col, value)
    _refuse_cell(m, name, i, col, f"out of range {value} at {name}:{_line(i)}:{col}")


def b_huge(draw: Draw, m: Mutant) -> None:
    name, i, col, cs = _pick(draw, _bounded_cells(m))
    value = draw(st.sampled_from(["1e308", "9" * 40, "1e400", "-1e308", "9" * 19, "-" + "9" * 25]))
    if cs.kind == "integer" and "e" in value:
        value = "9" * 30
    _set(m, name, i, col, value)
    _refuse_cell(m, name, i, col, f"huge value {value} at {name}:{_line(i)}:{col}")


def b_bad_date(draw: Draw, m: Mutant) -> None:
    name, i, col, _ = _pick(draw, _iso_cells(m))
    y, mo, d = _get(m, name, i, col).split("-")
    value = draw(
        st.sampled_from(
            [f"{y}-02-30", f"{y}-13-{d}", f"32.{mo}.{y}", f"{y}-00-10", f"{d}.{mo}.{y[2:]}"]
        )
    )
    if int(d) > 12:  # a month-first spelling is refused too
        value = draw(st.sampled_from([value, f"{mo}/{d}/{y}"]))
    _set(m, name, i, col, value)
    _refuse_cell(m, name, i, col, f"bad date {value} at {name}:{_line(i)}:{col}")


def b_blank_required(draw: Draw, m: Mutant) -> None:
    cells = [c for c in _cells(m.tables, tuple(_KINDS)) if not c[3].nullable]
    name, i, col, _ = _pick(draw, cells)
    _set(m, name, i, col, draw(st.sampled_from(["", "  "])))
    _refuse_cell(m, name, i, col, f"blanked required {name}:{_line(i)}:{col}")


_KINDS = ("string", "category", "integer", "number", "boolean", "date")


def b_drop_column(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    t = m.tables[name]
    spec = TABLES[name]
    required = [c for c in t.header if c in spec.names and spec.column(c).required]
    required = [c for c in required if c != "patient_id"]
    col = _pick(draw, required)
    j = t.header.index(col)
    t.header.pop(j)
    for r in t.rows:
        r.pop(j)
    m.expect = Expectation("refuse", name, None, col, f"dropped {name}.{col}")
    m.steps.append(f"dropped column {name}.{col}")


def b_duplicate_row(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(("patients", "lesions")))
    t = m.tables[name]
    i = draw(st.integers(0, len(t.rows) - 1))
    t.rows.append(list(t.rows[i]))
    line = _line(len(t.rows) - 1)
    col = "patient_id" if name == "patients" else None
    m.expect = Expectation("refuse", name, line, col, f"duplicated {name} row {i}")
    m.steps.append(f"duplicated {name} row {_line(i)} as line {line}")


def b_orphan_row(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(("lesions", "adverse_events")))
    t = m.tables[name]
    i = draw(st.integers(0, len(t.rows) - 1))
    ghost = draw(st.sampled_from(["P999", "X1", "p001 ", "P0001"]))
    _set(m, name, i, "patient_id", ghost)
    if ghost.strip() == "p001":
        pass  # ids are case-sensitive: a different patient
    _refuse_cell(m, name, i, "patient_id", f"orphan {ghost!r} at {name}:{_line(i)}")


def b_extra_field(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(TABLE_NAMES))
    t = m.tables[name]
    i = draw(st.integers(0, len(t.rows) - 1))
    t.rows[i].append(draw(st.sampled_from(["x", "1", "extra"])))
    m.expect = Expectation("refuse", name, _line(i), None, f"extra field in {name} row")
    m.steps.append(f"extra field at {name}:{_line(i)}")


def b_empty_table(draw: Draw, m: Mutant) -> None:
    name = draw(st.sampled_from(("patients", "adverse_events")))
    kind = "refuse"
    if draw(st.booleans()):
        m.raw_bytes[name] = draw(st.sampled_from([b"", b"\n\n", b"\xef\xbb\xbf"]))
    else:
        m.tables[name].rows = []
        kind = "warn" if name == "adverse_events" else "refuse"
    m.expect = Expectation(kind, name, None, None, f"empty {name}")
    m.steps.append(f"empty table {name}")


def b_encoding(draw: Draw, m: Mutant) -> None:
    m.encoding["patients"] = draw(st.sampled_from(["cp1254", "latin-1", "utf-16"]))
    if m.encoding["patients"] == "latin-1":
        m.encoding["patients"] = "cp1254"  # the Turkish letters are not in latin-1
    m.expect = Expectation("refuse", "patients", None, None, "patients not UTF-8")
    m.steps.append(f"patients encoded as {m.encoding['patients']}")


BREAKING = {
    "wrong_type": b_wrong_type,
    "out_of_range": b_out_of_range,
    "huge_value": b_huge,
    "bad_date": b_bad_date,
    "blank_required": b_blank_required,
    "drop_column": b_drop_column,
    "duplicate_row": b_duplicate_row,
    "orphan_row": b_orphan_row,
    "extra_field": b_extra_field,
    "empty_table": b_empty_table,
    "bad_encoding": b_encoding,
}


@st.composite
def mutants(draw: Draw) -> Mutant:
    """A mutant of tests/data/valid: 0-3 preserving steps and at most one breaking step."""
    m = Mutant(_copy(load_valid()))
    breaking = draw(st.sampled_from([None, None, None, *BREAKING]))
    for key in draw(st.lists(st.sampled_from(sorted(PRESERVING)), max_size=3)):
        PRESERVING[key](draw, m)
    if breaking is not None:
        BREAKING[breaking](draw, m)
    elif draw(st.booleans()):
        p_blank_lines(draw, m)
    return m
