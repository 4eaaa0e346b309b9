"""What every audit rule shares: the result of one check, the context, the rule registry.

A rule is a function of a :class:`Context` yielding :class:`Check` results (passed or
failed), registered with :func:`rule` under a stable id, in the style of
:mod:`captemstats.validation.rules`; :data:`RULES` lists the ids with their meaning.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from captemstats.docaudit._document import Document, Table

if TYPE_CHECKING:
    from captemstats.analysis import StudyAnalysis
    from captemstats.manuscript_claims import ManuscriptClaims
    from captemstats.prose import ProseNumbers

__all__ = ["RULES", "Check", "Context", "rule"]

#: Tables that quote the published paper (its values, its misprints): what they print is not
#: a statement of this document about its own data, so no rule reads them.
QUOTED_TABLE_LABELS = frozenset({"tbl-reproduction", "tbl-audit"})
#: ... and, whatever their label, tables with a column headed like these.
_QUOTED_HEADERS = re.compile(r"^(Published|Printed)\b")

_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9≥(])")

#: rule id -> what it checks.
RULES: dict[str, str] = {}
CHECKS: dict[str, Callable[[Context], Iterator[Check]]] = {}


def rule(rule_id: str, meaning: str) -> Callable[[Callable[[Context], Iterator[Check]]], object]:
    """Register a rule function under ``rule_id`` (a stable id reports and tests use)."""

    def register(fn: Callable[[Context], Iterator[Check]]) -> object:
        RULES[rule_id] = meaning
        CHECKS[rule_id] = fn
        return fn

    return register


@dataclass(frozen=True)
class Check:
    """One check of one rule in one file: ``where`` (prose, a table's label, a caption),
    ``snippet`` (the text looked at), ``expected`` and ``found``."""

    rule: str
    fmt: str
    passed: bool
    where: str
    snippet: str
    expected: str = ""
    found: str = ""


@dataclass(frozen=True, eq=False)
class Context:
    """A document and the analysis it must agree with."""

    doc: Document
    res: StudyAnalysis
    txt: ProseNumbers
    claims: ManuscriptClaims
    alpha: float = 0.05
    exclude: frozenset[str] = QUOTED_TABLE_LABELS

    def check(
        self,
        rule_id: str,
        passed: bool,
        where: str,
        snippet: str,
        expected: str = "",
        found: str = "",
    ) -> Check:
        return Check(rule_id, self.doc.fmt, passed, where, _short(snippet), expected, found)

    @cached_property
    def tables(self) -> tuple[Table, ...]:
        """The tables the rules read: not those quoting the published paper."""
        return tuple(
            t
            for t in self.doc.tables
            if t.label not in self.exclude
            and not any(_QUOTED_HEADERS.match(c) for r in t.rows[: t.header] for c in r)
        )

    @cached_property
    def sentences(self) -> tuple[str, ...]:
        return tuple(s for p in self.doc.paragraphs for s in _SENTENCE.split(p) if s)

    @cached_property
    def prose(self) -> str:
        return " ".join(self.doc.paragraphs)


def _short(text: str, width: int = 240) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
