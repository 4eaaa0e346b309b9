"""No silent change on realistic exports (issue 13, part 2).

Every fixture in ``tests/data/messy/`` (written by ``tests/data/make_messy_fixtures.py``) is a
valid registry exported with one real-world defect. Each must be refused or warned about with
its file, sheet, line, column and value named, or read to exactly the valid registry's values;
none may load silently with different results.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sys
import unicodedata
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from captemstats.cli import _register, app
from captemstats.errors import RegistryReadError
from captemstats.io import Registry, read_registry
from captemstats.io.text import ascii_digits, fold_key, fold_one, invisible_characters, tidy
from captemstats.schema import TABLES

DATA = Path(__file__).parent / "data"
MESSY = DATA / "messy"
CASES = sorted(p for p in MESSY.iterdir() if p.is_dir())
SHIPPED = Path(__file__).parents[1] / "data" / "registry"
TODAY = "2026-01-01"

_register()


def expected(folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    return result


def source(folder: Path) -> Path:
    book = folder / "registry.xlsx"
    return book if book.exists() else folder


def read(folder: Path) -> Registry:
    exp = expected(folder)
    mapping = folder / exp["mapping"] if "mapping" in exp else None
    return read_registry(source(folder), mapping=mapping)


@pytest.fixture(scope="module")
def valid() -> Registry:
    return read_registry(DATA / "valid")


def test_there_is_a_fixture_for_every_case_of_the_issue() -> None:
    names = " ".join(p.name for p in CASES)
    for case in (
        "formula_without_cached_value",
        "sheet_names_collide",
        "file_names_collide",
        "centre_spelling_variants",
        "turkish_upper_case_labels",
        "no_lesions_no_recorded_response",
        "invisible_character_in_id_bom",
        "invisible_character_in_id_nul",
        "invisible_character_in_id_nbsp",
        "invisible_character_in_id_zwsp",
        "non_ascii_digits",
    ):
        assert case in names


def test_fixtures_are_reproducible_from_their_script(tmp_path: Path) -> None:
    sys.path.insert(0, str(DATA))
    import make_messy_fixtures

    make_messy_fixtures.write_messy(tmp_path / "messy")

    def digests(root: Path) -> dict[str, str]:
        # Workbooks hold their creation time; their cells are compared by the cases below.
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and p.suffix != ".xlsx"
        }

    assert digests(tmp_path / "messy") == digests(MESSY)


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_messy_export_is_refused_warned_or_read_the_same(folder: Path, valid: Registry) -> None:
    exp = expected(folder)
    if "raises" in exp:
        with pytest.raises(RegistryReadError) as info:
            read(folder)
        assert exp["raises"] in str(info.value)
        assert str(folder.name) in str(info.value)  # the registry is named
        return
    registry = read(folder)
    report = registry.validate(today=TODAY)
    if exp.get("same_as_valid"):
        assert report.frame.empty, report.frame.to_dict("records")
        for name in TABLES:
            left = valid.table(name).reset_index(drop=True)
            right = registry.table(name).reset_index(drop=True)
            pd.testing.assert_frame_equal(left, right)
        return
    of_rule = report.frame[report.frame["rule"] == exp["rule"]]
    assert len(of_rule) == exp.get("n", 1), report.frame.to_dict("records")
    lines = of_rule["line"].astype("Int64")
    hit = of_rule[lines.eq(exp["line"]).fillna(False) if exp["line"] else lines.isna()].iloc[0]
    assert hit["severity"] == exp["severity"]
    assert hit["file"] == exp["file"]  # file and sheet: registry.xlsx[patients]
    assert (None if pd.isna(hit["line"]) else int(hit["line"])) == exp["line"]
    assert hit["column"] == exp["column"]
    assert exp["value"] in hit["value"]
    assert exp["message"] in hit["message"]
    # An error must make the registry invalid: nothing is analysed with different values.
    assert report.ok == (exp["severity"] == "warning")
    if "only_rules" in exp:
        assert set(report.frame["rule"]) == set(exp["only_rules"]), report.frame["rule"]
    if "n_centres" in exp:
        assert registry.patients["center"].nunique() == exp["n_centres"]


@pytest.mark.parametrize("folder", CASES, ids=[p.name for p in CASES])
def test_validate_command_on_messy_exports(folder: Path) -> None:
    exp = expected(folder)
    args = ["validate", str(source(folder)), "--format", "json"]
    if "mapping" in exp:
        args += ["--mapping", str(folder / exp["mapping"])]
    result = CliRunner().invoke(app, args)
    if "raises" in exp:
        assert result.exit_code == 2
        assert exp["raises"] in result.output and result.output.strip().count("\n") == 0
        return
    report = json.loads(result.output)
    if exp.get("same_as_valid"):
        assert result.exit_code == 0 and report["problems"] == []
        return
    assert result.exit_code == (1 if exp["severity"] == "error" else 0)
    assert any(
        p["rule"] == exp["rule"] and p["line"] == exp["line"] and p["column"] == exp["column"]
        for p in report["problems"]
    )


def test_invisible_character_in_a_lesion_row_is_reported_there(tmp_path: Path) -> None:
    reg = tmp_path / "r"
    shutil.copytree(DATA / "valid", reg)
    lines = (reg / "lesions.csv").read_text(encoding="utf-8").splitlines()
    lines[5] = lines[5].replace("P001", "P001\u200b", 1)  # file line 6
    (reg / "lesions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = read_registry(reg).validate(today=TODAY)
    rows = report.frame[["table", "line", "column", "rule"]].to_dict("records")
    assert rows == [
        {"table": "lesions", "line": 6, "column": "patient_id", "rule": "invisible_character"}
    ]


# ----------------------------------------------------------------- the shipped registry


def _analysis_numbers(path: Path) -> dict[str, Any]:
    from captemstats.analysis import analyze

    result = analyze(path)
    numbers = json.loads(result.to_json())
    for key in ("provenance", "validation", "notes"):
        numbers.pop(key)
    numbers["n_centres"] = int(result.cohort.data["center"].nunique())
    numbers["warnings"] = [w.rule for w in result.validation.warnings]
    return numbers


def _copy_shipped(tmp_path: Path) -> Path:
    """The shipped registry without its provenance record (an edited copy is not the
    synthetic registry it records, which analysis would rightly warn about)."""
    reg = tmp_path / "r"
    shutil.copytree(SHIPPED, reg)
    (reg / "provenance.json").unlink()
    return reg


def test_centre_spelling_variants_give_the_same_results(tmp_path: Path) -> None:
    reg = _copy_shipped(tmp_path)
    patients = pd.read_csv(reg / "patients.csv", dtype=str, keep_default_na=False)
    first = patients["center"].iloc[0]
    rows = patients.index[patients["center"] == first][:3]
    # lower case, a zero-width space, a full-width digit: one centre, three spellings
    spelt = [first.lower(), first + "\u200b", first[:-1] + chr(0xFF10 + int(first[-1]))]
    patients.loc[rows, "center"] = spelt
    patients.to_csv(reg / "patients.csv", index=False)
    same = _copy_shipped(tmp_path / "same")
    before, after = _analysis_numbers(same), _analysis_numbers(reg)
    assert after.pop("warnings").count("merged_variants") == 1
    before.pop("warnings")
    assert after == before  # 34 centres, the same cluster-robust Cox models


def test_registry_without_lesions_or_recorded_responses_says_so(tmp_path: Path) -> None:
    reg = _copy_shipped(tmp_path)
    (reg / "lesions.csv").unlink()
    patients = pd.read_csv(reg / "patients.csv", dtype=str, keep_default_na=False)
    patients["best_response"] = ""
    patients.to_csv(reg / "patients.csv", index=False)
    from captemstats.analysis import analyze

    result = analyze(reg)
    found = [w for w in result.validation.warnings if w.rule == "response_not_evaluable"]
    assert len(found) == 1
    n = len(patients)
    assert f"best_response is empty for {n} of {n} patients" in found[0].message
    assert found[0].message.startswith("response not evaluable from measurements")


# ----------------------------------------------------------------- normalisation units

FOLD_CASES = [
    ("KADIN", "kadın"),
    ("Kadın", "kadın"),
    ("HAYIR", "hayır"),
    ("EVET", "evet"),
    ("İZMİR", "izmir"),
    ("IZMIR", "İzmir"),
    ("LIVER", "liver"),
    ("Ankara\u00a0 Univ.", "ankara univ."),
    ("\ufeffAnkara\u200bUniv.", "Ankara Univ.".replace(" ", "")),
    ("ＮＥＴ", "net"),
]


@pytest.mark.parametrize(("a", "b"), FOLD_CASES)
def test_fold_key_makes_variants_one_label(a: str, b: str) -> None:
    assert fold_one(a) == fold_one(b)
    series = fold_key(pd.Series([a, b, None], dtype="string"))
    assert series.iloc[0] == series.iloc[1] and pd.isna(series.iloc[2])


@pytest.mark.parametrize(
    ("a", "b"),
    [("male", "female"), ("Ankara", "Ankara Gazi"), ("1", "2"), ("②", "2"), ("5²", "52")],
)
def test_fold_key_keeps_different_labels_apart(a: str, b: str) -> None:
    assert fold_one(a) != fold_one(b)


TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)


@settings(derandomize=True, max_examples=300, deadline=None)
@given(TEXT)
def test_fold_and_tidy_are_idempotent(value: str) -> None:
    assert fold_one(fold_one(value)) == fold_one(value)
    once = tidy(pd.Series([value], dtype="string")).iloc[0]
    assert tidy(pd.Series([once], dtype="string")).iloc[0] == once
    assert fold_one(value) == fold_one(value.upper().lower()) or not value.isascii()


#: Every Unicode decimal-digit script: the code point of its zero.
ZEROS = [
    c
    for c in range(sys.maxunicode + 1)
    if unicodedata.category(chr(c)) == "Nd" and unicodedata.digit(chr(c)) == 0
]


@settings(derandomize=True, max_examples=200, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(ZEROS))
def test_digits_of_any_script_read_as_ascii(number: int, zero: int) -> None:
    written = "".join(chr(zero + int(d)) for d in str(number))
    assert ascii_digits(pd.Series([written], dtype="string")).iloc[0] == str(number)


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("\ufeffP001", "U+FEFF ZERO WIDTH NO-BREAK SPACE at position 1"),
        ("P0\x0001", "U+0000 NULL at position 3"),
        ("P0\u00a001", "U+00A0 NO-BREAK SPACE at position 3"),
        ("P001\u200b", "U+200B ZERO WIDTH SPACE at position 5"),
        ("P 001", None),
        ("P001", None),
    ],
)
def test_invisible_characters_are_named(value: str, found: str | None) -> None:
    got = invisible_characters(pd.Series([value], dtype="string")).iloc[0]
    assert (None if pd.isna(got) else got) == found


_INVISIBLE = {"Cc", "Cf", "Zs", "Zl", "Zp"}


def _first_invisible(value: str) -> str | None:
    """The rule read from the Unicode database, one character at a time: the code point and
    the 1-based position of the first invisible character."""
    for i, ch in enumerate(value):
        if unicodedata.category(ch) in _INVISIBLE and ch != " ":
            return f"U+{ord(ch):04X} at position {i + 1}"
    return None


def _code_and_position(described: str) -> str:
    """``U+XXXX at position N`` of a description (the name between is left out)."""
    code, _, position = described.partition(" ")
    return f"{code} at position {position.rsplit(' ', 1)[-1]}"


@settings(derandomize=True, max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=6),
            st.text(max_size=6),
            st.none(),
        ),
        min_size=1,
        max_size=30,
    )
)
def test_invisible_characters_follow_the_unicode_categories(values: list[str | None]) -> None:
    """The vectorised printable-ASCII shortcut gives what a character-by-character reading
    of the categories gives, for any mix of plain, Unicode and missing values."""
    got = invisible_characters(pd.Series(values, dtype="string")).tolist()
    expected = [None if v is None else _first_invisible(v) for v in values]
    assert [None if pd.isna(g) else _code_and_position(g) for g in got] == expected
