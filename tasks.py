#!/usr/bin/env python3
"""The project's two entry points, needing only python3 on a fresh machine.

    python3 tasks.py report   # set up .venv, render the manuscript (HTML, PDF, DOCX) to _output/
    python3 tasks.py test     # set up .venv, run ruff, mypy --strict, pytest with coverage and
                              # the reference site's build (warnings are errors)
    python3 tasks.py docs     # set up .venv, build the reference site (Sphinx, -W) into _site/

Set-up creates ``.venv`` and installs the project with its ``report``, ``test``, ``dev`` and
``docs`` extras; it is skipped when ``pyproject.toml`` has not changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".captemstats-installed"


def run(*cmd: str | Path) -> None:
    print("+", " ".join(str(c) for c in cmd), flush=True)
    rc = subprocess.call([str(c) for c in cmd], cwd=ROOT)
    if rc != 0:
        sys.exit(rc)


def setup() -> None:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    run(BIN / "python", "-m", "pip", "install", "--quiet", "--upgrade", "pip")
    run(BIN / "python", "-m", "pip", "install", "--quiet", "-e", ".[report,test,dev,docs,scale]")
    STAMP.write_text(digest)


def test() -> None:
    setup()
    run(BIN / "ruff", "check", ".")
    run(BIN / "ruff", "format", "--check", ".")
    run(BIN / "mypy", "--strict", "captemstats")
    run(
        BIN / "pytest",
        *_workers(),
        "--cov=captemstats",
        "--cov-report=term:skip-covered",
        *sys.argv[2:],
    )
    _build_docs()


def _workers() -> list[str]:
    """pytest-xdist options: one worker per core, each test file on one worker (``loadfile``),
    so that a module's fixtures (a rendered manuscript, a synthesised registry) are built once.
    ``CAPTEM_TEST_WORKERS=0`` runs in this process, as plain pytest does."""
    value = os.environ.get("CAPTEM_TEST_WORKERS", str(os.cpu_count() or 1))
    if not value.isdigit():
        sys.exit(f"CAPTEM_TEST_WORKERS={value!r}: give a number of workers (0: no workers)")
    workers = int(value)
    return ["-n", str(workers), "--dist", "loadfile"] if workers > 0 else []


def _build_docs() -> None:
    """The reference site with warnings as errors (``-W``; ``--keep-going`` lists them all)."""
    run(BIN / "python", "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-q", "docs", "_site")


def report() -> None:
    setup()
    run(BIN / "captemstats", "report", "--out", "_output", *sys.argv[2:])


def docs() -> None:
    """Build the API reference and guides (``docs/``) into ``_site/``; warnings are errors."""
    setup()
    _build_docs()
    print(f"open {ROOT / '_site' / 'index.html'}", flush=True)


def main() -> None:
    commands = {"setup": setup, "test": test, "report": report, "docs": docs}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        print(__doc__)
        sys.exit(2)
    commands[sys.argv[1]]()


if __name__ == "__main__":
    main()
