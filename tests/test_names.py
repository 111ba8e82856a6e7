"""Class names: every spelling a user may type selects the right class; bad ones list the valid names."""

import pytest

from latentkit.errors import ConfigError
from latentkit.generator.sampling import check_class
from latentkit.names import CLASSES, class_choices, class_index

FASHION = CLASSES["fashion-mnist"]


@pytest.mark.parametrize("label,index", [
    ("ankle-boot", 9), ("Ankle boot", 9), ("ANKLE_BOOT", 9), ("ankleboot", 9), ("sneaker", 7), (" Bag ", 8),
    ("t-shirt", 0), ("tshirt", 0), ("top", 0), ("T-shirt/top", 0), ("shirt", 6), ("9", 9), (" 3 ", 3), (4, 4),
    ("12", 12), ("boot", None), ("", None), ("shirt-top", None),
])
def test_fashion_names(label, index):
    assert class_index(FASHION, label) == index


def test_choices_read_as_help_shows_them():
    assert class_choices(CLASSES["mnist"]) == "0-9"
    listed = class_choices(FASHION)
    assert listed.startswith("0 t-shirt, 1 trouser") and listed.endswith("7 sneaker, 8 bag, 9 ankle-boot")
    for item in listed.split(", "):  # every name help shows is accepted
        number, name = item.split(" ")
        assert class_index(FASHION, name) == int(number)


def test_check_class_resolves_and_refuses(random_classifier):
    assert check_class(random_classifier, "7") == 7 and check_class(random_classifier, 7) == 7
    with pytest.raises(ConfigError, match=r"mnist has no class 'sneaker'; give a number or a name: 0-9"):
        check_class(random_classifier, "sneaker")
    with pytest.raises(ConfigError, match=r"class 10 is outside 0..9"):
        check_class(random_classifier, 10)
    with pytest.raises(ConfigError, match=r"class -1 is outside"):
        check_class(random_classifier, "-1")
