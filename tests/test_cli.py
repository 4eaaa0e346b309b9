"""The command line: ``--version``, ``validate`` on every broken fixture registry, the data
dictionary, and the wheel that other analysts ``pip install``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from captemstats._version import __version__
from captemstats.cli import _register, app

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
INVALID = sorted(p for p in (DATA / "invalid").iterdir() if p.is_dir())

_register()


@pytest.fixture(scope="module")
def cli() -> CliRunner:
    return CliRunner()


def test_version(cli: CliRunner) -> None:
    result = cli.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"captemstats {__version__}"


def test_python_dash_m_and_help_on_every_command() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "captemstats", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    for command in ("validate", "analyze", "report", "synth", "dictionary", "diff"):
        assert command in out.stdout
        sub = subprocess.run(
            [sys.executable, "-m", "captemstats", command, "--help"],
            capture_output=True,
            text=True,
        )
        assert sub.returncode == 0, command
        assert "Usage" in sub.stdout


def test_at_least_twenty_broken_registries() -> None:
    assert len(INVALID) >= 20


@pytest.mark.parametrize("folder", INVALID, ids=[p.name for p in INVALID])
def test_validate_names_each_defect(cli: CliRunner, folder: Path) -> None:
    expected = json.loads((folder / "expected.json").read_text(encoding="utf-8"))
    result = cli.invoke(app, ["validate", str(folder), "--format", "json"])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    report = json.loads(result.output)
    errors = [p for p in report["problems"] if p["severity"] == "error"]
    hits = [
        p
        for p in errors
        if p["rule"] == expected["rule"]
        and p["table"] == expected["table"]
        and p["file"] == expected["file"]
        and p["line"] == expected["line"]
        and p["column"] == expected["column"]
    ]
    assert hits, f"{folder.name}: expected {expected}, got {errors}"
    # the text form names the rule, the line and the column too
    text = cli.invoke(app, ["validate", str(folder)])
    assert text.exit_code == 1
    for key in ("rule", "column"):
        if expected[key] is not None:
            assert str(expected[key]) in text.output


def test_validate_valid_registry_exits_0(cli: CliRunner) -> None:
    result = cli.invoke(app, ["validate", str(DATA / "valid")])
    assert result.exit_code == 0, result.output
    assert "valid" in result.output.lower()


def test_validate_unreadable_input_exits_2_with_a_message(cli: CliRunner, tmp_path: Path) -> None:
    result = cli.invoke(app, ["validate", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


def test_data_dictionary_is_generated_from_the_schema(cli: CliRunner) -> None:
    result = cli.invoke(app, ["dictionary"])
    assert result.exit_code == 0
    assert result.output == (ROOT / "data" / "DICTIONARY.md").read_text(encoding="utf-8")


@pytest.mark.slow
def test_wheel_installs_in_a_fresh_venv(tmp_path: Path) -> None:
    """Build the wheel, install it into a new virtual environment (dependencies from the
    parent environment's site-packages, so no network), import it and run the CLI."""
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--outdir", str(dist)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    wheel = next(dist.glob("captemstats-*.whl"))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = next(p for p in sys.path if p.endswith("site-packages"))
    # The project's dependencies come from this environment (a .pth file), the project
    # itself only from the wheel.
    target_site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(target_site, "parent_env.pth").write_text(site + "\n")
    subprocess.run(
        [str(py), "-m", "pip", "install", "--no-deps", "--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = subprocess.run(
        [str(py), "-c", "import captemstats, sys; print(captemstats.__file__)"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert str(env_dir) in probe.stdout  # imported from the wheel, not the checkout
    exe = env_dir / ("Scripts" if os.name == "nt" else "bin") / "captemstats"
    version = subprocess.run(
        [str(exe), "--version"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert version.stdout.strip() == f"captemstats {__version__}"
    # package data made it into the wheel
    data = subprocess.run(
        [
            str(py),
            "-c",
            "from captemstats.published import load_published; "
            "print(load_published().study.patients.value)",
        ],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    assert data.stdout.strip() == "308"
