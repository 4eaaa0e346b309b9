"""Rule ``prose_slot``: the value printed right after a phrase naming a quantity is that
quantity's computed value.

Where :func:`captemstats.docaudit._numbers.prose_numbers` asks whether each headline value is
printed somewhere, this rule reads what is printed in each place: after "median PFS (was)",
"median OS", "median follow-up (was)", "median age (was)", "the ORR (was)", "the DCR", a single
value must be the cohort's and a list ("16.1, 7.9 and 9.6") the first values of one grouping in
the analysis' order (line; grade, Ki-67 and site lists may leave the unknown group out). So one
wrong median in the abstract is caught even when the Results print the right one.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from captemstats.docaudit._base import Check, Context, rule
from captemstats.formatting import format_number
from captemstats.study import CAPTEM_STUDY

# A value, with its CI when one follows ("11.1 (9.8–12.4)", "42.4% (95% CI, 36.8–48.2)").
# A list with a not-reached median gives each reached one its unit ("32.5 months, 62.6 months and
# not reached": formatting.format_medians), so a value may carry " months".
_VALUE = (
    r"(?:\d+(?:\.\d+)?%?(?: months)?|not reached)"
    r"(?: \((?:\d+% CI,? )?[\d.]+[–-](?:[\d.]+|NR)\))?"
)
_SEP = r"(?:,\s+and\s+|,\s+|\s+and\s+)"
_LIST = rf"{_VALUE}(?:{_SEP}{_VALUE})*"
_SURVIVAL = re.compile(
    r"\bmedian (PFS|OS|progression-free survival|overall survival)(?: \((?:PFS|OS)\))?"
    rf"(?: of all patients)?(?: was)? ({_LIST})",
    re.IGNORECASE,
)
_RATE = re.compile(rf"\b(ORR|DCR)\)?(?: was)? ({_LIST})")
_FOLLOWUP = re.compile(r"\bmedian follow-up(?: was)? (\d+(?:\.\d+)?) months")
_AGE = re.compile(r"\bmedian age(?: was)? (\d+(?:\.\d+)?)\b")
#: The groupings whose medians a list may print (the study's, :mod:`captemstats.study`).
_GROUPINGS = CAPTEM_STUDY.compared_groupings


def _split(text: str) -> list[str]:
    """A printed list's items (separators outside parentheses only)."""
    out, start = [], 0
    for m in re.finditer(_SEP, text):
        head = text[: m.start()]
        if head.count("(") == head.count(")"):
            out.append(text[start : m.start()])
            start = m.end()
    return [item.removesuffix(" months") for item in (*out, text[start:])]


def _endpoint(name: str) -> str:
    return "pfs" if name.casefold() in ("pfs", "progression-free survival") else "os"


def _survival_lists(ctx: Context, endpoint: str) -> dict[str, list[list[str]]]:
    """Grouping -> its medians as printed, without and with CI."""
    t = ctx.txt
    out = {"all patients": [[t.median(endpoint)], [t.median(endpoint, ci=True)]]}
    for g in _GROUPINGS:
        groups = [str(x) for x in ctx.res.km(endpoint, g).km.groups]
        out[g] = [[t.median(endpoint, g, x, ci=ci) for x in groups] for ci in (False, True)]
    return out


def _rate_lists(ctx: Context, measure: str) -> dict[str, list[list[str]]]:
    t = ctx.txt
    lines = [g for g in ("1", "2", "3+") if g in ctx.res.n_by_line]
    return {
        "all patients": [[t.rate(measure)], [t.rate(measure, ci=True)]],
        "line": [[t.rate(measure, g) for g in lines], [t.rate(measure, g, ci=True) for g in lines]],
    }


def _fits(items: list[str], candidates: dict[str, list[list[str]]]) -> str | None:
    """The grouping whose values the printed items are (a single value: the cohort's; a
    list: the first len(items) values of a grouping with at least two printed)."""
    for name, forms in candidates.items():
        for values in forms:
            if len(items) == 1 and len(values) == 1 and items == values:
                return name
            if len(items) >= 2 and items == values[: len(items)]:
                return name
    return None


@rule("prose_slot", "the value printed after a quantity's name (median PFS, ORR ...) is its own")
def prose_slots(ctx: Context) -> Iterator[Check]:
    lists = {e: _survival_lists(ctx, e) for e in ("pfs", "os")}
    rates = {m: _rate_lists(ctx, m) for m in ("ORR", "DCR")}
    for s in ctx.sentences:
        for m in _SURVIVAL.finditer(s):
            cands = lists[_endpoint(m[1])]
            yield _slot(ctx, s, m[0], _split(m[2]), cands, f"median {m[1]}")
        for m in _RATE.finditer(s):
            yield _slot(ctx, s, m[0], _split(m[2]), rates[m[1]], m[1])
        for m in _FOLLOWUP.finditer(s):
            want = ctx.txt.followup_median
            yield ctx.check("prose_slot", m[1] == want, "prose", s, want, m[1])
        for m in _AGE.finditer(s):
            f = ctx.res.characteristics.to_frame()
            row = f[(f["variable"] == "age") & (f["group"].astype("string") == "all")]
            want = format_number(row["median"].iloc[0], 0) if len(row) else "?"
            yield ctx.check("prose_slot", m[1] == want, "prose", s, want, m[1])


def _slot(
    ctx: Context,
    sentence: str,
    printed: str,
    items: list[str],
    candidates: dict[str, list[list[str]]],
    name: str,
) -> Check:
    fit = _fits(items, candidates)
    expected = f"{name} of one grouping: " + "; ".join(
        f"{g} {', '.join(forms[0])}" for g, forms in candidates.items()
    )
    return ctx.check("prose_slot", fit is not None, "prose", sentence, expected, printed)


_P_PRINTED = re.compile(r"\bP\s*([=<>])\s*(0?\.\d+|1(?:\.0+)?)")


def analysis_p_phrases(ctx: Context) -> set[str]:
    """Every P value the analysis reports (any ``p_value`` in its results), as printed."""
    from captemstats.prose import p_phrase

    found: set[str] = set()

    def walk(x: object, key: str | None = None) -> None:
        if isinstance(x, dict):
            for k, v in x.items():
                walk(v, str(k))
        elif isinstance(x, list | tuple):
            for v in x:
                walk(v, key)
        elif isinstance(x, float) and key is not None and key.endswith("p_value"):
            found.add(p_phrase(x))

    walk(ctx.res.to_dict())
    return found


@rule("p_value_known", "every P value the prose prints is one the analysis computed")
def p_value_known(ctx: Context) -> Iterator[Check]:
    known = analysis_p_phrases(ctx)
    threshold = f"P < {format_number(ctx.alpha, 2).lstrip('0')}"
    for s in ctx.sentences:
        for m in _P_PRINTED.finditer(s):
            printed = f"P {m[1]} {m[2]}"
            if printed == threshold:
                continue  # "P < .05 was considered significant": the level, not a result
            ok = printed in known
            yield ctx.check("p_value_known", ok, "prose", s, "a P value of the analysis", printed)
