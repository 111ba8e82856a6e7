"""Figures for training runs: sample grids, loss curves, D outputs, progression GIFs.

Matplotlib is imported inside the functions that need it, so importing latentkit
stays fast; it runs on the non-interactive Agg backend when writing files.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import torch

from latentkit.names import CONFIDENT
from latentkit.storage import atomic_path

# One colour per class, used by every figure latentkit draws: matplotlib's tab10 with its grey
# (class 7: MNIST's 7, FashionMNIST's Sneaker) replaced by navy, since light grey means "unsure".
# Navy stays apart from tab10's blue and purple, in scatters and blended toward white (plane).
CLASS_COLORS = (
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
    "#8c564b", "#e377c2", "#000080", "#bcbd22", "#17becf",
)
UNSURE_COLOR = "#c8c8c8"  # low-confidence points
UNSURE_COLOR_TEXT = "#808080"  # the same, dark enough to read as text
LABEL_STRIP = 16  # pixels above a GIF frame for its label
GUTTER = 190  # grey level of the lines between the tiles of an image grid


def class_color(label: int) -> str:
    return CLASS_COLORS[int(label) % len(CLASS_COLORS)]


def reading_rgb(probs: np.ndarray, confident: float = CONFIDENT) -> np.ndarray:
    """(..., C) probabilities -> (..., 3) RGB in [0, 1]: the colour of the class each is read as,
    UNSURE_COLOR below `confident`; plane's region map and the explorer's draw it alike."""
    from matplotlib.colors import to_rgb

    from latentkit.measure.reading import UNSURE, readings

    palette = np.array([*(to_rgb(c) for c in CLASS_COLORS), to_rgb(UNSURE_COLOR)])
    read = readings(probs, confident)
    return palette[np.where(read == UNSURE, len(CLASS_COLORS), read % len(CLASS_COLORS))]


def reading_label(probs: np.ndarray, class_names: list[str], confident: float = CONFIDENT) -> tuple[str, str]:
    """(text, colour) captioning one image by how it is read: "8 0.97" in 8's colour, or
    "unsure 0.54" in grey below `confident` (measure/reading.py), as every figure labels images."""
    label = int(np.argmax(probs))
    if probs[label] >= confident:
        return f"{class_names[label]} {probs[label]:.2f}", class_color(label)
    return f"unsure {probs[label]:.2f}", UNSURE_COLOR_TEXT


def grid_image(images: torch.Tensor, nrow: int, pad: int = 2) -> np.ndarray:
    """(B, 1, H, W) in [0, 1] (1 = ink) -> one uint8 (rows*H', nrow*W') grey image, black ink on
    white with `pad` px grey gutters: latentkit draws every digit this way, in training grids as
    in the analyses' figures (show it with cmap="gray", vmin=0, vmax=255)."""
    from torchvision.utils import make_grid

    paper = 1 - images.detach().float().cpu().clamp(0, 1)
    grid = make_grid(paper, nrow=nrow, padding=pad, pad_value=GUTTER / 255)
    return (grid[0] * 255).round().to(torch.uint8).numpy()


def save_grid(images: torch.Tensor, path: str | os.PathLike, nrow: int, scale: int = 2) -> Path:
    """Write a sample grid (grid_image: black ink on white) as a PNG, upscaled `scale`x with
    nearest neighbour so pixels stay crisp."""
    from PIL import Image

    img = Image.fromarray(grid_image(images, nrow))
    img = img.resize((img.width * scale, img.height * scale), Image.NEAREST)
    with atomic_path(path) as tmp:
        img.save(tmp, format="PNG")
    return Path(path)


def _write_gif(frames: list, path: str | os.PathLike, durations: int | list[int]) -> Path:
    with atomic_path(path) as tmp:
        frames[0].save(tmp, format="GIF", save_all=True, append_images=frames[1:], duration=durations, loop=0)
    return Path(path)


def save_gif(frames: list[str | os.PathLike], path: str | os.PathLike, ms_per_frame: int = 400,
             labels: list[str] | None = None) -> Path:
    """Join PNG files into a looping GIF that holds the last frame a little longer; each
    label (e.g. "epoch 3") is written in a white strip above its frame."""
    from PIL import Image

    images = [Image.open(f).convert("L") for f in frames]
    if labels is not None:
        images = [_labelled(image, label) for image, label in zip(images, labels, strict=True)]
    return _write_gif(images, path, [ms_per_frame] * (len(images) - 1) + [ms_per_frame * 4])


def _labelled(image, label: str):
    """A PIL image with `label` written in a white strip above it."""
    from PIL import Image, ImageDraw

    canvas = Image.new("L", (image.width, image.height + LABEL_STRIP), 255)
    canvas.paste(image, (0, LABEL_STRIP))
    ImageDraw.Draw(canvas).text((4, 3), label, fill=0)
    return canvas


def save_evolution_gif(grids: np.ndarray, labels: list[str], path: str | os.PathLike, scale: int = 2,
                       ms_per_frame: int = 500) -> Path:
    """uint8 image sets (frames, n, 28, 28), 255 = ink, -> a looping GIF of one grid per frame
    (grid_image's look), each labelled (e.g. "epoch 3"), the last held longer."""
    from PIL import Image

    nrow = int(np.ceil(np.sqrt(grids.shape[1])))
    frames = []
    for images, label in zip(grids, labels, strict=True):
        grid = Image.fromarray(grid_image(torch.from_numpy(images).float()[:, None] / 255, nrow))
        frames.append(_labelled(grid.resize((grid.width * scale, grid.height * scale), Image.NEAREST), label))
    return _write_gif(frames, path, [ms_per_frame] * (len(frames) - 1) + [ms_per_frame * 4])


def save_frames_gif(images: np.ndarray, path: str | os.PathLike, scale: int = 6, ms_per_frame: int = 150) -> Path:
    """uint8 frames (N, H, W) -> a looping GIF, upscaled `scale`x, ink dark on white."""
    from PIL import Image

    frames = [Image.fromarray(255 - f).resize((f.shape[1] * scale, f.shape[0] * scale), Image.NEAREST)
              for f in images]
    return _write_gif(frames, path, ms_per_frame)


def _smooth(y: np.ndarray, window: int) -> np.ndarray:
    if window <= 1 or len(y) < window:
        return y
    return np.convolve(y, np.ones(window) / window, mode="valid")


def plot_losses(history: dict[str, np.ndarray], ax=None, loss: str = "bce"):
    """Loss_D and Loss_G per step (light) with a moving average (dark); `loss` names the GAN loss
    on the y axis ("bce" or "hinge"); returns the ax."""
    ax = ax or new_figure(figsize=(8, 4)).subplots()
    window = max(1, len(history["loss_D"]) // 50)
    for key, color in (("loss_D", "tab:blue"), ("loss_G", "tab:orange")):
        y = history[key]
        ax.plot(y, color=color, alpha=0.25, lw=0.8)
        ax.plot(np.arange(len(_smooth(y, window))) + window // 2, _smooth(y, window), color=color, label=key)
    ax.set(xlabel="iteration", ylabel=f"{loss if loss == 'hinge' else loss.upper()} loss",
           title="Generator and discriminator loss")
    ax.legend()
    return ax


def plot_d_outputs(history: dict[str, np.ndarray], ax=None):
    """Mean D(x) on real and D(G(z)) on fake batches per step; returns the ax."""
    ax = ax or new_figure(figsize=(8, 4)).subplots()
    window = max(1, len(history["D_x"]) // 50)
    # Both fake-batch means are of the same G(z): scored by D before its update, then by the
    # updated D in G's step (R002's D_G_z1 and D_G_z2).
    for key, label in (("D_x", "D(x), real batch"), ("D_G_z_before", "D(G(z)) before D's update"),
                       ("D_G_z_after", "D(G(z)) after D's update (G's step)")):
        ax.plot(np.arange(len(_smooth(history[key], window))) + window // 2, _smooth(history[key], window), label=label)
    ax.axhline(0.5, color="grey", lw=0.8, ls="--")
    ax.set(xlabel="iteration", ylabel="mean sigmoid of D output", ylim=(0, 1), title="Discriminator outputs")
    ax.legend()
    return ax


def plot_elbo(history: dict[str, np.ndarray], epoch_stats: list[dict], steps_per_epoch: int, ax=None):
    """A VAE's loss and its two parts per training step (light, with a moving average), and the
    test set's after each epoch (dots), in nats per image; returns the ax."""
    ax = ax or new_figure(figsize=(8, 4)).subplots()
    window = max(1, len(history["loss"]) // 50)
    for key, color in (("loss", "black"), ("reconstruction", "tab:blue"), ("kl", "tab:orange")):
        y = history[key]
        ax.plot(y, color=color, alpha=0.2, lw=0.8)
        ax.plot(np.arange(len(_smooth(y, window))) + window // 2, _smooth(y, window), color=color,
                label=f"{key}, training batches")
        if epoch_stats:
            test = [-s["elbo"] if key == "loss" else s[key] for s in epoch_stats]
            ax.plot([s["epoch"] * steps_per_epoch for s in epoch_stats], test, "o", color=color, ms=4,
                    label=f"{key}, test set")
    ax.set(xlabel="iteration", ylabel="nats per image", title="Negative ELBO = reconstruction + KL")
    if len(history["loss"]):
        ax.set_ylim(0, 1.3 * float(np.percentile(history["loss"], 95)))
    ax.legend(ncols=3, fontsize="small")
    return ax


def plot_kl_per_dim(epoch_stats: list[dict], ax=None):
    """Each latent dimension's KL on the test set after each epoch (one line per dimension),
    with the threshold under which a dimension counts as inactive; returns the ax."""
    from latentkit.measure.elbo import INACTIVE_NATS

    ax = ax or new_figure(figsize=(8, 4)).subplots()
    epochs = [s["epoch"] for s in epoch_stats]
    per_dim = np.array([s["kl_per_dim"] for s in epoch_stats])  # (epochs, d)
    for i in range(per_dim.shape[1]):
        ax.plot(epochs, np.maximum(per_dim[:, i], 1e-4), marker="o" if len(epochs) < 20 else None, ms=3, lw=1)
    ax.axhline(INACTIVE_NATS, color="grey", ls="--", lw=0.8)
    ax.set_yscale("log")
    active = epoch_stats[-1]["active_dims"]
    ax.set(xlabel="epoch", ylabel="KL on the test set (nats per image)",
           title=f"KL of each latent dimension: {active} of {per_dim.shape[1]} active "
                 f"(above {INACTIVE_NATS:g} nats, dashed) after epoch {epochs[-1]}")
    return ax


def new_figure(**kwargs):
    """A matplotlib Figure (figsize=..., layout=...) on an Agg canvas, without pyplot: a command
    that draws never imports pyplot, and the figure is not held by it (nothing to close)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(**kwargs)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig_or_ax, path: str | os.PathLike, dpi: int = 120) -> Path:
    """Save a figure (or the figure owning an ax) as a PNG atomically, then close it if pyplot
    holds it (latentkit draws on plain Figures, which pyplot never imports or holds)."""
    fig = getattr(fig_or_ax, "figure", None) or fig_or_ax
    # A figure with a layout engine already fits everything inside itself; "tight" would draw it twice.
    bbox = None if fig.get_layout_engine() is not None else "tight"
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=dpi, bbox_inches=bbox)
    if getattr(fig.canvas, "manager", None) is not None:
        import matplotlib.pyplot as plt

        plt.close(fig)
    return Path(path)
