"""Reading the classifier's verdict on a generator: one line, and whether to trust it.

A generator that draws one digit, or one near-constant image, is read "confidently" by the
classifier, so confident fraction alone ranks it above a good model. Class entropy shows the
collapse, and `verdict` says it in words:

    summary(card)   # "confident 100.0%, class entropy 0.00, min class share 0.0%; collapsed: 8 is 100% of samples"

Torch-free: `latentkit models` and shell completion read cards without importing torch.
"""

from __future__ import annotations

from latentkit.names import CLASSES

# A class drawn less often than this is missing: MNIST's rarest digit is 9% of the test set.
MISSING_SHARE = 0.01
# Below this normalised entropy most samples fall in one or two classes (1.0 = balanced; one
# class at 91% and nine at 1% each is 0.22; the bundled models are above 0.98).
COLLAPSED_ENTROPY = 0.5
# Below this share of confident reads the classifier recognises almost nothing: noise, not digits
# (the weakest bundled generator, R004's 30-epoch MLP, is at 45%).
NOISE_CONFIDENT = 0.1


def verdict(quality: dict, class_names: list[str] | None = None) -> str | None:
    """Why classifier metrics of these samples mislead, in words, or None when they do not.

    `quality` holds sample_quality's class_shares, class_entropy and confident_fraction.
    "noise" when under NOISE_CONFIDENT of samples are read confidently (checked first: the
    likeliest classes of images the classifier is unsure of say nothing of a collapse);
    "collapsed" when a class is under MISSING_SHARE or the entropy under COLLAPSED_ENTROPY.
    """
    if quality["confident_fraction"] < NOISE_CONFIDENT:
        return f"noise: the classifier reads only {quality['confident_fraction']:.1%} of samples confidently"
    shares = quality["class_shares"]
    names = class_names or [str(i) for i in range(len(shares))]
    missing = sum(s < MISSING_SHARE for s in shares)
    if missing or quality["class_entropy"] < COLLAPSED_ENTROPY:
        top = max(range(len(shares)), key=shares.__getitem__)
        # With all but one class missing, "8 is 100%" already says it.
        alone = missing == len(shares) - 1
        absent = f", {missing} of {len(shares)} classes under {MISSING_SHARE:.0%}" if missing and not alone else ""
        return f"collapsed: {names[top]} is {shares[top]:.0%} of samples{absent}"
    return None


def card_verdict(card: dict) -> str | None:
    """verdict() of a generator card's metrics (None for a classifier or an unmeasured run)."""
    m = card.get("metrics", {})
    if "class_shares" not in m:
        return None
    return verdict(m, CLASSES.get(m.get("classifier_dataset") or card.get("dataset")))


def summary(card: dict) -> str:
    """One line of a card's measured quality: for a classifier test accuracy, and how much of the
    test set and of junk it reads confidently (cards since outlier exposure); for a generator
    confident fraction beside class entropy and the rarest class, and the verdict if any."""
    m = card.get("metrics", {})
    if "test_accuracy" in m:
        sure = (f", confident on {m['test_confident']:.1%} of test images and {m['junk_confident']:.1%} of junk"
                if "junk_confident" in m else "")
        return f"test accuracy {m['test_accuracy']:.2%}{sure}"
    elbo = f"test ELBO {card['elbo'][-1]['elbo']:.2f} nats" if card.get("elbo") else ""  # a VAE's, last epoch
    if "confident_fraction" not in m:
        return elbo or "-"
    line = (f"{elbo}, " * bool(elbo) + f"confident {m['confident_fraction']:.1%}, class entropy "
            f"{m['class_entropy']:.2f}, min class share {m['min_class_share']:.1%}")
    warning = card_verdict(card)
    return f"{line}; {warning}" if warning else line
