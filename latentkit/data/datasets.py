"""Datasets: where they live, and reading one into memory once.

MNIST and FashionMNIST are small (47 MB of uint8 each), so training reads the whole
split into one uint8 tensor on the target device and batches by indexing: no
DataLoader workers and no per-sample PIL transforms in the hot loop.

The files are torchvision's layout (DIR/MNIST/raw/train-images-idx3-ubyte, ...). latentkit
reads and checks them itself, so a damaged file is named as damaged instead of being
taken for a missing one, and only the files a split needs must be there. Missing files
are downloaded with torchvision's mirrors and checksums, quietly and into a temporary
folder first, so an interrupted download never leaves a half-written data file.
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import torch

from latentkit.errors import ConfigError, DataError, first_line
from latentkit.names import CLASSES
from latentkit.storage import missing_folders, process_running, remove_empty_folders

DATA_ENV = "LATENTKIT_DATA"

_TORCHVISION_NAME = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST"}
_IMAGE_SIDE = 28
_DOWNLOAD_TIMEOUT_S = 20  # per network operation; the default is to wait forever


@dataclass
class ImageSet:
    """A whole dataset split held in memory."""

    images: torch.Tensor  # (N, 28, 28) uint8
    labels: torch.Tensor  # (N,) int64
    dataset: str
    train: bool

    def __len__(self) -> int:
        return len(self.labels)

    def to(self, device: torch.device | str) -> ImageSet:
        return ImageSet(self.images.to(device), self.labels.to(device), self.dataset, self.train)


def check_dataset(name: str) -> str:
    """Return `name` if it is a dataset latentkit knows, else raise ConfigError."""
    if name not in CLASSES:
        raise ConfigError(f"unknown dataset {name!r}; choose one of: {', '.join(CLASSES)}")
    return name


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """Resolve the data folder: the argument, then $LATENTKIT_DATA, then a per-user cache dir."""
    if data_dir is not None:
        return Path(data_dir).expanduser()
    if os.environ.get(DATA_ENV):
        return Path(os.environ[DATA_ENV]).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("latentkit")) / "data"


def split_files(train: bool) -> tuple[str, str]:
    """The raw file names of one split: (images, labels)."""
    prefix = "train" if train else "t10k"
    return f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"


def load_images(
    dataset: str = "mnist",
    train: bool = True,
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    limit: int | None = None,
) -> ImageSet:
    """Read a whole split as uint8 tensors, downloading it first if it is missing.

        train = load_images("mnist", train=True)   # train.images: (60000, 28, 28) uint8
        test = load_images("fashion-mnist", train=False, data_dir="../shared/data")

    `limit` keeps the first `limit` images (for quick runs and tests). Raises DataError,
    naming the file and the fix, when a file is missing and cannot be downloaded, or is
    there but damaged (truncated, not an IDX file, labels out of range).
    """
    check_dataset(dataset)
    root = data_root(data_dir)
    folder = _TORCHVISION_NAME[dataset]
    raw = root / folder / "raw"
    names = split_files(train)
    missing = [name for name in names if not (raw / name).exists()]
    if missing:
        if not download:
            raise DataError(f"{dataset} not found in {raw} ({', '.join(missing)} missing). " + _put_files_hint(folder))
        _download(dataset, raw, missing)
    images = _read_idx(raw / names[0], ndim=3, limit=limit)
    labels = _read_idx(raw / names[1], ndim=1, limit=limit)
    _check_pair(raw, names, images, labels, limit)
    return ImageSet(images.contiguous(), labels.long().contiguous(), dataset, train)


def _put_files_hint(folder: str, first: str = "Put") -> str:
    return (f"{first} the four *-ubyte files in {folder}/raw/ under a folder and pass it with "
            f"--data-dir or ${DATA_ENV}.")


def _damaged(path: Path, what: str) -> DataError:
    return DataError(f"{path} is damaged ({what}); delete it so latentkit downloads it again, "
                     "or replace it with a good copy.")


def _read_idx(path: Path, ndim: int, limit: int | None) -> torch.Tensor:
    """Read a uint8 IDX file (the MNIST format), checking its header against its size.

    With 0 <= `limit`, only the first `limit` items are read (the size check is still on the
    whole file, from its length on disk).
    """
    if not path.is_file():
        raise DataError(f"{path} is not a file; remove it so latentkit downloads the data again, "
                        "or put the data file there.")
    header_size = 4 + 4 * ndim
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            header = f.read(header_size)
            if len(header) < header_size:
                raise _damaged(path, "empty" if size == 0 else f"truncated: {size:,} bytes, shorter than its header")
            magic, dims = header[:4], [int.from_bytes(header[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
            if magic != bytes((0, 0, 0x08, ndim)):
                raise _damaged(path, f"not a uint8 IDX file with {ndim} dimension{'s' * (ndim > 1)}: "
                                     f"it starts with {magic.hex()}")
            item = 1
            for d in dims[1:]:
                item *= d
            expected = header_size + dims[0] * item
            if size < expected:
                raise _damaged(path, f"truncated: {size:,} of {expected:,} bytes")
            if size > expected:
                raise _damaged(path, f"{size - expected:,} bytes longer than its header says")
            if ndim == 3 and tuple(dims[1:]) != (_IMAGE_SIDE, _IMAGE_SIDE):
                raise _damaged(path, f"its images are {dims[1]}x{dims[2]}, not {_IMAGE_SIDE}x{_IMAGE_SIDE}")
            count = dims[0] if limit is None or limit < 0 else min(limit, dims[0])
            body = f.read(count * item)
    except OSError as err:
        reason = err.strerror or first_line(err)
        raise DataError(f"cannot read {path}: {reason}; check its permissions or replace it.") from None
    if len(body) != count * item:  # the file shrank while being read
        raise _damaged(path, f"truncated while being read: {len(body):,} of {count * item:,} bytes")
    data = torch.frombuffer(bytearray(body), dtype=torch.uint8) if body else torch.zeros(0, dtype=torch.uint8)
    data = data.view(count, *dims[1:])
    if limit is not None and limit < 0:
        data = data[:limit]
    return data


def _check_pair(raw: Path, names: tuple[str, str], images: torch.Tensor, labels: torch.Tensor,
                limit: int | None) -> None:
    if limit is None:
        if len(images) != len(labels):
            raise DataError(f"{raw / names[0]} holds {len(images):,} images but {raw / names[1]} holds "
                            f"{len(labels):,} labels; one of them is damaged or from another dataset: "
                            "delete both so latentkit downloads them again, or replace them with a good copy.")
    if len(labels) and int(labels.max()) >= 10:
        raise _damaged(raw / names[1], f"label {int(labels.max())} is not a class 0-9")


def _download(dataset: str, raw: Path, names: list[str]) -> None:
    """Download `names` into `raw` from torchvision's mirrors, checking their MD5 sums.

    Each file is fetched and unpacked in a temporary folder and renamed into place whole.
    torchvision's progress bars are kept off the terminal (one error line, nothing else).
    A failure leaves nothing behind: no temporary folder, no empty folders made for it.
    """
    import torchvision.datasets.mnist as tv_mnist

    folder = _TORCHVISION_NAME[dataset]
    cls = getattr(tv_mnist, folder)
    md5 = dict(cls.resources)
    created = missing_folders(raw)
    try:
        raw.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        remove_empty_folders(created)
        raise DataError(f"{dataset} not found in {raw}, and it cannot be downloaded there "
                        f"({err.strerror or first_line(err)}). " + _put_files_hint(folder)) from None
    _remove_stale_downloads(raw)
    done = False
    try:
        tmp = Path(tempfile.mkdtemp(prefix=f".download.{os.getpid()}.", dir=raw))
    except OSError as err:
        remove_empty_folders(created)
        raise DataError(f"{dataset} not found in {raw}, and it cannot be downloaded there "
                        f"({err.strerror or first_line(err)}). " + _put_files_hint(folder)) from None
    try:
        for name in names:
            archive = f"{name}.gz"
            errors: list[BaseException] = []
            for mirror in cls.mirrors:
                try:
                    with _quiet(), _socket_timeout(_DOWNLOAD_TIMEOUT_S):
                        tv_mnist.download_and_extract_archive(
                            f"{mirror}{archive}", download_root=str(tmp), filename=archive, md5=md5[archive])
                    break
                except Exception as err:  # URLError, HTTPError, RuntimeError (checksum), OSError, ...
                    errors.append(err)
            else:
                raise DataError(f"{dataset} not found in {raw} and could not be downloaded "
                                f"({_download_reason(errors)}). Connect to the network and run again, or "
                                + _put_files_hint(folder, first="put"))
            _read_idx(tmp / name, ndim=3 if "images" in name else 1, limit=0)  # header and size check
            os.replace(tmp / name, raw / name)
        done = True
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if not done:
            remove_empty_folders(created)


def _download_reason(errors: list[BaseException]) -> str:
    """One short phrase for why every mirror failed (the most telling of their errors)."""
    from urllib.error import HTTPError, URLError

    reasons = []
    for err in errors:
        if isinstance(err, HTTPError):
            reasons.append(f"the server answered HTTP {err.code} {err.reason}".strip())
        elif isinstance(err, URLError):
            reason = err.reason
            if isinstance(reason, (TimeoutError, socket.timeout)):
                reasons.append(f"no answer from the server within {_DOWNLOAD_TIMEOUT_S} s")
            elif type(reason).__name__.startswith("SSL"):
                reasons.append(f"secure connection failed: {first_line(reason)}")
            else:
                text = reason.strerror if isinstance(reason, OSError) and reason.strerror else first_line(reason)
                reasons.append(f"no network connection: {text}")
        elif isinstance(err, (TimeoutError, socket.timeout)):
            reasons.append(f"no answer from the server within {_DOWNLOAD_TIMEOUT_S} s")
        elif isinstance(err, RuntimeError) and "corrupted" in str(err):
            reasons.append("the downloaded file failed its checksum")
        elif isinstance(err, OSError):
            reasons.append(f"{err.strerror or first_line(err)}")
        else:
            reasons.append(f"{type(err).__name__}: {first_line(err)}")
    unique = list(dict.fromkeys(reasons))
    return "; ".join(unique) if unique else "no mirror to download from"


@contextlib.contextmanager
def _quiet() -> Iterator[None]:
    """Keep torchvision's download chatter (progress bars, 'Downloading ...') off the terminal."""
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        yield


@contextlib.contextmanager
def _socket_timeout(seconds: float) -> Iterator[None]:
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(seconds)
    try:
        yield
    finally:
        socket.setdefaulttimeout(previous)


def _remove_stale_downloads(raw: Path) -> None:
    """Delete .download.PID.XXXX folders left by downloads whose process no longer runs."""
    for tmp in raw.glob(".download.*"):
        parts = tmp.name.split(".")  # ["", "download", PID, XXXX]
        if len(parts) >= 4 and parts[2].isdigit() and not process_running(int(parts[2])):
            shutil.rmtree(tmp, ignore_errors=True)

