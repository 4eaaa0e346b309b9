"""Freeze-style cache of executed notebooks (the analogue of Quarto's ``_freeze/``).

The key is a SHA-256 over everything that can change an executed cell's output: the ``.qmd``
source, the parameters, the *contents* of every file or directory a parameter names (so an
edited registry invalidates the cache even under the same path), the execution and figure
options, the *source files* of the installed captemstats package (an edited library function
invalidates the cache although ``__version__`` did not change), the versions of the libraries
that compute or draw (:data:`KEY_DISTRIBUTIONS`) and this renderer's format version. Quarto's
own freeze keys on the ``.qmd`` text only; keying on the data and the code is what lets an
analyst re-render safely after an update.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from captemstats._version import __version__

CACHE_FORMAT = "captemstats-freeze-2"
_CHUNK = 1 << 20
# Distributions whose version can change a computed number, a table or a figure.
KEY_DISTRIBUTIONS = (
    "numpy",
    "pandas",
    "scipy",
    "statsmodels",
    "lifelines",
    "great_tables",
    "matplotlib",
    "seaborn",
    "pyarrow",
    "openpyxl",
    "pyreadstat",
    "pyyaml",
    "ipykernel",
)


def file_sha256(path: Path) -> str:
    """SHA-256 of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def path_fingerprint(path: Path) -> str:
    """SHA-256 of a file, or of a directory tree (relative names + file hashes, sorted)."""
    if path.is_file():
        return file_sha256(path)
    digest = hashlib.sha256()
    for file in sorted(p for p in path.rglob("*") if p.is_file()):
        rel = file.relative_to(path).as_posix()
        if any(part.startswith(".") for part in rel.split("/")):
            continue  # editor swap files, .DS_Store: not data
        digest.update(f"{rel}\0{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def package_fingerprint() -> str:
    """SHA-256 over the captemstats package's own files (names and contents).

    Read from the folder Python imports captemstats from (editable install, wheel or a copy on
    ``PYTHONPATH``), so it is the code the render kernel runs; compiled caches are skipped.
    """
    import captemstats

    root = Path(captemstats.__file__).resolve().parent
    digest = hashlib.sha256()
    for file in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = file.relative_to(root).as_posix()
        if "__pycache__" in rel.split("/") or file.suffix in (".pyc", ".pyo"):
            continue
        digest.update(f"{rel}\0{file_sha256(file)}\n".encode())
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    """Installed versions of :data:`KEY_DISTRIBUTIONS` (``"absent"`` when not installed)."""
    from importlib import metadata

    versions: dict[str, str] = {}
    for name in KEY_DISTRIBUTIONS:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "absent"
    return versions


def cache_key(
    source: str,
    params: Mapping[str, Any],
    *,
    base_dir: Path,
    options: Mapping[str, Any],
) -> str:
    """The cache key of one execution; parameter paths are resolved against ``base_dir``.

    ``base_dir`` is the kernel's working directory (the document's folder), where a relative
    path parameter is opened.
    """
    data_hashes: dict[str, str] = {}
    for name, value in sorted(params.items()):
        if isinstance(value, str | os.PathLike) and str(value):
            path = base_dir / Path(value)
            if path.exists():
                data_hashes[name] = path_fingerprint(path)
    payload = {
        "format": CACHE_FORMAT,
        "captemstats": __version__,
        "captemstats_source": package_fingerprint(),
        "libraries": library_versions(),
        "source": hashlib.sha256(source.encode()).hexdigest(),
        "params": {k: repr(v) for k, v in sorted(params.items())},
        "data": data_hashes,
        "options": options,
    }
    blob = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def cache_file(freeze_root: Path, doc_path: Path, project_root: Path) -> Path:
    """``_freeze/<document path without suffix>/captemstats.ipynb`` under ``freeze_root``."""
    try:
        rel = doc_path.resolve().relative_to(project_root.resolve())
    except ValueError:
        rel = Path(doc_path.name)
    return freeze_root / rel.with_suffix("") / "captemstats.ipynb"


def load(path: Path, key: str) -> Any | None:
    """The cached executed notebook for ``key``, or ``None`` (missing, stale or unreadable)."""
    import nbformat as nbformat_module

    nbformat: Any = nbformat_module  # untyped library
    if not path.is_file():
        return None
    try:
        nb = nbformat.reads(path.read_text(encoding="utf-8"), as_version=4)
    except Exception:  # a corrupt cache entry is a miss, never an error
        return None
    if nb.metadata.get("captemstats", {}).get("key") != key:
        return None
    return nb


def store(path: Path, key: str, nb: Any) -> None:
    """Write the executed notebook atomically (temp file + rename), tagged with ``key``."""
    import nbformat as nbformat_module

    nbformat: Any = nbformat_module  # untyped library
    nb.metadata["captemstats"] = {"key": key, "format": CACHE_FORMAT}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".ipynb")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(nbformat.writes(nb))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
