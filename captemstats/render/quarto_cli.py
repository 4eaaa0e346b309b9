"""Rendering with a ``quarto`` binary when one is on PATH (``quarto render <doc> --to ...``)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captemstats.render.errors import RenderError
from captemstats.render.publish import publish, staging_dir

if TYPE_CHECKING:
    from captemstats.render.execute import ProgressCallback
    from captemstats.render.result import RenderResult

_EXTENSION = {"html": ".html", "pdf": ".pdf", "docx": ".docx"}


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


def render_with_quarto(
    quarto: str,
    qmd: Path,
    formats: tuple[str, ...],
    params: Mapping[str, Any],
    target: Path,
    progress: ProgressCallback | None,
) -> RenderResult:
    import subprocess

    from captemstats.render.result import RenderResult

    timings: dict[str, float] = {}
    staging = staging_dir(target)
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
        publish(staging, target)
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
