"""Model weights on disk: safetensors with the config in its metadata, loaded strictly.

A weights file is self-describing: its metadata says what kind of network it holds
and the config to rebuild it (`Config(**saved)`), so loading needs no pickle and
no guessing. Corrupt, truncated or mismatched files are refused with a message
that says which file and what to do.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import torch
from torch import nn

from latentkit.errors import CheckpointError, LatentkitError, first_line
from latentkit.storage import atomic_path

KINDS = ("generator", "classifier")


def save_weights(model: nn.Module, path: str | os.PathLike, kind: str, metadata: dict[str, str] | None = None) -> Path:
    """Write `model`'s state_dict and config (and any further `metadata`) to a .safetensors file, atomically."""
    from safetensors.torch import save

    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    meta = {**(metadata or {}), "latentkit_kind": kind, "config": model.config.to_json()}
    with atomic_path(path) as tmp:
        # Python writes the bytes, so a full disk is an OSError (one line), not safetensors' own error.
        tmp.write_bytes(save(state, metadata=meta))
    return Path(path)


def read_weights(path: str | os.PathLike, kinds: tuple[str, ...] = KINDS,
                 maker: str = "`latentkit train` or `latentkit train-classifier`") -> tuple[dict[str, torch.Tensor],
                                                                                          dict[str, str]]:
    """Read tensors and metadata from a .safetensors file written by latentkit for one of `kinds`;
    CheckpointError, naming `maker` (the command that writes such files), if it is not one."""
    from safetensors import safe_open

    path = Path(path)
    what = "/".join(kinds)
    if not path.is_file():
        raise CheckpointError(f"{what} file {path} does not exist; check the path or run {maker}")
    try:
        with safe_open(str(path), framework="pt") as f:
            meta = f.metadata() or {}
            state = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as err:  # safetensors raises SafetensorError / OSError on bad bytes
        from latentkit.generator.contract import refuse_pickle

        refuse_pickle(path)  # a torch.save file is named as one, not as corrupt safetensors
        raise CheckpointError(
            f"cannot read {what} {path}: corrupt or truncated ({first_line(err)}); "
            f"make it again with {maker}, or pass another file"
        ) from None
    if meta.get("latentkit_kind") not in kinds or "config" not in meta:
        raise CheckpointError(
            f"{path} is not a latentkit {what} (its metadata says {meta.get('latentkit_kind', 'nothing')!r}); "
            f"pass a file written by {maker}"
        )
    return state, meta


def load_weights(path: str | os.PathLike, expect: str | None = None, device: str | torch.device = "cpu") -> nn.Module:
    """Rebuild the network a weights file describes and load it strictly, in eval mode.

        g = load_weights("runs/dcgan/generator.safetensors", expect="generator")
    """
    from latentkit.models import Classifier, ClassifierConfig, GANConfig, Generator

    state, meta = read_weights(path)
    kind = meta["latentkit_kind"]
    if expect is not None and kind != expect:
        raise CheckpointError(f"{path} holds a {kind}, not a {expect}; pass a {expect} file")
    broken = [name for name, t in state.items() if t.is_floating_point() and not torch.isfinite(t).all()]
    if broken:
        raise CheckpointError(f"{path} holds NaN or infinite weights ({broken[0]}): the run that wrote it "
                              "diverged; retrain it (lower --lr) or pass another file")
    try:
        config = json.loads(meta["config"])
        if not isinstance(config, dict):
            raise TypeError(f"its config is a JSON {type(config).__name__}, not an object of settings")
        if kind == "generator":
            # Weights written before generators recorded their dataset take it from their card.
            config.setdefault("dataset", _card_dataset(Path(path)))
            model: nn.Module = Generator(GANConfig(**config))
        else:
            model = Classifier(ClassifierConfig(**config))
        model.load_state_dict(state, strict=True)
    except (RuntimeError, TypeError, ValueError, LatentkitError) as err:
        raise CheckpointError(f"{path} does not match its own config: {first_line(err)}") from None
    return model.to(device).eval()


def _card_dataset(path: Path) -> str:
    """The dataset named by the card beside a weights file (NAME.json or the run's card.json), else mnist."""
    from latentkit.generator.cards import card_beside

    card = card_beside(path)
    return card["dataset"] if card and isinstance(card.get("dataset"), str) else "mnist"


def sha256(path: str | os.PathLike) -> str:
    """Hex digest of a file, to record exactly which weights produced a result."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()
