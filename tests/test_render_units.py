"""Fast unit tests of the renderer: .qmd parsing, options, notebook building, cross-references,
escaping and the freeze-cache key. No kernel, no pandoc (except one escaping round trip)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from captemstats.render import RenderError, parse_qmd
from captemstats.render.assemble import Floats, escape_text, number_floats, resolve_refs
from captemstats.render.cache import cache_file, cache_key, load, path_fingerprint, store
from captemstats.render.engine import normalise_formats, quarto_command
from captemstats.render.execute import build_notebook
from captemstats.render.project import (
    Project,
    execute_options,
    find_project,
    format_options,
    manuscript_article,
)
from captemstats.render.qmd import CodeCell, MarkdownBlock

FIG = {"fig-width": 7.0, "fig-height": 5.0, "fig-dpi": 100, "fig-format": "png"}


# --- parsing ---------------------------------------------------------------------------------

DOC = """\
---
title: T
---

Intro `{python} a + 1` and `{python} "x"`.

```{python}
#| label: fig-a
#| fig-cap: "A figure"
#| echo: true
#| tags: [parameters]
a = 1
```

```python
`{python} not_inline`
```

````{=html}
<p>`{python} neither`</p>
````

Tail `{python} b`
"""


def test_parse_blocks_options_and_inline_lines() -> None:
    doc = parse_qmd(DOC)
    assert doc.meta == {"title": "T"}
    kinds = [type(b).__name__ for b in doc.blocks]
    assert kinds == ["MarkdownBlock", "CodeCell", "MarkdownBlock"]
    cell = doc.blocks[1]
    assert isinstance(cell, CodeCell)
    assert cell.source == "a = 1"
    assert cell.label == "fig-a"
    assert cell.options["fig-cap"] == "A figure"
    assert cell.options["echo"] is True
    assert cell.tags == ("parameters",)
    assert cell.line == 7
    first, last = doc.blocks[0], doc.blocks[2]
    assert isinstance(first, MarkdownBlock) and isinstance(last, MarkdownBlock)
    assert [(e.code, e.line) for e in first.inline] == [("a + 1", 5), ('"x"', 5)]
    # Inline syntax inside non-executable fences is text, not code to run.
    assert [(e.code, e.line) for e in last.inline] == [("b", 23)]
    for expr in first.inline:
        assert first.text[expr.start : expr.end].startswith("`{python}")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("```{python}\nx = 1\n", r"<qmd>:1: code fence '```' is never closed"),
        ("text\n\n```{r}\n1\n```\n", r"<qmd>:3: only \{python\} cells are supported"),
        ("```{python}\n#| label: [a\nx\n```\n", r"<qmd>:2: '#\|' cell options are not valid"),
        ("```{python}\n#| just text\nx\n```\n", r"must be 'key: value'"),
        ("```{python echo=false}\nx\n```\n", r"options in the fence header"),
        ("---\n- a\n- b\n---\n", r"front matter must be a YAML mapping"),
        ("---\ntitle: x\n", r"front matter opened with '---' is never closed"),
        ("---\ntitle: [x\n---\n", r"front matter is not valid YAML"),
    ],
)
def test_parse_errors_name_line_and_rule(source: str, message: str) -> None:
    with pytest.raises(RenderError, match=message):
        parse_qmd(source)


def test_longer_fence_may_contain_backticks_and_no_front_matter() -> None:
    doc = parse_qmd("````{python}\ns = '```'\n````\n")
    assert doc.meta == {}
    assert [c.source for c in doc.cells] == ["s = '```'"]


# --- project options -------------------------------------------------------------------------


def test_option_precedence_project_document_cell(tmp_path: Path) -> None:
    (tmp_path / "_quarto.yml").write_text(
        "execute: {echo: true, warning: false}\n"
        "manuscript: {article: report/index.qmd}\n"
        "format:\n  html: {css: styles/a.css, toc: true}\n"
    )
    sub = tmp_path / "report"
    sub.mkdir()
    project = find_project(sub)
    assert project.root == tmp_path.resolve()
    assert manuscript_article(project) == tmp_path.resolve() / "report/index.qmd"
    meta: dict[str, Any] = {
        "execute": {"echo": False},
        "format": {"html": {"toc": False, "css": "b.css"}},
    }
    assert execute_options(project, meta)["echo"] is False  # document beats project
    assert execute_options(project, {})["echo"] is True  # project beats default
    assert execute_options(project, meta)["warning"] is False
    html = format_options(project, meta, sub, "html")
    assert html["toc"] is False
    assert html["css"] == str((sub / "b.css").resolve())  # relative to the document
    only_project = format_options(project, {}, sub, "html")
    assert only_project["css"] == str((tmp_path / "styles/a.css").resolve())
    assert format_options(project, meta, sub, "pdf") == {}


def test_no_project_means_document_folder(tmp_path: Path) -> None:
    project = find_project(tmp_path)
    assert project == Project(root=tmp_path.resolve())
    assert manuscript_article(project) is None


# --- notebook building -----------------------------------------------------------------------


def _kinds(nb: Any) -> list[str]:
    return [c.metadata["captemstats"]["kind"] for c in nb.cells]


def test_parameters_injected_after_tagged_cell_like_papermill() -> None:
    doc = parse_qmd(
        "```{python}\nimport os\n```\n\n```{python}\n#| tags: [parameters]\nregistry = 'a'\n```\n"
        "\nN = `{python} n`\n\n```{python}\n#| eval: false\nskipped = 1\n```\n"
    )
    nb = build_notebook(doc, params={"registry": "/data/x"}, doc_options={}, fig_options=FIG)
    assert _kinds(nb) == ["setup", "cell", "cell", "parameters", "inline"]
    injected = nb.cells[3]
    assert injected.metadata["tags"] == ["injected-parameters"]
    assert "registry = '/data/x'" in injected.source
    assert "skipped" not in "".join(c.source for c in nb.cells)
    assert nb.cells[4].source == "_captemstats_inline((n))"


def test_parameters_at_top_without_tagged_cell_and_bad_names() -> None:
    doc = parse_qmd("```{python}\nx = 1\n```\n")
    nb = build_notebook(doc, params={"x": 2}, doc_options={}, fig_options=FIG)
    assert _kinds(nb) == ["setup", "parameters", "cell"]
    with pytest.raises(RenderError, match="not a Python identifier"):
        build_notebook(doc, params={"bad-name": 1}, doc_options={}, fig_options=FIG)


def test_error_true_lets_the_cell_raise() -> None:
    doc = parse_qmd("```{python}\n#| error: true\n1/0\n```\n")
    nb = build_notebook(doc, params={}, doc_options={}, fig_options=FIG)
    assert nb.cells[1].metadata["tags"] == ["raises-exception"]


# --- numbering and cross-references ----------------------------------------------------------


def test_floats_numbered_separately_in_document_order() -> None:
    doc = parse_qmd(
        "```{python}\n#| label: tbl-one\n1\n```\n\n![cap](a.png){#fig-md}\n\n"
        "```{python}\n#| label: fig-two\n1\n```\n\n"
        "```{python}\n#| label: fig-hidden\n#| include: false\n1\n```\n\n"
        "```{python}\n#| label: tbl-two\n1\n```\n"
    )
    floats = number_floats(doc, {})
    assert floats.numbers == {"tbl-one": 1, "fig-md": 1, "fig-two": 2, "tbl-two": 2}


REFS = Floats(numbers={"fig-a": 1, "tbl-b": 2})


@pytest.mark.parametrize(
    ("text", "fmt", "expected"),
    [
        ("See @fig-a.", "html", "See [Figure 1](#fig-a)."),
        ("See @fig-a.", "pdf", "See Figure 1."),
        ("See [@tbl-b] now", "docx", "See [Table 2](#tbl-b) now"),
        ("Panel -@fig-a", "pdf", "Panel 1"),
        ("@Fig-a shows", "pdf", "Figure 1 shows"),
        ("mail me@fig-a.org", "html", "mail me@fig-a.org"),
        ("code `@fig-a` stays", "pdf", "code `@fig-a` stays"),
        ("cite [@smith2020] stays", "pdf", "cite [@smith2020] stays"),
        ("escaped \\@fig-a stays", "pdf", "escaped \\@fig-a stays"),
        ("```\n@fig-a\n```\n", "pdf", "```\n@fig-a\n```\n"),
    ],
)
def test_resolve_refs(text: str, fmt: str, expected: str) -> None:
    resolved, unresolved = resolve_refs(text, REFS, fmt)
    assert resolved == expected
    assert unresolved == []


def test_unknown_reference_is_flagged_like_quarto() -> None:
    resolved, unresolved = resolve_refs("See @fig-missing", REFS, "html")
    assert resolved == "See ?\\@fig-missing"
    assert unresolved == ["fig-missing"]


@given(st.text(max_size=60))
def test_escape_text_roundtrips_and_hides_at_signs(value: str) -> None:
    escaped = escape_text(value)
    assert re.sub(r"\\(.)", r"\1", escaped, flags=re.DOTALL) == value
    assert re.search(r"(?<!\\)@", escaped) is None


@given(st.text(alphabet=st.characters(blacklist_characters="@"), max_size=80))
def test_text_without_at_sign_is_never_changed(text: str) -> None:
    assert resolve_refs(text, REFS, "html") == (text, [])


@pytest.mark.parametrize("value", ["P < .001", "a*b*c", "@fig-a [x](y)", "10_000 # n", "$5 ~ 6^2"])
def test_escaped_values_render_literally_through_pandoc(value: str) -> None:
    import pypandoc

    out = pypandoc.convert_text(escape_text(value), "plain", format="markdown").strip()
    assert out == value


# --- cache key and store ---------------------------------------------------------------------


def test_cache_key_tracks_source_params_and_file_contents(tmp_path: Path) -> None:
    data = tmp_path / "reg"
    data.mkdir()
    (data / "patients.csv").write_text("id\n1\n")
    base = cache_key("src", {"registry": "reg"}, base_dir=tmp_path, options={})
    assert base == cache_key("src", {"registry": "reg"}, base_dir=tmp_path, options={})
    assert base != cache_key("src2", {"registry": "reg"}, base_dir=tmp_path, options={})
    assert base != cache_key("src", {"registry": "reg", "x": 1}, base_dir=tmp_path, options={})
    assert base != cache_key("src", {"registry": "reg"}, base_dir=tmp_path, options={"e": 1})
    (data / ".patients.csv.swp").write_text("editor noise")
    assert base == cache_key("src", {"registry": "reg"}, base_dir=tmp_path, options={})
    (data / "patients.csv").write_text("id\n2\n")
    assert base != cache_key("src", {"registry": "reg"}, base_dir=tmp_path, options={})


def test_fingerprint_of_file_is_its_sha256(tmp_path: Path) -> None:
    import hashlib

    f = tmp_path / "a.bin"
    f.write_bytes(b"abc")
    assert path_fingerprint(f) == hashlib.sha256(b"abc").hexdigest()


def test_store_and_load_roundtrip_and_stale_or_corrupt_entries(tmp_path: Path) -> None:
    import nbformat.v4 as nbf

    path = cache_file(tmp_path / "_freeze", tmp_path / "report" / "index.qmd", tmp_path)
    assert path == tmp_path / "_freeze" / "report" / "index" / "captemstats.ipynb"
    nb = nbf.new_notebook(cells=[nbf.new_code_cell("x = 1")])  # type: ignore[no-untyped-call]
    store(path, "k1", nb)
    loaded = load(path, "k1")
    assert loaded is not None and loaded.cells[0].source == "x = 1"
    assert load(path, "k2") is None
    path.write_text("{not json")
    assert load(path, "k1") is None


# --- engine helpers --------------------------------------------------------------------------


def test_formats_are_normalised_and_checked() -> None:
    assert normalise_formats(["HTML", "typst", "docx", "html"]) == ("html", "pdf", "docx")
    with pytest.raises(RenderError, match="unknown output format 'odt'"):
        normalise_formats(["odt"])


def test_quarto_command_line() -> None:
    cmd = quarto_command(
        "quarto", Path("/p/index.qmd"), "pdf", {"registry": "/r", "n": None}, Path("/o")
    )
    assert cmd == [
        "quarto", "render", "/p/index.qmd", "--to", "typst",
        "-P", "registry:/r", "-P", "n:null", "--output-dir", "/o",
    ]  # fmt: skip
