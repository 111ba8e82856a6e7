"""Real images for inversion: dataset indices, image files made MNIST-like, arrays, IDX files, bad input."""

import gzip
import struct

import numpy as np
import pytest
from PIL import Image, ImageDraw

from latentkit.data.datasets import load_images
from latentkit.data.images import RealImages, load_dataset_images, load_image_files, preprocess
from latentkit.errors import ConfigError


def draw_nine(side: int, box: tuple[int, int, int, int], ink: int, paper: int) -> Image.Image:
    """A '9' (a loop on a stem) drawn with a round pen inside `box` = (left, top, right, bottom)."""
    img = Image.new("L", (side, side), paper)
    draw = ImageDraw.Draw(img)
    left, top, right, bottom = box
    pen = max(2, (bottom - top) // 8)
    loop_bottom = top + (bottom - top) // 2
    draw.ellipse((left, top, right, loop_bottom), outline=ink, width=pen)
    draw.line((right - pen // 2, (top + loop_bottom) // 2, right - pen, bottom), fill=ink, width=pen)
    return img


def centre_of_mass(image: np.ndarray) -> tuple[float, float]:
    mass = image.astype(float)
    total = mass.sum()
    return ((mass.sum(1) * np.arange(28)).sum() / total, (mass.sum(0) * np.arange(28)).sum() / total)


def ink_box(image: np.ndarray) -> tuple[int, int]:
    rows, cols = np.flatnonzero(image.any(1)), np.flatnonzero(image.any(0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def assert_mnist_like(image: np.ndarray) -> None:
    """MNIST's convention, as measured on its test split: the ink's box is 20 px on its longer side and the
    centre of mass lies in [13.5, 14.5] on both axes (shifted by whole pixels to pixel 14)."""
    assert image.shape == (28, 28) and image.dtype == np.uint8
    assert max(ink_box(image)) == 20, f"ink box {ink_box(image)}, expected a longer side of 20 px"
    row, col = centre_of_mass(image)
    assert 13.5 <= row <= 14.5 and 13.5 <= col <= 14.5, f"centre of mass at ({row:.2f}, {col:.2f})"
    assert image.max() > 230 and image[0].max() == image[-1].max() == 0


def test_mnist_centre_convention_holds_on_its_test_split():
    images = load_images("mnist", train=False).images.numpy()[:2000].astype(float)
    mass = images.sum((1, 2))
    rows = (images.sum(2) * np.arange(28)).sum(1) / mass
    cols = (images.sum(1) * np.arange(28)).sum(1) / mass
    assert abs(rows.mean() - 14) < 0.05 and abs(cols.mean() - 14) < 0.05
    assert np.abs(rows - 14).max() <= 0.5 + 1e-6 and np.abs(cols - 14).max() <= 0.5 + 1e-6


def test_white_on_black_and_black_on_white_give_the_same_digit(tmp_path):
    draw_nine(200, (60, 30, 130, 170), ink=255, paper=0).save(tmp_path / "light.png")
    draw_nine(200, (60, 30, 130, 170), ink=0, paper=255).save(tmp_path / "dark.png")
    real = load_image_files([tmp_path / "light.png", tmp_path / "dark.png"])
    assert real.images.shape == (2, 28, 28) and real.labels is None
    assert real.names == [str(tmp_path / "light.png"), str(tmp_path / "dark.png")]
    diff = np.abs(real.images[0].astype(int) - real.images[1].astype(int)).mean()
    assert diff < 1, f"mean abs difference {diff:.2f} grey levels between the two polarities"
    assert_mnist_like(real.images[0])
    assert real.notes == [f"{tmp_path / 'dark.png'}: dark ink on light paper, inverted"]


def photo(rng: np.random.Generator) -> Image.Image:
    """A 280x280 photo-like picture: a dark off-centre digit on unevenly lit, noisy light paper, the paper
    seen through a dark frame (a table around it), slightly blurred as a camera would."""
    from PIL import ImageFilter

    paper = draw_nine(280, (150, 40, 210, 140), ink=50, paper=215)
    x = np.asarray(paper, dtype=float)
    x += np.linspace(-15, 15, 280)[None, :]  # light falling off across the sheet
    x[:14], x[-18:], x[:, :11], x[:, -16:] = 25, 25, 25, 25  # the table around the paper
    x += rng.normal(0, 4, x.shape)
    return Image.fromarray(np.clip(x, 0, 255).astype(np.uint8)).filter(ImageFilter.GaussianBlur(1))


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_photo_with_frame_is_inverted_cropped_resized_and_centred(tmp_path, suffix):
    photo(np.random.default_rng(0)).save(tmp_path / f"photo{suffix}")
    real = load_image_files([tmp_path / f"photo{suffix}"])
    assert_mnist_like(real.images[0])
    assert any("inverted" in note for note in real.notes) and any("border" in note for note in real.notes)
    # The same digit drawn cleanly, white on black, comes out nearly the same.
    clean, _ = preprocess(np.asarray(draw_nine(280, (150, 40, 210, 140), ink=255, paper=0)))
    diff = np.abs(real.images[0].astype(int) - clean.astype(int)).mean()
    assert diff < 12, f"mean abs difference {diff:.1f} grey levels from the clean drawing"
    assert np.abs(np.subtract(ink_box(real.images[0]), ink_box(clean))).max() <= 1


def test_digit_cropped_tight_to_its_edges_is_not_taken_for_a_frame():
    seven = Image.new("L", (80, 100), 255)
    draw = ImageDraw.Draw(seven)
    draw.line((0, 5, 79, 5), fill=0, width=11)  # the bar runs along the whole top edge, as a frame would
    draw.line((74, 5, 30, 99), fill=0, width=11)
    tight = np.asarray(seven)
    padded = np.pad(tight, 30, constant_values=255)
    (out, notes), (expected, _) = preprocess(tight), preprocess(padded)
    assert notes == ["dark ink on light paper, inverted"]
    assert np.abs(out.astype(int) - expected.astype(int)).mean() < 1


def test_mnist_digits_already_follow_the_convention():
    images = load_images("mnist", train=False).images.numpy()[:1000]
    out = np.stack([preprocess(image)[0] for image in images])
    diff = np.abs(out.astype(int) - images.astype(int)).mean((1, 2))
    # A few digits move by one pixel: their centre of mass lies exactly half-way between two.
    assert diff.mean() < 0.5, f"mean abs difference {diff.mean():.2f} grey levels"
    assert np.median(diff) < 0.3 and (diff > 1).mean() < 0.01


def test_preprocess_keeps_aspect_and_centres_a_thin_stroke():
    image = np.zeros((90, 300), np.uint8)
    image[20:80, 40:52] = 255  # a "1": 60 px tall, 12 px wide, off-centre
    out, notes = preprocess(image)
    assert ink_box(out) == (20, 4) and notes == []
    assert_mnist_like(out)


def test_dataset_indices():
    test = load_images("mnist", train=False)
    real = load_dataset_images("mnist", "test", "0:5")
    assert isinstance(real, RealImages) and len(real) == 5
    assert np.array_equal(real.images, test.images.numpy()[:5])
    assert np.array_equal(real.labels, test.labels.numpy()[:5]) and real.notes == []
    assert load_dataset_images("mnist", "test", "17").names == ["mnist test 17"]
    assert load_dataset_images("mnist", "test", "3, 9,12").names == ["mnist test 3", "mnist test 9", "mnist test 12"]
    assert load_dataset_images("mnist", "test", "0:2,42").names == ["mnist test 0", "mnist test 1", "mnist test 42"]
    assert len(load_dataset_images("mnist", "test", "9990:")) == 10
    fashion = load_dataset_images("fashion-mnist", "train", [5, 1])
    assert fashion.names == ["fashion-mnist train 5", "fashion-mnist train 1"]


@pytest.mark.parametrize(("indices", "fragments"), [
    ("10000", ["index 10,000", "mnist test split", "10,000 images", "0 to 9,999"]),
    ("9990:10001", ["index 10,000", "10,000 images"]),
    ("0:1000000000", ["index 999,999,999"]),
    ("-1", ["index -1"]),
    ([3, 10_000], ["index 10,000"]),
    ("5:5", ["select no images"]),
    ("abc", ["cannot read indices 'abc'", "0:500"]),
    ("1:2:3", ["cannot read indices"]),
    ([1.5], ["whole numbers"]),
])
def test_bad_dataset_indices(indices, fragments):
    with pytest.raises(ConfigError) as err:
        load_dataset_images("mnist", "test", indices)
    for fragment in fragments:
        assert fragment in str(err.value)


def test_bad_split_and_dataset():
    with pytest.raises(ConfigError, match="unknown split 'val'; choose one of: train, test"):
        load_dataset_images("mnist", "val", "0")
    with pytest.raises(ConfigError, match="unknown dataset"):
        load_dataset_images("cifar", "test", "0")


def test_npy_uint8_and_float(tmp_path):
    digits = load_images("mnist", train=False).images.numpy()[:4]
    np.save(tmp_path / "digits.npy", digits)
    np.save(tmp_path / "floats.npy", digits / 255.0)
    np.save(tmp_path / "one.npy", digits[0].astype(np.int64))
    real = load_image_files([tmp_path / "digits.npy", tmp_path / "floats.npy", tmp_path / "one.npy"])
    assert np.array_equal(real.images, np.concatenate([digits, digits, digits[:1]]))
    assert real.names[3] == f"{tmp_path / 'digits.npy'}[3]" and real.names[-1] == f"{tmp_path / 'one.npy'}[0]"
    assert real.notes == [] and real.labels is None


def test_npy_of_dark_ink_on_light_is_used_as_is_with_a_note(tmp_path):
    digits = 255 - load_images("mnist", train=False).images.numpy()[:3]
    np.save(tmp_path / "dark.npy", digits)
    real = load_image_files([tmp_path / "dark.npy"])
    assert np.array_equal(real.images, digits)
    assert real.notes == [f"{tmp_path / 'dark.npy'}: 3 of 3 images have a light border; arrays are used as they "
                          "are and MNIST is light ink on black: if they are dark ink on light, save 255 - images"]


def write_idx(path, images: np.ndarray, magic: int = 2051) -> None:
    path.write_bytes(struct.pack(">IIII", magic, len(images), 28, 28) + images.tobytes())


def test_idx_files_plain_and_gzipped(tmp_path):
    digits = load_images("mnist", train=False).images.numpy()[:6]
    write_idx(tmp_path / "file-idx3-ubyte", digits)
    (tmp_path / "file-idx3-ubyte.gz").write_bytes(gzip.compress((tmp_path / "file-idx3-ubyte").read_bytes()))
    real = load_image_files([tmp_path / "file-idx3-ubyte", tmp_path / "file-idx3-ubyte.gz"])
    assert np.array_equal(real.images, np.concatenate([digits, digits]))
    assert real.names[5] == f"{tmp_path / 'file-idx3-ubyte'}[5]"


def test_folder_reads_its_images_sorted_and_notes_the_rest(tmp_path):
    folder = tmp_path / "scans"
    folder.mkdir()
    for name, box in [("b.png", (20, 10, 60, 90)), ("a.png", (30, 5, 80, 95))]:
        draw_nine(100, box, ink=0, paper=255).save(folder / name)
    np.save(folder / "c.npy", load_images("mnist", train=False).images.numpy()[:2])
    (folder / "readme.txt").write_text("not an image")
    real = load_image_files([folder])
    assert real.names == [str(folder / n) for n in ("a.png", "b.png", "c.npy[0]", "c.npy[1]")]
    assert f"{folder}: 1 file(s) that are not images skipped (readme.txt)" in real.notes


def test_colour_image_becomes_grey_with_a_note(tmp_path):
    grey = draw_nine(120, (30, 10, 90, 110), ink=0, paper=255)
    colour = Image.merge("RGB", [grey, grey.point(lambda v: v // 2 + 100), grey])  # dark green ink, pink paper
    colour.save(tmp_path / "colour.png")
    grey.convert("RGB").save(tmp_path / "grey-rgb.png")  # three equal channels: grey, no note
    real = load_image_files([tmp_path / "colour.png", tmp_path / "grey-rgb.png"])
    assert f"{tmp_path / 'colour.png'}: colour image converted to grey" in real.notes
    assert f"{tmp_path / 'grey-rgb.png'}: colour image converted to grey" not in real.notes
    assert_mnist_like(real.images[0])


def test_digit_on_a_transparent_canvas(tmp_path):
    ink = draw_nine(120, (30, 10, 90, 110), ink=255, paper=0)
    black = Image.new("L", ink.size, 0)
    Image.merge("LA", [black, ink]).save(tmp_path / "drawn.png")  # black ink; the rest transparent (and black)
    real = load_image_files([tmp_path / "drawn.png"])
    expected, _ = preprocess(np.asarray(ink))
    assert np.abs(real.images[0].astype(int) - expected.astype(int)).mean() < 1
    assert any("transparent pixels taken as paper of grey level 255" in note for note in real.notes)


def bad_inputs(tmp_path):
    """(paths, fragments the error must hold) for each kind of bad input."""
    (tmp_path / "empty").mkdir()
    (tmp_path / "text").mkdir()
    (tmp_path / "text" / "notes.txt").write_text("hello")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (tmp_path / "notes.jpg").write_text("hello")
    Image.new("L", (50, 50), 0).save(tmp_path / "black.png")
    Image.new("RGB", (50, 50), (255, 255, 255)).save(tmp_path / "white.jpg")
    np.save(tmp_path / "shape.npy", np.zeros((3, 32, 32), np.uint8))
    np.save(tmp_path / "nan.npy", np.full((28, 28), np.nan))
    np.save(tmp_path / "range.npy", np.full((28, 28), 200.0))
    np.save(tmp_path / "bool.npy", np.zeros((28, 28), bool))
    np.save(tmp_path / "wide.npy", np.full((28, 28), 300, np.int32))
    np.save(tmp_path / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    blank = load_images("mnist", train=False).images.numpy()[:3].copy()
    blank[1] = 0
    np.save(tmp_path / "blank.npy", blank)
    np.save(tmp_path / "none.npy", np.zeros((0, 28, 28), np.uint8))
    write_idx(tmp_path / "short-idx3-ubyte", np.zeros((2, 28, 28), np.uint8))
    (tmp_path / "short-idx3-ubyte").write_bytes((tmp_path / "short-idx3-ubyte").read_bytes()[:-5])
    (tmp_path / "labels.gz").write_bytes(gzip.compress(struct.pack(">II", 2049, 1) + b"\x03"))
    (tmp_path / "bad.gz").write_bytes(b"\x1f\x8b not gzip")
    return [
        ([], ["no image files given"]),
        (["missing.png"], ["missing.png not found"]),
        ([tmp_path / "empty"], ["empty holds no image files", "put PNG"]),
        ([tmp_path / "text"], ["holds no image files"]),
        ([tmp_path / "broken.png"], ["cannot read", "broken.png as an image", "PNG, JPEG"]),
        ([tmp_path / "notes.jpg"], ["notes.jpg as an image"]),
        ([tmp_path / "black.png"], ["black.png: the image is all one value (0): nothing to invert"]),
        ([tmp_path / "white.jpg"], ["white.jpg: the image is all one value (255): nothing to invert"]),
        ([tmp_path / "shape.npy"], ["shape.npy has shape (3, 32, 32)", "(N, 28, 28)", "PNG"]),
        ([tmp_path / "nan.npy"], ["nan.npy holds NaN", "uint8"]),
        ([tmp_path / "range.npy"], ["range.npy holds floats from 200 to 200", "divide by 255"]),
        ([tmp_path / "bool.npy"], ["bool.npy holds bool values", "uint8"]),
        ([tmp_path / "wide.npy"], ["wide.npy holds integers from 300 to 300"]),
        ([tmp_path / "objects.npy"], ["cannot read", "objects.npy as a .npy array"]),
        ([tmp_path / "blank.npy"], ["blank.npy[1] is all one value (0): nothing to invert"]),
        ([tmp_path / "none.npy"], ["none.npy holds no images"]),
        ([tmp_path / "short-idx3-ubyte"], ["short-idx3-ubyte has 1,579 bytes but its header says 2 images",
                                           "download it again"]),
        ([tmp_path / "labels.gz"], ["labels.gz is gzipped but holds no IDX images"]),
        ([tmp_path / "bad.gz"], ["bad.gz is a damaged gzip file"]),
    ]


def test_bad_files_each_raise_one_clear_config_error(tmp_path):
    for paths, fragments in bad_inputs(tmp_path):
        with pytest.raises(ConfigError) as err:
            load_image_files(paths)
        message = str(err.value)
        assert "\n" not in message and "Traceback" not in message
        for fragment in fragments:
            assert fragment in message, f"{fragment!r} not in {message!r} (input {paths})"


@pytest.mark.parametrize(("image", "fragment"), [
    (np.zeros((5, 5, 3)), "expected a 2-D greyscale image"),
    (np.array([["a"]]), "expected a 2-D greyscale image"),
    (np.zeros((0, 4)), "empty"),
    (np.full((9, 9), 0.7), "all one value (0.7): nothing to invert"),
])
def test_preprocess_refuses_what_is_not_a_picture(image, fragment):
    with pytest.raises(ConfigError) as err:
        preprocess(image)
    assert fragment in str(err.value)
