"""One calling convention across the statistics packages (issue 17, item 1).

The same thing has the same keyword everywhere: ``data`` (a frame whose columns the other
arguments name), ``time``, ``event`` (``status`` where several causes compete), ``by`` (the
grouping), ``strata``, ``cluster``, ``covariates``, ``variables``. Specified here on every
public function of ``captemstats.survival``, ``compare``, ``recist`` and ``adverse``: none
takes one of the retired spellings, and the survival functions start with the same names.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable
from typing import Any

import pytest

PACKAGES = (
    "captemstats.survival",
    "captemstats.compare",
    "captemstats.recist",
    "captemstats.adverse",
)
#: retired spelling -> the keyword used everywhere instead
RETIRED = {"group": "by", "duration": "time", "df": "data", "groupby": "by", "dataframe": "data"}


def _public_functions() -> list[tuple[str, Callable[..., Any]]]:
    out = []
    for package in PACKAGES:
        mod = importlib.import_module(package)
        names = getattr(mod, "__all__", None) or [n for n in vars(mod) if not n.startswith("_")]
        for name in names:
            obj = getattr(mod, name)
            if inspect.isfunction(obj):
                out.append((f"{package}.{name}", obj))
    return out


FUNCTIONS = _public_functions()


@pytest.mark.parametrize(("name", "func"), FUNCTIONS, ids=[n for n, _ in FUNCTIONS])
def test_no_retired_keyword(name: str, func: Callable[..., Any]) -> None:
    params = inspect.signature(func).parameters
    retired = {p: RETIRED[p] for p in params if p in RETIRED}
    assert not retired, f"{name}: use {retired}"


def test_survival_functions_share_their_leading_names() -> None:
    from captemstats import survival

    for func in (
        survival.kaplan_meier,
        survival.logrank_test,
        survival.logrank_trend_test,
        survival.rmst,
        survival.observed_followup,
        survival.reverse_km_followup,
    ):
        params = list(inspect.signature(func).parameters)
        assert params[:3] == ["time", "event", "by"], func.__name__
    for func in (survival.cumulative_incidence, survival.gray_test):
        assert list(inspect.signature(func).parameters)[:3] == ["time", "status", "by"]
    for func in (survival.cox_ph, survival.univariable_cox):
        assert list(inspect.signature(func).parameters)[:4] == [
            "data",
            "time",
            "event",
            "covariates",
        ]
    for func in FUNCTIONS:
        params = inspect.signature(func[1]).parameters
        if "data" in params and params["data"].kind is inspect.Parameter.KEYWORD_ONLY:
            assert params["data"].default is None  # arrays are the documented alternative
