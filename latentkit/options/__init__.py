"""Each analysis's options, stated once: default, bound and help, torch-free.

An analysis declares its tunable options as a frozen dataclass here (one module per analysis),
each field made by `option()`. The library takes its defaults from the instance and checks
values with `check_values` before any model loads; the CLI builds its click options from the
same fields (cli/common.py's `options_from`), so `--help` needs no torch and the two cannot
disagree.

    @dataclass(frozen=True)
    class InterpolateOptions:
        steps: int = option(10, "Frames per segment, both ends included.", low=2, high=MAX_STEPS)

    INTERPOLATE = InterpolateOptions()      # INTERPOLATE.steps == 10
    check_values(InterpolateOptions, {"steps": 1})   # ConfigError: steps must be from 2 to 1000
"""

from __future__ import annotations

import dataclasses
import difflib
import math
from dataclasses import dataclass
from typing import Any

from latentkit.errors import ConfigError


@dataclass(frozen=True)
class Option:
    """What a value may be, and what the option does."""

    help: str
    low: float | None = None  # bounds, inclusive unless *_open
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    choices: tuple[str, ...] | None = None
    kind: str = "int"  # "int", "float", "str" or "bool": what the CLI parses
    shown_default: str | None = None  # for a None default that means a value chosen later: "[default: 8]"


def option(default: Any, help: str, *, kind: str | None = None, **spec: Any) -> Any:
    """A dataclass field holding `default`, whose metadata is its Option. The kind is the
    default's type unless given (a None default needs one)."""
    kind = kind or {bool: "bool", int: "int", float: "float", str: "str"}[type(default)]
    return dataclasses.field(default=default, metadata={"option": Option(help, kind=kind, **spec)})


def options_of(spec: type) -> dict[str, tuple[Any, Option]]:
    """{name: (default, Option)} of an options dataclass, in declaration order."""
    return {f.name: (f.default, f.metadata["option"]) for f in dataclasses.fields(spec)}


def values_of(spec: type, source: Any) -> dict[str, Any]:
    """The values `source` (a config object) holds for each option of `spec`."""
    return {name: getattr(source, name) for name in options_of(spec)}


def check_values(spec: type, values: dict[str, Any]) -> None:
    """ConfigError for a name `spec` does not declare (naming the closest it does), or a value
    outside its bounds or choices; None passes where the default is None."""
    declared = options_of(spec)
    for name, value in values.items():
        if name not in declared:
            close = difflib.get_close_matches(name, declared, n=1)
            raise ConfigError(f"no option {name!r}; " + (f"did you mean {close[0]!r}?" if close
                                                         else f"the options are {', '.join(declared)}"))
        default, opt = declared[name]
        if value is None and default is None:
            continue
        _check(name.replace("_", "-"), value, opt)


def _check(flag: str, value: Any, opt: Option) -> None:
    if opt.choices is not None:
        if value not in opt.choices:
            raise ConfigError(f"unknown {flag} {value!r}; choose one of: {', '.join(opt.choices)}")
        return
    if opt.kind == "bool":
        if not isinstance(value, bool):
            raise ConfigError(f"{flag} is true or false (got {value!r})")
        return
    if opt.kind == "str":
        if not isinstance(value, str):
            raise ConfigError(f"{flag} must be a string (got {value!r})")
        return
    number_ok = isinstance(value, int) if opt.kind == "int" else isinstance(value, (int, float))
    ok = number_ok and not isinstance(value, bool) and math.isfinite(value)
    ok = ok and not (opt.low is not None and (value <= opt.low if opt.low_open else value < opt.low))
    ok = ok and not (opt.high is not None and (value >= opt.high if opt.high_open else value > opt.high))
    if not ok:  # worded as latentkit.limits' checks word it
        kind = "an integer" if opt.kind == "int" else "a finite number"
        raise ConfigError(f"{flag} must be {kind} {describe_range(opt)}, got {value!r}")


def describe_range(opt: Option) -> str:
    """'from 2 to 1000', '> 0', 'in (0, 1]'."""
    lo, hi = opt.low, opt.high
    if lo is not None and hi is not None:
        if not (opt.low_open or opt.high_open):
            return f"from {lo:g} to {hi:g}"
        return f"in {'(' if opt.low_open else '['}{lo:g}, {hi:g}{')' if opt.high_open else ']'}"
    if lo is not None:
        return f"{'>' if opt.low_open else '>='} {lo:g}"
    return f"{'<' if opt.high_open else '<='} {hi:g}"
