"""Latent geometry: paths, class boundaries, directions from layers, inversion."""
