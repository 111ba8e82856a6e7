"""VAE training: the encoder and the decoder (the run's generator) under one Adam, and one step
that is pytorch/examples' `vae/main.py` train step: encode, sample z by reparameterisation,
decode, and minimise the binary cross-entropy summed over pixels plus the KL divergence, summed
over the batch. The loop, checkpoints and run folder are the Trainer's (trainer.py).

After each epoch the test set's ELBO and each latent dimension's KL are measured
(measure/elbo.py) into the card and plotted (loss.png, kl_per_dim.png). The encoder is saved
beside the generator as OUT/encoder.safetensors: `latentkit invert` starts from its mean.
"""

from __future__ import annotations

import torch
from torch import nn

from latentkit.data.datasets import load_images
from latentkit.data.pixels import to_native
from latentkit.models import Generator, VAEEncoder
from latentkit.models.vae import kl_per_dim, reconstruction_nats, reparameterize
from latentkit.training import distributed
from latentkit.training.trainer import Trainer

STATS = ("loss", "reconstruction", "kl")  # what a step reports, per image, in order
HISTORY = {
    "loss": "negative ELBO of the training batch, nats per image (reconstruction + kl)",
    "reconstruction": "binary cross-entropy of the reconstruction summed over pixels, nats per image",
    "kl": "KL divergence of the posterior to the N(0, I) prior, nats per image",
}
ENCODER = "encoder.safetensors"


class _VAE(nn.Module):
    """Encoder and decoder as one forward (x, eps) -> (reconstruction, mu, logvar), the module
    DistributedDataParallel wraps: the noise comes in drawn, so every rank keeps its own stream."""

    def __init__(self, encoder: VAEEncoder, decoder: Generator):
        super().__init__()
        self.encoder, self.decoder = encoder, decoder

    def forward(self, x: torch.Tensor, eps: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        mu, logvar = self.encoder(x)
        return self.decoder.native(reparameterize(mu, logvar, eps)), mu, logvar


class VAETrainer(Trainer):
    """A VAE's run: the encoder E beside the decoder G, one Adam over both; see Trainer.

        card = VAETrainer(TrainConfig(arch="vae", epochs=5), out="runs/vae").fit()
    """

    STATS = STATS
    HISTORY = HISTORY

    def _build(self) -> None:
        cfg = self.cfg
        self.E = VAEEncoder(cfg.model_config).to(self.device)
        self.opt = torch.optim.Adam([*self.E.parameters(), *self.G.parameters()], lr=cfg.learning_rate,
                                    betas=(cfg.adam_beta1, cfg.beta2),
                                    fused=self.device.type in ("cpu", "cuda") or None)
        # The test set the ELBO is measured on after each epoch, loaded now: a missing file
        # should cost seconds, not an epoch. Rank 0 alone measures (and writes) it.
        self._test = (load_images(cfg.dataset, train=False, data_dir=cfg.data_dir).images if self.rank == 0
                      else None)

    def _wrap(self) -> None:
        self.step = distributed.wrap(_VAE(self.E, self.G), self.device)

    def _modules(self) -> dict[str, dict]:
        return {"E": self.E.state_dict(), "opt": self.opt.state_dict()}

    def _restore(self, ckpt: dict) -> None:
        self.E.load_state_dict(ckpt["E"])
        self.opt.load_state_dict(ckpt["opt"])

    def train_step(self, real_uint8: torch.Tensor) -> torch.Tensor:
        """pytorch/examples' step (loss summed over the batch); returns the STATS per image (3,)."""
        x = to_native(real_uint8)
        eps = torch.randn(x.shape[0], self.cfg.latent_dim, generator=self.noise, device=self.device)
        self._schedule_rates([(self.opt, self.cfg.learning_rate)])
        recon, mu, logvar = self.step(x, eps)
        reconstruction, kl = reconstruction_nats(recon, x).sum(), kl_per_dim(mu, logvar).sum()
        loss = reconstruction + kl
        self.opt.zero_grad(set_to_none=True)
        loss.backward()
        self.opt.step()
        return torch.stack([loss, reconstruction, kl]).detach() / x.shape[0]

    def _end_epoch(self, epoch: int) -> None:
        from latentkit.measure.elbo import elbo

        if self.rank != 0:
            return
        self.E.eval(), self.G.eval()
        measured = elbo(self.E, self.G, self._test, seed=self.cfg.seed + 3)
        self.E.train(), self.G.train()
        self.state.epoch_stats.append({"epoch": epoch, **{k: round(v, 4) if isinstance(v, float) else v
                                                          for k, v in measured.items()}})

    def _card_extra(self) -> dict:
        return {"elbo": self.state.epoch_stats, "encoder": ENCODER} if self.state.epoch_stats else {"encoder": ENCODER}

    def _write_final(self, progress: bool) -> dict:
        """The Trainer's files, then the encoder (made for the generator just written), so that a
        folder with an encoder always has its generator; a kill between them is mended by --resume."""
        from latentkit.generator.weights import sha256
        from latentkit.training.encoder import Encoder, EncoderConfig, save_encoder

        card = super()._write_final(progress)
        cfg = self.cfg.model_config
        encoder = Encoder(EncoderConfig(latent_dim=cfg.latent_dim, width=cfg.width, dataset=cfg.dataset,
                                        generator=str(self.out), arch=cfg.arch,
                                        generator_sha256=sha256(self.out / "generator.safetensors")))
        encoder.posterior.load_state_dict(self.E.state_dict())
        save_encoder(encoder, self.out / ENCODER)
        return card

    def _figures(self) -> dict:
        import numpy as np

        from latentkit.results import plotting

        arrays = {k: np.asarray(v) for k, v in self.state.history.items()}
        figures = {"loss.png": plotting.plot_elbo(arrays, self.state.epoch_stats, self.steps_per_epoch).figure}
        if self.state.epoch_stats:
            figures["kl_per_dim.png"] = plotting.plot_kl_per_dim(self.state.epoch_stats).figure
        return figures

    def _epoch_line(self, epoch: int, steps: int, seconds: float) -> str:
        line = super()._epoch_line(epoch, steps, seconds)
        if not self.state.epoch_stats:
            return line
        m = self.state.epoch_stats[-1]
        return (f"{line}\n  test set: ELBO {m['elbo']:.2f} = -(reconstruction {m['reconstruction']:.2f} + KL "
                f"{m['kl']:.2f}) nats per image; {m['active_dims']} of {self.cfg.latent_dim} latent dimensions active")

    def _summary_numbers(self, s: list[float]) -> str:
        return f"Loss {s[0]:.2f} Reconstruction {s[1]:.2f} KL {s[2]:.2f} (nats per image)"

    def _bar_numbers(self, s: list[float]) -> str:
        return f"loss {s[0]:.1f} = rec {s[1]:.1f} + KL {s[2]:.1f}"
