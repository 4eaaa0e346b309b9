"""End-to-end renders of the fixture documents in tests/data/qmd (kernel, pandoc, typst).

The fixture has a parameters cell, two python cells, inline expressions, a great_tables table
with a footnote (``tbl-x``), a matplotlib figure (``fig-y``), cross-references and a citation.
Expected numbers are computed here from the CSV the render is pointed at, never typed in.
"""

from __future__ import annotations

import re
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from captemstats.render import RenderError, RenderResult, render_document

FIXTURES = Path(__file__).parent / "data" / "qmd"
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Rendered:
    project: Path
    result: RenderResult
    seconds: float
    n_rows: int
    total: int
    sums: dict[str, int]


def _expected(csv: Path) -> tuple[int, int, dict[str, int]]:
    frame = pd.read_csv(csv)
    sums = frame.groupby("group")["value"].sum()
    return len(frame), int(frame["value"].sum()), {str(k): int(v) for k, v in sums.items()}


def _copy_fixtures(dest: Path) -> Path:
    shutil.copytree(FIXTURES, dest)
    # A parameter file differing from the document's default proves the injection works.
    frame = pd.read_csv(dest / "values.csv")
    frame = pd.concat([frame, pd.DataFrame({"group": ["d"], "value": [11]})])
    frame.assign(value=frame["value"] * 2).to_csv(dest / "injected.csv", index=False)
    return dest


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    project = _copy_fixtures(tmp_path_factory.mktemp("render") / "doc")
    t0 = time.perf_counter()
    result = render_document(
        project / "article.qmd",
        formats=("html", "pdf", "docx"),
        params={"data": "injected.csv"},
        out_dir=project / "_output",
        use_quarto="never",
    )
    seconds = time.perf_counter() - t0
    n_rows, total, sums = _expected(project / "injected.csv")
    return Rendered(project, result, seconds, n_rows, total, sums)


def test_outputs_and_metadata(rendered: Rendered) -> None:
    result = rendered.result
    assert result.engine == "captemstats"
    assert not result.cache_hit
    assert result.executed_cells > 0
    assert set(result.outputs) == {"html", "pdf", "docx"}
    for path in result.outputs.values():
        assert path.is_file() and path.stat().st_size > 1000
    assert result.warnings == ()
    assert list(result.to_frame()["format"]) == ["html", "pdf", "docx"]
    # The freeze cache lives in the (project-less) document folder.
    assert (rendered.project / "_freeze" / "article" / "captemstats.ipynb").is_file()


def test_html_has_numbered_floats_refs_inline_values_and_citation(rendered: Rendered) -> None:
    html = rendered.result.outputs["html"].read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert f"The data hold {rendered.n_rows} rows whose values sum to {rendered.total}" in text
    assert '<div id="tbl-x" class="cs-table">' in html
    assert 'class="gt_table"' in html
    assert "Table 1: Values by group" in text
    assert "Summed over all rows of the group." in text  # the great_tables footnote
    assert '<figure id="fig-y">' in html
    assert re.search(r'<img[^>]+src="data:image/png;base64,', html)  # self-contained
    assert "Figure 1: Value per row" in text
    assert '<a href="#tbl-x">Table 1</a>' in html
    assert '<a href="#fig-y">Figure 1</a>' in html
    assert "<code>@tbl-x</code>" in html  # code is left alone
    assert "(Smith and Doe 2020)" in text
    assert "A Study of Fixture Rendering" in text  # bibliography entry
    for group, value in rendered.sums.items():
        assert re.search(rf">{group}</td>\s*<td[^>]*>{value}</td>", html)
    assert "HIDDEN-OUTPUT-MARKER" not in html  # include: false
    assert "import pandas" not in html  # echo: false


def test_docx_has_real_table_caption_figure_and_inline_values(rendered: Rendered) -> None:
    import docx

    document = docx.Document(str(rendered.result.outputs["docx"]))
    body = "\n".join(p.text for p in document.paragraphs)
    assert f"The data hold {rendered.n_rows} rows whose values sum to {rendered.total}" in body
    assert "Table 1: Values by group" in body
    assert "Figure 1: Value per row" in body
    assert "see Table 1 and Figure 1" in body
    assert "(Smith and Doe 2020)" in body
    assert len(document.tables) == 1
    rows = [[c.text for c in row.cells] for row in document.tables[0].rows]
    assert rows[0][0] == "Group"
    table_sums = {r[0]: r[1] for r in rows[1:] if r[0] in rendered.sums}
    assert table_sums == {g: str(v) for g, v in rendered.sums.items()}
    assert len(document.inline_shapes) == 1


def test_pdf_text_has_inline_value_and_numbered_floats(rendered: Rendered) -> None:
    from pypdf import PdfReader

    reader = PdfReader(str(rendered.result.outputs["pdf"]))
    text = " ".join(page.extract_text() for page in reader.pages)
    text = re.sub(r"\s+", " ", text)
    assert f"values sum to {rendered.total}" in text
    assert "Table 1: Values by group" in text
    assert "Figure 1: Value per row" in text
    assert "(see Table 1 and Figure 1)" in text
    assert "Smith and Doe 2020" in text
    assert "Summed over all rows of the group." in text


def test_unchanged_input_rerenders_from_cache_without_executing(rendered: Rendered) -> None:
    out = rendered.project / "_output_again"
    t0 = time.perf_counter()
    again = render_document(
        rendered.project / "article.qmd",
        formats=("html",),
        params={"data": "injected.csv"},
        out_dir=out,
        use_quarto="never",
    )
    seconds = time.perf_counter() - t0
    assert again.cache_hit
    assert again.executed_cells == 0
    assert seconds < rendered.result.timings["execute"]
    first = rendered.result.outputs["html"].read_text(encoding="utf-8")
    assert f"sum to {rendered.total}" in again.outputs["html"].read_text(encoding="utf-8")
    assert f"sum to {rendered.total}" in first


def test_changed_parameter_data_invalidate_the_cache(rendered: Rendered, tmp_path: Path) -> None:
    project = tmp_path / "doc"
    shutil.copytree(rendered.project, project)  # the same cache entry comes along
    frame = pd.read_csv(project / "injected.csv")
    frame["value"] = frame["value"].where(frame.index != 0, frame["value"] + 100)
    frame.to_csv(project / "injected.csv", index=False)
    n_rows, total, _ = _expected(project / "injected.csv")
    result = render_document(
        project / "article.qmd",
        formats=("html",),
        params={"data": "injected.csv"},
        out_dir=project / "_output",
        use_quarto="never",
    )
    assert not result.cache_hit
    assert result.executed_cells > 0
    html = result.outputs["html"].read_text(encoding="utf-8")
    assert f"The data hold {n_rows} rows whose values sum to {total}" in html
    assert total != rendered.total


def test_failing_cell_aborts_with_its_label_and_leaves_no_output(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "failing.qmd", tmp_path / "failing.qmd")
    out = tmp_path / "out"
    with pytest.raises(RenderError) as info:
        render_document(tmp_path / "failing.qmd", out_dir=out, use_quarto="never")
    message = str(info.value)
    assert "cell 'boom'" in message
    assert "failing.qmd:7" in message
    assert "ValueError: the registry has no patients" in message
    assert "Traceback" not in message
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["failing.qmd"]  # no staging left


def test_failing_inline_expression_names_the_expression(tmp_path: Path) -> None:
    qmd = tmp_path / "inline.qmd"
    qmd.write_text("```{python}\nx = 1\n```\n\nFine `{python} x`, then\nbad `{python} 1/0`.\n")
    with pytest.raises(RenderError, match=r"inline.qmd:6: inline expression `\{python\} 1/0`"):
        render_document(qmd, formats=("html",), out_dir=tmp_path / "o", use_quarto="never")
    assert not (tmp_path / "o").exists()
