"""Latent-space analyses: one module per analysis (interpolate, sweep, map, plane, eval and its
truncation sweep, directions, edit, invert, explore).

The package exports each analysis function and result class, so a notebook needs one import:

    from latentkit.analyses import interpolate, sweep
    r = interpolate(g, clf, [9, 4], steps=10)        # an InterpolationResult
    fig = r.plot()

An analysis registers itself by being a module here: importing the package imports each one
(which adds its result class to results.stored's registry, for `plot`, `show` and tables) and
exports the names in its `__all__`. `latentkit.analyses.sweep` is therefore the sweep *function*;
reach a module's other names with `from latentkit.analyses.sweep import plot_sweep` (or
importlib.import_module).
"""

import importlib as _importlib
import pkgutil as _pkgutil

__all__: list[str] = []
for _info in sorted(_pkgutil.iter_modules(__path__), key=lambda info: info.name):
    # Importing a submodule binds the package attribute to the module; the names it exports
    # are bound after, so `latentkit.analyses.sweep` is the function (later imports of the
    # submodule find it in sys.modules and leave the function in place).
    _module = _importlib.import_module(f"{__name__}.{_info.name}")
    for _name in getattr(_module, "__all__", ()):
        globals()[_name] = getattr(_module, _name)
        __all__.append(_name)
