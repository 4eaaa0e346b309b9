"""Plain-language explanation of each timepoint response (RECIST 1.1 §4.3, Tables 1 and 2).

Text is built with vectorised string concatenation on object arrays, only for the rows of
each response category; numbers are formatted once per distinct value.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from captemstats.schema import Response

_CR, _PR, _SD, _NCNP, _PD, _NE = (
    Response.CR.value,
    Response.PR.value,
    Response.SD.value,
    Response.NON_CR_NON_PD.value,
    Response.PD.value,
    Response.NE.value,
)


def lesion_names(idx: np.ndarray, names: np.ndarray, n: int) -> np.ndarray:
    """Per timepoint: the sorted, comma-joined lesion ids given by (timepoint index, name)
    pairs, "" when none. Vectorised by rank within timepoint (a loop over ranks, not rows)."""
    out = np.full(n, "", dtype=object)
    if len(idx) == 0:
        return out
    order = np.lexsort((names.astype(str), idx))
    idx, names = idx[order], names[order]
    rank = pd.Series(idx).groupby(idx).cumcount().to_numpy()
    for k in range(int(rank.max()) + 1):
        m = rank == k
        sep = "" if k == 0 else ", "
        out[idx[m]] = out[idx[m]] + sep + names[m]
    return out


def _format_unique(values: np.ndarray, fmt: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """Apply a vectorised formatter to the distinct values only (sums and percentages repeat
    a lot), then broadcast back."""
    uniq, inverse = np.unique(values, return_inverse=True)
    out: np.ndarray = fmt(uniq)[inverse]
    return out


def _num(x: np.ndarray, signed: bool = False) -> np.ndarray:
    """Numbers rounded to 0.1 as strings ("12", "12.5", "-3"; "+3" when signed)."""
    x = np.nan_to_num(np.asarray(x, dtype=float), nan=0.0, posinf=0.0, neginf=0.0)
    tenths = np.rint(x * 10).astype(np.int64)

    def fmt(t: np.ndarray) -> np.ndarray:
        a = np.abs(t)
        whole = (a // 10).astype(str).astype(object)
        frac = a % 10
        body = np.where(frac > 0, whole + "." + frac.astype(str).astype(object), whole)
        sign = np.where(t < 0, "-", np.where(t > 0, "+" if signed else "", "")).astype(object)
        if signed:
            sign[t == 0] = "+"
        res: np.ndarray = sign + body
        return res

    return _format_unique(tenths, fmt)


def _pct(x: np.ndarray) -> np.ndarray:
    """Fractions as signed percentages with one decimal ("+24.0%", "-29.8%"), so that a
    change just short of a threshold (-29.8 % is not a PR) is not printed as the threshold."""
    x = np.nan_to_num(np.asarray(x, dtype=float) * 1000.0, nan=0.0, posinf=0.0, neginf=0.0)

    def fmt(t: np.ndarray) -> np.ndarray:
        a = np.abs(t)
        sign = np.where(t < 0, "-", "+").astype(object)
        body = (a // 10).astype(str).astype(object) + "." + (a % 10).astype(str).astype(object)
        res: np.ndarray = sign + body + "%"
        return res

    return _format_unique(np.rint(x).astype(np.int64), fmt)


def _put(text: np.ndarray, mask: np.ndarray, parts: list[object]) -> None:
    """Set ``text[mask]`` to the concatenation of ``parts`` (arrays are taken at ``mask``,
    anything else is used as a string), building strings only for the masked rows."""
    if not mask.any():
        return
    acc: np.ndarray = np.full(int(mask.sum()), "", dtype=object)
    for part in parts:
        acc = acc + (part[mask] if isinstance(part, np.ndarray) else str(part))
    text[mask] = acc


def explain(
    overall: np.ndarray,
    reappeared: np.ndarray,
    t_resp: np.ndarray,
    nt_resp: np.ndarray,
    **v: np.ndarray,
) -> np.ndarray:
    """Plain-language reason per timepoint, e.g. "PD: target PD: sum 62 mm vs nadir 50 mm
    (+24.0%, +12 mm), baseline 55 mm (+12.7%, +7 mm); non-target non-CR/non-PD: present; no
    new lesion" or "NE: target NE: lesion T3 not measured; ...". Every target sum is compared
    with both the baseline and the nadir, in % (one decimal) and mm, because RECIST 1.1
    §4.3.1 judges PR against the baseline and PD against the nadir with an absolute 5 mm
    floor. Strings are built only for the rows of each category."""
    target_text = _target_text(t_resp, v)
    non_target_text = _non_target_text(nt_resp, v)
    new_text = np.where(v["new_names"] != "", "new lesion " + v["new_names"], "no new lesion")
    head = np.where(reappeared, overall + ": reappearance after CR (", overall + ": ")
    tail = np.where(reappeared, ")", "")
    out: np.ndarray = head + target_text + "; " + non_target_text + "; " + new_text + tail
    return out


def _versus(total: np.ndarray, ref: np.ndarray, pct: np.ndarray) -> list[object]:
    """Parts of "<ref> mm (<pct>, <diff> mm)": a reference sum and the change from it in %
    and mm; the percentage is left out when the reference is 0 (every non-nodal target gone),
    where it means nothing."""
    pct_part = np.where(ref > 0, _pct(pct) + ", ", "")
    return [_num(ref), " mm (", pct_part, _num(total - ref, signed=True), " mm)"]


def _target_text(t_resp: np.ndarray, v: dict[str, np.ndarray]) -> np.ndarray:
    """The target part of the explanation (RECIST 1.1 §4.3.1): for PD the sum of the measured
    targets against the nadir, then the baseline; for PR and SD the sum against the baseline,
    then the nadir ("baseline (= nadir)" while they coincide); for NE the targets not
    measured, for CR the sum of the remaining nodes."""
    t_text = np.full(len(t_resp), "no target lesions", dtype=object)
    base, nadir, psum, tsum = v["base"], v["nadir"], v["psum"], v["tsum"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct_base_measured = (psum - base) / base
    _put(
        t_text,
        t_resp == _PD,
        [
            "target PD: sum ",
            _num(psum),
            " mm vs nadir ",
            *_versus(psum, nadir, v["pct_nadir"]),
            ", baseline ",
            *_versus(psum, base, pct_base_measured),
            np.where(v["n_na"] > 0, "; " + v["t_names"] + " not measured", ""),
        ],
    )
    _put(
        t_text,
        t_resp == _NE,
        [
            np.where(v["n_na"] > 1, "target NE: lesions ", "target NE: lesion "),
            v["t_names"],
            " not measured",
        ],
    )
    _put(
        t_text,
        t_resp == _CR,
        ["target CR: non-nodal targets gone, nodes < 10 mm (sum ", _num(tsum), " mm)"],
    )
    at_base = nadir == base
    for resp in (_PR, _SD):
        m = t_resp == resp
        _put(
            t_text,
            m & at_base,
            [
                f"target {resp}: sum ",
                _num(tsum),
                " mm vs baseline (= nadir) ",
                *_versus(tsum, base, v["pct_base"]),
            ],
        )
        _put(
            t_text,
            m & ~at_base,
            [
                f"target {resp}: sum ",
                _num(tsum),
                " mm vs baseline ",
                *_versus(tsum, base, v["pct_base"]),
                ", nadir ",
                *_versus(tsum, nadir, v["pct_nadir"]),
            ],
        )
    return t_text


def _non_target_text(nt_resp: np.ndarray, v: dict[str, np.ndarray]) -> np.ndarray:
    """The non-target part of the explanation (RECIST 1.1 §4.3.2): the lesions in unequivocal
    progression (PD) or not assessed (NE), all absent (CR), or present (non-CR/non-PD)."""
    nt_text = np.full(len(nt_resp), "no non-target lesions", dtype=object)
    _put(nt_text, nt_resp == _PD, ["non-target PD: unequivocal progression of ", v["up_names"]])
    _put(nt_text, nt_resp == _NE, ["non-target NE: ", v["nna_names"], " not assessed"])
    _put(nt_text, nt_resp == _CR, ["non-target CR: all absent"])
    _put(nt_text, nt_resp == _NCNP, ["non-target non-CR/non-PD: present"])
    return nt_text
