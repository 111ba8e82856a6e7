"""Progress on stderr for the steps that take seconds to minutes (tqdm); `progress=False` is the
CLI's -q. Bars are cleared when done, so a finished command leaves only its own output.

    with Phases("eval", 3, enabled=True) as bar:
        fake = generate_with_progress(g, clf, z, bar)      # phase 1, advanced chunk by chunk
        bar.start("fid")                                   # phase 2 ...
"""

from __future__ import annotations

import sys

import torch

from latentkit.sampling import Generated, generate_and_classify

# Latents per progress update: 8 of generate_and_classify's batches, about 0.4 s on 2 CPU cores.
CHUNK = 2048


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


def generate_with_progress(generator, classifier, z: torch.Tensor, bar: Phases | None, **kwargs) -> Generated:
    """generate_and_classify (same arguments) in chunks of CHUNK latents, advancing `bar` (if any)
    by the fraction each chunk is of `z`; the arrays are the same as one call's."""
    parts = []
    for chunk in z.split(CHUNK):
        parts.append(generate_and_classify(generator, classifier, chunk, **kwargs))
        if bar is not None:
            bar.advance(len(chunk) / len(z))
    return Generated(*(None if p[0] is None else torch.cat(p) for p in zip(*parts, strict=True)))
