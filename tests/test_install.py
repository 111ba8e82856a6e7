"""A built wheel installs latentkit under one namespace and carries the bundled weights."""

import subprocess
import sys
import zipfile

from conftest import REPO


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
