"""The Quarto path works for a user who has Quarto: proven with Quarto's own code.

No ``quarto`` binary is needed. ``../shared/quarto/`` beside the checkout (or the folder named
by ``CAPTEMSTATS_QUARTO_CHECKERS``) holds, unchanged from quarto-cli's release tags, Quarto's
YAML schema validator (run under node) and its Python Jupyter executor (``notebook.py``, whose
``nb_parameterize`` is exactly what ``quarto render -P name:value`` does). A user's clone has
neither, so those tests skip with the reason; our machines and CI have both.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from captemstats.render.execute import build_notebook, execute_notebook, inline_values
from captemstats.render.project import (
    Project,
    execute_options,
    figure_plan,
    find_project,
    quarto_inputs,
)
from captemstats.render.qmd import read_qmd

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "report" / "index.qmd"
CHECKERS = Path(os.environ.get("CAPTEMSTATS_QUARTO_CHECKERS", ROOT.parent / "shared" / "quarto"))
VERSIONS = ("1.5.57", "1.8.27")
NODE = shutil.which("node")

needs_validator = pytest.mark.skipif(
    NODE is None or not (CHECKERS / "qlint.js").is_file(),
    reason=f"Quarto's validator needs node and {CHECKERS}/qlint.js (absent on this machine)",
)
needs_executor = pytest.mark.skipif(
    not (CHECKERS / "jupyter" / "1.8.27" / "notebook.py").is_file(),
    reason=f"Quarto's Jupyter executor is not at {CHECKERS}/jupyter/1.8.27",
)


def _lint(version: str, path: Path, kind: str) -> list[dict[str, Any]]:
    assert NODE is not None
    proc = subprocess.run(
        [NODE, str(CHECKERS / "qlint.js"), str(CHECKERS / "validator" / version), str(path), kind],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    result: list[dict[str, Any]] = json.loads(proc.stdout)
    return result


# --- Quarto's schema validator ----------------------------------------------------------------


def _manuscript_sources() -> list[Path]:
    return [ROOT / "_quarto.yml", *sorted((ROOT / "report").rglob("*.qmd"))]


@needs_validator
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("source", _manuscript_sources(), ids=lambda p: p.name)
def test_quarto_validator_accepts_the_manuscript(version: str, source: Path) -> None:
    kind = "yaml" if source.suffix == ".yml" else "markdown"
    assert _lint(version, source, kind) == []


@needs_validator
@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("freeze: false", "freeze: sometimes"), "freeze"),
        (("output-dir: _output", "outputdir: _output"), "outputdir"),
        (("notebooks: []", "notebooks: 3"), "notebooks"),
    ],
)
def test_quarto_validator_refuses_a_broken_config(
    version: str, edit: tuple[str, str], message: str, tmp_path: Path
) -> None:
    text = (ROOT / "_quarto.yml").read_text(encoding="utf-8")
    assert edit[0] in text  # the negative control edits the real file's line
    broken = tmp_path / "_quarto.yml"
    broken.write_text(text.replace(edit[0], edit[1]), encoding="utf-8")
    messages = _lint(version, broken, "yaml")
    assert messages, "the validator accepted a broken config: this check cannot fail"
    assert any(message in m["text"] for m in messages)


@needs_validator
def test_quarto_validator_refuses_a_broken_cell_option(tmp_path: Path) -> None:
    doc = tmp_path / "bad.qmd"
    doc.write_text("---\ntitle: x\n---\n\n```{python}\n#| echo: sometimes\n1\n```\n")
    assert _lint("1.8.27", doc, "markdown")


# --- what `quarto render` renders ---------------------------------------------------------------


def test_the_project_renders_exactly_the_article() -> None:
    project = find_project(ROOT)
    assert project.root == ROOT
    assert quarto_inputs(project) == [ARTICLE]


def test_without_the_lists_quarto_would_render_the_fixtures_too(tmp_path: Path) -> None:
    # The discovery rules are the ones the listing above relies on: shown on a copy of the
    # project's layout, without `render:` and `notebooks:`.
    for rel in ("report/index.qmd", "tests/data/qmd/failing.qmd", "data/DICTIONARY.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    for rel in ("README.md", "data/README.md", "_output/report/index.md", ".venv/x.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    (tmp_path / "_draft.qmd").write_text("x")
    config = {
        "project": {"type": "manuscript", "output-dir": "_output"},
        "manuscript": {"article": "report/index.qmd"},
    }
    found = quarto_inputs(Project(root=tmp_path, config=config))
    expected = ["data/DICTIONARY.md", "report/index.qmd", "tests/data/qmd/failing.qmd"]
    assert [p.relative_to(tmp_path.resolve()).as_posix() for p in found] == expected


# --- parameters: Quarto's own nb_parameterize ---------------------------------------------------


def _quarto_notebook_module() -> ModuleType:
    folder = CHECKERS / "jupyter" / "1.8.27"
    sys.path.insert(0, str(folder))  # notebook.py imports its neighbours `log` and the vendor
    try:
        spec = importlib.util.spec_from_file_location("quarto_notebook", folder / "notebook.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(folder))
    return module


@needs_executor
def test_papermill_comes_with_the_report_extra() -> None:
    module = _quarto_notebook_module()
    assert module.papermill_translate is not None, "papermill is missing: -P would fail"


@pytest.fixture(scope="module")
def small_registry(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from captemstats.synth.generate import generate_registry, write_registry

    folder = tmp_path_factory.mktemp("registry") / "registry"
    write_registry(generate_registry(140, seed=11), folder)
    return folder


def _executed(nb: Any, doc: Any) -> list[list[dict[str, str]]]:
    execute_notebook(nb, doc, cwd=str(ARTICLE.parent))
    return [
        inline_values(c)
        for c in nb.cells
        if c.metadata.get("captemstats", {}).get("kind") == "inline"
    ]


@needs_executor
@pytest.mark.slow
def test_quarto_parameterisation_gives_the_built_in_numbers(small_registry: Path) -> None:
    module = _quarto_notebook_module()
    doc = read_qmd(ARTICLE)
    project = find_project(ARTICLE.parent)
    options = execute_options(project, doc.meta)
    fig, _ = figure_plan(project, doc.meta, ARTICLE.parent, ("html",))
    params = {"registry": str(small_registry), "min_cell": 5}

    quarto_nb = build_notebook(doc, params={}, doc_options=options, fig_options=fig)
    tagged = [
        i for i, c in enumerate(quarto_nb.cells) if "parameters" in c.metadata.get("tags", [])
    ]
    assert len(tagged) == 1
    module.nb_parameterize(quarto_nb, params)
    injected = quarto_nb.cells[tagged[0] + 1]
    assert "injected-parameters" in injected.metadata["tags"]
    assert f"registry = {str(small_registry)!r}".replace("'", '"') in injected.source
    assert "min_cell = 5" in injected.source

    ours = build_notebook(doc, params=params, doc_options=options, fig_options=fig)
    quarto_values, our_values = _executed(quarto_nb, doc), _executed(ours, doc)
    assert quarto_values == our_values
    flat = [v.get("text", v.get("markdown", "")) for values in our_values for v in values]
    assert "140" in flat  # the non-default registry's own count reached the prose
