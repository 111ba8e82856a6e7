"""Training the classifier that labels generated images.

Small VGG-style CNN, AdamW with a one-cycle schedule, and batched random affine
augmentation (rotation, scale, shift) computed on whole batches with
`affine_grid`/`grid_sample`, so no per-sample Python runs in the loop. Each step also
shows it half a batch of junk (training/outliers.py) whose target is the uniform
prediction (outlier exposure), so it learns to be unsure of what is not a digit.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path

import torch
import torch.nn.functional as F

from latentkit.data.datasets import load_images
from latentkit.data.pixels import to_native
from latentkit.device import pick_device
from latentkit.errors import TrainingError
from latentkit.generator.cards import new_card, write_card
from latentkit.generator.sampling import BATCH
from latentkit.generator.weights import save_weights
from latentkit.models import Classifier, ClassifierConfig
from latentkit.names import CONFIDENT
from latentkit.storage import check_writable
from latentkit.training.artifacts import locked_run_folder, refuse_another_run
from latentkit.training.configs import ClassifierTrainConfig
from latentkit.training.outliers import outlier_images, untrained_pool

__all__ = ["ClassifierTrainConfig", "accuracy", "augment", "train_classifier"]


def augment(x: torch.Tensor, flip: bool, gen: torch.Generator) -> torch.Tensor:
    """Random rotation (+-10 deg), scale (0.9-1.1) and shift (+-2 px) of (B, 1, 28, 28); flips if `flip`."""
    b = x.shape[0]
    r = torch.rand(b, 5, generator=gen, device=gen.device).to(x.device)
    angle = (r[:, 0] - 0.5) * math.radians(20)
    scale = 0.9 + 0.2 * r[:, 1]
    shift = (r[:, 2:4] - 0.5) * (4 / 14)  # +-2 px in [-1, 1] grid units
    mirror = torch.where((r[:, 4] < 0.5) & flip, -1.0, 1.0)
    cos, sin = torch.cos(angle) / scale, torch.sin(angle) / scale
    theta = torch.stack([torch.stack([cos * mirror, -sin, shift[:, 0]], 1),
                         torch.stack([sin * mirror, cos, shift[:, 1]], 1)], 1)  # (B, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    return F.grid_sample(x, grid, align_corners=False, padding_mode="zeros")


@torch.inference_mode()
def confident_shares(model: Classifier, images: torch.Tensor, seed: int, junk: int = 3000) -> dict:
    """Shares read confidently (max probability >= names.CONFIDENT): of the real `images`, which
    should be nearly all, and of `junk` outlier images drawn from a stream training never saw."""
    model.eval()
    unseen = torch.Generator().manual_seed(seed + 1_000_003)
    fake = outlier_images(junk, unseen, untrained_pool(unseen)).to(images.device)
    real = torch.cat([model(to_native(x)).softmax(-1).amax(-1) for x in images.split(BATCH)])
    return {"test_confident": round((real >= CONFIDENT).float().mean().item(), 5),
            "junk_confident": round((model(fake).softmax(-1).amax(-1) >= CONFIDENT).float().mean().item(), 5),
            "junk_images": junk}


@torch.inference_mode()
def accuracy(model: Classifier, images: torch.Tensor, labels: torch.Tensor, batch_size: int = BATCH) -> float:
    """Top-1 accuracy on uint8 images (N, 28, 28)."""
    model.eval()
    correct = 0
    for i in range(0, len(labels), batch_size):
        x = to_native(images[i:i + batch_size])
        correct += (model(x).argmax(1) == labels[i:i + batch_size]).sum().item()
    return correct / len(labels)


def train_classifier(
    cfg: ClassifierTrainConfig,
    out: str | Path,
    command: str | None = None,
    log: Callable[[str], None] = print,
    progress: bool = True,
) -> dict:
    """Train, evaluate on the test split, and write OUT/classifier.safetensors + OUT/card.json.

    Returns the card (with `metrics.test_accuracy`). The folder is checked writable before the
    data is loaded and stays locked while training; a NaN or infinite loss stops the run with a
    TrainingError and saves nothing.
    """
    cfg.validate()
    out = check_writable(out)
    refuse_another_run(out, "classifier")
    with locked_run_folder(out, "a classifier run"):
        device = pick_device(cfg.device)
        train = load_images(cfg.dataset, train=True, data_dir=cfg.data_dir, limit=cfg.limit).to(device)
        test = load_images(cfg.dataset, train=False, data_dir=cfg.data_dir).to(device)
        start = time.perf_counter()
        model, acc = _fit(cfg, train, test, device, log, progress)
        card = new_card("classifier", model.config, dataset=cfg.dataset, seed=cfg.seed, command=command,
                        device=device)
        card.update(epochs=cfg.epochs, batch_size=cfg.batch_size, lr=cfg.lr, outlier_weight=cfg.outlier_weight,
                    train_images=len(train),
                    train_seconds=round(time.perf_counter() - start, 1))
        card["metrics"] = {"test_accuracy": round(acc, 5), "test_images": len(test),
                           **confident_shares(model, test.images, cfg.seed)}
        save_weights(model, out / "classifier.safetensors", "classifier")
        write_card(out / "card.json", card)
    return card


def _fit(cfg: ClassifierTrainConfig, train, test, device: torch.device, log: Callable[[str], None],
         progress: bool) -> tuple[Classifier, float]:
    """The training loop; returns the model and its final test accuracy."""
    from tqdm.auto import tqdm

    torch.manual_seed(cfg.seed)
    model = Classifier(ClassifierConfig(dataset=cfg.dataset, width=cfg.width)).to(device)
    steps_per_epoch = math.ceil(len(train) / cfg.batch_size)
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=5e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=cfg.lr, total_steps=cfg.epochs * steps_per_epoch)
    gen = torch.Generator(device).manual_seed(cfg.seed)
    junk_gen = torch.Generator().manual_seed(cfg.seed)  # junk is made on the CPU, whatever the device
    untrained = untrained_pool(junk_gen) if cfg.outlier_weight else None
    flip = cfg.dataset == "fashion-mnist"  # mirrored clothes are still clothes; mirrored digits are not

    start = time.perf_counter()
    for epoch in range(1, cfg.epochs + 1):
        model.train()
        perm = torch.randperm(len(train), generator=gen, device=device)
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{cfg.epochs}", disable=not progress, leave=False)
        for step in bar:
            idx = perm[step * cfg.batch_size:(step + 1) * cfg.batch_size]
            x = augment(to_native(train.images[idx]), flip, gen)
            if cfg.outlier_weight:  # one batch, as the reference's, so BatchNorm sees both
                x = torch.cat([x, outlier_images(len(idx) // 2 + 1, junk_gen, untrained).to(device)])
            logits = model(x)
            loss = F.cross_entropy(logits[:len(idx)], train.labels[idx])
            if cfg.outlier_weight:  # cross-entropy to the uniform prediction
                loss = loss - cfg.outlier_weight * logits[len(idx):].log_softmax(-1).mean()
            value = loss.item()
            if not math.isfinite(value):
                raise TrainingError(f"training diverged at epoch {epoch} step {step + 1}: loss={value}; nothing "
                                    f"was saved; run again with a lower --lr (now {cfg.lr:g}) or another --seed")
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            bar.set_postfix(loss=f"{value:.4f}")
        acc = accuracy(model, test.images, test.labels)
        log(f"Epoch [{epoch}/{cfg.epochs}] loss {value:.4f} test accuracy {acc:.4%} "
            f"time {time.perf_counter() - start:.0f}s")
    if not all(torch.isfinite(p).all() for p in model.parameters()):  # the last step's update can overflow
        raise TrainingError(f"training diverged in its last step (non-finite weights); nothing was saved; "
                            f"run again with a lower --lr (now {cfg.lr:g}) or another --seed")
    return model, acc
