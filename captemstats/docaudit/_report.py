"""Run the rules over rendered files; the report (counts, failures, JSON/text, files)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from captemstats.atomic import write_atomic
from captemstats.docaudit import _numbers, _slots, _text  # noqa: F401  (registers the rules)
from captemstats.docaudit._base import CHECKS, QUOTED_TABLE_LABELS, RULES, Check, Context
from captemstats.docaudit._document import Document, read_docx, read_html

if TYPE_CHECKING:
    import pandas as pd

    from captemstats.analysis import StudyAnalysis

READERS = {"html": read_html, "docx": read_docx}


@dataclass(frozen=True)
class AuditReport:
    """Every check of every rule in every file audited, and how long it took.

    Example
    -------
    >>> from captemstats.docaudit import Check
    >>> r = AuditReport((Check("n_pct", "html", False, "prose", "69 (21.1%)", "69/308 = 22.4%",
    ...                        "69 (21.1%)"),), (("html", "index.html"),), 0.1)
    >>> r.ok, r.counts()[("n_pct", "html")]
    (False, (0, 1))
    """

    checks: tuple[Check, ...]
    files: tuple[tuple[str, str], ...]  # (format, path)
    seconds: float

    @property
    def ok(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if not c.passed)

    def counts(self) -> dict[tuple[str, str], tuple[int, int]]:
        """(rule, format) -> (passed, failed), every registered rule listed."""
        out = {(r, fmt): (0, 0) for r in RULES for fmt, _ in self.files}
        for c in self.checks:
            p, f = out.get((c.rule, c.fmt), (0, 0))
            out[(c.rule, c.fmt)] = (p + c.passed, f + (not c.passed))
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row per check: rule, fmt, passed, where, snippet, expected, found."""
        import pandas as pd

        columns = ["rule", "fmt", "passed", "where", "snippet", "expected", "found"]
        return pd.DataFrame([asdict(c) for c in self.checks], columns=columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "seconds": round(self.seconds, 3),
            "files": [{"format": f, "path": p} for f, p in self.files],
            "rules": [
                {"rule": r, "format": f, "meaning": RULES[r], "passed": p, "failed": n}
                for (r, f), (p, n) in self.counts().items()
            ],
            "failures": [asdict(c) for c in self.failures],
        }

    def to_text(self, max_failures: int = 50) -> str:
        """The short report ``captemstats report`` prints and writes."""
        n_fail = len(self.failures)
        verdict = "passed" if self.ok else f"FAILED ({n_fail} failed checks)"
        lines = [
            f"Self-audit of the rendered document: {verdict}; {len(self.checks)} checks "
            f"in {', '.join(f for f, _ in self.files)} ({self.seconds:.1f} s)."
        ]
        for (r, f), (p, n) in self.counts().items():
            lines.append(f"  {r:20} {f:5} {p:4} passed {n:4} failed")
        for c in self.failures[:max_failures]:
            lines.append(
                f"- {c.rule} [{c.fmt}, {c.where}]: expected {c.expected!r}, found {c.found!r}"
                f" in: {c.snippet}"
            )
        if n_fail > max_failures:
            lines.append(f"... and {n_fail - max_failures} more (see the JSON report)")
        return "\n".join(lines)

    def write(self, stem: str | Path) -> tuple[Path, Path]:
        """Write ``<stem>.audit.json`` and ``<stem>.audit.txt`` atomically; return both."""
        base = Path(stem)
        js = base.with_name(base.name + ".audit.json")
        txt = base.with_name(base.name + ".audit.txt")
        body = json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"
        write_atomic(js, lambda p: p.write_text(body, encoding="utf-8"))
        text = self.to_text() + "\n"
        write_atomic(txt, lambda p: p.write_text(text, encoding="utf-8"))
        return js, txt


def audit_document(
    doc: Document,
    res: StudyAnalysis,
    *,
    min_cell: int | None = None,
    alpha: float = 0.05,
    rules: Iterable[str] | None = None,
    exclude: frozenset[str] = QUOTED_TABLE_LABELS,
) -> tuple[Check, ...]:
    """Every check of ``rules`` (default: all of :data:`RULES`) on one read document.

    Parameters
    ----------
    doc
        A document read by :func:`~captemstats.docaudit.read_html` or ``read_docx``.
    res, min_cell, alpha, rules
        As :func:`audit_files`.
    exclude
        Labels of tables no rule reads (default: those quoting the published paper).

    Returns
    -------
    tuple of Check

    Example
    -------
    >>> checks = audit_document(read_html("index.html"), res, rules=["n_pct"])  # doctest: +SKIP
    """
    from captemstats.manuscript_claims import ManuscriptClaims
    from captemstats.prose import ProseNumbers

    mc = min_cell or None
    ctx = Context(
        doc,
        res,
        ProseNumbers(res, min_cell=mc),
        ManuscriptClaims(res, alpha=alpha, min_cell=mc),
        alpha=alpha,
        exclude=exclude,
    )
    chosen = list(RULES) if rules is None else list(rules)
    unknown = sorted(set(chosen) - set(CHECKS))
    if unknown:
        raise KeyError(f"unknown audit rule(s) {unknown}; known: {sorted(CHECKS)}")
    return tuple(c for r in chosen for c in CHECKS[r](ctx))


def audit_files(
    files: Mapping[str, str | Path],
    res: StudyAnalysis,
    *,
    min_cell: int | None = None,
    alpha: float = 0.05,
    rules: Iterable[str] | None = None,
) -> AuditReport:
    """Audit rendered files against the analysis they were rendered from.

    Parameters
    ----------
    files
        Format -> path; ``html`` and ``docx`` are read (other formats are ignored: the PDF's
        text is not reliable enough to audit).
    res
        The :class:`~captemstats.analysis.StudyAnalysis` of the registry rendered.
    min_cell
        The document's small-cell threshold (``--min-cell``), None or 0 when off: the
        expected numbers are formatted as the document prints them ("<5").
    alpha
        The document's significance level.
    rules
        Rule ids to run (default: all of :data:`captemstats.docaudit.RULES`).

    Returns
    -------
    AuditReport
        Every check; ``.ok``, ``.failures``, ``.counts()``, ``.to_frame()``, ``.write()``.

    Example
    -------
    >>> from captemstats.analysis import analyze                       # doctest: +SKIP
    >>> report = audit_files({"html": "_output/report/index.html"},
    ...                      analyze("data/registry"))                 # doctest: +SKIP
    >>> report.ok                                                      # doctest: +SKIP
    True
    """
    start = time.perf_counter()
    checks: list[Check] = []
    audited: list[tuple[str, str]] = []
    for fmt, path in files.items():
        reader = READERS.get(fmt)
        if reader is None:
            continue
        checks += audit_document(reader(path), res, min_cell=min_cell, alpha=alpha, rules=rules)
        audited.append((fmt, str(path)))
    return AuditReport(tuple(checks), tuple(audited), time.perf_counter() - start)
