"""Write the "realistic export" fixtures of tests/test_messy_exports.py (idempotent).

    python tests/data/make_messy_fixtures.py            # the fixtures in tests/data/messy/
    python tests/data/make_messy_fixtures.py --garbage 100000 /tmp/garbage
                                                        # a registry of garbage rows

Each folder under ``messy/`` is the small valid registry of ``make_fixtures.py`` exported the
way a hospital system or a person with a spreadsheet really does it, with ONE such change,
and an ``expected.json``: either ``{"same_as_valid": true}`` (the export must read to exactly
the valid registry's values), or the problem that must be reported (``rule``, ``severity``,
``file``, ``line``, ``column``, and ``value`` / ``message`` fragments), or ``{"raises": ...}``
(a message fragment of the one-line error). Nothing may load silently with other values.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import make_fixtures as base  # noqa: E402

MESSY = HERE / "messy"
Rows = list[list[str]]
Transform = Callable[[str, list[str], Rows], tuple[list[str], Rows]]


def _set(table: str, row: int, column: str, value: str) -> Transform:
    def transform(name: str, cols: list[str], rows: Rows) -> tuple[list[str], Rows]:
        if name == table:
            rows[row][cols.index(column)] = value
        return cols, rows

    return transform


def _chain(*steps: Transform) -> Transform:
    def transform(name: str, cols: list[str], rows: Rows) -> tuple[list[str], Rows]:
        for step in steps:
            cols, rows = step(name, cols, rows)
        return cols, rows

    return transform


def _write(folder: Path, expected: dict[str, object], transform: Transform | None = None) -> None:
    base.write_registry(folder, transform)
    (folder / "expected.json").write_text(
        json.dumps(expected, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )


def _workbook(
    folder: Path,
    expected: dict[str, object],
    sheets: dict[str, str],
    edit: Callable[[object], None] | None = None,
) -> None:
    """The valid registry as one workbook; ``sheets`` maps sheet name -> table."""
    import openpyxl

    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for sheet, table in sheets.items():
        cols, rows = base.TABLES[table]
        ws = wb.create_sheet(sheet)
        ws.append(list(cols))
        for r in rows:
            ws.append([v if v != "" else None for v in r])
    if edit is not None:
        edit(wb)
    wb.save(folder / "registry.xlsx")
    (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")


def _formulas(wb: object) -> None:
    # openpyxl writes formulas without a cached value: exactly what a program-written or
    # never-recalculated export holds. P001's age (54) and P003's Ki-67 (35) become formulas.
    ws = wb["patients"]  # type: ignore[index]
    cols = base.P_COLS
    ws.cell(row=2, column=cols.index("age") + 1, value="=50+4")
    ws.cell(row=4, column=cols.index("ki67") + 1, value="=30+5")


def _turkish_upper(name: str, cols: list[str], rows: Rows) -> tuple[list[str], Rows]:
    cols, rows = base.turkish(name, cols, rows)
    upper = {"Kadın": "KADIN", "Erkek": "ERKEK", "Evet": "EVET", "Hayır": "HAYIR"}
    return cols, [[upper.get(v, v) for v in r] for r in rows]


def _upper_mapping(path: Path) -> None:
    """The Turkish mapping with every label key written in lower-case Turkish."""
    text = (HERE / "mapping_turkish.yaml").read_text(encoding="utf-8")
    for label in ("Kadın", "Erkek", "Evet", "Hayır", "Pankreas", "Akciğer", "Bilinmiyor"):
        text = text.replace(label, label.lower())
    path.write_text(text.replace("encoding: cp1254", "encoding: utf-8"), encoding="utf-8")


def _no_lesions(name: str, cols: list[str], rows: Rows) -> tuple[list[str], Rows]:
    if name == "patients":
        i = cols.index("best_response")
        for r in rows:
            r[i] = ""
    return cols, rows


def write_messy(root: Path = MESSY) -> None:
    if root.exists():
        shutil.rmtree(root)
    _workbook(
        root / "01_formula_without_cached_value",
        {
            "rule": "formula_without_value",
            "severity": "error",
            "file": "registry.xlsx[patients]",
            "line": 2,
            "column": "age",
            "value": "=50+4",
            "message": "cell D2",
            "n": 2,
        },
        {"patients": "patients", "lesions": "lesions", "adverse_events": "adverse_events"},
        _formulas,
    )
    _workbook(
        root / "02_sheet_names_collide",
        {"raises": "sheets 'patients' and 'patients ' are the same table 'patients'"},
        {
            "patients": "patients",
            "patients ": "patients",
            "lesions": "lesions",
            "adverse_events": "adverse_events",
        },
    )
    collide = root / "03_file_names_collide"
    _write(collide, {"raises": "file names 'Patients' and 'patients' are the same table"})
    shutil.copy(collide / "patients.csv", collide / "Patients.csv")
    variants = [
        "Ankara Univ.",
        "Ankara  Univ.",
        "ankara univ.",
        "Ankara\u00a0Univ.",
        "ANKARA UNIV.",
    ]
    _write(
        root / "04_centre_spelling_variants",
        {
            "rule": "merged_variants",
            "severity": "warning",
            "file": "patients.csv",
            "line": 3,
            "column": "center",
            "value": "'Ankara  Univ.'",
            "message": "5 spellings of one center merged as 'Ankara Univ.' (6 rows)",
            "n_centres": 3,
        },
        _chain(
            *(_set("patients", i, "center", v) for i, v in enumerate(variants)),
            _set("patients", 5, "center", "Ankara Univ."),
        ),
    )
    _write(
        root / "05_turkish_upper_case_labels",
        {"same_as_valid": True, "mapping": "mapping.yaml"},
        _turkish_upper,
    )
    _upper_mapping(root / "05_turkish_upper_case_labels" / "mapping.yaml")
    _write(
        root / "06_no_lesions_no_recorded_response",
        {
            "rule": "response_not_evaluable",
            "severity": "warning",
            "file": "patients.csv",
            "line": None,
            "column": "best_response",
            "value": "8 of 8 empty",
            "message": "response not evaluable from measurements",
        },
        _no_lesions,
    )
    (root / "06_no_lesions_no_recorded_response" / "lesions.csv").unlink()
    for tag, char in (("bom", "\ufeff"), ("nul", "\x00"), ("nbsp", "\u00a0"), ("zwsp", "\u200b")):
        code = f"U+{ord(char):04X}"
        _write(
            root / f"07_invisible_character_in_id_{tag}",
            {
                "rule": "invisible_character",
                "severity": "error",
                "file": "patients.csv",
                "line": 4,
                "column": "patient_id",
                "value": f"<{code}>",
                "message": code,
                "only_rules": ["invisible_character"],
            },
            _set("patients", 2, "patient_id", f"P0{char}03" if tag != "bom" else f"{char}P003"),
        )
    _write(
        root / "08_non_ascii_digits",
        {"same_as_valid": True},
        _chain(
            _set("patients", 0, "age", "٥٤"),  # Arabic-Indic 54
            _set("patients", 0, "ki67", "٨٫٥"),  # 8.5 with the Arabic decimal separator
            _set("patients", 2, "age", "６７"),  # full-width 67
            _set("patients", 2, "diagnosis_date", "２０１０－０５－２０"),
            _set("patients", 6, "cycles", "३"),  # Devanagari 3
        ),
    )
    _write(
        root / "09_superscript_digit",
        {
            "rule": "wrong_type",
            "severity": "error",
            "file": "patients.csv",
            "line": 2,
            "column": "ki67",
            "value": "8²",
            "message": "not a number",
        },
        _set("patients", 0, "ki67", "8²"),
    )


def write_garbage(folder: Path, n: int, seed: int = 13) -> None:
    """A registry whose patients (and adverse events) are ``n`` rows of random text under
    valid headers: every cell is a problem, the worst case for validation's memory."""
    rng = random.Random(seed)
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,/-:İıçğöşü"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)

    def cell() -> str:
        return "".join(rng.choices(alphabet, k=rng.randint(1, 9)))

    for name in ("patients", "adverse_events"):
        cols = base.TABLES[name][0]
        rows = [[cell() for _ in cols] for _ in range(n if name == "patients" else n // 10)]
        base.write_csv(folder / f"{name}.csv", list(cols), rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--garbage", type=int, metavar="N", help="write N garbage rows")
    parser.add_argument("folder", nargs="?", type=Path, help="where (with --garbage)")
    args = parser.parse_args()
    if args.garbage:
        write_garbage(args.folder or Path("garbage"), args.garbage)
    else:
        write_messy()


if __name__ == "__main__":
    main()
