"""The manuscript's claims about one analysis: each sentence that states a direction, a
difference or its absence, decided from the result it describes by :mod:`captemstats.claims`.

The ``.qmd`` writes ``{python} claims.survival_by_line("pfs")`` (or passes its own
:class:`~captemstats.claims.Wording`) instead of typing "longer PFS in first line", so a rerun
on another registry cannot keep a sentence its own P values deny. Which result feeds which
claim:

* survival by a grouping — the log-rank P, and the Kaplan–Meier medians for a direction
  (reference group: first line);
* ORR/DCR by line — the test of Table 2 (chi-square or Fisher), and the rates;
* a Table 1 row by line (including grade 3–4 adverse events, dose reduction and treatment
  interruption) — the row's test, and for a binary row the share with the level;
* toxicity by line — the three rows above together (:meth:`ManuscriptClaims.toxicity_by_line`);
* the Cox model — each term's Wald P and hazard ratio against 1.

Placeholders every wording may use: ``{subject}``, ``{p}`` (``"P = .01"``) and ``{values}``
(the groups' values as printed); the Cox and toxicity claims list their own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from captemstats.claims import Claim, GroupValue, Wording, make_claim
from captemstats.claims_summary import (
    JointItem,
    JointWording,
    SummaryWording,
    joint,
    summarize,
)
from captemstats.formatting import format_ci, format_median, format_number, format_p
from captemstats.prose import join_words, p_phrase

if TYPE_CHECKING:
    from captemstats.analysis import StudyAnalysis

__all__ = ["ManuscriptClaims"]

ENDPOINT_NAMES = {"pfs": "PFS", "os": "OS"}
LINE_ORDER = ("1", "2", "3+")

SURVIVAL_BY_LINE = Wording(
    higher="median {subject} was longer in first-line than in later-line treatment ({p})",
    lower="median {subject} was shorter in first-line than in later-line treatment ({p})",
    different="median {subject} differed by line ({values} months; {p})",
    no_difference="median {subject} did not differ by line ({p})",
    not_tested="median {subject} was {values} months by line (no test computed)",
)
SURVIVAL_BY = Wording(
    different="median {subject} differed by {grouping} ({p})",
    no_difference="median {subject} did not differ by {grouping} ({p})",
    not_tested="median {subject} was {values} months by {grouping} (no test computed)",
)
RESPONSE_BY_LINE = Wording(
    higher="the {subject} was higher in first-line than in later-line treatment ({p})",
    lower="the {subject} was lower in first-line than in later-line treatment ({p})",
    different="the {subject} differed by line ({values}; {p})",
    no_difference="the {subject} did not differ by line ({p})",
    not_tested="the {subject} was {values} by line (no test computed)",
)
CHARACTERISTIC_BY_LINE = Wording(
    different="{subject} differed by line ({p})",
    no_difference="{subject} did not differ by line ({p})",
    not_tested="{subject} was not tested by line",
)
COX_TERMS = Wording(
    different="the terms with P < {alpha} were {terms}",
    no_difference="no term had P < {alpha}",
    not_tested="no term could be tested",
)
COX_TERM = Wording(
    higher="{subject} was associated with a higher hazard for {endpoint} ({hr})",
    lower="{subject} was associated with a lower hazard for {endpoint} ({hr})",
    different="{subject} had a hazard ratio for {endpoint} different from 1 ({hr})",
    no_difference="{subject} was not associated with {endpoint} ({hr})",
    not_tested="{subject}: hazard ratio for {endpoint} not estimable",
)


TOXICITY_ITEMS = {
    "grade34_ae": "grade 3–4 adverse events",
    "dose_reduction": "dose reduction",
    "treatment_interruption": "treatment interruption",
}


@dataclass(frozen=True, eq=False)
class ManuscriptClaims:
    """Claims about one analysis result (see module docstring); ``alpha`` is the document's
    significance level and ``min_cell`` its small-cell threshold (a rate from fewer patients
    prints as ``"<min_cell"`` patients, never as a percentage).

    Example
    -------
    >>> from captemstats.analysis import analyze          # doctest: +SKIP
    >>> claims = ManuscriptClaims(analyze("data/registry"))  # doctest: +SKIP
    >>> str(claims.survival_by_line("pfs"))                # doctest: +SKIP
    'median PFS was longer in first-line than in later-line treatment (P < .001)'
    """

    res: StudyAnalysis
    alpha: float = 0.05
    digits: int = 1
    min_cell: int | None = None

    # -- survival ----------------------------------------------------------------------------
    def _medians(self, endpoint: str, grouping: str) -> tuple[GroupValue, ...]:
        km = self.res.km(endpoint, grouping).km
        out = []
        for g in km.groups:
            m = km.median[g]
            times = km.table(g)["time"]
            last = float(times.max()) if len(times) else None
            out.append(GroupValue(g, m.estimate, reached=m.reached, followed_to=last))
        return tuple(out)

    def survival_by_line(
        self, endpoint: str, *, wording: Wording = SURVIVAL_BY_LINE, reference: str = "1"
    ) -> Claim:
        """PFS/OS by line: "longer in first line" only when the log-rank P < alpha and the
        first-line median is above every other line's (not-reached medians: see
        :func:`captemstats.claims.compare_values`)."""
        return self.survival_by(endpoint, "line_group", wording=wording, reference=reference)

    def survival_by(
        self,
        endpoint: str,
        grouping: str,
        *,
        wording: Wording = SURVIVAL_BY,
        reference: str | None = None,
        grouping_name: str | None = None,
    ) -> Claim:
        """PFS/OS by any grouping of the analysis (``{grouping}``: its name in the text)."""
        sc = self.res.km(endpoint, grouping)
        values = self._medians(endpoint, grouping)
        km = sc.km
        printed = [format_median(km.median[g], self.digits, ci=False) for g in km.groups]
        name = grouping_name or _GROUPING_NAMES.get(grouping, grouping)
        p = None if sc.logrank is None else sc.logrank.p_value
        return make_claim(
            ENDPOINT_NAMES.get(endpoint, endpoint),
            p,
            wording,
            {"p": p_phrase(p), "values": join_words(printed), "grouping": name},
            values=values,
            reference=reference,
            alpha=self.alpha,
        )

    # -- response ----------------------------------------------------------------------------
    def response_by_line(
        self, measure: str, *, wording: Wording = RESPONSE_BY_LINE, reference: str = "1"
    ) -> Claim:
        """ORR/DCR by line: "higher in first line" only when the test's P < alpha and the
        first-line rate is above every other line's."""
        t = self.res.response_rates.table
        rows = t[t["measure"] == measure]
        values, printed = [], []
        for g in LINE_ORDER:
            sel = rows[rows["group"].astype("string") == g]
            if sel.empty:
                continue
            r = sel.iloc[0]
            values.append(GroupValue(g, float(r["proportion"])))
            printed.append(self._rate_text(int(r["count"]), float(r["proportion"])))
        test = self.res.response_tests.get(measure)
        p = None if test is None else float(test.p_value)
        return make_claim(
            measure,
            p,
            wording,
            {"p": p_phrase(p), "values": join_words(printed)},
            values=values,
            reference=reference,
            alpha=self.alpha,
        )

    def _rate_text(self, count: int, proportion: float) -> str:
        if self.min_cell is not None and 0 < count < self.min_cell:
            return f"<{self.min_cell} patients"
        return f"{format_number(100 * proportion, self.digits)}%"

    # -- Table 1 -----------------------------------------------------------------------------
    def characteristic_by_line(
        self,
        variable: str,
        *,
        subject: str | None = None,
        wording: Wording = CHARACTERISTIC_BY_LINE,
        level: str = "True",
        reference: str | None = None,
    ) -> Claim:
        """A Table 1 row by line: "differed" only when its test's P < alpha, "did not differ"
        only when P >= alpha; a direction (``reference``) only from the share with ``level``
        (binary rows)."""
        f = self.res.characteristics.to_frame()
        rows = f[f["variable"] == variable]
        if rows.empty:
            raise KeyError(f"Table 1 has no variable {variable!r}")
        p_values = rows["p_value"].dropna()
        p = float(p_values.iloc[0]) if len(p_values) else None
        values, printed = [], []
        at_level = rows[rows["level"].astype("string") == level]
        for g in LINE_ORDER:
            sel = at_level[at_level["group"].astype("string") == g]
            if sel.empty:
                continue
            r = sel.iloc[0]
            values.append(GroupValue(g, float(r["pct"]) / 100))
            printed.append(self._rate_text(int(r["n"]), float(r["pct"]) / 100))
        label = subject if subject is not None else str(rows["label"].iloc[0])
        return make_claim(
            label,
            p,
            wording,
            {"p": p_phrase(p), "values": join_words(printed)},
            values=values,
            reference=reference if values else None,
            alpha=self.alpha,
        )

    def toxicity_by_line(
        self, *, subject: str = "toxicity", wording: SummaryWording | None = None
    ) -> Claim:
        """Grade 3–4 adverse events, dose reduction and treatment interruption by line in one
        clause: "did not differ" only when *every* item has P >= alpha; otherwise the items
        that differ are named with their P."""
        parts = [self.characteristic_by_line(v, subject=name) for v, name in TOXICITY_ITEMS.items()]
        return summarize(subject, parts, wording or SummaryWording(), alpha=self.alpha)

    def first_line_summary(self, wording: JointWording | None = None) -> Claim:
        """PFS, OS and ORR by line in one sentence (:func:`captemstats.claims_summary.joint`):
        each endpoint in the clause of its own claim, "longer"/"higher" only for one whose
        claim is directional."""
        items = [
            JointItem(
                self.survival_by_line(e), f"median {n}", f"longer median {n}", f"shorter median {n}"
            )
            for e, n in ENDPOINT_NAMES.items()
        ]
        items.append(
            JointItem(self.response_by_line("ORR"), "the ORR", "a higher ORR", "a lower ORR")
        )
        return joint(items, wording)

    # -- Cox ---------------------------------------------------------------------------------
    def cox_terms(self, endpoint: str, *, wording: Wording = COX_TERMS) -> Claim:
        """The Cox model's terms with P < alpha (``{terms}``, ``{alpha}``); "no term" only
        when every term has P >= alpha."""
        r = self.res.cox[endpoint]
        ps = [float(p) for p in r.p_value]
        significant = [t for t, p in zip(r.terms, ps, strict=True) if p < self.alpha]
        finite = [p for p in ps if math.isfinite(p)]
        return make_claim(
            ENDPOINT_NAMES.get(endpoint, endpoint),
            min(finite) if finite else None,
            wording,
            {"terms": join_words(significant), "alpha": format_p(self.alpha)},
            alpha=self.alpha,
        )

    def cox_term(
        self, endpoint: str, term: str, *, subject: str | None = None, wording: Wording = COX_TERM
    ) -> Claim:
        """One Cox term: "higher/lower hazard" only when its Wald P < alpha, from the side of
        1 its hazard ratio is on (``{hr}``: "HR, 0.29; 95% CI, 0.22–0.39; P < .001";
        ``{endpoint}``: "PFS")."""
        r = self.res.cox[endpoint]
        i = r.terms.index(term)
        hr, p = float(r.hr[i]), float(r.p_value[i])
        # AMA style inside parentheses: "HR, 0.29; 95% CI, 0.22–0.39; P < .001".
        pct = format_number(100 * r.conf_level, 0)
        text = (
            f"HR, {format_number(hr, 2)}; {pct}% CI, {format_ci(r.lower[i], r.upper[i], 2)}; "
            f"{p_phrase(p)}"
        )
        values = [GroupValue(term, hr)] if math.isfinite(hr) else []
        return make_claim(
            subject or term,
            p if values else None,
            wording,
            {"hr": text, "endpoint": ENDPOINT_NAMES.get(endpoint, endpoint)},
            values=[*values, GroupValue("no effect", 1.0)],
            reference=term if values else None,
            alpha=self.alpha,
        )

    # -- every claim -------------------------------------------------------------------------
    def all(self) -> tuple[Claim, ...]:
        """Every claim the manuscript can make about this result, in default wording (for
        the tests and the self-audit)."""
        out: list[Claim] = []
        for e in ENDPOINT_NAMES:
            out.append(self.survival_by_line(e))
            out += [self.survival_by(e, g) for g in ("grade", "ki67_group", "primary_site")]
            out.append(self.cox_terms(e))
            out += [self.cox_term(e, t) for t in self.res.cox[e].terms]
        out += [self.response_by_line(m) for m in ("ORR", "DCR")]
        f = self.res.characteristics.to_frame()
        tested = f.loc[f["p_value"].notna(), "variable"].unique()
        out += [self.characteristic_by_line(str(v)) for v in tested]
        out += [self.toxicity_by_line(), self.first_line_summary()]
        return tuple(out)


_GROUPING_NAMES = {
    "line_group": "line",
    "grade": "grade",
    "ki67_group": "Ki-67 index",
    "primary_site": "primary site",
}
