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

    Parameters
    ----------
    fig
        The figure.
    path_stem
        The path without the extension (missing folders are created).
    formats
        Any of ``"svg"``, ``"pdf"``, ``"png"``, ``"tiff"`` and ``"eps"``.
    dpi
        Resolution of raster formats.

    Returns
    -------
    dict of str to pathlib.Path
        The file written per format.

    Raises
    ------
    ValueError
        An unsupported format.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> from captemstats.figures import withheld_figure
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     paths = save_figure(withheld_figure(), Path(tmp) / "figure1", formats=("png", "svg"))
    ...     sorted((fmt, p.name) for fmt, p in paths.items())
    [('png', 'figure1.png'), ('svg', 'figure1.svg')]
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
