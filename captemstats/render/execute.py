"""Build a Jupyter notebook from a parsed ``.qmd`` and execute it with nbclient + ipykernel.

Notebook layout, in document order:

* a hidden set-up cell (figure size, dpi and format, as Quarto's own set-up cell does, and the
  helper that publishes inline-expression values);
* one code cell per ``{python}`` cell (``eval: false`` cells are not executed);
* after the cell tagged ``parameters``, a cell tagged ``injected-parameters`` assigning the
  render parameters, exactly as papermill and ``quarto render -P`` do (at the top when no cell
  carries the tag);
* one hidden cell per markdown block with inline expressions, so each expression sees the
  kernel state at its place in the text.

Cells carry ``metadata.captemstats = {"kind": ..., "block": i}`` so outputs map back to blocks.
The kernel is always the current interpreter (``sys.executable -m ipykernel_launcher``), never
a global ``python3`` kernelspec that might point at another Python.
"""

from __future__ import annotations

import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from typing import Any

from captemstats.render.errors import RenderError
from captemstats.render.project import cell_options
from captemstats.render.qmd import CodeCell, MarkdownBlock, QmdDocument

INLINE_MIME = "application/vnd.captemstats.inline+json"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

_SETUP = """\
def _captemstats_setup(width, height, dpi, formats):
    try:
        import matplotlib as mpl
    except ImportError:
        return
    mpl.rcParams["figure.figsize"] = (width, height)
    mpl.rcParams["figure.dpi"] = dpi
    mpl.rcParams["savefig.dpi"] = "figure"
    # Deterministic PNG/SVG bytes: no software/date stamps, fixed SVG ids.
    mpl.rcParams["svg.hashsalt"] = "captemstats"
    from matplotlib_inline.backend_inline import set_matplotlib_formats
    set_matplotlib_formats(*formats)


def _captemstats_inline(value):
    from IPython.display import display
    markdown = getattr(value, "_repr_markdown_", None)
    if callable(markdown):
        text = markdown()
        text = text[0] if isinstance(text, tuple) else text
        item = {{"markdown": str(text)}}
    else:
        item = {{"text": str(value)}}
    display({{{mime!r}: item}}, raw=True)


_captemstats_setup({width!r}, {height!r}, {dpi!r}, {fmt!r})
del _captemstats_setup
"""

ProgressCallback = Callable[[str, int, int], None]


def build_notebook(
    doc: QmdDocument,
    *,
    params: Mapping[str, Any],
    doc_options: Mapping[str, Any],
    fig_options: Mapping[str, Any],
) -> Any:
    """The notebook (``nbformat.NotebookNode``) that executes ``doc`` with ``params``."""
    import nbformat.v4

    nbf: Any = nbformat.v4  # untyped library

    setup = _SETUP.format(
        mime=INLINE_MIME,
        width=float(fig_options["fig-width"]),
        height=float(fig_options["fig-height"]),
        dpi=int(fig_options["fig-dpi"]),
        fmt=_formats(fig_options["fig-format"]),
    )
    cells: list[Any] = [_cell(nbf, setup, "setup", -1)]
    injected = _parameters_cell(nbf, params) if params else None
    has_parameters_cell = any("parameters" in c.tags for c in doc.cells)
    if injected is not None and not has_parameters_cell:
        cells.append(injected)
    for index, block in enumerate(doc.blocks):
        if isinstance(block, MarkdownBlock):
            if block.inline:
                source = "\n".join(f"_captemstats_inline(({e.code}))" for e in block.inline)
                cells.append(_cell(nbf, source, "inline", index))
            continue
        options = cell_options(doc_options, block.options)
        if options.get("eval", True):
            cell = _cell(nbf, block.source, "cell", index)
            # Cell tags go to the notebook metadata, as Quarto's qmd -> ipynb conversion puts
            # them: papermill and Quarto's nb_parameterize look for the `parameters` tag there.
            tags = list(block.tags)
            if options.get("error", False):
                tags.append("raises-exception")  # nbclient: errors allowed here
            if tags:
                cell.metadata["tags"] = tags
            cells.append(cell)
        if injected is not None and "parameters" in block.tags:
            cells.append(injected)
    nb = nbf.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def _formats(value: Any) -> tuple[str, ...]:
    """``fig-format`` as a tuple of matplotlib-inline format names (``retina`` is PNG)."""
    names = [value] if isinstance(value, str) else list(value)
    return tuple(dict.fromkeys("png" if n == "retina" else str(n) for n in names))


def _cell(nbf: Any, source: str, kind: str, block: int) -> Any:
    cell = nbf.new_code_cell(source)
    cell.metadata["captemstats"] = {"kind": kind, "block": block}
    return cell


def _parameters_cell(nbf: Any, params: Mapping[str, Any]) -> Any:
    lines = ["# Parameters"]
    for key, value in params.items():
        if not key.isidentifier():
            raise RenderError(f"parameter name {key!r} is not a Python identifier")
        lines.append(f"{key} = {value!r}")
    cell = _cell(nbf, "\n".join(lines), "parameters", -1)
    cell.metadata["tags"] = ["injected-parameters"]
    return cell


def execute_notebook(
    nb: Any,
    doc: QmdDocument,
    *,
    cwd: str,
    timeout: int | None = 600,
    progress: ProgressCallback | None = None,
) -> int:
    """Execute ``nb`` in place; return the number of cells run.

    A failing cell raises :class:`RenderError` naming the cell (label or ``file:line``) and the
    exception's type and message; the Python traceback is not shown.
    """
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError

    total = len(nb.cells)
    state = {"index": 0}

    def on_start(cell: Any, cell_index: int) -> None:
        state["index"] = cell_index
        if progress is not None:
            progress(_describe(doc, cell), cell_index, total)

    from captemstats.render.publish import work_dir

    sockets = work_dir("cs-kernel-")
    km = _kernel_manager(sockets.name)
    client = NotebookClient(
        nb,
        km=km,
        timeout=timeout,
        allow_errors=False,
        record_timing=False,
        shutdown_kernel="immediate",
        resources={"metadata": {"path": cwd}},
        on_cell_start=on_start,
    )
    env = dict(os.environ)
    # Figures must come back as display data, whatever backend the caller's environment sets.
    env["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    try:
        client.execute(env=env, cleanup_kc=True)  # stop our kernel too, not just its own
    except CellExecutionError as exc:
        cell = nb.cells[state["index"]]
        raise RenderError(_cell_error(doc, cell, exc)) from None
    except CellTimeoutError:
        cell = nb.cells[state["index"]]
        raise RenderError(f"{_describe(doc, cell)} timed out after {timeout} s") from None
    except DeadKernelError as exc:
        raise RenderError(f"the Python kernel died while rendering {doc.path}: {exc}") from None
    finally:
        # nbclient only shuts down kernels it created itself; this one is ours to stop.
        if km.has_kernel:
            km.shutdown_kernel(now=True)
        sockets.cleanup()
    if progress is not None:
        progress("executed", total, total)
    return total


def _kernel_manager(socket_dir: str) -> Any:
    from jupyter_client.kernelspec import KernelSpec, KernelSpecManager
    from jupyter_client.manager import KernelManager

    spec = KernelSpec(
        argv=[
            sys.executable,
            "-Xfrozen_modules=off",
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        display_name="Python 3 (captemstats)",
        language="python",
    )

    class _ThisPython(KernelSpecManager):
        def get_kernel_spec(self, kernel_name: str) -> KernelSpec:
            return spec

    manager = _ThisPython()
    if os.name != "posix":
        return KernelManager(kernel_name="python3", kernel_spec_manager=manager)
    # IPC sockets in a private directory: local only, nothing left in the document's folder,
    # and no "kernel is running over TCP without encryption" warning.
    return KernelManager(
        kernel_name="python3",
        kernel_spec_manager=manager,
        transport="ipc",
        ip=os.path.join(socket_dir, "kernel"),
    )


def _describe(doc: QmdDocument, cell: Any) -> str:
    info = cell.metadata.get("captemstats", {})
    kind, block = info.get("kind"), info.get("block", -1)
    if kind == "cell":
        code = doc.blocks[block]
        assert isinstance(code, CodeCell)
        return f"{code.describe()} ({doc.where(code.line)})"
    if kind == "inline":
        md = doc.blocks[block]
        assert isinstance(md, MarkdownBlock)
        return f"inline expressions at {doc.where(md.inline[0].line)}"
    return f"{kind} cell"


def _cell_error(doc: QmdDocument, cell: Any, exc: Any) -> str:
    ename = getattr(exc, "ename", None) or "Error"
    evalue = _ANSI.sub("", str(getattr(exc, "evalue", "") or ""))
    info = cell.metadata.get("captemstats", {})
    if info.get("kind") == "inline":
        md = doc.blocks[info["block"]]
        assert isinstance(md, MarkdownBlock)
        done = sum(1 for o in cell.get("outputs", []) if INLINE_MIME in o.get("data", {}))
        expr = md.inline[min(done, len(md.inline) - 1)]
        return (
            f"{doc.where(expr.line)}: inline expression `{{python}} {expr.code}` failed: "
            f"{ename}: {evalue}"
        )
    return f"{_describe(doc, cell)} failed: {ename}: {evalue}"


def inline_values(cell: Any) -> list[dict[str, str]]:
    """The values an inline cell published, in order: ``{"text": ...}`` or ``{"markdown": ...}``."""
    values: list[dict[str, str]] = []
    for output in cell.get("outputs", []):
        data = output.get("data", {})
        if INLINE_MIME in data:
            item = data[INLINE_MIME]
            values.append(dict(json.loads(item) if isinstance(item, str) else item))
    return values
