"""Figure language, Hangul fonts and the figure helpers of vae_lessons.plots."""

import io
import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import matplotlib
import numpy as np
import pytest
import torch
from matplotlib import font_manager
from matplotlib.figure import Figure
from torch.distributions import Bernoulli, Independent, Normal

import vae_lessons as vl
from vae_lessons import plots


@pytest.fixture(autouse=True)
def _restore_language():
    saved = plots.current_language()
    yield
    plots._language = saved


def _missing_glyphs(fig, caplog) -> list[str]:
    """What matplotlib reports missing while rendering ``fig``: text warns, mathtext logs."""
    caplog.clear()
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING):
        warnings.simplefilter("always")
        fig.savefig(io.BytesIO(), format="png", dpi=40)
    reports = [str(w.message) for w in caught] + [r.getMessage() for r in caplog.records]
    return [r for r in reports if "missing from font" in r or "does not have a glyph" in r]


def _has_hangul(family: str) -> bool:
    prop = font_manager.FontProperties(family=family)
    path = font_manager.findfont(prop, fallback_to_default=False)
    return font_manager.get_font(path).get_char_index(ord("가")) > 0


# -- language -------------------------------------------------------------------------------------


def test_tr_follows_the_language_and_is_exported_by_the_package():
    assert vl.tr is plots.tr
    assert plots.use_language("en") == "en" and plots.current_language() == "en"
    assert vl.tr("재구성", "reconstruction") == "reconstruction"
    assert plots.use_language("ko") == "ko" and plots.current_language() == "ko"
    assert vl.tr("재구성", "reconstruction") == "재구성"
    assert plots.msg("timing", ms=23.4, device="cpu") == "cpu에서 23 ms"
    plots.use_language("en")
    assert plots.msg("timing", ms=23.4, device="cpu") == "23 ms on cpu"


@pytest.mark.parametrize("lang", ["fr", "KO", "", None])
def test_use_language_rejects_unknown_languages(lang):
    plots.use_language("en")
    with pytest.raises(ValueError, match="lang"):
        plots.use_language(lang)
    assert plots.current_language() == "en"


def test_msg_rejects_unknown_keys():
    with pytest.raises(ValueError, match="key"):
        plots.msg("no such message")


def test_without_a_hangul_font_korean_falls_back_to_english_with_a_warning(monkeypatch):
    monkeypatch.setattr(plots, "hangul_font", lambda: None)
    with pytest.warns(RuntimeWarning, match="Hangul font"):
        assert plots.use_language("ko") == "en"
    assert plots.current_language() == "en"
    assert vl.tr("원본", "original") == "original"


# -- fonts ----------------------------------------------------------------------------------------


def test_a_hangul_font_with_a_minus_sign_is_registered_and_made_the_default():
    family = plots.hangul_font()
    # NanumGothic from fonts-nanum (apt) or koreanize-matplotlib, with U+2212 added.
    assert family == "NanumGothic VL"
    assert _has_hangul(family)
    path = font_manager.findfont(font_manager.FontProperties(family=family))
    assert font_manager.get_font(path).get_char_index(plots.MINUS_SIGN) > 0
    assert matplotlib.rcParams["font.family"] == [family, "sans-serif"]
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_the_minus_sign_draws_the_fonts_en_dash_and_nothing_else_changes():
    original = plots._hangul_font_files()[0]
    copy = plots._with_minus_sign(original)
    before, after = font_manager.get_font(original), font_manager.get_font(copy)
    assert before.get_char_index(plots.MINUS_SIGN) == 0
    assert after.get_char_index(plots.MINUS_SIGN) == after.get_char_index(0x2013) > 0
    for char in "가나다 zβ-1":
        assert after.get_char_index(ord(char)) == before.get_char_index(ord(char)) > 0
    assert plots._with_minus_sign(copy) == copy  # a font with U+2212 is used as it is


def test_the_koreanize_matplotlib_fonts_are_found_by_path_without_importing_it():
    files = plots.koreanize_font_files()
    assert "NanumGothic.ttf" in {f.name for f in files}
    assert all(f.is_file() and f.parent.name == "fonts" for f in files)
    assert "koreanize_matplotlib" not in sys.modules


def _forget_hangul_fonts(monkeypatch):
    """Pretend matplotlib's font cache was built before any Hangul font was installed."""
    known = [f for f in font_manager.fontManager.ttflist if not _is_hangul_entry(f)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", known)
    monkeypatch.setattr(plots, "_font", plots._UNSEARCHED)
    font_manager.fontManager._findfont_cached.cache_clear()


def _is_hangul_entry(entry) -> bool:
    return font_manager.get_font(entry.fname).get_char_index(ord("가")) > 0


@pytest.fixture
def _fresh_font_cache():
    with matplotlib.rc_context():
        yield
    font_manager.fontManager._findfont_cached.cache_clear()


@pytest.mark.usefixtures("_fresh_font_cache")
def test_a_font_installed_after_matplotlib_started_is_registered_without_a_restart(monkeypatch):
    _forget_hangul_fonts(monkeypatch)
    assert not any(_is_hangul_entry(f) for f in font_manager.fontManager.ttflist)
    assert Path(plots._hangul_font_files()[0]).parent == Path("/usr/share/fonts/truetype/nanum")
    assert plots.hangul_font() == "NanumGothic VL"
    assert _has_hangul("NanumGothic VL")


@pytest.mark.usefixtures("_fresh_font_cache")
def test_with_no_system_font_the_koreanize_files_are_registered(monkeypatch):
    _forget_hangul_fonts(monkeypatch)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    files = plots._hangul_font_files()
    assert files == [os.fspath(p) for p in plots.koreanize_font_files()]
    assert plots.hangul_font() == "NanumGothic VL"
    assert _has_hangul("NanumGothic VL")


@pytest.mark.usefixtures("_fresh_font_cache")
def test_with_no_hangul_font_anywhere_none_is_found(monkeypatch):
    _forget_hangul_fonts(monkeypatch)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    monkeypatch.setattr(plots, "koreanize_font_files", lambda: [])
    assert plots.hangul_font() is None


def test_every_korean_message_renders_without_missing_glyphs(caplog):
    plots.use_language("ko")
    fig = Figure(figsize=(6, 8))
    ax, log_ax = fig.subplots(2, 1)
    for i, (key, _) in enumerate(plots.MESSAGES.items()):
        ax.text(0, i / len(plots.MESSAGES), plots.msg(key, ms=23.0, device="cpu", n=9))
    ax.set_title("β·KL 가중치 = -1.5, −2")
    log_ax.semilogx([1e-3, 1e2], [-1, 1])  # mathtext ticks 10⁻³ … 10²: a minus in math mode
    log_ax.set_xlabel("$z_{d}$의 값")
    assert _missing_glyphs(fig, caplog) == []

    # The check is sensitive: Hangul in DejaVu Sans; a minus in the text font within mathtext
    # (what log-axis tick labels use) in the original Hangul font, which lacks U+2212. That file
    # is registered here by path, so the check does not depend on what matplotlib's font cache
    # knew (a cache built before fonts-nanum was installed knows no NanumGothic).
    original = plots._hangul_font_files()[0]
    font_manager.fontManager.addfont(original)
    hangul = font_manager.get_font(original).family_name
    assert not font_manager.get_font(original).get_char_index(plots.MINUS_SIGN)
    for family, label in [("DejaVu Sans", "재구성"), (hangul, r"$\mathdefault{10^{-1}}$")]:
        with matplotlib.rc_context({"font.family": [family]}):
            fig = Figure()
            fig.subplots().set_title(label)
            assert _missing_glyphs(fig, caplog)


def test_font_tests_pass_with_a_font_cache_built_before_the_hangul_font(tmp_path):
    """A user who installs fonts-nanum after matplotlib built its cache: the tests still pass."""
    cached = (
        Path(matplotlib.get_cachedir()) / f"fontlist-v{font_manager.FontManager.__version__}.json"
    )
    if not cached.exists():  # matplotlib could not write its cache: write one like it
        font_manager.json_dump(font_manager.fontManager, cached)
    stale = json.loads(cached.read_text(encoding="utf-8"))
    korean = {Path(f).name for f in plots._hangul_font_files()}
    stale["ttflist"] = [f for f in stale["ttflist"] if Path(f["fname"]).name not in korean]
    stale["ttflist"] = [f for f in stale["ttflist"] if not f["fname"].endswith("-vl.ttf")]
    (tmp_path / cached.name).write_text(json.dumps(stale), encoding="utf-8")
    env = dict(os.environ, MPLCONFIGDIR=str(tmp_path))
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-k", "glyphs", __file__],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]


# -- figure helpers -------------------------------------------------------------------------------


def _tiles(ax, shape, rows, cols):
    """The mosaic drawn on ``ax`` cut back into its ``[rows, cols, H, W]`` tiles (1-pixel pad)."""
    mosaic = np.asarray(ax.images[0].get_array())
    h, w = shape
    assert mosaic.shape == (rows * (h + 1) + 1, cols * (w + 1) + 1)
    return np.array(
        [
            [mosaic[1 + r * (h + 1) : (r + 1) * (h + 1), 1 + c * (w + 1) : (c + 1) * (w + 1)]]
            for r in range(rows)
            for c in range(cols)
        ]
    ).reshape(rows, cols, h, w)


def test_image_grid_places_image_i_at_row_i_div_nrow_column_i_mod_nrow():
    x = torch.rand(5, 6)
    fig = plots.image_grid(x, (2, 3), nrow=3, title="t")
    ax = fig.axes[0]
    tiles = _tiles(ax, (2, 3), rows=2, cols=3)
    for i in range(5):
        np.testing.assert_allclose(tiles[i // 3, i % 3], x[i].reshape(2, 3).numpy(), rtol=1e-6)
    assert np.all(tiles[1, 2] == 1.0)  # the empty slot is background
    assert ax.get_title() == "t"


def test_image_grid_validates_its_inputs():
    with pytest.raises(ValueError, match="image_shape"):
        plots.image_grid(torch.rand(4, 10), (3, 3))
    with pytest.raises(ValueError, match="nrow"):
        plots.image_grid(torch.rand(4, 9), (3, 3), nrow=0)


def test_show_reconstructions_puts_originals_above_reconstructions():
    plots.use_language("ko")
    x, x_hat = torch.rand(4, 6), torch.rand(4, 6)
    ax = plots.show_reconstructions(x, x_hat, (3, 2), n=3).axes[0]
    tiles = _tiles(ax, (3, 2), rows=2, cols=3)
    for i in range(3):
        np.testing.assert_allclose(tiles[0, i], x[i].reshape(3, 2).numpy(), rtol=1e-6)
        np.testing.assert_allclose(tiles[1, i], x_hat[i].reshape(3, 2).numpy(), rtol=1e-6)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["원본", "재구성"]
    with pytest.raises(ValueError, match="x_hat"):
        plots.show_reconstructions(x, x_hat[:2], (3, 2), n=3)


class _CoordinateDecoder(torch.nn.Module):
    """p(x|z) whose mean image spells out z: pixel 0 = sigmoid(z_1), pixel 1 = sigmoid(z_2)."""

    def forward(self, z):
        assert not torch.is_grad_enabled()
        return Independent(Bernoulli(logits=torch.cat([z, -z], dim=-1)), 1)


def test_latent_manifold_decodes_the_mean_at_each_grid_point():
    n, extent = 5, 2.0
    ax = plots.latent_manifold(_CoordinateDecoder(), (2, 2), n=n, extent=extent).axes[0]
    tiles = _tiles(ax, (2, 2), rows=n, cols=n)
    grid = np.linspace(-extent, extent, n)
    for r in range(n):
        for c in range(n):
            z1, z2 = grid[c], grid[n - 1 - r]  # z_1 grows to the right, z_2 upwards
            expected = 1 / (1 + np.exp(-np.array([z1, z2, -z1, -z2])))  # Bernoulli mean = probs
            np.testing.assert_allclose(tiles[r, c].reshape(-1), expected, rtol=1e-5)
    # Tile centres sit at their z on the axes (within one pixel of the mosaic).
    left, right, _, _ = ax.images[0].get_extent()
    width_px = n * 3 + 1
    centres = left + (1 + np.arange(n) * 3 + 1.0) / width_px * (right - left)
    np.testing.assert_allclose(centres, grid, atol=(right - left) / width_px)


def test_latent_scatter_draws_each_label_with_its_points():
    plots.use_language("en")
    z, y = torch.randn(30, 2), torch.tensor([3, 1, 2] * 10)
    ax = plots.latent_scatter(z, y).axes[0]
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["1", "2", "3"]
    assert legend.get_title().get_text() == "label"
    for label, points in zip([1, 2, 3], ax.collections, strict=True):
        np.testing.assert_allclose(points.get_offsets(), z[y == label].numpy(), rtol=1e-6)
    with pytest.raises(ValueError, match="z must be"):
        plots.latent_scatter(torch.randn(30, 3), y)
    with pytest.raises(ValueError, match="y must be"):
        plots.latent_scatter(z, y[:5])


def test_latent_traversal_varies_one_dimension_per_row():
    class Sigmoid(torch.nn.Module):
        def forward(self, z):
            return Independent(Normal(torch.sigmoid(z), 1.0), 1)

    z0, dims, values = torch.tensor([0.5, -1.0, 2.0]), [2, 0], [-2.0, 0.0, 2.0, 3.0]
    ax = plots.latent_traversal(Sigmoid(), z0, dims, values, (1, 3)).axes[0]
    tiles = _tiles(ax, (1, 3), rows=2, cols=4)
    for row, d in enumerate(dims):
        for col, v in enumerate(values):
            z = z0.clone()
            z[d] = v
            np.testing.assert_allclose(tiles[row, col, 0], torch.sigmoid(z).numpy(), rtol=1e-6)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["$z_{2}$", "$z_{0}$"]
    with pytest.raises(ValueError, match="dims"):
        plots.latent_traversal(Sigmoid(), z0, [3], values, (1, 3))
