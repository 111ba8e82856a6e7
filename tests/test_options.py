"""latentkit.options: stated options, checked with known answers."""

from dataclasses import dataclass

import pytest

from latentkit.errors import ConfigError
from latentkit.options import Option, check_values, describe_range, option, options_of, values_of

QUICK_TIER = True


@dataclass(frozen=True)
class Spec:
    steps: int = option(10, "Frames.", low=2, high=100)
    rate: float = option(0.5, "A rate.", low=0, high=1, low_open=True)
    method: str = option("slerp", "How.", choices=("slerp", "lerp"))
    top: int | None = option(None, "Kept.", kind="int", low=1, high=8, shown_default="4")
    gif: bool = option(False, "Also a GIF.")


def test_options_keep_their_defaults_and_order():
    assert list(options_of(Spec)) == ["steps", "rate", "method", "top", "gif"]
    assert Spec().steps == 10 and Spec().top is None
    assert values_of(Spec, Spec(steps=3)) == {"steps": 3, "rate": 0.5, "method": "slerp", "top": None, "gif": False}


@pytest.mark.parametrize("values", [{"steps": 2}, {"steps": 100}, {"rate": 1}, {"rate": 1e-9}, {"method": "lerp"},
                                    {"top": None}, {"top": 8}, {"gif": True}])
def test_values_inside_the_bounds_pass(values):
    check_values(Spec, values)


@pytest.mark.parametrize("values,message", [
    ({"steps": 1}, "steps must be an integer from 2 to 100, got 1"), ({"steps": 101}, "from 2 to 100"),
    ({"steps": 2.5}, "steps must be an integer"), ({"steps": True}, "must be an integer"),
    ({"rate": 0}, r"rate must be a finite number in \(0, 1\], got 0"),
    ({"rate": float("nan")}, "got nan"),
    ({"method": "walk"}, "unknown method 'walk'; choose one of: slerp, lerp"),
    ({"top": 0}, "top must be an integer from 1"),
    ({"gif": "yes"}, "gif is true or false"), ({"stpes": 3}, "no option 'stpes'; did you mean 'steps'"),
    ({"zzz": 3}, "the options are steps, rate, method, top, gif"),
])
def test_values_outside_the_bounds_are_refused_naming_the_option(values, message):
    with pytest.raises(ConfigError, match=message):
        check_values(Spec, values)


def test_ranges_read_as_a_user_would_write_them():
    assert describe_range(Option("h", low=0, high=1, low_open=True)) == "in (0, 1]"
    assert describe_range(Option("h", low=2)) == ">= 2"
    assert describe_range(Option("h", high=5, high_open=True)) == "< 5"
