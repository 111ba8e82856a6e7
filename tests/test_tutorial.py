"""docs/tutorial.md runs as written: its python blocks, in order, in one namespace."""

import re
from importlib.util import find_spec

import pytest
from conftest import REPO

QUICK_TIER = False  # its tests train, install or start processes and pages themselves

TUTORIAL = REPO / "docs" / "tutorial.md"
# ```python blocks; ```python needs-pandas ones run only where pandas is installed (it is optional).
BLOCK = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def blocks() -> list[tuple[str, str]]:
    return [(tags.strip(), code) for tags, code in BLOCK.findall(TUTORIAL.read_text(encoding="utf-8"))]


def test_tutorial_has_a_block_per_analysis():
    code = "\n".join(code for _, code in blocks())
    for call in ("interpolate(", "sweep(", "latent_map(", "plane(", "evaluate(", ".load(", ".plot()",
                 ".to_csv(", ".to_dataframe(", "h5py.File("):
        assert call in code, f"the tutorial never calls {call}"


def test_tutorial_runs(tmp_path):
    import matplotlib
    import matplotlib.pyplot as plt

    matplotlib.use("Agg")
    namespace: dict = {}
    ran = 0
    for number, (tags, code) in enumerate(blocks(), 1):
        if "needs-pandas" in tags and find_spec("pandas") is None:
            continue
        try:
            exec(compile(code, f"{TUTORIAL.name} block {number}", "exec"), namespace)
        except Exception as err:
            pytest.fail(f"block {number} of docs/tutorial.md failed: {type(err).__name__}: {err}\n{code}")
        finally:
            plt.close("all")
        ran += 1
    assert ran >= 9 and (tmp_path / "three-eight-zero.h5").is_file() and (tmp_path / "sweep-images.csv").is_file()
