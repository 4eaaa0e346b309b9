"""DuckDB for the row-heavy stages: a connection with a memory limit and a spill directory.

DuckDB is an optional dependency (``pip install 'captemstats[scale]'``); it is imported only
when a scale function is called, and its absence is an environment problem with the command
that fixes it, not an internal error.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

from captemstats.errors import CaptemError

if TYPE_CHECKING:  # pragma: no cover - types only
    import duckdb

__all__ = ["ScaleUnavailableError", "connect", "memory_bytes", "quote", "source_sql"]

#: ``1GB``, ``512 MB``, ``1.5GiB``, ``800MiB``: DuckDB's own unit words (decimal and binary)
_MEMORY = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)
_UNITS = {
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


class ScaleUnavailableError(CaptemError):
    """The scale extra (DuckDB) is not installed."""


def memory_bytes(limit: str) -> int:
    """The number of bytes of a memory limit written as DuckDB writes it.

    Parameters
    ----------
    limit
        A number and a unit: KB, MB, GB, TB (powers of 1000) or KiB, MiB, GiB, TiB (powers
        of 1024), case-insensitive, e.g. ``"1GB"`` or ``"512 MiB"``.

    Returns
    -------
    int
        The limit in bytes.

    Raises
    ------
    ValueError
        For anything else (a bare number is refused: its unit would be a guess).

    Examples
    --------
    >>> memory_bytes("1GB"), memory_bytes("512 MiB")
    (1000000000, 536870912)
    """
    match = _MEMORY.match(limit)
    if match is None:
        raise ValueError(
            f"memory limit {limit!r} is not a number with a unit (KB, MB, GB, TB, KiB, MiB, "
            "GiB, TiB), e.g. '1GB'"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def connect(
    memory_limit: str, temp_directory: str | os.PathLike[str], threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection that spills to ``temp_directory`` past ``memory_limit``.

    Parameters
    ----------
    memory_limit
        DuckDB's ``memory_limit`` (see :func:`memory_bytes` for the accepted spelling).
    temp_directory
        Where DuckDB writes what does not fit (created if absent).
    threads
        Worker threads; default: the machine's CPU count.

    Returns
    -------
    duckdb.DuckDBPyConnection
        The connection; the caller closes it.

    Raises
    ------
    ScaleUnavailableError
        When DuckDB is not installed.

    Examples
    --------
    >>> import tempfile
    >>> con = connect("256MB", tempfile.mkdtemp())
    >>> con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    '244.1 MiB'
    >>> con.close()
    """
    memory_bytes(memory_limit)  # refuse a malformed limit with our message, not DuckDB's
    try:
        import duckdb
    except ImportError as exc:  # pragma: no cover - the test environment has the extra
        raise ScaleUnavailableError(
            "the out-of-core stages need DuckDB: pip install 'captemstats[scale]'"
        ) from exc
    Path(temp_directory).mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(
        config={
            "memory_limit": memory_limit,
            "temp_directory": str(temp_directory),
            "threads": threads or os.cpu_count() or 1,
            # results must not depend on the thread schedule (COPY keeps the input order)
            "preserve_insertion_order": True,
        }
    )
    return con


def source_sql(source: str | os.PathLike[str]) -> str:
    """The DuckDB table function that reads a Parquet source without loading it whole.

    Parameters
    ----------
    source
        A Parquet file, or a folder of Parquet files (searched recursively, so a
        hive-partitioned dataset such as ``lesions/centre=A/part-0.parquet`` is read whole,
        its partition columns included).

    Returns
    -------
    str
        ``read_parquet(...)`` with the path quoted for SQL.

    Raises
    ------
    FileNotFoundError
        When the path does not exist or a folder holds no Parquet file.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = Path(tempfile.mkdtemp())
    >>> pd.DataFrame({"x": [1]}).to_parquet(folder / "a.parquet")
    >>> source_sql(folder).endswith("hive_partitioning = true)")
    True
    """
    path = Path(source)
    if path.is_dir():
        if not any(path.rglob("*.parquet")):
            raise FileNotFoundError(f"{path.name}: folder holds no .parquet file")
        pattern = str(path / "**" / "*.parquet")
        return f"read_parquet({quote(pattern)}, hive_partitioning = true)"
    if not path.is_file():
        raise FileNotFoundError(f"{path.name}: no such file or folder")
    return f"read_parquet({quote(str(path))})"


def quote(text: str) -> str:
    """A SQL string literal (single quotes doubled).

    Examples
    --------
    >>> quote("it's")
    "'it''s'"
    """
    return "'" + text.replace("'", "''") + "'"
