"""Export the shipped synthetic registry's analysis cohort for the R reference scripts.

Usage (from the repository root)::

    .venv/bin/python tests/reference/export_synthetic.py           # (re)write the CSV
    .venv/bin/python tests/reference/export_synthetic.py --check   # exit 1 if it is stale

writes ``tests/reference/captem_synthetic.csv``: the cohort of
``captemstats.analysis.analyze("data/registry")`` with the analysis columns only (no patient
identifier and no date), centres recoded C01, C02, ... in order of first appearance, booleans
as 0/1 and missing values as empty fields. Floats are written with Python's shortest
round-trip repr, so R's ``read.csv`` and pandas read the same doubles. The bytes depend only
on the registry and the cohort derivation; ``tests/test_reference_registry.py`` checks that
the committed file equals a fresh export, so a change to either is noticed (rerun this, then
``Rscript tests/reference/make_reference.R`` and ``make_registry_reference.R``).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
REGISTRY = ROOT / "data" / "registry"
OUTPUT = HERE / "captem_synthetic.csv"

#: Exported columns, in file order: survival endpoints, groupings, the Table 3 covariates and
#: the Table 1 variables (``analysis.TABLE1_VARIABLES`` less the untested prior treatments).
COLUMNS: tuple[str, ...] = (
    "center",
    "line",
    "line_group",
    "pfs_months",
    "pfs_event",
    "os_months",
    "os_event",
    "grade",
    "ki67_group",
    "primary_site",
    # Table 3 covariates (sex stays text; the R scripts code male = 1, female = 0)
    "sex",
    "age_le50",
    "comorbidity",
    "ecog_0_1",
    "pancreas",
    "ki67_le20",
    "grade_1_2",
    "first_line",
    "prior_curative_surgery",
    # further Table 1 variables
    "age",
    "age_group",
    "ecog",
    "metastatic_sites",
    "cycles",
    "grade34_ae",
    "drug_holiday",
    "dose_reduction",
    "treatment_interruption",
)


def export_frame(data: pd.DataFrame) -> pd.DataFrame:
    """The exported frame of a cohort's ``data`` (vectorised; raises KeyError naming any
    missing column)."""
    import pandas as pd

    missing = [c for c in COLUMNS if c not in data.columns]
    if missing:
        raise KeyError(f"cohort data lacks column(s) {missing}")
    out = data.loc[:, list(COLUMNS)].reset_index(drop=True).copy()
    centers = out["center"].astype("string")
    first_seen = list(dict.fromkeys(centers.dropna()))
    codes = {c: f"C{i:02d}" for i, c in enumerate(first_seen, start=1)}
    out["center"] = centers.map(codes).astype("string")
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s.dtype):
            out[col] = s.astype("boolean").astype("Int64")
    return out


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV text (LF line ends, NA as an empty field, floats as shortest repr)."""
    text: str = frame.to_csv(index=False, lineterminator="\n", na_rep="")
    return text


def fresh_export(registry: str | Path = REGISTRY) -> str:
    """Run the study analysis on ``registry`` and return the CSV text of its cohort."""
    from captemstats.analysis import analyze

    return csv_text(export_frame(analyze(registry).cohort.data))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the CSV is stale")
    args = parser.parse_args(argv)
    text = fresh_export()
    if args.check:
        current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.is_file() else ""
        if current != text:
            print(f"{OUTPUT} is stale: rerun {Path(__file__).name}", file=sys.stderr)
            return 1
        print(f"{OUTPUT.name} is up to date")
        return 0
    OUTPUT.write_text(text, encoding="utf-8", newline="\n")
    print(f"wrote {OUTPUT} ({text.count(chr(10)) - 1} rows)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
