"""Datasets, real images and pixel conversions."""
