"""Rules on the words: significance against P and alpha, computed claims, cross-references."""

from __future__ import annotations

import re
from collections.abc import Iterator

from captemstats.claims import Claim
from captemstats.docaudit._base import Check, Context, rule

_CLAUSE = re.compile(r"[;:]\s+|,\s+(?:whereas|while|but|and)\s+|\s+whereas\s+|\s+while\s+")
_P = re.compile(r"\bP\s*([=<>≤≥])\s*(0?\.\d+|1(?:\.0+)?)")
_POSITIVE = re.compile(
    r"\b(differed|differ(?:s|ed)? significantly|significant(?:ly)?|longer|shorter|higher|"
    r"lower|greater|associated with|improved|worse|better)\b",
    re.IGNORECASE,
)
_NEGATIVE = re.compile(
    r"\b(did not|does not|do not|not associated|no (?:significant )?difference|not differ|"
    r"not significant(?:ly)?|non-?significant|similar|neither|no term)\b",
    re.IGNORECASE,
)


def clauses(sentence: str) -> list[str]:
    """The sentence cut at ";", ":", ", whereas", ", and" ... outside parentheses (the
    "; P = .40" inside "(HR, 0.9; 95% CI, ...; P = .40)" stays with its clause)."""
    out, start = [], 0
    for m in _CLAUSE.finditer(sentence):
        head = sentence[: m.start()]
        if head.count("(") == head.count(")"):
            out.append(sentence[start : m.start()])
            start = m.end()
    out.append(sentence[start:])
    return [c for c in out if c]


def _interval(op: str, printed: str, alpha: float) -> tuple[float, float]:
    """The P values a printed P can stand for. A two-decimal print equal to alpha is at
    least alpha: :func:`captemstats.formatting.format_p` prints ``.049``, never ``.05``, for
    a value below .05."""
    x = float(printed)
    if op in "<≤":
        return 0.0, x
    if op in ">≥":
        return x, 1.0
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    half = 0.5 * 10**-decimals
    lower = alpha if decimals == 2 and abs(x - alpha) < 1e-12 else x - half
    return lower, x + half


@rule("significance", "a clause asserting a difference has P < alpha, one denying it P >= alpha")
def significance(ctx: Context) -> Iterator[Check]:
    alpha = ctx.alpha
    for sentence in ctx.sentences:
        for clause in clauses(sentence):
            ps = [
                (m[0], *_interval(m[1], m[2], alpha))
                for m in _P.finditer(clause)
                # "P < .05 was considered significant", "the terms with P < .05": the threshold
                if not (m[1] == "<" and abs(float(m[2]) - alpha) < 1e-12)
            ]
            if not ps:
                continue
            negative = bool(_NEGATIVE.search(clause))
            positive = bool(_POSITIVE.search(clause)) and not negative
            if positive:
                bad = [p for p, lo, _ in ps if lo >= alpha]
                claim = f"a difference: P < {alpha:g}"
            elif negative:
                bad = [p for p, _, hi in ps if hi <= alpha]
                claim = f"no difference: P ≥ {alpha:g}"
            else:
                continue
            found = ", ".join(bad) if bad else ", ".join(p for p, _, _ in ps)
            yield ctx.check("significance", not bad, "prose", clause, claim, found)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().casefold()


#: The claims the manuscript states in their default wording (ManuscriptClaims methods).
_HEADLINE_CLAIMS = (
    ("survival_by_line", "pfs"),
    ("survival_by_line", "os"),
    ("response_by_line", "ORR"),
    ("response_by_line", "DCR"),
    ("toxicity_by_line", None),
    ("first_line_summary", None),
)


@rule("claim_text", "the claims of the analysis are stated as ManuscriptClaims decides them")
def claim_text(ctx: Context) -> Iterator[Check]:
    prose = _norm(ctx.prose)
    headline: list[Claim] = []
    for method, arg in _HEADLINE_CLAIMS:
        fn = getattr(ctx.claims, method)
        headline.append(fn(arg) if arg is not None else fn())
    texts = {_norm(c.text) for c in headline}
    for c in headline:
        ok = _norm(c.text) in prose
        yield ctx.check("claim_text", ok, "prose", c.text, c.text, "" if ok else "not stated")
    # Every other claim of the analysis that the document states verbatim is recorded as
    # checked; one it does not state is not an error (the document need not state it).
    for c in ctx.claims.all():
        t = _norm(c.text)
        if t not in texts and len(t) > 20 and t in prose:
            texts.add(t)
            yield ctx.check("claim_text", True, "prose", c.text, c.text, c.text)


# -- cross-references ----------------------------------------------------------------------------
_MENTION = re.compile(r"\b(Figure|Table|Fig\.)\s+(S?\d+)\b")
_CAPTION = re.compile(r"^(Figure|Table|Fig\.)\s+(S?)(\d+)\s*[:.]")


def _kind(word: str) -> str:
    return "Figure" if word.startswith("Fig") else word


def captions(ctx: Context) -> list[tuple[str, str, str, str | None]]:
    """(kind, "S" or "", number, label) of every numbered caption in document order."""
    out = []
    for b in ctx.doc.captions:
        m = _CAPTION.match(b.text)
        if m:
            out.append((_kind(m[1]), m[2], m[3], b.label))
    return out


@rule("crossref_unresolved", "no unresolved cross-reference (?@label) is left in the document")
def crossref_unresolved(ctx: Context) -> Iterator[Check]:
    text = ctx.doc.text
    hits = list(re.finditer(r"\?@[\w-]+", text))
    for m in hits:
        snippet = text[max(0, m.start() - 60) : m.end() + 60]
        yield ctx.check("crossref_unresolved", False, "document", snippet, "a number", m[0])
    if not hits:
        yield ctx.check("crossref_unresolved", True, "document", "", "no ?@", "none")


@rule("crossref_target", "every Figure/Table cited exists as a caption of that kind and number")
def crossref_target(ctx: Context) -> Iterator[Check]:
    caps = captions(ctx)
    existing = {f"{k} {s}{n}" for k, s, n, _ in caps}
    by_label = {label: f"{k} {s}{n}" for k, s, n, label in caps if label}
    texts = [("prose", p) for p in ctx.doc.paragraphs]
    texts += [("caption", _CAPTION.sub("", b.text, count=1)) for b in ctx.doc.captions]
    texts += [(t.label or "table", n) for t in ctx.tables for n in t.notes]
    for where, text in texts:
        for m in _MENTION.finditer(text):
            ref = f"{_kind(m[1])} {m[2]}"
            snippet = text[max(0, m.start() - 60) : m.end() + 40]
            ok = ref in existing
            found = ref if ok else "no such caption"
            yield ctx.check("crossref_target", ok, where, snippet, f"a caption '{ref}'", found)
    for link in ctx.doc.links:
        lm = _MENTION.fullmatch(link.text)
        if lm is None:
            continue
        ref = f"{_kind(lm[1])} {lm[2]}"
        target = by_label.get(link.target)
        ok = target == ref
        yield ctx.check(
            "crossref_target",
            ok,
            "link",
            f"{link.text} -> #{link.target}",
            f"#{link.target} captioned {ref!r}",
            target or "no caption with this label",
        )


@rule("caption_numbering", "captions are numbered 1, 2, ... in order within each kind (and S)")
def caption_numbering(ctx: Context) -> Iterator[Check]:
    seen: dict[tuple[str, str], int] = {}
    for kind, series, number, label in captions(ctx):
        key = (kind, series)
        want = seen.get(key, 0) + 1
        seen[key] = int(number)
        ok = int(number) == want
        yield ctx.check(
            "caption_numbering",
            ok,
            "caption",
            f"{kind} {series}{number} ({label or 'no label'})",
            f"{kind} {series}{want}",
            f"{kind} {series}{number}",
        )
