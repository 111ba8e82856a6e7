"""latentkit compare (analyses/compare.py): known answers. A model compared with itself differs
by exactly nothing; the same model truncated trades recall for precision; a user's own generator
takes part; the result round-trips and bad requests fail before any work."""

import numpy as np
import pytest
from conftest import assert_one_line_error

from latentkit.analyses.compare import CompareResult, compare, format_table
from latentkit.errors import ConfigError
from latentkit.generator.handle import Models

QUICK_TIER = False  # whole analyses

SMALL = dict(samples=300, seeds=2, ppl_paths=10, reachability=0, paths=2, steps=5, progress=False)

USER_GENERATOR = '''
import torch
from torch import nn

import latentkit


def make():
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(8, 64), nn.ReLU(), nn.Linear(64, 784), nn.Sigmoid(), nn.Unflatten(1, (1, 28, 28)))
    return latentkit.wrap_generator(net, latent_dim=8, value_range=(0, 1))
'''


def test_a_user_generator_compared_with_itself_differs_by_exactly_nothing(run_cli, tmp_path):
    """An untrained one: no latent of it is read as a 9, so the 9→4 figures are missing, and say why."""
    (tmp_path / "mine.py").write_text(USER_GENERATOR)
    result = run_cli("compare", "mine.py:make", "mine.py:make", "--samples", "100", "--seeds", "2", "--ppl-paths",
                     "4", "--reachability", "10", "--paths", "2", "--steps", "4", "--pairs", "9:4", "--out", "o", "-q")
    assert result.exit_code == 0, result.output
    r = CompareResult.load(tmp_path / "o" / "compare.h5")
    assert r.names == ["mine.py:make #1", "mine.py:make #2"]
    delta, spread = r.difference(1)
    assert np.all(delta[~np.isnan(delta)] == 0) and not r.notable(1).any()
    assert "reachability" in r.figures and np.isnan(r.values[:, r.figures.index("changes 9→4")]).all()
    assert "not measured: mine.py:make #1, seed 0, 9→4: only 0 of 2048 samples are read as class 9" in result.output
    assert not np.isnan(r.spectrum[0, :8]).any(), "a Linear first layer: SeFa reads its 8 directions"
    assert (tmp_path / "o" / "compare.png").is_file() and "figure" in (tmp_path / "o" / "compare.txt").read_text()
    assert "*" not in result.output.split("mean ± standard deviation")[0]


def test_truncating_a_model_trades_recall_for_precision_beyond_the_seed_spread(tmp_path):
    plain, truncated = Models.load("mnist-dcgan"), Models.load("mnist-dcgan")
    r = compare([plain, truncated], ["psi 1", "psi 0.5"], truncations=[1.0, 0.5], pairs=[(3, 8)], **SMALL)
    delta, _ = r.difference(1)
    precision, recall = r.figures.index("precision"), r.figures.index("recall")
    assert delta[precision] > 0 > delta[recall], "truncation: more typical samples, less of the test set covered"
    assert r.notable(1)[recall], format_table(r)
    r.save(tmp_path / "c.h5")
    back = CompareResult.load(tmp_path / "c.h5")
    assert back.figures == r.figures and np.array_equal(back.values, r.values, equal_nan=True)
    assert "recall" in format_table(back) and back.draw() is not None


def test_bad_requests_fail_before_any_work(run_cli):
    g = Models.load("mnist-dcgan")
    with pytest.raises(ConfigError, match="at least two models"):
        compare([g], **SMALL)
    with pytest.raises(ConfigError, match="one dataset"):
        compare([g, Models.load("fashion-mnist-dcgan")], **SMALL)
    with pytest.raises(ConfigError, match="two different classes"):
        compare([g, g], pairs=[(3, 3)], **SMALL)
    assert_one_line_error(run_cli("compare", "mnist-dcgan", "mnist-vae", "--truncation", "1", "--truncation", "0.7",
                                  "--truncation", "0.5"), "3 --truncation values for 2 models")
    assert_one_line_error(run_cli("compare", "mnist-dcgan", "mnist-vae", "--pairs", "3:banana"), "banana")
