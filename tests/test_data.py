"""Tests of vae_lessons.data: real files, checksums, atomic downloads and the offline fallback.

No test touches the network: ``data._download`` is replaced by a fake that fails (offline) or
serves files from the shared data folder (a mirror). The real data come from
``$VAE_LESSONS_DATA`` or, by default, ``<repo>/../shared/data``; tests that need it skip only
when that folder is missing.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import shutil
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from vae_lessons import data

SHARED = Path(
    os.environ.get(data.DATA_ENV) or Path(__file__).resolve().parents[2] / "shared" / "data"
)

# Published class counts of MNIST (LeCun et al.), digits 0..9.
MNIST_TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
MNIST_TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    """Every test: an empty cache in tmp_path, no $VAE_LESSONS_DATA, and no network."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    monkeypatch.delenv(data.OFFLINE_ENV, raising=False)
    calls = []

    def no_network(url, dest):
        calls.append(url)
        raise OSError("no network in tests")

    monkeypatch.setattr(data, "_download", no_network)
    return calls


@pytest.fixture
def shared():
    if not (SHARED / "mnist").is_dir():
        pytest.skip(f"the shared data folder {SHARED} is missing")
    return SHARED


def mirror(shared, log=None):
    """A fake ``_download`` serving the shared files, as the public mirrors would."""

    def download(url, dest):
        if log is not None:
            log.append(url)
        name = url.rsplit("/", 1)[1]
        if name.endswith(".amat"):  # Larochelle's server has the uncompressed text
            Path(dest).write_bytes(
                gzip.decompress((shared / "binarized_mnist" / (name + ".gz")).read_bytes())
            )
        else:
            folder = "frey" if name.endswith(".mat") else "mnist"
            shutil.copyfile(shared / folder / name, dest)

    return download


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def is_binary(x: torch.Tensor) -> bool:
    return bool(((x == 0) | (x == 1)).all()) and x.min() == 0 and x.max() == 1


def md5(path: Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def idx_bytes(magic: int, array: np.ndarray) -> bytes:
    return struct.pack(">i", magic) + struct.pack(f">{array.ndim}i", *array.shape) + array.tobytes()


# --- MNIST on the real files ------------------------------------------------------------------


def test_mnist_train_values_labels_and_counts(shared):
    x, y = data.mnist("train", root=shared)
    assert x.shape == (60000, 784) and x.dtype == torch.float32
    assert y.shape == (60000,) and y.dtype == torch.int64
    assert x.min() == 0 and x.max() == 1
    assert y[:5].tolist() == [5, 0, 4, 1, 9]
    assert torch.bincount(y, minlength=10).tolist() == MNIST_TRAIN_COUNTS
    assert x.mean().item() == pytest.approx(0.1307, abs=1e-4)  # the usual normalisation mean


def test_mnist_test_through_env_var_and_flat_folder(shared, monkeypatch):
    monkeypatch.setenv(data.DATA_ENV, str(shared))
    x, y = data.mnist("test")
    assert x.shape == (10000, 784) and y.shape == (10000,)
    assert y[:5].tolist() == [7, 2, 1, 0, 4]
    assert torch.bincount(y, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert x.min() == 0 and x.max() == 1
    assert torch.equal(x * 255, (x * 255).round())  # every value is a gray level k/255
    monkeypatch.delenv(data.DATA_ENV)
    x_flat, y_flat = data.mnist("test", root=shared / "mnist")  # the files directly in root
    assert torch.equal(x_flat, x) and torch.equal(y_flat, y)


def test_shared_files_have_the_idx_magic_numbers(shared):
    for name, magic, shape in [
        ("train-images-idx3-ubyte.gz", 2051, (60000, 28, 28)),
        ("train-labels-idx1-ubyte.gz", 2049, (60000,)),
        ("t10k-images-idx3-ubyte.gz", 2051, (10000, 28, 28)),
        ("t10k-labels-idx1-ubyte.gz", 2049, (10000,)),
    ]:
        content = gzip.decompress((shared / "mnist" / name).read_bytes())
        assert struct.unpack(">i", content[:4])[0] == magic
        assert data._parse_idx(content, magic, name).shape == shape


# --- the IDX parser and gzip errors -------------------------------------------------------------


def test_parse_idx_reads_row_major_and_rejects_bad_files():
    images = np.arange(2 * 3 * 4, dtype=np.uint8).reshape(2, 3, 4)
    content = idx_bytes(2051, images)
    np.testing.assert_array_equal(data._parse_idx(content, 2051, "images"), images)
    with pytest.raises(data.CorruptDataError, match="magic number 2051, expected 2049"):
        data._parse_idx(content, 2049, "labels")
    with pytest.raises(data.CorruptDataError, match="truncated"):
        data._parse_idx(content[:-1], 2051, "images")
    with pytest.raises(data.CorruptDataError, match="truncated or corrupt"):
        data._parse_idx(content + b"\x00", 2051, "images")


def test_truncated_gzip_gives_a_clear_error(tmp_path):
    text = b"0 1 0 1\n" * 1000
    path = tmp_path / "binarized_mnist" / "binarized_mnist_valid.amat.gz"
    path.parent.mkdir()
    compressed = gzip.compress(text)
    path.write_bytes(compressed[: len(compressed) // 2])
    with pytest.raises(data.CorruptDataError, match="gzip stream is truncated") as err:
        data.binarized_mnist("valid", root=tmp_path)
    assert str(path) in str(err.value)
    assert path.exists()  # a file the user pointed at is reported, never deleted
    with pytest.raises(data.CorruptDataError, match="not a valid gzip"):
        data._gunzip(b"\x1f\x8b" + b"garbage" * 10, "x.gz")


# --- checksums, the cache and atomic downloads ---------------------------------------------------


def test_cached_file_with_wrong_checksum_is_refused_and_removed(offline):
    bad = data.cache_dir() / "mnist" / "t10k-images-idx3-ubyte.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(gzip.compress(idx_bytes(2051, np.zeros((10000, 28, 28), np.uint8))))
    with pytest.raises(data.DataNotFoundError, match="removed the corrupt") as err:
        data.mnist("test")
    assert "does not match the published 9fb629c4189551a2d022fa330f9573f3" in str(err.value)
    assert not bad.exists()
    assert len(offline) == 3  # then it tried every mirror


def test_user_file_with_wrong_checksum_is_refused_not_deleted(tmp_path):
    bad = tmp_path / "mnist" / "t10k-images-idx3-ubyte.gz"
    bad.parent.mkdir()
    bad.write_bytes(b"not mnist")
    with pytest.raises(data.CorruptDataError, match="MD5 .* does not match"):
        data.mnist("test", root=tmp_path)
    assert bad.read_bytes() == b"not mnist"


def test_corrupt_cache_is_replaced_by_a_verified_download(shared, monkeypatch):
    bad = data.cache_dir() / "mnist" / "t10k-labels-idx1-ubyte.gz"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"\x1f\x8b truncated")
    monkeypatch.setattr(data, "_download", mirror(shared))
    x, y = data.mnist("test")
    assert y[:5].tolist() == [7, 2, 1, 0, 4]
    cached = files_under(data.cache_dir())
    assert [p.name for p in cached] == ["t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]
    assert [md5(p) for p in cached] == [data._MNIST_MD5[p.name] for p in cached]
    # The second call reads the cache and downloads nothing.
    monkeypatch.setattr(data, "_download", None)
    assert torch.equal(data.mnist("test")[0], x)


def test_download_refuses_a_bad_mirror_and_uses_the_next(shared, monkeypatch):
    log = []
    good = mirror(shared, log)

    def first_mirror_corrupt(url, dest):
        good(url, dest)
        if url.startswith(data._MNIST_URLS[0]):
            Path(dest).write_bytes(Path(dest).read_bytes()[:1000])  # cut short

    monkeypatch.setattr(data, "_download", first_mirror_corrupt)
    x, y = data.mnist("test")
    assert torch.bincount(y, minlength=10).tolist() == MNIST_TEST_COUNTS
    assert [url.rsplit("/", 1)[0] + "/" for url in log] == [
        data._MNIST_URLS[0],
        data._MNIST_URLS[1],
    ] * 2
    assert [p.name for p in files_under(data.cache_dir())] == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]


def test_offline_env_forbids_every_download(offline, monkeypatch):
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    with pytest.raises(data.DataNotFoundError, match=r"not tried \(\$VAE_LESSONS_OFFLINE=1\)"):
        data.mnist("test")
    assert offline == []  # no download was attempted
    with pytest.warns(data.DataFallbackWarning):
        assert data.book_data("test").name == "digits"
    assert offline == []


def test_atomic_write_leaves_no_partial_file(monkeypatch):
    def dies_midway(url, dest):
        Path(dest).write_bytes(b"\x1f\x8b" + b"\x00" * 5000)
        raise ConnectionResetError("connection lost after 5002 bytes")

    monkeypatch.setattr(data, "_download", dies_midway)
    with pytest.raises(data.DataNotFoundError, match="connection lost") as err:
        data.mnist("train")
    for url in data._MNIST_URLS:
        assert url + "train-images-idx3-ubyte.gz" in str(err.value)
    assert (data.cache_dir() / "mnist").is_dir()
    assert files_under(data.cache_dir()) == []


def test_binarized_mnist_download_is_checked_on_the_text(shared, monkeypatch):
    monkeypatch.setattr(data, "_download", mirror(shared))
    x = data.binarized_mnist("valid")
    cached = data.cache_dir() / "binarized_mnist" / "binarized_mnist_valid.amat"
    assert md5(cached) == data._BINARIZED_MD5["valid"]
    monkeypatch.setattr(data, "_download", None)
    assert torch.equal(data.binarized_mnist("valid"), x)  # now from the cached .amat


# --- offline: the helpful error and the documented fallback --------------------------------------


def test_offline_error_lists_every_place_and_the_fixes(offline, tmp_path, monkeypatch):
    root, env = tmp_path / "my_data", tmp_path / "env_data"
    env.mkdir()
    monkeypatch.setenv(data.DATA_ENV, str(env))
    with pytest.raises(data.DataNotFoundError) as err:
        data.mnist("test", root=root)
    assert isinstance(err.value, FileNotFoundError)
    message = str(err.value)
    for place in [
        f"root={root} (no such folder)",
        f"$VAE_LESSONS_DATA={env}: no mnist/t10k-images-idx3-ubyte.gz",
        str(data.cache_dir() / "mnist"),
        *(url + "t10k-images-idx3-ubyte.gz" for url in data._MNIST_URLS),
        "set the environment variable VAE_LESSONS_DATA",
        "pass root=",
        "connect to the internet",
    ]:
        assert place in message
    offline.clear()
    with pytest.raises(data.DataNotFoundError, match=r"not tried \(download=False\)"):
        data.mnist("test", download=False)
    assert offline == []


def test_book_data_falls_back_to_digits_with_a_notice(offline, capsys):
    with pytest.warns(data.DataFallbackWarning, match="MNIST is not available"):
        train = data.book_data("train")
    assert "MNIST is not available" in capsys.readouterr().out  # shows in a notebook
    with pytest.warns(data.DataFallbackWarning):
        test = data.book_data("test")
    x, y = data.digits()
    assert (train.name, train.image_shape, test.name, test.image_shape) == (
        "digits",
        (8, 8),
        "digits",
        (8, 8),
    )
    assert len(train.x) == data.DIGITS_TRAIN_SIZE and len(test.x) == len(x) - len(train.x)
    assert torch.equal(torch.cat([train.x, test.x]), x) and torch.equal(
        torch.cat([train.y, test.y]), y
    )
    assert set(train.y.tolist()) == set(test.y.tolist()) == set(range(10))
    assert math.prod(train.image_shape) == train.x.shape[1]


def test_book_data_uses_mnist_when_found(shared):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        test = data.book_data("test", root=shared)
    assert test.name == "mnist" and test.image_shape == data.MNIST_IMAGE_SHAPE
    assert test.x.shape == (10000, 784) and test.y[:5].tolist() == [7, 2, 1, 0, 4]


# --- binarized MNIST, Frey Face, digits ---------------------------------------------------------


def test_binarized_mnist_counts_and_values(shared, tmp_path):
    valid = data.binarized_mnist("valid", root=shared)
    test = data.binarized_mnist("test", root=shared)
    assert valid.shape == test.shape == (10000, 784) and test.dtype == torch.float32
    assert is_binary(valid) and is_binary(test)
    # A Bernoulli sample of the MNIST test set: its mean matches the gray levels' mean within
    # four standard errors (the images are in another order, so compare the whole set).
    x, _ = data.mnist("test", root=shared)
    p = x.mean(dtype=torch.float64).item()
    assert abs(test.mean(dtype=torch.float64).item() - p) < 4 * math.sqrt(p * (1 - p) / x.numel())
    # The uncompressed .amat reads the same.
    (tmp_path / "binarized_mnist_valid.amat").write_bytes(
        gzip.decompress((shared / "binarized_mnist" / "binarized_mnist_valid.amat.gz").read_bytes())
    )
    assert torch.equal(data.binarized_mnist("valid", root=tmp_path), valid)


def test_binarized_mnist_train(shared):
    train = data.binarized_mnist("train", root=shared)
    assert train.shape == (50000, 784)
    assert is_binary(train)
    # Train and valid together binarize MNIST's 60000 training images.
    both = torch.cat([train, data.binarized_mnist("valid", root=shared)])
    x, _ = data.mnist("train", root=shared)
    p = x.mean(dtype=torch.float64).item()
    assert abs(both.mean(dtype=torch.float64).item() - p) < 4 * math.sqrt(p * (1 - p) / x.numel())


def test_frey_face_shape_range_and_layout(shared):
    x = data.frey_face(root=shared)
    assert x.shape == (1965, 560) and x.dtype == torch.float32
    assert 0 <= x.min() and x.max() <= 1 and torch.equal(x * 255, (x * 255).round())
    # Rows are video frames: consecutive frames are closer than random pairs.
    shuffled = x[torch.randperm(len(x), generator=torch.Generator().manual_seed(0))]
    assert (x[1:] - x[:-1]).abs().mean() < 0.6 * (shuffled - x).abs().mean()
    # Row-major 28×20 images are smooth down the columns; read as 20×28 they would not be.
    faces = x.reshape(-1, *data.FREY_IMAGE_SHAPE)
    wrong = x.reshape(-1, 20, 28)
    assert faces.diff(dim=1).abs().mean() < 0.5 * wrong.diff(dim=1).abs().mean()


def test_digits():
    x, y = data.digits()
    assert x.shape == (1797, 64) and x.dtype == torch.float32 and y.dtype == torch.int64
    assert x.min() == 0 and x.max() == 1 and torch.equal(x * 16, (x * 16).round())
    assert torch.bincount(y).min() >= 170


# --- dynamic binarization ----------------------------------------------------------------------


def test_binarize_is_unbiased_and_resampled():
    x = torch.linspace(0, 1, 11)
    draws = data.binarize(x.expand(40000, 11), generator=torch.Generator().manual_seed(0))
    assert set(torch.unique(draws).tolist()) <= {0.0, 1.0}
    stderr = (x * (1 - x) / len(draws)).sqrt()
    assert ((draws.mean(0) - x).abs() <= 4 * stderr).all()  # exact at 0 and 1
    again = data.binarize(x.expand(40000, 11), generator=torch.Generator().manual_seed(0))
    assert torch.equal(again, draws)  # seeded
    assert not torch.equal(draws[:20000], draws[20000:])  # a fresh sample every time


@settings(max_examples=30, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=50))
def test_binarize_gives_bits_and_keeps_certain_pixels(values):
    x = torch.tensor(values, dtype=torch.float64)
    b = data.binarize(x)
    assert b.dtype == x.dtype and set(b.tolist()) <= {0.0, 1.0}
    assert torch.equal(b[(x == 0) | (x == 1)], x[(x == 0) | (x == 1)])


@pytest.mark.parametrize(
    "bad",
    [
        torch.tensor([0.5, 1.5]),
        torch.tensor([-0.1]),
        torch.tensor([float("nan")]),
        torch.tensor([1]),
    ],
)
def test_binarize_rejects_values_outside_unit_interval(bad):
    with pytest.raises(ValueError, match="^x must"):
        data.binarize(bad)


def test_arguments_are_validated():
    for load, split in [
        (data.mnist, "valid"),
        (data.binarized_mnist, "validation"),
        (data.book_data, "dev"),
        (data.mnist, ["train"]),
    ]:
        with pytest.raises(ValueError, match="^split must be one of"):
            load(split)
    with pytest.raises(ValueError, match="^root must"):
        data.mnist("test", root=3)
    with pytest.raises(ValueError, match="^download must"):
        data.frey_face(download="yes")
    with pytest.raises(ValueError, match="^generator must"):
        data.binarize(torch.rand(3), generator=0)


def test_optional_returns_none_with_a_warning_when_the_data_cannot_be_had(offline, monkeypatch):
    monkeypatch.setenv(data.OFFLINE_ENV, "1")
    with pytest.warns(data.DataFallbackWarning, match="frey_face is not available"):
        assert data.optional(data.frey_face) is None
    assert offline == []  # nothing was downloaded
    with pytest.raises(ValueError, match="^root must"):  # not a DataError: propagates
        data.optional(data.frey_face, root=3)
    with pytest.raises(ValueError, match="^loader must"):
        data.optional("frey_face")


def test_optional_returns_the_data_when_found(shared):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        x = data.optional(data.frey_face, root=shared)
    assert torch.equal(x, data.frey_face(root=shared))
