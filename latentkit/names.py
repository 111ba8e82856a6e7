"""Names the CLI offers as choices, kept free of torch so `latentkit --help` is instant."""

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
ARCH_NAMES = ("dcgan", "r000-dcgan28", "r001-mlp", "r001-dcgan32", "r002-dcgan64", "r003-dcgan32", "r004-mlp")
DEVICES = ("auto", "cpu", "cuda", "mps")
