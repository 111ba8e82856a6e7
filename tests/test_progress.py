"""Progress on stderr for map, eval and the end of training; -q turns it off; the training bar fits 80 columns."""

import os
import re
import subprocess
import sys

import pytest
import torch

from latentkit.generator.sampling import generate_and_classify
from latentkit.generator.weights import save_weights
from latentkit.progress import Phases

QUICK_TIER = False  # whole analyses and commands, not units

TINY_TRAIN = ["train", "--width", "4", "--limit", "512", "--batch-size", "64", "--epochs", "1", "--out", "run"]


def test_phases_count_each_phase_once_whatever_fractions_were_reported():
    with Phases("x", 3, enabled=False) as bar:
        bar.start("a")
        bar.advance(0.3)
        bar.advance(0.3)
        bar.start("b")  # a's remaining 0.4 counted here
        assert bar.done == pytest.approx(1.0)
        bar.start("c")
        assert bar.done == pytest.approx(2.0)
    assert bar.done == pytest.approx(3.0)


def test_generation_with_a_bar_gives_the_same_arrays_and_fills_it(known_generator, random_classifier):
    z = known_generator.sample_latents(250, seed=0)
    with Phases("x", 1, enabled=False) as bar:
        bar.start("generating")
        chunked = generate_and_classify(known_generator, random_classifier, z, batch_size=100, features=True,
                                        bar=bar)  # 3 batches, the last one short
        assert bar.done == pytest.approx(1.0)
    whole = generate_and_classify(known_generator, random_classifier, z, features=True)
    for a, b in zip(chunked, whole, strict=True):
        assert torch.equal(a, b)


@pytest.mark.parametrize("quiet", [False, True])
def test_map_shows_progress_on_stderr_unless_quiet(run_cli, tmp_path, known_generator, quiet):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("map", "--model", "g.safetensors", "--samples", "300", "--method", "pca", "--out", "o",
                     *(["-q"] if quiet else []))
    assert result.exit_code == 0, result.output
    assert "wrote o/map.h5" in result.stdout and "map:" not in result.stdout
    shown = "map: generating 300 samples" in result.stderr and "map: pca of 300 points" in result.stderr
    assert shown is not quiet, result.stderr
    if quiet:
        assert result.stderr == ""


@pytest.mark.parametrize("quiet", [False, True])
def test_eval_names_each_metric_on_stderr_unless_quiet(run_cli, tmp_path, known_generator, quiet):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("eval", "--model", "g.safetensors", "--samples", "50", "--ppl-paths", "4", "--json",
                     "--out", "o", *(["-q"] if quiet else []))
    assert result.exit_code == 0, result.output
    phases = ["generating 50 samples", "fid (generated)", "kid (real)", "precision, recall (generated)",
              "density, coverage (real)", "ppl lerp end", "nearest training images", "parzen (real)"]
    for phase in phases:
        assert (f"eval: {phase}" in result.stderr) is not quiet, phase
    if quiet:
        assert result.stderr == ""


def test_the_end_of_training_shows_its_phases(run_cli, tmp_path):
    result = run_cli(*TINY_TRAIN, "--eval-samples", "300", "--classifier", "mnist-classifier")
    assert result.exit_code == 0, result.output
    for phase in ("weight-average BatchNorm statistics", "scoring 300 samples", "figures, progress.gif, weights"):
        assert f"finishing: {phase}" in result.stderr, phase
    assert "class entropy" in result.stdout.splitlines()[-1]
    assert run_cli(*TINY_TRAIN, "--epochs", "2", "--resume", "-q", "--eval-samples", "0").stderr == ""


@pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")
def test_training_bar_fits_80_columns(tmp_path):
    """At 80 columns tqdm's default layout cut the numbers mid-"D(x)" and drew a 1-character bar."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
    args = [*TINY_TRAIN, "--limit", "2048", "--eval-samples", "0", "--epochs", "15"]
    proc = subprocess.Popen([sys.executable, "-m", "latentkit", *args], cwd=tmp_path, stdout=subprocess.DEVNULL,
                            stderr=slave, env={**os.environ, "COLUMNS": "80"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    assert proc.wait() == 0
    lines = [line for line in b"".join(chunks).decode().replace("\n", "\r").split("\r") if "loss D/G" in line]
    assert lines, "no training bar was drawn"
    for line in lines:
        assert len(line) <= 80, line
        assert re.search(r"^epoch \d+/15 \|.{8,}\| .* left, loss D/G \d+\.\d\d/\d+\.\d\d D\(x\) 1?\.\d\d "
                         r"D\(G\(z\)\) 1?\.\d\d/1?\.\d\d$", line), line
