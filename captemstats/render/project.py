"""The Quarto project around a document: ``_quarto.yml`` discovery and option merging.

Quarto merges options project -> document -> cell (later wins); this module does the same for
the subset the renderer honours. Paths in ``_quarto.yml`` are relative to the project
directory, paths in the front matter to the document's directory (as in Quarto).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from captemstats.render.errors import RenderError

# Execution defaults. Quarto's own default for `echo` is true; a manuscript hides code.
EXECUTE_DEFAULTS: dict[str, Any] = {
    "echo": False,
    "eval": True,
    "output": True,
    "include": True,
    "warning": True,
    "error": False,
}
FIGURE_DEFAULTS: dict[str, Any] = {
    "fig-width": 7.0,
    "fig-height": 5.0,
    "fig-dpi": 150,
    "fig-format": "png",
}
# Renderer output name -> Quarto format name.
QUARTO_FORMAT = {"html": "html", "pdf": "typst", "docx": "docx"}
# Format options whose values are file paths (resolved against the file that set them).
_PATH_OPTIONS = ("css", "reference-doc", "include-in-header", "template")


@dataclass(frozen=True)
class Project:
    """A project directory (holding ``_quarto.yml``) or the document's own directory."""

    root: Path
    config: Mapping[str, Any] = field(default_factory=dict)

    @property
    def has_config(self) -> bool:
        return bool(self.config)


def find_project(start: Path) -> Project:
    """Walk up from ``start`` to the nearest ``_quarto.yml`` (Quarto's project discovery)."""
    start = start.resolve()
    for directory in (start, *start.parents):
        config_path = directory / "_quarto.yml"
        if config_path.is_file():
            return Project(root=directory, config=load_yaml(config_path))
    return Project(root=start)


def load_yaml(path: Path) -> dict[str, Any]:
    """Load a YAML mapping, naming the file in any error."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise RenderError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise RenderError(f"{path}: must be a YAML mapping")
    return data


def execute_options(project: Project, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Document-level execution options: defaults < ``_quarto.yml`` < front matter."""
    merged = dict(EXECUTE_DEFAULTS)
    for source in (project.config.get("execute"), meta.get("execute")):
        if isinstance(source, Mapping):
            merged.update({k: v for k, v in source.items() if k in EXECUTE_DEFAULTS})
    return merged


def cell_options(doc_options: Mapping[str, Any], cell: Mapping[str, Any]) -> dict[str, Any]:
    """A cell's effective options (cell ``#|`` options win over the document's)."""
    merged = dict(doc_options)
    merged.update(cell)
    return merged


def figure_options(project: Project, meta: Mapping[str, Any]) -> dict[str, Any]:
    """Figure size/dpi/format for the (single) execution: defaults < project < front matter."""
    merged = dict(FIGURE_DEFAULTS)
    for source in (project.config, meta):
        merged.update({k: source[k] for k in FIGURE_DEFAULTS if k in source})
    return merged


# Quarto's default figure format per output when none is set (typst draws SVG natively).
FORMAT_FIG_DEFAULT = {"html": "png", "pdf": "svg", "docx": "png"}


def figure_plan(
    project: Project, meta: Mapping[str, Any], doc_dir: Path, formats: tuple[str, ...]
) -> tuple[dict[str, Any], dict[str, str]]:
    """The one execution's figure options, and the image type each output takes.

    Quarto executes once per format; the built-in renderer executes once for all of them, so
    the kernel emits every image type some format wants (``fig-format`` of the format, else of
    the document or project, else :data:`FORMAT_FIG_DEFAULT`) at the largest ``fig-dpi`` any of
    them asks for. Returns ``(execution options, {output: fig-format})``.
    """
    merged = figure_options(project, meta)
    explicit = meta.get("fig-format", project.config.get("fig-format"))
    chosen: dict[str, str] = {}
    dpis: list[int] = []
    for fmt in formats:
        options = format_options(project, meta, doc_dir, fmt)
        chosen[fmt] = str(options.get("fig-format") or explicit or FORMAT_FIG_DEFAULT[fmt])
        dpis.append(int(options.get("fig-dpi", merged["fig-dpi"])))
    merged["fig-dpi"] = max(dpis, default=int(merged["fig-dpi"]))
    merged["fig-format"] = sorted(set(chosen.values()) or {str(merged["fig-format"])})
    return merged, chosen


def format_options(
    project: Project, meta: Mapping[str, Any], doc_dir: Path, output: str
) -> dict[str, Any]:
    """Options of one output (``html``/``pdf``/``docx``): project ``format:`` < front matter.

    Path-valued options are made absolute here, relative to the file that set them.
    """
    name = QUARTO_FORMAT[output]
    merged: dict[str, Any] = {}
    for source, base in ((project.config, project.root), (meta, doc_dir)):
        formats = source.get("format")
        if not isinstance(formats, Mapping):
            continue
        options = formats.get(name)
        if not isinstance(options, Mapping):
            continue
        for key, value in options.items():
            merged[key] = _absolute(value, base) if key in _PATH_OPTIONS else value
    return merged


def _absolute(value: Any, base: Path) -> Any:
    if isinstance(value, str):
        return str((base / value).resolve())
    if isinstance(value, list):
        return [str((base / str(v)).resolve()) for v in value]
    return value


def manuscript_article(project: Project) -> Path | None:
    """The ``manuscript: article:`` document of a Quarto manuscript project, if any."""
    manuscript = project.config.get("manuscript")
    if isinstance(manuscript, Mapping) and isinstance(manuscript.get("article"), str):
        return project.root / str(manuscript["article"])
    return None


# File types Quarto's engines render (markdown, Jupyter and knitr) and folders they skip.
_INPUT_SUFFIXES = (".qmd", ".md", ".markdown", ".ipynb", ".Rmd", ".Rmarkdown")
_ENGINE_IGNORE_DIRS = ("node_modules", "venv", "env", "renv", "packrat")
_README = re.compile(r"^README\.[Rrq]?md$")


def quarto_inputs(project: Project) -> list[Path]:
    """The files ``quarto render`` renders in ``project`` (Quarto 1.5-1.8's discovery rules).

    Quarto lists every ``.qmd``/``.md``/``.ipynb``/``.Rmd`` file under the project folder, minus
    files and folders whose name starts with ``_`` or ``.``, ``README`` files, the engines'
    folders (``node_modules``, ``venv``, ``env``, ``renv``) and the output folder; a
    ``project: render:`` list replaces that walk. A ``manuscript`` project then renders the
    article plus its notebooks: the ``manuscript: notebooks:`` list when given (``[]`` = none),
    else every other input. (``src/project/project-context.ts`` and
    ``src/project/types/manuscript/manuscript.ts`` in quarto-cli.)
    """
    config = project.config
    options = config.get("project")
    options = options if isinstance(options, Mapping) else {}
    root = project.root.resolve()
    output_dir = options.get("output-dir")
    render = options.get("render")
    if isinstance(render, list):
        found = [p for entry in render for p in _walk(root / str(entry), root, output_dir)]
    else:
        found = list(_walk(root, root, output_dir))
    if options.get("type") != "manuscript":
        return sorted(set(found))
    article = manuscript_article(project) or root / "index.qmd"
    manuscript = config.get("manuscript")
    notebooks = manuscript.get("notebooks") if isinstance(manuscript, Mapping) else None
    if isinstance(notebooks, list):
        listed = [n if isinstance(n, str) else n.get("notebook") for n in notebooks]
        others = [root / str(n) for n in listed if isinstance(n, str)]
    else:
        others = [p for p in found if p != article.resolve()]
    return sorted({*others, article.resolve()})


def _walk(entry: Path, root: Path, output_dir: Any) -> list[Path]:
    import os

    if entry.is_file():
        return [entry.resolve()] if entry.suffix in _INPUT_SUFFIXES else []
    out = (root / str(output_dir)).resolve() if output_dir else None
    files: list[Path] = []
    for folder, dirs, names in os.walk(entry):
        here = Path(folder)
        # Pruned in place, so hidden folders (.venv, .git) and engine folders are never read.
        dirs[:] = [
            d
            for d in dirs
            if not d.startswith(("_", ".")) and d not in _ENGINE_IGNORE_DIRS and here / d != out
        ]
        for name in names:
            path = here / name
            if path.suffix not in _INPUT_SUFFIXES or name.startswith(("_", ".")):
                continue
            if _README.match(name):
                continue
            files.append(path.resolve())
    return files
