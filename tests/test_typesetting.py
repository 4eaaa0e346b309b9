"""The manuscript as a journal receives it: typesetting of the rendered HTML, DOCX and PDF.

One render of report/index.qmd on the shipped registry (module fixture, ``slow``), then the
checks a production editor makes: significant P values bold where the bold-values note is
printed (and that note only where something is bold), footnote marks after the value, real
Word tables with proportional columns and the "Table Text" styles, A4 pages, notes printed
once, "(continued)" on the pages a PDF table continues onto, figures as vector in the PDF
and at 300 ppi in the DOCX, and prose without "not reached months", "(all)" or R calls.
Expected values come from the documents themselves (the P value printed in a cell decides
whether it must be bold), never from the paper.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest

from captemstats.tables._common import BOLD_NOTE

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

#: A P value as the tables print it (format_p): "<.001", ".03", ".049", ">.99".
P_CELL = re.compile(r"^(<\.001|>\.99|\.\d{2,3})$")
#: Software calls a table note must not print (the Methods name the software).
R_CALL = re.compile(r"::|survfit|survdiff|coxph\(|chisq\.test|fisher\.test|conf\.type")


@dataclass(frozen=True)
class Outputs:
    html: Path
    pdf: Path
    docx: Path


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Outputs:
    from captemstats.cli import main

    dest = tmp_path_factory.mktemp("typeset")
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        code = main(["report", "--out", str(dest), "--formats", "html,pdf,docx"])
    except SystemExit as exc:  # the CLI exits with its status
        code = exc.code
    finally:
        os.chdir(cwd)
    assert code in (0, None)
    base = dest / "report"
    return Outputs(base / "index.html", base / "index.pdf", base / "index.docx")


# -- DOCX ---------------------------------------------------------------------------------------


def _docx(path: Path) -> Any:
    import docx

    return docx.Document(str(path))


def _body_items(document: Any) -> list[tuple[str, Any]]:
    """The body in order: ("table", Table) and ("p", Paragraph)."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    items: list[tuple[str, Any]] = []
    for el in document.element.body.iterchildren():
        if el.tag.endswith("}tbl"):
            items.append(("table", Table(el, document)))
        elif el.tag.endswith("}p"):
            items.append(("p", Paragraph(el, document)))
    return items


def _cell_value(paragraph: Any) -> str:
    """The cell text without its footnote marks (superscript runs)."""
    return "".join(r.text for r in paragraph.runs if not r.font.superscript).strip()


def _notes_after(items: list[tuple[str, Any]], i: int) -> list[str]:
    notes = []
    for kind, item in items[i + 1 :]:
        if kind != "p" or not item.style.name.startswith("Table Note"):
            break
        notes.append(item.text)
    return notes


def test_docx_page_is_a4(out: Outputs) -> None:
    for section in _docx(out.docx).sections:
        assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def test_docx_significant_p_values_are_bold_runs_where_the_note_says_so(out: Outputs) -> None:
    """Under the bold-values note every P < .05 is bold and no other P is; a table without
    the note (e.g. published beside recomputed P values) bolds no P value."""
    items = _body_items(_docx(out.docx))
    tables = [(i, t) for i, (kind, t) in enumerate(items) if kind == "table"]
    assert tables
    with_note = 0
    for i, table in tables:
        noted = BOLD_NOTE in _notes_after(items, i)
        significant, wrong = 0, []
        for row in table.rows[1:]:
            for cell in row.cells:
                for p in cell.paragraphs:
                    value = _cell_value(p)
                    if not P_CELL.match(value):
                        continue
                    runs = [r for r in p.runs if not r.font.superscript and r.text.strip()]
                    bold = all(bool(r.bold) for r in runs)
                    is_sig = value.startswith("<") or (
                        not value.startswith(">") and float(value) < 0.05
                    )
                    significant += is_sig
                    if bold != (is_sig and noted):
                        wrong.append(value)
        assert not wrong, f"DOCX table {i} (note printed: {noted}): P values {wrong}"
        if noted:
            assert significant > 0, f"DOCX table {i}: the bold note but no P < .05"
            with_note += 1
    assert with_note > 0


def test_docx_cells_use_the_table_styles_and_level_rows_are_indented(out: Outputs) -> None:
    styles: set[str] = set()
    for table in _docx(out.docx).tables:
        for row in table.rows:
            for cell in row.cells:
                styles |= {p.style.name for p in cell.paragraphs}
    assert styles == {"Table Text", "Table Text Indent"}


def test_docx_grid_columns_follow_their_content(out: Outputs) -> None:
    for table in _docx(out.docx).tables:
        grid = [int(w) for w in table._tbl.xpath("./w:tblGrid/w:gridCol/@w:w")]
        if len(grid) >= 3:
            assert len(set(grid)) > 1, grid


def test_docx_footnote_marks_follow_the_value(out: Outputs) -> None:
    for table in _docx(out.docx).tables:
        for row in table.rows[1:]:
            for cell in row.cells:
                for p in cell.paragraphs:
                    runs = [r for r in p.runs if r.text]
                    marks = [k for k, r in enumerate(runs) if r.font.superscript]
                    assert all(k > 0 for k in marks), p.text


def test_docx_figures_are_300_ppi(out: Outputs) -> None:
    from PIL import Image

    with zipfile.ZipFile(out.docx) as z:
        media = [n for n in z.namelist() if n.startswith("word/media/") and n.endswith(".png")]
        assert media
        for name in media:
            dpi = Image.open(BytesIO(z.read(name))).info.get("dpi", (0, 0))
            assert min(round(d) for d in dpi) >= 300, (name, dpi)


# -- PDF ----------------------------------------------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} (poppler-utils) is not installed")
    return path


def _pdf_text(pdf: Path) -> str:
    return subprocess.run(
        [_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_pdf_has_no_raster_figure_under_300_ppi(out: Outputs) -> None:
    listing = subprocess.run(
        [_tool("pdfimages"), "-list", str(out.pdf)], capture_output=True, text=True, check=False
    ).stdout.splitlines()[2:]
    for line in listing:
        x_ppi, y_ppi = (int(v) for v in line.split()[12:14])
        assert min(x_ppi, y_ppi) >= 300, line


def test_pdf_prints_each_tables_notes_once(out: Outputs) -> None:
    html = out.html.read_text(encoding="utf-8")
    expected = html.count(BOLD_NOTE.replace("<", "&lt;"))
    assert expected > 0
    assert _pdf_text(out.pdf).count(BOLD_NOTE) == expected


def test_pdf_continued_tables_say_so_on_their_next_page(out: Outputs) -> None:
    pages = _pdf_text(out.pdf).split("\f")
    started: dict[str, int] = {}
    for number, page in enumerate(pages):
        for label in re.findall(r"^\s*(Table S?\d+):", page, flags=re.M):
            started.setdefault(label, number)
        for label in re.findall(r"^\s*(Table S?\d+) \(continued\)\s*$", page, flags=re.M):
            assert label in started and started[label] < number, (label, number)
    assert re.search(r"^\s*Table S?\d+ \(continued\)\s*$", "\f".join(pages), flags=re.M)


# -- every format -------------------------------------------------------------------------------


def _docx_text(docx: Path) -> str:
    document = _docx(docx)
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([*(p.text for p in document.paragraphs), *cells])


def _html_text(html: Path) -> str:
    return re.sub(r"<[^>]+>", " ", html.read_text(encoding="utf-8"))


def _texts(out: Outputs) -> dict[str, str]:
    return {"html": _html_text(out.html), "docx": _docx_text(out.docx), "pdf": _pdf_text(out.pdf)}


def test_no_all_group_label_in_any_output(out: Outputs) -> None:
    for fmt, text in _texts(out).items():
        assert "(all)" not in text, fmt


def test_table_notes_name_no_software_call(out: Outputs) -> None:
    items = _body_items(_docx(out.docx))
    notes = [
        n for i, (kind, _) in enumerate(items) if kind == "table" for n in _notes_after(items, i)
    ]
    assert notes
    assert not [n for n in notes if R_CALL.search(n)]


def test_not_reached_is_never_followed_by_a_unit(out: Outputs) -> None:
    for fmt, text in _texts(out).items():
        assert not re.search(r"not reached\s+months", text), fmt
