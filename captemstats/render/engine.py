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
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from captemstats.render.errors import RenderError

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.render.execute import ProgressCallback

Engine = Literal["quarto", "captemstats"]
UseQuarto = Literal["auto", "always", "never"]
FORMATS = ("html", "pdf", "docx")
_EXTENSION = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}
_ALIASES = {"typst": "pdf", "word": "docx", "html5": "html"}


@dataclass(frozen=True)
class RenderResult:
    """What a render produced: output path per format, engine, timings (seconds), cache use."""

    outputs: Mapping[str, Path]
    engine: Engine
    timings: Mapping[str, float]
    cache_hit: bool
    executed_cells: int
    out_dir: Path
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per format: format, path, seconds spent converting it."""
        import pandas as pd

        return pd.DataFrame(
            {
                "format": list(self.outputs),
                "path": [str(p) for p in self.outputs.values()],
                "seconds": [self.timings.get(f, float("nan")) for f in self.outputs],
            }
        )


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
) -> RenderResult:
    """Render ``qmd_path`` to ``formats`` in ``out_dir`` (``<stem>.html``/``.pdf``/``.docx``).

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
    if quarto is not None:
        return _render_with_quarto(quarto, qmd, wanted, params, target, progress)
    return _render_here(qmd, wanted, params, target, cache, progress, cache_dir)


def _render_here(
    qmd: Path,
    formats: tuple[str, ...],
    params: dict[str, Any],
    target: Path,
    use_cache: bool,
    progress: ProgressCallback | None,
    cache_dir: str | Path | None,
) -> RenderResult:
    from captemstats.render import cache, convert
    from captemstats.render.assemble import assemble, number_floats
    from captemstats.render.execute import build_notebook, execute_notebook
    from captemstats.render.project import (
        execute_options,
        figure_options,
        find_project,
        format_options,
    )
    from captemstats.render.qmd import read_qmd

    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    doc = read_qmd(qmd)
    project = find_project(qmd.parent)
    doc_options = execute_options(project, doc.meta)
    fig_options = figure_options(project, doc.meta)
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
            cache.store(store, key, nb)
    timings["execute"] = time.perf_counter() - t0

    floats = number_floats(doc, doc_options)
    warnings: list[str] = []
    staging = _staging_dir(target)
    try:
        with tempfile.TemporaryDirectory(prefix="captemstats-render-") as tmp:
            work = Path(tmp)
            for step, fmt in enumerate(formats):
                if progress is not None:
                    progress(f"writing {fmt.upper()}", step, len(formats))
                t0 = time.perf_counter()
                options = format_options(project, doc.meta, qmd.parent, fmt)
                part = assemble(
                    doc,
                    nb,
                    fmt=fmt,
                    doc_options=doc_options,
                    floats=floats,
                    work_dir=work,
                    files_dir=f"{qmd.stem}_files/figure",
                )
                warnings.extend(part.warnings)
                md = work / f"{qmd.stem}.{fmt}.md"
                meta = convert.pandoc_metadata(doc, qmd.parent, fmt, options)
                convert.write_markdown(md, meta, part.markdown)
                args = convert.pandoc_args(fmt, options, resource_path=[work, qmd.parent])
                out = staging / f"{qmd.stem}{_EXTENSION[fmt]}"
                if fmt == "pdf":
                    typ = work / f"{qmd.stem}.typ"
                    warnings += convert.run_pandoc(
                        [*args, str(md), f"--output={typ}"], cwd=work, what="typst"
                    )
                    warnings += convert.compile_typst(typ, out)
                else:
                    warnings += convert.run_pandoc(
                        [*args, str(md), f"--output={out}"], cwd=work, what=fmt.upper()
                    )
                timings[fmt] = time.perf_counter() - t0
        if progress is not None:
            progress("done", len(formats), len(formats))
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    outputs = {fmt: target / f"{qmd.stem}{_EXTENSION[fmt]}" for fmt in formats}
    return RenderResult(
        outputs=outputs,
        engine="captemstats",
        timings=timings,
        cache_hit=cache_hit,
        executed_cells=executed,
        out_dir=target,
        warnings=tuple(warnings),
    )


def quarto_command(
    quarto: str,
    qmd: Path,
    fmt: str,
    params: Mapping[str, Any],
    out_dir: Path,
) -> list[str]:
    """``quarto render <doc> --to <format> [-P key:value ...] --output-dir <dir>``."""
    from captemstats.render.project import QUARTO_FORMAT

    cmd = [quarto, "render", str(qmd), "--to", QUARTO_FORMAT[fmt]]
    for key, value in params.items():
        cmd += ["-P", f"{key}:{_quarto_value(value)}"]
    return [*cmd, "--output-dir", str(out_dir)]


def _quarto_value(value: Any) -> str:
    # Quarto parses -P values as YAML scalars; booleans and None need YAML spelling.
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _render_with_quarto(
    quarto: str,
    qmd: Path,
    formats: tuple[str, ...],
    params: Mapping[str, Any],
    target: Path,
    progress: ProgressCallback | None,
) -> RenderResult:
    import subprocess

    timings: dict[str, float] = {}
    staging = _staging_dir(target)
    try:
        for step, fmt in enumerate(formats):
            if progress is not None:
                progress(f"quarto render --to {fmt}", step, len(formats))
            t0 = time.perf_counter()
            cmd = quarto_command(quarto, qmd, fmt, params, staging)
            proc = subprocess.run(cmd, cwd=qmd.parent, capture_output=True, text=True, check=False)
            if proc.returncode != 0:
                tail = "\n".join(proc.stderr.strip().splitlines()[-20:])
                raise RenderError(f"quarto render failed for {fmt.upper()}:\n{tail}")
            timings[fmt] = time.perf_counter() - t0
        outputs: dict[str, Path] = {}
        for fmt in formats:
            found = sorted(staging.rglob(f"{qmd.stem}{_EXTENSION[fmt]}"))
            if not found:
                raise RenderError(f"quarto reported success but wrote no {qmd.stem}.{fmt}")
            outputs[fmt] = target / found[0].relative_to(staging)
        if progress is not None:
            progress("done", len(formats), len(formats))
        _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return RenderResult(
        outputs=outputs,
        engine="quarto",
        timings=timings,
        cache_hit=False,
        executed_cells=0,
        out_dir=target,
    )


def _staging_dir(target: Path) -> Path:
    """A fresh directory on the same file system as ``target`` (so the final move is a rename).

    Created beside ``target`` when its parent exists, else in the system temp directory: the
    output folder itself (and its parents) are only created at publication.
    """
    parent = target.parent
    base = parent if parent.is_dir() else None
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.staging-", dir=base))


def _publish(staging: Path, target: Path) -> None:
    """Move every entry of ``staging`` into ``target``, replacing same-named entries.

    A missing ``target`` is created by renaming ``staging`` itself (one atomic step); into an
    existing folder each entry is swapped in with :func:`os.replace` (files) or rename (folders),
    leaving other files there alone.
    """
    import os

    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.replace(staging, target)
            return
        except OSError:
            pass  # different file system: fall back to entry-wise moves
        target.mkdir()
    for entry in staging.iterdir():
        dest = target / entry.name
        if dest.is_dir() and not dest.is_symlink():
            # Rename the old folder aside first (one atomic step) so that an interrupted
            # publication never leaves the folder half-deleted; remove it once replaced.
            old = Path(tempfile.mkdtemp(prefix=f".{entry.name}.old-", dir=target))
            os.replace(dest, old / entry.name)
            try:
                shutil.move(str(entry), str(dest))
            except BaseException:
                os.replace(old / entry.name, dest)  # put the previous folder back
                raise
            finally:
                shutil.rmtree(old, ignore_errors=True)
            continue
        shutil.move(str(entry), str(dest))
