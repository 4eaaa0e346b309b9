"""The audit's typed core: findings, results, the checks' shared state and their registries.

A finding is a :class:`Discrepancy`; :class:`AuditResult` holds all of them with how many
values each check examined. The checks are small functions of a context: the arithmetic
checks (Tables 1–4, the text, the survival prints) share an :class:`AuditContext`, which
also carries the counts the checks resolve as they go (Table 1 and 2 counts made
consistent, the continuous values); the inference checks share an
:class:`InferenceContext`. Each kind of check is registered in a :class:`CheckRegistry`,
which runs them in one declared order (the order of the findings is part of the output).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Generic, Literal, NamedTuple, TypeVar

from captemstats.published import Cell, PublishedStudy

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

Severity = Literal["error", "warning", "info"]


@dataclass(frozen=True, slots=True)
class Discrepancy:
    """One disagreement found in the printed values.

    ``table`` and ``item`` identify the value in :class:`~captemstats.published.PublishedStudy`
    (Table 1: ``variable/level/group``; Table 2: ``response/group``; Table 4: ``term/band``;
    Table 3: ``endpoint/covariate``; text: the ``text_values`` id); ``field`` names which
    part of it (``n``, ``pct``, ``p_value``, ``min``, ``mean``, ``hr``...). ``consistent`` is
    the value (as it would be printed) that makes the arithmetic consistent, or ``None`` when
    no single value is determinable — ``explanation`` then says why.
    """

    check: str
    severity: Severity
    table: str
    item: str
    field: str
    location: str
    printed: str
    consistent: str | None
    explanation: str


@dataclass(frozen=True, slots=True)
class AuditResult:
    """Every discrepancy found, and how many values each check examined."""

    discrepancies: list[Discrepancy]
    checks: dict[str, int] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy: one row per discrepancy, columns as :class:`Discrepancy`'s fields."""
        import pandas as pd

        cols = list(Discrepancy.__dataclass_fields__)
        return pd.DataFrame([asdict(d) for d in self.discrepancies], columns=cols)

    def checks_frame(self) -> pd.DataFrame:
        """One row per check: items examined and discrepancies found."""
        import pandas as pd

        found: dict[str, int] = {}
        for d in self.discrepancies:
            found[d.check] = found.get(d.check, 0) + 1
        return pd.DataFrame(
            [{"check": c, "examined": n, "found": found.get(c, 0)} for c, n in self.checks.items()]
        )

    def find(
        self,
        *,
        table: str | None = None,
        item: str | None = None,
        field: str | None = None,
        check: str | None = None,
    ) -> list[Discrepancy]:
        """The discrepancies matching every given attribute."""
        return [
            d
            for d in self.discrepancies
            if (table is None or d.table == table)
            and (item is None or d.item == item)
            and (field is None or d.field == field)
            and (check is None or d.check == check)
        ]


# ------------------------------------------------------------------------- named keys
class Table1Key(NamedTuple):
    """One Table 1 count: a level of a variable in a group (``age_group``, ``50-70``, ``2``)."""

    variable: str
    level: str
    group: str


class Table2Key(NamedTuple):
    """One Table 2 count: a response in a group (``CR``, ``all``)."""

    response: str
    group: str


class StatKey(NamedTuple):
    """One Table 1 continuous statistic: ``age``/``cycles``, ``min``/``median``..., group."""

    variable: str
    stat: str
    group: str


class PrintedStat(NamedTuple):
    """A continuous statistic as printed, and where."""

    text: str
    where: str


def printed_stats(study: PublishedStudy) -> dict[StatKey, PrintedStat]:
    """Every Table 1 continuous statistic as printed, in print order."""
    return {
        StatKey(c.variable, stat, g): PrintedStat(text, cell.where)
        for c in study.table1.continuous
        for g, cell in c.cells.items()
        for stat, text in cell.stats.items()
    }


def count_of(cell: Cell | None) -> int:
    """A cell's printed count; a dash or a cell the table does not print counts 0."""
    return 0 if cell is None or cell.n is None else cell.n


# --------------------------------------------------------------------------- contexts
@dataclass
class FindingLog:
    """What every check shares: the study, the findings so far and the values examined."""

    study: PublishedStudy
    out: list[Discrepancy] = field(default_factory=list)
    checks: dict[str, int] = field(default_factory=dict)

    def examined(self, check: str, k: int = 1) -> None:
        """Count ``k`` more values examined by ``check``."""
        self.checks[check] = self.checks.get(check, 0) + k


@dataclass
class AuditContext(FindingLog):
    """The arithmetic checks' shared state.

    Besides the findings, the counts the checks resolve as they run, which later checks use
    instead of the printed ones (so a corrected cell is not flagged twice):
    ``table1_counts`` and ``table2_counts`` (Table 2 with the derived ORR and DCR) and
    ``continuous`` (Table 1's continuous statistics with their consistent values).
    """

    table1_counts: dict[Table1Key, int] = field(default_factory=dict)
    table2_counts: dict[Table2Key, int] = field(default_factory=dict)
    continuous: dict[StatKey, float] = field(default_factory=dict)

    def add(
        self,
        *,
        check: str,
        severity: Severity,
        table: str,
        item: str,
        field: str,
        location: str,
        printed: str,
        consistent: str | None,
        explanation: str,
    ) -> None:
        """Record a finding (:class:`Discrepancy` documents the fields)."""
        self.out.append(
            Discrepancy(
                check=check,
                severity=severity,
                table=table,
                item=item,
                field=field,
                location=location,
                printed=printed,
                consistent=consistent,
                explanation=explanation,
            )
        )


@dataclass
class InferenceContext(FindingLog):
    """What the inference checks share: the study, the findings and how much each check
    examined."""

    def add(
        self,
        check: str,
        severity: Severity,
        table: str,
        item: str,
        field: str,
        location: str,
        printed: str,
        explanation: str,
    ) -> None:
        """Record a finding, never with a consistent value: no single corrected print is
        determinable from a plausibility argument."""
        finding = (check, severity, table, item, field, location, printed)
        self.out.append(Discrepancy(*finding, consistent=None, explanation=explanation))


# --------------------------------------------------------------------------- registry
C = TypeVar("C", bound=FindingLog)


class CheckRegistry(Mapping[str, tuple[Callable[[C], None], str]], Generic[C]):
    """Check functions by id, each with a one-line meaning, in a declared run order.

    The order is declared once, when the registry is made; the functions register with
    :meth:`register` in the modules that define them. Reading an id that was declared but
    not registered (its module not imported) raises :class:`KeyError`.
    """

    def __init__(self, order: tuple[str, ...]) -> None:
        self._order = order
        self._checks: dict[str, tuple[Callable[[C], None], str]] = {}

    def register(
        self, check_id: str, meaning: str
    ) -> Callable[[Callable[[C], None]], Callable[[C], None]]:
        """Decorator: register ``fn`` as the check ``check_id`` (declared in the order)."""
        if check_id not in self._order:
            raise ValueError(f"{check_id!r} is not declared in the registry's order")

        def deco(fn: Callable[[C], None]) -> Callable[[C], None]:
            self._checks[check_id] = (fn, meaning)
            return fn

        return deco

    def __getitem__(self, check_id: str) -> tuple[Callable[[C], None], str]:
        return self._checks[check_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


#: The arithmetic checks (:mod:`captemstats.audit`'s module docstring), in the order they
#: run: a step may use the counts an earlier one resolved. A step may find discrepancies of
#: several ``Discrepancy.check`` ids.
AUDIT_STEPS: CheckRegistry[AuditContext] = CheckRegistry(
    (
        "table1_counts",
        "table2_counts",
        "table1_percentages",
        "table2_percentages",
        "table4_percentages",
        "table1_chi_square",
        "table2_chi_square",
        "table2_denominators",
        "continuous_ranges",
        "age_median_vs_groups",
        "cycle_mean_and_sd",
        "table4_bounds",
        "text_vs_tables",
        "text_labels",
        "survival_repeated",
        "table3_rows",
        "table3_in_text",
        "cox_direction_vs_km",
    )
)

#: The inference checks: check id -> (function, one-line meaning), in the order they run.
CHECKS: CheckRegistry[InferenceContext] = CheckRegistry(
    ("significance_statement", "cox_ci_width_vs_events", "cox_hr_vs_km_medians", "p_vs_ci")
)
