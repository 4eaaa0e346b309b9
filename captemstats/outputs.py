"""The full output set of ``captemstats analyze``: ``results.json``, the tidy CSVs and the
reproduction of every printed value of the paper, written all or nothing.

The reproduction (:func:`captemstats.reproduction.compare_with_published`) belongs to the
study-results layer, above the analysis it compares, so the writer that combines both sits
above them. The analysis itself serialises through :mod:`captemstats.results_files`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from captemstats.results_files import write_results

if TYPE_CHECKING:
    from pathlib import Path

    import pandas as pd

    from captemstats.analysis import StudyAnalysis


def write_outputs(
    analysis: StudyAnalysis, out_dir: str | Path, *, ard: bool = False
) -> dict[str, Path]:
    """Write the analysis into ``out_dir``: ``results.json``, the tidy CSVs (attrition,
    table1, table2, table3_pfs, table3_os with their ``_zph`` tests, table4, survival_medians,
    followup) and ``reproduction.csv``/``.json``.

    The set is written into a staging folder and swapped in at once
    (:func:`captemstats.results_files.write_results`): a failure leaves the previous set, and
    a second process writing the same folder is refused. The reproduction holds recomputed
    counts, so this output is unsuppressed; a ``--min-cell`` export is
    :func:`captemstats.sharing.write_shareable`.

    Parameters
    ----------
    analysis : StudyAnalysis
        The result of :func:`captemstats.analyze`.
    out_dir : str or Path
        The folder to write; created or replaced.
    ard : bool
        Also write ``ard.csv``: every number as Analysis Results Data in the layout of R's
        ``cards`` (:func:`captemstats.ard.to_ard`).

    Returns
    -------
    dict of str to Path
        The final path of every file written, by file name.

    Example
    -------
    >>> from captemstats import analyze                     # doctest: +SKIP
    >>> paths = write_outputs(analyze("data/registry"), "results")  # doctest: +SKIP
    >>> sorted(paths)[:3]                                    # doctest: +SKIP
    ['attrition.csv', 'followup.csv', 'reproduction.csv']
    """
    from captemstats.published import load_published
    from captemstats.reproduction import compare_with_published

    def reproduction() -> pd.DataFrame:
        return compare_with_published(analysis, load_published()).to_frame()

    def ard_frame() -> pd.DataFrame:
        from captemstats.ard import to_ard

        return to_ard(analysis)

    return write_results(
        analysis, out_dir, reproduction=reproduction, ard=ard_frame if ard else None
    )


__all__ = ["write_outputs"]
