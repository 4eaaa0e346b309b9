"""A small Quarto-compatible renderer: ``.qmd`` -> Jupyter execution -> pandoc -> HTML, DOCX, PDF.

It is a bridge for machines without a ``quarto`` binary, built on the engines Quarto itself
drives: nbclient + ipykernel execute the cells and inline expressions, pandoc (``pypandoc-binary``,
3.x) converts with citeproc, and typst (PyPI ``typst``) typesets the PDF. When ``quarto`` is on
``PATH``, :func:`render_document` delegates to it instead.

Supported Quarto subset: YAML front matter (title, author, date, abstract, bibliography, csl,
``execute`` and ``format`` options), ```` ```{python} ```` cells with ``#|`` options (label,
fig-cap, tbl-cap, echo, eval, output, include, warning, error, tags: [parameters]), inline
``{python} expr`` expressions, ``@fig-``/``@tbl-`` cross-references and pandoc citations.

Modules (each imports only those before it): :mod:`.errors`, :mod:`.qmd` (parsing),
:mod:`.project` (``_quarto.yml`` and option merging), :mod:`.execute` (notebook build and run),
:mod:`.cache` (freeze store), :mod:`.assemble` (outputs -> pandoc markdown), :mod:`.convert`
(pandoc and typst), :mod:`.engine` (:func:`render_document`).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_LAZY: dict[str, str] = {
    "render_document": "captemstats.render.engine",
    "RenderResult": "captemstats.render.engine",
    "RenderError": "captemstats.render.errors",
    "parse_qmd": "captemstats.render.qmd",
}

__all__ = ["RenderError", "RenderResult", "parse_qmd", "render_document"]

if TYPE_CHECKING:  # pragma: no cover
    from captemstats.render.engine import RenderResult, render_document
    from captemstats.render.errors import RenderError
    from captemstats.render.qmd import parse_qmd


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'captemstats.render' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
