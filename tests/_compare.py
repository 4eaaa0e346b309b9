"""The one comparison rule of the R cross-checks (issue 21): numbers at 1e-8 relative.

Why 1e-8: the references hold 15 significant digits and captemstats reproduces R's algorithms
step for step. Measured over the 52,890 survival and registry values: worst 4.1e-10 relative
except the exact r x c Fisher P of Table 1's grade row, 7.0e-9 (R's FEXACT adds the
probabilities of a network's paths in another order than our enumeration); 1e-8 holds both and
still catches a change in the 9th digit. An *absolute* tolerance on P values (the old 1e-6)
accepted any P below 1e-6, including 0 for 1.4e-21 (computing ``1 - cdf`` instead of ``sf``);
here P values are relative too, and on the log scale where R's value is below 1e-300 or printed
as 0 (underflow: the digits there say only how far out in the tail P is).

- :func:`problem` returns a description of a mismatch, or None — for tests collecting all
  mismatches of a table before failing;
- :func:`assert_close` fails at once.

Callers needing a looser tolerance pass ``rel=`` and say why next to it.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

#: relative tolerance for statistics and P values
REL = 1e-8
#: below this (or at 0) a P value is compared on the log scale
TINY_P = 1e-300
#: a reference value that is exactly 0 in R (e.g. the standard error before any event) is a
#: sum of rounding-level terms in ours, which cannot be relative to 0
ZERO_ATOL = 1e-12


def problem(
    got: float, want: float, *, p_value: bool = False, rel: float = REL, what: str = ""
) -> str | None:
    """None if ``got`` equals the reference ``want`` within the rule, else why not.

    Parameters
    ----------
    got, want
        Our value and R's (NaN stands for R's NA; NaN matches only NaN).
    p_value
        Whether the numbers are P values (log scale for R values below 1e-300 or 0).
    rel
        Relative tolerance (default 1e-8).
    what
        Label for the message.

    Returns
    -------
    str or None
        A one-line description of the mismatch.

    Example
    -------
    >>> problem(1.4e-21, 1.4e-21, p_value=True) is None
    True
    >>> problem(0.0, 1.4e-21, p_value=True)
    'P: R 1.4e-21 vs captemstats 0.0 (relative error 1)'
    """
    label = what or ("P" if p_value else "value")
    got, want = float(got), float(want)
    if math.isnan(want) or math.isnan(got):
        ok = math.isnan(want) and math.isnan(got)
        return None if ok else f"{label}: R {want!r} vs captemstats {got!r}"
    if math.isinf(want) or math.isinf(got):
        return None if got == want else f"{label}: R {want!r} vs captemstats {got!r}"
    if p_value and want <= TINY_P:
        if want == 0.0:  # R underflowed: ours must be as far out in the tail
            return None if got <= TINY_P else f"{label}: R 0 vs captemstats {got!r}"
        if got <= 0.0:
            return f"{label}: R {want!r} vs captemstats {got!r}"
        err = abs(math.log(got) - math.log(want)) / abs(math.log(want))
    elif want == 0.0:
        err = abs(got) if abs(got) > ZERO_ATOL else 0.0
    else:
        err = abs(got - want) / abs(want)
    if err <= rel:
        return None
    return f"{label}: R {want!r} vs captemstats {got!r} (relative error {err:.3g})"


def assert_close(
    got: float, want: float, *, p_value: bool = False, rel: float = REL, what: str = ""
) -> None:
    """Fail unless ``got`` equals ``want`` within :func:`problem`'s rule.

    Parameters
    ----------
    got, want
        Our value and the reference.
    p_value
        Whether the numbers are P values.
    rel
        Relative tolerance (default 1e-8); a looser one needs a reason next to the call.
    what
        Label for the message.

    Example
    -------
    >>> assert_close(0.1 + 0.2, 0.3)
    """
    msg = problem(got, want, p_value=p_value, rel=rel, what=what)
    assert msg is None, msg


class LongReference:
    """A long-format R reference (columns model, kind, term, value; R's NA as NaN), read once.

    Example
    -------
    >>> import pathlib
    >>> ref = LongReference(pathlib.Path(__file__).parent / "reference" / "cox_terms_reference.csv")
    >>> ref.want("veteran", "wald")["term"].tolist()
    ['celltype', 'karno', 'trt']
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._frame: pd.DataFrame | None = None

    def frame(self) -> pd.DataFrame:
        if self._frame is None:
            frame = pd.read_csv(self.path, dtype=str, keep_default_na=False)
            frame["value"] = [math.nan if v.strip() == "NA" else float(v) for v in frame["value"]]
            self._frame = frame
        return self._frame

    def want(self, model: str, kind: str) -> pd.DataFrame:
        """The reference rows of one model and kind, in the script's order."""
        ref = self.frame()
        return ref[(ref["model"] == model) & (ref["kind"] == kind)].reset_index(drop=True)


def check_rows(got: list[float], ref: pd.DataFrame, what: str, *, p_value: bool = False) -> None:
    """Fail, listing every mismatch, unless each of ``got`` equals its reference row's value
    within :func:`problem`'s rule (and there are as many values as rows)."""
    assert len(got) == len(ref), (what, len(got), len(ref))
    bad = [
        msg
        for g, (_, r) in zip(got, ref.iterrows(), strict=True)
        if (msg := problem(g, r["value"], p_value=p_value, what=f"{what} {r['term']}"))
    ]
    assert not bad, bad
