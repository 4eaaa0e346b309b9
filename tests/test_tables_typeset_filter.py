"""html_tables.lua on one small great_tables table: what DOCX and typst receive.

A ``Table`` with a heading row, two indented level rows, a significant P value (bold), a
footnoted cell and a note goes through pandoc exactly as the renderer sends it (a raw HTML
block inside a ``.cs-table`` div with a ``.cs-caption``). Fast: no kernel, no typst compile.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from captemstats.render.convert import asset
from captemstats.render.docx_reference import pandoc_default_reference, reference_docx
from captemstats.tables._common import BOLD_NOTE
from captemstats.tables.table import Column, Footnote, Table, make_frame

pypandoc = pytest.importorskip("pypandoc")

LABEL = "A rather long variable label that needs room"


def _table() -> Table:
    rows = [
        {"variable": "v", "row_type": "label", "label": LABEL, "p": "<.001"},
        {"variable": "v", "row_type": "level", "label": "Yes", "a": "12 (40.0)", "b": "3 (9.1)"},
        {"variable": "v", "row_type": "level", "label": "No", "a": "18 (60.0)", "b": "30 (90.9)"},
        {"variable": "w", "row_type": "label", "label": "Other", "p": ".49"},
    ]
    cols = (Column("a", "Group A, n (%)"), Column("b", "Group B, n (%)"), Column("p", "P value"))
    return Table(
        data=make_frame(rows, ["a", "b", "p"]),
        columns=cols,
        stub_header="Characteristic",
        footnotes=(Footnote("Fisher's exact test", column="p", rows=(0, 3)),),
        notes=(BOLD_NOTE,),
        bold=((0, "p"),),
    )


def _markdown() -> str:
    html = _table().as_html()
    return (
        "::: {#tbl-x .cs-table}\n::: cs-caption\nTable 1: A caption.\n:::\n\n"
        f"```{{=html}}\n{html}\n```\n:::\n"
    )


def _pandoc(args: list[str], cwd: Path) -> None:
    subprocess.run([pypandoc.get_pandoc_path(), *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    work = tmp_path_factory.mktemp("filter")
    (work / "t.md").write_text(_markdown(), encoding="utf-8")
    ref = reference_docx(
        pandoc_default_reference(pypandoc.get_pandoc_path(), work / "base.docx"),
        work / "ref.docx",
    )
    lua = f"--lua-filter={asset('html_tables.lua')}"
    _pandoc(["t.md", "--to=docx", lua, f"--reference-doc={ref}", "-o", "t.docx"], work)
    _pandoc(["t.md", "--to=typst", lua, "-o", "t.typ"], work)
    return {"docx": work / "t.docx", "typst": work / "t.typ"}


def test_docx_bold_p_styles_and_indent(outputs: dict[str, Path]) -> None:
    import docx

    document = docx.Document(str(outputs["docx"]))
    (table,) = document.tables
    cells = {c.text: c for row in table.rows for c in row.cells}
    bold = [r for p in cells["<.0011"].paragraphs for r in p.runs if not r.font.superscript]
    assert bold and all(r.bold for r in bold)  # P < .05 under the note: bold
    plain = [r for p in cells[".491"].paragraphs for r in p.runs if not r.font.superscript]
    assert plain and not any(r.bold for r in plain)
    # the footnote mark follows the value
    runs = [r for p in cells[".491"].paragraphs for r in p.runs if r.text]
    assert runs[-1].font.superscript and not runs[0].font.superscript
    styles = {c.text: c.paragraphs[0].style.name for row in table.rows for c in row.cells}
    assert styles["Yes"] == styles["No"] == "Table Text Indent"
    assert styles[LABEL] == "Table Text"


def test_docx_widths_follow_content_and_notes_print_once_below(outputs: dict[str, Path]) -> None:
    import docx

    document = docx.Document(str(outputs["docx"]))
    (table,) = document.tables
    grid = [int(w) for w in table._tbl.xpath("./w:tblGrid/w:gridCol/@w:w")]
    assert grid[0] == max(grid) and grid[3] == min(grid)  # label widest, P narrowest
    notes = [p.text for p in document.paragraphs if p.style.name.startswith("Table Note")]
    assert notes.count(BOLD_NOTE) == 1
    assert not [c for row in table.rows for c in row.cells if BOLD_NOTE in c.text]


def test_typst_bold_indent_widths_and_continuation_markers(outputs: dict[str, Path]) -> None:
    typ = outputs["typst"].read_text(encoding="utf-8")
    assert "#strong[\\<.001#super[1]]" in typ  # P < .05 bold, its mark after the value
    assert "[.49#super[1]" in typ  # not significant: plain, mark after the value
    assert typ.count("#h(1.0em)") == 2  # the two level rows
    assert re.search(r"columns: \(\d+(\.\d+)?%, ", typ)  # relative widths, not equal autos
    assert typ.count("<cs-table-start>") == typ.count("<cs-table-end>") == 1
    assert "table.footer" not in typ and typ.count("Bold values indicate") == 1
    assert "#cs-table-notes[" in typ
