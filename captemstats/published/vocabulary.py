"""The vocabulary of the paper's tables: group codes, Table 1 variables and levels, response
and adverse-event band codes, Table 3 covariates, survival groupings and significance claims.

Plain constants (no model): the models in :mod:`captemstats.published.printed`,
:mod:`captemstats.published.sections` and :mod:`captemstats.published.study` validate the
transcription against them, and the audit and the generator use them as the paper's codes.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "AE_BANDS",
    "CONTINUOUS_STATS",
    "COX_COVARIATES",
    "GROUPS",
    "LINE_GROUPS",
    "RESPONSES",
    "SIGNIFICANCE_CLAIMS",
    "SURVIVAL_GROUPS",
    "TABLE1_LEVELS",
    "Endpoint",
    "Grouping",
]

#: Column codes of Tables 1 and 2: all patients, then CAPTEM line 1, 2 and ≥3.
GROUPS: tuple[str, ...] = ("all", "1", "2", "3+")
LINE_GROUPS: tuple[str, ...] = ("1", "2", "3+")

#: Table 1 categorical variables and their level codes, in the paper's order.
TABLE1_LEVELS: dict[str, tuple[str, ...]] = {
    "age_group": ("<50", "50-70", ">70"),
    "sex": ("female", "male"),
    "ecog": ("0", "1", "2"),
    "comorbidity": ("yes", "no"),
    "primary_site": ("pancreas", "gastrointestinal", "lung", "unknown"),
    "grade": ("1", "2", "3", "unknown"),
    "metastatic_sites": ("liver", "extrahepatic", "both"),
    "ki67_group": ("<3", "3-20", "21-55", "unknown"),
    "prior_curative_surgery": ("yes", "no"),
    "prior_ssa": ("yes",),
    "prior_prrt": ("yes",),
    "prior_chemo": ("yes",),
    "prior_everolimus": ("yes",),
    "prior_sunitinib": ("yes",),
    "prior_locoregional": ("yes",),
    "grade34_ae": ("yes", "no"),
    "drug_holiday": ("yes", "no"),
    "dose_reduction": ("yes", "no"),
    "treatment_interruption": ("yes", "no"),
}
CONTINUOUS_STATS: dict[str, tuple[str, ...]] = {
    "age": ("median", "min", "max"),
    "cycles": ("median", "min", "max", "mean", "sd"),
}
RESPONSES: tuple[str, ...] = ("CR", "PR", "SD", "PD", "ORR", "DCR")
AE_BANDS: tuple[str, ...] = ("grade_1_2", "grade_3", "grade_4", "interruption")
Endpoint = Literal["pfs", "os"]
Grouping = Literal["overall", "line", "grade", "ki67_group", "primary_site"]
COX_COVARIATES: tuple[str, ...] = (
    "sex_male",
    "age_le50",
    "comorbidity",
    "ecog_0_1",
    "pancreas",
    "ki67_le20",
    "grade_1_2",
    "first_line",
    "prior_curative_surgery",
)
SURVIVAL_GROUPS: dict[str, tuple[str, ...]] = {
    "overall": ("all",),
    "line": LINE_GROUPS,
    "grade": ("1", "2", "3"),
    "ki67_group": ("<3", "3-20", "21-55"),
    "primary_site": ("pancreas", "gastrointestinal", "lung", "unknown"),
}

#: The claims a ``kind="significance"`` text value can make.
SIGNIFICANCE_CLAIMS: tuple[str, ...] = ("significant", "not significant")
