"""RECIST 1.1 best response for registries larger than memory, one partition of patients at a
time.

RECIST is decided per patient: no patient's response depends on another's. So DuckDB splits
the lesion and patient tables into partitions by a hash of ``patient_id`` (one pass over the
files, spilling to disk past the memory limit), and the same engine as the in-memory path
(:func:`captemstats.recist.assess_timepoints` and
:func:`captemstats.recist.best_overall_response`) runs on each partition in turn. Every
patient's lesion rows are in one partition, in their original order, so the result is the
in-memory result: the same responses, dates, errors and row numbers (a property test compares
them exactly). Only the partition at hand and the compact Arrow results are in memory.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from captemstats.atomic import atomic_folder
from captemstats.io.coerce import empty_table
from captemstats.recist.best_response import BOR_COLUMNS, best_overall_response
from captemstats.recist.config import RecistConfig
from captemstats.recist.errors import (
    ERROR_COLUMNS,
    RecistInputError,
    concat_errors,
    empty_errors,
    renumber_rows,
)
from captemstats.recist.timepoint import assess_timepoints
from captemstats.results import Displayed, count_words
from captemstats.scale.engine import connect, memory_bytes, quote, source_sql
from captemstats.schema import LESIONS, PATIENTS, ColumnSpec, TableSpec

if TYPE_CHECKING:  # pragma: no cover - types only
    import duckdb
    import pyarrow as pa

__all__ = [
    "BASE_BYTES",
    "BYTES_PER_LESION_ROW",
    "PATIENT_COLUMNS",
    "PartitionedResponses",
    "partitioned_best_response",
]

#: The patients columns the best response reads (the rest of the table is not loaded).
PATIENT_COLUMNS: tuple[str, ...] = (
    "patient_id",
    "captem_start_date",
    "cycles",
    "progression_date",
    "subsequent_therapy_date",
    "best_response",
)
#: Resident memory of the interpreter with pandas, pyarrow, DuckDB and the engine loaded
#: (measured: 139 MB), with room for the Arrow results of about 10^6 patients.
BASE_BYTES = 350 * 10**6
#: Peak memory of the in-memory engine per lesion row of a partition (measured on the
#: synthetic registry: about 1.2 kB per row at 1.75-3.5 x 10^5 rows; rounded up).
BYTES_PER_LESION_ROW = 2_000
#: DuckDB's share of the memory limit while it partitions (the engine runs after it, alone).
DUCKDB_SHARE = 0.6
#: The column DuckDB puts each row's file name in (not "filename", which a registry may use).
FILE_COLUMN = "_captem_source_file"

_SQL_TYPES = {
    "string": "VARCHAR",
    "category": "VARCHAR",
    "integer": "BIGINT",
    "number": "DOUBLE",
    "boolean": "BOOLEAN",
}


@dataclass(frozen=True, repr=False)
class PartitionedResponses(Displayed):
    """Best overall responses computed partition by partition.

    Attributes:
        patients: one row per patient (:data:`~captemstats.recist.best_response.BOR_COLUMNS`),
            ordered by ``patient_id``, as an Arrow table (compact; :meth:`to_frame` gives the
            pandas frame with the engine's dtypes).
        errors: the input problems (:data:`~captemstats.recist.errors.ERROR_COLUMNS`), row
            numbers counted in the whole lesions table, as an Arrow table.
        partitions: how many partitions the patients were split into.
        lesion_rows: lesion rows read.
        rows_per_partition: the partition size aimed at (rows of the lesions table).
        memory_limit: the memory limit the run was sized for.
        timepoints: the folder of timepoint Parquet files (one per partition), or None.
        config: the RECIST options used.
    """

    patients: pa.Table
    errors: pa.Table
    partitions: int
    lesion_rows: int
    rows_per_partition: int
    memory_limit: str
    timepoints: Path | None
    config: RecistConfig

    def _headline(self) -> str:
        return (
            f"{count_words(self.patients.num_rows, 'patient')}, "
            f"{count_words(self.lesion_rows, 'lesion row')} in "
            f"{count_words(self.partitions, 'partition')}, "
            f"{count_words(self.errors.num_rows, 'input error')}"
        )

    def summary(self) -> pd.DataFrame:
        """Patients by best overall response (unconfirmed and confirmed)."""
        frame = self.patients.select(["bor", "bor_confirmed"]).to_pandas()
        counts = frame.value_counts(dropna=False).rename("patients").reset_index()
        out: pd.DataFrame = counts.sort_values(["bor", "bor_confirmed"], na_position="last")
        return out.reset_index(drop=True)

    def to_frame(self) -> pd.DataFrame:
        """The per-patient best responses as a pandas frame (the in-memory path's dtypes)."""
        frame: pd.DataFrame = self.patients.to_pandas()
        return frame

    def errors_frame(self) -> pd.DataFrame:
        """The input problems as a pandas frame (the in-memory path's dtypes)."""
        frame: pd.DataFrame = self.errors.to_pandas()
        return frame


def partitioned_best_response(
    lesions: str | os.PathLike[str] | pd.DataFrame,
    patients: str | os.PathLike[str] | pd.DataFrame,
    config: RecistConfig = RecistConfig(),  # noqa: B008 — frozen, immutable default
    *,
    memory_limit: str = "1GB",
    temp_directory: str | os.PathLike[str] | None = None,
    rows_per_partition: int | None = None,
    timepoints_out: str | os.PathLike[str] | None = None,
    threads: int | None = None,
) -> PartitionedResponses:
    """RECIST 1.1 best overall response of every patient, within a memory limit.

    The lesion and patient tables are split by a hash of ``patient_id`` into partitions of
    about ``rows_per_partition`` lesion rows (DuckDB, in one pass, spilling to
    ``temp_directory``); :func:`~captemstats.recist.assess_timepoints` and
    :func:`~captemstats.recist.best_overall_response` then run on one partition at a time.
    RECIST 1.1 (Eisenhauer et al. 2009, §4.3-4.4) decides each patient from that patient's
    assessments alone, so the result equals the in-memory call on the whole tables: each
    patient's rows keep their order, and row numbers in the errors count rows of the whole
    lesions table (files of a folder in name order).

    Parameters
    ----------
    lesions
        The lesions table in the data model's coding (:data:`captemstats.schema.LESIONS`):
        a Parquet file, a folder of Parquet files (read recursively, hive partitions
        included), or a frame. Cells are cast to the model's types, not re-coded: run
        ``captemstats validate`` on a raw export first.
    patients
        The patients table, the same way; only :data:`PATIENT_COLUMNS` are read.
    config
        The protocol options (:class:`~captemstats.recist.RecistConfig`).
    memory_limit
        The memory the run may use, e.g. ``"1GB"`` (DuckDB's spelling): DuckDB's limit while
        partitioning (:data:`DUCKDB_SHARE` of it) and the size of the partitions.
    temp_directory
        Where the partitions and DuckDB's spill files go (removed at the end); default: a
        new folder in the system's temporary directory.
    rows_per_partition
        Lesion rows per partition; default: what ``memory_limit`` allows
        ((limit - :data:`BASE_BYTES`) / :data:`BYTES_PER_LESION_ROW`, at least 10,000).
    timepoints_out
        A folder to write the timepoint table to (one Parquet file per partition, written
        atomically); default: not kept.
    threads
        DuckDB's worker threads (default: every CPU).

    Returns
    -------
    PartitionedResponses
        ``to_frame()``: one row per patient, ordered by ``patient_id``; ``errors_frame()``.

    Raises
    ------
    RecistInputError
        A source is missing or not Parquet, a required column is missing, a cell cannot be
        cast to its type, or a patient id appears twice in the patients table.

    Examples
    --------
    >>> import pandas as pd
    >>> lesions = pd.DataFrame({
    ...     "patient_id": ["P1"] * 3 + ["P2"] * 2,
    ...     "assessment_date": pd.to_datetime(["2020-01-06", "2020-03-02", "2020-04-27",
    ...                                        "2020-02-03", "2020-04-01"]),
    ...     "lesion_id": "T1", "role": "target", "organ": "liver", "nodal": False,
    ...     "diameter_mm": [40.0, 26.0, 25.0, 30.0, 40.0],
    ...     "measurement_status": "measured", "non_target_status": pd.NA,
    ... })
    >>> patients = pd.DataFrame({
    ...     "patient_id": ["P1", "P2"],
    ...     "captem_start_date": pd.to_datetime(["2020-01-08", "2020-02-05"]),
    ...     "cycles": [6, 4], "progression_date": pd.NaT, "subsequent_therapy_date": pd.NaT,
    ...     "best_response": pd.NA,
    ... })
    >>> res = partitioned_best_response(lesions, patients, rows_per_partition=2)
    >>> res.partitions, res.to_frame()[["patient_id", "bor", "bor_confirmed"]].values.tolist()
    (3, [['P1', 'PR', 'PR'], ['P2', 'PD', 'PD']])
    """
    budget = memory_bytes(memory_limit)
    per_part = rows_per_partition or max(10_000, (budget - BASE_BYTES) // BYTES_PER_LESION_ROW)
    if per_part < 1:
        raise ValueError(f"rows_per_partition must be positive, got {per_part}")
    work = Path(tempfile.mkdtemp(prefix="captemstats-scale-", dir=temp_directory))
    try:
        con = connect(f"{int(budget * DUCKDB_SHARE) // 10**3}KB", work / "spill", threads)
        try:
            les_src = _source(con, lesions, work, "lesions")
            pat_src = _source(con, patients, work, "patients")
            n_rows = _count(con, les_src[0])
            n_parts = max(1, math.ceil(n_rows / per_part))
            _check_unique_patients(con, pat_src[0])
            _partition(con, les_src, LESIONS, LESIONS.names, n_parts, work)
            _partition(con, pat_src, PATIENTS, PATIENT_COLUMNS, n_parts, work)
        finally:
            con.close()  # frees DuckDB's memory before the engine runs
        if timepoints_out is None:
            bor, errors = _run(work, n_parts, config, None)
        else:
            with atomic_folder(timepoints_out) as staging:
                bor, errors = _run(work, n_parts, config, staging)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return PartitionedResponses(
        patients=bor,
        errors=errors,
        partitions=n_parts,
        lesion_rows=n_rows,
        rows_per_partition=per_part,
        memory_limit=memory_limit,
        timepoints=None if timepoints_out is None else Path(timepoints_out),
        config=config,
    )


def _source(
    con: duckdb.DuckDBPyConnection,
    data: str | os.PathLike[str] | pd.DataFrame,
    work: Path,
    name: str,
) -> tuple[str, str]:
    """A view over ``data``'s Parquet file(s), each row with ``_row``, its 0-based position in
    the whole table (files in name order), and the name messages give the table."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if isinstance(data, pd.DataFrame):
        path = work / f"{name}-input.parquet"
        try:
            table = pa.Table.from_pandas(data, preserve_index=False)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
            raise RecistInputError(f"{name} frame: a column has mixed types ({exc})") from exc
        pq.write_table(table, path)
        files = [path]
        label = f"{name} frame"
    else:
        root = Path(data)
        try:
            source_sql(root)  # the not-found and empty-folder messages
        except FileNotFoundError as exc:
            raise RecistInputError(f"the {name} table: {exc}") from exc
        files = sorted(root.rglob("*.parquet")) if root.is_dir() else [root]
        label = root.name
    offsets = np.concatenate([[0], np.cumsum([_rows_in(f, name) for f in files])])
    # the file name goes in a column of our own name: a registry may hold a "filename" column
    con.execute(f"CREATE TEMP TABLE {name}_files ({FILE_COLUMN} VARCHAR, start BIGINT)")
    con.executemany(
        f"INSERT INTO {name}_files VALUES (?, ?)",
        [(str(f), int(o)) for f, o in zip(files, offsets[:-1], strict=True)],
    )
    listed = ", ".join(quote(str(f)) for f in files)
    hive = ", hive_partitioning = true" if not isinstance(data, pd.DataFrame) else ""
    con.execute(
        f"CREATE TEMP VIEW {name}_source AS SELECT s.*, f.start + s.file_row_number AS _row "
        f"FROM read_parquet([{listed}], filename = '{FILE_COLUMN}', file_row_number = true{hive}) "
        f"s JOIN {name}_files f USING ({FILE_COLUMN})"
    )
    return f"{name}_source", label


def _rows_in(path: Path, table: str) -> int:
    """The row count a Parquet file's footer gives; a file that is not Parquet is refused."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if path.suffix.lower() != ".parquet":
        raise RecistInputError(
            f"{path.name}: the {table} table must be Parquet for the out-of-core stage (a CSV, "
            "XLSX or SPSS export: read it with captemstats.io.read_registry, or convert it)"
        )
    try:
        return int(pq.ParquetFile(path).metadata.num_rows)
    except (pa.ArrowInvalid, OSError) as exc:
        raise RecistInputError(f"{path.name}: not a readable Parquet file ({exc})") from exc


def _count(con: duckdb.DuckDBPyConnection, source: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {source}").fetchone()
    return int(row[0]) if row else 0


def _check_unique_patients(con: duckdb.DuckDBPyConnection, source: str) -> None:
    """The in-memory engine's refusal of a repeated patient id, decided on the whole table
    (a partition sees only its own patients)."""
    dup = con.execute(
        f"SELECT CAST(patient_id AS VARCHAR) FROM {source} GROUP BY 1 HAVING count(*) > 1 "
        "ORDER BY 1 LIMIT 5"
    ).fetchall()
    if dup:
        shown = ", ".join(str(d[0]) for d in dup)
        raise RecistInputError(f"patients.patient_id is not unique (e.g. {shown})")


def _partition(
    con: duckdb.DuckDBPyConnection,
    source: tuple[str, str],
    spec: TableSpec,
    columns: tuple[str, ...],
    n_parts: int,
    work: Path,
) -> None:
    """Write the view ``source`` (name, label), cast to the model's types, into
    ``work/<table>/_part=k/`` in one pass; lesion rows keep their ``_row``."""
    import duckdb

    view, label = source
    present = {r[0] for r in con.execute(f"DESCRIBE {view}").fetchall()}
    missing = [c for c in columns if c not in present and spec.column(c).required]
    if missing:
        raise RecistInputError(
            f"{label}: the {spec.name} table lacks column(s) "
            f"{', '.join(missing)} required by the data model (captemstats.schema."
            f"{spec.name.upper()})"
        )
    select = [_cast(spec.column(c), c in present) for c in columns]
    if spec is LESIONS:
        select.append("_row")
    # the id as text, as both tables' ids are read: equal ids land in the same partition
    part = f"CAST(hash(CAST(patient_id AS VARCHAR)) % {n_parts} AS INTEGER) AS _part"
    target = work / spec.name
    try:
        con.execute(
            f"COPY (SELECT {', '.join(select)}, {part} FROM {view}) TO {quote(str(target))} "
            "(FORMAT PARQUET, PARTITION_BY (_part))"
        )
    except duckdb.ConversionException as exc:
        raise RecistInputError(
            f"{label}: a cell of the {spec.name} table does not "
            f"have its column's type ({exc}); run `captemstats validate` on the registry for "
            "the rows"
        ) from exc


def _cast(col: ColumnSpec, present: bool) -> str:
    """The SQL expression of one column in the model's type (dates without the time of day,
    as :func:`captemstats.io.read_registry` reads a typed column; NULL when optional and
    absent)."""
    sql_type = _SQL_TYPES.get(col.kind, "TIMESTAMP")
    if not present:
        return f"CAST(NULL AS {sql_type}) AS {col.name}"
    if col.kind == "date":
        return f"CAST(CAST({col.name} AS DATE) AS TIMESTAMP) AS {col.name}"
    return f"CAST({col.name} AS {sql_type}) AS {col.name}"


def _read_part(work: Path, spec: TableSpec, columns: tuple[str, ...], k: int) -> pd.DataFrame:
    """Partition ``k`` of a table as the in-memory path's typed frame (no rows if empty)."""
    import pyarrow.parquet as pq

    template = empty_table(spec)[list(columns)].reset_index(drop=True)
    if spec is LESIONS:
        template["_row"] = np.zeros(0, dtype=np.int64)
    folder = work / spec.name / f"_part={k}"
    if not folder.exists():  # no patient of the table hashed to this partition
        return template
    frame: pd.DataFrame = pq.read_table(folder).to_pandas()
    if spec is LESIONS:  # each patient's rows in their order in the whole table
        frame = frame.sort_values("_row", kind="stable").reset_index(drop=True)
    return frame[list(template.columns)].astype(template.dtypes.to_dict())


def _run(
    work: Path, n_parts: int, config: RecistConfig, timepoints: Path | None
) -> tuple[pa.Table, pa.Table]:
    """The engine on each partition; the best responses (by patient_id) and the errors."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    bors: list[pa.Table] = []
    errs: list[pd.DataFrame] = []
    for k in range(n_parts):
        les = _read_part(work, LESIONS, LESIONS.names, k)
        pat = _read_part(work, PATIENTS, PATIENT_COLUMNS, k)
        positions = les.pop("_row").to_numpy(dtype=np.int64)
        # the explanations only when the timepoints are kept (they are a third of the time)
        tp = assess_timepoints(les, config, patients=pat, explanations=timepoints is not None)
        res = best_overall_response(tp, pat, config)
        del les
        bors.append(pa.Table.from_pandas(res.patients[list(BOR_COLUMNS)], preserve_index=False))
        if len(res.errors):
            errs.append(renumber_rows(res.errors, positions))
        if timepoints is not None:
            pq.write_table(
                pa.Table.from_pandas(tp.timepoints, preserve_index=False),
                timepoints / f"part-{k:05d}.parquet",
            )
    bor = pa.concat_tables(bors).sort_by("patient_id")
    errors = concat_errors(errs) if errs else empty_errors()
    return bor, pa.Table.from_pandas(errors[list(ERROR_COLUMNS)], preserve_index=False)
