"""Figures for the book: a Hangul font, the figure language, and the image/latent plots.

Every chapter's setup cell calls ``vl.setup(lang)``, which calls :func:`use_language`. From then on
the package's figures take their labels from :data:`MESSAGES` in that language, and notebook code
writes its own labels inline with :func:`tr`, e.g. ``ax.set_xlabel(vl.tr("에폭", "epoch"))``, so
the Korean and English notebooks of a chapter keep identical code.

Korean needs a font with Hangul glyphs. :func:`hangul_font` uses an installed NanumGothic, Noto Sans
CJK, AppleGothic or Malgun Gothic, else the NanumGothic files shipped inside the
``koreanize-matplotlib`` wheel (found by path; that module is never imported: it uses ``distutils``
and fails on Python >= 3.12). Fonts are registered with ``fontManager.addfont``, so a font
installed after matplotlib was imported (Colab's ``apt-get install fonts-nanum``) works without a
runtime restart. With no Hangul font at all, figures fall back to English labels with a warning.

Figure helpers (each draws into ``ax`` when given, else into a new figure, and returns the
:class:`~matplotlib.figure.Figure`; pyplot does not keep a new figure, so it shows once, as the
value of a cell's last expression, and never leaks; with ``ax=`` from ``plt.subplots``, end the
line with ``;`` as usual):

- :func:`image_grid` — any batch of images (ch. 4 samples, ch. 5 explorer panels).
- :func:`show_reconstructions` — originals above reconstructions (ch. 4, ch. 5).
- :func:`latent_manifold` — decoded grid of a 2-D latent space (ch. 4, Kingma & Welling Fig. 4).
- :func:`latent_scatter` — latent means coloured by label (ch. 4).
- :func:`latent_traversal` — one latent coordinate varied at a time (ch. 5).

Images are ``[N, H*W]`` (or ``[N, H, W]``) tensors or arrays with values in [0, 1]. A *decoder*
follows the package protocol: ``decoder(z)`` returns a ``torch.distributions.Distribution`` whose
``.mean`` is the image (Bernoulli: the pixel probabilities; Normal: the mean).
"""

from __future__ import annotations

import importlib.util
import os
import warnings
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import font_manager

__all__ = [
    "MESSAGES",
    "current_language",
    "hangul_font",
    "image_grid",
    "koreanize_font_files",
    "latent_manifold",
    "latent_scatter",
    "latent_traversal",
    "msg",
    "show_reconstructions",
    "tr",
    "use_language",
]

LANGUAGES = ("ko", "en")

#: The labels of every figure the package draws: key -> (Korean, English). Placeholders in braces
#: are filled by :func:`msg`.
MESSAGES: dict[str, tuple[str, str]] = {
    "original": ("원본", "original"),
    "reconstruction": ("재구성", "reconstruction"),
    "samples": ("사전 분포에서 뽑은 표본", "samples from the prior"),
    "latent_manifold": ("학습된 잠재 공간 다양체", "learned latent manifold"),
    "latent_means": ("잠재 변수의 사후 평균", "posterior means of the latent variables"),
    "latent_traversal": ("잠재 공간 순회", "latent traversal"),
    "latent_value": (
        "$z_d$의 값 (사전 분포의 표준 편차 단위)",
        "value of $z_d$ (prior standard deviations)",
    ),
    "label": ("레이블", "label"),
    "elbo": ("ELBO (데이터 포인트당 nats)", "ELBO (nats per example)"),
    "nats": ("데이터 포인트당 nats", "nats per example"),
    "epoch": ("에폭", "epoch"),
    "rate": ("율 KL(q(z|x) ‖ p(z)) (nats)", "rate KL(q(z|x) ‖ p(z)) (nats)"),
    "distortion": ("왜곡 −E[log p(x|z)] (nats)", "distortion −E[log p(x|z)] (nats)"),
    "active_units": ("활성 유닛 수", "active units"),
    "kl_per_dim": ("차원별 KL (nats)", "KL per dimension (nats)"),
    "latent_dim": ("잠재 차원", "latent dimension"),
    "timing": ("{device}에서 {ms:.0f} ms", "{ms:.0f} ms on {device}"),
    "twin_note": (
        "정적 쌍둥이: 미리 계산한 그림 {n}장. Colab이나 Jupyter에서 실행하면 직접 계산합니다.",
        "Static preview: {n} precomputed frames. Run it in Colab or Jupyter to compute it live.",
    ),
}

# Fonts with Hangul, by family name (as matplotlib knows them) and by file name (to find and
# register files matplotlib has not indexed, e.g. installed after it was imported).
_HANGUL_FAMILIES = ("NanumGothic", "Noto Sans CJK KR", "AppleGothic", "Malgun Gothic")
_HANGUL_FILES = (
    "NanumGothic.ttf",
    "NanumGothicBold.ttf",
    "NotoSansCJK-Regular.ttc",
    "NotoSansCJK-Bold.ttc",
    "AppleGothic.ttf",
    "malgun.ttf",
    "malgunbd.ttf",
)

MINUS_SIGN = 0x2212
_language = "en"
_UNSEARCHED = object()
_font: object = _UNSEARCHED  # the cached result of hangul_font()


def koreanize_font_files() -> list[Path]:
    """The NanumGothic ``.ttf`` files inside the installed ``koreanize-matplotlib`` wheel.

    Located with ``importlib.util.find_spec`` (which does not execute the module); ``[]`` if the
    distribution is not installed.
    """
    spec = importlib.util.find_spec("koreanize_matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return []
    fonts = Path(next(iter(spec.submodule_search_locations))) / "fonts"
    return sorted(p for p in fonts.glob("NanumGothic*.ttf") if p.is_file())


def _hangul_font_files() -> list[str]:
    """The files of one Hangul family, in the search order of :func:`hangul_font`."""
    for family in _HANGUL_FAMILIES:
        known = sorted({f.fname for f in font_manager.fontManager.ttflist if f.name == family})
        if known:
            return known
    by_name = {Path(p).name: p for p in font_manager.findSystemFonts()}
    files = [by_name[name] for name in _HANGUL_FILES if name in by_name]
    files = files or [os.fspath(p) for p in koreanize_font_files()]
    family = files and font_manager.get_font(files[0]).family_name
    return [f for f in files if font_manager.get_font(f).family_name == family]


def _with_minus_sign(path: str) -> str:
    """``path``, or a copy of that font whose U+2212 MINUS SIGN draws its en dash.

    Hangul fonts (all of Nanum) lack U+2212, and mathtext writes every minus with it in the text
    font: a log axis's 10⁻¹, ``$\\beta = -2$``. The copy is cached in matplotlib's cache
    directory under the family name ``"<family> VL"``, so it never shadows the original.
    """
    if font_manager.get_font(path).get_char_index(MINUS_SIGN) or path.lower().endswith(".ttc"):
        return path
    out = Path(matplotlib.get_cachedir()) / f"{Path(path).stem}-{os.path.getsize(path)}-vl.ttf"
    if not out.exists():
        from fontTools.ttLib import TTFont  # a dependency of matplotlib

        font = TTFont(path)
        chars = font["cmap"].getBestCmap()
        for table in font["cmap"].tables:
            if table.isUnicode():
                table.cmap[MINUS_SIGN] = chars.get(0x2013) or chars[0x2D]  # en dash or hyphen
        for record in font["name"].names:
            if record.nameID in (1, 4, 16):  # family, full name, typographic family
                record.string = f"{record.toUnicode()} VL"
        partial = out.with_suffix(f".{os.getpid()}.part")
        font.save(partial)
        partial.replace(out)  # atomic: a concurrent reader never sees half a font
    return os.fspath(out)


def _find_hangul_font() -> str | None:
    family = None
    for path in _hangul_font_files():
        path = _with_minus_sign(path)
        font_manager.fontManager.addfont(path)
        family = family or font_manager.get_font(path).family_name
    return family


def hangul_font() -> str | None:
    """Find a Hangul font, register it with matplotlib and make it the default; return its family.

    Search order: fonts matplotlib already knows (NanumGothic, Noto Sans CJK KR, AppleGothic,
    Malgun Gothic), then font files installed since matplotlib built its cache, then the files of
    the ``koreanize-matplotlib`` wheel (:func:`koreanize_font_files`). A font without U+2212 is
    registered as a copy that has it (see :func:`_with_minus_sign`; NanumGothic becomes
    ``"NanumGothic VL"``). ``font.family`` becomes ``[font, "sans-serif"]`` (glyphs the font
    lacks come from DejaVu Sans) and ``axes.unicode_minus`` False. Returns ``None`` when no Hangul
    font exists. The search runs once per session.
    """
    global _font
    if _font is _UNSEARCHED:
        _font = _find_hangul_font()
    if _font is not None:
        matplotlib.rcParams["font.family"] = [_font, "sans-serif"]
        matplotlib.rcParams["axes.unicode_minus"] = False
    return _font


def use_language(lang: str) -> str:
    """Choose the language of figure labels, ``"ko"`` or ``"en"``; return the one in effect.

    Called by ``vl.setup(lang)`` in every chapter's first cell. Korean also registers a Hangul font
    (:func:`hangul_font`); if there is none, a warning says so and figures use English.
    """
    global _language
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    if lang == "ko" and hangul_font() is None:
        warnings.warn(
            "No Hangul font found (install fonts-nanum or koreanize-matplotlib); "
            "figures use English labels.",
            RuntimeWarning,
            stacklevel=2,
        )
        lang = "en"
    _language = lang
    return lang


def current_language() -> str:
    """The language figure labels are written in now: ``"ko"`` or ``"en"``."""
    return _language


def tr(ko: str, en: str) -> str:
    """The label for the current language: ``ax.set_title(vl.tr("재구성", "reconstruction"))``."""
    return ko if _language == "ko" else en


def msg(key: str, **fields) -> str:
    """The :data:`MESSAGES` entry ``key`` in the current language, formatted with ``fields``."""
    if key not in MESSAGES:
        raise ValueError(f"key must be one of {sorted(MESSAGES)}, got {key!r}")
    return tr(*MESSAGES[key]).format(**fields)


# ---------------------------------------------------------------------------------------------
# Figure helpers


def _new_axes(ax, figsize):
    """``ax``, or the Axes of a new figure that pyplot made (so notebooks can display it) but no
    longer tracks (so it is shown once, as a cell's value, and never leaks)."""
    if ax is not None:
        return ax
    fig = plt.figure(figsize=figsize, layout="constrained")
    plt.close(fig)
    return fig.subplots()


def _images(x, image_shape) -> np.ndarray:
    """``x`` ([N, H*W] or [N, H, W], tensor or array) as a float array ``[N, H, W]``."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    x = np.asarray(x, dtype=np.float32)
    h, w = image_shape
    if x.ndim not in (2, 3) or x.shape[0] == 0 or x[0].size != h * w:
        raise ValueError(
            f"x must be [N, {h * w}] or [N, {h}, {w}] for image_shape={tuple(image_shape)}, "
            f"got shape {tuple(x.shape)}"
        )
    return x.reshape(-1, h, w)


def _mosaic(images: np.ndarray, ncol: int, pad: int = 1) -> np.ndarray:
    """Tile ``[N, H, W]`` images row by row, ``ncol`` per row, separated by ``pad`` pixels."""
    n, h, w = images.shape
    nrows = -(-n // ncol)
    out = np.ones((nrows * (h + pad) + pad, ncol * (w + pad) + pad), dtype=np.float32)
    for i, img in enumerate(images):
        r, c = divmod(i, ncol)
        out[
            pad + r * (h + pad) : (r + 1) * (h + pad), pad + c * (w + pad) : (c + 1) * (w + pad)
        ] = img
    return out


def _show_mosaic(ax, images, ncol, title, extent=None):
    """Draw the mosaic; ``extent`` (data coordinates of its edges) keeps the axes' ticks."""
    mosaic = np.clip(_mosaic(images, ncol), 0, 1)
    if extent is None:
        ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
    else:  # square pixels: aspect = (pixels per y unit) / (pixels per x unit)
        aspect = (mosaic.shape[0] / (extent[3] - extent[2])) / (
            mosaic.shape[1] / (extent[1] - extent[0])
        )
        ax.imshow(mosaic, cmap="gray", vmin=0, vmax=1, extent=extent, aspect=aspect)
    if title:
        ax.set_title(title)


def _tile_centres(count: int, size: int, pad: int = 1) -> np.ndarray:
    return pad + np.arange(count) * (size + pad) + (size - 1) / 2


def _decoder_device(decoder, device):
    if device is not None:
        return torch.device(device)
    params = getattr(decoder, "parameters", None)
    first = next(iter(params()), None) if callable(params) else None
    return first.device if first is not None else torch.device("cpu")


@torch.no_grad()
def _decode_mean(decoder, z: torch.Tensor, device) -> np.ndarray:
    """``decoder(z).mean`` for ``z [N, z_dim]`` as a float array ``[N, x_dim]``."""
    z = z.to(_decoder_device(decoder, device))
    return decoder(z).mean.float().cpu().numpy()


def image_grid(x, image_shape, *, nrow: int = 8, ax=None, title: str | None = None):
    """Show images ``x [N, H*W]`` (values in [0, 1]) as a grid with ``nrow`` images per row.

    Used for samples from the prior (ch. 4) and the image panels of the β explorer (ch. 5).
    Returns the Figure.
    """
    if not isinstance(nrow, int) or nrow < 1:
        raise ValueError(f"nrow must be a positive int, got {nrow!r}")
    images = _images(x, image_shape)
    ncol = min(nrow, len(images))
    rows = -(-len(images) // ncol)
    h, w = image_shape
    ax = _new_axes(ax, figsize=(min(1.0 * ncol * w / h, 10), min(1.0 * rows, 10) + 0.4))
    _show_mosaic(ax, images, ncol, title)
    return ax.figure


def show_reconstructions(x, x_hat, image_shape, *, n: int = 8, ax=None, title: str | None = None):
    """Originals ``x`` (top row) above their reconstructions ``x_hat`` (bottom row), ``n`` each.

    ``x_hat`` is the decoder's mean for the encoder's mean (or a sample) of ``x`` (ch. 4, ch. 5).
    Returns the Figure.
    """
    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive int, got {n!r}")
    originals, recons = _images(x, image_shape)[:n], _images(x_hat, image_shape)[:n]
    if len(originals) != len(recons):
        raise ValueError(
            f"x_hat must hold as many images as x, got {len(recons)} and {len(originals)}"
        )
    h, w = image_shape
    ax = _new_axes(ax, figsize=(min(1.0 * len(originals) * w / h, 10) + 1.2, 2.4))
    _show_mosaic(ax, np.concatenate([originals, recons]), len(originals), title)
    ax.set_yticks(_tile_centres(2, h), [msg("original"), msg("reconstruction")])
    return ax.figure


def latent_manifold(
    decoder, image_shape, *, n: int = 15, extent: float = 2.5, ax=None, device=None, title=None
):
    """Decode an ``n × n`` grid of a 2-D latent space, ``z ∈ [−extent, extent]²`` (ch. 4).

    Each tile is the decoder's mean at that z (Bernoulli: the probabilities), centred at its z on
    the axes (in prior standard deviations, since p(z) = N(0, I)).
    As in Kingma & Welling's Figure 4, but on a linear grid. Returns the Figure.
    """
    if not isinstance(n, int) or n < 2:
        raise ValueError(f"n must be an int >= 2, got {n!r}")
    if not extent > 0:
        raise ValueError(f"extent must be positive, got {extent!r}")
    grid = torch.linspace(-extent, extent, n)
    z2, z1 = torch.meshgrid(grid.flip(0), grid, indexing="ij")  # top row = largest z_2
    z = torch.stack([z1.reshape(-1), z2.reshape(-1)], dim=1)
    images = _images(_decode_mean(decoder, z, device), image_shape)
    h, w = image_shape
    ax = _new_axes(ax, figsize=(6 * w / max(h, w) + 0.6, 6 * h / max(h, w) + 0.6))
    edge = extent * (1 + 1 / (n - 1))  # tile centres sit at the grid's z values
    title = msg("latent_manifold") if title is None else title
    _show_mosaic(ax, images, n, title, extent=(-edge, edge, -edge, edge))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    return ax.figure


def latent_scatter(z, y, *, ax=None, title: str | None = None):
    """Scatter 2-D latent means ``z [N, 2]`` coloured by integer label ``y [N]``, with a legend.

    Chapter 4 draws the test set's posterior means of a 2-D VAE coloured by digit.
    Returns the Figure.
    """
    z = z.detach().cpu().numpy() if isinstance(z, torch.Tensor) else np.asarray(z)
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    if z.ndim != 2 or z.shape[1] != 2:
        raise ValueError(f"z must be [N, 2] (pick two dimensions), got shape {z.shape}")
    if y.shape != (len(z),):
        raise ValueError(f"y must be [N] with N = {len(z)}, got shape {y.shape}")
    ax = _new_axes(ax, figsize=(6, 5))
    cmap = matplotlib.colormaps["tab10" if len(np.unique(y)) <= 10 else "tab20"]
    for i, label in enumerate(np.unique(y)):
        pts = z[y == label]
        ax.scatter(pts[:, 0], pts[:, 1], s=4, alpha=0.6, color=cmap(i % cmap.N), label=str(label))
    ax.legend(title=msg("label"), markerscale=3, loc="center left", bbox_to_anchor=(1.0, 0.5))
    ax.set_xlabel("$z_1$")
    ax.set_ylabel("$z_2$")
    ax.set_title(msg("latent_means") if title is None else title)
    return ax.figure


def latent_traversal(decoder, z0, dims, values, image_shape, *, ax=None, device=None, title=None):
    """Decode ``z0`` with one coordinate at a time set to each of ``values`` (ch. 5).

    Row ``i`` varies latent dimension ``dims[i]`` (a 0-based index, labelled ``z_{dims[i]}``) over
    ``values`` (left to right), the others stay at ``z0 [z_dim]``; each tile is the decoder's
    mean. Returns the Figure.
    """
    z0 = torch.as_tensor(z0, dtype=torch.float32)
    dims, values = list(dims), [float(v) for v in values]
    if z0.ndim != 1:
        raise ValueError(f"z0 must be one latent vector [z_dim], got shape {tuple(z0.shape)}")
    if not dims or any(not 0 <= d < len(z0) for d in dims):
        raise ValueError(f"dims must be non-empty indices into z0 (z_dim={len(z0)}), got {dims}")
    if not values:
        raise ValueError("values must be non-empty")
    z = z0.repeat(len(dims), len(values), 1)  # [rows, cols, z_dim]
    for row, d in enumerate(dims):
        z[row, :, d] = torch.tensor(values)
    images = _images(_decode_mean(decoder, z.reshape(-1, len(z0)), device), image_shape)
    h, w = image_shape
    ax = _new_axes(ax, figsize=(min(0.8 * len(values) * w / h, 10) + 1, 0.8 * len(dims) + 1))
    _show_mosaic(ax, images, len(values), msg("latent_traversal") if title is None else title)
    ax.set_xticks(_tile_centres(len(values), w), [f"{v:.2g}" for v in values])
    ax.set_yticks(_tile_centres(len(dims), h), [f"$z_{{{d}}}$" for d in dims])
    ax.set_xlabel(msg("latent_value"))
    return ax.figure
