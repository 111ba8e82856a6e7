"""Model cards: the JSON written beside every weights file.

A card says what a model is (architecture, dataset, config), how it was made
(command, seed, version, device, seconds) and how good it is (measured metrics).
"""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import TYPE_CHECKING, Any

from latentkit.storage import write_json

if TYPE_CHECKING:
    import torch


def new_card(kind: str, config: Any, *, dataset: str, seed: int, command: str | None, device: torch.device) -> dict:
    # torch only here: reading cards (`latentkit models`, completion) must not import it.
    import torch

    from latentkit import __version__

    return {
        "kind": kind,
        "arch": getattr(config, "arch", "classifier"),
        "dataset": dataset,
        "config": json.loads(config.to_json()),
        "seed": seed,
        "command": command,
        "latentkit_version": __version__,
        "torch_version": torch.__version__,
        "device": str(device),
        "machine": f"{platform.machine()} {os.cpu_count()} cpus" if device.type == "cpu" else str(device),
        "metrics": {},
    }


def write_card(path: str | os.PathLike, card: dict) -> None:
    write_json(path, card)


def card_beside(weights: str | os.PathLike) -> dict | None:
    """The card of a weights file: NAME.json beside it (bundled models), else its run folder's
    card.json; None if neither is a readable card."""
    weights = Path(weights)
    for path in (weights.with_suffix(".json"), weights.parent / "card.json"):
        card = read_card(path)
        if isinstance(card, dict):
            return card
    return None


def read_card(path: str | os.PathLike) -> dict | None:
    """The card at `path`, or None if there is none or it is unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return None
