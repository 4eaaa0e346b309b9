"""The built-in renderer never drops anything silently, and its cache can never show stale numbers.

Small throw-away projects, rendered for real (kernel, pandoc, typst): unimplemented options and
syntax are named with file and line (``strict=True`` refuses them), callouts are titled boxes in
all three formats, ``bibliography`` comes from ``_quarto.yml`` too, ``@sec-`` references
resolve, outputs land where Quarto puts them, and the cache follows the data, the parameters and
the library's own source under either freeze setting.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

from captemstats.render import RenderError, render_document

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
BIB = """\
@article{smith2020,
  author = {Smith, Jane},
  title = {A study of values},
  journal = {Journal of Tests},
  year = {2020}
}
"""


def _project(tmp: Path, config: str, doc: str, *, subdir: str = "report") -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    (tmp / "_quarto.yml").write_text(textwrap.dedent(config), encoding="utf-8")
    folder = tmp / subdir
    folder.mkdir(parents=True, exist_ok=True)
    qmd = folder / "doc.qmd"
    qmd.write_text(textwrap.dedent(doc), encoding="utf-8")
    return qmd


UNSUPPORTED_CONFIG = """\
project:
  type: default
  output-dir: _output
format:
  html:
    code-fold: true
    embed-resources: false
  revealjs: default
"""
UNSUPPORTED_DOC = """\
---
title: Honest
toc-location: left
---

Text with {{< pagebreak >}} and @eq-one.

```{python}
#| label: fig-panels
#| fig-cap: "Panels"
#| fig-subcap: ["a", "b"]
#| layout-ncol: 2
print(1)
```

::: {.column-margin}
Aside.
:::
"""


def test_unimplemented_options_are_named_with_file_and_line(tmp_path: Path) -> None:
    qmd = _project(tmp_path, UNSUPPORTED_CONFIG, UNSUPPORTED_DOC)
    result = render_document(qmd, formats=("html",), out_dir=tmp_path / "_output", cache=False)
    warnings = "\n".join(result.warnings)
    config, doc = tmp_path / "_quarto.yml", qmd
    expected = [
        f"{config}:6: 'format: html: code-fold'",
        f"{config}:7: 'embed-resources: false'",
        f"{config}:8: 'format: revealjs'",
        f"{doc}:3: 'toc-location'",
        f"{doc}:6: '{{{{< pagebreak >}}}}'",
        f"{doc}:6: '@eq-one'",
        f"{doc}:11: '#| fig-subcap'",
        f"{doc}:12: '#| layout-ncol'",
        f"{doc}:16: '.column-margin'",
    ]
    for line in expected:
        assert line in warnings, f"missing warning {line!r} in:\n{warnings}"
    ours = [w for w in result.warnings if not w.startswith("[WARNING] Citeproc")]
    assert len(ours) == len(expected)
    # pandoc then (rightly) also finds no reference `eq-one`: its warning is passed on too
    assert "[WARNING] Citeproc: citation eq-one not found" in result.warnings


def test_strict_refuses_and_writes_nothing(tmp_path: Path) -> None:
    qmd = _project(tmp_path, UNSUPPORTED_CONFIG, UNSUPPORTED_DOC)
    out = tmp_path / "_output"
    with pytest.raises(
        RenderError, match=r"(?s)--strict: 9 warning\(s\) before execution.*code-fold"
    ):
        render_document(qmd, formats=("html",), out_dir=out, cache=False, strict=True)
    assert not out.exists()


def test_strict_cli_exits_2_with_the_warnings(tmp_path: Path) -> None:
    qmd = _project(tmp_path, UNSUPPORTED_CONFIG, UNSUPPORTED_DOC)
    registry = ROOT / "tests" / "data" / "valid"
    cmd = [sys.executable, "-m", "captemstats", "report", "--registry", str(registry)]
    cmd += ["--document", str(qmd), "--out", str(tmp_path / "o"), "--formats", "html"]
    proc = subprocess.run([*cmd, "--strict"], capture_output=True, text=True, check=False)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "code-fold" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "o").exists()


CLEAN_CONFIG = """\
project:
  type: manuscript
  output-dir: _output
manuscript:
  article: report/doc.qmd
bibliography: refs.bib
crossref:
  custom:
    - kind: float
      key: suppfig
      reference-prefix: Figure S
      space-before-numbering: false
"""
CLEAN_DOC = """\
---
title: Clean
---

::: {.callout-warning}
**Synthetic data.** Nothing here is real.
:::

## Methods {#sec-methods}

As described [@smith2020]; see @sec-methods and @suppfig-curve.

```{python}
#| label: suppfig-curve
#| suppfig-cap: "A supplementary curve"
#| fig-alt: "A rising line"
import matplotlib.pyplot as plt
fig, ax = plt.subplots(figsize=(3, 2))
ax.plot([0, 1], [0, 1])
plt.show()
```

## References
"""


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    tmp = tmp_path_factory.mktemp("clean")
    qmd = _project(tmp, CLEAN_CONFIG, CLEAN_DOC)
    (tmp / "refs.bib").write_text(BIB, encoding="utf-8")
    result = render_document(qmd, out_dir=tmp / "_output", cache=False)
    assert result.warnings == ()
    return tmp, dict(result.outputs)


def test_outputs_land_where_quarto_puts_them(clean: tuple[Path, dict[str, Path]]) -> None:
    tmp, outputs = clean
    assert {f: p.relative_to(tmp).as_posix() for f, p in outputs.items()} == {
        "html": "_output/report/doc.html",
        "pdf": "_output/report/doc.pdf",
        "docx": "_output/report/doc.docx",
    }


def test_callout_is_a_titled_box_in_every_format(clean: tuple[Path, dict[str, Path]]) -> None:
    import docx
    from pypdf import PdfReader

    _, outputs = clean
    html = outputs["html"].read_text(encoding="utf-8")
    assert re.search(r'<div class="callout callout-warning">\s*<div class="callout-title">', html)
    assert ".callout-warning" in html  # its style is embedded
    document = docx.Document(str(outputs["docx"]))
    styles = [(p.style.name, p.text) for p in document.paragraphs if p.style is not None]
    assert ("Callout Title", "Warning") in styles
    assert any(s == "Callout Text" and "Nothing here is real" in t for s, t in styles)
    pdf = " ".join(page.extract_text() or "" for page in PdfReader(outputs["pdf"]).pages)
    assert re.search(r"Warning\s+Synthetic data\. Nothing here is real", pdf)


def test_project_bibliography_sec_refs_custom_floats(clean: tuple[Path, dict[str, Path]]) -> None:
    tmp, outputs = clean
    html = outputs["html"].read_text(encoding="utf-8")
    assert "A Study of Values" in html and "smith2020?" not in html
    assert '<a href="#sec-methods">Methods</a>' in html
    assert "Figure S1: A supplementary curve" in html
    assert '<a href="#suppfig-curve">Figure S1</a>' in html
    assert 'alt="A rising line"' in html
    with zipfile.ZipFile(outputs["docx"]) as z:
        parts = {n: z.read(n).decode("utf-8", "replace") for n in z.namelist() if n.endswith("xml")}
    assert not any(str(tmp) in text for text in parts.values()), "absolute path in the DOCX"
    page = re.search(r"<w:pgSz [^>]*>", parts["word/document.xml"])  # pandoc reorders attributes
    assert page is not None and 'w:w="11906"' in page.group(0) and 'w:h="16838"' in page.group(0)


FREEZE_CONFIGS = {
    "false": "execute:\n  freeze: false\n",
    "auto": "execute:\n  freeze: auto\n",
}
DATA_DOC = """\
---
title: Data
---

```{python}
#| tags: [parameters]
data = "values.txt"
```

Value: `{python} open(data).read().strip()`.
"""


@pytest.mark.parametrize("freeze", sorted(FREEZE_CONFIGS))
def test_changed_registry_shows_new_numbers_under_either_freeze(
    freeze: str, tmp_path: Path
) -> None:
    qmd = _project(tmp_path, FREEZE_CONFIGS[freeze], DATA_DOC, subdir=".")
    data = tmp_path / "values.txt"
    data.write_text("first-cut\n")
    out = tmp_path / "_output"
    first = render_document(qmd, formats=("html",), params={"data": "values.txt"}, out_dir=out)
    assert "first-cut" in first.outputs["html"].read_text(encoding="utf-8")
    data.write_text("second-cut\n")  # same path, new content: Quarto's freeze would not see it
    second = render_document(qmd, formats=("html",), params={"data": "values.txt"}, out_dir=out)
    assert not second.cache_hit
    assert "second-cut" in second.outputs["html"].read_text(encoding="utf-8")
    third = render_document(qmd, formats=("html",), params={"data": "values.txt"}, out_dir=out)
    assert third.cache_hit  # nothing changed: the cache serves
    frozen = [w for w in first.warnings if "freeze" in w]
    assert bool(frozen) == (freeze == "auto")


LIBRARY_DOC = """\
---
title: Library
---

Formatted: `{python} __import__("captemstats.formatting", fromlist=["x"]).format_p(0.5)`.

From: `{python} __import__("captemstats").__file__`.
"""
# An editable install imports captemstats through a meta-path finder that wins over PYTHONPATH;
# in the test's processes (renderer and kernel) it is removed so that the copy is imported.
SITECUSTOMIZE = """\
import sys
sys.meta_path[:] = [
    f for f in sys.meta_path
    if "__editable__" not in (f if isinstance(f, type) else type(f)).__module__
]
"""


def _render_subprocess(qmd: Path, out: Path, site: Path) -> str:
    env = dict(os.environ, PYTHONPATH=str(site))
    code = (
        "from captemstats.render import render_document; import sys; "
        f"r = render_document({str(qmd)!r}, formats=('html',), out_dir={str(out)!r}); "
        "print('HIT' if r.cache_hit else 'MISS'); print(r.outputs['html'])"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=site.parent,  # not the checkout: `python -c` puts the working folder on sys.path
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    hit, path = proc.stdout.split()
    return hit + " " + " ".join(Path(path).read_text(encoding="utf-8").split())


def test_edited_library_function_shows_without_no_cache(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE, encoding="utf-8")
    shutil.copytree(
        ROOT / "captemstats", site / "captemstats", ignore=shutil.ignore_patterns("__pycache__")
    )
    qmd = _project(tmp_path / "doc", "execute:\n  freeze: false\n", LIBRARY_DOC, subdir=".")
    out = tmp_path / "out"
    first = _render_subprocess(qmd, out, site)
    assert first.startswith("MISS") and "Formatted: .50" in first
    assert f"From: {site / 'captemstats' / '__init__.py'}" in first  # the kernel ran the copy
    assert _render_subprocess(qmd, out, site).startswith("HIT")
    formatting = site / "captemstats" / "formatting.py"
    source = formatting.read_text(encoding="utf-8")
    edited = source.replace("def format_p(", "def _old_format_p(", 1)
    edited += "\n\ndef format_p(p, **kw):\n    return 'EDITED ' + _old_format_p(p, **kw)\n"
    formatting.write_text(edited, encoding="utf-8")
    again = _render_subprocess(qmd, out, site)
    assert again.startswith("MISS") and "EDITED .50" in again


def test_unwritable_cache_is_a_warning_not_a_failure(tmp_path: Path) -> None:
    qmd = _project(tmp_path, "execute:\n  freeze: false\n", LIBRARY_DOC, subdir=".")
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")  # a file where the cache folder should be: fails even for root
    result = render_document(
        qmd, formats=("html",), out_dir=tmp_path / "o", cache_dir=blocker / "cache"
    )
    assert result.outputs["html"].is_file()
    assert any("could not write the render cache" in w for w in result.warnings)
