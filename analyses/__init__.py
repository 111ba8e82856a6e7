"""Latent-space analyses (interpolate, sweep, map, plane, eval and its truncation sweep, directions, edit, invert):
one module per analysis.

The package exports each analysis function and result class, so a notebook needs one import:

    from latentkit.analyses import interpolate, sweep
    r = interpolate(g, clf, [9, 4], steps=10)        # an InterpolationResult
    fig = r.plot()

`latentkit.analyses.sweep` is therefore the sweep *function*; reach a module's other names
with `from latentkit.analyses.sweep import plot_sweep` (or importlib.import_module).
"""

# Each `from` below first imports the submodule, which binds the package attribute to the
# module, then rebinds that name to the function; later imports of the submodule find it
# in sys.modules and leave the function in place.
from latentkit.analyses.directions import DirectionsResult, find_directions
from latentkit.analyses.edit import EditResult, edit
from latentkit.analyses.evaluate import EvalResult, evaluate
from latentkit.analyses.interpolate import InterpolationResult, interpolate
from latentkit.analyses.invert import InvertResult, invert
from latentkit.analyses.latent_map import MapResult, latent_map
from latentkit.analyses.plane import PlaneResult, plane
from latentkit.analyses.sweep import SweepResult, sweep
from latentkit.analyses.truncation import TruncationResult, truncation_sweep

__all__ = [
    "DirectionsResult", "EditResult", "EvalResult", "InterpolationResult", "InvertResult", "MapResult", "PlaneResult",
    "SweepResult", "TruncationResult", "edit", "evaluate", "find_directions", "interpolate", "invert", "latent_map",
    "plane", "sweep", "truncation_sweep",
]
