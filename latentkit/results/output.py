"""What every analysis command shares: check the output folder before any work, and write the
HDF5 result with its figure as one unit (the models come from generator/handle.py's Models).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from latentkit.errors import ConfigError
from latentkit.storage import atomic_paths, check_writable, folder_lock, same_file

# Files an analysis may write besides ANALYSIS.h5 and ANALYSIS.png; a rerun into the same
# folder removes the ones it does not write again, so no file outlives the result it came with.
EXTRA_SUFFIXES = (".gif", ".html", ".npy")


def output_dir(out: str | os.PathLike | None, analysis: str) -> Path:
    """`out`, or ./latentkit-out/<analysis>-<timestamp>/ (created when first written to),
    checked writable now, before any work."""
    if out is not None and not str(out).strip():
        raise ConfigError("--out is empty; give a folder, or leave it out for ./latentkit-out/ANALYSIS-TIMESTAMP/")
    folder = Path(out) if out is not None else Path("latentkit-out") / f"{analysis}-{time.strftime('%Y%m%d-%H%M%S')}"
    return check_writable(folder)


def refuse_overwriting_inputs(folder: Path, analysis: str, inputs: list[str | os.PathLike]) -> None:
    """ConfigError if one of the files an analysis writes is one of its inputs."""
    outputs = [folder / f"{analysis}{suffix}" for suffix in (".h5", ".png", *EXTRA_SUFFIXES)]
    for given in inputs:
        if given and any(same_file(given, o) for o in outputs):
            raise ConfigError(f"{given} is an input of this run and would be overwritten by its result; "
                              "pick another --out")


def write_outputs(
    result, figure, folder: Path, analysis: str, provenance: dict[str, Any], seed: int, command: str | None,
    extras: dict[str, Any] | None = None,
) -> list[Path]:
    """Save `result` as FOLDER/ANALYSIS.h5 (with provenance, seed, command), `figure` as
    FOLDER/ANALYSIS.png and each extra (suffix -> writer(path)) beside them, all or nothing,
    while holding the folder's lock. Extras of an earlier run that this one does not write
    are removed."""
    from latentkit.results.plotting import save_figure

    extras = extras or {}
    paths = [folder / f"{analysis}.h5", folder / f"{analysis}.png", *(folder / f"{analysis}{s}" for s in extras)]
    with folder_lock(folder, f"a {analysis} result"), atomic_paths(paths) as temps:
        result.save(temps[0], {**provenance, "seed": seed, "command": command})
        save_figure(figure, temps[1])
        for write, tmp in zip(extras.values(), temps[2:], strict=True):
            write(tmp)
        for suffix in EXTRA_SUFFIXES:
            if suffix not in extras:
                (folder / f"{analysis}{suffix}").unlink(missing_ok=True)
    return paths
