"""Real images for inversion: dataset splits by index, and your own files made to look like MNIST.

A generator trained on MNIST can only draw what MNIST looks like, so a photo of a digit is
reduced the way MNIST's digits were made (LeCun et al.): light ink on black, the ink's
bounding box scaled to fit 20x20 keeping its aspect (anti-aliased), pasted into 28x28 with
its centre of mass at the centre. `.npy` arrays and IDX files are taken to follow that
convention already and are used as they are, after checks.

    real = load_dataset_images("mnist", "test", "0:500")   # real.images: (500, 28, 28) uint8
    mine = load_image_files(["a.png", "scans/"])           # mine.notes says what was converted
"""

from __future__ import annotations

import gzip
import math
import operator
import os
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from latentkit.errors import ConfigError, first_line
from latentkit.limits import MAX_FILE_BYTES

SPLITS = ("train", "test")
_SIDE = 28
_BOX = 20  # MNIST's digits fit a 20x20 box inside the 28x28 image
# Measured on MNIST's test split: the centre of mass lies in [13.5, 14.5] (pixel indices) on both
# axes, mean 14.0, i.e. MNIST shifted by whole pixels to put it at pixel 14.
_CENTRE = 14.0
_WORK_SIDE = 512  # larger photos are shrunk first: the result is 20 px, and the frame search is O(pixels)
_INK = 0.3  # of the way from paper to the darkest ink: certainly ink (frames are found in this mask)
_COLOUR_TOLERANCE = 8  # grey levels between channels still called grey (JPEG's chroma noise)
_NPY_MAGIC = b"\x93NUMPY"
_GZIP_MAGIC = b"\x1f\x8b"
_IDX_MAGIC = struct.pack(">I", 2051)  # IDX images: uint8, 3 dimensions
_FORMATS = "a PNG, JPEG or another image Pillow reads, a .npy array or an IDX image file"


@dataclass
class RealImages:
    """Real images ready to invert, with where each came from."""

    images: np.ndarray  # (N, 28, 28) uint8, light ink (255) on black (0), centred by mass
    names: list[str]  # per image: "mnist test 17", "a.png", "digits.npy[3]", "file-idx3-ubyte[5]"
    labels: np.ndarray | None  # (N,) int64 true labels for dataset splits, else None
    notes: list[str]  # conversions the user should know about, each naming its file

    def __len__(self) -> int:
        return len(self.images)


def load_dataset_images(
    dataset: str, split: str, indices: str | Sequence[int], data_dir: str | os.PathLike | None = None
) -> RealImages:
    """Images of a dataset split by index, with their true labels.

        real = load_dataset_images("mnist", "test", "0:500")      # also "17", "3,9,12", "0:10,42", [3, 9]
        real.images.shape, real.names[0], real.labels[0]            # (500, 28, 28), "mnist test 0", 7

    Raises ConfigError for an unknown split or an index outside it (naming the split's size).
    """
    from latentkit.data.datasets import load_images  # torch loads only when a dataset is asked for

    if split not in SPLITS:
        raise ConfigError(f"unknown split {split!r}; choose one of: {', '.join(SPLITS)}")
    data = load_images(dataset, train=split == "train", data_dir=data_dir)
    chosen = _parse_indices(indices, len(data), f"the {dataset} {split} split")
    return RealImages(
        images=data.images.numpy()[chosen],
        names=[f"{dataset} {split} {i}" for i in chosen],
        labels=data.labels.numpy()[chosen],
        notes=[],
    )


def _parse_indices(indices: str | Sequence[int], size: int, where: str) -> list[int]:
    """"0:500", "17", "3,9,12" (parts may mix: "0:10,42") or a list of ints -> a list of indices in [0, size)."""
    if isinstance(indices, str):
        ranges = [_parse_part(part.strip(), size, indices) for part in indices.split(",")]
    else:
        try:
            ranges = [range(i, i + 1) for i in map(operator.index, indices)]
        except TypeError:
            raise ConfigError(f"indices must be whole numbers, got {list(indices)!r}") from None
    for r in ranges:  # checked before expanding, so "0:10**9" fails at once
        if r.start < 0 or r.stop > size:
            worst = r.start if r.start < 0 else r.stop - 1
            raise ConfigError(f"index {worst:,} is outside {where}, which has {size:,} images "
                              f"(indices 0 to {size - 1:,}); choose indices in that range")
    chosen = [i for r in ranges for i in r]
    if not chosen:
        raise ConfigError(f"indices {indices!r} select no images; write e.g. 0:500, 17 or 3,9,12")
    return chosen


def _parse_part(part: str, size: int, text: str) -> range:
    """One comma-separated part: "17" or "a:b" (a defaults to 0, b to the split's size)."""
    try:
        if ":" not in part:
            return range(int(part), int(part) + 1)
        start, stop = part.split(":")
        return range(int(start) if start.strip() else 0, int(stop) if stop.strip() else size)
    except ValueError:
        raise ConfigError(f"cannot read indices {text!r}: write a range 0:500, one index 17 "
                          "or a list 3,9,12") from None


def load_image_files(paths: Sequence[str | os.PathLike]) -> RealImages:
    """Images from files and folders, as (N, 28, 28) uint8 in MNIST's convention.

        real = load_image_files(["a.png", "photos/", "digits.npy", "t10k-images-idx3-ubyte"])

    Each path is an image Pillow reads (any size, colour or grey: see `preprocess`), a folder
    (its image and .npy files, sorted by name), a .npy array (N, 28, 28) or (28, 28) of uint8
    or floats in [0, 1], or an IDX image file (gzipped or not); arrays and IDX files are
    used as they are. Raises ConfigError naming the file and the fix for anything unusable.
    """
    if not paths:
        raise ConfigError(f"no image files given; pass {_FORMATS}, or a folder of them")
    images: list[np.ndarray] = []  # each (k, 28, 28) uint8
    names: list[str] = []
    notes: list[str] = []
    for path in paths:
        for file in _expand(Path(path), notes):
            file_images, file_names, file_notes = _read_file(file)
            images.append(file_images)
            names += file_names
            notes += file_notes
    return RealImages(np.concatenate(images), names, None, notes)


def _expand(path: Path, notes: list[str]) -> list[Path]:
    """A file as itself; a folder as its image files, sorted (the others are noted and skipped)."""
    if not path.exists():
        raise ConfigError(f"{path} not found; check the path")
    if not path.is_dir():
        return [path]
    extensions = {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN} | {".npy"}
    entries = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
    files = [p for p in entries if p.suffix.lower() in extensions]
    if not files:
        raise ConfigError(f"{path} holds no image files; put PNG, JPEG or .npy files in it, or pass the files")
    skipped = [p.name for p in entries if p.suffix.lower() not in extensions]
    if skipped:
        notes.append(f"{path}: {len(skipped)} file(s) that are not images skipped ({', '.join(skipped[:3])}"
                     f"{', ...' if len(skipped) > 3 else ''})")
    return files


def _read_file(path: Path) -> tuple[np.ndarray, list[str], list[str]]:
    """(images (k, 28, 28) uint8, names, notes) of one file, its kind told by its first bytes."""
    head = _read_bytes(path, len(_NPY_MAGIC))
    if head.startswith(_GZIP_MAGIC) or head[:4] == _IDX_MAGIC:
        images = _idx_images(_read_bytes(path), path)
    elif head == _NPY_MAGIC:
        images = _npy_images(path)
    else:
        picture, notes = _read_picture(path)
        try:
            image, steps = preprocess(picture)
        except ConfigError as err:
            raise ConfigError(f"{path}: {err}") from None
        return image[None], [str(path)], notes + [f"{path}: {step}" for step in steps]
    _check_ready(images, path)
    return images, [f"{path}[{i}]" for i in range(len(images))], _light_border_note(images, path)


def _read_bytes(path: Path, count: int = -1) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(count)
    except OSError as err:
        raise ConfigError(f"cannot read {path}: {err.strerror or first_line(err)}; check its permissions") from None


def _idx_images(data: bytes, path: Path) -> np.ndarray:
    """An IDX image file's contents, gzipped or not (header: magic, count, rows, cols as big-endian uint32)."""
    if data.startswith(_GZIP_MAGIC):
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError) as err:
            raise ConfigError(f"{path} is a damaged gzip file ({first_line(err)}); download it again") from None
        if data[:4] != _IDX_MAGIC:
            raise ConfigError(f"{path} is gzipped but holds no IDX images; pass {_FORMATS}, unzipped")
    if len(data) < 16:
        raise ConfigError(f"{path} is a truncated IDX file ({len(data)} bytes, shorter than its header); "
                          "download it again")
    count, rows, cols = struct.unpack(">III", data[4:16])
    if (rows, cols) != (_SIDE, _SIDE):
        raise ConfigError(f"{path} holds {rows}x{cols} images, not {_SIDE}x{_SIDE}; "
                          "save them as PNG files to have them resized")
    expected = 16 + count * rows * cols
    if len(data) != expected:
        raise ConfigError(f"{path} has {len(data):,} bytes but its header says {count:,} images "
                          f"({expected:,} bytes); it is damaged: download it again")
    return np.frombuffer(data, np.uint8, offset=16).reshape(count, rows, cols)


def load_npy(path: str | os.PathLike, fix: str = "save it with numpy.save", what: str | None = None) -> np.ndarray:
    """A .npy file's array, never unpickled; its header is checked against the file's size and
    limits.MAX_FILE_BYTES before anything is allocated. ConfigError (ending in `fix`) otherwise."""
    path = Path(path)
    cannot = f"cannot read {path} as a .npy array" if what is None else f"cannot read {what} from {path}"
    try:
        with open(path, "rb") as f:
            if f.read(2) == b"PK":
                raise ConfigError(f"{path} is an .npz archive, not one array; {fix}")
            f.seek(0)
            version = np.lib.format.read_magic(f)
            read_header = np.lib.format.read_array_header_1_0 if version == (1, 0) else \
                np.lib.format.read_array_header_2_0
            shape, _, dtype = read_header(f)
            stored = os.fstat(f.fileno()).st_size - f.tell()
    except (OSError, ValueError, EOFError) as err:
        empty = path.is_file() and path.stat().st_size == 0
        reason = "the file is empty" if empty else first_line(err, 120)
        raise ConfigError(f"{cannot} ({reason}); {fix}") from None
    if dtype.hasobject:
        raise ConfigError(f"{cannot}: it holds Python objects, which latentkit never unpickles; {fix}")
    claimed = math.prod(shape) * dtype.itemsize
    if claimed > stored:
        raise ConfigError(f"{path} is damaged: its header says {shape} {dtype} ({claimed:,} bytes) but it holds "
                          f"{stored:,}; {fix}")
    if claimed > MAX_FILE_BYTES:
        raise ConfigError(f"{path} holds {claimed:,} bytes of {shape} {dtype}, more than latentkit reads from one "
                          f"file ({MAX_FILE_BYTES:,}); pass a smaller array")
    try:
        return np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as err:
        raise ConfigError(f"{cannot} ({first_line(err, 120)}); {fix}") from None


def _npy_images(path: Path) -> np.ndarray:
    """A .npy array as (k, 28, 28) uint8: uint8 (or other integers in 0-255) as is, floats in [0, 1] x 255."""
    array = load_npy(path)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.shape[1:] != (_SIDE, _SIDE):
        raise ConfigError(f"{path} has shape {array.shape}; expected (N, {_SIDE}, {_SIDE}) or ({_SIDE}, {_SIDE}): "
                          "save images of another size as PNG files to have them resized")
    fix = "save uint8 in 0-255, or floats in [0, 1]"
    if np.issubdtype(array.dtype, np.floating):
        if not np.isfinite(array).all():
            raise ConfigError(f"{path} holds NaN or infinite values; {fix}")
        if array.size and (array.min() < 0 or array.max() > 1):
            raise ConfigError(f"{path} holds floats from {array.min():g} to {array.max():g}; {fix} "
                              "(for 0-255 floats, divide by 255)")
        return np.round(array * 255).astype(np.uint8)
    if np.issubdtype(array.dtype, np.integer) and not np.issubdtype(array.dtype, np.bool_):
        if array.size and (array.min() < 0 or array.max() > 255):
            raise ConfigError(f"{path} holds integers from {array.min()} to {array.max()}; {fix}")
        return array.astype(np.uint8)
    raise ConfigError(f"{path} holds {array.dtype} values; {fix}")


def _check_ready(images: np.ndarray, path: Path) -> None:
    """Refuse an empty file and blank images (an image of one value has nothing to invert)."""
    if len(images) == 0:
        raise ConfigError(f"{path} holds no images; pass a file with at least one")
    flat = images.reshape(len(images), -1)
    blank = np.flatnonzero(flat.min(1) == flat.max(1))
    if len(blank):
        i = blank[0]
        raise ConfigError(f"{path}[{i}] is all one value ({flat[i, 0]}): nothing to invert; "
                          f"remove it{f' (and {len(blank) - 1} more)' if len(blank) > 1 else ''}")


def _light_border_note(images: np.ndarray, path: Path) -> list[str]:
    """Arrays are used as they are, so say when some look like dark ink on light paper."""
    border = np.concatenate([images[:, 0], images[:, -1], images[:, :, 0], images[:, :, -1]], axis=1)
    light = int((np.median(border, axis=1) > 127).sum())
    if not light:
        return []
    return [f"{path}: {light} of {len(images)} images have a light border; arrays are used as they are and "
            "MNIST is light ink on black: if they are dark ink on light, save 255 - images"]


def _read_picture(path: Path) -> tuple[np.ndarray, list[str]]:
    """An image file as a 2-D float array of grey levels, and notes on how it was made grey."""
    try:
        with Image.open(path) as img:
            img = ImageOps.exif_transpose(img)  # phone photos store their rotation in EXIF, not in the pixels
            img.thumbnail((_WORK_SIDE, _WORK_SIDE), Image.Resampling.BILINEAR)  # what preprocess would do, sooner
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as err:
        # UnidentifiedImageError is an OSError; damaged files raise any of these while decoding
        raise ConfigError(f"cannot read {path} as an image ({first_line(err)}); pass {_FORMATS}") from None
    if img.mode in ("I", "F") or img.mode.startswith("I;16"):
        return np.asarray(img, dtype=np.float64), []  # 16- and 32-bit grey: keep every level
    notes = []
    alpha = np.asarray(img.convert("RGBA"))[..., 3] / 255.0 if img.has_transparency_data else None
    if img.mode not in ("1", "L", "LA"):
        rgb = np.asarray(img.convert("RGB"), dtype=np.int16)  # (H, W, 3)
        if (rgb.max(axis=2) - rgb.min(axis=2)).max() > _COLOUR_TOLERANCE:
            notes.append(f"{path}: colour image converted to grey")
    grey = np.asarray(img.convert("L"), dtype=np.float64)
    if alpha is not None and alpha.min() < 1:
        grey, paper = _flatten_alpha(grey, alpha)
        notes.append(f"{path}: transparent pixels taken as paper of grey level {paper:.0f}")
    return grey, notes


def _flatten_alpha(grey: np.ndarray, alpha: np.ndarray) -> tuple[np.ndarray, float]:
    """Lay a transparent image on paper. The opaque pixels are the ink when they are a minority (a digit
    drawn on a transparent canvas: the paper must contrast with them), else they are the paper itself."""
    opaque = alpha > 0.5
    level = float(np.median(grey[opaque])) if opaque.any() else 0.0
    paper = level if opaque.mean() >= 0.5 else (255.0 if level < 128 else 0.0)
    return grey * alpha + paper * (1 - alpha), paper


def preprocess(image: np.ndarray) -> tuple[np.ndarray, list[str]]:
    """A greyscale image of any size -> (28, 28) uint8 in MNIST's convention, and notes on what was done.

        digit, notes = preprocess(photo)   # photo: (H, W) uint8 or float; notes: ["dark ink on light paper, inverted"]

    As MNIST was made: dark ink on light paper is inverted; a dark frame around the paper (a
    photo's background) is removed; the paper's level is subtracted; the ink's bounding box is
    scaled so its longer side is 20 px (aspect kept, anti-aliased) and pasted into 28x28 with
    its centre of mass at pixel (14, 14). Raises ConfigError for an image with no ink.
    """
    x, notes = _normalised(image), []
    paper = float(np.median(x))
    if paper > 0.5:  # paper covers most of a picture of a digit, so the median is the paper's level
        x, paper = 1 - x, 1 - paper
        notes.append("dark ink on light paper, inverted")
    # The paper's spread, robustly (the ink is a minority): levels within it are paper, not ink.
    floor = paper + 4 * 1.4826 * float(np.median(np.abs(x - paper))) + 0.5 / 255
    strong = x > paper + _INK * (1 - paper)
    frame = _grow(_frame_seeds(strong), strong)
    # Ink apart from the frame is the digit. With none, the "frame" was a digit cropped tight to its edges.
    if not (strong & ~frame).any():
        frame[:] = False
    if frame.any():
        frame = _grow(frame, x > floor, steps=3)  # and the frame's soft, anti-aliased edge
        notes.append("dark border around the paper removed")
    ink = strong & ~frame
    level = float(np.percentile(x[ink], 95))  # solid ink, robust to a few bright specks
    if level <= floor:
        raise ConfigError("nothing to invert: the ink does not stand out from the paper's noise; use a sharper picture")
    x = np.clip((x - floor) / (level - floor), 0, 1)
    x[frame] = 0
    return _place(_crop(x)), notes


def _normalised(image: np.ndarray) -> np.ndarray:
    """Checked float copy scaled to [0, 1] by its own range, shrunk to at most _WORK_SIDE px."""
    x = np.asarray(image)
    if x.ndim != 2 or not (np.issubdtype(x.dtype, np.number) or x.dtype == np.bool_):
        raise ConfigError(f"expected a 2-D greyscale image, got an array of shape {x.shape} and type {x.dtype}")
    x = x.astype(np.float64)
    if x.size == 0 or not np.isfinite(x).all():
        raise ConfigError("the image is empty or holds NaN or infinite values; pass a readable image")
    low, high = x.min(), x.max()
    if low == high:
        raise ConfigError(f"the image is all one value ({low:g}): nothing to invert; pass a picture of a digit")
    x = (x - low) / (high - low)
    if max(x.shape) <= _WORK_SIDE:
        return x
    return _scaled(x, _WORK_SIDE)


def _frame_seeds(mask: np.ndarray) -> np.ndarray:
    """Ink on the image's edge that looks like a frame, not a digit touching the edge: runs along an
    edge at least a fifth of its length, or reaching a corner (a photo's background shows in its corners)."""
    seeds = np.zeros_like(mask)
    for index in (np.s_[0, :], np.s_[-1, :], np.s_[:, 0], np.s_[:, -1]):
        line = mask[index]
        edges = np.diff(np.concatenate(([0], line.astype(np.int8), [0])))
        for start, stop in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
            if stop - start >= len(line) / 5 or start == 0 or stop == len(line):
                seeds[index][start:stop] = True
    return seeds


def _grow(region: np.ndarray, mask: np.ndarray, steps: int | None = None) -> np.ndarray:
    """`region` grown within `mask` through 4-connected neighbours, `steps` times or until it stops."""
    region = region & mask
    for _ in range(mask.size if steps is None else steps):
        grown = region.copy()
        grown[1:] |= region[:-1]
        grown[:-1] |= region[1:]
        grown[:, 1:] |= region[:, :-1]
        grown[:, :-1] |= region[:, 1:]
        grown &= mask
        if np.array_equal(grown, region):
            break
        region = grown
    return region


def _crop(x: np.ndarray) -> np.ndarray:
    """The ink's bounding box, scaled so its longer side is _BOX px (aspect kept)."""
    rows, cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    x = x[rows[0]: rows[-1] + 1, cols[0]: cols[-1] + 1]
    return np.clip(_scaled(x, _BOX), 0, 1)


def _scaled(x: np.ndarray, side: int) -> np.ndarray:
    """`x` resized so its longer side is `side` px, aspect kept."""
    scale = side / max(x.shape)
    height, width = max(1, round(x.shape[0] * scale)), max(1, round(x.shape[1] * scale))
    if x.shape == (height, width):
        return x
    # Pillow's bilinear filter widens with the scale when shrinking: anti-aliased, as MNIST's digits were.
    resized = Image.fromarray(x.astype(np.float32)).resize((width, height), Image.Resampling.BILINEAR)
    return np.asarray(resized, dtype=np.float64)


def _place(digit: np.ndarray) -> np.ndarray:
    """Paste a digit of at most 20x20 into 28x28, shifted by whole pixels to put its centre of mass at 14."""
    out = np.zeros((_SIDE, _SIDE))
    mass = digit.sum()
    offsets = []
    for axis, size in enumerate(digit.shape):
        centre = (digit.sum(axis=1 - axis) * np.arange(size)).sum() / mass
        offsets.append(int(np.clip(round(_CENTRE - centre), 0, _SIDE - size)))
    top, left = offsets
    out[top: top + digit.shape[0], left: left + digit.shape[1]] = digit
    return np.round(out * 255).astype(np.uint8)
