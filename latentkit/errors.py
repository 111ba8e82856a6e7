"""The library's own exceptions.

The library raises these and never prints; the CLI turns each one into a single
`Error: ...` line. Every message names the problem *and* the fix.
"""


class LatentkitError(Exception):
    """Base class: anything a user can cause and fix."""

    exit_code = 1  # what the CLI exits with


class ConfigError(LatentkitError, ValueError):
    """A parameter is out of range or names something that does not exist."""


class DataError(LatentkitError):
    """A dataset cannot be found, downloaded or read."""


class CheckpointError(LatentkitError):
    """A weights file or training checkpoint is missing, corrupt or incompatible."""


class ResultFileError(LatentkitError):
    """An analysis result file is missing, not HDF5, or not written by latentkit."""


class OutputError(LatentkitError):
    """A result or run folder cannot be written (read-only, a file in the way, full disk, locked)."""


class Interrupted(LatentkitError):
    """Ctrl-C: the work stopped, and no half-written file was left."""

    exit_code = 130


class TrainingError(LatentkitError):
    """Training stopped: diverged (NaN/inf) or was interrupted."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


def first_line(err: BaseException, limit: int = 300) -> str:
    """An exception's message on one line (its type name if it has none), for error messages."""
    text = " ".join(str(err).split())
    return text[:limit] if text else type(err).__name__
