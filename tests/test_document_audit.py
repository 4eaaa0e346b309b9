"""The self-audit of the rendered manuscript (captemstats.docaudit).

The manuscript is rendered once (HTML + DOCX, built-in renderer); the audit must pass on it.
Then copies of the rendered files are broken on purpose, each in one way, and the rule made
for that kind of error must report more failures on the copy than on the original. Finally
three perturbed registries are rendered (HTML) and audited: a rerun must not make the
document contradict its own numbers.
"""

from __future__ import annotations

import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from captemstats.analysis import StudyAnalysis, analyze
from captemstats.claims import Finding
from captemstats.docaudit import RULES, AuditReport, audit_files, read_docx, read_html
from captemstats.formatting import format_number
from captemstats.manuscript_claims import ManuscriptClaims
from captemstats.prose import ProseNumbers
from captemstats.render import render_document

ROOT = Path(__file__).resolve().parents[1]
ARTICLE = ROOT / "report" / "index.qmd"
REGISTRY = ROOT / "data" / "registry"
pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Rendered:
    files: dict[str, Path]
    res: StudyAnalysis
    report: AuditReport


def _render(registry: Path, out: Path, formats: tuple[str, ...]) -> dict[str, Path]:
    doc = out / "report"
    shutil.copytree(ARTICLE.parent, doc, ignore=shutil.ignore_patterns("_freeze", "_output"))
    result = render_document(
        doc / "index.qmd",
        formats=formats,
        params={"registry": str(registry)},
        out_dir=out / "_output",
        use_quarto="never",
    )
    return dict(result.outputs)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Rendered:
    files = _render(REGISTRY, tmp_path_factory.mktemp("audit"), ("html", "docx"))
    res = analyze(REGISTRY)
    return Rendered(files, res, audit_files(files, res))


def _failures(report: AuditReport) -> list[str]:
    return [
        f"{c.rule} [{c.fmt}, {c.where}] {c.expected!r} / {c.found!r}: {c.snippet}"
        for c in report.failures
    ]


def test_audit_passes_on_the_shipped_registry(rendered: Rendered) -> None:
    assert not _failures(rendered.report), "\n".join(_failures(rendered.report))
    counts = rendered.report.counts()
    # Every rule ran something in both formats (a rule that checks nothing cannot fail).
    for rule in RULES:
        for fmt in ("html", "docx"):
            assert sum(counts[(rule, fmt)]) > 0, (rule, fmt)


def test_both_formats_read_alike(rendered: Rendered) -> None:
    html, docx = read_html(rendered.files["html"]), read_docx(rendered.files["docx"])
    assert [c.text for c in html.captions] == [c.text for c in docx.captions]
    assert [c.label for c in html.captions] == [c.label for c in docx.captions]
    assert [t.rows for t in html.tables] == [t.rows for t in docx.tables]


# -- planted errors --------------------------------------------------------------------------
def _flexible(text: str) -> str:
    """``text`` as a pattern that survives the source's line wrapping."""
    return r"\s+".join(re.escape(part) for part in text.split(" "))


def _regions(source: str, fmt: str, where: str) -> list[tuple[int, int]]:
    """Spans of ``source`` inside (``where="table"``) or outside tables."""
    tag = r"<table\b.*?</table>" if fmt == "html" else r"<w:tbl>.*?</w:tbl>"
    inside = [m.span() for m in re.finditer(tag, source, flags=re.S)]
    if where == "table":
        return inside
    edges = [0, *(x for span in inside for x in span), len(source)]
    return list(zip(edges[::2], edges[1::2], strict=True))


def _plant_in(source: str, fmt: str, where: str, old: str, new: str) -> str:
    pattern = re.compile(_flexible(old))
    for start, end in _regions(source, fmt, where):
        m = pattern.search(source, start, end)
        if m is not None:
            return source[: m.start()] + new + source[m.end() :]
    raise AssertionError(f"{old!r} not found in the {where} of the {fmt} file")


def _plant(path: Path, fmt: str, where: str, old: str, new: str, out: Path) -> Path:
    """A copy of ``path`` with the first ``old`` in its prose (or tables) replaced."""
    target = out / path.name
    if fmt == "html":
        source = path.read_text(encoding="utf-8")
        target.write_text(_plant_in(source, "html", where, old, new), encoding="utf-8")
        return target
    with zipfile.ZipFile(path) as z:
        parts = {name: z.read(name) for name in z.namelist()}
    xml = parts["word/document.xml"].decode("utf-8")
    parts["word/document.xml"] = _plant_in(xml, "docx", where, old, new).encode("utf-8")
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in parts.items():
            z.writestr(name, data)
    return target


def _esc(text: str) -> str:
    """Text as both sources escape it (``<`` in a P value)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _median_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    txt = ProseNumbers(res)
    old = txt.median("pfs", ci=True)
    estimate = res.km("pfs").km.median["(all)"].estimate
    assert estimate is not None
    changed = format_number(estimate + 0.7, 1)
    return "prose", old, old.replace(format_number(estimate, 1), changed, 1)


def _pct_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).n_pct_line("1")
    n, pct = re.fullmatch(r"(\d+) \(([\d.]+)%\)", old).groups()  # type: ignore[union-attr]
    return "prose", old, f"{n} ({format_number(float(pct) + 2.0, 1)}%)"


def _ci_swapped(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).rate("ORR", ci=True)
    m = re.fullmatch(r"(.*CI, )([\d.]+)–([\d.]+)\)", old)
    assert m is not None, old
    return "prose", old, f"{m[1]}{m[3]}–{m[2]})"


def _no_difference_flipped(res: StudyAnalysis) -> tuple[str, str, str]:
    claims = ManuscriptClaims(res)
    candidates = [claims.survival_by_line(e) for e in ("pfs", "os")]
    candidates += [claims.response_by_line(m) for m in ("ORR", "DCR")]
    claim = next(c for c in candidates if c.finding is Finding.NO_DIFFERENCE)
    assert claim.p_value is not None and claim.p_value >= 0.05
    return "prose", _esc(claim.text), _esc(claim.text.replace("did not differ", "differed"))


def _figure_added(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).median("pfs", ci=True)
    return "prose", old, f"{old} (Figure 99)"


def _unresolved_added(res: StudyAnalysis) -> tuple[str, str, str]:
    old = ProseNumbers(res).median("pfs", ci=True)
    return "prose", old, f"{old} (?@fig-x)"


def _table1_count_changed(res: StudyAnalysis) -> tuple[str, str, str]:
    f = res.characteristics.to_frame()
    row = f[(f["variable"] == "sex") & (f["group"].astype("string") == "all")].iloc[0]
    old = f"{int(row['n'])} ({format_number(row['pct'], 1)})"
    return "table", old, f"{int(row['n']) + 1} ({format_number(row['pct'], 1)})"


PLANTED: list[tuple[str, Callable[[StudyAnalysis], tuple[str, str, str]], str]] = [
    ("median changed", _median_changed, "prose_number"),
    ("percentage changed", _pct_changed, "n_pct"),
    ("CI bounds swapped", _ci_swapped, "ci_contains"),
    ("'did not differ' -> 'differed' at P >= .05", _no_difference_flipped, "significance"),
    ("'did not differ' -> 'differed': the claim is gone", _no_difference_flipped, "claim_text"),
    ("Figure 99 cited", _figure_added, "crossref_target"),
    ("?@fig-x left", _unresolved_added, "crossref_unresolved"),
    ("Table 1 level count changed", _table1_count_changed, "table_sum"),
]


@pytest.mark.parametrize("fmt", ["html", "docx"])
@pytest.mark.parametrize(("name", "plant", "rule"), PLANTED, ids=[p[0] for p in PLANTED])
def test_a_planted_error_is_caught_by_its_rule(
    rendered: Rendered,
    tmp_path: Path,
    fmt: str,
    name: str,
    plant: Callable[[StudyAnalysis], tuple[str, str, str]],
    rule: str,
) -> None:
    where, old, new = plant(rendered.res)
    broken = _plant(rendered.files[fmt], fmt, where, old, new, tmp_path)
    report = audit_files({fmt: broken}, rendered.res)
    before = [c for c in rendered.report.failures if c.rule == rule and c.fmt == fmt]
    after = [c for c in report.failures if c.rule == rule]
    assert len(after) > len(before), f"{name}: {rule} did not catch it"


def test_report_files_and_frame(rendered: Rendered, tmp_path: Path) -> None:
    report = rendered.report
    js, txt = report.write(tmp_path / "index")
    assert js.name == "index.audit.json" and txt.name == "index.audit.txt"
    assert txt.read_text(encoding="utf-8").startswith("Self-audit of the rendered document")
    frame = report.to_frame()
    assert len(frame) == len(report.checks)
    assert set(frame["rule"]) == set(RULES)
    assert not list(tmp_path.glob(".index*"))  # no temporary file left behind


# -- perturbed registries ----------------------------------------------------------------------
def _shuffle_lines(patients: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rng = np.random.default_rng(20261201)
    patients["line"] = rng.permutation(patients["line"].to_numpy())
    return patients


def _drop_40(patients: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    dropped = set(rng.choice(patients["patient_id"].to_numpy(), size=40, replace=False))
    for name, frame in tables.items():
        tables[name] = frame[~frame["patient_id"].isin(dropped)]
    return patients[~patients["patient_id"].isin(dropped)]


def _move_progression(patients: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    start = pd.to_datetime(patients["captem_start_date"])
    progression = pd.to_datetime(patients["progression_date"].replace("", None))
    movable = (progression - start).dt.days > 120
    chosen = movable[movable].index[::3]
    moved = progression[chosen] - pd.Timedelta(days=90)
    patients.loc[chosen, "progression_date"] = moved.dt.strftime("%Y-%m-%d")
    return patients


PERTURBED = [
    ("line shuffled", _shuffle_lines),
    ("40 patients dropped", _drop_40),
    ("progression dates moved", _move_progression),
]


@pytest.mark.filterwarnings("ignore::captemstats.provenance_check.ModifiedSyntheticRegistryWarning")
@pytest.mark.parametrize(("name", "perturb"), PERTURBED, ids=[p[0] for p in PERTURBED])
def test_audit_passes_on_a_perturbed_registry(
    rendered: Rendered,
    tmp_path: Path,
    name: str,
    perturb: Callable[[pd.DataFrame, dict[str, pd.DataFrame]], pd.DataFrame],
) -> None:
    copy = tmp_path / "registry"
    shutil.copytree(REGISTRY, copy)
    read = {"dtype": str, "keep_default_na": False}
    patients = pd.read_csv(copy / "patients.csv", **read)  # type: ignore[call-overload]
    tables = {
        n: pd.read_csv(copy / f"{n}.csv", **read)  # type: ignore[call-overload]
        for n in ("lesions", "adverse_events")
    }
    patients = perturb(patients, tables)
    patients.to_csv(copy / "patients.csv", index=False)
    for n, frame in tables.items():
        frame.to_csv(copy / f"{n}.csv", index=False)
    res = analyze(copy)
    # The perturbation changed what the document says (else the test would repeat the first).
    new, old = ProseNumbers(res), ProseNumbers(rendered.res)
    key = [(t.n, t.median("pfs", ci=True), t.rate("ORR", "1")) for t in (new, old)]
    assert key[0] != key[1], name
    files = _render(copy, tmp_path / "out", ("html",))
    report = audit_files(files, res)
    assert not _failures(report), f"{name}:\n" + "\n".join(_failures(report))


# -- the command ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "broken", "exit_code", "audited"),
    [
        ([], False, 0, True),
        (["--strict"], False, 0, True),
        ([], True, 0, True),  # reported, not fatal
        (["--strict"], True, 2, True),
        (["--strict", "--no-audit"], True, 0, False),
    ],
)
def test_report_command_audits_what_it_rendered(
    rendered: Rendered,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    broken: bool,
    exit_code: int,
    audited: bool,
) -> None:
    from typer.testing import CliRunner

    from captemstats.cli import _register, app, report_cmd
    from captemstats.render import RenderResult

    out = tmp_path / "report"
    out.mkdir()
    files = {f: shutil.copy(p, out / p.name) for f, p in rendered.files.items()}
    if broken:
        _, old, new = _ci_swapped(rendered.res)
        files["html"] = _plant(rendered.files["html"], "html", "prose", old, new, out)
    result = RenderResult(
        outputs={f: Path(p) for f, p in files.items()},
        engine="captemstats",
        timings={},
        cache_hit=True,
        executed_cells=0,
        out_dir=tmp_path,
    )
    # The render itself is tested elsewhere; here the command gets the files rendered above.
    monkeypatch.setattr(report_cmd, "_render", lambda *a, **k: result)
    _register()
    run = CliRunner().invoke(app, ["report", "--registry", str(REGISTRY), *args])
    assert run.exit_code == exit_code, run.output
    written = out / "index.audit.json"
    assert written.exists() == audited
    if audited:
        text = (out / "index.audit.txt").read_text(encoding="utf-8")
        assert ("FAILED" in text) == broken
        assert "Self-audit of the rendered document" in run.output
        if broken:
            assert "ci_contains" in run.output
