"""Bad input to the analysis commands: one `Error:` line, before any work, no output folder.

Each case here was measured to fail the promise before (a traceback, a hang, exit 130
"Aborted.", a silently ignored option or garbage drawn from NaN latents)."""

import numpy as np
import pytest
from conftest import assert_one_line_error

HUGE = str(10**12)


def _latent_files(folder):
    """Latent files a user might hand --from-z, each wrong in its own way."""
    (folder / "empty.npy").write_bytes(b"")
    np.savez(folder / "z.npz", z=np.zeros(100))
    np.save(folder / "strings.npy", np.array(["a"] * 100))
    np.save(folder / "structured.npy", np.zeros(100, dtype=[("a", "f4"), ("b", "i4")]))
    np.save(folder / "nan.npy", np.full(100, np.nan, dtype=np.float32))
    np.save(folder / "inf.npy", np.full(100, np.inf, dtype=np.float32))
    np.save(folder / "short.npy", np.zeros(7, dtype=np.float32))
    (folder / "garbage.npy").write_bytes(b"\x93NUMPY garbage")


CASES = [
    # sizes without an upper bound gave allocation tracebacks or hung
    (["interpolate", "--from", "9", "--to", "4", "--steps", HUGE], ["--steps", "1000"]),
    (["interpolate", "--from", "9", "--to", "4", "--pool", HUGE], ["--pool"]),
    (["interpolate", "--from", "9", "--to", "4", "--pairs", HUGE], ["--pairs"]),
    (["interpolate", "--from", "9", "--to", "4", "--refine", HUGE], ["--refine"]),
    (["sweep", "--dims", "1", "--samples", HUGE], ["--samples"]),
    (["sweep", "--dims", "1", "--range", "0:1:1000000000000"], ["COUNT from 1 to 1000"]),
    (["sweep", "--dims", "1", "--values", ",".join(["1"] * 1001)], ["at most 1000 items"]),
    (["map", "--samples", HUGE], ["--samples"]),
    (["plane", "--dims", "1,2", "--resolution", HUGE], ["--resolution"]),
    (["eval", "--samples", HUGE], ["--samples"]),
    (["eval", "--ppl-paths", HUGE], ["--ppl-paths"]),
    (["sweep", "--dims", "1", "--seed", str(2**70)], ["--seed"]),
    (["sweep", "--dims", "1", "--seed", "-1"], ["--seed"]),
    (["map", "--seed", str(2**64)], ["--seed"]),
    # non-finite numbers
    (["plane", "--dims", "1,2", "--extent", "inf"], ["--extent", "not in the range 0<x<="]),
    (["plane", "--dims", "1,2", "--extent", "nan"], ["--extent", "finite"]),
    (["plane", "--dims", "1,2", "--extent", "-1"], ["--extent"]),
    (["sweep", "--dims", "1", "--values", "nan,1"], ["every value must be a finite number"]),
    (["sweep", "--dims", "1", "--range", "0:inf:3"], ["finite START and STOP"]),
    # --from-z files
    (["interpolate", "--from-z", "empty.npy", "--to", "4"], ["the file is empty"]),
    (["interpolate", "--from-z", "z.npz", "--to", "4"], [".npz archive"]),
    (["interpolate", "--from-z", "strings.npy", "--to", "4"], ["not numbers"]),
    (["interpolate", "--from-z", "structured.npy", "--to", "4"], ["not numbers"]),
    (["interpolate", "--from-z", "nan.npy", "--to", "4"], ["NaN or infinite"]),
    (["interpolate", "--from-z", "inf.npy", "--to", "4"], ["NaN or infinite"]),
    (["interpolate", "--from-z", "short.npy", "--to", "4"], ["7 values", "needs 100"]),
    (["interpolate", "--from-z", "garbage.npy", "--to", "4"], ["cannot read a latent"]),
    # conflicting options were silently resolved
    (["interpolate", "--from", "9", "--from-z", "short.npy", "--to", "4"], ["give one: --from", "not several"]),
    (["interpolate", "--from", "9", "--to", "4", "--to-z", "short.npy"], ["give one: --to", "not several"]),
    (["plane", "--anchors", "9,4,7", "--dims", "1,2"], ["not both"]),
    (["plane", "--anchors", "9,4,7", "--extent", "2"], ["not both"]),
    (["sweep", "--dims", "1", "--rank"], ["--dims or --rank"]),
    (["sweep", "--dims", "1", "--values", "1,2", "--range", "0:1:3"], ["--values or --range"]),
    (["sweep", "--dims", "5,5"], ["repeat a coordinate"]),
    # names that mislead or are empty
    (["sweep", "--dims", "1", "--model", ""], ["generator name is empty"]),
    (["sweep", "--dims", "1", "--classifier", ""], ["classifier name is empty"]),
    (["sweep", "--dims", "1", "--model", "mnist-classifier"], ["holds a classifier, not a generator"]),
    (["sweep", "--dims", "1", "--classifier", "mnist-dcgan"], ["holds a generator, not a classifier"]),
    (["sweep", "--dims", "1", "--model", "nope.py:make"], ["no Python file nope.py"]),
]


@pytest.mark.parametrize("args,fragments", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_gives_one_line_and_no_output(run_cli, tmp_path, args, fragments):
    _latent_files(tmp_path)
    assert_one_line_error(run_cli(*args, "--out", "o"), *fragments)
    assert not (tmp_path / "o").exists(), "no partial output"


def test_an_empty_out_is_refused(run_cli, tmp_path):
    """It used to mean the default folder, so the run wrote somewhere the user did not say."""
    assert_one_line_error(run_cli("sweep", "--dims", "1", "--out", ""), "--out is empty")
    assert not (tmp_path / "latentkit-out").exists()
