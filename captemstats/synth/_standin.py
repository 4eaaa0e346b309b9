"""Stand-in resolved published values, used only while ``captemstats.audit`` is unavailable.

Hand-resolved from the paper with the same rule the audit uses (prefer the count that makes
row and column arithmetic agree). Same frame layout as ``captemstats.audit.ResolvedValues``.
"""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

_T1: dict[str, dict[str, tuple[int, int, int]]] = {
    "age_group": {"<50": (60, 44, 20), "50-70": (66, 59, 29), ">70": (13, 15, 2)},
    "sex": {"female": (61, 64, 26), "male": (78, 54, 25)},
    "ecog": {"0": (76, 58, 21), "1": (50, 45, 23), "2": (13, 15, 7)},
    "comorbidity": {"yes": (64, 48, 25), "no": (75, 70, 26)},
    "primary_site": {
        "pancreas": (75, 48, 22),
        "gastrointestinal": (34, 39, 17),
        "lung": (22, 26, 9),
        "unknown": (8, 5, 3),
    },
    "grade": {"1": (19, 33, 10), "2": (104, 65, 24), "3": (14, 11, 15), "unknown": (2, 9, 2)},
    "metastatic_sites": {"liver": (37, 45, 19), "extrahepatic": (26, 20, 8), "both": (76, 53, 24)},
    "ki67_group": {
        "<3": (27, 28, 8),
        "3-20": (91, 76, 29),
        "21-55": (16, 10, 11),
        "unknown": (5, 4, 3),
    },
    "prior_curative_surgery": {"yes": (41, 27, 10), "no": (98, 91, 41)},
    "prior_ssa": {"yes": (0, 73, 33)},
    "prior_prrt": {"yes": (0, 10, 17)},
    "prior_chemo": {"yes": (0, 31, 30)},
    "prior_everolimus": {"yes": (0, 6, 22)},
    "prior_sunitinib": {"yes": (0, 1, 8)},
    "prior_locoregional": {"yes": (0, 21, 9)},
    "grade34_ae": {"yes": (32, 22, 15), "no": (107, 96, 36)},
    "drug_holiday": {"yes": (21, 18, 13), "no": (118, 100, 38)},
    "dose_reduction": {"yes": (25, 19, 21), "no": (114, 99, 30)},
    "treatment_interruption": {"yes": (8, 9, 6), "no": (131, 109, 45)},
}
_CONT = {
    ("age", "median"): (53, 52, 57, 55),
    ("age", "min"): (18, 18, 18, 19),
    ("age", "max"): (82, 82, 80, 80),
    ("cycles", "median"): (6, 6, 6, 6),
    ("cycles", "min"): (1, 1, 1, 1),
    ("cycles", "max"): (64, 64, 39, 21),
    ("cycles", "mean"): (8.21, 8.79, 8.12, 6.00),
    ("cycles", "sd"): (7.49, 8.13, 7.64, 4.82),
}
_T2 = {"CR": (8, 3, 0), "PR": (67, 36, 15), "SD": (23, 37, 18), "PD": (39, 41, 17)}
_T4 = {
    "Platelet count decreased": (34, 8, 3, 3),
    "Neutrophil count decreased": (34, 1, 3, 4),
    "Lymphocyte count decreased": (40, 3, None, None),
    "Anemia": (85, 10, None, None),
    "Fatigue": (127, 10, 1, 3),
    "Nausea/vomiting": (116, 14, None, 5),
    "Constipation": (11, 1, None, None),
    "Gastrointestinal hemorrhage": (4, 2, None, 2),
    "Diarrhea": (34, 3, 2, 2),
    "Anorexia": (91, 4, 1, 1),
    "Abdominal pain": (27, 2, 1, 2),
    "Fever": (4, None, None, None),
    "Oral mucositis": (42, 4, None, 2),
    "Pruritus": (4, None, None, None),
    "Rash": (2, None, None, None),
    "Palmar-plantar erythrodysesthesia syndrome": (58, 4, None, 1),
    "Blood bilirubin increased": (15, 5, 1, 1),
    "Alkaline phosphatase increased": (22, 4, None, None),
    "Aspartate aminotransferase increased": (41, 2, None, 1),
    "Alanine aminotransferase increased": (32, 1, None, 1),
    "Dehydration": (2, 2, None, None),
}
_SURV = [
    ("pfs", "overall", "all", 10.6, None),
    ("pfs", "line", "1", 16.1, 0.01),
    ("pfs", "line", "2", 7.9, 0.01),
    ("pfs", "line", "3+", 9.6, 0.01),
    ("os", "overall", "all", 60.4, None),
    ("os", "line", "1", 105.8, 0.003),
    ("os", "line", "2", 47.2, 0.003),
    ("os", "line", "3+", 24.1, 0.003),
]
_COX = [
    ("pfs", "sex_male", 0.91, 0.79, 1.05, 0.22),
    ("pfs", "age_le50", 1.17, 0.87, 1.57, 0.29),
    ("pfs", "comorbidity", 1.09, 0.94, 1.27, 0.21),
    ("pfs", "ecog_0_1", 0.97, 0.77, 1.21, 0.79),
    ("pfs", "pancreas", 0.88, 0.66, 1.17, 0.39),
    ("pfs", "ki67_le20", 1.15, 0.75, 1.75, 0.51),
    ("pfs", "grade_1_2", 1.24, 0.81, 1.88, 0.30),
    ("pfs", "first_line", 0.80, 0.69, 0.93, 0.003),
    ("pfs", "prior_curative_surgery", 1.21, 1.02, 1.44, 0.02),
    ("os", "sex_male", 0.84, 0.69, 1.01, 0.07),
    ("os", "age_le50", 1.99, 1.32, 3.00, 0.001),
    ("os", "comorbidity", 0.92, 0.76, 1.10, 0.37),
    ("os", "ecog_0_1", 0.75, 0.58, 0.97, 0.03),
    ("os", "pancreas", 0.87, 0.60, 1.26, 0.46),
    ("os", "ki67_le20", 1.80, 1.09, 2.96, 0.02),
    ("os", "grade_1_2", 1.54, 0.92, 2.57, 0.09),
    ("os", "first_line", 0.72, 0.60, 0.88, 0.001),
    ("os", "prior_curative_surgery", 1.48, 1.14, 1.90, 0.002),
]
_GROUPS = ("1", "2", "3+")


def standin_resolved() -> SimpleNamespace:
    """Frames shaped like ``ResolvedValues`` (table1, table1_continuous, table2, table4,
    survival, cox)."""
    rows = []
    for var, levels in _T1.items():
        for level, counts in levels.items():
            for g, n in zip(_GROUPS, counts, strict=True):
                rows.append((var, level, g, n))
            rows.append((var, level, "all", sum(counts)))
    table1 = pd.DataFrame(rows, columns=["variable", "level", "group", "n"])
    cont = [
        (v, s, g, float(x))
        for (v, s), vals in _CONT.items()
        for g, x in zip(("all", *_GROUPS), vals, strict=True)
    ]
    t2 = []
    for resp, counts in _T2.items():
        t2 += [(resp, g, n) for g, n in zip(_GROUPS, counts, strict=True)]
        t2.append((resp, "all", sum(counts)))
    t4 = [
        (term, band, n)
        for term, vals in _T4.items()
        for band, n in zip(("grade_1_2", "grade_3", "grade_4", "interruption"), vals, strict=True)
        if n is not None
    ]
    return SimpleNamespace(
        table1=table1,
        table1_continuous=pd.DataFrame(cont, columns=["variable", "stat", "group", "value"]),
        table2=pd.DataFrame(t2, columns=["response", "group", "n"]),
        table4=pd.DataFrame(t4, columns=["term", "band", "n"]),
        survival=pd.DataFrame(
            _SURV, columns=["endpoint", "grouping", "group", "median_months", "p_value"]
        ),
        cox=pd.DataFrame(
            _COX, columns=["endpoint", "covariate", "hr", "lower", "upper", "p_value"]
        ),
    )
