"""Reading registries: formats, encodings, separators, decimal marks, dates, mappings."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from captemstats.errors import RegistryReadError
from captemstats.io import ColumnMapping, Registry, TableMapping, load_mapping, read_registry
from captemstats.io.coerce import ParseContext, _parse_date, _parse_number
from captemstats.schema import TABLES

DATA = Path(__file__).parent / "data"
VALID = DATA / "valid"


@pytest.fixture(scope="module")
def valid() -> Registry:
    return read_registry(VALID)


def assert_same(a: Registry, b: Registry, *, check_index: bool = True) -> None:
    for name in TABLES:
        left, right = a.table(name), b.table(name)
        if not check_index:
            left, right = left.reset_index(drop=True), right.reset_index(drop=True)
        pd.testing.assert_frame_equal(left, right)


def to_native(frame: pd.DataFrame) -> pd.DataFrame:
    """Typed frame -> object columns with None for missing (what writers accept)."""
    out = frame.reset_index(drop=True).astype(object)
    return out.where(frame.reset_index(drop=True).notna(), None)


# --------------------------------------------------------------------------- typed contract


def test_typed_frames_follow_the_dtype_contract(valid: Registry) -> None:
    kinds = {"string": "string", "category": "string", "integer": "Int64"}
    kinds |= {"number": "float64", "boolean": "boolean", "date": "datetime64[ns]"}
    for name, spec in TABLES.items():
        frame = valid.table(name)
        assert list(frame.columns) == list(spec.names)
        assert frame.index.name == "_row"
        for col in spec.columns:
            assert str(frame[col.name].dtype) == kinds[col.kind], (name, col.name)
    assert valid.parse_problems.empty
    assert len(valid.patients) == 8 and len(valid.lesions) == 45 and len(valid.adverse_events) == 11


def test_row_index_is_the_file_line(valid: Registry) -> None:
    assert list(valid.patients.index) == list(range(2, 10))
    p = valid.patients.set_index("patient_id")
    assert p.loc["P002", "birth_date"] == pd.Timestamp("1961-07-14")
    assert pd.isna(p.loc["P002", "age"])
    assert p.loc["P001", "center"] == "İstanbul Çapa"
    assert p.loc["P006", "ki67"] == pytest.approx(4.2)


def test_sources_record_hash_rows_and_format(valid: Registry) -> None:
    import hashlib

    src = valid.sources["patients"]
    assert src.sha256 == hashlib.sha256((VALID / "patients.csv").read_bytes()).hexdigest()
    assert (src.rows, src.format, src.separator, src.decimal) == (8, "csv", ",", ".")


def test_blank_lines_and_quoted_newlines_keep_line_numbers(tmp_path: Path) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    lines = (reg / "patients.csv").read_text(encoding="utf-8").splitlines()
    # a blank line after the header, and a quoted center name spanning two lines in row 1
    lines[1] = lines[1].replace("İstanbul Çapa", '"İstanbul\nÇapa"')
    text = "\n".join([lines[0], "", *lines[1:]]) + "\n"
    (reg / "patients.csv").write_text(text, encoding="utf-8")
    reg_read = read_registry(reg)
    assert list(reg_read.patients.index) == [3, *range(5, 12)]
    assert reg_read.patients["center"].iloc[0] == "İstanbul\nÇapa"


# ------------------------------------------------------------------ encodings, CSV dialects


@pytest.mark.parametrize("folder", ["cp1254", "utf8_bom"])
def test_european_exports_load_to_the_same_values(valid: Registry, folder: str) -> None:
    other = read_registry(DATA / folder, encoding="cp1254")
    assert_same(valid, other)
    assert other.sources["patients"].separator == ";"
    assert other.sources["patients"].decimal == ","
    assert other.parse_problems.empty


def test_cp1254_bytes_really_are_cp1254() -> None:
    raw = (DATA / "cp1254" / "patients.csv").read_bytes()
    assert "İstanbul Çapa".encode("cp1254") in raw
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")


def test_undecodable_file_names_file_and_byte_offset() -> None:
    raw = (DATA / "cp1254" / "patients.csv").read_bytes()
    offset = raw.index("İ".encode("cp1254"))
    with pytest.raises(RegistryReadError, match=rf"patients.csv.*offset {offset}.*--encoding"):
        read_registry(DATA / "cp1254")


def test_bytes_undefined_in_the_given_encoding(tmp_path: Path) -> None:
    reg = tmp_path / "r"
    shutil.copytree(DATA / "cp1254", reg)
    data = (reg / "patients.csv").read_bytes().replace(b"P003", b"P\x81\xff3")
    (reg / "patients.csv").write_bytes(data)
    with pytest.raises(RegistryReadError, match=r"neither UTF-8 nor cp1254.*0x81"):
        read_registry(reg, encoding="cp1254")


def test_latin1_export(tmp_path: Path, valid: Registry) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    text = (reg / "patients.csv").read_text(encoding="utf-8")
    text = text.replace("İstanbul Çapa", "Zürich Hôpital")
    for turkish in ("Şişli Etfal", "İzmir Ege", "Eskişehir Osmangazi"):
        text = text.replace(turkish, "Other")
    (reg / "patients.csv").write_bytes(text.encode("latin-1"))
    got = read_registry(reg, encoding="latin-1")
    assert got.patients["center"].iloc[0] == "Zürich Hôpital"
    assert got.sources["patients"].encoding == "latin-1"


def test_turkish_mapping_gives_the_same_registry(valid: Registry) -> None:
    got = read_registry(DATA / "turkish", mapping=DATA / "mapping_turkish.yaml")
    assert_same(valid, got)
    assert got.parse_problems.empty


def test_mixed_decimal_marks_are_reported_not_guessed(tmp_path: Path) -> None:
    reg = tmp_path / "r"
    shutil.copytree(DATA / "utf8_bom", reg)
    text = (reg / "patients.csv").read_text(encoding="utf-8-sig")
    (reg / "patients.csv").write_text(text.replace(";8,5;", ";8.5;"), encoding="utf-8-sig")
    got = read_registry(reg)
    p = got.parse_problems
    assert list(p["rule"]) == ["wrong_type"] and p["value"].iloc[0] == "8.5"
    assert "decimal mark" in p["message"].iloc[0]
    assert p["line"].iloc[0] == 2 and p["column"].iloc[0] == "ki67"
    assert pd.isna(got.patients["ki67"].iloc[0])


# --------------------------------------------------------------------------- other formats


def test_xlsx_workbook_and_per_table_files(tmp_path: Path, valid: Registry) -> None:
    book = tmp_path / "registry.xlsx"
    with pd.ExcelWriter(book) as xw:
        for name in TABLES:
            to_native(valid.table(name)).to_excel(xw, sheet_name=name.upper(), index=False)
    assert_same(valid, read_registry(book))
    folder = tmp_path / "folder"
    folder.mkdir()
    for name in TABLES:
        to_native(valid.table(name)).to_excel(folder / f"{name}.xlsx", index=False)
    got = read_registry(folder)
    assert_same(valid, got)
    assert got.sources["lesions"].format == "xlsx"


def test_parquet_round_trip(tmp_path: Path, valid: Registry) -> None:
    for name in TABLES:
        valid.table(name).to_parquet(tmp_path / f"{name}.parquet")
    got = read_registry(tmp_path)
    assert_same(valid, got)


def test_spss_round_trip_applies_value_labels_before_mapping(
    tmp_path: Path, valid: Registry
) -> None:
    import pyreadstat

    for name in TABLES:
        frame = valid.table(name).reset_index(drop=True)
        out = pd.DataFrame(index=frame.index)
        labels: dict[str, dict[float, str]] = {}
        for col in frame.columns:
            s = frame[col]
            if str(s.dtype) in ("boolean", "Int64"):
                out[col] = s.astype("Float64").astype(float)
            elif str(s.dtype) == "string":
                out[col] = s.fillna("").astype(object)
            else:
                out[col] = s
        if name == "patients":  # SPSS-style coded variable with Turkish value labels
            out["sex"] = frame["sex"].map({"female": 1.0, "male": 2.0})
            labels["sex"] = {1.0: "Kadın", 2.0: "Erkek"}
        pyreadstat.write_sav(out, str(tmp_path / f"{name}.sav"), variable_value_labels=labels)
    mapping = ColumnMapping(patients=TableMapping(recode={"sex": {"kadın": "female"}}))
    mapping = mapping.model_copy(
        update={"patients": TableMapping(recode={"sex": {"Kadın": "female", "Erkek": "male"}})}
    )
    got = read_registry(tmp_path, mapping=mapping)
    assert got.parse_problems.empty, got.parse_problems
    assert_same(valid, got)


def test_optional_lesions_table_may_be_absent(tmp_path: Path) -> None:
    for name in ("patients", "adverse_events"):
        shutil.copy(VALID / f"{name}.csv", tmp_path)
    got = read_registry(tmp_path)
    assert got.lesions.empty and list(got.lesions.columns) == list(TABLES["lesions"].names)
    assert "lesions" not in got.sources
    assert got.validate(today="2026-01-01").ok


# --------------------------------------------------------------------------- unreadable input


@pytest.mark.parametrize(
    ("setup", "match"),
    [
        ("missing_folder", "does not exist"),
        ("missing_patients", r"required table patients not found"),
        ("wrong_suffix", r"found patients.json but only"),
        ("two_files", r"given more than once"),
        ("not_xlsx", r"not supported"),
        ("corrupt_xlsx", r"not a readable .xlsx"),
        ("corrupt_parquet", r"not a readable Parquet"),
        ("empty_csv", r"empty"),
        ("repeated_header", r"repeated in the header"),
    ],
)
def test_unreadable_input_raises_a_clear_error(tmp_path: Path, setup: str, match: str) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    target: Path = reg
    if setup == "missing_folder":
        target = tmp_path / "nothing"
    elif setup == "missing_patients":
        (reg / "patients.csv").unlink()
    elif setup == "wrong_suffix":
        (reg / "patients.csv").rename(reg / "patients.json")
    elif setup == "two_files":
        shutil.copy(reg / "lesions.csv", reg / "lesions.tsv")
    elif setup == "not_xlsx":
        target = reg / "patients.csv"
    elif setup == "corrupt_xlsx":
        target = tmp_path / "bad.xlsx"
        target.write_bytes(b"not a zip")
    elif setup == "corrupt_parquet":
        (reg / "patients.csv").unlink()
        (reg / "patients.parquet").write_bytes(b"PAR1 nonsense")
    elif setup == "empty_csv":
        (reg / "adverse_events.csv").write_text("\n\n")
    elif setup == "repeated_header":
        text = (reg / "adverse_events.csv").read_text()
        (reg / "adverse_events.csv").write_text(text.replace("term", "grade", 1))
    with pytest.raises(RegistryReadError, match=match):
        read_registry(target)


# --------------------------------------------------------------------------- mapping files


def test_turkish_mapping_loads() -> None:
    m = load_mapping(DATA / "mapping_turkish.yaml")
    assert m.patients.rename["Cinsiyet"] == "sex"
    assert m.patients.recode["sex"]["Kadın"] == "female"
    assert m.table("patients").true_values == ["Evet"]
    assert m.table("lesions").encoding == "cp1254"


@pytest.mark.parametrize(
    ("yaml_text", "match"),
    [
        ("patients:\n  rename: {Cinsiyet: gender}\n", r"patients has no column 'gender'"),
        ("patients:\n  recode: {sex: {Kadın: woman}}\n", r"'woman' is not an allowed value"),
        ("patients:\n  recode: {cinsiyet: {Kadın: female}}\n", r"no column 'cinsiyet'"),
        ("visits:\n  rename: {a: b}\n", r"visits"),
        ("patients:\n  rename: {A: sex, B: sex}\n", r"both 'A' and 'B' map to 'sex'"),
        ("patients: [1, 2\n", r"not valid YAML"),
    ],
)
def test_bad_mapping_names_the_file(tmp_path: Path, yaml_text: str, match: str) -> None:
    path = tmp_path / "center_map.yaml"
    path.write_text(yaml_text, encoding="utf-8")
    with pytest.raises(RegistryReadError, match=rf"center_map.yaml.*{match}"):
        load_mapping(path)


def test_yaml_booleans_in_a_mapping_are_labels(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("patients:\n  recode:\n    comorbidity: {Var: yes, Yok: no}\n")
    m = load_mapping(path)
    assert m.patients.recode["comorbidity"] == {"Var": "true", "Yok": "false"}


# --------------------------------------------------------------------------- cell parsers


def _dates(
    values: list[str | None], dayfirst: bool | None = None
) -> tuple[list[object], list[str]]:
    s = pd.Series(values, dtype="string", index=range(2, 2 + len(values)))
    col = TABLES["patients"].column("diagnosis_date")
    parsed, bad, msg = _parse_date(
        s, col, ParseContext("patients", "p.csv", dayfirst=dayfirst), TableMapping()
    )
    messages = [msg[i] if isinstance(msg, pd.Series) else msg for i in s.index[bad]]
    return [None if pd.isna(v) else v.strftime("%Y-%m-%d") for v in parsed], messages


@pytest.mark.parametrize(
    ("text", "dayfirst", "expected", "message"),
    [
        ("2021-03-14", None, "2021-03-14", None),
        ("2021-3-4", None, "2021-03-04", None),
        ("2021-03-14 00:00:00", None, "2021-03-14", None),
        ("14.03.2021", None, "2021-03-14", None),
        ("14/03/2021", None, "2021-03-14", None),
        ("04/03/2021", None, "2021-03-04", None),
        ("04/03/2021", True, "2021-03-04", None),
        ("14.03.2021", False, None, "day-first dates are not accepted"),
        ("03/14/2021", None, None, "looks month-first"),
        ("03/14/2021", True, None, "looks month-first"),
        ("31.02.2021", None, None, "not a calendar date"),
        ("2021-13-01", None, None, "not a calendar date"),
        ("14.03.21", None, None, "not a date"),
        ("March 2021", None, None, "not a date"),
        (None, None, None, None),
    ],
)
def test_date_parsing(
    text: str | None, dayfirst: bool | None, expected: str | None, message: str | None
) -> None:
    values, messages = _dates([text], dayfirst)
    assert values == [expected]
    if message is None:
        assert messages == []
    else:
        assert len(messages) == 1 and message in messages[0]


def test_month_first_column_makes_its_other_slash_dates_ambiguous() -> None:
    values, messages = _dates(
        ["03/14/2021", "04/05/2021", "05/05/2021", "2021-01-02", "20/05/2021"]
    )
    # 04/05 could be either reading; 05/05 and 20/05 cannot be misread; ISO is unambiguous
    assert values == [None, None, "2021-05-05", "2021-01-02", "2021-05-20"]
    assert "month-first" in messages[0] and "ambiguous" in messages[1]


@settings(max_examples=60, deadline=None)
@given(
    st.dates(
        min_value=pd.Timestamp("1900-01-01").date(), max_value=pd.Timestamp("2100-12-31").date()
    )
)
def test_every_date_reads_back_in_all_accepted_forms(day: object) -> None:
    ts = pd.Timestamp(day)  # type: ignore[arg-type]
    forms = [ts.strftime("%Y-%m-%d"), ts.strftime("%d.%m.%Y"), ts.strftime("%d/%m/%Y")]
    values, messages = _dates(forms, dayfirst=True)
    assert values == [ts.strftime("%Y-%m-%d")] * 3 and messages == []


@settings(max_examples=80, deadline=None)
@given(st.decimals(min_value=-1000, max_value=1000, places=3, allow_nan=False))
def test_numbers_read_the_same_with_either_decimal_mark(x: object) -> None:
    text = format(x, "f")
    col = TABLES["patients"].column("ki67")
    dot, bad_dot, _ = _parse_number(
        pd.Series([text], dtype="string"), col, ParseContext("p", "f", "."), TableMapping()
    )
    comma_text = text.replace(".", ",")
    comma, bad_comma, _ = _parse_number(
        pd.Series([comma_text], dtype="string"), col, ParseContext("p", "f", ","), TableMapping()
    )
    assert not bad_dot.any() and not bad_comma.any()
    assert dot.iloc[0] == comma.iloc[0] == pytest.approx(float(text))


@pytest.mark.parametrize(
    ("column", "text", "rule", "typed"),
    [
        ("sex", "Female", None, "female"),
        ("sex", " male ", None, "male"),
        ("sex", "f", "unknown_code", None),
        ("comorbidity", "YES", None, True),
        ("comorbidity", "0", None, False),
        ("comorbidity", "maybe", "wrong_type", None),
        ("ecog", "1.0", None, 1),
        ("ecog", "1.5", "wrong_type", None),
        ("ki67", "1e1", None, 10.0),
        ("ki67", "12%", "wrong_type", None),
        ("ki67", "inf", "wrong_type", None),
        ("grade", "3", None, "3"),
        ("grade", "G3", "unknown_code", None),
        ("tumour_type", "net", None, "NET"),
    ],
)
def test_cell_parsing_table(
    tmp_path: Path, column: str, text: str, rule: str | None, typed: object
) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    frame = pd.read_csv(reg / "patients.csv", dtype=str, keep_default_na=False)
    frame.loc[2, column] = text
    frame.to_csv(reg / "patients.csv", index=False)
    got = read_registry(reg)
    p = got.parse_problems
    if rule is None:
        assert p.empty, p
        assert got.patients[column].iloc[2] == typed
    else:
        assert list(p["rule"]) == [rule]
        assert (p["line"].iloc[0], p["column"].iloc[0], p["value"].iloc[0]) == (
            4,
            column,
            text.strip(),
        )
        assert pd.isna(got.patients[column].iloc[2])


def test_unknown_and_case_variant_columns(tmp_path: Path) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    frame = pd.read_csv(reg / "patients.csv", dtype=str, keep_default_na=False)
    frame = frame.rename(columns={"sex": "SEX"}).assign(favourite_colour="blue")
    frame.to_csv(reg / "patients.csv", index=False)
    got = read_registry(reg)
    p = got.parse_problems
    assert list(p["rule"]) == ["unknown_column"] and p["column"].iloc[0] == "favourite_colour"
    assert p["severity"].iloc[0] == "warning"
    assert got.patients["sex"].iloc[0] == "female"


def test_missing_values_tokens_from_mapping(tmp_path: Path) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    text = (reg / "patients.csv").read_text(encoding="utf-8")
    (reg / "patients.csv").write_text(text.replace(",8.5,", ",NA,"), encoding="utf-8")
    assert list(read_registry(reg).parse_problems["rule"]) == ["wrong_type"]
    mapping = ColumnMapping(missing_values=["NA"])
    got = read_registry(reg, mapping=mapping)
    assert got.parse_problems.empty and pd.isna(got.patients["ki67"].iloc[0])


# --------------------------------------------------------------------- issue 13: realistic names


@pytest.mark.parametrize("name", ["Patients.csv", "PATIENTS.csv", "patients .csv", "patients.CSV"])
def test_a_table_file_differing_in_case_or_spaces_is_read(
    tmp_path: Path, valid: Registry, name: str
) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    (reg / "patients.csv").rename(reg / name)
    assert_same(valid, read_registry(reg))


def test_formula_cells_in_a_per_table_workbook_are_named(tmp_path: Path, valid: Registry) -> None:
    import openpyxl

    for name in TABLES:
        to_native(valid.table(name)).to_excel(tmp_path / f"{name}.xlsx", index=False)
    wb = openpyxl.load_workbook(tmp_path / "adverse_events.xlsx")
    wb.active.cell(row=3, column=3, value="=1+1")  # grade of the second event
    wb.save(tmp_path / "adverse_events.xlsx")
    p = read_registry(tmp_path).parse_problems
    assert p[["file", "line", "column", "value", "rule"]].to_dict("records") == [
        {
            "file": "adverse_events.xlsx[Sheet1]",
            "line": 3,
            "column": "grade",
            "value": "=1+1",
            "rule": "formula_without_value",
        }
    ]


@pytest.mark.parametrize(
    ("cell", "value"),
    [("٥٤", 54.0), ("５４", 54.0), ("54", 54.0), ("٥٫٥", 5.5), ("−3", None)],
)
def test_digits_of_other_scripts_are_read(tmp_path: Path, cell: str, value: float | None) -> None:
    reg = tmp_path / "r"
    shutil.copytree(VALID, reg)
    frame = pd.read_csv(reg / "patients.csv", dtype=str, keep_default_na=False)
    frame.loc[0, "age"] = cell
    frame.to_csv(reg / "patients.csv", index=False)
    got = read_registry(reg)
    if value is None:  # −3 (minus sign) reads as -3: out of range, reported by validation
        assert got.patients["age"].iloc[0] == -3.0
        assert "out_of_range" in set(got.validate(today="2026-01-01").frame["rule"])
    else:
        assert got.parse_problems.empty and got.patients["age"].iloc[0] == value


@pytest.mark.parametrize(
    ("cell", "formula"),
    [("=SUM(1,2)", True), ("= not a formula", True), ("3", False), ("text <f> in a cell", False)],
)
def test_formula_scan_of_a_workbook(tmp_path: Path, cell: str, formula: bool) -> None:
    import openpyxl

    from captemstats.io.excel import has_formulas

    book = tmp_path / "b.xlsx"
    wb = openpyxl.Workbook()
    wb.active["B7"] = cell
    wb.save(book)
    assert has_formulas(book) is formula
