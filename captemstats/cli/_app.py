"""The ``captemstats`` Typer application, its root options and the one-line error printing
that every command shares. Commands import :data:`app` from here (not from the package
``__init__``, which imports the commands to register them)."""

from __future__ import annotations

import errno
import sys

import typer
from rich.console import Console

from captemstats._version import __version__

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


def _fail(message: str) -> None:
    print_error(err, message)
    sys.exit(2)


def print_error(console: Console, message: str) -> None:
    """``error: MESSAGE`` on one line. The message is escaped (``registry.xlsx[patients]``
    is not rich markup) and not wrapped at 80 columns when stderr is not a terminal."""
    from rich.markup import escape

    console.print(f"[bold red]error:[/] {escape(message)}", highlight=False, soft_wrap=True)
