"""Write the registry fixtures of the io/validation tests (run from anywhere; idempotent).

    python tests/data/make_fixtures.py

valid/        a small valid registry (UTF-8, comma, ISO dates): 8 patients, lesions, AEs.
cp1254/       the same registry exported the Turkish-Excel way: cp1254, semicolons, decimal
              commas, dd.mm.yyyy dates.
utf8_bom/     the same again: UTF-8 with BOM, semicolons, decimal commas, dd/mm/yyyy dates.
turkish/      the same with Turkish column names and labels, read with mapping_turkish.yaml.
invalid/NN_*/ copies of valid/ with ONE defect each, plus expected.json naming the rule,
              table, file line and column `captemstats validate` must report.
"""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

from captemstats.schema import TABLES as SPECS

HERE = Path(__file__).resolve().parent
# Row values below are in the data model's column order.
P_COLS = list(SPECS["patients"].names)
L_COLS = list(SPECS["lesions"].names)
A_COLS = list(SPECS["adverse_events"].names)

# fmt: off
PATIENTS = [
    ["P001", "İstanbul Çapa", "female", "54", "", "0", "no", "pancreas", "2", "8.5", "both",
     "no", "no", "no", "no", "no", "no", "no", "2015-03-10", "2016-01-05", "2016-02-01", "1",
     "8", "yes", "yes", "yes", "no", "no", "no", "progression", "2017-05-20", "",
     "2020-06-30", "2017-06-15", "NET", "yes", "yes", ""],
    ["P002", "Şişli Etfal", "male", "", "1961-07-14", "1", "yes", "gastrointestinal", "1",
     "2", "liver", "yes", "yes", "no", "no", "no", "no", "no", "2012-11-02", "2014-04-01",
     "2018-09-10", "2", "12", "yes", "yes", "no", "no", "no", "no", "completed",
     "2020-01-15", "2021-03-02", "2021-03-02", "", "NET", "yes", "yes", ""],
    ["P003", "Ankara Gazi", "female", "67", "", "2", "no", "lung", "3", "35", "extrahepatic",
     "no", "yes", "yes", "yes", "yes", "no", "no", "2010-05-20", "2010-05-20", "2019-01-07",
     "3", "4", "yes", "yes", "no", "no", "no", "no", "toxicity", "2019-08-01", "2020-02-11",
     "2020-02-11", "", "NET", "yes", "yes", ""],
    ["P004", "İstanbul Çapa", "male", "45", "", "0", "no", "pancreas", "2", "15", "both",
     "yes", "no", "no", "no", "no", "no", "no", "2019-11-12", "", "2020-03-02", "1", "6",
     "yes", "yes", "yes", "no", "no", "no", "completed", "", "", "2023-09-30", "", "NET",
     "yes", "yes", "SD"],
    ["P005", "İzmir Ege", "female", "38", "", "1", "no", "unknown", "unknown", "12", "liver",
     "no", "yes", "no", "no", "no", "no", "yes", "2020-01-20", "2020-01-20", "2021-05-03",
     "2", "1", "yes", "yes", "no", "no", "no", "no", "toxicity", "", "", "2022-12-01", "",
     "NET", "yes", "yes", "NE"],
    ["P006", "Şişli Etfal", "male", "72", "", "1", "yes", "gastrointestinal", "2", "4.2",
     "both", "no", "no", "no", "no", "no", "no", "no", "2020-06-01", "2020-06-01",
     "2020-10-05", "1", "10", "yes", "yes", "yes", "no", "yes", "no", "progression",
     "2022-02-14", "", "2023-01-10", "", "NET", "yes", "yes", ""],
    ["P007", "Eskişehir Osmangazi", "female", "59", "", "0", "no", "pancreas", "1", "1.5",
     "liver", "no", "yes", "yes", "yes", "no", "yes", "no", "2013-02-18", "2014-09-09",
     "2021-06-14", "4", "3", "yes", "yes", "no", "yes", "no", "yes", "progression",
     "2021-11-20", "2022-07-01", "2022-07-01", "", "NET", "yes", "yes", ""],
    ["P008", "Ankara Gazi", "male", "50", "", "1", "no", "lung", "2", "", "extrahepatic",
     "no", "yes", "no", "no", "no", "no", "no", "2018-04-04", "2019-02-02", "2022-09-01",
     "2", "6", "yes", "yes", "no", "no", "no", "no", "ongoing", "", "", "2024-05-31", "",
     "NET", "yes", "yes", ""],
]
LESIONS = [
    ["P001", "2016-01-25", "L1", "target", "liver", "no", "42.5", "measured", ""],
    ["P001", "2016-01-25", "L2", "target", "liver", "no", "30", "measured", ""],
    ["P001", "2016-01-25", "L3", "target", "lymph node", "yes", "18", "measured", ""],
    ["P001", "2016-01-25", "L4", "non_target", "lung", "no", "", "", "present"],
    ["P001", "2016-05-02", "L1", "target", "liver", "no", "28", "measured", ""],
    ["P001", "2016-05-02", "L2", "target", "liver", "no", "20", "measured", ""],
    ["P001", "2016-05-02", "L3", "target", "lymph node", "yes", "12", "measured", ""],
    ["P001", "2016-05-02", "L4", "non_target", "lung", "no", "", "", "present"],
    ["P001", "2017-05-20", "L1", "target", "liver", "no", "31", "measured", ""],
    ["P001", "2017-05-20", "L2", "target", "liver", "no", "24", "measured", ""],
    ["P001", "2017-05-20", "L3", "target", "lymph node", "yes", "11", "measured", ""],
    ["P001", "2017-05-20", "L4", "non_target", "lung", "no", "", "", "present"],
    ["P001", "2017-05-20", "N1", "new", "liver", "no", "", "", ""],
    ["P002", "2018-09-03", "L1", "target", "liver", "no", "55", "measured", ""],
    ["P002", "2018-09-03", "L2", "target", "liver", "no", "23.4", "measured", ""],
    ["P002", "2018-12-10", "L1", "target", "liver", "no", "50", "measured", ""],
    ["P002", "2018-12-10", "L2", "target", "liver", "no", "21", "measured", ""],
    ["P002", "2020-01-15", "L1", "target", "liver", "no", "70", "measured", ""],
    ["P002", "2020-01-15", "L2", "target", "liver", "no", "30", "measured", ""],
    ["P003", "2019-01-02", "L1", "target", "lung", "no", "35", "measured", ""],
    ["P003", "2019-01-02", "L2", "target", "lymph node", "yes", "20", "measured", ""],
    ["P003", "2019-01-02", "L3", "non_target", "bone", "no", "", "", "present"],
    ["P003", "2019-04-08", "L1", "target", "lung", "no", "36", "measured", ""],
    ["P003", "2019-04-08", "L2", "target", "lymph node", "yes", "21", "measured", ""],
    ["P003", "2019-04-08", "L3", "non_target", "bone", "no", "", "", "present"],
    ["P003", "2019-08-01", "L1", "target", "lung", "no", "38", "measured", ""],
    ["P003", "2019-08-01", "L2", "target", "lymph node", "yes", "22", "measured", ""],
    ["P003", "2019-08-01", "L3", "non_target", "bone", "no", "", "", "unequivocal_progression"],
    ["P006", "2020-09-28", "L1", "target", "liver", "no", "64", "measured", ""],
    ["P006", "2020-09-28", "L2", "target", "peritoneum", "no", "27", "measured", ""],
    ["P006", "2021-01-11", "L1", "target", "liver", "no", "40", "measured", ""],
    ["P006", "2021-01-11", "L2", "target", "peritoneum", "no", "15", "measured", ""],
    ["P006", "2021-04-12", "L1", "target", "liver", "no", "", "disappeared", ""],
    ["P006", "2021-04-12", "L2", "target", "peritoneum", "no", "12", "measured", ""],
    ["P006", "2022-02-14", "L1", "target", "liver", "no", "", "disappeared", ""],
    ["P006", "2022-02-14", "L2", "target", "peritoneum", "no", "25", "measured", ""],
    ["P007", "2021-06-10", "L1", "target", "liver", "no", "33.3", "measured", ""],
    ["P007", "2021-09-13", "L1", "target", "liver", "no", "31", "measured", ""],
    ["P007", "2021-11-20", "L1", "target", "liver", "no", "45", "measured", ""],
    ["P008", "2022-08-25", "L1", "target", "lung", "no", "21", "measured", ""],
    ["P008", "2022-08-25", "L2", "non_target", "lymph node", "yes", "", "", "present"],
    ["P008", "2022-12-05", "L1", "target", "lung", "no", "19", "measured", ""],
    ["P008", "2022-12-05", "L2", "non_target", "lymph node", "yes", "", "", "present"],
    ["P008", "2023-03-20", "L1", "target", "lung", "no", "18", "measured", ""],
    ["P008", "2023-03-20", "L2", "non_target", "lymph node", "yes", "", "", "present"],
]
AES = [
    ["P001", "Fatigue", "1", "2016-03-01", "no", "no"],
    ["P001", "Nausea/vomiting", "2", "2016-02-15", "no", "no"],
    ["P002", "Platelet count decreased", "3", "2019-01-20", "yes", "no"],
    ["P002", "Anemia", "2", "2018-12-01", "no", "no"],
    ["P003", "Neutrophil count decreased", "4", "2019-03-10", "yes", "yes"],
    ["P003", "Diarrhea", "3", "2019-03-15", "no", "yes"],
    ["P005", "Palmar-plantar erythrodysesthesia syndrome", "3", "2021-05-20", "yes", "yes"],
    ["P006", "Oral mucositis", "1", "2020-11-02", "no", "no"],
    ["P007", "Anorexia", "2", "2021-07-01", "no", "no"],
    ["P007", "Blood bilirubin increased", "3", "2021-08-15", "yes", "no"],
    ["P008", "Fatigue", "1", "", "no", "no"],
]
# fmt: on
TABLES = {
    "patients": (P_COLS, PATIENTS),
    "lesions": (L_COLS, LESIONS),
    "adverse_events": (A_COLS, AES),
}
DATE_COLS = {c for c in (*P_COLS, *L_COLS, *A_COLS) if c.endswith("_date")}
NUMBER_COLS = {"age", "ki67", "diameter_mm"}

# Turkish export: column names and labels a Turkish center would use.
TR_NAMES = {
    "patients": {
        "patient_id": "Hasta No",
        "center": "Merkez",
        "sex": "Cinsiyet",
        "age": "Yaş",
        "birth_date": "Doğum Tarihi",
        "primary_site": "Primer Bölge",
        "diagnosis_date": "Tanı Tarihi",
        "captem_start_date": "CAPTEM Başlangıç Tarihi",
        "death_date": "Ölüm Tarihi",
        "last_followup_date": "Son Kontrol Tarihi",
    },
    "lesions": {"patient_id": "Hasta No", "organ": "Organ"},
    "adverse_events": {"patient_id": "Hasta No", "term": "Yan Etki", "grade": "Derece"},
}
TR_LABELS = {
    ("patients", "sex"): {"female": "Kadın", "male": "Erkek"},
    ("patients", "primary_site"): {
        "pancreas": "Pankreas",
        "gastrointestinal": "Gastrointestinal sistem",
        "lung": "Akciğer",
        "unknown": "Bilinmiyor",
    },
}
TR_BOOL = {"yes": "Evet", "no": "Hayır"}

# One defect per case: (case, table, data row index (0-based), column, new value, rule).
# A new value of None deletes the column; "DUP" appends a copy of the row; "EXTRA" adds a field.
CASES = [
    ("01_missing_required_column", "patients", None, "sex", None, "missing_column"),
    ("02_unparseable_date", "patients", 2, "captem_start_date", "07.01.19", "wrong_type"),
    ("03_not_a_number", "patients", 0, "ki67", "high", "wrong_type"),
    ("04_unknown_category_code", "patients", 3, "sex", "F", "unknown_code"),
    ("05_missing_required_value", "patients", 4, "center", "", "missing_value"),
    ("06_ki67_above_100", "patients", 5, "ki67", "120", "ki67_range"),
    ("07_negative_diameter", "lesions", 4, "diameter_mm", "-12", "diameter_negative"),
    ("08_implausible_diameter", "lesions", 13, "diameter_mm", "650", "diameter_implausible"),
    ("09_duplicate_patient_id", "patients", 3, "patient_id", "DUP", "duplicate_patient_id"),
    ("10_duplicate_lesion_in_assessment", "lesions", 20, "lesion_id", "DUP", "duplicate_lesion"),
    ("11_lesion_for_unknown_patient", "lesions", 39, "patient_id", "P099", "unknown_patient"),
    (
        "12_adverse_event_unknown_patient",
        "adverse_events",
        7,
        "patient_id",
        "P066",
        "unknown_patient",
    ),
    (
        "13_progression_before_start",
        "patients",
        0,
        "progression_date",
        "2015-12-01",
        "progression_before_start",
    ),
    ("14_death_before_start", "patients", 1, "death_date", "2018-01-01", "death_before_start"),
    (
        "15_start_before_diagnosis",
        "patients",
        3,
        "captem_start_date",
        "2019-10-01",
        "start_before_diagnosis",
    ),
    (
        "16_followup_before_progression",
        "patients",
        5,
        "last_followup_date",
        "2021-12-01",
        "followup_before_progression",
    ),
    (
        "17_metastatic_before_diagnosis",
        "patients",
        1,
        "metastatic_date",
        "2011-01-01",
        "metastatic_before_diagnosis",
    ),
    ("18_date_in_future", "patients", 7, "last_followup_date", "2099-01-01", "future_date"),
    ("19_negative_cycles", "patients", 3, "cycles", "-2", "cycles_negative"),
    ("20_neither_age_nor_birth_date", "patients", 0, "age", "", "age_missing"),
    ("21_ae_grade_above_5", "adverse_events", 4, "grade", "6", "ae_grade_range"),
    ("22_not_a_boolean", "patients", 6, "comorbidity", "maybe", "wrong_type"),
    ("23_row_with_extra_field", "patients", 2, None, "EXTRA", "field_count"),
    ("24_month_first_date", "patients", 6, "diagnosis_date", "02/18/2013", "wrong_type"),
    ("25_ecog_above_4", "patients", 7, "ecog", "7", "out_of_range"),
    ("26_line_zero", "patients", 4, "line", "0", "out_of_range"),
    ("27_fractional_cycles", "patients", 1, "cycles", "2.5", "wrong_type"),
    (
        "28_followup_before_death",
        "patients",
        2,
        "last_followup_date",
        "2020-01-01",
        "followup_before_death",
    ),
    ("29_unknown_role_code", "lesions", 3, "role", "nontarget", "unknown_code"),
    ("30_target_without_diameter", "lesions", 17, "diameter_mm", "", "target_diameter_missing"),
]


def write_csv(path: Path, cols: list[str], rows: list[list[str]], **kw: str) -> None:
    enc = kw.get("encoding", "utf-8")
    with path.open("w", encoding=enc, newline="") as fh:
        w = csv.writer(fh, delimiter=kw.get("sep", ","), lineterminator="\r\n")
        w.writerow(cols)
        w.writerows(rows)


def write_registry(folder: Path, transform=None, **kw: str) -> None:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for name, (cols, rows) in TABLES.items():
        cols, rows = list(cols), [list(r) for r in rows]
        if transform is not None:
            cols, rows = transform(name, cols, rows)
        write_csv(folder / f"{name}.csv", cols, rows, **kw)


def european(dsep: str):
    def transform(name: str, cols: list[str], rows: list[list[str]]):
        for r in rows:
            for i, c in enumerate(cols):
                if c in DATE_COLS and r[i]:
                    y, m, d = r[i].split("-")
                    r[i] = f"{d}{dsep}{m}{dsep}{y}"
                elif c in NUMBER_COLS:
                    r[i] = r[i].replace(".", ",")
        return cols, rows

    return transform


def turkish(name: str, cols: list[str], rows: list[list[str]]):
    spec = SPECS[name]
    for r in rows:
        for i, c in enumerate(cols):
            labels = TR_LABELS.get((name, c))
            if labels and r[i]:
                r[i] = labels[r[i]]
            elif spec.column(c).kind == "boolean" and r[i]:
                r[i] = TR_BOOL[r[i]]
    return [TR_NAMES[name].get(c, c) for c in cols], rows


def write_mapping(path: Path) -> None:
    lines = [
        "# Column mapping for a Turkish center's export (see captemstats.io.mapping).",
        "encoding: cp1254",
        "true_values: [Evet]",
        "false_values: [Hayır]",
    ]
    for name, names in TR_NAMES.items():
        lines.append(f"{name}:")
        lines.append("  rename:")
        lines += [f'    "{theirs}": {ours}' for ours, theirs in names.items()]
        recodes = {c: m for (t, c), m in TR_LABELS.items() if t == name}
        if recodes:
            lines.append("  recode:")
            for col, labels in recodes.items():
                lines.append(f"    {col}:")
                lines += [f'      "{theirs}": {ours}' for ours, theirs in labels.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_invalid(root: Path) -> None:
    if root.exists():
        shutil.rmtree(root)
    for case, table, row, column, value, rule in CASES:
        folder = root / case
        line = None if row is None else row + 2

        def transform(name, cols, rows, table=table, row=row, column=column, value=value):
            if name != table:
                return cols, rows
            if value is None:
                i = cols.index(column)
                return cols[:i] + cols[i + 1 :], [r[:i] + r[i + 1 :] for r in rows]
            if value == "DUP":
                rows.append(list(rows[row]))
            elif value == "EXTRA":
                rows[row].append("extra")
            else:
                rows[row][cols.index(column)] = value
            return cols, rows

        write_registry(folder, transform)
        n_rows = len(TABLES[table][1])
        expected = {
            "rule": rule,
            "table": table,
            "file": f"{table}.csv",
            "line": 1 if value is None else (n_rows + 2 if value == "DUP" else line),
            "column": column,
        }
        (folder / "expected.json").write_text(json.dumps(expected, indent=2) + "\n")


def main() -> None:
    write_registry(HERE / "valid")
    write_registry(HERE / "cp1254", european("."), encoding="cp1254", sep=";")
    write_registry(HERE / "utf8_bom", european("/"), encoding="utf-8-sig", sep=";")
    write_registry(HERE / "turkish", turkish, encoding="cp1254", sep=";")
    write_mapping(HERE / "mapping_turkish.yaml")
    write_invalid(HERE / "invalid")


if __name__ == "__main__":
    main()
