"""Training a generator: one loop for every architecture in the zoo, GAN or VAE, resumable
step for step.

The parts, each read top to bottom: gan.py and vae.py (the networks and what one step does),
checkpoint.py (what a stopped run resumes from), artifacts.py (what the run folder holds), and
here the trainer that owns the generator, the RNGs and the loop over epochs and steps.
Everything random has its own seeded generator, and the checkpoint carries all of their states,
so a run that is stopped and resumed produces the same weights as one that never stopped.
"""

from __future__ import annotations

import copy
import math
import signal
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import torch

from latentkit.data.datasets import load_images
from latentkit.device import pick_device
from latentkit.errors import CheckpointError, ConfigError, TrainingError
from latentkit.models import Classifier, Generator
from latentkit.training import artifacts as run_artifacts
from latentkit.training import distributed
from latentkit.training.checkpoint import CHECKPOINT, TrainState, read_checkpoint, unreadable, write_checkpoint
from latentkit.training.configs import CLOCKS, RESUMABLE_CHANGES, TrainConfig
from latentkit.training.snapshots import check_budget, planned_count, write_snapshot

BAR_FORMAT = "{desc} |{bar}| {remaining} left{postfix}"
EMA_BN_BATCHES = 50  # batches of 256 latents that set the weight average's BatchNorm statistics
NOISE_RANK_STRIDE = 1_000_003  # rank r draws its noise from seed + r * this: each rank its own fakes

__all__ = ["CHECKPOINT", "CLOCKS", "RESUMABLE_CHANGES", "TrainConfig", "TrainState", "Trainer", "epoch_permutation",
           "rank_batch"]


class _StopFlag:
    """Turns the first Ctrl-C into a request to stop at the next step boundary."""

    def __init__(self) -> None:
        self.requested = False

    @contextmanager
    def installed(self):
        try:
            previous = signal.signal(signal.SIGINT, self._handle)
        except ValueError:  # not the main thread: no signal handling, Ctrl-C behaves as usual
            yield self
            return
        try:
            yield self
        finally:
            signal.signal(signal.SIGINT, previous)

    def _handle(self, signum, frame) -> None:
        if self.requested:  # a second Ctrl-C means "now"
            raise KeyboardInterrupt
        self.requested = True


def rank_batch(perm: torch.Tensor, step: int, batch_size: int, rank: int = 0, world: int = 1) -> torch.Tensor:
    """The indices rank `rank` of `world` trains on at `step` of an epoch whose data order is
    `perm`: the step's global batch is perm's step-th run of batch_size * world indices, and
    each rank takes its part of it, so the ranks together see what one process would with
    batch_size * world."""
    start = (step * world + rank) * batch_size
    return perm[start:start + batch_size]


def epoch_permutation(n: int, seed: int, epoch: int) -> torch.Tensor:
    """The data order of one epoch, a function of (seed, epoch) alone so resuming needs no state."""
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 1_000_003 + epoch))


class Trainer:
    """Holds the networks, optimizers and RNGs of one run and writes its folder; GANTrainer
    (training/gan.py) and VAETrainer (training/vae.py) say what the networks are and what one
    step does.

        trainer = trainer_for(TrainConfig(arch="dcgan", epochs=5), out="runs/dcgan")   # train.py
        card = trainer.fit()

    train.train_generator() is the usual entry: it also checks the folder can be written and locks it.
    Under torchrun (latentkit.training.distributed), construct it inside distributed.process_group:
    every rank then trains its share of each global batch, and rank 0 alone writes the folder.
    """

    STATS: tuple[str, ...]  # what a step reports, in order: the keys of state.history
    HISTORY: dict[str, str]  # each STATS key's meaning, written into history.h5

    def __init__(self, cfg: TrainConfig, out: str | Path, resume: bool = False, command: str | None = None):
        cfg.validate()
        self.cfg, self.out, self.command = cfg, Path(out), command
        self.device = distributed.local_device(pick_device(cfg.device))
        self.rank, self.world = distributed.rank(), distributed.world_size()
        ckpt_path = self.out / CHECKPOINT
        if resume and not ckpt_path.exists():
            raise CheckpointError(f"--resume: no {CHECKPOINT} in {self.out}; run without --resume to start it")
        if not resume and ckpt_path.exists():
            raise ConfigError(f"{self.out} already holds a run; add --resume to continue it or pick another --out")
        # Loaded now, not after training: a wrong --classifier should cost seconds, not the run.
        self.classifier = self._load_classifier() if cfg.eval_samples else None

        torch.manual_seed(cfg.seed)
        self.G = Generator(cfg.model_config).to(self.device)
        self._build()
        # An exponential moving average of G's weights (Yazici et al. 2019) gives smoother,
        # better samples at no training cost; it is what the run saves as its generator.
        self.G_ema = copy.deepcopy(self.G).eval().requires_grad_(False) if cfg.ema_decay > 0 else None
        self._ema_stats_step = -1  # the step at which G_ema's BatchNorm statistics were last set
        self.noise = torch.Generator(self.device).manual_seed(cfg.seed + self.rank * NOISE_RANK_STRIDE)
        # A fixed noise batch makes the per-epoch grids comparable (dcgan's fixed_noise).
        self.fixed_noise = torch.randn(100, cfg.latent_dim, generator=torch.Generator().manual_seed(cfg.seed + 1))
        self.state = TrainState(world_size=self.world, history={k: [] for k in self.STATS}, scores=[], snapshots=[],
                                epoch_stats=[])
        self.saved_at: tuple[int, int] | None = None  # (epoch, step_in_epoch) of the checkpoint on disk
        if resume:
            self._load_checkpoint(ckpt_path)
        self._wrap()

    # --- what a subclass says: the other networks, their optimizers and one step ------------

    def _build(self) -> None:
        """Build the networks beside self.G and the optimizers (on self.device)."""
        raise NotImplementedError

    def _wrap(self) -> None:
        """Make what the steps run: under torchrun, DistributedDataParallel copies (distributed.wrap)."""
        raise NotImplementedError

    def _modules(self) -> dict[str, dict]:
        """The state_dicts a checkpoint keeps besides G's and its average's, by name."""
        raise NotImplementedError

    def _restore(self, ckpt: dict) -> None:
        """Load _modules()' state_dicts back from a checkpoint."""
        raise NotImplementedError

    def train_step(self, real_uint8: torch.Tensor) -> torch.Tensor:
        """One optimisation step on a batch of dataset images; returns the STATS of it as a tensor."""
        raise NotImplementedError

    def _end_epoch(self, epoch: int) -> None:
        """After each finished epoch, before its checkpoint: a VAE measures the test set's ELBO here."""

    def _card_extra(self) -> dict:
        """What the card holds besides what every run's does."""
        return {}

    def _figures(self) -> dict:
        """The run's curves, file name -> matplotlib figure, drawn from state."""
        raise NotImplementedError

    def _summary_numbers(self, s: list[float]) -> str:
        """The STATS of a step or an epoch's mean, for the epoch's log line."""
        raise NotImplementedError

    def _bar_numbers(self, s: list[float]) -> str:
        """The STATS of a step, short enough for the progress bar at 80 columns."""
        raise NotImplementedError

    def _schedule_rates(self, rates: list[tuple[torch.optim.Optimizer, float]]) -> None:
        """Before a step under cfg.lr_decay, set each (optimizer, base rate)'s rate for this step: a
        function of the step alone, so a resumed run needs no scheduler state."""
        if self.cfg.lr_decay == "none":
            return
        scale = self.cfg.rate_scale(self.steps_done, self.steps_per_epoch)
        for optimizer, base in rates:
            for group in optimizer.param_groups:
                group["lr"] = base * scale

    @property
    def steps_done(self) -> int:
        """Optimisation steps taken so far in the whole run."""
        return len(self.state.history[self.STATS[0]])

    @property
    def classifier_name(self) -> str:
        from latentkit.generator.registry import default_classifier

        return default_classifier(self.cfg.dataset) if self.cfg.classifier is None else self.cfg.classifier

    def _load_classifier(self) -> Classifier:
        from latentkit.generator.registry import default_classifier, load_classifier

        name, dataset = self.classifier_name, self.cfg.dataset
        clf = load_classifier(name, device=self.device)
        if clf.config.dataset != dataset and not self.cfg.allow_mismatch:
            raise ConfigError(
                f"--classifier {name} reads {clf.config.dataset} but this run trains on {dataset}: its quality "
                f"metrics would be meaningless; use {default_classifier(dataset)} (the default), or add "
                "--allow-mismatch to measure with it anyway"
            )
        return clf

    # --- checkpoints --------------------------------------------------------------

    def save_checkpoint(self) -> Path:
        """Write OUT/checkpoint.pt (checkpoint.write_checkpoint). Under torchrun every rank calls
        it (their RNG states are gathered) and rank 0 writes."""
        rngs = distributed.gather((self.noise.get_state(), torch.get_rng_state()))
        path = self.out / CHECKPOINT
        self.saved_at = (self.state.epoch, self.state.step_in_epoch)
        if self.rank != 0:
            return path
        modules = {"G": self.G.state_dict(), "G_ema": self.G_ema.state_dict() if self.G_ema else {},
                   **self._modules()}
        return write_checkpoint(path, self.cfg, modules, rngs, self.state)

    def _load_checkpoint(self, path: Path) -> None:
        ckpt = read_checkpoint(path, self.cfg, self.world, self.device)
        try:
            self.G.load_state_dict(ckpt["G"])
            if self.G_ema:
                self.G_ema.load_state_dict(ckpt["G_ema"])
            self._restore(ckpt)
            noise_rng, torch_rng = ckpt.get("rank_rngs", [(ckpt["noise_rng"], ckpt["torch_rng"])])[self.rank]
            self.noise.set_state(noise_rng.cpu())  # RNG states are CPU byte tensors on every device
            torch.set_rng_state(torch_rng.cpu())
            self.state = TrainState(**{"snapshots": [], "epoch_stats": [], **ckpt["state"]})
        except Exception as err:
            raise unreadable(path, err) from None
        self.saved_at = (self.state.epoch, self.state.step_in_epoch)

    # --- the loop -------------------------------------------------------------------

    def final_generator(self) -> Generator:
        """What the run hands out, in eval mode: the weight average if there is one, else a copy
        of G (training's own G stays in train mode). Read it, do not train it.

        G's BatchNorm statistics were gathered with G's weights, not the average's, so the
        average gets its own, from EMA_BN_BATCHES seeded batches (measured on the bundled
        mnist-dcgan: classifier score 8.49 -> 8.60, confident samples 85.5% -> 86.5%).
        """
        if self.G_ema is None:
            return copy.deepcopy(self.G).eval().requires_grad_(False)
        steps = self.steps_done
        if self._ema_stats_step != steps:
            from torch.optim.swa_utils import update_bn

            noise = torch.Generator().manual_seed(self.cfg.seed + 2)
            update_bn([torch.randn(256, self.cfg.latent_dim, generator=noise) for _ in range(EMA_BN_BATCHES)],
                      self.G_ema, device=self.device)
            self._ema_stats_step = steps
        return self.G_ema.eval()

    def fit(
        self, log: Callable[[str], None] = print, progress: bool = True,
        on_epoch_end: Callable[[int, Trainer], bool | None] | None = None,
    ) -> dict:
        """Train to cfg.epochs (or cfg.max_minutes), writing artefacts as it goes; returns the final card.

        `on_epoch_end(epoch, trainer)` runs after each finished epoch's files are written;
        returning True finishes the run there (as if cfg.epochs were reached).
        """
        cfg, st = self.cfg, self.state
        lead = self.rank == 0  # under torchrun, rank 0 alone logs and writes the run's files
        log = log if lead else (lambda line: None)
        data = load_images(cfg.dataset, train=True, data_dir=cfg.data_dir, limit=cfg.limit).to(self.device)
        st.train_images = len(data)
        global_batch = cfg.batch_size * self.world
        if self.world > 1 and len(data) < global_batch:
            raise ConfigError(f"{len(data)} training images do not fill one global batch of {global_batch} "
                              f"(--batch-size {cfg.batch_size} on each of {self.world} processes): train on more "
                              "images or lower --batch-size")
        steps = max(1, len(data) // global_batch)  # drop the ragged last batch: BatchNorm wants full ones
        self.steps_per_epoch = steps
        if self.snapshots_on:
            self._check_snapshot_budget()
            if lead and not st.snapshots and not self.steps_done:
                self._snapshot()  # the untrained generator every run starts from
        scorer = self._scorer() if cfg.score_every and lead else None
        if st.epoch >= cfg.epochs:
            log(f"{self.out} has already trained {st.epoch} epochs; raise --epochs to train more")
        stop = _StopFlag()
        with stop.installed():
            while st.epoch < cfg.epochs and not self._spent_on_any_rank():
                epoch, started = st.epoch + 1, time.perf_counter()
                finished = self._run_epoch(data, epoch, steps, stop, progress and lead)
                if finished:
                    st.epoch, st.step_in_epoch = epoch, 0
                    self._end_epoch(epoch)
                    scored = scorer is not None and epoch % cfg.score_every == 0
                    if scored:  # before the checkpoint, so a resumed run keeps the score (and the snapshot)
                        st.scores.append(self._score(scorer, epoch))
                    if lead and cfg.snapshot_every and epoch % cfg.snapshot_every == 0:
                        self._snapshot()
                self.save_checkpoint()
                if not finished:  # the budget ran out mid-epoch
                    continue
                if lead:
                    run_artifacts.write_epoch(self.out, self.final_generator(), self.fixed_noise, st.history,
                                              self.HISTORY, epoch)
                log(self._epoch_line(epoch, steps, time.perf_counter() - started))
                if scored:
                    log(_score_line(st.scores[-1]))
                finish = on_epoch_end is not None and bool(on_epoch_end(epoch, self))
                if distributed.any_rank(finish):
                    break
        if self._spent_on_any_rank():
            log(f"stopped after {cfg.max_minutes:g} {cfg.clock} minutes at epoch {st.epoch + 1} "
                f"step {st.step_in_epoch} ({self.steps_done} steps in all)")
        card = self._write_final(progress) if lead else None
        distributed.barrier()  # the other ranks wait for rank 0's files
        return card

    def _scorer(self):
        from latentkit.measure.scoring import Scorer

        return Scorer(self.classifier, self.cfg.dataset, self.cfg.eval_samples, self.cfg.seed, self.cfg.data_dir)

    def _score(self, scorer, epoch: int) -> dict:
        """The saved generator's scores now, with the work done to get here: images seen and seconds."""
        st = self.state
        images = self.steps_done * self.cfg.batch_size * self.world
        return {"epoch": epoch, "images": images, "train_seconds": round(st.seconds, 1),
                "train_cpu_seconds": round(st.cpu_seconds, 1), **scorer(self.final_generator())}

    def _run_epoch(self, data, epoch: int, steps: int, stop: _StopFlag, progress: bool) -> bool:
        """Train from state.step_in_epoch to the end of `epoch` (or until the budget is spent),
        checkpointing every cfg.checkpoint_seconds; True if the epoch was finished."""
        from tqdm.auto import tqdm

        cfg, st = self.cfg, self.state
        perm = epoch_permutation(len(data), cfg.seed, epoch).to(self.device)
        # Laid out to fit 80 columns with a 10-character bar: tqdm's default layout plus the R002
        # numbers cut the text mid-"D(x)" there and left a bar one character wide.
        bar = tqdm(range(st.step_in_epoch, steps), desc=f"epoch {epoch}/{cfg.epochs}", disable=not progress,
                   leave=False, initial=st.step_in_epoch, total=steps, bar_format=BAR_FORMAT)
        clock = (time.perf_counter(), time.process_time())
        last_saved = clock[0]
        for step in bar:
            local = self.train_step(data.images[rank_batch(perm, step, cfg.batch_size, self.rank, self.world)])
            clock = self._tick(clock)
            due = clock[0] - last_saved >= cfg.checkpoint_seconds and step + 1 < steps
            # One exchange a step: the ranks' mean stats, and whether any rank wants to stop or save.
            stats, (interrupted, spent, save) = distributed.mean_and_any(local, [stop.requested, self.budget_spent,
                                                                                 due])
            if not all(math.isfinite(v) for v in stats):
                raise self._diverged(epoch, step + 1, stats)
            for k, v in zip(self.STATS, stats, strict=True):
                st.history[k].append(v)
            st.step_in_epoch = step + 1
            if cfg.snapshot_images and self.rank == 0:
                seen, per_step = self.steps_done * cfg.batch_size * self.world, cfg.batch_size * self.world
                if seen // cfg.snapshot_images > (seen - per_step) // cfg.snapshot_images:
                    self._snapshot()
            if step % 10 == 0:
                bar.set_postfix_str(self._bar_numbers(stats))
            if interrupted:
                self.save_checkpoint()
                raise TrainingError(
                    f"interrupted at epoch {epoch} step {step + 1}; checkpoint saved in {self.out}; "
                    "continue with the same command plus --resume", exit_code=130)
            if spent:
                break
            if save:
                self.save_checkpoint()
                # Writing the checkpoint is not training: start the clock again after it.
                clock = (time.perf_counter(), time.process_time())
                last_saved = clock[0]
        bar.close()
        return st.step_in_epoch == steps

    # --- snapshots (training/snapshots.py) ----------------------------------------------

    @property
    def snapshots_on(self) -> bool:
        return bool(self.cfg.snapshot_every or self.cfg.snapshot_images)

    def _check_snapshot_budget(self) -> None:
        cfg = self.cfg
        count = planned_count(cfg.epochs, self.steps_per_epoch, cfg.batch_size * self.world, cfg.snapshot_every,
                              cfg.snapshot_images)
        bytes_each = sum(t.numel() * t.element_size() for t in self.G.state_dict().values())
        every = [f"--snapshot-every {cfg.snapshot_every}"] * bool(cfg.snapshot_every) + \
                [f"--snapshot-images {cfg.snapshot_images}"] * bool(cfg.snapshot_images)
        check_budget(count, bytes_each, cfg.snapshot_budget, f"{' and '.join(every)} over {cfg.epochs} epochs")

    def _snapshot(self) -> None:
        """Keep the generator the run would hand out now (final_generator) in OUT/snapshots."""
        st = self.state
        step = self.steps_done
        if st.snapshots and st.snapshots[-1]["step"] == step:  # an epoch's and an image count's at once
            return
        epoch = st.epoch + st.step_in_epoch / self.steps_per_epoch
        st.snapshots.append(write_snapshot(self.out, self.final_generator(), epoch, step,
                                           step * self.cfg.batch_size * self.world, st.seconds))

    def _diverged(self, epoch: int, step: int, stats: list[float]) -> TrainingError:
        """The error for a NaN/inf loss, saying what the run folder actually holds."""
        numbers = ", ".join(f"{k}={v:.4g}" for k, v in zip(self.STATS, stats, strict=True))
        retry = f"a lower --lr (now {self.cfg.learning_rate:g}) or another --seed"
        if self.saved_at is None:
            return TrainingError(f"training diverged at epoch {epoch} step {step}: {numbers}. No checkpoint had "
                                 f"been written yet, so nothing was kept; run again with {retry}")
        e, s = self.saved_at
        where = f"end of epoch {e}" if s == 0 else f"epoch {e + 1} step {s}"
        return TrainingError(
            f"training diverged at epoch {epoch} step {step}: {numbers}. The last good checkpoint ({where}) is "
            f"kept in {self.out}, but resuming it repeats the same steps; start again with {retry} "
            "in another --out"
        )

    def _write_final(self, progress: bool) -> dict:
        """The weight average's statistics, the card's metrics, then the final files; with `progress`,
        a bar names each phase (on 2 cores they take up to a minute in all)."""
        from latentkit.progress import Phases

        scoring = self.classifier is not None
        with Phases("finishing", 2 + scoring, enabled=progress) as bar:
            bar.start("weight-average BatchNorm statistics" if self.G_ema is not None else "final generator")
            g = self.final_generator()
            card = run_artifacts.generator_card(g, self.cfg, self.state, self.steps_done, self.command, self.device)
            card.update(self._card_extra())
            if scoring:
                bar.start(f"scoring {self.cfg.eval_samples} samples")
                card["metrics"] = run_artifacts.sample_metrics(
                    g, self.classifier, self.cfg.eval_samples, self.cfg.seed, classifier_name=self.classifier_name,
                    allow_mismatch=self.cfg.allow_mismatch, bar=bar)
            bar.start("figures, progress.gif, weights")
            run_artifacts.write_final(self.out, g, self.fixed_noise, self._figures(), card)
        return card

    def _tick(self, clock: tuple[float, float]) -> tuple[float, float]:
        """Add the wall and CPU time since `clock` to the run's totals; returns the new reading."""
        now = (time.perf_counter(), time.process_time())
        self.state.seconds += now[0] - clock[0]
        self.state.cpu_seconds += now[1] - clock[1]
        return now

    @property
    def budget_spent(self) -> bool:
        """Whether this process has trained for cfg.max_minutes (see _spent_on_any_rank)."""
        if self.cfg.max_minutes is None:
            return False
        spent = self.state.cpu_seconds if self.cfg.clock == "cpu" else self.state.seconds
        return spent >= 60 * self.cfg.max_minutes

    def _spent_on_any_rank(self) -> bool:
        """budget_spent, agreed: each rank keeps its own clock, and all must stop at the same step."""
        return distributed.any_rank(self.budget_spent)

    def _epoch_line(self, epoch: int, steps: int, seconds: float) -> str:
        """R002's log line, averaged over the epoch."""
        h = self.state.history
        mean = [sum(h[k][-steps:]) / steps for k in self.STATS]
        return (f"Epoch [{epoch}/{self.cfg.epochs}] Step [{steps}/{steps}] "
                f"{self._summary_numbers(mean)} Time {seconds:.1f}s")


def _score_line(s: dict) -> str:
    return (f"  scored after {s['images']:,} images: FID {s['fid']:.2f}, precision {s['precision']:.3f}, "
            f"recall {s['recall']:.3f}, confident {s['confident']:.1%}, score {s['score']:.2f}, "
            f"class shares {s['min_share']:.1%}-{s['max_share']:.1%}")
