"""One CDISC ADaM dataset (Parquet, CSV, SAS XPT, SAS7BDAT) read into a frame of text.

The frame has one ``string`` column per variable, names upper-cased (ADaM variable names are
upper-case, CDISC ADaM IG v1.3 §3), cells stripped and empty cells missing, and an index
named ``_row`` holding the record's line in its file (header = line 1; for Parquet and SAS
files the record number + 1), so every message can cite the row. Dates are ISO text: SAS
``DATE9.`` text (``15FEB2014``) and SAS day counts (days since 1960-01-01, in XPT/SAS7BDAT
files without a date format) are converted here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import pandas as pd

from captemstats.errors import RegistryReadError
from captemstats.io.problems import Problem, normalise_problem_frame
from captemstats.io.readers import ROW_INDEX, SourceInfo, TableLocation, read_raw

#: File suffix -> reader.
ADAM_SUFFIXES: dict[str, str] = {
    ".parquet": "parquet",
    ".csv": "csv",
    ".xpt": "xpt",
    ".sas7bdat": "sas7bdat",
}
#: The datasets read, and whether each is required.
DATASETS: dict[str, bool] = {"adsl": True, "adtte": True, "adrs": False, "adae": False}
#: Shown with a cited value: the first rows of a refused column.
SHOWN = 5
_SAS_EPOCH = pd.Timestamp("1960-01-01")
_DATE9 = r"(?i)^\d{1,2}[A-Z]{3}\d{4}$"


class AdamReadError(RegistryReadError):
    """An ADaM dataset cannot be read into the registry model (a missing variable, an
    unknown PARAMCD, a CNSR that is not 0/1 ...); the message names the file, row(s),
    variable, value and rule."""


@dataclass(slots=True)
class Dataset:
    """One ADaM dataset read as text (see the module docstring)."""

    name: str
    frame: pd.DataFrame
    source: SourceInfo
    problems: list[Problem] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The file name, as messages cite it."""
        return self.source.path.name

    def require(self, variables: Sequence[str], why: str) -> None:
        """Raise :class:`AdamReadError` naming every variable of ``variables`` absent."""
        missing = [v for v in variables if v not in self.frame.columns]
        if missing:
            raise AdamReadError(
                f"{self.label}: required {self.name.upper()} variable(s) "
                f"{', '.join(missing)} missing ({why}); variables present: "
                f"{', '.join(self.frame.columns) or 'none'}"
            )

    def refuse(self, bad: pd.Series, variable: str, rule: str) -> None:
        """Raise :class:`AdamReadError` citing the rows where ``bad`` is true."""
        if not bool(bad.any()):
            return
        rows = self.frame.index[bad.to_numpy(dtype=bool)]
        values = (
            self.frame.loc[rows, variable].astype(object)
            if variable in self.frame
            else pd.Series(None, index=rows, dtype=object)
        )
        shown = values.where(values.notna(), "<missing>").iloc[:SHOWN]
        cited = "; ".join(
            f"row {r} {variable}={v if v == '<missing>' else repr(v)}" for r, v in shown.items()
        )
        more = f" and {len(rows) - SHOWN} more row(s)" if len(rows) > SHOWN else ""
        raise AdamReadError(f"{self.label}, column {variable}: {cited}{more}: {rule}")


def locate_datasets(folder: Path) -> dict[str, Path]:
    """The file of each ADaM dataset in ``folder`` (stems compared case-insensitively)."""
    if not folder.is_dir():
        raise AdamReadError(f"ADaM folder not found: {folder} is not a directory")
    found: dict[str, list[Path]] = {}
    for p in sorted(folder.iterdir()):
        if p.is_file() and p.suffix.lower() in ADAM_SUFFIXES and p.stem.lower() in DATASETS:
            found.setdefault(p.stem.lower(), []).append(p)
    twice = {k: v for k, v in found.items() if len(v) > 1}
    if twice:
        k, v = next(iter(twice.items()))
        raise AdamReadError(
            f"{folder}: {k.upper()} is given more than once ({[p.name for p in v]})"
        )
    missing = [k.upper() for k, req in DATASETS.items() if req and k not in found]
    if missing:
        raise AdamReadError(
            f"{folder}: required ADaM dataset(s) {', '.join(missing)} not found (expected e.g. "
            f"{missing[0].lower()}.parquet, .csv, .xpt or .sas7bdat)"
        )
    return {k: v[0] for k, v in found.items()}


def read_dataset(name: str, path: Path) -> Dataset:
    """Read one ADaM dataset file into a :class:`Dataset`."""
    kind = ADAM_SUFFIXES[path.suffix.lower()]
    if kind in ("csv", "parquet"):
        raw = read_raw(name, TableLocation(path, "csv" if kind == "csv" else "parquet"))
        frame, source, problems = raw.frame, raw.source, raw.problems
    else:
        frame, source, problems = _read_sas(name, path, kind), None, []
    frame.columns = pd.Index([str(c).upper() for c in frame.columns])
    if frame.columns.duplicated().any():
        raise AdamReadError(f"{path.name}: variable names repeated (ignoring case)")
    if source is None:
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        # SourceInfo.format names the registry's formats; an ADaM SAS file is recorded as is.
        source = SourceInfo(name, path, digest, len(frame), cast(Any, kind))
    return Dataset(name, frame, source, problems)


def _read_sas(name: str, path: Path, kind: str) -> pd.DataFrame:
    import pyreadstat

    reader = pyreadstat.read_xport if kind == "xpt" else pyreadstat.read_sas7bdat
    try:
        typed, _meta = reader(str(path), dates_as_pandas_datetime=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError etc.
        raise AdamReadError(f"{path}: not a readable SAS {kind} file ({exc})") from None
    out = pd.DataFrame(index=pd.Index(range(2, len(typed) + 2), name=ROW_INDEX, dtype="int64"))
    for col in typed.columns:
        s = typed[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            text = s.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_numeric_dtype(s):
            text = s.astype("string").str.replace(r"\.0$", "", regex=True)
        else:
            text = s.astype("string")
        text = text.str.strip().replace("", pd.NA)
        out[str(col)] = text.astype("string").to_numpy()
    out.attrs["sas_numeric"] = [
        str(c).upper() for c in typed.columns if typed[c].dtype.kind in "fi"
    ]
    return out


def iso_dates(ds: Dataset, variable: str) -> pd.Series:
    """A date variable as ISO text: ISO kept, SAS ``DATE9.`` text and (SAS files only) SAS
    day counts converted; anything else kept as written for the registry parser to report."""
    s = ds.frame[variable].astype("string")
    date9 = s.str.fullmatch(_DATE9).fillna(False).astype(bool)
    parsed = pd.to_datetime(s.where(date9), format="%d%b%Y", errors="coerce")
    out = s.mask(date9 & parsed.notna(), parsed.dt.strftime("%Y-%m-%d"))
    if variable in ds.frame.attrs.get("sas_numeric", []):
        days = pd.to_numeric(s, errors="coerce")
        as_date = (_SAS_EPOCH + pd.to_timedelta(days, unit="D")).dt.strftime("%Y-%m-%d")
        out = out.mask(days.notna(), as_date)
    return out.astype("string")


def problem_rows(
    ds: Dataset,
    mask: pd.Series,
    variable: str,
    rule: str,
    message: str | pd.Series,
    *,
    severity: str = "error",
    table: str = "patients",
) -> pd.DataFrame:
    """Problem-frame rows (:data:`~captemstats.io.problems.PROBLEM_COLUMNS`) for the records
    of ``ds`` where ``mask`` is true, citing their line, USUBJID and ``variable``'s value."""
    hit = mask.fillna(False).to_numpy(dtype=bool)
    f = ds.frame.loc[hit]
    msg = message[hit].to_numpy() if isinstance(message, pd.Series) else message
    frame = pd.DataFrame(
        {
            "severity": severity,
            "table": table,
            "file": ds.label,
            "line": f.index.to_numpy(),
            "patient_id": f["USUBJID"].to_numpy() if "USUBJID" in f else None,
            "column": variable,
            "value": f[variable].to_numpy() if variable in f else None,
            "rule": rule,
            "message": msg,
        }
    )
    return normalise_problem_frame(frame)


def note(
    ds: Dataset,
    variable: str | None,
    value: str | None,
    rule: str,
    message: str,
    *,
    table: str = "patients",
) -> Problem:
    """One warning about a whole variable or parameter of ``ds`` (no row)."""
    return Problem("warning", table, ds.label, None, None, variable, value, rule, message)


#: Why some common ADaM variables are not read although the registry has the information.
_HINTS: dict[str, str] = {
    "DTHDT": "the death date is taken from ADTTE OS",
    "DTHFL": "death is taken from ADTTE OS",
    "LSTALVDT": "the last follow-up is taken from ADTTE OS",
    "PARAM": "PARAMCD is read",
}


def unused(ds: Dataset, used: set[str], *, table: str = "patients") -> list[Problem]:
    """One ``adam_not_carried`` warning per variable of ``ds`` not in ``used``."""
    kind = ds.name.upper()
    return [
        note(
            ds,
            v,
            None,
            "adam_not_carried",
            f"{kind} variable {v} has no column in the registry model; not carried"
            + (f" ({_HINTS[v]})" if v in _HINTS else ""),
            table=table,
        )
        for v in ds.frame.columns
        if v not in used
    ]
