"""Sphinx configuration of the captemstats reference site (``python3 tasks.py docs``).

The API pages are built from the docstrings (autodoc, numpydoc sections read by napoleon);
the guides in ``guides/`` are doctest pages: ``tests/test_docstring_examples.py`` runs them
with the standard library's doctest, and this build runs them again (``_guide_figures``) to
draw the figures they make into ``_figures/`` (git-ignored), which the pages show.
"""

from __future__ import annotations

import doctest
import os
import sys
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))

from captemstats import __version__  # noqa: E402

project = "captemstats"
author = "captemstats developers"
copyright = "captemstats developers"
release = __version__
version = __version__

# napoleon, not the numpydoc extension: it reads the numpydoc sections and also the
# Google-style ones and the singular "Example" heading some modules still have, which numpydoc
# drops from the page (with only a Python warning).
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
]

napoleon_google_docstring = True
napoleon_numpy_docstring = True
napoleon_use_rtype = False
napoleon_use_ivar = True  # "Attributes" as fields: dataclass fields are documented once
napoleon_custom_sections = [("Example", "Examples")]

autodoc_default_options = {"member-order": "groupwise"}
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
autodoc_class_signature = "mixed"
# one parameter a line once a signature is longer than this (dataclass signatures are long)
python_maximum_signature_line_length = 88
autoclass_content = "class"

templates_path: list[str] = []
exclude_patterns = ["_build", "_figures"]
html_theme = "furo"
html_title = f"captemstats {release}"
html_static_path: list[str] = []
html_extra_path: list[str] = []

# Not nitpicky: the docstrings cross-reference ~60 modules this site does not document
# (formatting, methods, schema, the private helpers) and third-party types (no intersphinx:
# the build needs no network); nitpicky = True gives about 195 unresolved references.
nitpicky = False


def _guide_figures(app: Any) -> None:
    """Run each guide's examples; save the figures and tables they leave in named variables
    (``fig_km`` -> ``_figures/<guide>-fig_km.png``, a ``Table`` -> ``.html``)."""
    out = DOCS / "_figures"
    out.mkdir(exist_ok=True)
    from matplotlib.figure import Figure

    from captemstats.tables import Table

    cwd = os.getcwd()
    os.chdir(ROOT)  # the guides open data/registry as a reader in the checkout would
    try:
        for page in sorted((DOCS / "guides").glob("*.rst")):
            globs: dict[str, Any] = {"__name__": page.stem}
            parser = doctest.DocTestParser()
            test = parser.get_doctest(page.read_text(), globs, page.stem, str(page), 0)
            runner = doctest.DocTestRunner(
                optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
            )
            runner.run(test, out=lambda s: None, clear_globs=False)
            if runner.failures:
                raise RuntimeError(f"{page.name}: {runner.failures} example(s) failed")
            for name, value in test.globs.items():
                if isinstance(value, Figure):
                    value.savefig(out / f"{page.stem}-{name}.png", dpi=200)
                elif isinstance(value, Table):
                    (out / f"{page.stem}-{name}.html").write_text(value.as_html())
    finally:
        os.chdir(cwd)


def _public(module: str) -> tuple[list[str], list[str]]:
    """The public functions and classes of ``module``: its ``__all__``, else the names it
    defines without a leading underscore."""
    import importlib
    import inspect

    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None)
    if names is None:
        names = [
            n
            for n, v in vars(mod).items()
            if not n.startswith("_") and getattr(v, "__module__", None) == module
        ]
    objs = [(n, getattr(mod, n)) for n in names]
    funcs = [n for n, v in objs if inspect.isfunction(v)]
    classes = [n for n, v in objs if inspect.isclass(v)]
    return funcs, classes


def _summary_tables(app: Any, docname: str, source: list[str]) -> None:
    """Replace ``.. api-summary::`` on an API page by autosummary tables of its functions and
    classes, computed from the package, so the summary cannot fall behind ``__all__``."""
    marker = ".. api-summary::"
    if not docname.startswith("api/") or marker not in source[0]:
        return
    module = docname.removeprefix("api/")
    funcs, classes = _public(module)
    blocks = []
    for title, names in (("Functions", funcs), ("Classes", classes)):
        if names:
            rows = "".join(f"   ~{module}.{n}\n" for n in names)
            blocks.append(f".. rubric:: {title}\n\n.. autosummary::\n\n{rows}")
    source[0] = source[0].replace(marker, "\n".join(blocks))


def setup(app: Any) -> None:
    app.connect("builder-inited", _guide_figures)
    app.connect("source-read", _summary_tables)
