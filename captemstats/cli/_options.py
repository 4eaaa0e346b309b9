"""Options shared by several commands."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

import typer

from captemstats.methods import MethodsName


class MethodsChoice(StrEnum):
    """``--methods``: the methods profile of Table 1/2's tests (:mod:`captemstats.methods`)."""

    RECOMMENDED = "recommended"
    AS_PUBLISHED = "as_published"

    @property
    def profile_name(self) -> MethodsName:
        """The choice as :data:`captemstats.methods.MethodsName`."""
        return "as_published" if self is MethodsChoice.AS_PUBLISHED else "recommended"


#: Help text of ``--methods``.
METHODS_HELP = (
    "Methods profile of Table 1/2's tests: 'recommended' (chi-square, Fisher's exact test "
    "when an expected count < 5; rounded P) or 'as_published' (the paper's Pearson "
    "chi-square for every categorical comparison; P truncated as the paper prints it)."
)

#: ``--methods``, as every command that analyses declares it.
MethodsOption = Annotated[MethodsChoice, typer.Option("--methods", help=METHODS_HELP)]


def min_cell_option(help: str) -> Any:
    """``--min-cell N`` (an integer >= 0; 0 = off) with the command's own help text."""
    return typer.Option("--min-cell", min=0, help=help)
