import numpy as np
import pytest
from conftest import assert_one_line_error

from latentkit.analyses.sweep import SweepResult, sweep
from latentkit.errors import ConfigError
from latentkit.generator.weights import save_weights


def test_shapes_and_the_swept_coordinate(known_generator, random_classifier):
    r = sweep(known_generator, random_classifier, dims=[1, 5], values=[-2, 0, 2], samples=4, seed=1)
    assert r.images.shape == (2, 4, 3, 28, 28) and r.probs.shape == (2, 4, 3, 10)
    assert r.base_images.shape == (4, 28, 28) and r.pixel_change.shape == (2,)
    again = sweep(known_generator, random_classifier, dims=[1, 5], values=[-2, 0, 2], samples=4, seed=1)
    assert np.array_equal(r.images, again.images), "same seed, same arrays"


def test_measures_find_the_dead_and_the_dominant_dim(known_generator, random_classifier):
    r = sweep(known_generator, random_classifier, dims=None, values=[-3, 3], samples=8)
    assert r.params["rank"] and list(r.dims) == list(range(8))
    assert r.pixel_change[3] == 0 and r.prob_shift[3] < 1e-6 and r.flip_rate[3] == 0
    assert r.ranking("pixel_change")[0] == 5 and r.ranking("pixel_change")[-1] == 3
    assert 0 <= r.flip_rate.min() and r.flip_rate.max() <= 1 and r.prob_shift.max() <= 1


def test_round_trip(known_generator, random_classifier, tmp_path):
    r = sweep(known_generator, random_classifier, dims=[0, 2], values=[-1, 1], samples=2)
    r.save(tmp_path / "s.h5", {"seed": 0})
    back = SweepResult.load(tmp_path / "s.h5")
    assert np.array_equal(back.images, r.images) and np.allclose(back.pixel_change, r.pixel_change)
    assert back.class_names == r.class_names and back.params == r.params


@pytest.mark.parametrize("kwargs,match", [
    (dict(dims=[5, 500]), r"dims \[500\] are outside the latent; this generator's dims are 0..7"),
    (dict(dims=[-1]), "outside the latent"),
    (dict(dims=[1], samples=0), "samples must be an integer from 1 to"),
    (dict(dims=[1], values=[float("nan")]), "finite"),
])
def test_bad_parameters(known_generator, random_classifier, kwargs, match):
    with pytest.raises(ConfigError, match=match):
        sweep(known_generator, random_classifier, **kwargs)


def test_cli_sweep_and_rank_write_results_that_replot(run_cli, tmp_path, known_generator):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    result = run_cli("sweep", "--model", "g.safetensors", "--dims", "3,5", "--range", "-3:3:5", "--out", "a")
    assert result.exit_code == 0, result.output
    r = SweepResult.load(tmp_path / "a" / "sweep.h5")
    assert list(r.values) == [-3, -1.5, 0, 1.5, 3] and r.pixel_change[0] == 0
    assert (tmp_path / "a" / "sweep.png").stat().st_size > 10_000
    ranked = run_cli("sweep", "--model", "g.safetensors", "--rank", "--samples", "4", "--out", "b")
    assert ranked.exit_code == 0, ranked.output
    assert SweepResult.load(tmp_path / "b" / "sweep.h5").ranking()[0] == 5
    assert run_cli("plot", "b/sweep.h5").exit_code == 0 and (tmp_path / "b" / "sweep.png").exists()


@pytest.mark.parametrize("args,fragments", [
    (["--dims", "5,500"], ["dims [500] are outside the latent"]),
    (["--dims", "5", "--samples", "0"], ["--samples"]),
    (["--dims", "5", "--values", "a,b"], ["'a,b' is not a comma-separated list of numbers"]),
    (["--dims", "5", "--range", "1:2"], ["START:STOP:COUNT"]),
    (["--dims", "five"], ["not a comma-separated list of integers"]),
    ([], ["give --dims"]),
])
def test_cli_bad_input(run_cli, tmp_path, known_generator, args, fragments):
    save_weights(known_generator, tmp_path / "g.safetensors", "generator")
    assert_one_line_error(run_cli("sweep", "--model", "g.safetensors", *args, "--out", "o"), *fragments)
    assert not (tmp_path / "o").exists()


def test_the_ranking_figure_shows_the_strongest_dims(known_generator, random_classifier):
    from latentkit.analyses.sweep import plot_ranking

    r = sweep(known_generator, random_classifier, dims=None, values=[-3, 0, 3], samples=2)
    fig = plot_ranking(r, shown=2)
    titles = [sub.get_suptitle() for sub in fig.subfigs[1].subfigs]
    assert titles == [f"z[{r.dims[i]}]" for i in r.ranking("pixel_change")[:2]] and titles[0] == "z[5]"
