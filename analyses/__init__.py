"""Latent-space analyses (interpolate, sweep, map, plane): one module per analysis."""
