"""What a training run is asked to do: the configs of `latentkit train` and `train-classifier`.

Torch-free, so the CLI takes its defaults from here (one source of truth) and
`latentkit --help` stays instant. validate() checks every field against latentkit.limits
and raises ConfigError naming the option and the fix.
"""

from __future__ import annotations

from dataclasses import dataclass

from latentkit.errors import ConfigError
from latentkit.limits import (
    MAX_BATCH,
    MAX_EPOCHS,
    MAX_IMAGES,
    MAX_LATENT_DIM,
    MAX_SAMPLES,
    MAX_WIDTH,
    check_finite,
    check_seed,
    check_size,
)
from latentkit.names import (
    ARCH_NAMES,
    DATASETS,
    DEVICES,
    DIFFAUGMENT_PARTS,
    GAN_LOSSES,
    LR_DECAYS,
    VAE_ARCHS,
    default_latent_dim,
)

CLOCKS = ("wall", "cpu")
# Fields that may differ when resuming: they do not change what a step computes.
RESUMABLE_CHANGES = {"epochs", "max_minutes", "clock", "device", "data_dir", "eval_samples", "classifier",
                     "allow_mismatch", "checkpoint_seconds", "score_every", "snapshot_every", "snapshot_images",
                     "snapshot_budget"}


def _choice(name: str, value: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"unknown {name} {value!r}; choose one of: {', '.join(choices)}")


def _positive(name: str, value: float | None) -> None:
    """A finite number > 0 (None passes): inf would never stop, NaN never compares."""
    if value is None:
        return
    check_finite(name, value)
    if not value > 0:
        raise ConfigError(f"{name} must be > 0 (got {value!r})")


def _fraction(name: str, value: float | None, hint: str = "") -> None:
    """A number in [0, 1) (None passes): Adam's betas, the weight average's decay."""
    if value is not None and not (isinstance(value, (int, float)) and 0 <= value < 1):
        raise ConfigError(f"{name} must be in [0, 1) (got {value!r}){hint}")


def _limit(value: int | None) -> None:
    if value is not None:
        check_size("limit", value, 2, MAX_IMAGES)


@dataclass
class TrainConfig:
    arch: str = "dcgan"  # name from latentkit.models.ARCHS
    dataset: str = "mnist"  # "mnist" or "fashion-mnist"
    epochs: int = 10
    max_minutes: float | None = None  # stop (and finish the run) once training has taken this long
    clock: str = "wall"  # what max_minutes counts: "wall" seconds, or "cpu" seconds of this process
    # (all its threads), which stays fair when several runs share a machine
    batch_size: int = 64  # R003/R004's; beat 128 per CPU-second in benchmarks/default_arch.py
    lr: float | None = None  # Adam's; None = the architecture's default (dcgan 4e-4; references 2e-4, as published)
    beta1: float | None = None  # Adam's; None = the architecture's (GANs 0.5 as the DCGAN paper, VAEs 0.9)
    latent_dim: int | None = None  # None = the architecture's: 100 as every GAN write-up, 20 for VAEs as
    # pytorch/examples; set from the arch on construction, so the saved config holds the number
    width: int | None = None  # channel/hidden multiplier; None = the architecture's default
    ema: float | None = None  # decay of the generator weight average saved at the end; 0 = off,
    # None = the architecture's default (dcgan 0.9995; references 0, as published)
    beta2: float = 0.999  # Adam's second-moment decay, every network's
    lr_decay: str = "none"  # "linear": every rate falls linearly to 0 at the end of --epochs (a resumed run
    # given more --epochs stretches what is left of it)
    # A GAN's recipe beyond dcgan's (raced in benchmarks/recipe_race.py):
    loss: str = "bce"  # "bce" (dcgan's non-saturating loss) or "hinge" (SNGAN's); training/step.py
    spectral_norm: bool = False  # D's layers spectrally normalised and its BatchNorms dropped (SNGAN's D)
    lr_d: float | None = None  # D's Adam rate; None = lr. A faster D is the two time-scale update rule
    diffaugment: str = ""  # what D sees is augmented (DiffAugment, training/augment.py): "translation,cutout"
    seed: int = 0
    device: str = "auto"
    data_dir: str | None = None
    limit: int | None = None  # train on the first N images (quick runs, tests)
    eval_samples: int = 10_000  # samples for the final quality metrics; 0 skips them
    score_every: int = 0  # also score eval_samples samples against the test set (FID, precision, recall,
    # confident share) after every N epochs, into the card's "progress"; 0 = only the final metrics
    classifier: str | None = None  # classifier for those metrics; None = bundled one for the dataset
    allow_mismatch: bool = False  # measure with a classifier of another dataset (recorded in the card)
    # Keep the generator every N epochs, and/or each time N more images were seen (0 = off), in
    # OUT/snapshots (training/snapshots.py), for `latentkit evolve`; refused before training if
    # they would pass snapshot_budget megabytes.
    snapshot_every: int = 0
    snapshot_images: int = 0
    snapshot_budget: float = 1000.0
    # Also checkpoint mid-epoch once this many seconds of training passed since the last one, so
    # a killed run loses at most that much (one epoch of the bundled recipe takes ~80 s on 2 cores).
    checkpoint_seconds: float = 120.0

    def __post_init__(self) -> None:
        if self.latent_dim is None:
            self.latent_dim = default_latent_dim(self.arch)

    def validate(self) -> None:
        _choice("arch", self.arch, ARCH_NAMES)
        _choice("dataset", self.dataset, DATASETS)
        _choice("device", self.device, DEVICES)
        _choice("clock", self.clock, CLOCKS)
        check_size("epochs", self.epochs, 1, MAX_EPOCHS)
        check_size("batch-size", self.batch_size, 1, MAX_BATCH)
        check_size("latent-dim", self.latent_dim, 1, MAX_LATENT_DIM)
        if self.width is not None:
            check_size("width", self.width, 2, MAX_WIDTH)
        check_size("eval-samples", self.eval_samples, 0, MAX_SAMPLES)
        check_size("score-every", self.score_every, 0, MAX_EPOCHS)
        if self.score_every and self.eval_samples < 10:
            raise ConfigError(f"--score-every {self.score_every} scores --eval-samples samples, but --eval-samples is "
                              f"{self.eval_samples}; give at least 10 (the default is 10000)")
        if self.classifier is not None and not self.eval_samples:
            raise ConfigError("--classifier measures the run's samples, and --eval-samples 0 measures none: "
                              "drop --classifier, or give --eval-samples")
        check_size("snapshot-every", self.snapshot_every, 0, MAX_EPOCHS)
        check_size("snapshot-images", self.snapshot_images, 0, MAX_IMAGES * MAX_EPOCHS)
        _positive("snapshot-budget", self.snapshot_budget)
        check_seed(self.seed)
        _limit(self.limit)
        _positive("lr", self.lr)
        _positive("max-minutes", self.max_minutes)
        _positive("checkpoint-seconds", self.checkpoint_seconds)
        _fraction("beta1", self.beta1)
        _fraction("ema", self.ema, "; 0 turns the weight average off")
        _fraction("beta2", self.beta2)
        _positive("lr-d", self.lr_d)
        _choice("lr-decay", self.lr_decay, LR_DECAYS)
        _choice("loss", self.loss, GAN_LOSSES)
        unknown = [p for p in self.diffaugment.split(",") if p not in DIFFAUGMENT_PARTS] if self.diffaugment else []
        if unknown:
            raise ConfigError(f"--diffaugment {self.diffaugment!r}: unknown part(s) {', '.join(map(repr, unknown))}; "
                              f"give a comma-separated list of {', '.join(DIFFAUGMENT_PARTS)}")
        gan_only = {"--loss hinge": self.loss != "bce", "--spectral-norm": self.spectral_norm,
                    "--lr-d": self.lr_d is not None, "--diffaugment": bool(self.diffaugment)}
        given = [name for name, on in gan_only.items() if on]
        if given and self.arch in VAE_ARCHS:
            raise ConfigError(f"{', '.join(given)}: for a GAN's discriminator, and {self.arch} is a VAE (it has "
                              "none); drop it")
        if self.ema and self.arch in VAE_ARCHS:
            raise ConfigError(f"--ema averages the generator alone, but a VAE's decoder and encoder are trained as "
                              f"one ({self.arch}): an averaged decoder would not match its encoder; drop --ema")

    @property
    def model_config(self):
        """The GANConfig of the networks this run trains."""
        from latentkit.models import GANConfig, get_arch

        return GANConfig(self.arch, self.latent_dim, self.width or get_arch(self.arch).default_width, self.dataset)

    @property
    def ema_decay(self) -> float:
        from latentkit.models import get_arch

        return get_arch(self.arch).default_ema if self.ema is None else self.ema

    @property
    def adam_beta1(self) -> float:
        from latentkit.models import get_arch

        return get_arch(self.arch).default_beta1 if self.beta1 is None else self.beta1

    @property
    def learning_rate(self) -> float:
        from latentkit.models import get_arch

        return get_arch(self.arch).default_lr if self.lr is None else self.lr

    @property
    def d_learning_rate(self) -> float:
        """D's Adam rate: lr_d, or G's when left out."""
        return self.learning_rate if self.lr_d is None else self.lr_d

    def rate_scale(self, step: int, steps_per_epoch: int) -> float:
        """What lr_decay multiplies every rate by before optimisation step `step` (0 first)."""
        if self.lr_decay == "linear":
            return max(0.0, 1 - step / (self.epochs * steps_per_epoch))
        return 1.0


@dataclass
class ClassifierTrainConfig:
    dataset: str = "mnist"  # "mnist" or "fashion-mnist"
    epochs: int = 10  # what the bundled classifiers were trained for (their cards' commands)
    batch_size: int = 128
    lr: float = 4e-3  # peak of the one-cycle schedule
    width: int = 16  # first conv block's channels; the bundled classifiers' (ClassifierConfig's default is 32)
    # Weight of outlier exposure's loss (training/outliers.py): cross-entropy to the uniform
    # prediction on junk images, beside the real images' own. 0.5 is Hendrycks et al.'s; 0 turns it off.
    outlier_weight: float = 0.5
    seed: int = 0
    limit: int | None = None  # train on the first N images only (quick runs, tests)
    device: str = "auto"
    data_dir: str | None = None

    def validate(self) -> None:
        _choice("dataset", self.dataset, DATASETS)
        _choice("device", self.device, DEVICES)
        check_size("epochs", self.epochs, 1, MAX_EPOCHS)
        check_size("batch-size", self.batch_size, 1, MAX_BATCH)
        check_size("width", self.width, 1, MAX_WIDTH)
        check_finite("outlier-weight", self.outlier_weight)
        if not 0 <= self.outlier_weight <= 10:
            raise ConfigError(f"outlier-weight must be in [0, 10] (got {self.outlier_weight!r}); 0 turns it off")
        check_seed(self.seed)
        _limit(self.limit)
        _positive("lr", self.lr)
