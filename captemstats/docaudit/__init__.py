"""Self-audit of the rendered manuscript: re-read the HTML and DOCX and check them against
the analysis they were rendered from.

Rules (:data:`RULES`, ids stable): the prose's headline numbers equal
:class:`~captemstats.prose.ProseNumbers` (``prose_number``), and the value printed after a
quantity's name ("median PFS was", "the ORR") is that quantity's, or in a list one grouping's in
order (``prose_slot``); every "n (x%)" and "n/N (x%)"
agrees with its denominator (``n_pct``); every printed CI or range contains its estimate
(``ci_contains``); every clause asserting or denying a difference agrees with its P and alpha,
and the claims :class:`~captemstats.manuscript_claims.ManuscriptClaims` decides are stated as
decided (``significance``, ``claim_text``); every P the prose prints is one the analysis computed
(``p_value_known``); no ``?@`` is left, every cited Figure/Table exists
with that kind and number and every link reads as its target's caption
(``crossref_unresolved``, ``crossref_target``), captions are numbered consecutively within
each kind and the S series (``caption_numbering``); the level counts of each table block add
up to the column's header n (``table_sum``; blocks with a suppressed cell are skipped).

Tables quoting the published paper (``tbl-reproduction``, ``tbl-audit``, or a column headed
"Published"/"Printed") are not read: their numbers are the paper's, not this document's.

Example
-------
>>> from captemstats.analysis import analyze                          # doctest: +SKIP
>>> from captemstats.docaudit import audit_files
>>> report = audit_files({"html": "_output/report/index.html",
...                       "docx": "_output/report/index.docx"},
...                      analyze("data/registry"))                    # doctest: +SKIP
>>> print(report.to_text())                                           # doctest: +SKIP
"""

from captemstats.docaudit._base import RULES, Check
from captemstats.docaudit._document import Document, read_docx, read_html
from captemstats.docaudit._report import AuditReport, audit_document, audit_files

__all__ = [
    "RULES",
    "AuditReport",
    "Check",
    "Document",
    "audit_document",
    "audit_files",
    "read_docx",
    "read_html",
]
