"""A hostile pass over the CLI: bad input, every command and option, each as a real process.

    python benchmarks/hostile.py                  # every case (a few minutes)
    python benchmarks/hostile.py --only plot      # cases whose name or command holds "plot"
    python benchmarks/hostile.py --list           # the cases, not run

Each case runs `python -m latentkit ...` in a fresh temporary folder with $LATENTKIT_DATA set and
a timeout. An *error* case passes when the process exits non-zero, stderr is exactly one line
starting with "Error: " and has no traceback, nothing new is left in the folder (no output
folder, no temporaries) and no input file changed, and, where the case says so, it failed within
its time limit (a cheap check must not wait for expensive work).

Two more kinds check that work is never lost:
  kill   `latentkit train` is SIGKILLed at a given point; `--resume` must then finish and
         write generator.safetensors (or, if the kill came before any checkpoint, refuse with
         one line and a plain re-run must succeed), with no temporaries left.
  sigint `latentkit map` gets Ctrl-C (SIGINT to its process group) at a given point; it must exit
         130 or 0 with no traceback, leave nothing or a complete map.h5 + map.png, and the next
         run into that folder must leave no .tmp files.

Not part of pytest: it takes minutes and measures behaviour under load. Exits 1 if any case fails.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = Path(os.environ.get("LATENTKIT_DATA") or REPO.parent / "shared" / "data")

BIG = str(10**12)
CHEAP = 20.0  # seconds: a check that needs no model, data or work must answer within this
LONG_NAME = "d" * 300  # longer than any file system's name limit (255 bytes)
PROC = "/proc/latentkit-x"  # a folder nobody can create


@dataclass(frozen=True)
class Case:
    """One hostile run. `args` follow `latentkit`; relative paths are inside the case's folder,
    and names of FIXTURES among them are made there first."""

    name: str
    args: tuple[str, ...]
    fast: float | None = CHEAP  # the run must end within this many seconds (None: no limit)
    kind: str = "error"  # "error", "kill" or "sigint"
    at: str = ""  # kill/sigint: when ("1s", "3s", "checkpoint", "end", "tmp", ...)

    @property
    def command(self) -> str:
        import shlex

        return shlex.join(["latentkit", *self.args])


# --- the cases ----------------------------------------------------------------------------

TRAIN = ("train", "--width", "4", "--limit", "512", "--epochs", "1", "--eval-samples", "0", "-q")
CLF = ("train-classifier", "--width", "2", "--limit", "512", "--epochs", "1", "-q")
ENDS = ("--from", "9", "--to", "4")
ANALYSES = {  # each analysis with small settings that would succeed
    "interpolate": ("interpolate", *ENDS, "--pool", "64"),
    "sweep": ("sweep", "--dims", "1", "--samples", "1"),
    "map": ("map", "--samples", "20", "--method", "pca"),
    "plane": ("plane", "--dims", "1,2", "--resolution", "4"),
    "eval": ("eval", "--samples", "20", "--ppl-paths", "4", "--no-yardstick"),
    "directions": ("directions", "--method", "sefa", "--top", "2", "--probes", "2", "--steps", "3"),
    "edit": ("edit", "--toward", "8", "--samples", "2", "--steps", "3", "--fit-samples", "500"),
}
COMMANDS = {**ANALYSES, "train": TRAIN, "train-classifier": CLF}
MISMATCH = ("--model", "fashion-mnist-dcgan", "--classifier", "mnist-classifier")


def _cases() -> list[Case]:
    c: list[Case] = []

    def add(name, *args, fast=CHEAP, kind="error", at=""):
        c.append(Case(name, tuple(str(a) for a in args), fast, kind, at))

    # huge sizes: the last occurrence of an option wins in click, so append the bad value
    huge = [("interpolate", o) for o in ("--steps", "--pool", "--pairs", "--refine")]
    huge += [("sweep", "--samples"), ("map", "--samples"), ("plane", "--resolution"),
             ("eval", "--samples"), ("eval", "--ppl-paths")]
    huge += [("directions", o) for o in ("--samples", "--probes", "--top", "--steps")]
    huge += [("edit", o) for o in ("--samples", "--steps", "--fit-samples", "--pool")]
    huge += [("train", o) for o in ("--latent-dim", "--width", "--epochs", "--batch-size", "--eval-samples",
                                    "--limit")]
    huge += [("train-classifier", o) for o in ("--epochs", "--batch-size", "--width", "--limit")]
    for cmd, opt in huge:
        add(f"{cmd}/{opt[2:]}-huge", *COMMANDS[cmd], opt, BIG)
    add("sweep/range-count-huge", "sweep", "--dims", "1", "--samples", "1", "--range", f"0:1:{BIG}")
    add("sweep/dims-huge", "sweep", "--dims", BIG, "--samples", "1")
    add("sweep/values-many", "sweep", "--dims", "1", "--samples", "1", "--values", ",".join(["0"] * 20_000))

    # seeds out of range
    for cmd, base in COMMANDS.items():
        add(f"{cmd}/seed-2**70", *base, "--seed", str(2**70))
        add(f"{cmd}/seed-negative", *base, "--seed", "-1")

    # nan / inf for every float option
    for value in ("nan", "inf", "-inf"):
        add(f"train/lr-{value}", *TRAIN, "--lr", value)
        add(f"train/max-minutes-{value}", *TRAIN, "--max-minutes", value)
        add(f"train/ema-{value}", *TRAIN, "--ema", value)
        add(f"train-classifier/lr-{value}", *CLF, "--lr", value)
        add(f"plane/extent-{value}", *ANALYSES["plane"], "--extent", value)
        add(f"sweep/values-{value}", "sweep", "--dims", "1", "--samples", "1", "--values", f"0,{value}")
    add("sweep/range-nan", "sweep", "--dims", "1", "--samples", "1", "--range", "nan:1:3")
    add("sweep/range-inf", "sweep", "--dims", "1", "--samples", "1", "--range", "0:inf:3")
    add("plane/extent-1e300", *ANALYSES["plane"], "--extent", "1e300")
    for value in ("nan", "inf", "-1", "0", "1e300"):
        add(f"directions/strength-{value}", *ANALYSES["directions"], "--strength", value)
    for value in ("0:nan", "0:inf:3", "0:1e300", "abc", "0:1:1", "0:1:x", "1:2:3:4"):
        add(f"edit/strength-{value}", *ANALYSES["edit"], "--strength", value)
    add("train/lr-negative", *TRAIN, "--lr", "-0.1")

    # empty strings
    for cmd in ANALYSES:
        add(f"{cmd}/model-empty", *ANALYSES[cmd], "--model", "")
    for cmd in ("map", "eval", "train"):
        add(f"{cmd}/classifier-empty", *COMMANDS[cmd], "--classifier", "", *(("--eval-samples", "20")
                                                                            if cmd == "train" else ()))
    add("sweep/dims-empty", "sweep", "--dims", "", "--samples", "1")
    add("plane/anchors-empty", "plane", "--anchors", "", "--resolution", "4")
    add("map/out-empty", *ANALYSES["map"], "--out", "")
    add("sweep/values-empty", "sweep", "--dims", "1", "--samples", "1", "--values", "")

    # wrong kinds of model
    add("map/model-is-classifier", *ANALYSES["map"], "--model", "mnist-classifier")
    add("map/classifier-is-generator", *ANALYSES["map"], "--classifier", "mnist-dcgan")
    add("eval/model-is-classifier", *ANALYSES["eval"], "--model", "mnist-classifier")
    add("train/classifier-is-generator", *TRAIN, "--eval-samples", "20", "--classifier", "mnist-dcgan")
    for cmd in ("map", "eval", "interpolate"):
        add(f"{cmd}/fashion-generator-mnist-classifier", *ANALYSES[cmd], *MISMATCH)
    add("train/fashion-data-mnist-classifier", *TRAIN, "--dataset", "fashion-mnist", "--eval-samples", "20",
        "--classifier", "mnist-classifier")

    # --from-z / --to-z files
    for z in ("missing.npy", "z_garbage.npy", "z_empty.npy", "z.npz", "z_str.npy", "z_nan.npy", "z_short.npy",
              "z_2d.npy", "afolder"):
        add(f"interpolate/from-z-{z}", "interpolate", "--from-z", z, "--to", "4", "--pool", "64")
    add("interpolate/to-z-nan", "interpolate", "--from", "9", "--to-z", "z_nan.npy", "--pool", "64")

    # conflicting options
    add("interpolate/from-and-from-z", "interpolate", "--from", "9", "--from-z", "z_ok.npy", "--to", "4")
    add("interpolate/no-endpoints", "interpolate", "--pool", "64")
    add("plane/anchors-and-dims", "plane", "--anchors", "9,4,7", "--dims", "1,2", "--resolution", "4")
    add("plane/anchors-and-extent", "plane", "--anchors", "9,4,7", "--extent", "2", "--resolution", "4")
    add("sweep/dims-and-rank", "sweep", "--dims", "1", "--rank", "--samples", "1")
    add("sweep/values-and-range", "sweep", "--dims", "1", "--values", "1,2", "--range", "0:1:3", "--samples", "1")

    # bad classes and coordinates
    for frm, to, via in (("10", "4", None), ("-1", "4", None), ("9", "4", "11"), ("x", "4", None)):
        extra = ("--via", via) if via else ()
        add(f"interpolate/classes-{frm}-{to}-{via}", "interpolate", "--from", frm, "--to", to, *extra,
            "--pool", "64")
    for anchors in ("9,4", "9,4,12", "a,b,c", "9,4,7,1", "-1,4,7"):
        add(f"plane/anchors-{anchors}", "plane", "--anchors", anchors, "--resolution", "4")
    for dims in ("1,1", "100,1", "-1,2", "1", "1,2,3"):
        add(f"plane/dims-{dims}", "plane", "--dims", dims, "--resolution", "4")
    for dims in ("100", "-1", "1.5", "1,1"):
        add(f"sweep/dims-{dims}", "sweep", "--dims", dims, "--samples", "1")
    for rng in ("0:1", "0:1:0", "0:1:x", "1:0:-3"):
        add(f"sweep/range-{rng}", "sweep", "--dims", "1", "--samples", "1", "--range", rng)

    # directions: bad requests, wrong generators, wrong methods for an option
    for pairs in ("3:3", "3:12", "3-8", "3:8:1", "3:x", ",", "3:8,3:8"):
        add(f"directions/pairs-{pairs}", "directions", "--pairs", pairs, "--samples", "500")
    for extra in (("--condition-on", "12"), ("--condition-on", "x"), ("--condition-on", "1,1"),
                  ("--method", "sefa", "--samples", "500"), ("--method", "sefa", "--pairs", "3:8"),
                  ("--method", "mean", "--layer", "net.1"), ("--method", "classifier", "--top", "3"),
                  ("--method", "pca", "--layer", "nope", "--samples", "500"), ("--steps", "4"),
                  ("--method", "pca", "--samples", BIG), ("--method", "sefa", "--model", "abs.py:make"),
                  ("--method", "pca", "--model", "garbage.pt")):
        add(f"directions/{'-'.join(a.strip('-') for a in extra)[:60]}", "directions", *extra)
    # edit: conflicting and impossible requests, latents and direction files
    for extra in (("--toward", "8", "--direction", "dirs/directions.h5:sefa0"), ("--samples", "2"),
                  ("--from", "3", "--toward", "3"), ("--toward", "12"), ("--toward", "x"),
                  ("--toward", "all", "--boundary", "pair"), ("--toward", "8", "--boundary", "pair"),
                  ("--toward", "8", "--condition-on", "12"), ("--toward", "8", "--from", "sneaker"),
                  ("--direction", "dirs/directions.h5:sefa0", "--condition-on", "1"),
                  ("--direction", "dirs/directions.h5"), ("--direction", "dirs/directions.h5:99"),
                  ("--direction", "dirs/directions.h5:nope"), ("--direction", "missing.h5:0"),
                  ("--direction", "res.h5:0"), ("--direction", "trunc.h5:0"), ("--direction", "notes.txt:0"),
                  ("--toward", "8", "--z", "z_ok.npy", "--from", "3"), ("--toward", "8", "--z", "z_ok.npy",
                                                                         "--samples", "3")):
        add(f"edit/{'-'.join(a.strip('-') for a in extra)[:60]}", "edit", *extra, "--fit-samples", "500")
    for z in ("missing.npy", "z_garbage.npy", "z_empty.npy", "z.npz", "z_str.npy", "z_nan.npy", "z_short.npy",
              "afolder"):
        add(f"edit/z-{z}", "edit", "--toward", "8", "--z", z, "--fit-samples", "500")

    # real digits: invert and the analyses that start from them
    for extra in ((), ("black.png",), ("garbage.png",), ("afolder",), ("missing.png",), ("z_2d.npy",),
                  ("z_nan.npy",), ("notes.txt",), ("black.png", "--indices", "0:2"), ("--indices", "10000"),
                  ("--indices", "5:2"), ("--indices", "x"), ("--indices", f"0:{BIG}"),
                  ("--indices", "0", "--split", "validation"), ("--indices", "0", "--steps", BIG),
                  ("--indices", "0", "--restarts", BIG), ("--indices", "0", "--lr", "nan"),
                  ("--indices", "0", "--init", "encoder", "--model", "mnist-r004-mlp"),
                  ("--indices", "0", "--init", "encoder", "--encoder", "garbage.safetensors"),
                  ("--indices", "0", "--dataset", "fashion-mnist")):
        add(f"invert/{'-'.join(a.strip('-') for a in extra)[:60] or 'nothing'}", "invert", "--steps", "2", *extra)
    add("interpolate/from-test-huge", "interpolate", "--from-test", "99999", "--to", "4")
    add("interpolate/from-image-black", "interpolate", "--from-image", "black.png", "--to", "4")
    add("interpolate/from-image-missing", "interpolate", "--from-image", "missing.png", "--to", "4")
    add("interpolate/from-image-and-class", "interpolate", "--from-image", "black.png", "--from", "3", "--to", "4")
    add("edit/image-black", "edit", "--image", "black.png", "--toward", "8")
    add("map/with-real-huge", *ANALYSES["map"], "--with-real", BIG)
    add("eval/reachability-huge", *ANALYSES["eval"], "--reachability", BIG)

    # truncation, the truncation sweep and per-epoch scores
    for cmd in ANALYSES:
        for value in ("0", "-0.5", "1.5", "nan", "inf", "x", ""):
            add(f"{cmd}/truncation-{value or 'empty'}", *ANALYSES[cmd], "--truncation", value)
    for psis in ("1", "1,1", "1,0", "1,2", "1,nan", "a,b", ",", ",".join(["1"] * 2000)):
        add(f"eval/psis-{psis[:20]}", "eval", "--truncation-sweep", "--samples", "20", "--psis", psis)
    for extra in (("--ppl-paths", "4"), ("--reachability", "10"), ("--truncation", "0.5")):
        add(f"eval/truncation-sweep-with-{extra[0][2:]}", "eval", "--truncation-sweep", "--samples", "20", *extra)
    add("eval/psis-without-sweep", "eval", "--samples", "20", "--psis", "1,0.5")
    add("eval/truncation-sweep-samples-huge", "eval", "--truncation-sweep", "--samples", BIG)
    for extra in (("--score-every", "-1"), ("--score-every", BIG), ("--score-every", "1", "--eval-samples", "0"),
                  ("--score-every", "x")):
        add(f"train/{'-'.join(a.strip('-') for a in extra)}", *TRAIN, *extra)

    # result files for show and plot
    for cmd in ("show", "plot"):
        for h5 in ("missing.h5", "notes.txt", "empty.h5", "trunc.h5", "foreign.h5", "afolder"):
            add(f"{cmd}/{h5}", cmd, h5)
    add("plot/out-is-input", "plot", "res.h5", "--out", "res.h5")
    add("plot/out-parent-is-file", "plot", "res.h5", "--out", "afile/x.png")
    add("plot/out-proc", "plot", "res.h5", "--out", f"{PROC}/x.png")
    add("plot/out-long-name", "plot", "res.h5", "--out", f"{LONG_NAME}/x.png")
    add("plot/out-not-png", "plot", "res.h5", "--out", "x.txt")

    # outputs into places that cannot be written
    for cmd, base in COMMANDS.items():
        add(f"{cmd}/out-parent-is-file", *base, "--out", "afile/sub")
        add(f"{cmd}/out-proc", *base, "--out", PROC)
        add(f"{cmd}/out-long-name", *base, "--out", LONG_NAME)
    add("map/out-is-file", *ANALYSES["map"], "--out", "afile")
    add("train/resume-nothing", *TRAIN, "--resume", "--out", "runs/none")
    add("train/resume-not-a-run", *TRAIN, "--resume", "--out", "res")
    add("models/runs-dir-is-file", "models", "--runs-dir", "afile")

    # data folders
    add("eval/data-dir-empty", "eval", "--samples", "20", "--ppl-paths", "4", "--data-dir", "emptydata", fast=60)
    add("train/data-dir-empty", *TRAIN, "--data-dir", "emptydata", fast=60)
    add("train-classifier/data-dir-empty", *CLF, "--data-dir", "emptydata", fast=60)
    add("train/data-truncated", *TRAIN, "--data-dir", "truncdata")
    add("eval/data-truncated", "eval", "--samples", "20", "--ppl-paths", "4", "--data-dir", "truncdata")
    add("train/data-dir-is-file", *TRAIN, "--data-dir", "afile")

    # model specs
    for spec in ("nothere.py:make", "nofunc.py:make", "raises.py:make", "bad.py:make", "wrongshape.py:make",
                 "prints.py:make", "bad.py:", "garbage.pt", "garbage.safetensors", "no-such-model", "afolder",
                 "classifier_run", "truncated.safetensors"):
        add(f"map/model-{spec}", *ANALYSES["map"], "--model", spec)
    for spec in ("garbage.safetensors", "nothere.safetensors", "bad.py:make"):
        add(f"map/classifier-{spec}", *ANALYSES["map"], "--classifier", spec)
    add("train/resume-garbage-checkpoint", *TRAIN, "--resume", "--out", "garbage_run")
    add("map/device-mps-missing", *ANALYSES["map"], "--device", "mps")  # no Apple GPU on Linux

    # kills: work must never be lost
    for at in ("1s", "3s", "checkpoint", "end"):
        add(f"kill/train-{at}", fast=None, kind="kill", at=at)
    for at in ("1s", "3s", "6s", "tmp", "h5"):
        add(f"sigint/map-{at}", fast=None, kind="sigint", at=at)
    return c


CASES = _cases()


# --- fixtures: files the cases name, made once and copied into each case's folder -------------

def _make_fixtures(folder: Path, data: Path, log) -> None:
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    np.save(folder / "z_ok.npy", np.zeros(100, dtype=np.float32))
    (folder / "z_garbage.npy").write_bytes(os.urandom(4096))
    (folder / "z_empty.npy").write_bytes(b"")
    np.savez(folder / "z.npz", z=np.zeros(100, dtype=np.float32))
    np.save(folder / "z_str.npy", np.array(["a"] * 100))
    np.save(folder / "z_nan.npy", np.full(100, np.nan, dtype=np.float32))
    np.save(folder / "z_short.npy", np.zeros(7, dtype=np.float32))
    np.save(folder / "z_2d.npy", np.zeros((3, 100), dtype=np.float32))
    (folder / "afolder").mkdir(exist_ok=True)
    (folder / "afile").write_text("a file where a folder should be\n")
    (folder / "notes.txt").write_text("not a result file\n")
    (folder / "empty.h5").write_bytes(b"")
    (folder / "emptydata").mkdir(exist_ok=True)
    (folder / "garbage.pt").write_bytes(b"PK\x03\x04" + os.urandom(2048))
    (folder / "garbage.safetensors").write_bytes(os.urandom(2048))
    (folder / "nofunc.py").write_text("x = 1\n")
    from PIL import Image

    Image.new("L", (40, 40), 0).save(folder / "black.png")
    (folder / "garbage.png").write_bytes(b"\x89PNG\r\n" + os.urandom(512))
    (folder / "abs.py").write_text(  # a generator whose first layer sees |z|, not z: no SeFa
        "import torch\nimport latentkit\n\nclass G(torch.nn.Module):\n    def __init__(self):\n"
        "        super().__init__()\n        self.fc = torch.nn.Linear(100, 784)\n\n"
        "    def forward(self, z):\n        return torch.tanh(self.fc(z.abs()))\n\n"
        "def make():\n    return latentkit.wrap_generator(G(), latent_dim=100, value_range=(-1, 1))\n")
    (folder / "raises.py").write_text("def make():\n    raise RuntimeError('boom from make')\n")
    (folder / "bad.py").write_text("def make():\n    return 42\n")
    (folder / "wrongshape.py").write_text("import torch\n\ndef make():\n    return torch.nn.Linear(100, 10)\n")
    (folder / "prints.py").write_text("print('hello from make')\n\ndef make():\n    raise ValueError('nope')\n")
    garbage_run = folder / "garbage_run"
    garbage_run.mkdir(exist_ok=True)
    (garbage_run / "checkpoint.pt").write_bytes(os.urandom(1024))
    import h5py

    with h5py.File(folder / "foreign.h5", "w") as f:
        f["x"] = np.arange(10)
    # a real result (sweep.h5) and its truncated copy; a classifier run folder
    env = {**os.environ, "LATENTKIT_DATA": str(data)}
    made = subprocess.run([sys.executable, "-m", "latentkit", "sweep", "--dims", "1", "--samples", "1",
                           "--out", "res"], cwd=folder, env=env, capture_output=True, text=True, timeout=300)
    if made.returncode != 0 or not (folder / "res" / "sweep.h5").exists():
        log(f"warning: could not make the result fixture res/sweep.h5: {made.stderr.strip()[-300:]}")
        (folder / "res").mkdir(exist_ok=True)
        with h5py.File(folder / "res" / "sweep.h5", "w") as f:
            f["x"] = np.arange(10)
    shutil.copyfile(folder / "res" / "sweep.h5", folder / "res.h5")
    made = subprocess.run([sys.executable, "-m", "latentkit", *ANALYSES["directions"], "--out", "dirs"], cwd=folder,
                          env=env, capture_output=True, text=True, timeout=300)
    if made.returncode != 0:
        log(f"warning: could not make the directions fixture dirs/directions.h5: {made.stderr.strip()[-300:]}")
    whole = (folder / "res.h5").read_bytes()
    (folder / "trunc.h5").write_bytes(whole[: len(whole) // 2])
    clf = subprocess.run([sys.executable, "-m", "latentkit", *CLF, "--out", "classifier_run"], cwd=folder,
                         env=env, capture_output=True, text=True, timeout=600)
    if clf.returncode != 0:
        log(f"warning: could not make the classifier_run fixture: {clf.stderr.strip()[-300:]}")
    weights = folder / "classifier_run" / "classifier.safetensors"
    if weights.exists():
        (folder / "truncated.safetensors").write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    else:
        (folder / "truncated.safetensors").write_bytes(b"\x10\x00\x00\x00\x00\x00\x00\x00{")
    # a data folder whose train-images file is cut to half its bytes (the rest linked to the real data)
    for dataset in ("MNIST", "FashionMNIST"):
        raw = folder / "truncdata" / dataset / "raw"
        raw.mkdir(parents=True, exist_ok=True)
        for src in (data / dataset / "raw").iterdir():
            dst = raw / src.name
            if dst.exists() or dst.is_symlink():
                continue
            if src.name == "train-images-idx3-ubyte":
                with open(src, "rb") as f:
                    dst.write_bytes(f.read(src.stat().st_size // 2))
            else:
                dst.symlink_to(src.resolve())


def _fixture_names(fixtures: Path) -> list[str]:
    return sorted(p.name for p in fixtures.iterdir())


def _needed(case: Case, names: list[str]) -> list[str]:
    """Fixtures a case names (an argument equal to one, or starting with NAME/)."""
    need = []
    for name in names:
        if any(a == name or a.startswith(name + "/") or a.startswith(name + ":") for a in case.args):
            need.append(name)
    return need


def _stage(case: Case, fixtures: Path, folder: Path) -> None:
    for name in _needed(case, _fixture_names(fixtures)):
        src, dst = fixtures / name, folder / name
        if src.is_dir():
            shutil.copytree(src, dst, symlinks=True)
        else:
            shutil.copyfile(src, dst)


def _snapshot(folder: Path) -> dict[str, tuple[int, int]]:
    """Every path under `folder` (not following links) with (size, mtime_ns); folders have size -1."""
    snap = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs + files:
            p = Path(root) / name
            st = p.lstat()
            snap[str(p.relative_to(folder))] = (-1 if p.is_dir() and not p.is_symlink() else st.st_size,
                                                st.st_mtime_ns)
    return snap


# --- running ---------------------------------------------------------------------------------

@dataclass
class Outcome:
    case: Case
    rc: int | None = None
    lines: int = 0
    traceback: bool = False
    error_line: bool = False
    seconds: float = 0.0
    left: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    stderr: str = ""
    stdout: str = ""
    problems: list[str] = field(default_factory=list)
    note: str = ""

    @property
    def passed(self) -> bool:
        return not self.problems


class Runner:
    def __init__(self, data: Path, timeout: float, slack: float, keep: bool, workdir: Path):
        self.data, self.timeout, self.slack, self.keep, self.workdir = data, timeout, slack, keep, workdir
        self.fixtures = workdir / "fixtures"
        self.env = {**os.environ, "LATENTKIT_DATA": str(data), "PYTHONUNBUFFERED": "1"}
        self.env.pop("PYTHONWARNINGS", None)
        self.train_extra: tuple[str, ...] = ()

    def latentkit(self, args, cwd: Path, timeout: float | None = None) -> tuple[int | None, str, str, float]:
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "latentkit", *args], cwd=cwd, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            out, err = proc.communicate(timeout=timeout or self.timeout)
            rc = proc.returncode
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            rc = None
        return rc, out, err, time.monotonic() - start

    def folder(self, case: Case) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in case.name)[:80]
        return Path(tempfile.mkdtemp(prefix=f"{safe}.", dir=self.workdir))

    def run(self, case: Case) -> Outcome:
        folder = self.folder(case)
        try:
            if case.kind == "kill":
                return self.run_kill(case, folder)
            if case.kind == "sigint":
                return self.run_sigint(case, folder)
            return self.run_error(case, folder)
        finally:
            if not self.keep:
                shutil.rmtree(folder, ignore_errors=True)

    def run_error(self, case: Case, folder: Path) -> Outcome:
        _stage(case, self.fixtures, folder)
        before = _snapshot(folder)
        rc, out, err, seconds = self.latentkit(case.args, folder)
        after = _snapshot(folder)
        o = Outcome(case, rc, *_judge_stderr(err), seconds=seconds, stderr=err, stdout=out)
        o.left = sorted(p for p in after if p not in before)
        o.changed = sorted(p for p in before if p in after and after[p] != before[p] and before[p][0] != -1)
        o.changed += sorted(f"{p} (deleted)" for p in before if p not in after)
        if os.path.exists(PROC):
            o.left.append(PROC)
        if rc is None:
            o.problems.append(f"timed out after {self.timeout:.0f} s")
        elif rc == 0:
            o.problems.append("exit 0")
        if o.lines != 1:
            o.problems.append(f"{o.lines} stderr lines")
        if o.traceback:
            o.problems.append("traceback")
        if not o.error_line and o.lines:
            o.problems.append("no 'Error: '")
        if o.left:
            o.problems.append("left " + ", ".join(_short(p) for p in o.left[:4]) + (" ..." if len(o.left) > 4 else ""))
        if o.changed:
            o.problems.append("changed " + ", ".join(o.changed[:4]))
        if case.fast is not None and rc is not None and seconds > case.fast * self.slack:
            o.problems.append(f"slow ({seconds:.0f} s > {case.fast * self.slack:.0f} s)")
        return o

    # kill: SIGKILL a training run, then --resume must finish it
    def run_kill(self, case: Case, folder: Path) -> Outcome:
        out = folder / "runs" / "k"
        args = (*TRAIN[:6], "3", "--eval-samples", "0", "-q", *self.train_extra, "--out", "runs/k")
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "latentkit", *args], cwd=folder, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        fired = _wait_for(case.at, proc, start, lambda: _train_trigger(case.at, out))
        sent = time.monotonic() - start
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        o = Outcome(case)
        state = sorted(p.name for p in out.iterdir()) if out.is_dir() else []
        had_checkpoint = (out / "checkpoint.pt").exists()
        o.note = (f"killed at {sent:.1f} s" if fired else "finished before the kill") + \
            f"; left: {', '.join(state) or 'nothing'}"
        rc, sout, err, seconds = self.latentkit((*args, "--resume"), folder, timeout=max(self.timeout, 600))
        o.rc, o.seconds, o.stderr, o.stdout = rc, seconds, err, sout
        o.lines, o.traceback, o.error_line = _judge_stderr(err)
        if rc != 0 and not had_checkpoint and o.lines == 1 and o.error_line and not o.traceback:
            o.note += "; --resume refused (no checkpoint yet), so a plain re-run"
            rc, sout, err, seconds = self.latentkit(args, folder, timeout=max(self.timeout, 600))
            o.rc, o.seconds, o.stderr, o.stdout = rc, o.seconds + seconds, err, sout
            o.lines, o.traceback, o.error_line = _judge_stderr(err)
        if rc != 0:
            o.problems.append(f"{'--resume' if 'plain' not in o.note else 're-run'} exit {rc}: "
                              f"{err.strip().splitlines()[-1][:120] if err.strip() else ''}")
        if o.traceback:
            o.problems.append("traceback")
        if not (out / "generator.safetensors").exists():
            o.problems.append("no generator.safetensors")
        temps = [str(p.relative_to(folder)) for p in out.rglob("*.tmp")] if out.is_dir() else []
        if temps:
            o.problems.append("left " + ", ".join(temps[:3]))
        o.left = temps
        return o

    # sigint: Ctrl-C an analysis; nothing or a whole pair is left, and the next run cleans up
    def run_sigint(self, case: Case, folder: Path) -> Outcome:
        out = folder / "m"
        args = ("map", "--samples", "3000", "--method", "pca", "--out", "m")
        start = time.monotonic()
        proc = subprocess.Popen([sys.executable, "-m", "latentkit", *args], cwd=folder, env=self.env,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
        fired = _wait_for(case.at, proc, start, lambda: _map_trigger(case.at, out))
        sent = time.monotonic() - start
        if fired and proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        try:
            sout, err = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            sout, err = proc.communicate()
            err += "\n(did not stop within 120 s of Ctrl-C)"
        o = Outcome(case, proc.returncode, *_judge_stderr(err), seconds=time.monotonic() - start,
                    stderr=err, stdout=sout)
        visible = sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) if out.is_dir() else []
        hidden = sorted(p.name for p in out.iterdir() if p.name.startswith(".")) if out.is_dir() else []
        o.note = (f"Ctrl-C at {sent:.1f} s" if fired else "finished before Ctrl-C") + \
            f"; left: {', '.join(visible + hidden) or 'nothing'}"
        if o.rc not in (0, 130):
            o.problems.append(f"exit {o.rc}")
        if o.traceback:
            o.problems.append("traceback")
        if o.lines > 1:
            o.problems.append(f"{o.lines} stderr lines")
        if visible not in ([], ["map.h5", "map.png"]):
            o.problems.append("left " + ", ".join(visible))
        if visible == ["map.h5", "map.png"]:
            rc, _, err2, _ = self.latentkit(("show", "m/map.h5"), folder)
            if rc != 0:
                o.problems.append(f"map.h5 left is not readable: {err2.strip()[:100]}")
        rc, _, err2, _ = self.latentkit(("map", "--samples", "20", "--method", "pca", "--out", "m"), folder)
        lines2, tb2, error2 = _judge_stderr(err2)
        if rc != 0 and not (lines2 == 1 and error2 and not tb2):
            o.problems.append(f"next run into m/: exit {rc}, {lines2} stderr lines")
        temps = sorted(p.name for p in out.glob("*.tmp")) if out.is_dir() else []
        if temps:
            o.problems.append("after the next run, left " + ", ".join(temps[:3]))
        o.left = visible + temps
        return o


def _judge_stderr(err: str) -> tuple[int, bool, bool]:
    lines = [line for line in err.splitlines() if line.strip()]
    return len(lines), "Traceback" in err, bool(lines) and lines[0].startswith("Error: ")


def _short(path: str) -> str:
    return path if len(path) <= 40 else path[:37] + "..."


def _wait_for(at: str, proc: subprocess.Popen, start: float, ready) -> bool:
    """Block until the trigger `at` (seconds like "3s", or the `ready()` condition) or the process ends;
    True if the trigger came while the process still ran."""
    deadline = start + (float(at[:-1]) if at.endswith("s") and at[:-1].replace(".", "").isdigit() else 600)
    timed = at.endswith("s") and at[:-1].replace(".", "").isdigit()
    while proc.poll() is None:
        if timed and time.monotonic() >= deadline:
            return True
        if not timed and (ready() or time.monotonic() >= deadline):
            return True
        time.sleep(0.01)
    return False


def _train_trigger(at: str, out: Path) -> bool:
    if not out.is_dir():
        return False
    names = [p.name for p in out.iterdir()]
    if at == "checkpoint":
        return "checkpoint.pt" in names
    # end: the final artifacts (loss.png first) start to appear, or their temporaries
    return any(key in n for n in names for key in ("loss.png", "d_outputs.png", "samples.png", "generator."))


def _map_trigger(at: str, out: Path) -> bool:
    if not out.is_dir():
        return False
    names = [p.name for p in out.iterdir()]
    if at == "tmp":
        return any(n.endswith(".tmp") for n in names)
    return "map.h5" in names  # h5: the first file has landed, the pair not yet (maybe)


# --- report ----------------------------------------------------------------------------------

def _row(o: Outcome) -> str:
    first = o.stderr.strip().splitlines()[0] if o.stderr.strip() else ""
    verdict = "PASS" if o.passed else "FAIL"
    rc = "-" if o.rc is None else str(o.rc)
    why = "; ".join(o.problems) or o.note
    if o.passed and o.note:
        why = o.note
    return (f"{verdict}  {o.case.name[:44]:<44} {rc:>4} {o.lines:>3} {'y' if o.traceback else '-':>2} "
            f"{'y' if o.error_line else '-':>3} {o.seconds:>6.1f} {len(o.left):>4}  {why[:100]}"
            + (f"\n      stderr: {first[:150]}" if not o.passed and first else ""))


HEADER = f"{'':4}  {'case':<44} {'exit':>4} {'err':>3} {'tb':>2} {'Err':>3} {'secs':>6} {'left':>4}  problems / note"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--only", action="append", default=[], metavar="SUBSTRING",
                    help="run the cases whose name or command holds SUBSTRING (repeatable)")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--jobs", type=int, default=2, help="error cases run side by side (default 2)")
    ap.add_argument("--timeout", type=float, default=60, help="seconds before an error case is killed (default 60)")
    ap.add_argument("--slack", type=float, default=1.0,
                    help="multiply every time limit by this on a slow or busy machine (default 1)")
    ap.add_argument("--data-dir", type=Path, default=DEFAULT_DATA, help=f"LATENTKIT_DATA (default {DEFAULT_DATA})")
    ap.add_argument("--keep", action="store_true", help="keep each case's folder (printed) for inspection")
    ap.add_argument("--json", type=Path, help="also write one JSON line per case here")
    ap.add_argument("-v", "--verbose", action="store_true", help="print the whole stderr of failing cases")
    args = ap.parse_args(argv)

    cases = [c for c in CASES if not args.only or any(s in c.name or s in c.command for s in args.only)]
    if args.list:
        for c in cases:
            print(f"{c.name:<48} {c.kind:<6} {c.at or c.command}")
        print(f"{len(cases)} cases")
        return 0
    if not cases:
        print("no case matches --only", file=sys.stderr)
        return 2

    # Started in the background by a non-interactive shell, this process (and so every child) would
    # ignore SIGINT, and the sigint cases would test nothing: give the children the default action.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    workdir = Path(tempfile.mkdtemp(prefix="latentkit-hostile."))
    runner = Runner(args.data_dir.resolve(), args.timeout, args.slack, args.keep, workdir)
    lock = threading.Lock()

    def log(text: str) -> None:
        with lock:
            print(text, flush=True)

    t0 = time.monotonic()
    log(f"workdir {workdir}; data {runner.data}; python {sys.executable}")
    help_text = subprocess.run([sys.executable, "-m", "latentkit", "train", "--help"], capture_output=True,
                               text=True, env=runner.env).stdout
    if "--checkpoint-every" in help_text:
        runner.train_extra = ("--checkpoint-every", "0.5")
    else:
        log("note: train has no --checkpoint-every yet; kill cases use its default checkpointing")
    _make_fixtures(runner.fixtures, runner.data, log)
    log(f"fixtures made in {time.monotonic() - t0:.0f} s\n{HEADER}")

    outcomes: list[Outcome] = []

    def one(case: Case) -> Outcome:
        o = runner.run(case)
        log(_row(o))
        if args.verbose and not o.passed:
            log("      " + o.stderr.strip().replace("\n", "\n      ")[-3000:])
        return o

    errors = [c for c in cases if c.kind == "error"]
    timed = [c for c in cases if c.kind != "error"]  # timing-sensitive: one at a time, nothing beside them
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        outcomes += list(pool.map(one, errors))
    outcomes += [one(c) for c in timed]

    failed = [o for o in outcomes if not o.passed]
    print(f"\n{len(outcomes) - len(failed)} passed, {len(failed)} failed, of {len(outcomes)} cases "
          f"in {time.monotonic() - t0:.0f} s")
    if failed:
        print("failed: " + " ".join(o.case.name for o in failed))
    if args.json:
        with open(args.json, "w") as f:
            for o in outcomes:
                f.write(json.dumps({"case": o.case.name, "command": o.case.command, "kind": o.case.kind,
                                    "at": o.case.at, "passed": o.passed, "rc": o.rc, "stderr_lines": o.lines,
                                    "traceback": o.traceback, "error_line": o.error_line,
                                    "seconds": round(o.seconds, 2), "left": o.left, "changed": o.changed,
                                    "problems": o.problems, "note": o.note, "stderr": o.stderr[-2000:]}) + "\n")
    if args.keep:
        print(f"case folders kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
