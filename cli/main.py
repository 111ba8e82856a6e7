"""The `latentkit` command line: thin commands that parse options and call the library.

Heavy modules (torch, matplotlib, umap) are imported inside each command so that
`latentkit --help` answers instantly.
"""

from __future__ import annotations

import signal
import sys

import click

from latentkit import __version__
from latentkit.cli.common import (
    FiniteFloat,
    command_line,
    complete_models,
    data_dir_option,
    seed_option,
    stacked,
)
from latentkit.errors import Interrupted, LatentkitError
from latentkit.generator.quality import summary
from latentkit.limits import MAX_BATCH, MAX_EPOCHS, MAX_IMAGES, MAX_LATENT_DIM, MAX_SAMPLES, MAX_WIDTH
from latentkit.names import ARCH_NAMES, DATASETS, DEVICES, DIFFAUGMENT_PARTS, GAN_LOSSES, LR_DECAYS
from latentkit.training.configs import CLOCKS, ClassifierTrainConfig, TrainConfig


class LatentkitGroup(click.Group):
    """Prints every error as one `Error: ...` line on stderr: no traceback, no usage block."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        args = list(sys.argv[1:] if args is None else args)
        extra.setdefault("obj", {"argv": args})
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.NoArgsIsHelpError as err:
            click.echo(err.ctx.get_help())
            sys.exit(0)
        except click.ClickException as err:
            hint = f" (see `{err.ctx.command_path} --help`)" if isinstance(err, click.UsageError) and err.ctx else ""
            click.echo(f"Error: {err.format_message()}{hint}", err=True)
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("Aborted.", err=True)
            sys.exit(130)
        except LatentkitError as err:
            click.echo(f"Error: {err}", err=True)
            sys.exit(err.exit_code)
        # The work is done and written: a Ctrl-C now would only spoil the exit with a traceback
        # from an atexit hook (torch's), after a complete result.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        sys.exit(rv if isinstance(rv, int) else 0)

    def invoke(self, ctx: click.Context):
        # Caught here, before click turns it into a blank line and "Aborted!".
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            raise Interrupted("interrupted by Ctrl-C; nothing half-written was left") from None


@click.group(cls=LatentkitGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="latentkit")
def cli() -> None:
    """Look inside the latent space of image generators.

    Train GANs from five reference write-ups (and latentkit's own DCGAN) and a
    classifier, then ask the latent space questions. Start with:

    \b
        latentkit models
        latentkit interpolate --from 9 --to 4
    """


@cli.command()
@click.option("--runs-dir", default="runs", show_default=True, type=click.Path(file_okay=False),
              help="Also list finished runs one level under this folder.")
@click.option("--archs", is_flag=True, help="List the architectures `train --arch` takes instead: "
              "native size, default width, parameter counts and the write-up each reproduces.")
def models(runs_dir: str, archs: bool) -> None:
    """List bundled models and local runs with their measured metrics.

    Generators show confident fraction beside class entropy; a run that draws
    only one or two classes is marked "collapsed" and listed after the others.

    \b
        latentkit models
        latentkit models --runs-dir runs
        latentkit models --archs
    """
    from latentkit.generator.registry import archs_table, models_table

    if archs:
        click.echo("building each architecture (shapes only) to count its parameters...", err=True)
    click.echo(archs_table() if archs else models_table(runs_dir))


def training_options(config):
    """Options both training commands take, with `config`'s defaults."""
    return stacked([
        click.option("--dataset", type=click.Choice(DATASETS), default=config.dataset, show_default=True),
        seed_option(help="Seeds init, data order and noise."),
        click.option("--device", type=click.Choice(DEVICES), default=config.device, show_default=True,
                     help="auto picks cuda, then mps, then cpu."),
        data_dir_option,
        click.option("--limit", type=click.IntRange(2, MAX_IMAGES), default=config.limit,
                     help="Train on the first N images only (quick runs)."),
        click.option("--epochs", type=click.IntRange(1, MAX_EPOCHS), default=config.epochs, show_default=True),
        click.option("--batch-size", type=click.IntRange(1, MAX_BATCH), default=config.batch_size,
                     show_default=True),
        click.option("--quiet", "-q", is_flag=True, help="No progress bar."),
    ])


@cli.command()
@click.option("--arch", type=click.Choice(ARCH_NAMES), default=TrainConfig.arch, show_default=True,
              help="Architecture; `latentkit models --archs` shows what each is.")
@click.option("--max-minutes", type=FiniteFloat(0, lo_open=True), default=TrainConfig.max_minutes,
              help="Stop after this many minutes of training (before --epochs if that comes first).")
@click.option("--clock", type=click.Choice(CLOCKS), default=TrainConfig.clock, show_default=True,
              help="What --max-minutes counts: wall time, or this process's CPU time (fair on a shared machine).")
@click.option("--lr", type=FiniteFloat(0, lo_open=True), default=TrainConfig.lr,
              help="Adam's learning rate [default: 0.0004 for dcgan; 0.0002, the write-ups', for r00x; "
                   "0.001, pytorch/examples', for the VAEs].")
@click.option("--latent-dim", type=click.IntRange(1, MAX_LATENT_DIM), default=TrainConfig.latent_dim,
              help="Length of z [default: 100, as every GAN write-up; 20 for the VAEs, as pytorch/examples].")
@click.option("--width", type=click.IntRange(2, MAX_WIDTH), default=TrainConfig.width,
              help="Channel multiplier [default: 32 for dcgan and conv-vae; 64, the reference shapes, for r00x; "
                   "400 hidden units for vae].")
@click.option("--ema", type=FiniteFloat(0, 1, hi_open=True), default=TrainConfig.ema,
              help="Decay of the generator weight average that is saved; 0 = off "
                   "[default: 0.9995 for dcgan, 0 for the r00x recipes and the VAEs].")
@click.option("--beta1", type=FiniteFloat(0, 1, hi_open=True), default=TrainConfig.beta1,
              help="Adam's first-moment decay [default: 0.5 for GANs, as the DCGAN paper; 0.9 for the VAEs].")
@click.option("--beta2", type=FiniteFloat(0, 1, hi_open=True), default=TrainConfig.beta2, show_default=True,
              help="Adam's second-moment decay.")
@click.option("--lr-decay", type=click.Choice(LR_DECAYS), default=TrainConfig.lr_decay, show_default=True,
              help="linear: every learning rate falls linearly to 0 at the end of --epochs.")
@click.option("--loss", type=click.Choice(GAN_LOSSES), default=TrainConfig.loss, show_default=True,
              help="A GAN's loss: bce (dcgan's non-saturating) or hinge (SNGAN's).")
@click.option("--spectral-norm", is_flag=True,
              help="SNGAN's discriminator: every layer spectrally normalised, no BatchNorm.")
@click.option("--lr-d", type=FiniteFloat(0, lo_open=True), default=TrainConfig.lr_d,
              help="The discriminator's learning rate, if not --lr's (two time-scale updates).")
@click.option("--diffaugment", default=TrainConfig.diffaugment, metavar="PARTS",
              help=f"Augment all the discriminator sees (DiffAugment): comma-separated parts of "
                   f"{', '.join(DIFFAUGMENT_PARTS)}, e.g. translation,cutout.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Run folder [default: runs/ARCH-DATASET].")
@click.option("--resume", is_flag=True, help="Continue the run in --out from its last checkpoint.")
@click.option("--checkpoint-every", "checkpoint_seconds", type=FiniteFloat(0, lo_open=True),
              default=TrainConfig.checkpoint_seconds, show_default=True,
              help="Also write the checkpoint mid-epoch after this many seconds of training.")
@click.option("--eval-samples", type=click.IntRange(0, MAX_SAMPLES), default=TrainConfig.eval_samples,
              show_default=True, help="Samples classified at the end to measure quality (0 skips).")
@click.option("--score-every", type=click.IntRange(0, MAX_EPOCHS), default=TrainConfig.score_every,
              show_default=True, metavar="N",
              help="Also score --eval-samples samples against the test set after every N epochs (FID, precision, "
                   "recall, confident share; printed, and in card.json's progress); 0 = only at the end.")
@click.option("--snapshot-every", type=click.IntRange(0, MAX_EPOCHS), default=TrainConfig.snapshot_every,
              show_default=True, metavar="N",
              help="Keep the generator every N epochs (and before the first step) in OUT/snapshots, "
                   "for `latentkit evolve`; 0 = none.")
@click.option("--snapshot-images", type=click.IntRange(0), default=TrainConfig.snapshot_images, show_default=True,
              metavar="N", help="Also keep it each time N more training images were seen (mid-epoch too).")
@click.option("--snapshot-budget", type=FiniteFloat(0, lo_open=True), default=TrainConfig.snapshot_budget,
              show_default=True, metavar="MB",
              help="Refuse, before training, snapshots that would take more disk than this.")
@click.option("--classifier", default=TrainConfig.classifier, shell_complete=complete_models("classifier"),
              help="Classifier for those metrics, checked before training [default: the bundled one "
                   "of --dataset].")
@click.option("--allow-mismatch", is_flag=True,
              help="Measure with a classifier of another dataset than --dataset (recorded in the card).")
@training_options(TrainConfig)
@click.pass_context
def train(ctx: click.Context, out: str | None, resume: bool, quiet: bool, **options) -> None:
    """Train a generator (a GAN, or a VAE: --arch vae); resumable, writes a run folder.

    \b
        latentkit train --arch dcgan --dataset mnist --epochs 40
        latentkit train --arch r002-dcgan64 --dataset fashion-mnist --out runs/r002
        latentkit train --out runs/dcgan-mnist --epochs 20 --resume
        latentkit train --arch vae --epochs 10 --batch-size 128

    The folder holds checkpoint.pt (resume with --resume after Ctrl-C, a crash or a kill),
    history.h5, per-epoch sample grids, generator.safetensors, card.json, loss.png,
    d_outputs.png (a GAN's) or kl_per_dim.png and encoder.safetensors (a VAE's),
    samples.png and progress.gif; with --snapshot-every, snapshots/ (then `latentkit
    evolve RUN` shows how the latent space formed).
    """
    from latentkit.training.train import train_generator

    cfg = TrainConfig(**options)
    out = out or f"runs/{cfg.arch}-{cfg.dataset}"
    card = train_generator(cfg, out, resume=resume, command=command_line(ctx), log=click.echo, progress=not quiet)
    if card is not None:  # under torchrun, rank 0 writes the run and reports it
        click.echo(f"wrote {out}/generator.safetensors and {out}/card.json ({summary(card)})")


@cli.command("train-classifier")
@click.option("--lr", type=FiniteFloat(0, lo_open=True), default=ClassifierTrainConfig.lr, show_default=True,
              help="Peak learning rate of the one-cycle schedule.")
@click.option("--outlier-weight", type=FiniteFloat(0, 10), default=ClassifierTrainConfig.outlier_weight,
              show_default=True, help="Weight of outlier exposure: junk images (noise, blobs, untrained "
              "generators' samples) trained toward an unsure prediction; 0 turns it off.")
@click.option("--width", type=click.IntRange(1, MAX_WIDTH), default=ClassifierTrainConfig.width, show_default=True,
              help="Channels of the first conv block.")
@click.option("--out", type=click.Path(file_okay=False), default=None,
              help="Output folder [default: runs/DATASET-classifier].")
@training_options(ClassifierTrainConfig)
@click.pass_context
def train_classifier(ctx: click.Context, out: str | None, quiet: bool, **options) -> None:
    """Train the classifier that labels generated images.

    \b
        latentkit train-classifier --dataset mnist
        latentkit train-classifier --dataset fashion-mnist --out runs/fashion-clf
    """
    from latentkit.training.classifier import train_classifier as run

    cfg = ClassifierTrainConfig(**options)
    out = out or f"runs/{cfg.dataset}-classifier"
    card = run(cfg, out, command=command_line(ctx), log=click.echo, progress=not quiet)
    click.echo(f"wrote {out}/classifier.safetensors and {out}/card.json ({summary(card)})")


def add_commands(group: click.Group) -> None:
    """Add every command the modules of latentkit.cli define: a new command is found by being
    defined in one, so no list here needs an edit. Commands keep their place in their module."""
    import importlib
    import pkgutil

    from latentkit import cli as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        for value in vars(module).values():
            if isinstance(value, click.Command) and value is not group \
                    and getattr(value.callback, "__module__", None) == module.__name__ \
                    and value.name not in group.commands:
                group.add_command(value)


add_commands(cli)


def main() -> None:
    cli()
