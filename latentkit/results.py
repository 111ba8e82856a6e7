"""Analysis results on disk: one self-describing HDF5 file per run.

Root attributes say what made the file (analysis, version, time, command, seed, the
generator and classifier with the sha256 of their weights) and hold the analysis
parameters as JSON. Every dataset carries a `meaning` attribute (with units or
range). Images are stored as compressed uint8. The file is written to a temporary
name and renamed, so a crash never leaves half a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from latentkit.errors import ResultFileError
from latentkit.storage import atomic_path


def save_result(
    path: str | os.PathLike,
    analysis: str,
    arrays: dict[str, np.ndarray],
    meanings: dict[str, str],
    params: dict[str, Any],
    provenance: dict[str, Any],
) -> Path:
    """Write arrays with their meanings, params and provenance to one HDF5 file, atomically.

        save_result("run.h5", "interpolate", {"z": z}, {"z": "latents (steps, d)"}, {"steps": 10}, prov)
    """
    import h5py

    from latentkit import __version__

    missing = set(arrays) - set(meanings)
    if missing:
        raise ValueError(f"every array needs a meaning; missing: {sorted(missing)}")
    with atomic_path(path) as tmp, h5py.File(tmp, "w") as f:
        f.attrs.update(
            latentkit_version=__version__, analysis=analysis,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            params=json.dumps(params, sort_keys=True),
        )
        for key, value in provenance.items():
            f.attrs[key] = "" if value is None else value
        for name, array in arrays.items():
            array = np.asarray(array)
            compress = {"compression": "gzip", "compression_opts": 4} if array.size > 1024 else {}
            f.create_dataset(name, data=array, **compress).attrs["meaning"] = meanings[name]
    return Path(path)


def read_attrs(path: str | os.PathLike, analysis: str | None = None) -> dict[str, Any]:
    """Root attributes of a latentkit result file (params decoded), without reading its arrays."""
    import h5py

    path = _checked(path)
    with h5py.File(path, "r") as f:
        return _attrs(f, path, analysis)


def load_result(path: str | os.PathLike, analysis: str | None = None) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read (root attributes with params decoded, arrays) from a latentkit result file."""
    import h5py

    path = _checked(path)
    with h5py.File(path, "r") as f:
        return _attrs(f, path, analysis), {name: f[name][()] for name in f.keys()}


def _checked(path: str | os.PathLike) -> Path:
    import h5py

    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"{path} does not exist; pass an .h5 file written by a latentkit analysis")
    if not h5py.is_hdf5(path):
        raise ResultFileError(f"{path} is not an HDF5 file; pass an .h5 file written by a latentkit analysis")
    return path


def _attrs(f, path: Path, analysis: str | None) -> dict[str, Any]:
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in f.attrs.items()}
    if "analysis" not in attrs or "params" not in attrs:
        raise ResultFileError(f"{path} is HDF5 but not a latentkit result (no 'analysis' attribute)")
    if analysis is not None and attrs["analysis"] != analysis:
        raise ResultFileError(f"{path} holds a {attrs['analysis']} result, not {analysis}")
    attrs["params"] = json.loads(attrs["params"])
    return attrs


def describe_result(path: str | os.PathLike) -> str:
    """A human-readable listing of a result file: attributes, then each array with shape and meaning."""
    import h5py

    path = _checked(path)
    with h5py.File(path, "r") as f:
        lines = [f"{path}", *(f"  {k}: {v}" for k, v in _attrs(f, path, None).items())]
        for name in f.keys():
            ds = f[name]
            lines.append(f"  /{name} {ds.dtype} {ds.shape}: {ds.attrs.get('meaning', '')}")
    return "\n".join(lines)


class StoredResult:
    """Mixin for analysis result dataclasses: one result <-> one HDF5 file.

    Subclasses set ANALYSIS and MEANINGS (dataset name -> meaning). Dataclass fields named
    in MEANINGS are stored as datasets (skipped when None); the other fields, except
    `params`, go into the params JSON; `derived()` adds computed datasets (labels,
    measures) that are written for other tools but recomputed on load.
    """

    ANALYSIS: ClassVar[str]
    MEANINGS: ClassVar[dict[str, str]]

    def derived(self) -> dict[str, np.ndarray]:
        return {}

    def save(self, path: str | os.PathLike, provenance: dict[str, Any]) -> Path:
        arrays, params = {}, dict(self.params)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self.MEANINGS:
                if value is not None:
                    arrays[f.name] = value
            elif f.name != "params":
                params[f.name] = value
        arrays.update(self.derived())
        return save_result(path, self.ANALYSIS, arrays, {k: self.MEANINGS[k] for k in arrays}, params, provenance)

    @classmethod
    def load(cls, path: str | os.PathLike):
        attrs, arrays = load_result(path, cls.ANALYSIS)
        params = dict(attrs["params"])
        values = {f.name: arrays.get(f.name) if f.name in cls.MEANINGS else params.pop(f.name)
                  for f in fields(cls) if f.name != "params"}
        return cls(**values, params=params)
