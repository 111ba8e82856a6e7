"""`latentkit report`'s options (analyses/report.py)."""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.options import option
from latentkit.options.evaluate import VALIDATION_START


@dataclass(frozen=True)
class ReportOptions:
    samples: int = option(2_000, "Generated samples for the metrics, the truncation curve and the map.", low=10,
                          high=VALIDATION_START)
    invert: int = option(200, "The first N real test digits, inverted for reachability.", low=10, high=10_000)
    edit_from: str = option("3", "The class whose edits toward every class the style grid shows.")


REPORT = ReportOptions()
