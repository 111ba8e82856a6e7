"""Names and defaults the library and the CLI share, kept free of torch so `latentkit --help` is instant."""

from __future__ import annotations

import re

from latentkit.errors import ConfigError

# Class names per dataset, index = label.
CLASSES = {
    "mnist": [str(d) for d in range(10)],
    "fashion-mnist": [
        "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
    ],
}
DATASETS = tuple(CLASSES)
# Must match latentkit.models.zoo.ARCHS (a test checks it).
ARCH_NAMES = ("dcgan", "r000-dcgan28", "r001-mlp", "r001-dcgan32", "r002-dcgan64", "r003-dcgan32", "r004-mlp",
              "vae", "conv-vae")
VAE_ARCHS = ("vae", "conv-vae")  # the variational autoencoders among them


def default_latent_dim(arch: str) -> int:
    """The length of z an architecture trains with unless told: 100 as every GAN write-up, 20 for
    a VAE as pytorch/examples."""
    return 20 if arch in VAE_ARCHS else 100


GAN_LOSSES = ("bce", "hinge")  # training/step.py: dcgan's non-saturating BCE, SNGAN's hinge
LR_DECAYS = ("none", "linear")  # the learning rates' schedule over a run's epochs
DIFFAUGMENT_PARTS = ("color", "translation", "cutout")  # training/augment.py, in the order applied
DEVICES = ("auto", "cpu", "cuda", "mps")
TRUNCATION_PSIS = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3)  # the ψ eval --truncation-sweep tries
# An image is read as a class only when the classifier gives that class at least this probability;
# below it the reading is "unsure" (for junk, "not a digit"). Every claim of a class uses it.
CONFIDENT = 0.9


def class_keys(name: str) -> list[str]:
    """The spellings that select a class by name, first the one help shows: "Ankle boot" -> ["ankle-boot"];
    "T-shirt/top" -> ["t-shirt", "top", "t-shirt-top"] (each half of a "/" name works alone)."""
    return list(dict.fromkeys(_slug(part) for part in [*name.split("/"), name]))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def class_index(classes: list[str], label: int | str) -> int | None:
    """The index of `label` among `classes`: a number (9, "9") or a name in any case, with spaces,
    underscores, hyphens or none between words ("ankle-boot", "Ankle boot", "SNEAKER", "tshirt").
    None if it names no class; a number is returned as is, for the caller to range-check."""
    if isinstance(label, int):
        return label
    if re.fullmatch(r"\s*[+-]?\d+\s*", label):
        return int(label)
    # Hyphens dropped on both sides, so "tshirt" finds "t-shirt" and "ankle_boot" "ankle-boot".
    key = _slug(label).replace("-", "")
    return next((i for i, name in enumerate(classes)
                 if key and key in (k.replace("-", "") for k in class_keys(name))), None)


def class_choices(classes: list[str]) -> str:
    """How to name these classes, for help and errors: "0-9" for digits, else "0 t-shirt, 1 trouser, ..."."""
    if all(name == str(i) for i, name in enumerate(classes)):
        return f"0-{len(classes) - 1}"
    return ", ".join(f"{i} {class_keys(name)[0]}" for i, name in enumerate(classes))


def check_class_names(labels, option: str) -> None:
    """Before any model loads: ConfigError naming `option` if a label names a class of no dataset
    (99, "blorp"); which dataset's class it names is settled once the classifier is known."""
    for label in labels:
        index = [class_index(names, label) for names in CLASSES.values()]
        if all(i is None or not 0 <= i < len(names) for i, names in zip(index, CLASSES.values(), strict=True)):
            raise ConfigError(f"{option} {label}: no dataset has that class; give a number or a name: "
                             + "; ".join(f"{d} {class_choices(n)}" for d, n in CLASSES.items()))
