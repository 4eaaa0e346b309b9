"""Pandoc (HTML, DOCX, typst) and typst (PDF) conversion of the assembled markdown.

Pandoc comes from ``pypandoc-binary`` (``pypandoc.get_pandoc_path()``, pandoc 3.x: Debian's
2.17 has no typst writer); citations are processed by ``--citeproc``. HTML is standalone with
embedded resources. DOCX and typst run ``assets/html_tables.lua`` so great_tables' raw HTML
becomes real tables. The typst source is compiled with the PyPI ``typst`` package, with the
file-system root as typst's root so absolute image paths resolve.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from captemstats.render.errors import RenderError
from captemstats.render.qmd import QmdDocument

# Front-matter keys pandoc understands and the renderer passes through unchanged.
_PASS_META = (
    "title",
    "subtitle",
    "abstract",
    "abstract-title",
    "keywords",
    "lang",
    "link-citations",
    "nocite",
    "reference-section-title",
    "suppress-bibliography",
    "thanks",
)
# Format options that pandoc's templates read as variables.
_TEMPLATE_VARS = {
    "html": ("toc-title", "toc-depth", "mainfont", "fontsize", "linestretch", "max-width"),
    "docx": ("toc-title",),
    "pdf": ("papersize", "margin", "mainfont", "fontsize", "columns", "section-numbering"),
}


def asset(name: str) -> Path:
    """Path of a bundled asset (Lua filter, CSS, typst header)."""
    return Path(str(resources.files("captemstats.render") / "assets" / name))


def pandoc_metadata(
    doc: QmdDocument,
    doc_dir: Path,
    fmt: str,
    options: Mapping[str, Any],
    *,
    project_config: Mapping[str, Any] | None = None,
    project_root: Path | None = None,
    work_dir: Path | None = None,
) -> dict[str, Any]:
    """The YAML metadata block for pandoc: front matter normalised, files made local.

    ``bibliography`` and ``csl`` come from the front matter (relative to the document) or else
    from ``_quarto.yml`` (relative to the project), as in Quarto. With ``work_dir`` each file
    is copied there and named by its file name only, so no absolute path of the author's
    machine reaches the output (pandoc stores unknown metadata in DOCX custom properties).
    """
    meta: dict[str, Any] = {k: doc.meta[k] for k in _PASS_META if k in doc.meta}
    authors = _authors(doc.meta.get("author"))
    if authors:
        meta["author"] = authors
    if "date" in doc.meta:
        meta["date"] = _date(doc.meta["date"], doc.path)
    for key in ("bibliography", "csl"):
        value, base = doc.meta.get(key), doc_dir
        if value is None and project_config is not None and project_root is not None:
            value, base = project_config.get(key), project_root
        files = [value] if isinstance(value, str) else value if isinstance(value, list) else []
        paths = [(base / str(v)).resolve() for v in files]
        if not paths:
            continue
        if work_dir is not None:
            paths = [_localise(path, work_dir, key) for path in paths]
        names = [str(p) if work_dir is None else p.name for p in paths]
        meta[key] = names[0] if isinstance(value, str) else names
    for key in _TEMPLATE_VARS[fmt]:
        if key in options:
            meta[key] = options[key]
    if fmt == "html" and "title" not in meta:
        meta["pagetitle"] = doc.path.stem if doc.path else "document"
    return meta


def _localise(path: Path, work_dir: Path, key: str) -> Path:
    """Copy a bibliography or CSL file into the conversion folder (pandoc's working folder)."""
    import shutil

    if not path.is_file():
        raise RenderError(f"{key} file not found: {path}")
    target = work_dir / path.name
    if not target.exists():
        shutil.copyfile(path, target)
    return target


def _authors(value: Any) -> list[str]:
    """Quarto author entries (strings or ``{name: ...}`` mappings) as plain names."""
    if value is None:
        return []
    items = value if isinstance(value, list) else [value]
    names: list[str] = []
    for item in items:
        if isinstance(item, Mapping):
            name = item.get("name", "")
            if isinstance(name, Mapping):
                name = name.get("literal") or " ".join(
                    str(name[k]) for k in ("given", "family") if k in name
                )
            names.append(str(name))
        else:
            names.append(str(item))
    return [n for n in names if n]


def _date(value: Any, path: Path | None) -> str:
    """Quarto's ``today``/``now``/``last-modified`` keywords as ISO dates; others unchanged."""
    if value in ("today", "now"):
        return dt.date.today().isoformat()
    if value == "last-modified" and path is not None:
        return dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
    return str(value)


def write_markdown(path: Path, meta: Mapping[str, Any], body: str) -> None:
    """Write ``---\\n<yaml>\\n---`` followed by the body."""
    header = yaml.safe_dump(dict(meta), allow_unicode=True, sort_keys=False, width=1000)
    path.write_text(f"---\n{header}---\n\n{body}", encoding="utf-8")


def run_pandoc(args: list[str], *, cwd: Path, what: str) -> list[str]:
    """Run pandoc; return its warnings, raise :class:`RenderError` with its message on failure."""
    import pypandoc

    try:
        proc = subprocess.run(
            [pypandoc.get_pandoc_path(), *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError as exc:
        raise RenderError(f"cannot run pandoc: {exc}") from None
    messages = [ln for ln in proc.stderr.splitlines() if ln.strip()]
    if proc.returncode != 0:
        detail = "\n".join(messages) or f"exit code {proc.returncode}"
        raise RenderError(f"pandoc failed while writing {what}:\n{detail}")
    return messages


def pandoc_args(
    fmt: str,
    options: Mapping[str, Any],
    *,
    resource_path: list[Path],
    reference_doc: Path | None = None,
) -> list[str]:
    """Command-line options for one output format (``html``, ``docx`` or typst for ``pdf``).

    ``reference_doc`` is the DOCX reference document (see :func:`docx_reference`).
    """
    args = [
        "--from=markdown",
        "--standalone",
        "--citeproc",
        "--resource-path=" + os.pathsep.join(str(p) for p in resource_path),
    ]
    if options.get("toc"):
        args.append("--toc")
    if options.get("number-sections"):
        args.append("--number-sections")
    headers = options.get("include-in-header", [])
    for header in [headers] if isinstance(headers, str) else headers:
        args.append(f"--include-in-header={header}")
    args.append(f"--lua-filter={asset('callouts.lua')}")
    if fmt == "html":
        args += ["--to=html5", "--embed-resources", "--mathml", f"--css={asset('render.css')}"]
        css = options.get("css", [])
        args += [f"--css={c}" for c in ([css] if isinstance(css, str) else css)]
    elif fmt == "docx":
        args += ["--to=docx", f"--lua-filter={asset('html_tables.lua')}"]
        if reference_doc is not None:
            args.append(f"--reference-doc={reference_doc}")
    else:
        args += [
            "--to=typst",
            f"--lua-filter={asset('html_tables.lua')}",
            f"--include-in-header={asset('header.typ')}",
        ]
    return args


def docx_reference(options: Mapping[str, Any], work_dir: Path) -> Path:
    """The reference document for DOCX: the user's ``reference-doc`` or pandoc's, with the
    renderer's styles and (when it sets none) an A4 page (:mod:`.docx_reference`)."""
    import pypandoc

    from captemstats.render.docx_reference import pandoc_default_reference, reference_docx

    user = options.get("reference-doc")
    if user:
        base = Path(str(user))
        if not base.is_file():
            raise RenderError(f"reference-doc not found: {base}")
    else:
        base = pandoc_default_reference(
            pypandoc.get_pandoc_path(), work_dir / "pandoc-reference.docx"
        )
    return reference_docx(base, work_dir / "captemstats-reference.docx")


def compile_typst(source: Path, pdf: Path) -> list[str]:
    """Compile ``source`` (.typ) to ``pdf``; return typst's warnings."""
    import typst

    root = Path(source.resolve().anchor)
    try:
        _, warnings = typst.compile_with_warnings(str(source), output=str(pdf), root=str(root))
    except typst.TypstError as exc:
        raise RenderError(f"typst could not compile the PDF: {exc}") from None
    return [f"typst: {w.message}" if hasattr(w, "message") else f"typst: {w}" for w in warnings]
