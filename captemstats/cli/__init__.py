"""Command-line interface: ``captemstats`` and ``python -m captemstats``.

Each command lives in its own module of this package and registers itself on :data:`app`
through :func:`_register`. Commands print messages, never tracebacks: :func:`main` turns any
:class:`captemstats.errors.CaptemError` and any environment problem (``OSError``: permission
denied, disk full, read-only file system; out of memory) into a one-line message and exit code
2, and an unexpected exception (a bug) into a short message naming the bug-report route.
"""

from __future__ import annotations

import errno
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
    import captemstats.cli.diff_cmd
    import captemstats.cli.report_cmd  # noqa: F401
    import captemstats.cli.synth_cmd as _synth_cmd  # noqa: F401
    from captemstats.cli import validate_cmd  # noqa: F401


#: errno -> what to do about it (the environment, not captemstats, has to change).
_OS_HINTS: dict[int, str] = {
    errno.ENOSPC: "the disk is full: free some space or write elsewhere (--out)",
    errno.EDQUOT: "the disk quota is used up: free some space or write elsewhere (--out)",
    errno.EROFS: "the file system is read-only: write elsewhere (--out)",
    errno.EACCES: "permission denied: check the permissions, or use another folder (--out)",
    errno.EPERM: "not permitted: check the permissions, or use another folder (--out)",
    errno.ENOENT: "no such file or folder",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EISDIR: "the path is a folder, not a file",
    errno.EMFILE: "too many open files: raise the limit (ulimit -n)",
}


def describe_os_error(exc: OSError) -> str:
    """One line for an operating-system error: the path, the system's reason and a hint.

    Parameters
    ----------
    exc : OSError
        Raised by a read or write (``PermissionError``, ENOSPC, EROFS ...).

    Returns
    -------
    str
        ``PATH: reason (hint)``, without line breaks.

    Example
    -------
    >>> import errno
    >>> describe_os_error(OSError(errno.EROFS, "Read-only file system", "out/t.csv"))
    'out/t.csv: Read-only file system (the file system is read-only: write elsewhere (--out))'
    """
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    reason = exc.strerror or str(exc) or type(exc).__name__
    hint = _OS_HINTS.get(exc.errno or -1)
    text = f"{where}: {reason}" if where else reason
    return " ".join((f"{text} ({hint})" if hint else text).split())


def main(argv: list[str] | None = None) -> None:
    """Entry point of the console script.

    Exit codes: 2 for anything the user or the machine has to fix (a
    :class:`~captemstats.errors.CaptemError`; an ``OSError`` such as an unwritable or full
    output folder; running out of memory), each as one line; 3 ("internal error") only for
    bugs; 130 when interrupted.
    """
    _register()
    try:
        app(args=argv, standalone_mode=True)
    except CaptemError as exc:
        _fail(str(exc))
    except (KeyboardInterrupt, BrokenPipeError):
        sys.exit(130)
    except OSError as exc:  # the environment: permissions, full or read-only disk
        _fail(describe_os_error(exc))
    except MemoryError:
        # Nothing may be allocated: no rich, one plain line.
        sys.stderr.write("error: out of memory (the input is too large for this machine)\n")
        sys.exit(2)
    except Exception as exc:  # last resort: a message, never a traceback
        from rich.markup import escape

        err.print(
            f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}\n"
            "Please report this with the command you ran.",
            highlight=False,
        )
        sys.exit(3)


def _fail(message: str) -> None:
    print_error(err, message)
    sys.exit(2)


def print_error(console: Console, message: str) -> None:
    """``error: MESSAGE`` on one line. The message is escaped (``registry.xlsx[patients]``
    is not rich markup) and not wrapped at 80 columns when stderr is not a terminal."""
    from rich.markup import escape

    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
