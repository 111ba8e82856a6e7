#!/usr/bin/env bash
# Regenerates the README's figures from the bundled models; run from the repository root.
# Each figure's .h5 is written beside it (not committed): `latentkit plot` redraws it.
set -euo pipefail
g=docs/gallery
run() { echo "+ latentkit $*"; latentkit "$@"; }

# The README's top image: the grid `latentkit train` writes as samples.png (training seed 0's fixed noise).
python - <<'PY'
import torch

import latentkit
from latentkit.results.plotting import save_grid
from latentkit.training.artifacts import native_grid_images

g = latentkit.load_generator("mnist-dcgan")
noise = torch.randn(100, g.latent_dim, generator=torch.Generator().manual_seed(0 + 1))  # as GANTrainer.fixed_noise
save_grid(native_grid_images(g, noise), "docs/mnist-dcgan-samples.png", nrow=10)
PY

# R000's interpolations (9->8, 3->0, 9->4 and the waypoint path 3->8->0) and R003's 6->9.
run interpolate --from 9 --to 8 --pairs 2 --out $g/interpolate-9-8
run interpolate --from 3 --to 0 --pairs 2 --out $g/interpolate-3-0
run interpolate --from 9 --to 4 --pairs 2 --method lerp --out $g/interpolate-9-4-lerp
run interpolate --from 9 --to 4 --pairs 2 --method slerp --out $g/interpolate-9-4-slerp
run interpolate --from 3 --via 8 --to 0 --steps 8 --out $g/interpolate-3-8-0
run interpolate --from 6 --to 9 --steps 12 --out $g/interpolate-6-9
# R001's sweep: coordinates 5, 25, 45, 65, 85 counted from 1 are dims 4, 24, 44, 64, 84 here.
run sweep --dims 4,24,44,64,84 --values -3,0,3 --samples 3 --out $g/sweep-r001
run sweep --rank --samples 32 --out $g/sweep-rank
run map --samples 10000 --out $g/map-umap
run map --samples 3000 --space features --method umap --thumbnails --out $g/map-features
run plane --anchors 9,4,7 --out $g/plane-9-4-7
run plane --dims 4,24 --extent 3 --out $g/plane-dims
run eval --out $g/eval-mnist-dcgan
# Issue 15: the truncation trick's trade-off, for both bundled generators.
run eval --truncation-sweep --out $g/truncation
run eval --model fashion-mnist-dcgan --truncation-sweep --out $g/truncation-fashion
# Directions and edits (issue 12): the style grid, a 3->8 edit, the SeFa and classifier directions.
run edit --toward all --samples 6 --out $g/edit-style-grid
run edit --from 3 --toward 8 --out $g/edit-3-8
run directions --method sefa --out $g/directions-sefa
run directions --method classifier --pairs 3:8,9:4 --out $g/directions-classifier
python benchmarks/edit_success.py --out $g/edit-success
# Issue 14: map.html with a hover, and latentkit explore (a 3 moved toward 8), in the system Chromium.
python docs/explore_screenshots.py $g/map-features/map.h5 $g/explore
# Real digits (issue 13): inversion of 1,000 test digits, a walk between two, the map with real digits.
run invert --indices 0:1000 --out $g/invert-test
run interpolate --from-test 17 --to-test 4 --steps 8 --out $g/interpolate-real
run map --samples 3000 --space features --with-real 300 --out $g/map-real
# GAN vs VAE: the bundled pair measured side by side.
run compare mnist-dcgan mnist-vae --out $g/compare-dcgan-vae
