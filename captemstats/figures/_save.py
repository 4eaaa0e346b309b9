"""Writing figures to disk: SVG, PDF and 300-dpi PNG, each written atomically."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captemstats.atomic import write_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

_FORMATS = frozenset({"svg", "pdf", "png", "tiff", "eps"})


def save_figure(
    fig: Figure,
    path_stem: str | os.PathLike[str],
    formats: Sequence[str] = ("svg", "pdf", "png"),
    dpi: int = 300,
) -> dict[str, Path]:
    """Save ``fig`` as ``<path_stem>.<format>`` for each format; return the paths by format.

    Each file is rendered to a temporary file in the target directory and moved into place
    with ``os.replace``, so a reader never sees a partial file. ``dpi`` applies to raster
    formats (journals ask for at least 300 dpi). Text is kept as text in SVG and fonts are
    embedded as TrueType in PDF (the publication theme's rc settings).
    """
    from captemstats.figures._theme import publication_theme

    unknown = sorted(set(formats) - _FORMATS)
    if unknown:
        raise ValueError(f"unsupported figure format(s) {unknown}; use {sorted(_FORMATS)}")
    stem = Path(path_stem)
    written: dict[str, Path] = {}
    with publication_theme():
        for fmt in formats:
            target = stem.with_name(f"{stem.name}.{fmt}")

            def write(tmp: Path, fmt: str = fmt) -> None:
                fig.savefig(tmp, format=fmt, dpi=dpi, metadata=_metadata(fmt))

            written[fmt] = write_atomic(target, write)
    return written


def _metadata(fmt: str) -> dict[str, Any] | None:
    # Fixed metadata keeps SVG/PDF output byte-stable across runs (no creation dates).
    if fmt == "svg":
        return {"Date": None}
    if fmt == "pdf":
        return {"CreationDate": None, "ModDate": None}
    if fmt == "png":
        return {"Software": None}
    return None
