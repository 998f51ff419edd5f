"""The book's data sets: MNIST, binarized MNIST, Frey Face and scikit-learn's 8×8 digits.

Every loader returns float32 tensors of flattened images, ``x [N, D]``, with pixel intensities
in [0, 1] (the unit of every likelihood in the book is nats per image of D pixels). A file is
looked for, in this order, in

1. the folder passed as ``root``,
2. the folder named by the environment variable ``VAE_LESSONS_DATA`` (for example the book's
   ``shared/data`` copy used by CI and offline builds),
3. the user cache, ``$XDG_CACHE_HOME/vae_lessons`` (default ``~/.cache/vae_lessons``),

in each folder either inside the data set's subfolder (``mnist/``, ``binarized_mnist/``,
``frey/``) or directly in the folder. Failing that it is downloaded from the public mirrors into
the cache, unless the environment variable ``VAE_LESSONS_OFFLINE`` is ``1``. Every file is
checked against its published MD5 checksum: a download is written to a temporary file and moved
into place only once verified, so a partial or corrupt file never remains, and a corrupt file
found in the cache is removed. When nothing works the loader raises a
:class:`DataNotFoundError` that lists every place it looked and how to fix it.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import math
import os
import shutil
import tempfile
import urllib.request
import warnings
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

__all__ = [
    "DATA_ENV",
    "OFFLINE_ENV",
    "MNIST_IMAGE_SHAPE",
    "FREY_IMAGE_SHAPE",
    "DIGITS_IMAGE_SHAPE",
    "DIGITS_TRAIN_SIZE",
    "DataError",
    "DataNotFoundError",
    "CorruptDataError",
    "DataFallbackWarning",
    "Dataset",
    "cache_dir",
    "mnist",
    "binarized_mnist",
    "frey_face",
    "digits",
    "binarize",
    "book_data",
    "optional",
]

DATA_ENV = "VAE_LESSONS_DATA"
#: Set to ``1`` to forbid every download (CI executes the book this way to prove it runs offline).
OFFLINE_ENV = "VAE_LESSONS_OFFLINE"
MNIST_IMAGE_SHAPE = (28, 28)
FREY_IMAGE_SHAPE = (28, 20)
DIGITS_IMAGE_SHAPE = (8, 8)
DIGITS_TRAIN_SIZE = 1500  # book_data's fallback: the first 1500 digits train, the other 297 test

_TIMEOUT_S = 30
_MNIST_URLS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
_MNIST_MD5 = {  # of the .gz files as published
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
_MNIST_SIZES = {"train": 60000, "test": 10000}
_IDX_IMAGES, _IDX_LABELS = 2051, 2049  # magic numbers: unsigned bytes, 3 resp. 1 dimensions

_BINARIZED_URL = "http://www.cs.toronto.edu/~larocheh/public/datasets/binarized_mnist/"
_BINARIZED_MD5 = {  # of the uncompressed .amat text, whether stored as .amat or .amat.gz
    "train": "db28b1a6ae0fe70cbd3da91acf46e477",
    "valid": "bf37822a04e94123630de6a7dfd9c9ef",
    "test": "14e41ae11040adba6ab8cb291eda0dd8",
}
_BINARIZED_SIZES = {"train": 50000, "valid": 10000, "test": 10000}


class DataError(Exception):
    """Base class of the errors raised by the loaders of :mod:`vae_lessons.data`."""


class DataNotFoundError(DataError, FileNotFoundError):
    """No copy of a data file could be found or downloaded; the message says where it looked."""


class CorruptDataError(DataError, RuntimeError):
    """A data file has the wrong checksum or is not in the expected format."""


class DataFallbackWarning(UserWarning):
    """A data set could not be had: :func:`book_data` uses scikit-learn's digits instead of
    MNIST, :func:`optional` returns ``None`` (the notebook skips that section)."""


class Dataset(NamedTuple):
    """A labelled image data set as the book uses it (returned by :func:`book_data`).

    ``x [N, D]`` float32 intensities in [0, 1]; ``y [N]`` int64 class labels; ``name``
    (``"mnist"`` or ``"digits"``); ``image_shape`` (rows, columns), with rows · columns = D.
    """

    x: torch.Tensor
    y: torch.Tensor
    name: str
    image_shape: tuple[int, int]


class _File(NamedTuple):
    """One file of a data set: where it may be stored, its checksum and where to download it."""

    title: str  # the data set, for messages
    folder: str  # its subfolder in a data folder and in the cache
    names: tuple[str, ...]  # accepted file names; the first is the one downloaded
    md5: str
    md5_of_gunzipped: bool  # the MD5 is of the decompressed content, not of the file
    urls: tuple[str, ...]


def cache_dir() -> Path:
    """Where downloads are kept: ``$XDG_CACHE_HOME/vae_lessons``, else ``~/.cache/vae_lessons``."""
    return Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser() / "vae_lessons"


def mnist(
    split: str = "train", *, root: str | os.PathLike | None = None, download: bool = True
) -> tuple[torch.Tensor, torch.Tensor]:
    """MNIST (LeCun et al. 1998), the data set of chapters 4 (the VAE) and 5 (β-VAE).

    Reads the four original IDX files (``train-images-idx3-ubyte.gz`` etc.), found or downloaded
    as the module docstring describes, and checks their MD5, magic numbers and counts.

    Returns ``x [N, 784]`` float32, gray levels / 255 in [0, 1], each row a 28×28 image in
    row-major order (:data:`MNIST_IMAGE_SHAPE`), and ``y [N]`` int64 digit labels 0–9;
    N = 60000 for ``split="train"``, 10000 for ``split="test"``.
    """
    _check_split(split, _MNIST_SIZES)
    _check_location(root, download)
    prefix = "train" if split == "train" else "t10k"
    images = _read_idx(f"{prefix}-images-idx3-ubyte.gz", _IDX_IMAGES, root, download)
    labels = _read_idx(f"{prefix}-labels-idx1-ubyte.gz", _IDX_LABELS, root, download)
    n = _MNIST_SIZES[split]
    if images.shape != (n, *MNIST_IMAGE_SHAPE) or labels.shape != (n,) or labels.max() > 9:
        raise CorruptDataError(
            f"MNIST {split}: expected {n} images of 28×28 and {n} labels in 0..9, "
            f"got images {images.shape}, labels {labels.shape} up to {labels.max()}"
        )
    x = np.divide(images.reshape(n, -1), np.float32(255), dtype=np.float32)
    return torch.from_numpy(x), torch.from_numpy(labels.astype(np.int64))


def binarized_mnist(
    split: str = "train", *, root: str | os.PathLike | None = None, download: bool = True
) -> torch.Tensor:
    """Larochelle & Murray's (2011) fixed binarization of MNIST, for "static binarization" results.

    Part II compares its likelihood estimates with published numbers on this data set. Reads
    ``binarized_mnist_{split}.amat`` or ``.amat.gz`` (text: one image per line, 784 values
    0/1 separated by spaces) and checks the MD5 of the uncompressed text.

    Returns ``x [N, 784]`` float32 in {0, 1}, 28×28 row-major images without labels;
    N = 50000 (``"train"``), 10000 (``"valid"``) or 10000 (``"test"``).
    """
    _check_split(split, _BINARIZED_SIZES)
    _check_location(root, download)
    name = f"binarized_mnist_{split}.amat"
    file = _File(
        title="binarized MNIST",
        folder="binarized_mnist",
        names=(name, name + ".gz"),
        md5=_BINARIZED_MD5[split],
        md5_of_gunzipped=True,
        urls=(_BINARIZED_URL + name,),
    )
    text, source = _load(file, root, download)
    n = _BINARIZED_SIZES[split]
    # One byte per value: drop the separators and keep '0'/'1' and the newline ending each row.
    values = np.frombuffer(text.translate(None, b" \t\r").rstrip(b"\n") + b"\n", np.uint8)
    if values.size != n * 785 or np.any(values.reshape(n, 785)[:, -1] != ord("\n")):
        raise CorruptDataError(f"{source}: expected {n} lines of 784 values")
    x = values.reshape(n, 785)[:, :-1] - ord("0")
    if np.any(x > 1):
        raise CorruptDataError(f"{source}: values other than 0 and 1")
    return torch.from_numpy(x.astype(np.float32))


def frey_face(*, root: str | os.PathLike | None = None, download: bool = True) -> torch.Tensor:
    """Frey Face (Brendan Frey, via Sam Roweis), the real-valued data set of chapter 4 (the VAE).

    Kingma & Welling (2013) fit it with a Gaussian decoder. Reads ``frey_rawface.mat`` (MATLAB
    variable ``ff``, uint8 of shape (560, 1965), one column per video frame) and checks its MD5.

    Returns ``x [1965, 560]`` float32, gray levels / 255 in [0, 1]; ``x[i]`` is the column
    ``ff[:, i]``, and ``x[i].reshape(28, 20)`` (row-major, :data:`FREY_IMAGE_SHAPE`) is frame i,
    28 rows by 20 columns. Consecutive rows are consecutive frames of one video.
    """
    _check_location(root, download)
    from scipy.io import loadmat

    file = _File(
        title="Frey Face",
        folder="frey",
        names=("frey_rawface.mat",),
        md5="5aeb024d42b8a6091f30e5eb18c8a48d",
        md5_of_gunzipped=False,
        urls=("https://cs.nyu.edu/~roweis/data/frey_rawface.mat",),
    )
    content, source = _load(file, root, download)
    ff = loadmat(io.BytesIO(content))["ff"]
    if ff.shape != (math.prod(FREY_IMAGE_SHAPE), 1965):
        raise CorruptDataError(f"{source}: ff has shape {ff.shape}, expected (560, 1965)")
    return torch.from_numpy(np.divide(ff.T, np.float32(255), dtype=np.float32))


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's bundled 8×8 handwritten digits: always available, no download.

    The book's offline stand-in for MNIST (see :func:`book_data`). Returns ``x [1797, 64]``
    float32, gray levels / 16 in [0, 1] (8×8 row-major images, :data:`DIGITS_IMAGE_SHAPE`),
    and ``y [1797]`` int64 labels 0–9.
    """
    from sklearn.datasets import load_digits

    bunch = load_digits()
    x = torch.from_numpy(bunch.data.astype(np.float32)).div_(16)
    return x, torch.from_numpy(bunch.target.astype(np.int64))


def binarize(x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Dynamic binarization: a fresh Bernoulli sample b ~ Bernoulli(x) of every pixel.

    Chapter 4 trains its Bernoulli decoders on MNIST binarized anew for every batch, as Burda et
    al. (2015) do, so that E[b] = x. ``x`` is any float tensor of intensities in [0, 1];
    returns a tensor of the same shape, dtype and device with values in {0, 1}.
    """
    if not isinstance(x, torch.Tensor) or not x.is_floating_point():
        raise ValueError(f"x must be a floating-point tensor in [0, 1], got {_describe(x)}")
    if x.numel() and not bool(((x >= 0) & (x <= 1)).all()):
        raise ValueError(
            f"x must lie in [0, 1] (no NaN), got values from {x.min().item()} to {x.max().item()}"
        )
    if generator is not None and not isinstance(generator, torch.Generator):
        raise ValueError(f"generator must be a torch.Generator or None, got {_describe(generator)}")
    return torch.bernoulli(x, generator=generator)


def book_data(
    split: str = "train", *, root: str | os.PathLike | None = None, download: bool = True
) -> Dataset:
    """The book's default image data set: MNIST, or scikit-learn's digits when MNIST is unavailable.

    Every chapter that trains on images starts here. It returns ``mnist(split, ...)`` as a
    :class:`Dataset` with ``image_shape`` (28, 28). If MNIST can be neither found nor
    downloaded (or a copy is corrupt), it prints a notice, warns with
    :class:`DataFallbackWarning` and returns :func:`digits` instead, split deterministically:
    the first :data:`DIGITS_TRAIN_SIZE` (1500) images for ``"train"``, the other 297 for
    ``"test"``, with ``image_shape`` (8, 8). The book then still builds offline, though its
    numbers differ from those computed on MNIST.
    """
    _check_split(split, _MNIST_SIZES)
    try:
        x, y = mnist(split, root=root, download=download)
        return Dataset(x, y, "mnist", MNIST_IMAGE_SHAPE)
    except DataError as err:
        reason = err
    x, y = digits()
    part = slice(None, DIGITS_TRAIN_SIZE) if split == "train" else slice(DIGITS_TRAIN_SIZE, None)
    notice = (
        "vae_lessons: MNIST is not available, so this notebook uses scikit-learn's 8×8 digits "
        f"instead ({DIGITS_TRAIN_SIZE} train / {len(x) - DIGITS_TRAIN_SIZE} test images); its "
        "numbers will differ from the book's.\n"
        "vae_lessons: MNIST를 찾을 수 없어 scikit-learn의 8×8 숫자(digits) 데이터로 대신합니다. "
        "결과는 책의 수치와 다릅니다.\n"
        f"{reason}"
    )
    warnings.warn(notice, DataFallbackWarning, stacklevel=2)
    print(notice)
    return Dataset(x[part], y[part], "digits", DIGITS_IMAGE_SHAPE)


def optional(loader, /, *args, **kwargs):
    """``loader(*args, **kwargs)``, or ``None`` when its data set cannot be had (ch. 4).

    For a section of the book that needs one particular data set and has no stand-in, such as
    chapter 4's Frey Face: the notebook tests for ``None`` and says, in the reader's language,
    that it skips the section, so the book still executes offline. Only a :class:`DataError`
    (not found, not downloadable, corrupt) gives ``None``, with a :class:`DataFallbackWarning`
    that carries the loader's message (every place it looked); any other error propagates.
    """
    if not callable(loader):
        raise ValueError(f"loader must be a data loader such as data.frey_face, got {loader!r}")
    try:
        return loader(*args, **kwargs)
    except DataError as err:
        warnings.warn(
            f"vae_lessons: {getattr(loader, '__name__', 'the loader')} is not available: {err}",
            DataFallbackWarning,
            stacklevel=2,
        )
        return None


# --- finding, downloading and checking files ------------------------------------------------


def _read_idx(name: str, magic: int, root, download: bool) -> np.ndarray:
    """Find the MNIST file ``name`` and parse it as IDX with the given magic number."""
    file = _File(
        title="MNIST",
        folder="mnist",
        names=(name,),
        md5=_MNIST_MD5[name],
        md5_of_gunzipped=False,
        urls=tuple(url + name for url in _MNIST_URLS),
    )
    content, source = _load(file, root, download)
    return _parse_idx(content, magic, source)


def _parse_idx(content: bytes, magic: int, source: str) -> np.ndarray:
    """Parse an IDX file of unsigned bytes: a big-endian int32 magic number 0x0000_08_ndim,
    ndim big-endian int32 sizes, then the values in row-major order."""
    found = int.from_bytes(content[:4], "big")
    if found != magic:
        raise CorruptDataError(
            f"{source}: IDX magic number {found}, expected {magic} "
            f"(unsigned bytes, {magic & 0xFF} dimension(s)); not the expected MNIST file"
        )
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    if len(content) != header + math.prod(shape):
        raise CorruptDataError(
            f"{source}: {len(content)} bytes, but an IDX file of shape {shape} has "
            f"{header + math.prod(shape)}; the file is truncated or corrupt"
        )
    return np.frombuffer(content, np.uint8, offset=header).reshape(shape)


def _load(file: _File, root, download: bool) -> tuple[bytes, str]:
    """The verified content of ``file`` (decompressed if gzip) and where it came from.

    A corrupt file in ``root`` or ``$VAE_LESSONS_DATA`` is an error (it is the user's, and
    left alone); a corrupt file in the cache is removed and fetched again.
    """
    looked = []
    for label, folder in (("root", root), (f"${DATA_ENV}", os.environ.get(DATA_ENV) or None)):
        if folder is None:
            looked.append(f"{label}: not {'given' if label == 'root' else 'set'}")
            continue
        folder = Path(folder).expanduser()
        paths = [folder / file.folder / name for name in file.names]
        paths += [folder / name for name in file.names]
        for path in paths:
            if path.is_file():
                return _read_checked(path, file, str(path)), str(path)
        missing = ", ".join(str(path.relative_to(folder)) for path in paths)
        exists = "" if folder.is_dir() else " (no such folder)"
        looked.append(f"{label}={folder}{exists}: no {missing}")

    cache = cache_dir() / file.folder
    removed = ""
    for path in (cache / name for name in file.names):
        if path.is_file():
            try:
                return _read_checked(path, file, str(path)), str(path)
            except CorruptDataError as err:
                path.unlink(missing_ok=True)
                removed += f"; removed the corrupt {path.name} ({err})"
    looked.append(f"cache {cache}: no {' or '.join(file.names)}{removed}")

    if download and os.environ.get(OFFLINE_ENV) == "1":
        download = False
        looked.append(f"download: not tried (${OFFLINE_ENV}=1)")
    elif not download:
        looked.append("download: not tried (download=False)")
    for url in file.urls if download else ():
        try:
            return _fetch(url, cache / file.names[0], file), url
        except (OSError, http.client.HTTPException, CorruptDataError) as err:
            looked.append(f"{url}: {type(err).__name__}: {err}")

    raise DataNotFoundError(
        f"Could not find or download the {file.title} file {file.names[0]}. Looked in:\n"
        + "".join(f"  - {line}\n" for line in looked)
        + "To fix this, do one of:\n"
        f"  - connect to the internet and call again (the file is downloaded once into {cache});\n"
        f"  - set the environment variable {DATA_ENV} to a folder that holds "
        f"{file.folder}/{file.names[0]} (e.g. the book's shared/data folder), for example "
        f"os.environ[{DATA_ENV!r}] = '/path/to/data';\n"
        "  - pass root='/path/to/data' (a folder holding the file or its "
        f"{file.folder}/ subfolder) to the loader."
    )


def _fetch(url: str, dest: Path, file: _File) -> bytes:
    """Download ``url`` to ``dest`` atomically: into a temporary file in the same folder, checked,
    then renamed into place. Nothing but a verified ``dest`` remains, whatever fails."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(dir=dest.parent, prefix=f".{dest.name}.", suffix=".part")
    os.close(fd)
    partial = Path(name)
    try:
        print(f"vae_lessons: downloading {url} to {dest}")
        _download(url, partial)
        content = _read_checked(partial, file, url)
        os.replace(partial, dest)
        return content
    finally:
        partial.unlink(missing_ok=True)


def _download(url: str, dest: Path) -> None:
    """Write the resource at ``url`` to the file ``dest``; every download goes through here."""
    request = urllib.request.Request(url, headers={"User-Agent": "vae_lessons"})
    with urllib.request.urlopen(request, timeout=_TIMEOUT_S) as response, open(dest, "wb") as out:
        shutil.copyfileobj(response, out)


def _read_checked(path: Path, file: _File, source: str) -> bytes:
    """The content of ``path``, gunzipped if it is gzip, after checking ``file.md5``."""
    raw = path.read_bytes()
    if not file.md5_of_gunzipped:
        _check_md5(raw, file.md5, source)
    content = _gunzip(raw, source) if raw[:2] == b"\x1f\x8b" else raw
    if file.md5_of_gunzipped:
        _check_md5(content, file.md5, source)
    return content


def _check_md5(content: bytes, md5: str, source: str) -> None:
    found = hashlib.md5(content, usedforsecurity=False).hexdigest()
    if found != md5:
        raise CorruptDataError(
            f"{source}: MD5 {found} does not match the published {md5}; the file is "
            "incomplete, corrupt or a different file"
        )


def _gunzip(raw: bytes, source: str) -> bytes:
    try:
        return gzip.decompress(raw)
    except EOFError as err:
        raise CorruptDataError(
            f"{source}: the gzip stream is truncated ({err}); the file is incomplete, "
            "replace it with a complete copy"
        ) from err
    except (OSError, zlib.error) as err:
        raise CorruptDataError(f"{source}: not a valid gzip file ({err})") from err


# --- argument checks ----------------------------------------------------------------------


def _check_split(split, allowed) -> None:
    if not isinstance(split, str) or split not in allowed:
        raise ValueError(f"split must be one of {', '.join(map(repr, allowed))}, got {split!r}")


def _check_location(root, download) -> None:
    if root is not None and not isinstance(root, (str, os.PathLike)):
        raise ValueError(f"root must be a path (str or os.PathLike) or None, got {_describe(root)}")
    if not isinstance(download, bool):
        raise ValueError(f"download must be True or False, got {download!r}")


def _describe(value) -> str:
    if isinstance(value, torch.Tensor):
        return f"a tensor of dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}"
