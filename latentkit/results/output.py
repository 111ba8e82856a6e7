"""What every analysis command shares: check the output folder before any work, and write the
HDF5 result with its figure as one unit (the models come from generator/handle.py's Models).
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from latentkit.errors import ConfigError, LatentkitError
from latentkit.storage import atomic_paths, check_writable, folder_lock, same_file

# Files an analysis may write besides ANALYSIS.h5 and ANALYSIS.png (and so may replace or, as a
# stale file an earlier result recorded, remove): an input by one of these names is refused.
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
    while holding the folder's lock. The .h5 records the files written; files an earlier result
    in the folder recorded and this one does not write again are removed, and nothing else."""
    from latentkit.results.plotting import save_figure

    extras = extras or {}
    paths = [folder / f"{analysis}.h5", folder / f"{analysis}.png", *(folder / f"{analysis}{s}" for s in extras)]
    names = [p.name for p in paths]
    with folder_lock(folder, f"a {analysis} result"):
        earlier = files_written(folder / f"{analysis}.h5", analysis)
        with atomic_paths(paths) as temps:
            result.save(temps[0], {**provenance, "seed": seed, "command": command, "files": json.dumps(names)})
            save_figure(figure, temps[1])
            for write, tmp in zip(extras.values(), temps[2:], strict=True):
                write(tmp)
        for name in set(earlier) - set(names):
            (folder / name).unlink(missing_ok=True)
    return paths


def files_written(path: Path, analysis: str) -> list[str]:
    """The files the result at `path` recorded writing beside itself (ANALYSIS.*): none if there is
    no such result, or it is not a latentkit result of `analysis`."""
    from latentkit.results.stored import read_attrs

    if not path.is_file():
        return []
    try:
        names = json.loads(read_attrs(path, analysis).get("files", "[]"))
    except (LatentkitError, TypeError, ValueError):
        return []
    if not isinstance(names, list):
        return []
    return [n for n in names if isinstance(n, str) and n.startswith(f"{analysis}.") and Path(n).name == n]
