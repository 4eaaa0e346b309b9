"""The publication theme shared by every figure.

One look for the whole manuscript: seaborn's ``ticks`` style, 8–9 pt sans-serif text, no top
or right spines, and the Okabe–Ito palette (Okabe & Ito 2008, "Color Universal Design"),
which stays distinguishable under the common colour-vision deficiencies. Text stays text in
SVG (``svg.fonttype = none``) and fonts are embedded as TrueType in PDF (``pdf.fonttype = 42``),
as journal production systems require.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

#: Okabe–Ito colours by name.
OKABE_ITO: dict[str, str] = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}

#: Order used for groups (curves, bars): strongest contrasts first; yellow last (weak on white).
PALETTE: tuple[str, ...] = (
    OKABE_ITO["blue"],
    OKABE_ITO["vermillion"],
    OKABE_ITO["bluish_green"],
    OKABE_ITO["orange"],
    OKABE_ITO["reddish_purple"],
    OKABE_ITO["sky_blue"],
    OKABE_ITO["black"],
    OKABE_ITO["yellow"],
)

#: RECIST 1.1 best-response colours (waterfall, swimmer): response blue, SD orange, PD red.
RESPONSE_COLORS: dict[str, str] = {
    "CR": OKABE_ITO["blue"],
    "PR": OKABE_ITO["sky_blue"],
    "SD": OKABE_ITO["orange"],
    "NON_CR_NON_PD": OKABE_ITO["yellow"],
    "PD": OKABE_ITO["vermillion"],
    "NE": "#999999",
}

#: Physical sizes in inches (single and double journal column).
SINGLE_COLUMN = 3.5
DOUBLE_COLUMN = 7.2
#: The text width of the manuscript (A4 with 2.2 cm side margins: 16.6 cm = 6.5 in), less a
#: margin for the tight bounding box: a figure this wide prints at 100 % in the PDF and the
#: DOCX, so its 7–9 pt text stays 7–9 pt (a 7.2 in figure would be scaled to 90 %).
TEXT_WIDTH = 6.3

_RC: dict[str, Any] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Arial", "Helvetica", "DejaVu Sans"],
    "font.size": 8.5,
    "axes.titlesize": 9,
    "axes.labelsize": 8.5,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "legend.fontsize": 8,
    "legend.frameon": False,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.linewidth": 0.8,
    "lines.linewidth": 1.4,
    "xtick.major.width": 0.8,
    "ytick.major.width": 0.8,
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    # No "figure.dpi": a figure takes the caller's (the renderer sets 300 for DOCX PNGs;
    # a theme value here would silently print them at 100 ppi).
}


def theme_rc() -> dict[str, Any]:
    """The rc parameters of the theme (seaborn ``ticks`` style plus :data:`_RC`)."""
    import seaborn as sns

    rc: dict[str, Any] = dict(sns.axes_style("ticks"))
    rc.update(_RC)
    rc["axes.prop_cycle"] = _cycler(PALETTE)
    return rc


def _cycler(colors: Sequence[str]) -> Any:
    from cycler import cycler

    return cycler(color=list(colors))


@contextlib.contextmanager
def publication_theme(**overrides: object) -> Iterator[None]:
    """Context manager applying the theme (``matplotlib.rc_context``); ``overrides`` win.

    Parameters
    ----------
    **overrides
        matplotlib rc settings that replace the theme's.

    Yields
    ------
    None
        The theme is active inside the ``with`` block.

    Examples
    --------
    >>> import matplotlib
    >>> with publication_theme(**{"font.size": 10}):
    ...     matplotlib.rcParams["font.size"]
    10.0
    """
    import matplotlib

    rc: Any = theme_rc()
    rc.update(overrides)
    with matplotlib.rc_context(rc):
        yield


def group_colors(
    groups: Sequence[str], colors: Sequence[str] | Mapping[str, str] | None = None
) -> dict[str, str]:
    """Colour per group: from ``colors`` (a sequence in group order or a mapping) or the palette.

    Raises ``ValueError`` when a mapping misses a group or a sequence is too short, rather
    than silently reusing colours.
    """
    if colors is None:
        if len(groups) > len(PALETTE):
            raise ValueError(f"{len(groups)} groups but the palette has {len(PALETTE)} colours")
        return {g: PALETTE[i] for i, g in enumerate(groups)}
    if isinstance(colors, Mapping):
        missing = [g for g in groups if g not in colors]
        if missing:
            raise ValueError(f"colors has no entry for groups {missing}")
        return {g: colors[g] for g in groups}
    if len(colors) < len(groups):
        raise ValueError(f"{len(groups)} groups but only {len(colors)} colors given")
    return {g: colors[i] for i, g in enumerate(groups)}


def new_figure(width: float, height: float, *, layout: str | None = None) -> Figure:
    """A matplotlib ``Figure`` on the Agg canvas, outside pyplot's global figure registry.

    Builders never touch ``pyplot``: no global state, no figure leaks in long sessions, and
    no GUI backend is needed (headless CI).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    engine: Any = layout
    fig = Figure(figsize=(width, height), layout=engine)
    FigureCanvasAgg(fig)
    return fig
