"""Writing results without losing work: folders checked before work, a result and its
figure written as one unit, Ctrl-C while writing, locks, stale temporaries."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest
from conftest import assert_one_line_error

from latentkit.errors import OutputError
from latentkit.storage import atomic_paths, check_writable, folder_lock, held_interrupts

FAST_SWEEP = ["sweep", "--dims", "1", "--samples", "1"]


@pytest.mark.parametrize("out,match", [
    ("afile/sub", "is a file, not a folder"),
    ("/proc/latentkit-test/x", "cannot write into"),
    ("x" * 300, "longer than"),
])
def test_unwritable_output_folders_are_named_before_any_work(tmp_path, out, match):
    (tmp_path / "afile").write_text("in the way")
    before = sorted(os.listdir(tmp_path))
    with pytest.raises(OutputError, match=match):
        check_writable(out)
    assert sorted(os.listdir(tmp_path)) == before, "the check leaves nothing behind"


@pytest.mark.parametrize("command", [FAST_SWEEP, ["interpolate", "--from", "1", "--to", "2"],
                                     ["map", "--samples", "20"], ["plane", "--dims", "1,2"], ["eval"]])
def test_cli_refuses_an_unwritable_out_before_loading_models(run_cli, tmp_path, monkeypatch, command):
    from latentkit.generator.handle import Models

    def fail(*args, **kwargs):
        raise AssertionError("models were loaded before the output folder was checked")

    monkeypatch.setattr(Models, "load", fail)
    (tmp_path / "afile").write_text("")
    assert_one_line_error(run_cli(*command, "--out", "afile/o"), "afile is a file, not a folder")


def test_a_failed_member_leaves_no_file_of_the_group(tmp_path):
    with pytest.raises(RuntimeError):
        with atomic_paths([tmp_path / "r.h5", tmp_path / "r.png"]) as (h5, png):
            h5.write_text("result")
            raise RuntimeError("the figure failed")
    assert list(tmp_path.iterdir()) == []


def test_ctrl_c_is_held_until_the_block_ends():
    finished = []
    with pytest.raises(KeyboardInterrupt):
        with held_interrupts() as pressed:
            os.kill(os.getpid(), signal.SIGINT)
            finished.append(bool(pressed))
    assert finished == [True], "the block ran to its end and saw the key press"


def test_ctrl_c_while_writing_the_result_leaves_nothing(run_cli, tmp_path, monkeypatch):
    """The h5 is being written when Ctrl-C comes: nothing is committed, exit 130, one line."""
    from latentkit.results.stored import StoredResult

    save = StoredResult.save

    def interrupted_save(self, path, provenance=None):
        os.kill(os.getpid(), signal.SIGINT)  # arrives inside the write, as a real key press would
        return save(self, path, provenance)

    monkeypatch.setattr(StoredResult, "save", interrupted_save)
    result = run_cli(*FAST_SWEEP, "--out", "o")
    assert result.exit_code == 130 and "Ctrl-C" in result.stderr
    assert_one_line_error(result)
    assert not list((tmp_path / "o").glob("sweep*")) and not list((tmp_path / "o").glob(".*.tmp"))


def test_ctrl_c_while_drawing_the_figure_leaves_no_lone_h5(run_cli, tmp_path, monkeypatch):
    import latentkit.results.plotting

    save_figure = latentkit.results.plotting.save_figure

    def interrupted(fig, path, dpi=120):
        os.kill(os.getpid(), signal.SIGINT)
        return save_figure(fig, path, dpi)

    monkeypatch.setattr(latentkit.results.plotting, "save_figure", interrupted)
    assert run_cli(*FAST_SWEEP, "--out", "o").exit_code == 130
    assert not (tmp_path / "o" / "sweep.h5").exists() and not (tmp_path / "o" / "sweep.png").exists()


def test_a_rerun_replaces_the_whole_result(run_cli, tmp_path):
    assert run_cli("interpolate", "--from", "9", "--to", "4", "--steps", "3", "--gif", "--out", "o").exit_code == 0
    assert (tmp_path / "o" / "interpolate.gif").exists()
    assert run_cli("interpolate", "--from", "9", "--to", "4", "--steps", "3", "--out", "o").exit_code == 0
    assert not (tmp_path / "o" / "interpolate.gif").exists(), "no file outlives the result it came with"
    assert (tmp_path / "o" / "interpolate.png").exists()


def test_a_folder_another_run_is_writing_is_refused(run_cli, tmp_path):
    with folder_lock(tmp_path / "o", "a test"):
        assert_one_line_error(run_cli(*FAST_SWEEP, "--out", "o"), "another latentkit process is writing")
    assert run_cli(*FAST_SWEEP, "--out", "o").exit_code == 0, "the lock is gone with its holder"


def test_temporaries_of_a_killed_process_are_removed_by_the_next_write(run_cli, tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / "o").mkdir()
    orphan = tmp_path / "o" / f".sweep.h5.{dead.stdout.strip()}.abcd1234.tmp"
    orphan.write_bytes(b"half a file")
    live = tmp_path / "o" / f".sweep.h5.{os.getpid()}.abcd1234.tmp"  # a running writer's: kept
    live.write_bytes(b"being written")
    assert run_cli(*FAST_SWEEP, "--out", "o").exit_code == 0
    assert not orphan.exists() and live.exists()


def test_an_input_is_never_overwritten_by_the_result(run_cli, tmp_path):
    (tmp_path / "o").mkdir()
    np.save(tmp_path / "o" / "a.npy", np.zeros(100, dtype=np.float32))
    z = tmp_path / "o" / "interpolate.png"  # a latent file named like the figure the run would write
    np.save(tmp_path / "z.npy", np.ones(100, dtype=np.float32))
    os.rename(tmp_path / "z.npy", z)
    before = z.read_bytes()
    result = run_cli("interpolate", "--from-z", "o/a.npy", "--to-z", z, "--out", "o")
    assert_one_line_error(result, "is an input of this run")
    assert z.read_bytes() == before


def test_plot_into_an_unwritable_place_is_one_line(run_cli, tmp_path):
    """A 300-character folder name gave a 44-line traceback (hostile pass)."""
    assert run_cli(*FAST_SWEEP, "--out", "o").exit_code == 0
    before = sorted(os.listdir(tmp_path))
    assert_one_line_error(run_cli("plot", "o/sweep.h5", "--out", f"{'x' * 300}/x.png"), "longer than")
    assert sorted(os.listdir(tmp_path)) == before
