"""latentkit eval: the metric table on real data with tiny models, its file, its CLI."""

import json

import numpy as np
import pytest
from conftest import DATA_DIR, assert_one_line_error

from latentkit.analyses.evaluate import METRICS, EvalResult, evaluate, format_table
from latentkit.errors import ConfigError
from latentkit.generator.weights import save_weights

QUICK_TIER = False  # whole analyses and commands, not units
VAE_ONLY = {"elbo", "elbo_reconstruction", "elbo_kl", "active_dims"}  # eval measures these for a VAE alone


@pytest.fixture(scope="module")
def result(known_generator, random_classifier):
    return evaluate(known_generator, random_classifier, samples=300, ppl_paths=20, seed=1, data_dir=DATA_DIR)


def test_every_metric_has_a_generated_value_and_real_data_a_yardstick(result):
    for name, entry in result.metrics.items():
        assert np.isfinite(entry["generated"]), name
        in_latent_space = name.startswith("ppl_") or name == "linear_separability"  # real images have no z
        assert ("real" in entry) == (not in_latent_space), name
    m = result.metrics
    # An untrained generator is far from the data; training images are close to the test set.
    assert m["fid"]["generated"] > 10 * m["fid"]["real"]
    assert m["parzen_ll"]["generated"] < m["parzen_ll"]["real"]
    assert m["precision"]["real"] > m["precision"]["generated"]
    assert m["near_copies"]["real"] == pytest.approx(0.01, abs=0.004)  # the threshold is test's 1st percentile
    assert result.probs.shape == (300, 10) and result.path_lengths.shape == (4, 20)
    assert result.nn_distance.shape == (300,) and result.real_nn_distance.shape == (300,)
    assert result.params["parzen_sigma"] in [pytest.approx(s) for s in np.logspace(-1, 0, 10)]
    entropies = result.params["separability_entropies"]
    assert len(entropies) == 10 and m["linear_separability"]["generated"] == pytest.approx(2 ** sum(entropies), 1e-4)


def test_the_closest_pairs_are_the_smallest_distances(result):
    order = np.sort(result.nn_distance)[:8]
    got = np.linalg.norm((result.closest_samples.astype(float) - result.closest_train) / 255, axis=(1, 2))
    assert np.allclose(got, order, atol=1e-3)


def test_without_yardstick_the_generated_column_is_unchanged(known_generator, random_classifier, result):
    quick = evaluate(known_generator, random_classifier, samples=300, ppl_paths=20, seed=1, data_dir=DATA_DIR,
                     yardstick=False)
    assert {k: v["generated"] for k, v in quick.metrics.items()} == \
        {k: v["generated"] for k, v in result.metrics.items()}
    assert not any("real" in v for v in quick.metrics.values())
    assert "-" in format_table(quick)


def test_table_lists_every_metric(result):
    table = format_table(result)
    assert all(name in table for name in result.metrics) and "±" in table
    assert set(METRICS) - set(result.metrics) == {"reachability", "reachability_mse", *VAE_ONLY}, \
        "only asked-for ones (and a VAE's, for a GAN) are absent"


def test_round_trip(result, tmp_path):
    result.save(tmp_path / "eval.h5", {"generator": "g"})
    back = EvalResult.load(tmp_path / "eval.h5")
    assert back.metrics == result.metrics and np.array_equal(back.nn_index, result.nn_index)


@pytest.mark.parametrize("kwargs, match", [({"samples": 5}, "samples"), ({"ppl_paths": 1}, "ppl-paths"),
                                           ({"samples": 60_000}, "samples")])
def test_bad_parameters(known_generator, random_classifier, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        evaluate(known_generator, random_classifier, **kwargs)


def test_cli_eval_json_file_and_replot(run_cli, tmp_path, known_generator):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("eval", "--model", "g.safetensors", "--samples", "200", "--ppl-paths", "10", "--json",
                     "--out", "o")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    asked = set(METRICS) - {"reachability", "reachability_mse", *VAE_ONLY}
    assert printed["samples"] == 200 and set(printed["metrics"]) == asked
    assert EvalResult.load(tmp_path / "o" / "eval.h5").metrics == printed["metrics"]
    assert run_cli("plot", "o/eval.h5", "--out", "again.png").exit_code == 0
    assert (tmp_path / "again.png").stat().st_size > 10_000
    assert_one_line_error(run_cli("eval", "--samples", "5"), "--samples")


def test_cli_eval_without_data_says_where_to_put_it(run_cli, offline, tmp_path):
    assert_one_line_error(run_cli("eval", "--data-dir", tmp_path / "nowhere"), "--data-dir", "LATENTKIT_DATA")


def test_cli_eval_without_yardstick_draws_its_figure(run_cli, tmp_path, known_generator):
    """It crashed in the figure (KeyError 'real') after all the work; only the library call was tested."""
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("eval", "--model", "g.safetensors", "--samples", "50", "--ppl-paths", "4", "--no-yardstick",
                     "--out", "o")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "o" / "eval.png").stat().st_size > 10_000
    assert "real" not in EvalResult.load(tmp_path / "o" / "eval.h5").metrics["fid"]
    assert run_cli("plot", "o/eval.h5", "--out", "again.png").exit_code == 0


def test_an_untrained_generator_is_called_noise_and_its_flattering_metrics_marked(tmp_path):
    """An untrained generator draws one grey image. The classifier before outlier exposure read it
    as one digit with certainty ("collapsed"), and it beat real data on confident fraction,
    nn_distance, near copies and PPL, unmarked; now it is noise, and those metrics are marked."""
    import torch

    from latentkit import load_classifier
    from latentkit.analyses.evaluate import MISLEADING_WHEN_DEGENERATE, plot_eval
    from latentkit.models import GANConfig, Generator

    torch.manual_seed(0)
    untrained = Generator(GANConfig("dcgan", 100, 8)).eval()
    result = evaluate(untrained, load_classifier(), samples=200, ppl_paths=4, data_dir=DATA_DIR, progress=False)
    assert result.params["quality_warning"] == "noise: the classifier reads only 0.0% of samples confidently"
    assert result.params["misleading_metrics"] == list(MISLEADING_WHEN_DEGENERATE)
    table = format_table(result).splitlines()
    marked = {line.split()[0] for line in table[1:] if " !" in line and not line.startswith("warning:")}
    # 200 samples are far too few for linear separability: it is marked too, with its own warning.
    assert marked == {*MISLEADING_WHEN_DEGENERATE, "linear_separability"}
    assert result.params["separability_warning"].startswith("linear_separability rests on fewer than 100 latents")
    assert table[-2] == f"warning: {result.params['separability_warning']}"
    assert table[-1].startswith(f"warning: {result.params['quality_warning']}")
    result.save(tmp_path / "eval.h5")
    assert EvalResult.load(tmp_path / "eval.h5").params["quality_warning"] == result.params["quality_warning"]
    assert result.params["quality_warning"] in plot_eval(result)._suptitle.get_text()


def test_the_bundled_generator_is_not_flagged():
    from latentkit import load_classifier, load_generator

    result = evaluate(load_generator(), load_classifier(), samples=300, ppl_paths=4, data_dir=DATA_DIR,
                      yardstick=False, progress=False)
    assert result.params["quality_warning"] is None and result.params["misleading_metrics"] == []
    # 300 samples are too few for linear separability alone, which says so; nothing else is marked.
    table = format_table(result).splitlines()
    assert [line.split()[0] for line in table if " !" in line] == ["linear_separability"]
    assert table[-1] == f"warning: {result.params['separability_warning']}"
