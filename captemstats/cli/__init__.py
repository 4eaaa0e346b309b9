"""Command-line interface: ``captemstats`` and ``python -m captemstats``.

Each command lives in its own module of this package and registers itself on :data:`app`
through :func:`_register`. Commands print messages, never tracebacks: :func:`main` turns any
:class:`captemstats.errors.CaptemError` and any environment problem (``OSError``: permission
denied, disk full, read-only file system; out of memory) into a one-line message and exit code
2, and an unexpected exception (a bug) into a short message naming the bug-report route.
"""

from __future__ import annotations

import sys

from captemstats.cli._app import _fail, app, describe_os_error, err, print_error
from captemstats.errors import CaptemError

__all__ = ["app", "describe_os_error", "main", "print_error"]


def _register() -> None:
    # Each import adds its command(s) to `app`; keep the list sorted.
    import captemstats.cli.analyze_cmd
    import captemstats.cli.diff_cmd
    import captemstats.cli.recist_cmd
    import captemstats.cli.report_cmd  # noqa: F401
    import captemstats.cli.synth_cmd as _synth_cmd  # noqa: F401
    from captemstats.cli import validate_cmd  # noqa: F401


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
