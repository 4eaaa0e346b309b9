"""``captemstats report``: validation gate, engine choice and messages (registry I/O faked)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from captemstats.cli import _register, app
from captemstats.render import render_document

FIXTURES = Path(__file__).parent / "data" / "qmd"


@dataclass
class FakeReport:
    ok: bool
    problems: list[str] = field(default_factory=list)

    def __rich__(self) -> str:
        return "\n".join(["registry INVALID", *self.problems])


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    _register()
    return CliRunner()


def _fake_validation(monkeypatch: pytest.MonkeyPatch, report: FakeReport) -> list[Any]:
    calls: list[Any] = []

    def read_registry(path: Any, *, mapping: Any = None) -> str:
        calls.append((Path(path), mapping))
        return "registry"

    monkeypatch.setattr("captemstats.io.read_registry", read_registry)
    monkeypatch.setattr("captemstats.validation.validate", lambda registry: report)
    from captemstats.provenance_check import ProvenanceCheck, SyntheticStatus

    not_synthetic = ProvenanceCheck(SyntheticStatus.NOT_SYNTHETIC)
    monkeypatch.setattr("captemstats.provenance_check.check_registry", lambda reg: not_synthetic)
    return calls


def test_invalid_registry_exits_1_with_the_list_and_writes_nothing(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    registry = tmp_path / "registry"
    registry.mkdir()
    problem = "patients.csv line 4: death_date before start_date (rule dates.order)"
    calls = _fake_validation(monkeypatch, FakeReport(ok=False, problems=[problem]))
    out = tmp_path / "out"
    result = cli.invoke(
        app,
        [
            *("report", "--registry", str(registry), "--out", str(out)),
            *("--document", str(FIXTURES / "article.qmd"), "--engine", "captemstats"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert problem in result.output
    assert "nothing was rendered" in result.output
    assert calls == [(registry, None)]
    assert not out.exists()


def test_missing_registry_is_named(cli: CliRunner, tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = cli.invoke(
        app, ["report", "--registry", str(missing), "--document", str(FIXTURES / "article.qmd")]
    )
    assert result.exit_code == 2
    assert f"registry not found: {missing}" in result.output


def test_missing_document_is_named(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["report", "--document", str(tmp_path / "index.qmd")])
    assert result.exit_code == 2
    assert "manuscript not found" in result.output


def _fake_quarto(bin_dir: Path) -> Path:
    """A stand-in ``quarto`` that logs its arguments and writes the requested output."""
    bin_dir.mkdir()
    script = bin_dir / "quarto"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys, pathlib\n"
        "args = sys.argv[1:]\n"
        "log = pathlib.Path(__file__).with_name('calls.jsonl')\n"
        "with log.open('a') as fh: fh.write(json.dumps(args) + '\\n')\n"
        "doc = pathlib.Path(args[1]); to = args[args.index('--to') + 1]\n"
        "ext = {'html': '.html', 'typst': '.pdf', 'docx': '.docx'}[to]\n"
        "out = pathlib.Path(args[args.index('--output-dir') + 1])\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "(out / (doc.stem + ext)).write_text('rendered by quarto')\n"
    )
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return script


def test_quarto_on_path_is_used_and_said(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    script = _fake_quarto(tmp_path / "bin")
    monkeypatch.setenv("PATH", f"{script.parent}{os.pathsep}{os.environ['PATH']}")
    registry = tmp_path / "registry"
    registry.mkdir()
    mapping = tmp_path / "map.yml"
    mapping.write_text("{}\n")
    calls = _fake_validation(monkeypatch, FakeReport(ok=True))
    out = tmp_path / "out"
    result = cli.invoke(
        app,
        [
            *("report", "--registry", str(registry), "--mapping", str(mapping)),
            *("--out", str(out), "--document", str(FIXTURES / "article.qmd")),
            *("--formats", "html,pdf"),
            "--no-audit",  # the validation is faked: there is no analysis to audit against
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Rendered with Quarto" in result.output
    assert calls == [(registry, mapping)]
    logged = [json.loads(line) for line in (script.parent / "calls.jsonl").read_text().splitlines()]
    assert [a[a.index("--to") + 1] for a in logged] == ["html", "typst"]
    for args in logged:
        assert ["-P", f"registry:{registry.resolve()}"] == args[4:6]
        assert ["-P", f"mapping:{mapping.resolve()}"] == args[6:8]
    assert sorted(p.name for p in out.iterdir()) == ["article.html", "article.pdf"]


def test_use_quarto_always_requires_quarto(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from captemstats.render import RenderError

    monkeypatch.setenv("PATH", str(tmp_path))  # no quarto here
    with pytest.raises(RenderError, match="no 'quarto' executable is on PATH"):
        render_document(FIXTURES / "article.qmd", out_dir=tmp_path / "o", use_quarto="always")


@pytest.mark.slow
def test_builtin_renderer_through_the_cli(
    cli: CliRunner, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(
        "PATH",
        os.pathsep.join(
            p for p in os.environ["PATH"].split(os.pathsep) if not shutil.which("quarto", path=p)
        ),
    )
    doc = tmp_path / "doc"
    shutil.copytree(FIXTURES, doc)
    registry = tmp_path / "registry"
    registry.mkdir()
    _fake_validation(monkeypatch, FakeReport(ok=True))
    out = tmp_path / "out"
    args = ["report", "--registry", str(registry), "--out", str(out), "--formats", "html"]
    args.append("--no-audit")  # the validation is faked: there is no analysis to audit against
    result = cli.invoke(app, [*args, "--document", str(doc / "article.qmd")])
    assert result.exit_code == 0, result.output
    assert "Rendered with the built-in renderer" in result.output
    html = (out / "article.html").read_text(encoding="utf-8")
    assert "Table 1: Values by group" in html
    again = cli.invoke(app, [*args, "--document", str(doc / "article.qmd")])
    assert again.exit_code == 0
    assert "execution cache hit" in again.output
