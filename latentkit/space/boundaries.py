"""Linear boundaries between classes in latent space, from the classifier's labels.

InterFaceGAN (Shen et al. 2020) fits a linear SVM on latents labelled by an attribute
model; the boundary's unit normal edits the attribute, and projecting other boundaries'
normals out of it edits one attribute while keeping the others ("conditional" editing).
"Sampling Generative Networks" (White 2016) uses class-mean differences instead. StyleGAN
(Karras et al. 2019, section 4.2) turns the same fits into a metric, linear separability.
Everything here works on numpy arrays: latents (N, d) and labels (N,).

    b = fit_boundary(z, labels, positive=[8], negative=[3], seed=0)   # the 3 -> 8 boundary
    b.normal @ z_new + b.offset > 0                                   # on the 8 side
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from latentkit.errors import ConfigError

MIN_PER_SIDE = 10  # labelled latents each side of a boundary needs before a fit means anything
HELD_OUT = 0.2  # share of the labelled latents kept back to measure a boundary's accuracy


class Boundary(NamedTuple):
    normal: np.ndarray  # (d,) unit vector pointing to the positive side
    offset: float  # signed distance of z to the boundary is normal @ z + offset
    accuracy: float  # share of held-out latents on their label's side, in [0, 1]


def fit_boundary(z: np.ndarray, labels: np.ndarray, positive: Sequence[int], negative: Sequence[int] | None = None,
                 seed: int = 0) -> Boundary:
    """A linear SVM separating latents labelled `positive` from those labelled `negative`
    (None: every other label, one-vs-rest); classes are weighted equally. Raises ConfigError
    when either side has fewer than MIN_PER_SIDE latents."""
    from sklearn.model_selection import train_test_split
    from sklearn.svm import LinearSVC

    is_pos = np.isin(labels, positive)
    used = np.ones(len(labels), bool) if negative is None else is_pos | np.isin(labels, negative)
    n_pos, n_neg = int((is_pos & used).sum()), int((~is_pos & used).sum())
    if min(n_pos, n_neg) < MIN_PER_SIDE:
        raise ConfigError(f"only {n_pos} latents read as {_names(positive)} and {n_neg} as "
                          f"{'other classes' if negative is None else _names(negative)}; a boundary needs "
                          f"{MIN_PER_SIDE} on each side: label more latents (directions --samples, edit --fit-samples) "
                          "or use a better-trained generator")
    x, y = z[used], is_pos[used]
    x_fit, x_test, y_fit, y_test = train_test_split(x, y, test_size=HELD_OUT, random_state=seed, stratify=y)
    svm = LinearSVC(class_weight="balanced", random_state=seed).fit(x_fit, y_fit)
    scale = float(np.linalg.norm(svm.coef_))
    if not np.isfinite(scale) or scale == 0:
        raise ConfigError(f"the labels of {_names(positive)} do not depend linearly on z; no boundary was found")
    return Boundary(svm.coef_[0] / scale, float(svm.intercept_[0]) / scale, float(svm.score(x_test, y_test)))


def fit_extremes(z: np.ndarray, scores: np.ndarray, ratio: float = 0.02, seed: int = 0) -> Boundary:
    """InterFaceGAN's own selection (genforce/interfacegan's train_boundary): the `ratio` share
    of latents with the highest `scores` (N,) are positive, the same share with the lowest
    negative; 70% of each side fit a linear SVC (libsvm, C = 1), the other 30% measure its
    accuracy. The split is drawn from `seed` where the reference shuffles numpy's global state."""
    from sklearn.svm import SVC

    order = np.argsort(-scores, kind="stable")
    chosen = min(int(len(z) * ratio), len(z) // 2)
    if chosen < MIN_PER_SIDE:
        raise ConfigError(f"--ratio {ratio:g} of {len(z)} latents chooses {chosen} on each side; a boundary needs "
                          f"{MIN_PER_SIDE}: raise --samples or --ratio")
    rng = np.random.default_rng(seed)
    train = int(chosen * 0.7)
    positive, negative = order[:chosen][rng.permutation(chosen)], order[-chosen:][rng.permutation(chosen)]
    x = np.concatenate([positive[:train], negative[:train]])
    y = np.r_[np.ones(train, bool), np.zeros(train, bool)]
    svm = SVC(kernel="linear").fit(z[x], y)
    held = np.concatenate([positive[train:], negative[train:]])
    truth = np.r_[np.ones(chosen - train, bool), np.zeros(chosen - train, bool)]
    accuracy = float(svm.score(z[held], truth)) if len(held) else float("nan")
    scale = float(np.linalg.norm(svm.coef_))
    return Boundary(svm.coef_[0] / scale, float(svm.intercept_[0]) / scale, accuracy)


def _names(classes: Sequence[int]) -> str:
    return "class " + "/".join(str(int(c)) for c in classes)


def project_out(direction: np.ndarray, others: np.ndarray) -> np.ndarray:
    """`direction` (d,) with the span of `others` (k, d) removed, renormalised to unit length:
    InterFaceGAN's conditional direction, for any number of conditions. Raises ConfigError
    when nothing is left (the direction lies in that span)."""
    if len(others) == 0:
        return direction
    basis, _ = np.linalg.qr(others.T)  # (d, k) orthonormal basis of the span
    rest = direction - basis @ (basis.T @ direction)
    norm = float(np.linalg.norm(rest))
    if norm < 1e-6 * float(np.linalg.norm(direction)):
        raise ConfigError("the direction lies in the span of the conditions' normals: nothing is left to edit; "
                          "drop a class from --condition-on")
    return rest / norm


def class_mean_directions(z: np.ndarray, labels: np.ndarray, classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Per class, the mean latent of that class minus the mean of all latents (White 2016's
    attribute vectors): (unit vectors (classes, d), their lengths (classes,)). A class with
    no latents gets a zero vector and length 0."""
    vectors = np.zeros((classes, z.shape[1]))
    if len(z) == 0:
        return vectors, np.zeros(classes)
    centre = z.mean(0)
    for c in range(classes):
        if (labels == c).any():
            vectors[c] = z[labels == c].mean(0) - centre
    lengths = np.linalg.norm(vectors, axis=1)
    return vectors / np.where(lengths > 0, lengths, 1)[:, None], lengths


def conditional_entropy(x: np.ndarray, y: np.ndarray) -> float:
    """H(Y | X) in bits for two boolean arrays: how much is left to know about y once x is known."""
    joint = np.array([[np.mean((x == a) & (y == b)) for b in (False, True)] for a in (False, True)])
    px = joint.sum(1, keepdims=True)
    nonzero = joint > 0
    return max(0.0, float(-(joint[nonzero] * np.log2((joint / np.where(px > 0, px, 1))[nonzero])).sum()))


class Separability(NamedTuple):
    value: float  # 2 ** (sum of the entropies); 1 = every class a half-space of z
    entropies: np.ndarray  # (classes,) H(label | SVM side) in bits
    kept_positive: np.ndarray  # (classes,) latents of the class among the kept ones
    kept: int  # latents kept per class


def one_vs_rest_logits(logits: np.ndarray) -> np.ndarray:
    """(N, C) log(p_c / (1 - p_c)) of each class, from the classifier's logits in float64: finite
    where float32 probabilities have rounded to exactly 0 or 1."""
    logits = logits.astype(np.float64)
    rest = np.stack([np.logaddexp.reduce(np.delete(logits, c, axis=1), axis=1) for c in range(logits.shape[1])], 1)
    return logits - rest


def linear_separability(z: np.ndarray, logits: np.ndarray, keep: float = 0.5, seed: int = 0) -> Separability:
    """StyleGAN's linear separability of each class in z (Karras et al. 2019, 4.2): per class c,
    keep the `keep` share of latents whose reading of c is most decisive, fit a linear SVM for
    p(c) > 0.5 on them, and measure H(label | SVM side) in bits on the same latents.

    One difference from StyleGAN's code, which ranks float32 probabilities: decisiveness is
    |log(p_c / (1 - p_c))| from the logits in float64. Probabilities round to exactly 1.0 for
    most confident samples, so ranking them picks "the most decisive half" among ties by sample
    order, and a class can keep no positives at all (an entropy of 0 without a test)."""
    from sklearn.svm import LinearSVC

    scores = one_vs_rest_logits(logits)
    n_keep = max(2, int(keep * len(z)))
    entropies, positives = np.zeros(scores.shape[1]), np.zeros(scores.shape[1], int)
    for c in range(scores.shape[1]):
        kept = np.argsort(-np.abs(scores[:, c]), kind="stable")[:n_keep]
        target = scores[kept, c] > 0
        positives[c] = int(target.sum())
        if target.all() or not target.any():
            continue  # one side only: the label is known without z, entropy 0
        side = LinearSVC(random_state=seed).fit(z[kept], target).predict(z[kept])
        entropies[c] = conditional_entropy(side, target)
    return Separability(float(2 ** entropies.sum()), entropies, positives, n_keep)
