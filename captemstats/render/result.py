"""What a render produced (:class:`RenderResult`), shared by both engines: the built-in
renderer (:mod:`captemstats.render.engine`) and the Quarto path
(:mod:`captemstats.render.quarto_cli`), which the engine module imports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import pandas as pd

Engine = Literal["quarto", "captemstats"]


@dataclass(frozen=True)
class RenderResult:
    """What a render produced: output path per format, engine, timings (seconds), cache use."""

    outputs: Mapping[str, Path]
    engine: Engine
    timings: Mapping[str, float]
    cache_hit: bool
    executed_cells: int
    out_dir: Path
    warnings: tuple[str, ...] = field(default_factory=tuple)

    def to_frame(self) -> pd.DataFrame:
        """One row per format: format, path, seconds spent converting it."""
        import pandas as pd

        return pd.DataFrame(
            {
                "format": list(self.outputs),
                "path": [str(p) for p in self.outputs.values()],
                "seconds": [self.timings.get(f, float("nan")) for f in self.outputs],
            }
        )
