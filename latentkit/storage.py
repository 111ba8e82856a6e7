"""Writing files without losing work: atomic writes, groups of files that appear together,
an early check that a folder can be written, a lock per output folder, and Ctrl-C held
back while files are being committed.
"""

from __future__ import annotations

import errno
import json
import math
import os
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from latentkit.errors import OutputError


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it onto `path` if the block succeeds.

    The rename is atomic on POSIX and Windows, so a crash or Ctrl-C leaves either the
    old file or the new one, never half of one. Temporaries orphaned by a killed
    process are removed by the next write into the same folder.

        with atomic_path("run/card.json") as tmp:
            tmp.write_text("{}")
    """
    with atomic_paths([path]) as (tmp,):
        yield tmp


@contextmanager
def atomic_paths(paths: list[str | os.PathLike]) -> Iterator[list[Path]]:
    """Temporary paths for several files that appear together or not at all.

    The renames happen only when the block succeeds; on any failure every temporary is
    removed and no target is touched. Ctrl-C is held back meanwhile: pressed while the
    files are written, it discards them; pressed during the renames, it waits for them.
    An OSError (read-only folder, full disk, ...) becomes one OutputError line.
    """
    paths = [Path(p) for p in paths]
    if all(_own_temporary(p) for p in paths):
        # Writing into temporaries an enclosing atomic write made: that write already makes it
        # all or nothing, and its error names the files the user asked for.
        yield paths
        return
    temps: list[Path] = []
    made = sorted({f for p in paths for f in missing_folders(p.parent)}, key=lambda f: -len(f.parts))
    try:
        with held_interrupts() as pressed:
            for path in paths:
                path.parent.mkdir(parents=True, exist_ok=True)
                remove_stale_temps(path.parent)
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent)
                os.close(fd)
                temps.append(Path(tmp))
            yield temps
            if pressed:
                raise KeyboardInterrupt
            mode = 0o666 & ~_umask()
            for tmp, path in zip(temps, paths, strict=True):
                # mkstemp (and some writers, safetensors among them) make 0600 files; set the
                # usual permissions once the writer is done, just before the rename.
                os.chmod(tmp, mode)
                os.replace(tmp, path)
    except OSError as err:
        names = ", ".join(p.name for p in paths)
        raise OutputError(f"cannot write {names} in {paths[0].parent}: {_reason(err)}; "
                          "free some space or pick another --out") from None
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
        if any(not p.exists() for p in paths):  # failed: the folders made for it go too
            remove_empty_folders(made)


def _own_temporary(path: Path) -> bool:
    """Whether `path` is a temporary that an atomic write of this process made."""
    return _temporary_pid(path.name) == os.getpid()


def _temporary_pid(name: str) -> int | None:
    """The process id in an atomic write's temporary name (.NAME.PID.XXXX.tmp); None for other names."""
    parts = name.rsplit(".", 3)  # [".NAME", PID, XXXX, "tmp"]
    ok = name.startswith(".") and len(parts) == 4 and parts[1].isdigit() and parts[3] == "tmp"
    return int(parts[1]) if ok else None


def remove_stale_temps(folder: Path) -> None:
    """Delete temporaries (.NAME.PID.XXXX.tmp) left in `folder` by processes that no longer run."""
    for tmp in folder.glob(".*.tmp"):
        pid = _temporary_pid(tmp.name)
        if pid is not None and not process_running(pid):
            tmp.unlink(missing_ok=True)


def process_running(pid: int) -> bool:
    """Whether a process with this id exists (someone else's counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


@contextmanager
def held_interrupts() -> Iterator[list[int]]:
    """Hold Ctrl-C (SIGINT) back during the block and deliver it as KeyboardInterrupt at its
    end; the block sees the list of signals caught so far, to stop early if it wants.

    A KeyboardInterrupt raised inside a C extension's callback (h5py's, for one) can be
    swallowed with a traceback and the program goes on; holding the signal avoids that.
    Off the main thread, where signals cannot be handled, the block runs as is.
    """
    caught: list[int] = []
    try:
        previous = signal.signal(signal.SIGINT, lambda signum, frame: caught.append(signum))
    except ValueError:  # not the main thread
        yield caught
        return
    try:
        yield caught
    finally:
        signal.signal(signal.SIGINT, previous)
    if caught:
        raise KeyboardInterrupt


def check_writable(folder: str | os.PathLike) -> Path:
    """Check, before any work, that `folder` exists or can be made and can hold files;
    nothing is left behind. Raises OutputError with the reason and the fix."""
    folder = Path(folder).expanduser()
    absent = missing_folders(folder)
    existing = absent[-1].parent if absent else folder
    if not existing.is_dir():
        raise OutputError(f"cannot write into {folder}: {existing} is a file, not a folder; pick another --out")
    missing = folder.relative_to(existing).parts
    name_max = _name_max(existing)
    too_long = [p for p in missing if len(os.fsencode(p)) > name_max]
    if too_long:
        raise OutputError(f"cannot write into {folder}: the name {too_long[0][:40]}... is longer than "
                          f"{name_max} bytes; pick a shorter --out")
    try:
        fd, probe = tempfile.mkstemp(prefix=".latentkit-probe.", dir=existing)
        os.close(fd)
        os.unlink(probe)
    except OSError as err:
        raise OutputError(f"cannot write into {folder}: {_reason(err)} in {existing}; pick another --out") from None
    return folder


def missing_folders(path: str | os.PathLike) -> list[Path]:
    """`path` and its ancestors that do not exist yet, deepest first."""
    path, missing = Path(path), []
    while not os.path.exists(path) and path.parent != path:  # False, not an error, for a name too long
        missing.append(path)
        path = path.parent
    return missing


def remove_empty_folders(folders: list[Path]) -> None:
    """Remove the folders a failed step made (deepest first, from `missing_folders`), stopping at
    the first that holds something."""
    for folder in folders:
        try:
            folder.rmdir()
        except FileNotFoundError:  # never made
            continue
        except OSError:  # something is in it: keep it and its parents
            return


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """Whether two paths name one file (after links, or as hard links of each other)."""
    a, b = Path(a), Path(b)
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (AttributeError, OSError, ValueError):  # not on this OS
        return 255


CACHE_ENV = "LATENTKIT_CACHE"


def user_cache(kind: str) -> Path:
    """A per-user folder for what latentkit can always remake (compiled code, the explorer's
    found directions): $LATENTKIT_CACHE/KIND, else the platform's cache folder. Not created here."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser() / kind
    import platformdirs

    return Path(platformdirs.user_cache_dir("latentkit")) / kind


def next_free_name(folder: str | os.PathLike, stem: str, suffixes: tuple[str, ...] = (".h5", ".png")) -> str:
    """STEM-NNN, numbered one past the highest STEM-NNN with any of `suffixes` in `folder`, so a
    new file never takes an old one's name (callers hold a lock while they write it)."""
    import re

    pattern = re.compile(rf"{re.escape(stem)}-(\d+)({'|'.join(re.escape(s) for s in suffixes)})$")
    taken = [int(m.group(1)) for p in Path(folder).glob(f"{stem}-*") if (m := pattern.match(p.name))]
    return f"{stem}-{max(taken, default=0) + 1:03d}"


@contextmanager
def folder_lock(folder: str | os.PathLike, what: str) -> Iterator[None]:
    """Hold an exclusive lock on `folder` for the block; another process asking for it fails at
    once with one line. The lock file lives in the temp dir, keyed by the folder's real path,
    so nothing is left in the user's folder; the operating system drops the lock when the
    holder dies, so a killed run never leaves the folder locked."""
    import hashlib

    from filelock import FileLock, Timeout

    key = hashlib.sha256(os.fsencode(Path(folder).resolve())).hexdigest()[:24]
    user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")  # Windows has no uid
    locks = Path(tempfile.gettempdir()) / f"latentkit-locks-{user}"
    try:
        locks.mkdir(mode=0o700, exist_ok=True)
        lock = FileLock(locks / f"{key}.lock", timeout=0)
        lock.acquire()
    except Timeout:
        raise OutputError(f"another latentkit process is writing {what} into {folder}; "
                          "wait for it to finish or pick another --out") from None
    except OSError as err:
        raise OutputError(f"cannot lock {folder} ({_reason(err)} in {locks}); set TMPDIR to a writable "
                          "folder") from None
    try:
        yield
    finally:
        lock.release()


def write_json(path: str | os.PathLike, data: dict[str, Any]) -> None:
    """Write `data` as indented JSON, atomically. Non-finite numbers become null, since JSON
    has no NaN or Infinity."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(_finite(data), indent=2, sort_keys=False, allow_nan=False) + "\n")


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


def _reason(err: OSError) -> str:
    if err.errno == errno.ENOSPC:
        return "the disk is full"
    return err.strerror or str(err) or type(err).__name__


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
