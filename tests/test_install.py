"""A built wheel installs latentkit under one namespace and carries the bundled weights."""

import subprocess
import sys
import zipfile

from conftest import REPO

QUICK_TIER = False  # its tests train, install or start processes and pages themselves


def test_wheel_contains_and_loads_bundled_weights(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(tmp_path / "dist"), str(REPO)], check=True)
    wheel = next((tmp_path / "dist").glob("latentkit-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "latentkit/trained/mnist-dcgan.safetensors" in names
    assert "latentkit/trained/mnist-classifier.json" in names
    assert "latentkit/cli/main.py" in names and "latentkit/analyses/__init__.py" in names
    top_level = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top_level == {"latentkit"}, f"generic top-level names leak into site-packages: {top_level}"

    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True)
    code = ("import latentkit, torch; g = latentkit.load_generator(); c = latentkit.load_classifier();"
            "print(latentkit.__file__); print(c(g(g.sample_latents(4, seed=0))).shape)")
    env = {"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    location, shape = done.stdout.split("\n")[:2]
    assert location.startswith(str(target)) and shape == "torch.Size([4, 10])"


def test_a_checkout_imports_the_top_level_folders_as_subpackages(tmp_path):
    """Without the editable install's finder, `import latentkit.analyses` still works from a checkout,
    so tools that read the source (IDEs, ruff, a plain PYTHONPATH) see the installed layout."""
    code = ("import sys; sys.meta_path = [f for f in sys.meta_path if 'editable' not in repr(f).lower()];"
            f"sys.path.insert(0, {str(REPO)!r});"
            "import latentkit.analyses.sweep, latentkit.cli.main, latentkit.trained;"
            "print(sys.modules['latentkit.analyses.sweep'].__file__)")
    done = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == str(REPO / "analyses" / "sweep.py")
