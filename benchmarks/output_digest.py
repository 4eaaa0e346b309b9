"""Digest of a rendered report and an ``analyze`` output folder, for checking that a refactor
changed nothing a reader sees.

``captemstats analyze`` writes byte-identical files run after run, so its folder is hashed
as it is. The rendered documents carry parts that change on every render, and these are
masked before hashing:

* HTML: the ten-letter ids great_tables gives each table, and inside each embedded SVG
  figure the creation date and matplotlib's random clip-path and marker ids;
* DOCX: the document parts (``word/*.xml``), and the images with the same SVG masking. The
  zip timestamps and ``docProps`` dates are not hashed;
* PDF: the text of every page (``pdftotext -layout``) and the raster of every page at
  50 dpi (``pdftoppm``). The embedded creation date is not hashed.

Usage::

    python benchmarks/output_digest.py ANALYZE_DIR REPORT_DIR > before.txt
    # ... refactor, re-run analyze and report into other folders ...
    python benchmarks/output_digest.py ANALYZE_DIR2 REPORT_DIR2 > after.txt
    diff before.txt after.txt      # no output: the same numbers, text, tables and figures

The exit status is 0. The lines are ``<digest>  <part>``, one per file or document part.
"""

from __future__ import annotations

import base64
import hashlib
import re
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

_GT_ID = re.compile(r'(?<=id=")[a-z]{10}(?=")|(?<=#)[a-z]{10}(?=[ .{])')
_SVG_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")
_SVG_DATE = re.compile(r"<dc:date>[^<]*</dc:date>")
_MPL_ID = re.compile(r"\b[mp][0-9a-f]{10}\b")


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:16]


def _mask_svg(svg: str) -> str:
    return _MPL_ID.sub("ID", _SVG_DATE.sub("", svg))


def _mask_html(html: str) -> str:
    def figure(match: re.Match[str]) -> str:
        svg = base64.b64decode(match.group(1)).decode("utf-8")
        return "data:image/svg+xml;masked," + _sha(_mask_svg(svg).encode())

    return _GT_ID.sub("GTID", _SVG_URI.sub(figure, html))


def analyze_digest(folder: Path) -> Iterator[str]:
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            yield f"{_sha(path.read_bytes())}  analyze/{path.relative_to(folder)}"


def html_digest(path: Path) -> Iterator[str]:
    yield f"{_sha(_mask_html(path.read_text(encoding='utf-8')).encode())}  {path.name}"


def docx_digest(path: Path) -> Iterator[str]:
    with zipfile.ZipFile(path) as docx:
        for name in sorted(docx.namelist()):
            if name.startswith("docProps/"):
                continue
            data = docx.read(name)
            if name.endswith(".svg"):
                data = _mask_svg(data.decode("utf-8")).encode()
            elif name.endswith(".xml"):
                data = _GT_ID.sub("GTID", data.decode("utf-8")).encode()
            yield f"{_sha(data)}  {path.name}:{name}"


def pdf_digest(path: Path) -> Iterator[str]:
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], check=True, capture_output=True
    ).stdout
    yield f"{_sha(text)}  {path.name}:text"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), f"{tmp}/p"], check=True)
        for page in sorted(Path(tmp).glob("p-*.png")):
            yield f"{_sha(page.read_bytes())}  {path.name}:{page.stem}"


def report_digest(folder: Path) -> Iterator[str]:
    for path in sorted(folder.rglob("index.*")):
        if path.suffix == ".html":
            yield from html_digest(path)
        elif path.suffix == ".docx":
            yield from docx_digest(path)
        elif path.suffix == ".pdf":
            yield from pdf_digest(path)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    for line in [*analyze_digest(Path(argv[0])), *report_digest(Path(argv[1]))]:
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
