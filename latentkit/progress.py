"""Progress on stderr for the steps that take seconds to minutes (tqdm); `progress=False` is the
CLI's -q. Bars are cleared when done, so a finished command leaves only its own output.

    with Phases("eval", 3, enabled=True) as bar:
        fake = models.generate(z, bar=bar)                 # phase 1, advanced batch by batch
        bar.start("fid")                                   # phase 2 ...
"""

from __future__ import annotations

import sys


class Phases:
    """One bar over a command's phases, naming the one running:

        eval: ppl slerp full  38%|███▊      | [00:14<00:22]

    A phase may report fractions of itself (advance(0.25)); `start` finishes the one before."""

    def __init__(self, desc: str, phases: int, enabled: bool = True):
        from tqdm.auto import tqdm

        self.desc = desc
        self.done = 0.0  # phases completed, fractions included
        self.phase_start: float | None = None  # `done` when the running phase started; None: none runs
        self.bar = tqdm(total=phases, desc=desc, disable=not enabled, leave=False, file=sys.stderr,
                        bar_format="{desc} {percentage:3.0f}%|{bar}| [{elapsed}<{remaining}]")

    def start(self, name: str) -> None:
        """Finish the running phase and name the next."""
        self.finish()
        self.phase_start = self.done
        self.bar.set_description_str(f"{self.desc}: {name}")

    def advance(self, fraction: float) -> None:
        """Report `fraction` of the running phase done."""
        self.done += fraction
        self.bar.update(fraction)

    def finish(self) -> None:
        """Count the running phase as done, whatever fraction of it was reported."""
        if self.phase_start is not None:
            self.advance(self.phase_start + 1 - self.done)
            self.phase_start = None

    def __enter__(self) -> Phases:
        return self

    def __exit__(self, *exc) -> None:
        self.finish()
        self.bar.close()
