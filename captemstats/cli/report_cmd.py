"""``captemstats report``: validate a registry, then render the manuscript (HTML, PDF, DOCX).

Steps: read and validate the registry (an invalid one is refused: the problem list is printed,
exit code 1, nothing is written); render the Quarto article (``manuscript: article:`` in
``_quarto.yml``, by default ``report/index.qmd``) with the ``registry`` (and ``mapping``)
parameters (and ``methods`` with ``--methods as_published``: the methods profile of Table 1/2's
tests, :mod:`captemstats.methods`), using ``quarto`` when it is on PATH and the built-in
renderer otherwise; print the engine used and where the outputs are; then re-read the HTML and
DOCX it wrote and audit them against the analysis (:mod:`captemstats.docaudit`), print the rule
counts and failures, and write ``index.audit.json`` / ``index.audit.txt`` beside the documents.
Exit codes: 0 rendered, 1 invalid registry, 2 unreadable input, a failed render, or (with
``--strict``) a failed self-audit (one-line message, no traceback).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from captemstats.cli._app import app
from captemstats.cli._options import MethodsChoice, MethodsOption, min_cell_option
from captemstats.errors import CaptemError

if TYPE_CHECKING:
    from captemstats.methods import MethodsName
    from captemstats.render.engine import RenderResult, UseQuarto

DEFAULT_REGISTRY = Path("data/registry")
DEFAULT_DOCUMENT = Path("report/index.qmd")


class EngineChoice(StrEnum):
    AUTO = "auto"
    QUARTO = "quarto"
    CAPTEMSTATS = "captemstats"


_USE_QUARTO: dict[str, UseQuarto] = {"auto": "auto", "quarto": "always", "captemstats": "never"}


@app.command()
def report(
    registry: Annotated[
        Path,
        typer.Option("--registry", "-r", help="Registry folder or .xlsx workbook to analyse."),
    ] = DEFAULT_REGISTRY,
    mapping: Annotated[
        Path | None,
        typer.Option("--mapping", "-m", help="YAML column mapping for a center's own columns."),
    ] = None,
    formats: Annotated[
        str, typer.Option("--formats", "-f", help="Comma-separated: html, pdf, docx.")
    ] = "html,pdf,docx",
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output folder (Quarto's output-dir): a project document lands in its own "
            "folder under it, as with quarto render (_output/report/index.html).",
        ),
    ] = Path("_output"),
    no_cache: Annotated[
        bool, typer.Option("--no-cache", help="Re-execute every cell (ignore _freeze/).")
    ] = False,
    document: Annotated[
        Path | None,
        typer.Option(
            "--document", help="The .qmd to render (default: the manuscript in _quarto.yml)."
        ),
    ] = None,
    engine: Annotated[
        EngineChoice,
        typer.Option("--engine", help="auto: quarto when on PATH, else the built-in renderer."),
    ] = EngineChoice.AUTO,
    strict: Annotated[
        bool,
        typer.Option(
            "--strict",
            help="Fail (exit 2, nothing written) when the built-in renderer meets an option or "
            "syntax it does not implement, an unresolved reference or any other warning; and "
            "(exit 2, documents kept) when the self-audit of the rendered document fails.",
        ),
    ] = False,
    audit: Annotated[
        bool,
        typer.Option(
            "--audit/--no-audit",
            help="Re-read the rendered HTML/DOCX and check them against the analysis "
            "(numbers, n/N/%, CIs, significance wording, cross-references, table sums).",
        ),
    ] = True,
    min_cell: Annotated[
        int,
        min_cell_option(
            "Suppress counts below N (shown '<N', with complementary cells) for a shared "
            "document; 0 = off (the manuscript default)."
        ),
    ] = 0,
    methods: MethodsOption = MethodsChoice.RECOMMENDED,
) -> None:
    """Validate the registry, then render the manuscript with every number computed from it."""
    from captemstats.render.engine import normalise_formats

    err = Console(stderr=True, highlight=False)
    out_console = Console(highlight=False, width=None if sys.stdout.isatty() else 200)
    try:
        wanted = normalise_formats(formats.split(","))
        qmd = _document(document)
        _check_min_cell(min_cell)
        _validate(registry, mapping, out_console, err)
        result = _render(
            qmd,
            registry,
            mapping,
            wanted,
            out,
            not no_cache,
            engine,
            err,
            min_cell,
            strict,
            methods.profile_name,
        )
    except CaptemError as exc:
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(2) from None
    _summary(result, out_console)
    if audit:
        try:
            passed = _audit(
                result, registry, mapping, min_cell, out_console, err, methods.profile_name
            )
        except CaptemError as exc:
            err.print(f"[bold red]error:[/] self-audit: {exc}", soft_wrap=True)
            raise typer.Exit(2) from None
        if not passed and strict:
            err.print("[bold red]The self-audit failed[/] (--strict): exit 2.")
            raise typer.Exit(2)


def _document(document: Path | None) -> Path:
    """The article: ``--document``, else ``manuscript: article:`` of the nearest _quarto.yml."""
    from captemstats.render.errors import RenderError
    from captemstats.render.project import find_project, manuscript_article

    if document is None:
        project = find_project(Path.cwd())
        document = manuscript_article(project) or project.root / DEFAULT_DOCUMENT
    if not document.is_file():
        raise RenderError(
            f"manuscript not found: {document} (run from the project folder or pass --document)"
        )
    return document.resolve()


def _check_min_cell(min_cell: int) -> None:
    from captemstats.privacy import check_min_cell

    try:
        check_min_cell(min_cell)
    except ValueError as exc:
        raise CaptemError(f"--min-cell: {exc}") from None


def _validate(registry: Path, mapping: Path | None, out: Console, err: Console) -> None:
    """Read and validate; on an invalid registry print the list and exit 1 (nothing written)."""
    from captemstats.io import read_registry
    from captemstats.validation import validate

    if not registry.exists():
        hint = (
            " (the shipped synthetic registry has not been generated yet)"
            if registry == DEFAULT_REGISTRY
            else ""
        )
        raise CaptemError(f"registry not found: {registry}{hint}; pass --registry PATH")
    from captemstats.provenance_check import SyntheticStatus, check_registry

    with err.status(f"Validating {registry} ..."):
        data = read_registry(registry, mapping=mapping)
        validation = validate(data)
    check = check_registry(data)
    if check.status is SyntheticStatus.MODIFIED:
        # The document says so too (an "important" callout); the console should not be silent.
        err.print(f"[yellow]warning:[/] {check.message()}", soft_wrap=True)
    if not validation.ok:
        out.print(validation)
        err.print(
            "[bold red]The registry is invalid: nothing was rendered.[/] "
            "Fix the problems listed above and run again."
        )
        raise typer.Exit(1)
    err.print(f"[green]registry valid[/]: {registry}")


def _render(
    qmd: Path,
    registry: Path,
    mapping: Path | None,
    formats: tuple[str, ...],
    out: Path,
    cache: bool,
    engine: EngineChoice,
    err: Console,
    min_cell: int = 0,
    strict: bool = False,
    methods: MethodsName = "recommended",
) -> RenderResult:
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    from captemstats.render.engine import render_document

    params: dict[str, str | int] = {"registry": str(registry.resolve())}
    if mapping is not None:
        params["mapping"] = str(mapping.resolve())
    if min_cell:
        # The document reads `min_cell` (default None: off) and passes it to
        # captemstats.privacy.suppress_table; it states the threshold in its provenance block.
        params["min_cell"] = min_cell
    if methods != "recommended":
        # The document reads `methods` (default "recommended") and passes it to analyze();
        # the default is not passed, so a default render's parameters (and cache) are unchanged.
        params["methods"] = methods
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task(f"Rendering {qmd.name}", total=None)

        def update(message: str, done: int, total: int) -> None:
            progress.update(task, description=message, completed=done, total=total)

        return render_document(
            qmd,
            formats=formats,
            params=params,
            out_dir=out,
            use_quarto=_USE_QUARTO[engine.value],
            cache=cache,
            progress=update,
            strict=strict,
        )


def _summary(result: RenderResult, out: Console) -> None:
    how = "Quarto" if result.engine == "quarto" else "the built-in renderer (no quarto on PATH)"
    cached = ", execution cache hit: no cell re-run" if result.cache_hit else ""
    out.print(f"Rendered with {how}{cached}.")
    for fmt, path in result.outputs.items():
        seconds = result.timings.get(fmt)
        timing = f" ({seconds:.1f} s)" if seconds is not None else ""
        out.print(f"  {fmt.upper():5} {path}{timing}")
    for warning in result.warnings:
        out.print(f"[yellow]warning:[/] {warning}")


def _audit(
    result: RenderResult,
    registry: Path,
    mapping: Path | None,
    min_cell: int,
    out: Console,
    err: Console,
    methods: MethodsName = "recommended",
) -> bool:
    """Audit the HTML and DOCX just written (the formats rendered); write the report beside
    them (``index.audit.json``/``.txt``, atomically); print the counts; True when it passed."""
    from captemstats.analysis import analyze
    from captemstats.docaudit import audit_files

    files = {f: p for f, p in result.outputs.items() if f in ("html", "docx")}
    if not files:
        return True
    with err.status("Auditing the rendered document ..."):
        # The document analysed the same registry in its own kernel; analysing it again here
        # costs seconds and keeps the audit independent of what the document computed.
        res = analyze(registry, mapping=mapping, methods=methods)
        report = audit_files(files, res, min_cell=min_cell or None)
    first = next(iter(files.values()))
    json_path, text_path = report.write(first.with_suffix(""))
    colour = "green" if report.ok else "bold red"
    lines = report.to_text(max_failures=20).splitlines()
    out.print(f"[{colour}]{lines[0]}[/]", soft_wrap=True)
    for line in lines[1:]:
        out.print(line, soft_wrap=True, markup=False)
    out.print(f"  report: {text_path} ({json_path.name})")
    return report.ok
