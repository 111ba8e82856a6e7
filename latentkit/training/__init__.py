"""Training: GANs, the classifier, the encoder, their configs, artefacts and torchrun."""
