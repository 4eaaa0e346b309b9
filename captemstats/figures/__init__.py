"""Publication figures (matplotlib/seaborn, Agg canvas) built from analysis results.

Builders return a matplotlib ``Figure`` and never read files or global state;
:func:`save_figure` writes SVG, PDF and 300-dpi PNG atomically. Matplotlib and seaborn are
imported inside the builders, so importing this package is cheap.

- :func:`km_figure` — Kaplan–Meier curves with a numbers-at-risk table (Figures 1–3, S1, S2)
- :func:`cif_figure` — cumulative incidence of competing events, with Gray's tests
- :func:`forest_figure` — Cox models side by side
- :func:`waterfall_figure` — best % change of the target sum, coloured by best response
- :func:`swimmer_figure` — time on treatment with response/progression/death markers
- :func:`flow_figure` — STROBE flow from the cohort's attrition log
- :func:`withheld_figure` — the stand-in for a figure withheld under small-cell suppression
"""

from __future__ import annotations

from captemstats.figures._save import save_figure
from captemstats.figures._theme import OKABE_ITO, PALETTE, RESPONSE_COLORS, publication_theme
from captemstats.figures.cumulative_incidence import cif_figure
from captemstats.figures.flow import flow_figure
from captemstats.figures.forest import forest_figure
from captemstats.figures.km import default_breaks, km_figure
from captemstats.figures.swimmer import swimmer_figure
from captemstats.figures.waterfall import waterfall_figure
from captemstats.figures.withheld import withheld_figure

__all__ = [
    "OKABE_ITO",
    "PALETTE",
    "RESPONSE_COLORS",
    "cif_figure",
    "default_breaks",
    "flow_figure",
    "forest_figure",
    "km_figure",
    "publication_theme",
    "save_figure",
    "swimmer_figure",
    "waterfall_figure",
    "withheld_figure",
]
