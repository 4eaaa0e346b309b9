"""The manuscript's claims on the shipped registry and on a copy with treatment line shuffled
across patients (seeded): no claim may say what its own P value or estimates deny.

Each claim is checked against the result it describes, read here from the analysis directly
(log-rank P and medians, Table 2 tests and rates, Table 1 tests, Cox P and HR), by the words
it uses — not by the finding the library attached to it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from captemstats.analysis import StudyAnalysis, analyze
from captemstats.claims import Claim
from captemstats.manuscript_claims import TOXICITY_ITEMS, ManuscriptClaims

ROOT = Path(__file__).resolve().parents[1]
REGISTRY = ROOT / "data" / "registry"
ALPHA = 0.05
LINES = ("1", "2", "3+")


@pytest.fixture(scope="module", params=["shipped", "line shuffled"])
def res(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> StudyAnalysis:
    if request.param == "shipped":
        return analyze(REGISTRY)
    copy = tmp_path_factory.mktemp("shuffled") / "registry"
    shutil.copytree(REGISTRY, copy)
    patients = pd.read_csv(copy / "patients.csv", dtype=str, keep_default_na=False)
    rng = np.random.default_rng(20261201)
    patients["line"] = rng.permutation(patients["line"].to_numpy())
    patients.to_csv(copy / "patients.csv", index=False)
    with pytest.warns(UserWarning, match="modified synthetic registry"):
        return analyze(copy)


def says_difference(text: str) -> bool:
    return any(w in text for w in (" differed", "longer", "shorter", "higher", "lower"))


def says_no_difference(text: str) -> bool:
    return any(w in text for w in ("did not differ", "not associated", "no term"))


def check_p(claim: Claim, p: float) -> None:
    """A difference only with P < alpha, its absence only with P >= alpha."""
    text = str(claim)
    if says_difference(text):
        assert p < ALPHA, text
    if says_no_difference(text):
        assert p >= ALPHA, text
    assert says_difference(text) != says_no_difference(text), text


def check_direction(text: str, first: float, others: list[float], more: str, less: str) -> None:
    if more in text:
        assert all(first > o for o in others), text
    if less in text:
        assert all(first < o for o in others), text


def test_survival_by_line(res: StudyAnalysis) -> None:
    claims = ManuscriptClaims(res)
    for endpoint in ("pfs", "os"):
        sc = res.km(endpoint, "line_group")
        assert sc.logrank is not None
        claim = claims.survival_by_line(endpoint)
        check_p(claim, sc.logrank.p_value)
        med = {g: sc.km.median[g] for g in sc.km.groups}
        if all(m.reached for m in med.values()):
            first = float(med["1"].estimate or 0)
            others = [float(med[g].estimate or 0) for g in LINES[1:]]
            check_direction(str(claim), first, others, "longer", "shorter")


def test_survival_by_other_groupings_never_state_a_direction(res: StudyAnalysis) -> None:
    claims = ManuscriptClaims(res)
    for endpoint in ("pfs", "os"):
        for grouping in ("grade", "ki67_group", "primary_site"):
            claim = claims.survival_by(endpoint, grouping)
            logrank = res.km(endpoint, grouping).logrank
            assert logrank is not None
            check_p(claim, logrank.p_value)
            assert "longer" not in str(claim) and "shorter" not in str(claim)


def test_response_by_line(res: StudyAnalysis) -> None:
    claims = ManuscriptClaims(res)
    t = res.response_rates.table
    for measure in ("ORR", "DCR"):
        claim = claims.response_by_line(measure)
        check_p(claim, res.response_tests[measure].p_value)
        rows = t[t["measure"] == measure].set_index("group")["proportion"]
        first, others = float(rows["1"]), [float(rows[g]) for g in LINES[1:]]
        check_direction(str(claim), first, others, "higher", "lower")


def test_table1_rows(res: StudyAnalysis) -> None:
    claims = ManuscriptClaims(res)
    f = res.characteristics.to_frame()
    tested = f.dropna(subset=["p_value"]).groupby("variable")["p_value"].first()
    assert "grade" in tested.index
    for variable, p in tested.items():
        check_p(claims.characteristic_by_line(str(variable)), float(p))


def test_toxicity_sentence(res: StudyAnalysis) -> None:
    text = str(ManuscriptClaims(res).toxicity_by_line())
    f = res.characteristics.to_frame()
    ps = {v: float(f.loc[f["variable"] == v, "p_value"].dropna().iloc[0]) for v in TOXICITY_ITEMS}
    if "toxicity did not differ" in text:
        assert all(p >= ALPHA for p in ps.values()), text
    else:
        head = text.split(" differed by line")[0]
        for variable, name in TOXICITY_ITEMS.items():
            assert (name in head) == (ps[variable] < ALPHA), text


def test_cox_claims(res: StudyAnalysis) -> None:
    claims = ManuscriptClaims(res)
    for endpoint in ("pfs", "os"):
        r = res.cox[endpoint]
        text = str(claims.cox_terms(endpoint))
        for term, p in zip(r.terms, r.p_value, strict=True):
            assert (term in text) == (p < ALPHA), text
        for i, term in enumerate(r.terms):
            claim = claims.cox_term(endpoint, term)
            check_p(claim, float(r.p_value[i]))
            if "lower hazard" in str(claim):
                assert r.hr[i] < 1
            if "higher hazard" in str(claim):
                assert r.hr[i] > 1


def test_every_claim_is_checked_by_one_of_the_tests_above(res: StudyAnalysis) -> None:
    """all() covers the claim kinds above and each is consistent with its own finding."""
    for claim in ManuscriptClaims(res).all():
        if claim.finding.significant:
            assert claim.p_value is not None and claim.p_value < ALPHA
        else:
            assert claim.p_value is None or claim.p_value >= ALPHA


# -- the manuscript types no claim ----------------------------------------------------------
QMD = ROOT / "report" / "index.qmd"
CLAIM_WORDS = re.compile(
    r"\b(longer|shorter|higher|lower|more|less|greater|fewer|better|worse|differ\w*|"
    r"associated|superior|inferior|significan\w*|similar|comparable|improv\w*|benefit\w*)\b",
    re.IGNORECASE,
)


def _claim_prose(qmd: str) -> str:
    """Abstract, Results and Discussion without code cells and inline code."""
    text = qmd.split("## Abstract", 1)[1].split("## Introduction", 1)[0]
    text += qmd.split("## Results", 1)[1].split("## Supplementary material", 1)[0]
    text = re.sub(r"```\{python\}.*?```", "", text, flags=re.DOTALL)
    return re.sub(r"`[^`]*`", "<computed>", text)


@pytest.mark.parametrize(
    ("snippet", "typed"),
    [
        ("toxicity did not differ materially by line.", True),
        ("first-line CAPTEM was associated with longer PFS", True),
        ("Histological grade differed by line (P = .69).", True),
        ("`{python} claims.survival_by_line('pfs')`.", False),
        ("Median PFS was `{python} txt.median('pfs')` months.", False),
    ],
)
def test_the_typed_claim_detector(snippet: str, typed: bool) -> None:
    qmd = (
        f"## Abstract\n\n## Introduction\n\n## Results\n\n{snippet}\n\n## Supplementary material\n"
    )
    assert bool(CLAIM_WORDS.search(_claim_prose(qmd))) is typed


def test_the_manuscript_types_no_claim() -> None:
    """Every word of direction or (no) difference in the Abstract, Results and Discussion
    comes from captemstats.manuscript_claims (inline code), none is typed."""
    prose = _claim_prose(QMD.read_text(encoding="utf-8"))
    typed = [prose[max(0, m.start() - 50) : m.end() + 30] for m in CLAIM_WORDS.finditer(prose)]
    assert typed == []


def test_first_line_summary(res: StudyAnalysis) -> None:
    """Each endpoint of the Discussion's sentence sits in a clause its own P allows."""
    text = str(ManuscriptClaims(res).first_line_summary())
    t = res.response_rates.table
    orr = t[t["measure"] == "ORR"].set_index("group")["proportion"]
    endpoints = {}
    for e, name in (("pfs", "median PFS"), ("os", "median OS")):
        sc = res.km(e, "line_group")
        assert sc.logrank is not None
        med = [sc.km.median[g] for g in LINES]
        first = med[0].estimate if all(m.reached for m in med) else None
        others = [m.estimate for m in med[1:]]
        endpoints[name] = (sc.logrank.p_value, first, others)
    endpoints["ORR"] = (
        res.response_tests["ORR"].p_value,
        float(orr["1"]),
        [float(orr[g]) for g in LINES[1:]],
    )
    seen = 0
    for clause in text.split("; "):
        for name, (p, first, others) in endpoints.items():
            if f"{name} (P" not in clause:
                continue
            seen += 1
            if "associated with" in clause:
                assert p < ALPHA, clause
                words = clause.split(f"{name} (P")[0].split()[-1]
                if first is not None:
                    above = all(first > o for o in others if o is not None)
                    below = all(first < o for o in others if o is not None)
                    assert (words in ("longer", "higher") and above) or (
                        words in ("shorter", "lower") and below
                    ), clause
            elif "did not differ" in clause:
                assert p >= ALPHA, clause
            else:
                assert "differed" in clause and p < ALPHA, clause
    assert seen == 3, text
