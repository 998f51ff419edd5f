"""Explorers of vae_lessons.widgets: slider grids, the live view, its latency, the static twin."""

import base64
import json
import re
import shutil
import sys
import types
from html.parser import HTMLParser

import numpy as np
import pytest

from vae_lessons import plots, widgets
from vae_lessons.widgets import Slider, explorer

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(autouse=True)
def _english():
    saved = plots.current_language()
    plots.use_language("en")
    yield
    plots._language = saved


def _bars(fig, a, b):
    """A tiny figure whose pixels depend on both values."""
    ax = fig.subplots()
    ax.bar([0, 1], [a, b], color=["C0", "C1"])
    ax.set_ylim(0, 4)
    ax.set_title(f"a={a} b={b}")


def _small(**kw):
    sliders = {"a": Slider([1, 2, 3], label="α"), "b": Slider([0.5, 2.0], default=2.0)}
    return explorer(_bars, sliders, figsize=(2, 1.5), dpi=40, twin_dpi=30, **kw)


class _Twin(HTMLParser):
    """Collects the twin's range inputs, frames and scripts."""

    def __init__(self, text):
        super().__init__()
        self.inputs, self.imgs, self.scripts = [], [], []
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "input":
            self.inputs.append(attrs)
        elif tag == "img":
            self.imgs.append(attrs)
        elif tag == "script":
            self.scripts.append(attrs)

    def png(self, i) -> bytes:
        prefix = "data:image/png;base64,"
        assert self.imgs[i]["src"].startswith(prefix)
        return base64.b64decode(self.imgs[i]["src"][len(prefix) :])

    def visible(self) -> list[int]:
        return [i for i, img in enumerate(self.imgs) if "display:none" not in img["style"]]


# -- sliders --------------------------------------------------------------------------------------


def test_log_sliders_are_log_spaced_and_linear_ones_evenly_spaced():
    s = widgets.log(0.1, 10, 9)
    ratios = np.array(s.values[1:]) / np.array(s.values[:-1])
    np.testing.assert_allclose(ratios, 10 ** (2 / 8), rtol=1e-3)
    assert s.values[0] == 0.1 and s.values[-1] == 10.0 and s.default == 1.0 and s.log
    assert s.labels == ["0.1", "0.178", "0.316", "0.562", "1", "1.78", "3.16", "5.62", "10"]
    assert widgets.linear(0, 1, 5).values == (0.0, 0.25, 0.5, 0.75, 1.0)
    assert Slider([1.001, 1.002]).labels == ["1.001", "1.002"]  # readouts stay distinct


@pytest.mark.parametrize(
    ("make", "name"),
    [
        (lambda: widgets.log(0, 1, 3), "lo"),
        (lambda: widgets.log(1, 10, 1), "n"),
        (lambda: widgets.linear(2, 1, 3), "hi"),
        (lambda: Slider([1, 2], default=3), "default"),
        (lambda: Slider([1, 1]), "distinct"),
        (lambda: Slider([]), "values"),
        (lambda: Slider([-1, 1], log=True), "positive"),
    ],
)
def test_bad_sliders_raise_naming_the_problem(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_a_grid_larger_than_max_frames_is_refused_naming_the_sliders():
    sliders = {"beta": widgets.log(0.1, 10, 10), "lam": list(range(7))}
    with pytest.raises(ValueError, match=r"sliders span 10 \(beta\) × 7 \(lam\) = 70"):
        explorer(lambda fig, beta, lam: None, sliders)
    explorer(lambda fig, beta, lam: None, {"beta": sliders["beta"], "lam": [1, 2, 3, 4, 5, 6]})


def test_fn_and_effective_must_accept_the_slider_names():
    with pytest.raises(ValueError, match=r"fn\(fig, \*\*values\)"):
        explorer(lambda fig, beta: None, {"lam": [1, 2]})
    with pytest.raises(ValueError, match="effective"):
        explorer(lambda fig, lam: None, {"lam": [1, 2]}, effective=lambda beta: "")


# -- the static twin ------------------------------------------------------------------------------


def test_the_twin_holds_one_frame_per_grid_point_in_slider_order():
    ex = _small(title="t", effective=lambda a, b: f"weight = {a * b:g}")
    twin = _Twin(ex.twin_html())
    grid = ex.grid()
    assert len(twin.imgs) == len(grid) == 6
    # Frame k is the grid point whose slider positions, read last-slider-fastest, give k.
    assert grid == [{"a": a, "b": b} for a in (1, 2, 3) for b in (0.5, 2.0)]
    for i, values in enumerate(grid):
        assert twin.png(i) == widgets.twin._png(ex.draw(**values), 30, palette=True)
        assert twin.imgs[i]["data-effective"] == f"weight = {values['a'] * values['b']:g}"
    assert len({twin.png(i) for i in range(6)}) == 6  # every value change changes the frame
    # The ranges index the slider values; only the default frame is visible at first.
    a, b = twin.inputs
    assert (a["min"], a["max"], a["value"], a["aria-label"]) == ("0", "2", "1", "α")
    assert (b["min"], b["max"], b["value"]) == ("0", "1", "1")
    assert json.loads(b["data-labels"]) == ["0.5", "2"]
    assert twin.visible() == [grid.index({"a": 2, "b": 2.0})] == [3]


def test_the_twin_is_self_contained():
    text = _small().twin_html()
    assert re.search(r"https?://", text) is None
    twin = _Twin(text)
    assert twin.scripts == [{}]  # one inline script, no src
    assert "<link" not in text and "@import" not in text
    assert text.startswith('<div class="vl-twin"')


def test_the_display_bundle_has_the_live_view_and_the_twin(monkeypatch):
    monkeypatch.delenv("VAE_LESSONS_TWIN", raising=False)
    bundle = _small()._repr_mimebundle_()
    assert set(bundle) == {"text/plain", WIDGET_VIEW, "text/html"}
    assert bundle[WIDGET_VIEW]["model_id"]
    assert bundle["text/html"].startswith('<div class="vl-twin"')


@pytest.mark.parametrize("where", ["env", "colab"])
def test_colab_or_vae_lessons_twin_0_skips_the_twin(monkeypatch, where):
    if where == "env":
        monkeypatch.setenv("VAE_LESSONS_TWIN", "0")
    else:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    ex = _small()
    assert set(ex._repr_mimebundle_()) == {"text/plain", WIDGET_VIEW}
    assert ex.twin._html is None  # never computed


@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium")
def test_moving_a_twin_slider_shows_its_frame_in_a_sandboxed_page():
    sync_api = pytest.importorskip("playwright.sync_api")
    ex = _small(effective=lambda a, b: f"weight = {a * b:g}")
    page_html = '<iframe sandbox="allow-scripts" srcdoc="{}"></iframe>'.format(
        ex.twin_html().replace("&", "&amp;").replace('"', "&quot;")
    )
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"))
        page = browser.new_page()
        problems = []
        page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.on("request", lambda r: r.url.startswith("data:") or problems.append(r.url))
        page.set_content(page_html)
        frame = page.frames[1]
        shown = "Array.from(document.querySelectorAll('img')).map(i => i.style.display !== 'none')"
        assert frame.evaluate(shown) == [False, False, False, True, False, False]
        frame.locator("input").nth(1).press("ArrowLeft")  # b: 2 -> 0.5
        assert frame.evaluate(shown).index(True) == 2
        frame.locator("input").nth(0).press("ArrowRight")  # a: 2 -> 3
        assert frame.evaluate(shown) == [False, False, False, False, True, False]
        assert frame.locator("output").all_inner_texts() == ["3", "0.5"]
        assert frame.locator(".vl-twin-effective").inner_text() == "weight = 1.5"
        browser.close()
    assert problems == []


# -- the live view --------------------------------------------------------------------------------


def test_moving_a_slider_redraws_the_image_for_the_new_value():
    ex = _small(effective=lambda a, b: f"weight = {a * b:g}", device="cpu")
    ex.widget  # noqa: B018 (builds the live view, drawing the default frame)
    live = ex.live
    first = live.image.value
    assert first == ex.render(a=2, b=2.0)
    live.controls["a"].value = 3
    assert live.image.value != first
    assert live.image.value == ex.render(a=3, b=2.0)
    assert live.effective_label.value == "weight = 6"
    assert re.fullmatch(r"<small>\d+ ms on cpu</small>", live.status.value)


def test_the_layout_is_computed_once_so_panels_do_not_jump():
    def draw(fig, scale):
        ax = fig.subplots()
        ax.plot([0, 1], [0, scale])  # tick labels get wider as scale grows

    ex = explorer(draw, {"scale": [1, 1000, 1e6]}, figsize=(3, 2), dpi=40)
    boxes = [ex.draw(scale=s).axes[0].get_position().bounds for s in (1, 1000, 1e6)]
    assert boxes[0] == boxes[1] == boxes[2]


_Z = np.linspace(-5, 5, 400)
_SIGMAS = np.geomspace(0.1, 10, 50)


def _two_panel_line_plot(fig, mu, sigma):
    """A representative evaluate-only explorer (ch. 2's q explorer): two line panels."""

    def normal(z, m, s):
        return np.exp(-0.5 * ((z - m) / s) ** 2) / (s * np.sqrt(2 * np.pi))

    def kl(m, s):  # KL(N(m, s²) ‖ N(0, 1)) in nats
        return 0.5 * (m**2 + s**2 - 1) - np.log(s)

    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(_Z, normal(_Z, 0, 1), label="p(z)")
    ax1.plot(_Z, normal(_Z, mu, sigma), label="q(z)")
    ax1.set_xlabel("z")
    ax1.set_ylabel(plots.tr("밀도", "density"))
    ax1.set_title(f"μ = {mu:g}, σ = {sigma:g}")
    ax1.legend(loc="upper right")
    ax2.plot(_SIGMAS, kl(mu, _SIGMAS), label="KL(q ‖ p)")
    ax2.plot([sigma], [kl(mu, sigma)], "o", color="C3", label=plots.tr("현재 값", "current"))
    ax2.set_xlabel("σ")
    ax2.set_ylabel("KL (nats)")
    ax2.legend(loc="upper center")


@pytest.mark.parametrize("lang", ["en", "ko"])
def test_measure_latency_moves_a_slider_and_restores_it(lang):
    """Not a timed test: ``python -m vae_lessons.bench`` reports the chapters' latencies."""
    plots.use_language(lang)
    sliders = {"mu": widgets.linear(-2, 2, 5), "sigma": widgets.log(0.1, 10, 9)}
    ex = explorer(_two_panel_line_plot, sliders)  # the default size and resolution
    frames = []
    ex.live.widget.children  # noqa: B018 (build the live view)
    ex.live.image.observe(lambda change: frames.append(change["new"]), names="value")
    assert ex.measure_latency(n=6) > 0
    assert len(frames) == 7  # one new frame per move, and one to restore the default
    assert ex.live.controls["mu"].value == 0.0  # restored


def test_measure_latency_needs_a_slider_to_move():
    with pytest.raises(ValueError, match="more than one value"):
        explorer(_bars, {"a": [1], "b": [2]}).measure_latency()
    with pytest.raises(ValueError, match="n must"):
        _small().measure_latency(n=0)
