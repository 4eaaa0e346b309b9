"""ADAE -> the registry's adverse-events table.

CDISC ADaM IG, ADAE (OCCDS): one record per adverse event. The registry keeps the CTCAE
term (``AEDECOD`` by default), the grade (``AETOXGR``), the onset (``ASTDT``, else the date
part of ``AESTDTC``) and whether the event led to an interruption or a discontinuation,
read from the action taken with the study treatment (``AEACN``, CDISC controlled terminology
"ACN"): ``DRUG INTERRUPTED`` and ``DRUG WITHDRAWN``.
"""

from __future__ import annotations

import pandas as pd

from captemstats.io.adam._files import Dataset, iso_dates, unused
from captemstats.io.problems import Problem
from captemstats.schema import ADVERSE_EVENTS

#: AEACN (CDISC CT "ACN") -> (led_to_interruption, led_to_discontinuation) as text.
ACTIONS: dict[str, tuple[str, str]] = {
    "DRUG INTERRUPTED": ("true", "false"),
    "DRUG WITHDRAWN": ("false", "true"),
    "DOSE REDUCED": ("false", "false"),
    "DOSE RATE REDUCED": ("false", "false"),
    "DOSE INCREASED": ("false", "false"),
    "DOSE NOT CHANGED": ("false", "false"),
    "NOT APPLICABLE": ("false", "false"),
}


def adae_events(ds: Dataset, term: str = "AEDECOD") -> tuple[pd.DataFrame, list[Problem]]:
    """ADAE as the adverse-events table's text columns (index: ADAE rows), and notes on the
    variables not carried. An ``AEACN`` of ``UNKNOWN`` or empty leaves both flags empty
    (the validation reports them); a value outside CT "ACN" is kept for the parser to
    report."""
    term = term.upper()
    ds.require(["USUBJID", term, "AETOXGR", "AEACN"], "CDISC ADaM IG, ADAE")
    f = ds.frame
    action = f["AEACN"].str.strip().str.upper()
    flags = [action.map({k: v[i] for k, v in ACTIONS.items()}).astype("string") for i in (0, 1)]
    known = action.isin([*ACTIONS, "UNKNOWN"]).fillna(False).astype(bool)
    flags = [s.mask(~known & action.notna(), f["AEACN"]) for s in flags]
    if "ASTDT" in f.columns:
        onset, used = iso_dates(ds, "ASTDT"), ["ASTDT"]
    elif "AESTDTC" in f.columns:
        onset, used = f["AESTDTC"].str.slice(0, 10), ["AESTDTC"]
    else:
        onset, used = pd.Series(pd.NA, index=f.index, dtype="string"), []
    text = pd.DataFrame(
        {
            "patient_id": f["USUBJID"],
            "term": f[term],
            "grade": f["AETOXGR"],
            "onset_date": onset.astype("string"),
            "led_to_interruption": flags[0],
            "led_to_discontinuation": flags[1],
        },
        index=f.index,
    )[list(ADVERSE_EVENTS.names)]
    carried = {"USUBJID", term, "AETOXGR", "AEACN", *used}
    return text, unused(ds, carried, table="adverse_events")
