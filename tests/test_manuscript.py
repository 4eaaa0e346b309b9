"""End-to-end render of the manuscript (report/index.qmd) with the built-in renderer.

The key numbers of the prose are recomputed here through the library (``analyze`` +
``ProseNumbers``) and looked for in the HTML, the DOCX and the PDF text; every table and
figure must be present; no patient identifier or exact date may reach any format; a changed
progression date must change the stated median PFS.
"""

from __future__ import annotations

import html
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from _edits import move_progressions_at_the_median

from captemstats.analysis import StudyAnalysis, analyze
from captemstats.io import read_registry
from captemstats.privacy import find_identifiers, identifier_tokens
from captemstats.prose import ProseNumbers
from captemstats.render import RenderResult, render_document

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "report" / "index.qmd"
REGISTRY = ROOT / "data" / "registry"
pytestmark = pytest.mark.slow

# The paper's numbering: Tables 1-4 (characteristics, response, Cox, adverse events) and
# Figures 1-3 (PFS by line, grade, Ki-67); everything added is Table S1.. / Figure S1..
MAIN_TABLES = {
    1: "Patient characteristics",
    2: "Best responses",
    3: "Cox regression",
    4: "Adverse events",
}
MAIN_FIGURES = {1: "line of treatment", 2: "histological grade", 3: "Ki-67"}
N_SUPP_TABLES = 7  # attrition, survival summary, 2 Cox supplements, reproduction, audit, files
N_SUPP_FIGURES = 11  # flow, PFS/OS all, OS by line/grade/Ki-67, PFS/OS by site, waterfall,
# swimmer, forest


@dataclass(frozen=True)
class Rendered:
    result: RenderResult
    res: StudyAnalysis
    texts: dict[str, str]


def _html_text(path: Path) -> str:
    s = path.read_text(encoding="utf-8")
    s = re.sub(r"<(script|style)\b.*?</\1>", " ", s, flags=re.S)
    s = re.sub(r"<[^>]+>", " ", s)
    return re.sub(r"\s+", " ", html.unescape(s))


def _docx_text(path: Path) -> str:
    import docx

    d = docx.Document(str(path))
    parts = [p.text for p in d.paragraphs]
    for t in d.tables:
        parts += [c.text for row in t.rows for c in row.cells]
    return re.sub(r"\s+", " ", " ".join(parts))


def _pdf_text(path: Path) -> str:
    from pypdf import PdfReader

    return re.sub(r"\s+", " ", " ".join(p.extract_text() or "" for p in PdfReader(path).pages))


def _copy_report(out: Path) -> Path:
    """A copy of the report folder keeps the freeze cache out of the checkout."""
    doc = out / "report"
    shutil.copytree(ARTICLE.parent, doc, ignore=shutil.ignore_patterns("_freeze", "_output"))
    return doc


def _render(registry: Path, out: Path, formats: tuple[str, ...]) -> RenderResult:
    return render_document(
        _copy_report(out) / "index.qmd",
        formats=formats,
        params={"registry": str(registry)},
        out_dir=out / "_output",
        use_quarto="never",
    )


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    out = tmp_path_factory.mktemp("manuscript")
    result = _render(REGISTRY, out, ("html", "pdf", "docx"))
    texts = {
        "html": _html_text(result.outputs["html"]),
        "docx": _docx_text(result.outputs["docx"]),
        "pdf": _pdf_text(result.outputs["pdf"]),
    }
    return Rendered(result, analyze(REGISTRY), texts)


def test_three_formats_without_warnings(rendered: Rendered) -> None:
    assert set(rendered.result.outputs) == {"html", "pdf", "docx"}
    assert rendered.result.warnings == ()


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_key_numbers_equal_the_library(rendered: Rendered, fmt: str) -> None:
    txt = ProseNumbers(rendered.res)
    text = rendered.texts[fmt]
    expected = [
        f"{txt.n} patients",
        f"{txt.followup_median} months",
        txt.median("pfs", ci=True),
        txt.median("os", ci=True),
        txt.median("pfs", "line_group", "1"),
        txt.p_logrank("pfs", "line_group"),
        txt.rate("ORR", "1"),
        txt.grade34,
    ]
    missing = [e for e in expected if e not in text]
    assert not missing, f"{fmt}: {missing}"


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_every_table_and_figure_is_present(rendered: Rendered, fmt: str) -> None:
    text = rendered.texts[fmt]
    for k, words in MAIN_TABLES.items():
        assert re.search(rf"Table {k}: {words}", text), f"{fmt}: Table {k}"
    for k, words in MAIN_FIGURES.items():
        assert re.search(rf"Figure {k}: [^.]*{words}", text), f"{fmt}: Figure {k}"
    assert not re.search(r"\bTable [5-9]\b|\bFigure [4-9]\b", text), "a float outside the paper's"
    for k in range(1, N_SUPP_TABLES + 1):
        assert re.search(rf"Table S{k}: ", text), f"{fmt}: Table S{k}"
    for k in range(1, N_SUPP_FIGURES + 1):
        assert re.search(rf"Figure S{k}: ", text), f"{fmt}: Figure S{k}"
    assert not re.search(rf"Table S{N_SUPP_TABLES + 1}\b|Figure S{N_SUPP_FIGURES + 1}\b", text)
    assert "?@" not in text  # no unresolved cross-reference


@pytest.mark.parametrize("fmt", ["html", "docx", "pdf"])
def test_synthetic_notice_and_no_identifiers(rendered: Rendered, fmt: str) -> None:
    text = rendered.texts[fmt]
    assert "Synthetic data." in text[:3000]
    # every patient id and every date of every table, excluded patients included
    tokens = identifier_tokens(read_registry(REGISTRY))
    assert len(tokens) > 1000
    assert find_identifiers(text, tokens) == []


def test_min_cell_version_suppresses_small_counts(rendered: Rendered, tmp_path: Path) -> None:
    result = render_document(
        _copy_report(tmp_path) / "index.qmd",
        formats=("html",),
        params={"registry": str(REGISTRY), "min_cell": 5},
        out_dir=tmp_path / "_output",
        use_quarto="never",
    )
    text = _html_text(result.outputs["html"])
    full = rendered.texts["html"]
    assert "Small-cell suppression: on (threshold 5)" in text
    assert "Small-cell suppression: off" in full
    txt = ProseNumbers(rendered.res)
    assert f"({txt.n_not_evaluable} received only one course" in full
    assert "(<5 received only one course" in text
    # withheld figures keep their numbers: every cross-reference still resolves
    assert "?@" not in text
    assert re.search(rf"Figure S{N_SUPP_FIGURES}\b", text)
    assert text.count("<5") > 10


def test_changed_progression_date_changes_the_stated_median(
    rendered: Rendered, tmp_path: Path
) -> None:
    res = rendered.res
    median = res.km("pfs").km.median["(all)"].estimate
    copy = tmp_path / "registry"
    move_progressions_at_the_median(REGISTRY, res.cohort.data, median, copy)
    result = _render(copy, tmp_path / "out", ("html",))
    text = _html_text(result.outputs["html"])
    new = ProseNumbers(analyze(copy))
    old = ProseNumbers(res)
    assert new.median("pfs", ci=True) != old.median("pfs", ci=True)
    assert f"median PFS of all patients was {new.median('pfs', ci=True)}" in text
    assert f"median PFS of all patients was {old.median('pfs', ci=True)}" not in text


def test_no_typed_cross_reference_in_the_source() -> None:
    # Every "Table N"/"Figure N" the reader sees comes from an @-reference or a caption the
    # renderer numbers; a typed one would not follow a renumbering.
    source = ARTICLE.read_text(encoding="utf-8")
    typed = re.findall(r"\b(?:Table|Figure|Fig\.)\s+S?\d+\b", source)
    assert typed == []
