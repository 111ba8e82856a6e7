"""Measuring generators: metrics, scoring during training, handwriting style."""
