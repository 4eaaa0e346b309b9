"""``render_document``: one ``.qmd`` to HTML, PDF and DOCX, with Quarto when it is available.

Pipeline (captemstats engine): parse -> freeze-cache lookup -> execute (on a miss) ->
per format: assemble markdown -> pandoc (-> typst -> PDF). Everything is written into a staging
directory next to ``out_dir`` and moved into place only when every format succeeded, so a
failure leaves no partial output. With ``use_quarto="auto"`` and ``quarto`` on ``PATH``, the
document is rendered by ``quarto render <doc> --to <format> -P key:value --output-dir`` instead
(into the same kind of staging directory).
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from captemstats.render.errors import RenderError
from captemstats.render.publish import output_lock, publish, staging_dir, work_dir
from captemstats.render.quarto_cli import quarto_command, render_with_quarto
from captemstats.render.result import Engine as Engine  # re-exported
from captemstats.render.result import RenderResult as RenderResult  # re-exported

__all__ = ["FORMATS", "RenderResult", "normalise_formats", "quarto_command", "render_document"]

if TYPE_CHECKING:
    from captemstats.render.crossref import Floats
    from captemstats.render.execute import ProgressCallback
    from captemstats.render.project import Project
    from captemstats.render.qmd import QmdDocument

UseQuarto = Literal["auto", "always", "never"]
FORMATS = ("html", "pdf", "docx")
_EXTENSION = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
_ALIASES = {"typst": "pdf", "word": "docx", "html5": "html"}


def normalise_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """Lower-case, map aliases (``typst`` -> ``pdf``), de-duplicate, refuse unknown names."""
    result: list[str] = []
    for raw in formats:
        name = _ALIASES.get(raw.strip().lower(), raw.strip().lower())
        if name not in FORMATS:
            raise RenderError(f"unknown output format {raw!r}; choose from {', '.join(FORMATS)}")
        if name not in result:
            result.append(name)
    if not result:
        raise RenderError("no output format requested")
    return tuple(result)


def render_document(
    qmd_path: str | Path,
    *,
    formats: Iterable[str] = FORMATS,
    params: Mapping[str, Any] | None = None,
    out_dir: str | Path,
    use_quarto: UseQuarto = "auto",
    cache: bool = True,
    progress: ProgressCallback | None = None,
    cache_dir: str | Path | None = None,
    strict: bool = False,
) -> RenderResult:
    """Render ``qmd_path`` to ``formats`` in ``out_dir`` (``<stem>.html``/``.pdf``/``.docx``).

    In a Quarto project the outputs land where Quarto puts them: under ``out_dir`` in the
    document's folder relative to the project (``_output/report/index.html``); a document
    outside a project is written to ``out_dir`` itself. Every option or syntax the built-in
    renderer does not implement is returned as a warning (``strict=True``: an error, before
    anything runs or is written).

    ``params`` are injected after the cell tagged ``parameters`` (``quarto render -P``).
    ``cache`` reuses the executed notebook from ``<project>/_freeze`` (or ``cache_dir``) when
    the source, parameters and parameter files are unchanged. ``progress(message, done, total)``
    is called as cells run and formats are written.
    """
    qmd = Path(qmd_path).resolve()
    if not qmd.is_file():
        raise RenderError(f"{qmd}: document not found")
    wanted = normalise_formats(formats)
    params = dict(params or {})
    target = Path(out_dir).resolve()
    if use_quarto not in ("auto", "always", "never"):
        raise RenderError(f"use_quarto must be 'auto', 'always' or 'never', not {use_quarto!r}")
    quarto = shutil.which("quarto") if use_quarto != "never" else None
    if use_quarto == "always" and quarto is None:
        raise RenderError("use_quarto='always' but no 'quarto' executable is on PATH")
    with output_lock(target):  # a second render into the same folder fails at once
        if quarto is not None:
            return render_with_quarto(quarto, qmd, wanted, params, target, progress)
        return _render_here(qmd, wanted, params, target, cache, progress, cache_dir, strict)


def _render_here(
    qmd: Path,
    formats: tuple[str, ...],
    params: dict[str, Any],
    target: Path,
    use_cache: bool,
    progress: ProgressCallback | None,
    cache_dir: str | Path | None,
    strict: bool,
) -> RenderResult:
    from captemstats.render import cache
    from captemstats.render.assemble import number_floats
    from captemstats.render.execute import build_notebook, execute_notebook
    from captemstats.render.project import execute_options, figure_plan, find_project
    from captemstats.render.qmd import read_qmd

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    doc = read_qmd(qmd)
    project = find_project(qmd.parent)
    warnings = _unsupported(project, doc)
    _check_strict(strict, warnings, "before execution")
    doc_options = execute_options(project, doc.meta)
    # Planned for every output, not only the requested ones, so that one execution (and one
    # cache entry) serves any later choice of formats.
    fig_options, fig_formats = figure_plan(project, doc.meta, qmd.parent, FORMATS)
    key = cache.cache_key(
        doc.source,
        params,
        base_dir=qmd.parent,
        options={"execute": doc_options, "figure": fig_options},
    )
    freeze_root = Path(cache_dir).resolve() if cache_dir else project.root / "_freeze"
    store = cache.cache_file(freeze_root, qmd, project.root)
    nb = cache.load(store, key) if use_cache else None
    timings["parse"] = time.perf_counter() - t0
    cache_hit = nb is not None
    executed = 0
    t0 = time.perf_counter()
    if nb is None:
        nb = build_notebook(doc, params=params, doc_options=doc_options, fig_options=fig_options)
        executed = execute_notebook(nb, doc, cwd=str(qmd.parent), progress=progress)
        if use_cache:
            warnings += _store(cache, store, key, nb)
    timings["execute"] = time.perf_counter() - t0

    crossref = project.config.get("crossref")
    floats = number_floats(doc, doc_options, crossref if isinstance(crossref, Mapping) else None)
    place = _output_subdir(project, qmd)
    staging = staging_dir(target)
    try:
        with work_dir("captemstats-render-") as tmp:
            work = Path(tmp)
            (staging / place).mkdir(parents=True, exist_ok=True)
            for step, fmt in enumerate(formats):
                if progress is not None:
                    progress(f"writing {fmt.upper()}", step, len(formats))
                t0 = time.perf_counter()
                out = staging / place / f"{qmd.stem}{_EXTENSION[fmt]}"
                warnings += _convert(
                    doc, nb, fmt, project, qmd, work, out, doc_options, floats, fig_formats[fmt]
                )
                timings[fmt] = time.perf_counter() - t0
        _check_strict(strict, warnings, "while writing the outputs (nothing was written)")
        if progress is not None:
            progress("done", len(formats), len(formats))
        publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outputs = {fmt: target / place / f"{qmd.stem}{_EXTENSION[fmt]}" for fmt in formats}
    return RenderResult(
        outputs=outputs,
        engine="captemstats",
        timings=timings,
        cache_hit=cache_hit,
        executed_cells=executed,
        out_dir=target,
        warnings=tuple(warnings),
    )


def _convert(
    doc: QmdDocument,
    nb: Any,
    fmt: str,
    project: Project,
    qmd: Path,
    work: Path,
    out: Path,
    doc_options: Mapping[str, Any],
    floats: Floats,
    fig_format: str,
) -> list[str]:
    """Assemble the markdown of one format and convert it with pandoc (and typst); warnings."""
    from captemstats.render import convert
    from captemstats.render.assemble import assemble
    from captemstats.render.project import format_options

    options = format_options(project, doc.meta, qmd.parent, fmt)
    part = assemble(
        doc,
        nb,
        fmt=fmt,
        doc_options=doc_options,
        floats=floats,
        work_dir=work,
        files_dir=f"{qmd.stem}_files/figure",
        fig_format=fig_format,
    )
    warnings = list(part.warnings)
    md = work / f"{qmd.stem}.{fmt}.md"
    meta = convert.pandoc_metadata(
        doc,
        qmd.parent,
        fmt,
        options,
        project_config=project.config,
        project_root=project.root,
        work_dir=work,
    )
    convert.write_markdown(md, meta, part.markdown)
    reference = convert.docx_reference(options, work) if fmt == "docx" else None
    args = convert.pandoc_args(
        fmt, options, resource_path=[work, qmd.parent], reference_doc=reference
    )
    if fmt == "pdf":
        typ = work / f"{qmd.stem}.typ"
        warnings += convert.run_pandoc([*args, str(md), f"--output={typ}"], cwd=work, what="typst")
        warnings += convert.compile_typst(typ, out)
    else:
        warnings += convert.run_pandoc(
            [*args, str(md), f"--output={out}"], cwd=work, what=fmt.upper()
        )
    return warnings


def _unsupported(project: Project, doc: QmdDocument) -> list[str]:
    """Warnings for every option and syntax of the project and document not implemented here."""
    from captemstats.render.support import check_document, check_project

    found = check_document(doc, project.config)
    if project.has_config:
        found = check_project(project.config, project.root / "_quarto.yml") + found
    messages = [u.message() for u in found]
    for source in (project.config.get("execute"), doc.meta.get("execute")):
        freeze = source.get("freeze") if isinstance(source, Mapping) else None
        if freeze not in (None, False):
            messages.append(
                f"execute: freeze: {freeze} -- Quarto would reuse executed results after the "
                "registry or the library changed (it keys on the .qmd only); the built-in "
                "renderer re-executes whenever the data, code or parameters change"
            )
    return messages


def _check_strict(strict: bool, warnings: list[str], when: str) -> None:
    if strict and warnings:
        listed = "\n".join(f"  {w}" for w in warnings)
        raise RenderError(f"--strict: {len(warnings)} warning(s) {when}:\n{listed}")


def _store(cache_module: Any, store: Path, key: str, nb: Any) -> list[str]:
    """Write the execution cache; an unwritable cache folder is a warning, not a failure."""
    try:
        cache_module.store(store, key, nb)
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        return [
            f"could not write the render cache {store.parent} ({reason}); the next render "
            "executes again (pass --no-cache to skip the cache)"
        ]
    return []


def _output_subdir(project: Project, qmd: Path) -> Path:
    """Where Quarto puts a project document's outputs under the output folder.

    Quarto mirrors the document's folder relative to the project (``report/index.qmd`` ->
    ``_output/report/index.html``); a document outside any project goes to the folder itself.
    """
    if not project.has_config:
        return Path()
    try:
        return qmd.parent.resolve().relative_to(project.root.resolve())
    except ValueError:
        return Path()
