"""The reference document for DOCX output: pandoc's own, on A4, with the renderer's styles.

Pandoc takes page size, margins and paragraph styles from a *reference document*. Its default is
US Letter and has no style for a callout, so the built-in renderer writes a copy of it (or of the
user's ``reference-doc``) that adds what is missing and changes nothing that is there:

* the paragraph styles ``Callout Title`` and ``Callout Text`` (a shaded box with a coloured left
  border, as Quarto draws callouts), used by ``assets/callouts.lua``;
* the table-cell paragraph styles ``Table Text`` (left-aligned, no hyphenation, 9 pt) and
  ``Table Text Indent`` (the same, indented 0.4 cm: category rows under their variable),
  which ``assets/html_tables.lua`` applies to every cell, and ``Table Note`` / ``Table Note Last``
  (8 pt; the last with space after) for the notes it prints under a table;
* an A4 page with 2.2 cm x 2.5 cm margins, only when the document has no page size of its own.

The edit works on the XML text of two parts of the package (``word/styles.xml``,
``word/document.xml``); every other part is copied byte for byte.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path

from captemstats.render.errors import RenderError

_STYLES: dict[str, str] = {
    "CalloutTitle": (
        '<w:style w:type="paragraph" w:customStyle="1" w:styleId="CalloutTitle">'
        '<w:name w:val="Callout Title"/><w:basedOn w:val="Normal"/>'
        '<w:next w:val="CalloutText"/><w:qFormat/>'
        '<w:pPr><w:keepNext/><w:spacing w:before="120" w:after="0"/>'
        '<w:pBdr><w:top w:val="single" w:sz="4" w:space="4" w:color="FFA600"/>'
        '<w:left w:val="single" w:sz="24" w:space="6" w:color="FFA600"/>'
        '<w:right w:val="single" w:sz="4" w:space="4" w:color="FFA600"/></w:pBdr>'
        '<w:shd w:val="clear" w:color="auto" w:fill="FFF6E5"/><w:ind w:left="170" w:right="170"/>'
        "</w:pPr><w:rPr><w:b/></w:rPr></w:style>"
    ),
    "CalloutText": (
        '<w:style w:type="paragraph" w:customStyle="1" w:styleId="CalloutText">'
        '<w:name w:val="Callout Text"/><w:basedOn w:val="Normal"/><w:qFormat/>'
        '<w:pPr><w:spacing w:before="0" w:after="120"/>'
        '<w:pBdr><w:left w:val="single" w:sz="24" w:space="6" w:color="FFA600"/>'
        '<w:bottom w:val="single" w:sz="4" w:space="4" w:color="FFA600"/>'
        '<w:right w:val="single" w:sz="4" w:space="4" w:color="FFA600"/></w:pBdr>'
        '<w:shd w:val="clear" w:color="auto" w:fill="FFF6E5"/><w:ind w:left="170" w:right="170"/>'
        "</w:pPr></w:style>"
    ),
    "TableText": (
        '<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableText">'
        '<w:name w:val="Table Text"/><w:basedOn w:val="Compact"/><w:qFormat/>'
        '<w:pPr><w:suppressAutoHyphens/><w:jc w:val="left"/><w:spacing w:before="20" w:after="20"/>'
        '</w:pPr><w:rPr><w:sz w:val="18"/><w:szCs w:val="18"/></w:rPr></w:style>'
    ),
    # A category row under its variable's heading row (great_tables' stub indent): 0.4 cm.
    "TableTextIndent": (
        '<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableTextIndent">'
        '<w:name w:val="Table Text Indent"/><w:basedOn w:val="TableText"/><w:qFormat/>'
        '<w:pPr><w:ind w:left="227"/></w:pPr></w:style>'
    ),
    # The notes under a table (footnotes, abbreviations): 8 pt, ragged, no hyphenation.
    "TableNote": (
        '<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableNote">'
        '<w:name w:val="Table Note"/><w:basedOn w:val="Normal"/><w:qFormat/>'
        '<w:pPr><w:suppressAutoHyphens/><w:jc w:val="left"/><w:spacing w:before="0" w:after="40"/>'
        '</w:pPr><w:rPr><w:sz w:val="16"/><w:szCs w:val="16"/></w:rPr></w:style>'
    ),
    "TableNoteLast": (
        '<w:style w:type="paragraph" w:customStyle="1" w:styleId="TableNoteLast">'
        '<w:name w:val="Table Note Last"/><w:basedOn w:val="TableNote"/><w:qFormat/>'
        '<w:pPr><w:spacing w:before="0" w:after="240"/></w:pPr></w:style>'
    ),
}
# A4 in twentieths of a point (210 x 297 mm); margins 2.2 cm left/right, 2.5 cm top/bottom.
_A4 = (
    '<w:pgSz w:w="11906" w:h="16838"/>'
    '<w:pgMar w:top="1417" w:right="1247" w:bottom="1417" w:left="1247" '
    'w:header="709" w:footer="709" w:gutter="0"/>'
)


_BEFORE_PAGE = re.compile(
    r"<w:(headerReference|footerReference|type)\b[^>]*/>"
    r"|<w:(footnotePr|endnotePr)\b[^>]*>.*?</w:\2>",
    re.DOTALL,
)


def pandoc_default_reference(pandoc: str, dest: Path) -> Path:
    """Write pandoc's built-in ``reference.docx`` to ``dest``."""
    proc = subprocess.run(
        [pandoc, "-o", str(dest), "--print-default-data-file", "reference.docx"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        raise RenderError(f"pandoc could not write its reference.docx: {proc.stderr.decode()}")
    return dest


def add_styles(styles_xml: str) -> str:
    """``styles.xml`` with the renderer's styles appended where their ids are missing."""
    missing = [xml for sid, xml in _STYLES.items() if f'w:styleId="{sid}"' not in styles_xml]
    if not missing:
        return styles_xml
    end = styles_xml.rfind("</w:styles>")
    if end < 0:
        raise RenderError("the DOCX reference document has no <w:styles> part")
    return styles_xml[:end] + "".join(missing) + styles_xml[end:]


def a4_page(document_xml: str) -> str:
    """``document.xml`` with an A4 page in its last ``<w:sectPr>`` when it sets no page size."""
    if "<w:pgSz" in document_xml:
        return document_xml
    start = document_xml.rfind("<w:sectPr")
    if start < 0:
        end = document_xml.rfind("</w:body>")
        return document_xml[:end] + f"<w:sectPr>{_A4}</w:sectPr>" + document_xml[end:]
    close = document_xml.find(">", start)
    if document_xml[close - 1] == "/":  # <w:sectPr/>
        return document_xml[: close - 1] + f">{_A4}</w:sectPr>" + document_xml[close + 1 :]
    # OOXML orders sectPr's children: header/footer references, footnotePr, endnotePr, type,
    # then pgSz and pgMar; the page goes after the last of the earlier ones.
    end = document_xml.find("</w:sectPr>", close)
    at = close + 1
    for m in _BEFORE_PAGE.finditer(document_xml, close + 1, end):
        at = m.end()
    return document_xml[:at] + _A4 + document_xml[at:]


def reference_docx(base: Path, dest: Path, *, a4: bool = True) -> Path:
    """Copy the reference document ``base`` to ``dest`` with the renderer's styles (and A4).

    Parameters
    ----------
    base
        Pandoc's default reference document or the user's ``reference-doc``.
    dest
        Where to write the patched copy.
    a4
        Give the document an A4 page when it has no page size of its own.

    Returns
    -------
    Path
        ``dest``.

    Example
    -------
    >>> add_styles("<w:styles></w:styles>").count("w:styleId")
    6
    """
    try:
        with zipfile.ZipFile(base) as src, zipfile.ZipFile(dest, "w", zipfile.ZIP_DEFLATED) as out:
            for item in src.infolist():
                data = src.read(item)
                if item.filename == "word/styles.xml":
                    data = add_styles(data.decode("utf-8")).encode("utf-8")
                elif item.filename == "word/document.xml" and a4:
                    data = a4_page(data.decode("utf-8")).encode("utf-8")
                out.writestr(item, data)
    except (OSError, zipfile.BadZipFile, UnicodeDecodeError) as exc:
        raise RenderError(f"{base}: not a usable DOCX reference document ({exc})") from None
    return dest
