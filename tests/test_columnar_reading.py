"""Typed and column-wise reading (issue 15): the fast paths read exactly what the text paths read.

* A Parquet registry is read on its column types (:mod:`captemstats.io.typed`); the same
  registry written as CSV, with the text the former Parquet reader made of each typed cell, is
  read through the text parser. Both must give the same typed frames and the same problems.
* A quote-free CSV is split column-wise by pyarrow (:mod:`captemstats.io.fastcsv`); it must
  give the cells and lines of the record-by-record :mod:`csv` reader.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from captemstats.io import Registry, read_registry
from captemstats.io.fastcsv import read_simple_csv
from captemstats.io.mapping import TableMapping
from captemstats.io.readers import _read_records
from captemstats.io.typed import distinct_text, native_text, parse_typed
from captemstats.schema import PATIENTS
from captemstats.validation.report import ValidationReport

DATA = Path(__file__).resolve().parent.parent / "data" / "registry"
TODAY = pd.Timestamp("2025-01-01")


@pytest.fixture(scope="module")
def base() -> Registry:
    """The shipped registry's first 30 patients, with their lesions and adverse events."""
    reg = read_registry(DATA)
    keep = set(reg.patients["patient_id"].iloc[:30])
    return Registry(
        patients=reg.patients.iloc[:30],
        lesions=reg.lesions[reg.lesions["patient_id"].isin(keep)],
        adverse_events=reg.adverse_events[reg.adverse_events["patient_id"].isin(keep)],
    )


FLOATS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 1.0, 3.0, 12.5, 1e15, 1e16, 1e18, 1e20, 2.0**53, 123.456]),
)
INTS = st.one_of(
    st.integers(-(2**63), 2**63 - 1),
    st.sampled_from([0, 1, 2, 5, -1, 10**18 - 1, 10**18, 2**53, 2**53 + 1]),
)
DATES = st.one_of(
    st.datetimes(
        min_value=pd.Timestamp("1678-01-02").to_pydatetime(),
        max_value=pd.Timestamp("2261-12-30").to_pydatetime(),
    ),
    st.sampled_from([pd.Timestamp("2020-02-29 13:45:00").to_pydatetime()]),
)
TOKENS = st.sampled_from(
    [
        "yes",
        "no",
        "1",
        "0",
        "12",
        "12,5",
        "x",
        "2020-01-02",
        "31.02.2020",
        "05/13/2020",
        "female",
        "target",
        "C29",
        "true",
    ]
)


def _holes(values: list[object], missing: list[bool], hole: object = None) -> list[object]:
    return [hole if m else v for v, m in zip(values, missing, strict=True)]


@st.composite
def typed_column(draw: st.DrawFn, n: int) -> pd.Series:
    """A column of ``n`` cells of one random type, with missing cells."""
    kinds = ["float", "int", "Int64", "bool", "boolean", "date", "date_ms", "string"]
    kind = draw(st.sampled_from(kinds))
    missing = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    if kind == "float":
        values = draw(st.lists(FLOATS, min_size=n, max_size=n))
        return pd.Series(_holes(values, missing, np.nan), dtype="float64")
    if kind in ("int", "Int64"):
        values = draw(st.lists(INTS, min_size=n, max_size=n))
        if kind == "int":
            return pd.Series(values, dtype="int64")
        return pd.Series(_holes(values, missing), dtype="Int64")
    if kind in ("bool", "boolean"):
        values = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        if kind == "bool":
            return pd.Series(values, dtype=bool)
        return pd.Series(_holes(values, missing), dtype="boolean")
    if kind == "date":
        values = draw(st.lists(DATES, min_size=n, max_size=n))
        return pd.Series(_holes(values, missing), dtype="datetime64[ns]")
    if kind == "date_ms":  # beyond the nanosecond range: the text reader refuses the year
        days = pd.Series(pd.to_datetime(["1999-12-31"] * n)).astype("datetime64[ms]")
        far = pd.Series([np.datetime64("3000-01-01", "ms")] * n, dtype="datetime64[ms]")
        return far.where(pd.Series(missing), days)
    values = draw(st.lists(TOKENS, min_size=n, max_size=n))
    return pd.Series(_holes(values, missing), dtype="string")


def _write(reg: Registry, folder: Path, columns: dict[str, pd.Series]) -> None:
    """The registry as Parquet (typed) in ``folder/parquet`` and as CSV (the typed cells'
    text) in ``folder/csv``."""
    for fmt in ("parquet", "csv"):
        (folder / fmt).mkdir(parents=True, exist_ok=True)
    for name in ("patients", "lesions", "adverse_events"):
        frame = reg.table(name).reset_index(drop=True)
        if name == "patients":
            for col, s in columns.items():
                frame[col] = s.to_numpy() if s.dtype == object else s.array
        frame.to_parquet(folder / "parquet" / f"{name}.parquet", index=False)
        # the text the former reader made of the file's cells, as pandas reads them back
        back = pd.read_parquet(folder / "parquet" / f"{name}.parquet")
        text = {c: native_text(back[c]).astype(object) for c in frame.columns}
        with (folder / "csv" / f"{name}.csv").open("w", newline="", encoding="utf-8") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(frame.columns)
            for row in zip(*(text[c] for c in frame.columns), strict=True):
                w.writerow(["" if pd.isna(v) else v for v in row])


def _problems(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["file"] = out["file"].str.replace(r"\.(csv|parquet)$", "", regex=True)
    return out


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_typed_parquet_reads_like_its_text(
    base: Registry, tmp_path_factory: pytest.TempPathFactory, data: st.DataObject
) -> None:
    n = len(base.patients)
    names = data.draw(
        st.lists(st.sampled_from(PATIENTS.names[1:]), min_size=1, max_size=4, unique=True)
    )
    columns = {c: data.draw(typed_column(n)) for c in names}
    folder = tmp_path_factory.mktemp("reg")
    _write(base, folder, columns)
    typed = read_registry(folder / "parquet", max_problems=None)
    text = read_registry(folder / "csv", max_problems=None)
    for name in ("patients", "lesions", "adverse_events"):
        pd.testing.assert_frame_equal(typed.table(name), text.table(name), check_exact=True)
    pd.testing.assert_frame_equal(_problems(typed.parse_problems), _problems(text.parse_problems))
    assert typed.unreadable.keys() == text.unreadable.keys()
    for table, cols in typed.unreadable.items():
        assert cols.keys() == text.unreadable[table].keys()
        for c, lines in cols.items():
            np.testing.assert_array_equal(lines, text.unreadable[table][c])
    a, b = (
        typed.validate(today=TODAY, max_problems=None),
        text.validate(today=TODAY, max_problems=None),
    )
    pd.testing.assert_frame_equal(_problems(a.frame), _problems(b.frame))


def test_typed_columns_read_directly() -> None:
    """The direct readings: dates lose their time of day, integers and booleans keep their
    values; a float number column and out-of-bounds integers go to the text reading."""
    m = TableMapping()
    date = PATIENTS.column("diagnosis_date")
    s = pd.Series(pd.to_datetime(["2020-01-02 10:30", None]))
    out = parse_typed(s, date, m)
    assert out is not None and out.tolist()[0] == pd.Timestamp("2020-01-02")
    assert out.dtype == "datetime64[ns]"
    ecog = PATIENTS.column("ecog")
    assert parse_typed(pd.Series([1, 2], dtype="int64"), ecog, m).dtype == "Int64"  # type: ignore[union-attr]
    assert parse_typed(pd.Series([10**18]), ecog, m) is None
    assert parse_typed(pd.Series([1.5]), ecog, m) is None
    assert parse_typed(pd.Series([2.0, np.nan]), ecog, m).tolist() == [2, pd.NA]  # type: ignore[union-attr]
    assert parse_typed(pd.Series([12.5]), PATIENTS.column("ki67"), m) is None
    flag = PATIENTS.column("comorbidity")
    assert parse_typed(pd.Series([True, None], dtype="boolean"), flag, m).tolist() == [True, pd.NA]  # type: ignore[union-attr]
    swapped = TableMapping(false_values=("true",))
    assert parse_typed(pd.Series([True], dtype="boolean"), flag, swapped) is None


def test_distinct_text_equals_native_text() -> None:
    s = pd.Series([1.5, 1.5, np.nan, 2.0, 1.5, 2.0, 1e20, np.nan] * 3)
    pd.testing.assert_series_equal(distinct_text(s), native_text(s))
    z = pd.Series([0.0, -0.0, 0.0, 0.0])  # one value to factorize, two texts
    assert distinct_text(z).tolist() == ["0", "-0", "0", "0"]


# --------------------------------------------------------------------------- CSV

CELLS = st.text(alphabet=st.sampled_from(list("ab1 ,;\t.-\u00a0\u2028\x85\x1cé")), max_size=4)


@settings(max_examples=200)
@given(
    header=st.lists(st.sampled_from(["a", "b", "c", "", " d "]), min_size=1, max_size=4),
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=5), max_size=8),
    sep=st.sampled_from([",", ";", "\t"]),
    blank=st.lists(st.sampled_from(["", "  ", ",,", "\t"]), max_size=3),
    final_newline=st.booleans(),
    crlf=st.booleans(),
)
def test_simple_csv_equals_record_reader(
    header: list[str],
    rows: list[list[str]],
    sep: str,
    blank: list[str],
    final_newline: bool,
    crlf: bool,
) -> None:
    lines = [*blank, sep.join(header), *(sep.join(r) for r in rows), *blank]
    end = "\r\n" if crlf else "\n"
    text = end.join(lines) + (end if final_newline else "")
    fast = read_simple_csv(text, sep)
    try:
        slow = _read_records(text, sep, "patients", "p.csv")
    except Exception:
        assert fast is None
        return
    if fast is None:  # refused: only when the record reader reports a field count
        assert slow[1] or not sep.join(header).replace(sep, "").strip()
        return
    assert not slow[1]
    frame, header_line = fast
    assert header_line == slow[2]
    assert list(frame.columns) == list(slow[0].columns)
    assert frame.index.equals(slow[0].index)
    for i in range(frame.shape[1]):
        assert frame.iloc[:, i].astype(object).tolist() == slow[0].iloc[:, i].tolist()


@pytest.mark.parametrize(
    "text", ['a,b\n"x,y",2\n', "a,b\r1,2\r\n", "a,b\n1,2,3\n", "a,b\n1\x002\n", "\n \n"]
)
def test_simple_csv_refuses_what_needs_the_record_reader(text: str) -> None:
    assert read_simple_csv(text, ",") is None


def test_report_summary_by_rule(tmp_path: Path) -> None:
    """484 orphan rows: one summary line per table and rule, with counts and first examples."""
    reg = read_registry(DATA)
    lesions = reg.lesions.copy()
    lesions["patient_id"] = (
        lesions["patient_id"].where(np.arange(len(lesions)) >= 484, "NOBODY").astype("string")
    )
    bad = Registry(reg.patients, lesions, reg.adverse_events, sources=reg.sources)
    report: ValidationReport = bad.validate(today=TODAY)
    summary = report.summary_frame()
    row = summary[(summary["table"] == "lesions") & (summary["rule"] == "unknown_patient")]
    assert len(row) == 1 and int(row["n"].iloc[0]) == 484
    lines = report.summary_lines()
    assert sum("unknown_patient" in line for line in lines) == 1
    assert any("484" in line for line in lines)


def test_full_width_comma_counts_as_a_decimal_comma() -> None:
    """The shortcut for comma-free number columns sees full-width commas too."""
    from captemstats.io.coerce import detect_decimal

    raw = pd.DataFrame({"ki67": pd.Series(["１２，５", "3，5", None], dtype="string")})
    assert detect_decimal(raw, PATIENTS, None) == ","
    typed = pd.DataFrame({"ki67": pd.Series([12.5, 3.25, np.nan])})
    assert detect_decimal(typed, PATIENTS, None) == "."
