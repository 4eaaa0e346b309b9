"""The synthetic label is checked against the SHA-256s recorded in provenance.json
(``captemstats.provenance_check``): verified, modified (with a warning naming the files), or
not synthetic — on copies of the shipped registry and on hand-made provenance files.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings
from dataclasses import replace
from pathlib import Path

import pytest

from captemstats.analysis import analyze
from captemstats.io import read_registry
from captemstats.provenance_check import (
    ModifiedSyntheticRegistryWarning,
    SyntheticStatus,
    check_files,
    check_registry,
)

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "data" / "registry"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    out = tmp_path / "registry"
    shutil.copytree(REGISTRY, out)
    return out


def test_the_shipped_registry_is_verified_synthetic() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModifiedSyntheticRegistryWarning)
        res = analyze(REGISTRY)
    assert res.provenance.synthetic
    assert res.provenance.synthetic_status == "synthetic"
    assert res.provenance.modified_files == ()
    assert res.to_dict()["provenance"]["synthetic_status"] == "synthetic"


def test_an_edited_value_makes_it_modified_with_a_warning(copy: Path) -> None:
    path = copy / "patients.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    header = lines[0].rstrip("\n").split(",")
    row = lines[1].rstrip("\n").split(",")
    age = header.index("age")
    row[age] = str(float(row[age]) + 1)  # one value, still valid
    lines[1] = ",".join(row) + "\n"
    path.write_text("".join(lines), encoding="utf-8")
    with pytest.warns(ModifiedSyntheticRegistryWarning, match=r"changed: patients\.csv"):
        res = analyze(copy)
    assert not res.provenance.synthetic
    assert res.provenance.synthetic_status == "modified"
    assert res.provenance.modified_files == ("patients.csv",)
    assert any("patients.csv" in note for note in res.notes)
    assert res.to_dict()["provenance"]["modified_files"] == ["patients.csv"]


def test_without_provenance_it_is_never_synthetic(copy: Path) -> None:
    (copy / "provenance.json").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModifiedSyntheticRegistryWarning)
        res = analyze(copy)
    assert not res.provenance.synthetic
    assert res.provenance.synthetic_status == "not_synthetic"


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


A, B = sha("a"), sha("b")


@pytest.mark.parametrize(
    ("provenance", "analysed", "status", "changed", "unrecorded", "missing"),
    [
        ({"synthetic": True, "files": {"p.csv": A}}, {"p.csv": A}, "synthetic", (), (), ()),
        # digests compare case-insensitively (hex)
        ({"synthetic": True, "files": {"p.csv": A.upper()}}, {"p.csv": A}, "synthetic", (), (), ()),
        ({"synthetic": True, "files": {"p.csv": A}}, {"p.csv": B}, "modified", ("p.csv",), (), ()),
        (
            {"synthetic": True, "files": {"p.csv": A}},
            {"p.csv": A, "l.csv": B},
            "modified",
            (),
            ("l.csv",),
            (),
        ),
        (
            {"synthetic": True, "files": {"p.csv": A, "l.csv": B}},
            {"p.csv": A},
            "modified",
            (),
            (),
            ("l.csv",),
        ),
        ({"synthetic": True}, {"p.csv": A}, "modified", (), ("p.csv",), ()),  # nothing to verify
        ({"synthetic": True, "files": {}}, {"p.csv": A}, "modified", (), ("p.csv",), ()),
        ({"synthetic": False, "files": {"p.csv": A}}, {"p.csv": A}, "not_synthetic", (), (), ()),
        ({"synthetic": "true", "files": {"p.csv": A}}, {"p.csv": A}, "not_synthetic", (), (), ()),
        ({"files": {"p.csv": A}}, {"p.csv": A}, "not_synthetic", (), (), ()),
        ([1, 2], {"p.csv": A}, "not_synthetic", (), (), ()),
    ],
)
def test_check_files(
    tmp_path: Path,
    provenance: object,
    analysed: dict[str, str],
    status: str,
    changed: tuple[str, ...],
    unrecorded: tuple[str, ...],
    missing: tuple[str, ...],
) -> None:
    (tmp_path / "provenance.json").write_text(json.dumps(provenance), encoding="utf-8")
    check = check_files(analysed, tmp_path)
    assert check.status == SyntheticStatus(status)
    assert (check.changed, check.unrecorded, check.missing) == (changed, unrecorded, missing)
    assert check.synthetic == (status == "synthetic")
    for name in check.differing_files:
        assert name in check.message()


def test_an_unreadable_provenance_file_is_not_synthetic_and_says_why(tmp_path: Path) -> None:
    (tmp_path / "provenance.json").write_text("{not json", encoding="utf-8")
    check = check_files({"p.csv": A}, tmp_path)
    assert check.status is SyntheticStatus.NOT_SYNTHETIC
    assert check.problem is not None and "not valid JSON" in check.problem
    assert "not valid JSON" in check.message()


def test_check_registry_uses_the_bytes_that_were_read(copy: Path) -> None:
    registry = read_registry(copy)
    assert check_registry(registry).status is SyntheticStatus.SYNTHETIC
    # a file edited after reading does not change what was analysed
    (copy / "lesions.csv").write_text("edited\n", encoding="utf-8")
    assert check_registry(registry).status is SyntheticStatus.SYNTHETIC


def test_an_in_memory_registry_is_not_synthetic() -> None:
    registry = replace(read_registry(REGISTRY), sources={})
    assert check_registry(registry).status is SyntheticStatus.NOT_SYNTHETIC


def test_a_workbooks_sheets_are_one_file(tmp_path: Path) -> None:
    """Several tables read from one workbook are one file with one digest."""
    book = tmp_path / "registry.xlsx"
    registry = read_registry(REGISTRY)
    sources = {
        name: replace(info, path=book, sha256=A, sheet=name)
        for name, info in registry.sources.items()
    }
    (tmp_path / "provenance.json").write_text(
        json.dumps({"synthetic": True, "files": {"registry.xlsx": A}}), encoding="utf-8"
    )
    assert check_registry(replace(registry, sources=sources)).synthetic
    sources["lesions"] = replace(sources["lesions"], path=tmp_path / "other" / "lesions.csv")
    check = check_registry(replace(registry, sources=sources))
    assert check.status is SyntheticStatus.MODIFIED
    assert check.unrecorded == (str(tmp_path / "other" / "lesions.csv"),)
