"""Analysis results on disk: one self-describing HDF5 file per run.

Root attributes say what made the file (analysis, version, time, command, seed, the
generator and classifier with the sha256 of their weights) and hold the analysis
parameters as JSON. Every dataset carries a `meaning` attribute (with units or
range). Images are stored as compressed uint8. The file is written to a temporary
name and renamed, so a crash never leaves half a file.

Files are checked when read: a damaged file (truncated, unreadable, broken params) or an
inconsistent one (arrays whose shapes disagree with each other or with the class names)
raises ResultFileError naming the file and the problem, never a bare h5py or numpy error.
"""

from __future__ import annotations

import io
import json
import os
import types
import typing
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import MISSING, fields
from datetime import datetime, timezone
from itertools import islice
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from latentkit.errors import ConfigError, ResultFileError, first_line
from latentkit.limits import MAX_FILE_BYTES
from latentkit.names import CONFIDENT
from latentkit.storage import atomic_path

# Attributes save_result writes itself: a result's provenance never overrides them.
OWN_ATTRS = ("analysis", "latentkit_version", "created", "params")
SHOWN_LIMIT = 200  # characters of one value that `show` prints
LISTED_LIMIT = 60  # attributes, and datasets, that `show` lists before "... and N more"
REREAD_HINT = "re-run the analysis that wrote it"


def save_result(
    path: str | os.PathLike,
    analysis: str,
    arrays: dict[str, np.ndarray],
    meanings: dict[str, str],
    params: dict[str, Any],
    provenance: dict[str, Any] | None = None,
) -> Path:
    """Write arrays with their meanings, params and provenance to one HDF5 file, atomically.

        save_result("run.h5", "interpolate", {"z": z}, {"z": "latents (steps, d)"}, {"steps": 10}, prov)
    """
    import h5py

    from latentkit import __version__

    missing = set(arrays) - set(meanings)
    if missing:
        raise ValueError(f"every array needs a meaning; missing: {sorted(missing)}")
    # Built in memory, then written as bytes: a full disk is then one OSError from a plain write,
    # where h5py closing a file it cannot flush fails loudly in its destructors.
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as f:
        f.attrs.update(
            latentkit_version=__version__, analysis=analysis,
            created=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            params=json.dumps(params, sort_keys=True),
        )
        for key, value in (provenance or {}).items():
            if key not in OWN_ATTRS:
                f.attrs[key] = "" if value is None else value
        for name, array in arrays.items():
            array = np.asarray(array)
            compress = {"compression": "gzip", "compression_opts": 4} if array.size > 1024 else {}
            f.create_dataset(name, data=array, **compress).attrs["meaning"] = meanings[name]
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getvalue())
    return Path(path)


def read_attrs(path: str | os.PathLike, analysis: str | None = None) -> dict[str, Any]:
    """Root attributes of a latentkit result file (params decoded), without reading its arrays."""
    with _open(path) as (path, f):
        return _attrs(f, path, analysis)


def load_result(path: str | os.PathLike, analysis: str | None = None) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Read (root attributes with params decoded, arrays) from a latentkit result file."""
    with _open(path) as (path, f):
        attrs, names = _attrs(f, path, analysis), _dataset_names(f)
        # Sizes come from the datasets' headers: a small file can claim arrays no memory holds.
        claimed = sum(f[name].size * f[name].dtype.itemsize for name in names)
        if claimed > MAX_FILE_BYTES:
            raise damaged(path, f"its arrays claim {claimed:,} bytes, more than latentkit reads from one file "
                                f"({MAX_FILE_BYTES:,})")
        return attrs, {name: f[name][()] for name in names}


def damaged(path: str | os.PathLike, problem: str) -> ResultFileError:
    """The error for a result file that cannot be trusted: names the file, the problem and the fix."""
    return ResultFileError(f"{safe_text(path)} is damaged or inconsistent: {problem}; {REREAD_HINT}")


@contextmanager
def _open(path: str | os.PathLike) -> Iterator[tuple[Path, Any]]:
    import h5py

    path = _checked(path)
    try:
        with h5py.File(path, "r") as f:
            yield path, f
    except ResultFileError:
        raise
    # h5py reports truncation and corrupt chunks as OSError, missing objects as KeyError,
    # undecodable attributes as ValueError/TypeError: the user can only fix the file, so
    # all of them become one ResultFileError.
    except (OSError, KeyError, ValueError, TypeError, RuntimeError) as err:
        raise damaged(path, f"it cannot be read ({safe_text(first_line(err))})") from err


def _checked(path: str | os.PathLike) -> Path:
    import h5py

    path = Path(path)
    if not path.is_file():
        raise ResultFileError(f"{safe_text(path)} does not exist; pass an .h5 file written by a latentkit analysis")
    if not h5py.is_hdf5(path):
        raise ResultFileError(f"{safe_text(path)} is not an HDF5 file; "
                              "pass an .h5 file written by a latentkit analysis")
    return path


def _dataset_names(f) -> list[str]:
    """Names of the root's datasets; links are not followed, so a file cannot make us read another file."""
    import h5py

    return [name for name in f if isinstance(f.get(name, getlink=True), h5py.HardLink)
            and isinstance(f.get(name), h5py.Dataset)]


def _attr_value(value: Any) -> Any:
    return value.decode(errors="replace") if isinstance(value, bytes) else value


def _attrs(f, path: Path, analysis: str | None) -> dict[str, Any]:
    attrs = {k: _attr_value(v) for k, v in f.attrs.items()}
    if "analysis" not in attrs or "params" not in attrs:
        raise ResultFileError(f"{safe_text(path)} is HDF5 but not a latentkit result (no 'analysis' attribute); "
                              "pass an .h5 file written by a latentkit analysis")
    if not isinstance(attrs["analysis"], str):
        raise damaged(path, f"its 'analysis' attribute is {safe_text(attrs['analysis'], 60)}, not a name")
    if analysis is not None and attrs["analysis"] != analysis:
        raise ResultFileError(f"{safe_text(path)} holds a {safe_text(attrs['analysis'], 60)} result, not {analysis}; "
                              f"load it with the {safe_text(attrs['analysis'], 60)} result class")
    try:
        attrs["params"] = json.loads(attrs["params"])
    except (TypeError, ValueError) as err:
        raise damaged(path, f"its params are not valid JSON ({safe_text(first_line(err), 100)})") from err
    if not isinstance(attrs["params"], dict):
        raise damaged(path, f"its params are a JSON {type(attrs['params']).__name__}, not an object")
    return attrs


def safe_text(value: Any, limit: int = SHOWN_LIMIT) -> str:
    """`str(value)` safe to print on a terminal: control and format characters (escape codes,
    newlines, bidi overrides) written as \\x1b-style escapes, capped at `limit` characters with "…"."""
    import unicodedata

    text = str(value)
    cut = len(text) > limit
    escaped = "".join(c.encode("unicode_escape").decode("ascii") if unicodedata.category(c)[0] == "C" else c
                      for c in text[:limit])
    if cut or len(escaped) > limit:
        return f"{escaped[:limit]}… ({len(text):,} characters)"
    return escaped


def describe_result(path: str | os.PathLike) -> str:
    """A human-readable listing of a result file: attributes, then each array with shape and meaning.

    Everything taken from the file is escaped and capped (see `safe_text`), and at most
    LISTED_LIMIT attributes and datasets are listed, so a hostile file cannot flood or
    drive the terminal."""
    import h5py

    with _open(path) as (path, f):
        attrs = _attrs(f, path, None)
        params = attrs.pop("params")
        lines = [safe_text(path), *_listed(attrs, "  ", "attributes"),
                 "  params:", *_listed(params, "    ", "params", as_json=True)]
        for name in islice(f, LISTED_LIMIT):
            link = f.get(name, getlink=True)
            obj = f.get(name) if isinstance(link, h5py.HardLink) else None
            if isinstance(obj, h5py.Dataset):
                meaning = _attr_value(obj.attrs.get("meaning", ""))
                lines.append(f"  /{safe_text(name, 60)} {obj.dtype} {obj.shape}: {safe_text(meaning)}")
            else:
                kind = "group" if isinstance(obj, h5py.Group) else f"{type(link).__name__} (not followed)"
                lines.append(f"  /{safe_text(name, 60)} {kind}")
        if len(f) > LISTED_LIMIT:
            lines.append(f"  ... and {len(f) - LISTED_LIMIT} more datasets")
        if attrs["analysis"] == "directions":
            lines += _ranked_directions(f, params)
    return "\n".join(lines)


def _ranked_directions(f, params: dict[str, Any]) -> list[str]:
    """A directions file's keys and measured names, strongest class-probability shift first."""
    keys, names = params.get("keys"), params.get("names")
    shift = f.get("prob_shift")
    if not (isinstance(keys, list) and isinstance(names, list) and shift is not None
            and len(keys) == len(names) == len(shift)):
        return ["  (directions: keys, names and prob_shift disagree; re-run the analysis that wrote it)"]
    order = np.argsort(-np.asarray(shift[()], dtype=np.float64), kind="stable")
    lines = ["  directions, strongest first (key, p(class) shift, name):"]
    lines += [f"    {safe_text(keys[i], 20):>8}  {float(shift[i]):.3f}  {safe_text(names[i])}"
              for i in order[:LISTED_LIMIT]]
    return lines


def _listed(values: dict[str, Any], indent: str, what: str, as_json: bool = False) -> list[str]:
    def text(v: Any) -> str:
        return safe_text(json.dumps(v) if as_json and not isinstance(v, str) else v)

    lines = [f"{indent}{safe_text(k, 60)}: {text(v)}" for k, v in islice(values.items(), LISTED_LIMIT)]
    if len(values) > LISTED_LIMIT:
        lines.append(f"{indent}... and {len(values) - LISTED_LIMIT} more {what}")
    return lines


def check_shapes(path: str | os.PathLike, shapes: dict[str, tuple], arrays: dict[str, np.ndarray | None],
                 class_names: list[str] | None = None) -> None:
    """Raise ResultFileError unless every array in `arrays` named in `shapes` has its shape.

    A shape is a tuple of ints (exact sizes) and names: a name is one size shared by every
    array that uses it, at least 1; "classes" is len(class_names). Absent (None) arrays are skipped.

        check_shapes("r.h5", {"z": ("paths", "latent_dim"), "images": ("paths", 28, 28)}, arrays)
    """
    sizes: dict[str, tuple[int, str]] = {}  # dim name -> (size, who set it)
    if class_names is not None:
        sizes["classes"] = (len(class_names), "class_names lists")
    for name, dims in shapes.items():
        array = arrays.get(name)
        if array is None:
            continue
        if not isinstance(array, np.ndarray) or array.dtype.kind not in "biuf":
            raise damaged(path, f"{name} holds {getattr(array, 'dtype', type(array).__name__)} values, not numbers")
        if array.ndim != len(dims):
            raise damaged(path, f"{name} has shape {array.shape} but should be ({', '.join(map(str, dims))})")
        for axis, (dim, n) in enumerate(zip(dims, array.shape, strict=True)):
            if isinstance(dim, int):
                if n != dim:
                    raise damaged(path, f"{name} has shape {array.shape} but axis {axis} should be {dim}")
                continue
            if n == 0:
                raise damaged(path, f"{name} has no {dim} (shape {array.shape})")
            size, source = sizes.setdefault(dim, (n, f"{name} has"))
            if n != size:
                raise damaged(path, f"{name} has {n} {dim} but {source} {size}")


def _matches(value: Any, hint: Any) -> bool:
    """Whether a JSON-decoded value fits a field's type hint (list[int], str, dict, float | None...)."""
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        return any(_matches(value, a) for a in args)
    if hint is type(None):
        return value is None
    if origin is list or hint is list:
        return isinstance(value, list) and all(_matches(v, args[0]) for v in value) if args else isinstance(value, list)
    if origin is dict or hint is dict:
        return isinstance(value, dict)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint in (str, bool):
        return isinstance(value, hint)
    return True  # arrays and anything exotic are checked elsewhere


# analysis name -> its result class; each class adds itself when its module is imported.
RESULT_CLASSES: dict[str, type[StoredResult]] = {}


def result_class(analysis: str) -> type[StoredResult]:
    """The result class of an analysis name ("sweep", "map", ...), as a file's `analysis` attribute
    gives it. The analyses register themselves: importing the `latentkit.analyses` package imports
    every analysis module in it (by name, as a plugin is found), so a new module needs no list here."""
    if analysis not in RESULT_CLASSES:
        import importlib

        importlib.import_module("latentkit.analyses")
    if analysis not in RESULT_CLASSES:
        raise ResultFileError(f"{safe_text(analysis, 60)} results cannot be read by this version of latentkit; "
                              f"it reads {', '.join(sorted(RESULT_CLASSES))}")
    return RESULT_CLASSES[analysis]


class StoredResult:
    """Mixin for analysis result dataclasses: one result <-> one HDF5 file.

    Subclasses set ANALYSIS, MEANINGS (dataset name -> meaning) and SHAPES (dataset name ->
    shape, see `check_shapes`), checked on load. Dataclass fields named in MEANINGS are
    stored as datasets (skipped when None); the other fields, except `params`, go into the
    params JSON; `derived()` adds computed datasets (labels, measures) that are written for
    other tools but recomputed on load. A loaded result keeps the file's other root
    attributes (command, seed, model hashes) in `provenance`, and `save` writes them back.

        r = SweepResult.load("sweep.h5")
        r                     # SweepResult(dims=int64(4,), ..., images=uint8(4, 3, 3, 28, 28), ...)
        fig = r.plot()
        r.save("copy.h5")
    """

    ANALYSIS: ClassVar[str]
    MEANINGS: ClassVar[dict[str, str]]
    SHAPES: ClassVar[dict[str, tuple]] = {}

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "ANALYSIS" in cls.__dict__:  # an analysis' result class: findable by its name from a file
            RESULT_CLASSES[cls.ANALYSIS] = cls
        # @dataclass adds a __repr__ that prints every array in full (tens of kB); it keeps
        # one the class already has, so the short one is put on each subclass before that.
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = StoredResult._short_repr

    @property
    def confident(self) -> float:
        """The probability a reading of a class needed when this result was made (params'
        `confident`; names.CONFIDENT for a result from before it was recorded)."""
        return self.params.get("confident", CONFIDENT)

    @property
    def provenance(self) -> dict[str, Any]:
        """Root attributes of the file this result was loaded from (empty for a fresh result)."""
        return self.__dict__.setdefault("_provenance", {})

    @provenance.setter
    def provenance(self, value: dict[str, Any]) -> None:
        self.__dict__["_provenance"] = dict(value)

    def derived(self) -> dict[str, np.ndarray]:
        return {}

    def save(self, path: str | os.PathLike, provenance: dict[str, Any] | None = None) -> Path:
        """Write the result to `path` (HDF5). `provenance` (command, seed, model names...)
        is added to, and wins over, what a loaded result brought from its file."""
        arrays, params = {}, dict(self.params)
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self.MEANINGS:
                if value is not None:
                    arrays[f.name] = value
            elif f.name != "params":
                params[f.name] = value
        arrays.update(self.derived())
        return save_result(path, self.ANALYSIS, arrays, {k: self.MEANINGS[k] for k in arrays}, params,
                           {**self.provenance, **(provenance or {})})

    @classmethod
    def load(cls, path: str | os.PathLike):
        """Read a result file written by `save`, checked against the class' fields and SHAPES."""
        attrs, arrays = load_result(path, cls.ANALYSIS)
        params = dict(attrs.pop("params"))
        try:
            hints = typing.get_type_hints(cls)
        except Exception:  # a forward reference that cannot be resolved: check only presence
            hints = {}
        values = {}
        for f in fields(cls):
            has_default = f.default is not MISSING or f.default_factory is not MISSING
            if f.name == "params":
                continue
            if f.name in cls.MEANINGS:
                if f.name not in arrays and not has_default:
                    raise damaged(path, f"it has no '{f.name}' dataset")
                values[f.name] = arrays.get(f.name)
            elif f.name in params:
                values[f.name] = params.pop(f.name)
                hint = hints.get(f.name)
                if not _matches(values[f.name], hint):
                    expected = hint.__name__ if isinstance(hint, type) and not typing.get_args(hint) else hint
                    raise damaged(path, f"params field '{f.name}' is {safe_text(values[f.name], 60)}, not {expected}")
            elif not has_default:
                raise damaged(path, f"its params lack '{f.name}'")
        check_shapes(path, cls.SHAPES, values, values.get("class_names"))
        result = cls(**values, params=params)
        result.provenance = attrs
        return result

    def tables(self) -> dict[str, dict[str, np.ndarray]]:
        """The result's tabular parts: table name -> columns (name -> (rows,) array), the default
        table first. Each analysis' result class defines its own (the README lists them)."""
        raise NotImplementedError(f"{type(self).__name__} defines no tables")

    def draw(self):
        """The analysis' figure of this result (a matplotlib Figure, or an Axes on one)."""
        raise NotImplementedError(f"{type(self).__name__} defines no figure")

    def to_dataframe(self, table: str | None = None):
        """One table as a pandas DataFrame (default: the first of `tables()`); needs pandas.

            InterpolationResult.load("interpolate.h5").to_dataframe()   # one row per frame
        """
        try:
            import pandas as pd
        except ImportError:
            raise ImportError("to_dataframe needs pandas, which is not installed: pip install pandas "
                              "(or write the table with to_csv, which does not need it)") from None
        return pd.DataFrame(self._table(table))

    def to_csv(self, path: str | os.PathLike, table: str | None = None) -> Path:
        """Write one table (default: the first of `tables()`) as CSV with a header row; needs no pandas."""
        import csv

        columns = self._table(table)
        with atomic_path(path) as tmp, open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(columns)
            writer.writerows(zip(*columns.values(), strict=True))
        return Path(path)

    def _table(self, table: str | None) -> dict[str, np.ndarray]:
        tables = self.tables()
        if table is None:
            return next(iter(tables.values()))
        if table not in tables:
            raise ConfigError(f"{self.ANALYSIS} results have no table {table!r}; choose one of: {', '.join(tables)}")
        return tables[table]

    def plot(self):
        """The figure the analysis draws for this result (matplotlib Figure), as `latentkit plot` saves it."""
        import matplotlib.pyplot  # noqa: F401  (in a notebook, sets up the inline display of the figure returned)
        from matplotlib.figure import Figure

        drawn = self.draw()
        return drawn if isinstance(drawn, Figure) else drawn.figure

    def _short_repr(self) -> str:
        parts = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, np.ndarray):
                parts.append(f"{f.name}={value.dtype}{value.shape}")
            elif f.name == "params":
                scalars = {k: v for k, v in value.items() if v is None or isinstance(v, bool | int | float | str)}
                parts.append(f"params={safe_text(scalars, 300)}")
            elif value is None or isinstance(value, bool | int | float | str):
                parts.append(f"{f.name}={safe_text(repr(value), 60)}")
            else:
                parts.append(f"{f.name}={safe_text(repr(value), 80)}")
        return f"{type(self).__name__}({', '.join(parts)})"
