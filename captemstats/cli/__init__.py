"""Command-line interface: ``captemstats`` and ``python -m captemstats``.

Each command lives in its own module of this package and registers itself on :data:`app`
through :func:`_register`. Commands print messages, never tracebacks: :func:`main` turns any
:class:`captemstats.errors.CaptemError` into a one-line message and exit code 2, and an
unexpected exception into a short message naming the bug-report route.
"""

from __future__ import annotations

import sys

import typer
from rich.console import Console

from captemstats._version import __version__
from captemstats.errors import CaptemError

app = typer.Typer(
    name="captemstats",
    help="Registry validation, analysis and manuscript rendering for the CAPTEM study.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
err = Console(stderr=True)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"captemstats {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        callback=_version_callback,
        is_eager=True,
    ),
) -> None:
    """captemstats: reproduce and rerun the CAPTEM multicenter NET analysis."""


@app.command()
def dictionary() -> None:
    """Print the registry data dictionary (Markdown) generated from the data model."""
    from captemstats.schema import data_dictionary_markdown

    typer.echo(data_dictionary_markdown(), nl=False)


def _register() -> None:
    # Each import adds its command(s) to `app`; keep the list sorted.
    import captemstats.cli.analyze_cmd
    import captemstats.cli.report_cmd  # noqa: F401
    import captemstats.cli.synth_cmd as _synth_cmd  # noqa: F401
    from captemstats.cli import validate_cmd  # noqa: F401


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script."""
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except CaptemError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False)
        sys.exit(2)
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
    except Exception as exc:  # last resort: a message, never a traceback
        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {exc}\n"
            "Please report this with the command you ran.",
            highlight=False,
        )
        sys.exit(3)
