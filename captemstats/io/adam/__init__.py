"""CDISC ADaM datasets (ADSL, ADTTE, ADRS, ADAE) read into the registry model.

:func:`read_adam` reads a folder of ADaM datasets (Parquet, CSV, SAS XPT or SAS7BDAT) into a
:class:`~captemstats.io.Registry` that :func:`captemstats.analysis.analyze` accepts:

- ADSL -> ``patients`` (:data:`DEFAULT_ADSL_VARIABLES`); ADTTE -> the survival dates
  (:mod:`captemstats.io.adam._adtte`: event = 1 − CNSR, dates = TRTSDT + AVAL or ADT);
  ADRS ``BOR`` -> ``patients.best_response``; ADAE -> ``adverse_events``; ``lesions`` empty.
- What ADaM holds and the model cannot (other ADSL/ADAE variables, ADRS ``OVR`` per visit,
  ADTTE parameters mapped to None, PFS censoring the model cannot express) is listed in
  ``Registry.parse_problems`` (rules :data:`ADAM_RULES`), never dropped unsaid; the
  validation report, and so every analysis, carries it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import pandas as pd

from captemstats.io.adam._adae import adae_events
from captemstats.io.adam._adsl import (
    DEFAULT_ADSL_VARIABLES,
    DEFAULT_RESPONSES,
    adrs_best_response,
    adsl_patients,
    adsl_variables,
)
from captemstats.io.adam._adtte import (
    CNSR_RULE,
    DEFAULT_ENDPOINTS,
    Endpoint,
    read_endpoints,
    registry_dates,
)
from captemstats.io.adam._files import AdamReadError, Dataset, locate_datasets, read_dataset
from captemstats.io.coerce import ParseContext, ParsedTable, empty_table, parse_table
from captemstats.io.mapping import TableMapping
from captemstats.io.problems import (
    Problem,
    cap_problems,
    empty_problem_frame,
    normalise_problem_frame,
    omitted_frame,
    problem_frame,
)
from captemstats.io.registry import Registry
from captemstats.schema import ADVERSE_EVENTS, LESIONS, PATIENTS

__all__ = [
    "ADAM_RULES",
    "CNSR_RULE",
    "DEFAULT_ADSL_VARIABLES",
    "DEFAULT_ENDPOINTS",
    "DEFAULT_RESPONSES",
    "AdamReadError",
    "read_adam",
]

#: Problem rules of what the ADaM datasets hold and the registry model does not.
ADAM_RULES: tuple[str, ...] = (
    "adam_not_carried",
    "adam_no_best_response",
    "adam_aval_not_whole_days",
    "adam_pfs_censoring",
    "adam_pfs_after_os",
)
#: The registry table each dataset fills (``Registry.sources`` keys; ADTTE/ADRS by name).
_TABLE_OF = {"adsl": "patients", "adae": "adverse_events"}
_AE_VARIABLES = {
    "patient_id": "USUBJID",
    "grade": "AETOXGR",
    "onset_date": "ASTDT",
    "led_to_interruption": "AEACN",
    "led_to_discontinuation": "AEACN",
}


def read_adam(
    path: str | Path,
    *,
    endpoints: Mapping[str, Endpoint | None] | None = None,
    responses: Mapping[str, str | None] | None = None,
    variables: Mapping[str, str] | None = None,
    ae_term: str = "AEDECOD",
    aval_unit: Literal["days", "months"] | None = None,
    pfs_censoring: Literal["refuse", "last_followup"] = "refuse",
    max_problems: int | None = 100,
) -> Registry:
    """Read CDISC ADaM datasets into the registry model.

    ``path`` is a folder holding ``adsl`` and ``adtte`` (required), ``adrs`` and ``adae``
    (optional) as ``.parquet``, ``.csv``, ``.xpt`` (SAS transport) or ``.sas7bdat`` files.

    Parameters
    ----------
    path : str or pathlib.Path
        The folder of the datasets.
    endpoints : mapping, optional
        ADTTE ``PARAMCD`` -> ``"pfs"``, ``"os"`` or None (read, reported, not carried);
        default :data:`DEFAULT_ENDPOINTS` (``PFS``, ``OS``). Any other PARAMCD is refused.
    responses : mapping, optional
        ADRS ``PARAMCD`` -> ``"best_response"`` or None; default :data:`DEFAULT_RESPONSES`
        (``BOR`` -> best_response; per-visit ``OVR`` reported, not carried: the model has
        no per-visit response field).
    variables : mapping, optional
        Registry ``patients`` column -> ADSL variable, overriding
        :data:`DEFAULT_ADSL_VARIABLES`.
    ae_term : str
        The ADAE variable holding the CTCAE term (default ``AEDECOD``).
    aval_unit : {"days", "months"}, optional
        The unit of ADTTE ``AVAL`` when ADTTE has no ``AVALU``.
    pfs_censoring : {"refuse", "last_followup"}
        A PFS censored other than at the OS date with no death cannot be held by the model
        (it censors PFS at the last follow-up): an error by default, a warning with
        ``"last_followup"`` (the pipeline then uses the registry's rule).
    max_problems : int or None
        Problems listed per table, column and rule (the rest are counted).

    Returns
    -------
    Registry
        ``patients``, empty ``lesions`` and ``adverse_events`` typed as
        :func:`~captemstats.io.read_registry` types them; ``parse_problems`` lists unreadable
        cells and what was not carried (:data:`ADAM_RULES`).

    Raises
    ------
    AdamReadError
        A dataset or a variable the model needs is missing, a PARAMCD is unmapped, a CNSR is
        not 0/1, ADT disagrees with STARTDT + AVAL, or records repeat; the message names the
        file, row, variable, value and rule.

    Notes
    -----
    CDISC ADaM IG (ADTTE, BDS time-to-event): ``CNSR`` is a *censoring* indicator, so the
    event is ``1 − CNSR``. Each ADTTE time becomes a date, ``ADT`` when given, else
    ``STARTDT + AVAL`` (``STARTDT`` must equal ADSL ``TRTSDT``); months are days / (365.25 /
    12) (:data:`captemstats.units.DAYS_PER_MONTH`), so the pipeline's PFS and OS equal
    ``AVAL``. ``AVAL`` is the elapsed time ``ADT − STARTDT``.

    Examples
    --------
    A folder of ADaM datasets is read as a registry; what the model cannot carry is listed
    (``registry.parse_problems``). A folder without the required datasets is refused by name:

    >>> import tempfile
    >>> from captemstats.io import read_adam
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     read_adam(folder)
    Traceback (most recent call last):
    ...
    captemstats.io.adam._files.AdamReadError: ...: required ADaM dataset(s) ADSL, ADTTE not found...
    """
    files = locate_datasets(Path(path))
    data = {name: read_dataset(name, p) for name, p in files.items()}
    names = adsl_variables(variables)
    text, notes = adsl_patients(data["adsl"], names)
    ids = pd.Index(text["patient_id"])
    start = pd.to_datetime(text["captem_start_date"], format="%Y-%m-%d", errors="coerce")
    trtsdt = pd.Series(start.to_numpy(), index=ids)
    frames, found, more = read_endpoints(
        data["adtte"], trtsdt, DEFAULT_ENDPOINTS if endpoints is None else endpoints, aval_unit
    )
    notes += more
    dates, checks = registry_dates(data["adtte"], frames, ids, pfs_censoring)
    found += checks
    for column in dates.columns:
        text[column] = dates[column].reindex(ids).to_numpy()
    if "adrs" in data:
        bor, more = adrs_best_response(data["adrs"], responses or DEFAULT_RESPONSES, ids)
        text["best_response"] = bor.reindex(ids).to_numpy()
        notes += more
    return _registry(data, text, found, notes, names, ae_term, max_problems)


def _registry(
    data: dict[str, Dataset],
    text: pd.DataFrame,
    found: list[pd.DataFrame],
    notes: list[Problem],
    names: Mapping[str, str],
    ae_term: str,
    max_problems: int | None,
) -> Registry:
    """Type the text tables as :func:`~captemstats.io.read_registry` does and assemble."""
    adsl = data["adsl"]
    parsed = parse_table(
        text,
        PATIENTS,
        ParseContext("patients", adsl.label, max_problems=max_problems),
        TableMapping(),
    )
    tables = {"patients": parsed.typed}
    unreadable = {"patients": parsed.unreadable}
    parse = [_cite(parsed.problems, names)]
    omitted = list(parsed.omitted)
    if "adae" in data:
        ae, cited, more = _adverse(data["adae"], ae_term, max_problems)
        tables["adverse_events"] = ae.typed
        unreadable["adverse_events"] = ae.unreadable
        parse.append(cited)
        omitted += ae.omitted
        notes += more
    else:
        tables["adverse_events"] = empty_table(ADVERSE_EVENTS)
    structural = [p for d in data.values() for p in d.problems]
    frames = [f for f in [*parse, *found, problem_frame([*structural, *notes])] if len(f)]
    problems, capped = cap_problems(
        normalise_problem_frame(pd.concat(frames, ignore_index=True))
        if frames
        else empty_problem_frame(),
        max_problems,
    )
    return Registry(
        patients=tables["patients"],
        lesions=empty_table(LESIONS),
        adverse_events=tables["adverse_events"],
        sources={_TABLE_OF.get(d.name, d.name): d.source for d in data.values()},
        parse_problems=problems,
        omitted_problems=omitted_frame(pd.concat([omitted_frame(omitted), capped])),
        unreadable=unreadable,
    )


def _adverse(
    ds: Dataset, ae_term: str, max_problems: int | None
) -> tuple[ParsedTable, pd.DataFrame, list[Problem]]:
    """ADAE typed as the adverse-events table: (parsed table, cited problems, notes)."""
    text, notes = adae_events(ds, ae_term)
    context = ParseContext("adverse_events", ds.label, max_problems=max_problems)
    parsed = parse_table(text, ADVERSE_EVENTS, context, TableMapping())
    names = {**_AE_VARIABLES, "term": ae_term.upper()}
    return parsed, _cite(parsed.problems, names), notes


def _cite(problems: pd.DataFrame, names: Mapping[str, str]) -> pd.DataFrame:
    """Parse problems with the ADaM variable each registry column was read from."""
    out = problems.copy()
    variable = out["column"].map(dict(names)).astype("string")
    out["message"] = out["message"].where(
        variable.isna(), out["message"] + " (ADaM variable " + variable + ")"
    )
    return out
