"""Run by tests/test_distributed.py under torchrun: trains a tiny GAN with DistributedDataParallel
and checks after every step that all ranks hold the same weights.

    python -m torch.distributed.run --standalone --nproc-per-node 2 tests/ddp_worker.py OUT ARCH
"""

import json
import sys

import torch
import torch.distributed as dist

from latentkit.training import distributed
from latentkit.training.gan import GANTrainer
from latentkit.training.trainer import TrainConfig


class CheckedTrainer(GANTrainer):
    """After each step, gathers every rank's G, D and weight-average parameters; rank 0 counts
    the steps where any rank's differ from its own."""

    steps = mismatches = 0

    def train_step(self, real_uint8):
        stats = super().train_step(real_uint8)
        nets = [self.G, self.D] + ([self.G_ema] if self.G_ema is not None else [])
        mine = torch.cat([p.detach().flatten() for net in nets for p in net.parameters()])
        everyone = [torch.empty_like(mine) for _ in range(self.world)]
        dist.all_gather(everyone, mine)
        self.steps += 1
        self.mismatches += sum(not torch.equal(mine, other) for other in everyone)
        return stats


def main() -> None:
    out, arch = sys.argv[1], sys.argv[2]
    cfg = TrainConfig(arch=arch, width=4, latent_dim=16, limit=256, batch_size=16, epochs=2, eval_samples=0)
    with distributed.process_group(torch.device("cpu")):
        trainer = CheckedTrainer(cfg, out)
        trainer.fit(log=lambda line: None, progress=False)
        if distributed.rank() == 0:
            report = {"world": trainer.world, "steps": trainer.steps, "mismatches": trainer.mismatches}
            with open(f"{out}/ranks.json", "w") as f:
                json.dump(report, f)


if __name__ == "__main__":
    main()
