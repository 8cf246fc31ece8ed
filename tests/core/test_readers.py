"""Tests of cnn_desktop.core.data.readers: IDX files, MNIST folders, single images and image folders."""

from __future__ import annotations

import gzip
import io
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from cnn_desktop.core.errors import DataError
from cnn_desktop.core.data.readers import (
    find_mnist_pair,
    list_image_folder,
    read_idx,
    read_image,
    read_mnist_folder,
)

MNIST_DIR = Path(__file__).resolve().parents[2].parent / "shared/data/mnist"


def idx_bytes(array: np.ndarray, type_code: int = 0x08, magic: int | None = None) -> bytes:
    """Encode ``array`` as IDX by hand (independently of the reader under test)."""
    if magic is None:
        magic = (type_code << 8) | array.ndim
    header = struct.pack(">I", magic) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.astype(array.dtype.newbyteorder(">")).tobytes()


def write(path: Path, data: bytes, gz: bool = False) -> Path:
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def assert_data_error(path: Path, call, *words: str) -> str:
    """``call()`` raises DataError with a one-line message naming ``path`` and containing ``words``."""
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    assert str(path) in message
    assert "\n" not in message
    for word in words:
        assert word in message
    return message


# --- IDX -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_round_trip_images_and_labels(tmp_path, gz):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=7, dtype=np.uint8)
    images_path = write(tmp_path / "images.idx", idx_bytes(images), gz)
    labels_path = write(tmp_path / "labels.idx", idx_bytes(labels), gz)

    read_images = read_idx(images_path, kind="images")
    read_labels = read_idx(labels_path, kind="labels")

    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)
    assert read_images.dtype == np.uint8 and read_images.flags.writeable


@pytest.mark.parametrize(
    "dtype, code", [(np.int8, 0x09), (np.int16, 0x0B), (np.int32, 0x0C), (np.float32, 0x0D), (np.float64, 0x0E)]
)
def test_idx_other_types_come_back_native_endian(tmp_path, dtype, code):
    array = (np.arange(24).reshape(2, 3, 4) - 12).astype(dtype)
    result = read_idx(write(tmp_path / "a.idx", idx_bytes(array, code)))
    np.testing.assert_array_equal(result, array)
    assert result.dtype == np.dtype(dtype) and result.dtype.isnative


def test_idx_wrong_magic_for_kind(tmp_path):
    path = write(tmp_path / "labels-as-images.idx", idx_bytes(np.zeros(3, np.uint8)))
    message = assert_data_error(path, lambda: read_idx(path, kind="images"), "wrong magic number")
    assert message == f"{path}: wrong magic number 0x00000801, expected 0x00000803 (images)"


def test_idx_not_idx_at_all(tmp_path):
    path = write(tmp_path / "x.idx", b"hello world, not IDX")
    assert_data_error(path, lambda: read_idx(path), "not an IDX file")


def test_idx_unknown_dtype_code(tmp_path):
    data = idx_bytes(np.zeros(4, np.uint8), magic=0x00000701)
    path = write(tmp_path / "x.idx", data)
    assert_data_error(path, lambda: read_idx(path), "unknown IDX data type 0x07")


def test_idx_zero_dimensions(tmp_path):
    path = write(tmp_path / "x.idx", struct.pack(">I", 0x00000800))
    assert_data_error(path, lambda: read_idx(path), "0 dimensions")


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_truncated_data(tmp_path, gz):
    data = idx_bytes(np.zeros((5, 28, 28), np.uint8))[:-10]
    path = write(tmp_path / "x.idx", data, gz)
    assert_data_error(path, lambda: read_idx(path), "truncated")


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_truncated_header(tmp_path, gz):
    data = idx_bytes(np.zeros((5, 28, 28), np.uint8))[:9]
    path = write(tmp_path / "x.idx", data, gz)
    assert_data_error(path, lambda: read_idx(path), "truncated IDX header")


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_trailing_bytes(tmp_path, gz):
    data = idx_bytes(np.zeros((5, 28, 28), np.uint8)) + b"\x00\x01"
    path = write(tmp_path / "x.idx", data, gz)
    assert_data_error(path, lambda: read_idx(path), "trailing data")


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_wrong_counts_in_header(tmp_path, gz):
    # Header says 6 images but holds 5: same as truncation, reported with the promised shape.
    images = np.zeros((5, 28, 28), np.uint8)
    data = struct.pack(">IIII", 0x803, 6, 28, 28) + images.tobytes()
    path = write(tmp_path / "x.idx", data, gz)
    assert_data_error(path, lambda: read_idx(path), "6x28x28")


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_idx_absurd_dims_are_rejected_without_allocating(tmp_path, gz):
    # 2^32-1 cubed would be ~10^28 bytes: any attempt to allocate it first would raise MemoryError.
    data = struct.pack(">IIII", 0x803, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF) + b"\0" * 100
    path = write(tmp_path / "x.idx", data, gz)
    assert_data_error(path, lambda: read_idx(path), "4294967295x4294967295x4294967295")


def test_idx_corrupt_gzip(tmp_path):
    packed = bytearray(gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8))))
    packed[20] ^= 0xFF  # inside the deflate stream
    path = write(tmp_path / "x.idx.gz", bytes(packed))
    assert_data_error(path, lambda: read_idx(path), "corrupt gzip")


def test_idx_gzip_cut_short(tmp_path):
    packed = gzip.compress(idx_bytes(np.arange(200, dtype=np.uint8)))
    path = write(tmp_path / "x.idx.gz", packed[:-6])  # loses the CRC/length trailer
    assert_data_error(path, lambda: read_idx(path), "corrupt gzip")


def test_idx_missing_file(tmp_path):
    path = tmp_path / "nope.idx"
    assert_data_error(path, lambda: read_idx(path), "cannot open")


# --- MNIST folders -------------------------------------------------------------------------------


def make_mnist_folder(folder: Path, n: int = 6, gz: bool = True, prefix: str = "t10k") -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(n)
    images = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
    labels = (np.arange(n) % 10).astype(np.uint8)
    suffix = ".gz" if gz else ""
    folder.mkdir(parents=True, exist_ok=True)
    write(folder / f"{prefix}-images-idx3-ubyte{suffix}", idx_bytes(images), gz)
    write(folder / f"{prefix}-labels-idx1-ubyte{suffix}", idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("gz", [False, True], ids=["raw", "gz"])
def test_mnist_folder_round_trip(tmp_path, gz):
    images, labels = make_mnist_folder(tmp_path, gz=gz)
    read_images, read_labels = read_mnist_folder(tmp_path)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels)
    assert read_images.dtype == np.uint8 and read_labels.dtype == np.int64


def test_mnist_pair_prefers_training_pair(tmp_path):
    make_mnist_folder(tmp_path, n=3, prefix="t10k")
    make_mnist_folder(tmp_path, n=5, prefix="train")
    images, labels = find_mnist_pair(tmp_path)
    assert images.name.startswith("train-images") and labels.name.startswith("train-labels")
    assert len(read_mnist_folder(tmp_path)[0]) == 5


def test_mnist_pair_none_for_other_folders(tmp_path):
    (tmp_path / "notes.txt").write_text("hi")
    assert find_mnist_pair(tmp_path) is None
    assert_data_error(tmp_path, lambda: read_mnist_folder(tmp_path), "no MNIST files")


def test_mnist_images_without_labels(tmp_path):
    make_mnist_folder(tmp_path)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    assert_data_error(tmp_path, lambda: find_mnist_pair(tmp_path), "no matching labels")


def test_mnist_count_mismatch(tmp_path):
    make_mnist_folder(tmp_path, n=6)
    labels_path = write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.zeros(5, np.uint8)), gz=True)
    assert_data_error(labels_path, lambda: read_mnist_folder(tmp_path), "5 labels for 6 images")


def test_mnist_label_out_of_range(tmp_path):
    make_mnist_folder(tmp_path, n=6)
    labels_path = write(tmp_path / "t10k-labels-idx1-ubyte.gz", idx_bytes(np.array([0, 1, 2, 12, 4, 5], np.uint8)), gz=True)
    assert_data_error(labels_path, lambda: read_mnist_folder(tmp_path), "label 12 at index 3")


def test_mnist_images_of_wrong_size(tmp_path):
    make_mnist_folder(tmp_path, n=2)
    images_path = write(tmp_path / "t10k-images-idx3-ubyte.gz", idx_bytes(np.zeros((2, 32, 32), np.uint8)), gz=True)
    assert_data_error(images_path, lambda: read_mnist_folder(tmp_path), "32x32, expected 28x28")


def test_mnist_swapped_files_are_caught_by_magic(tmp_path):
    make_mnist_folder(tmp_path, n=2, gz=False)
    images_path = tmp_path / "t10k-images-idx3-ubyte"
    write(images_path, idx_bytes(np.zeros(2, np.uint8)))
    assert_data_error(images_path, lambda: read_mnist_folder(tmp_path), "expected 0x00000803 (images)")


@pytest.mark.skipif(not MNIST_DIR.is_dir(), reason=f"real MNIST test split not found at {MNIST_DIR}")
def test_real_mnist_test_split():
    images, labels = read_mnist_folder(MNIST_DIR)
    assert images.shape == (10_000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10_000,)
    assert sorted(set(labels.tolist())) == list(range(10))
    # Digits are white on black: the border is background, the centre holds ink.
    assert images[:, 0, :].mean() < 1 and images[:, 10:18, 10:18].mean() > 50


# --- single images -------------------------------------------------------------------------------


def save(image: Image.Image, path: Path, **options) -> Path:
    image.save(path, **options)
    return path


def test_image_zero_bytes(tmp_path):
    path = write(tmp_path / "empty.png", b"")
    assert_data_error(path, lambda: read_image(path), "empty file")


def test_image_text_named_png(tmp_path):
    path = write(tmp_path / "fake.png", b"this is not a picture\n")
    assert_data_error(path, lambda: read_image(path), "not an image")


def test_image_truncated_png(tmp_path):
    rng = np.random.default_rng(1)
    full = tmp_path / "full.png"
    save(Image.fromarray(rng.integers(0, 256, (64, 64), dtype=np.uint8)), full)
    path = write(tmp_path / "cut.png", full.read_bytes()[:300])
    assert_data_error(path, lambda: read_image(path))


def test_image_missing(tmp_path):
    path = tmp_path / "nope.png"
    assert_data_error(path, lambda: read_image(path), "cannot open")


def test_image_1x1(tmp_path):
    path = save(Image.new("L", (1, 1), 200), tmp_path / "dot.png")
    result = read_image(path)
    assert result.shape == (1, 1) and result.dtype == np.uint8 and result[0, 0] == 200


def test_image_16_bit_grey_png(tmp_path):
    pixels = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000).astype(np.uint16)
    path = save(Image.fromarray(pixels), tmp_path / "deep.png")
    result = read_image(path)
    assert result.dtype == np.uint16
    np.testing.assert_array_equal(result, pixels)


def palette_image() -> Image.Image:
    image = Image.new("P", (3, 2))
    image.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0])
    image.putdata([0, 1, 2, 2, 1, 0])
    return image


def test_image_palette_without_transparency_becomes_rgb(tmp_path):
    path = save(palette_image(), tmp_path / "p.png")
    result = read_image(path)
    assert result.shape == (2, 3, 3) and result.dtype == np.uint8
    assert result[0, 1].tolist() == [255, 0, 0] and result[0, 2].tolist() == [0, 255, 0]


def test_image_palette_with_transparency_becomes_rgba(tmp_path):
    path = save(palette_image(), tmp_path / "pt.png", transparency=0)
    result = read_image(path)
    assert result.shape == (2, 3, 4)
    assert result[0, 0, 3] == 0 and result[0, 1].tolist() == [255, 0, 0, 255]


def test_image_grey_alpha_becomes_rgba(tmp_path):
    grey = Image.new("L", (2, 2), 90)
    alpha = Image.fromarray(np.array([[0, 255], [128, 255]], np.uint8))
    path = save(Image.merge("LA", (grey, alpha)), tmp_path / "la.png")
    result = read_image(path)
    assert result.shape == (2, 2, 4)
    assert result[..., :3].tolist() == [[[90] * 3] * 2] * 2
    assert result[..., 3].tolist() == [[0, 255], [128, 255]]


def test_image_rgba(tmp_path):
    pixels = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4) * 10
    result = read_image(save(Image.fromarray(pixels), tmp_path / "rgba.png"))
    np.testing.assert_array_equal(result, pixels)


def test_image_black_and_white_becomes_0_or_255(tmp_path):
    image = Image.new("1", (4, 1))
    image.putpixel((1, 0), 1)
    result = read_image(save(image, tmp_path / "bw.png"))
    assert result.dtype == np.uint8 and result.tolist() == [[0, 255, 0, 0]]


def test_image_jpeg(tmp_path):
    result = read_image(save(Image.new("RGB", (16, 8), (200, 30, 30)), tmp_path / "photo.JPG", quality=95))
    assert result.shape == (8, 16, 3)
    assert abs(int(result[4, 8, 0]) - 200) < 8 and result[4, 8, 1] < 45


def test_image_jpeg_exif_orientation_is_applied(tmp_path):
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    path = save(Image.new("L", (16, 8), 128), tmp_path / "phone.jpg", exif=exif)
    assert read_image(path).shape == (16, 8)


def test_image_bmp(tmp_path):
    pixels = np.array([[[1, 2, 3], [250, 251, 252]]], np.uint8)
    result = read_image(save(Image.fromarray(pixels), tmp_path / "a.bmp"))
    np.testing.assert_array_equal(result, pixels)


def test_image_10000_square_loads(tmp_path_factory):
    path = tmp_path_factory.mktemp("big") / "big.png"
    big = Image.new("L", (10_000, 10_000), 0)
    big.paste(255, (5000, 5000, 5010, 5010))
    big.save(path, compress_level=1)
    del big
    result = read_image(path)
    assert result.shape == (10_000, 10_000) and result[5005, 5005] == 255 and result[0, 0] == 0


def png_with_size(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` (the pixel data is a stub)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def test_image_decompression_bomb(tmp_path):
    path = write(tmp_path / "bomb.png", png_with_size(20_000, 20_000))
    assert_data_error(path, lambda: read_image(path), "image too large", "400000000 pixels")


# --- image folders -------------------------------------------------------------------------------


def make_image_folder(root: Path, layout: dict[str, list[str]]) -> None:
    for label, names in layout.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for name in names:
            Image.new("L", (4, 4)).save(root / label / name, format="PNG")


def test_image_folder_layout(tmp_path):
    make_image_folder(tmp_path, {"tick": ["b.png", "a.JPG", ".hidden.png", "notes.txt"], "cross": ["z.Bmp", "y.jpeg"]})
    make_image_folder(tmp_path, {".cache": ["x.png"], "empty-class": []})
    (tmp_path / "loose.png").write_bytes(b"")

    pairs, labels = list_image_folder(tmp_path)

    assert labels == ["cross", "tick"]
    assert [(p.relative_to(tmp_path).as_posix(), label) for p, label in pairs] == [
        ("cross/y.jpeg", "cross"), ("cross/z.Bmp", "cross"), ("tick/a.JPG", "tick"), ("tick/b.png", "tick"),
    ]


def test_image_folder_allowed_labels(tmp_path):
    make_image_folder(tmp_path, {"tick": ["a.png"], "cross": ["a.png"]})
    assert list_image_folder(tmp_path, allowed_labels={"tick", "cross"})[1] == ["cross", "tick"]


def test_image_folder_unknown_label(tmp_path):
    make_image_folder(tmp_path, {"tick": ["a.png"], "foo": ["a.png"]})
    message = assert_data_error(tmp_path / "foo", lambda: list_image_folder(tmp_path, allowed_labels=("tick", "cross")))
    assert "unknown label 'foo'; expected one of 'cross', 'tick'" in message


def test_image_folder_without_label_folders(tmp_path):
    Image.new("L", (4, 4)).save(tmp_path / "a.png")
    assert_data_error(tmp_path, lambda: list_image_folder(tmp_path), "no label folders")


def test_image_folder_without_images(tmp_path):
    make_image_folder(tmp_path, {"tick": [], "cross": []})
    (tmp_path / "tick" / "readme.txt").write_text("x")
    assert_data_error(tmp_path, lambda: list_image_folder(tmp_path), "no images")


def test_image_folder_not_a_folder(tmp_path):
    path = tmp_path / "nope"
    assert_data_error(path, lambda: list_image_folder(path), "not a folder")


# --- fuzz: arbitrary bytes only ever raise DataError --------------------------------------------


def sample_images() -> list[bytes]:
    samples = []
    rng = np.random.default_rng(2)
    pixels = rng.integers(0, 256, (6, 5, 3), dtype=np.uint8)
    for fmt, mode in (("PNG", "RGB"), ("PNG", "P"), ("PNG", "LA"), ("BMP", "RGB"), ("JPEG", "L"), ("GIF", "P"), ("TIFF", "RGB")):
        buffer = io.BytesIO()
        Image.fromarray(pixels).convert(mode).save(buffer, format=fmt)
        samples.append(buffer.getvalue())
    return samples


SAMPLE_IMAGES = sample_images()
SAMPLE_IDX = [idx_bytes(np.arange(60, dtype=np.uint8).reshape(3, 4, 5)), idx_bytes(np.arange(6, dtype=np.int16), 0x0B)]


@st.composite
def mutated(draw, samples: list[bytes]) -> bytes:
    """A valid file with a few bytes changed and maybe cut short: reaches deep into the decoders."""
    data = bytearray(draw(st.sampled_from(samples)))
    for _ in range(draw(st.integers(0, 4))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(0, len(data)))])


def only_data_errors(call) -> None:
    try:
        call()
    except DataError as error:
        assert "\n" not in str(error)


FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.one_of(st.binary(max_size=200), mutated(SAMPLE_IDX)), gz=st.booleans())
def test_fuzz_read_idx_raises_only_data_error(tmp_path_factory, data, gz):
    path = tmp_path_factory.getbasetemp() / "fuzz.idx"
    write(path, data, gz)
    only_data_errors(lambda: read_idx(path))


@FUZZ
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow's TIFF plugin warns about broken tags
@given(data=st.one_of(st.binary(max_size=200), mutated(SAMPLE_IMAGES)))
def test_fuzz_read_image_raises_only_data_error(tmp_path_factory, data):
    path = tmp_path_factory.getbasetemp() / "fuzz.img"
    write(path, data)
    only_data_errors(lambda: read_image(path))
