"""Writing a generated registry to files: each table as CSV or Parquet plus
``provenance.json`` (seed, generator version, command, sha256 of each file), every file
written atomically and byte-identically for the same registry.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Literal

import pandas as pd

from captemstats.synth import _columns as cols
from captemstats.synth.registry import SyntheticRegistry

__all__ = ["Format", "write_registry"]

Format = Literal["csv", "parquet"]


def write_registry(
    registry: SyntheticRegistry,
    out_dir: str | Path,
    *,
    format: Format = "csv",
    command: str | None = None,
) -> dict[str, Path]:
    """Write the tables (``patients``, ``lesions``, ``adverse_events``) as CSV or Parquet plus
    ``provenance.json`` (seed, generator version, command, sha256 of each file). Output is
    byte-identical for the same registry."""
    from captemstats.atomic import write_atomic

    if format not in ("csv", "parquet"):
        raise ValueError(f"format must be 'csv' or 'parquet', got {format!r}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    # Each file is written to a temporary name and renamed into place (write_atomic): an
    # interrupted run leaves the previous version of every file intact.
    for name, frame in registry.tables.items():
        if format == "csv":

            def write_csv(tmp: Path, frame: pd.DataFrame = frame) -> None:
                frame.to_csv(tmp, index=False, date_format="%Y-%m-%d", lineterminator="\n")

            paths[name] = write_atomic(out / f"{name}.csv", write_csv)
        else:
            import pyarrow as pa
            import pyarrow.parquet as pq

            # text columns from their codes: the same table as pa.Table.from_pandas makes,
            # without converting millions of Python strings
            table = cols.arrow_table(frame, registry.coded_text.get(name, {}))

            def write_parquet(tmp: Path, table: pa.Table = table) -> None:
                pq.write_table(table, tmp)

            paths[name] = write_atomic(out / f"{name}.parquet", write_parquet)
    prov = registry.provenance(command)
    prov["format"] = format
    prov["files"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths.values()}
    text = json.dumps(prov, indent=2, sort_keys=True) + "\n"
    paths["provenance"] = write_atomic(
        out / "provenance.json", lambda tmp: tmp.write_text(text, encoding="utf-8")
    )
    return paths
