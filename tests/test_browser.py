"""The HTML book in a real browser, offline.

Builds the book from the notebooks' committed outputs (execution off: nbval already runs every
notebook), serves ``_build/html`` on localhost and opens every page in headless Chromium
(Debian's ``chromium`` driven by Playwright). On every page:

- no request leaves localhost (each one is blocked and recorded) and no local file is missing;
- no console error;
- MathJax typeset every formula and no raw TeX is left in the text;
- widgets (tqdm progress bars) are rendered by the ipywidgets HTML manager;
- Hangul text is drawn with a font that has Hangul glyphs, and on Korean pages the labels of folded
  blocks (hints, solutions, hidden code) are Korean;
- a static widget twin (``.vl-twin``) shows one frame, and moving a slider shows another.

Screenshots of two pages go to ``_build/screenshots/`` for a person to look at. Without Chromium
the test is skipped, except on CI (``CI`` set), where it fails.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import nbformat
import pytest
import yaml

try:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright
except ImportError:  # reported by the browser fixture
    sync_playwright = None
from test_book import ROOT, toc_files

HTML = ROOT / "_build" / "html"
SCREENSHOTS = ROOT / "_build" / "screenshots"
VENDOR_STAMP = ROOT / "book" / "_static" / "vendor" / ".installed"
ON_CI = bool(os.environ.get("CI"))
CHROMIUM = os.environ.get("CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost"}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
HANGUL = re.compile("[\uac00-\ud7a3]")
REDIRECT = re.compile(r'<meta http-equiv="refresh" content="0; url=([^"]+)"', re.IGNORECASE)
#: TeX that MathJax should have replaced: $$, \( \), \[ \], $...$ and any \command.
RAW_TEX = re.compile(r"\$\$|\\\(|\\\)|\\\[|\\\]|\\[A-Za-z]{2,}|\$[^$\s][^$\n]{0,80}\$")

# The pages the build must produce: one per toc entry, plus Sphinx's own.
PAGES = ["index.html", "genindex.html", "search.html"] + [f"{doc}.html" for doc in toc_files()]


def _shows_twin(notebook: Path) -> bool:
    """Whether the notebook displays an object with a live widget view and a static twin."""
    for cell in nbformat.read(notebook, as_version=4).cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_VIEW in data and 'class="vl-twin' in str(data.get("text/html", "")):
                return True
    return False


_notebooks = [d for d in toc_files() if (ROOT / f"{d}.ipynb").exists()]
TWIN_PAGES = [f"{d}.html" for d in _notebooks if _shows_twin(ROOT / f"{d}.ipynb")]
#: Screenshots for a person: the landing page and a Korean chapter (one with a twin if any).
SCREENSHOT_PAGES = {
    "book/index.html",
    (
        [p for p in TWIN_PAGES if "/ko/" in p]
        + [f"{d}.html" for d in _notebooks if "/ko/" in d]
        + ["book/ko/preface.html"]
    )[0],
}


def _missing_browser(reason: str):
    if ON_CI:
        pytest.fail(f"{reason} (required on CI)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Build the book without executing notebooks and serve _build/html on localhost."""
    if not VENDOR_STAMP.exists():
        pytest.fail("the book's JavaScript is not installed: run `make install`", pytrace=False)
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"  # the committed outputs; nbval runs the code
    # Jupyter Book resolves local extensions relative to the config file: make them absolute.
    local = config["sphinx"].get("local_extensions") or {}
    config["sphinx"]["local_extensions"] = {k: str(ROOT / v) for k, v in local.items()}
    override = tmp_path_factory.mktemp("config") / "_config.yml"
    override.write_text(
        yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    shutil.rmtree(HTML, ignore_errors=True)  # no stale page of a renamed or removed chapter
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    cmd = [str(jupyter_book), "build", str(ROOT), "--config", str(override)]
    build = subprocess.run(
        [*cmd, "-W", "-n", "--keep-going", "--all"], cwd=ROOT, capture_output=True, text=True
    )
    assert build.returncode == 0, (
        f"book build failed:\n{build.stdout[-6000:]}\n{build.stderr[-3000:]}"
    )

    missing = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def send_error(self, code, message=None, explain=None):
            missing.append(f"{code} {self.path}")
            super().send_error(code, message, explain)

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Handler, directory=str(HTML))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield {"url": f"http://127.0.0.1:{server.server_port}/", "missing": missing}
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser_context(site):
    if not Path(CHROMIUM).exists():
        _missing_browser(f"no Chromium at {CHROMIUM} (apt-get install chromium)")
    if sync_playwright is None:
        _missing_browser("the playwright package is not installed")
    outside = []

    def guard(route):
        url = urlsplit(route.request.url)
        if url.scheme in ("data", "blob") or url.hostname in LOCAL_HOSTS:
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(
            viewport={"width": 1280, "height": 900}, service_workers="block"
        )
        context.route("**/*", guard)
        yield context, outside
        context.close()
        browser.close()


def test_the_build_has_exactly_the_expected_pages(site):
    built = sorted(
        p.relative_to(HTML).as_posix()
        for p in HTML.rglob("*.html")
        if not p.relative_to(HTML).parts[0].startswith("_")
    )
    assert built == sorted(PAGES)


def _hangul_families() -> set[str] | None:
    """Font families that have Hangul glyphs, per fontconfig (what Chromium uses on Linux)."""
    if not shutil.which("fc-list"):
        return None
    out = subprocess.run(["fc-list", ":charset=ac00", "family"], capture_output=True, text=True)
    return {name.strip() for line in out.stdout.splitlines() for name in line.split(",")}


def _check_hangul_font(context, page) -> list[str]:
    """Mark an element whose own text has Hangul; return the platform fonts that drew it."""
    marked = page.evaluate(
        """() => {
        for (const root of [document.querySelector("main"), document.body]) {
            if (!root) continue;
            const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
            for (let n = walk.nextNode(); n; n = walk.nextNode()) {
                const el = n.parentElement;
                if (/[\\uac00-\\ud7a3]/.test(n.data) && el.checkVisibility()) {
                    el.setAttribute("data-vl-hangul", "");
                    return n.data.trim().slice(0, 40);
                }
            }
        }
        return null;
    }"""
    )
    if marked is None:
        return []
    cdp = context.new_cdp_session(page)
    cdp.send("DOM.enable")
    cdp.send("CSS.enable")
    root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
    node = cdp.send("DOM.querySelector", {"nodeId": root, "selector": "[data-vl-hangul]"})
    fonts = cdp.send("CSS.getPlatformFontsForNode", {"nodeId": node["nodeId"]})["fonts"]
    cdp.detach()
    return [f["familyName"] for f in fonts if f["glyphCount"] > 0]


MATHJAX_LOADED = "() => !window.MathJax || window.MathJax.startup !== undefined"
WIDGETS_RENDERED = "n => document.querySelectorAll('.widget-subarea > *').length >= n"


def wait(page, errors, what, script, arg=None, timeout=20_000):
    """Wait until ``script`` is true on the page; fail with ``what`` and the console errors."""
    try:
        page.wait_for_function(script, arg=arg, timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"{page.url}: {what} within {timeout / 1000:g} s; console: {errors}")


TEXT_OUTSIDE_CODE = """() => {
    const root = (document.querySelector("main") || document.body).cloneNode(true);
    root.querySelectorAll("pre, code, script, style, textarea, mjx-container, .highlight")
        .forEach(e => e.remove());
    return root.textContent;
}"""

MATH_STATE = """() => {
    const math = [...document.querySelectorAll(".math")];
    return {total: math.length,
            untypeset: math.filter(e => !e.querySelector("mjx-container"))
                           .map(e => e.textContent.slice(0, 60))};
}"""

FOLD_LABELS = """() => [
    ...[...document.querySelectorAll("[data-toggle-hint]")].map(e => e.dataset.toggleHint),
    ...[...document.querySelectorAll("details.hide summary .admonition-title")]
        .map(e => e.textContent.trim()),
]"""

VISIBLE_FRAMES = """twin => {
    const frames = twin.querySelectorAll(".vl-twin-frames img").length
        ? twin.querySelectorAll(".vl-twin-frames img") : twin.querySelectorAll("img");
    return [...frames].map((f, i) => f.checkVisibility() ? i : -1).filter(i => i >= 0);
}"""


@pytest.mark.parametrize("name", PAGES)
def test_page(name, site, browser_context):
    context, outside = browser_context
    outside.clear()
    site["missing"].clear()
    page = context.new_page()
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    try:
        response = page.goto(site["url"] + name, wait_until="load")
        assert response is not None and response.ok, f"{name}: HTTP {response and response.status}"
        redirect = REDIRECT.search((HTML / name).read_text(encoding="utf-8"))
        if redirect:  # the root index.html sends the reader to the landing page
            target = urljoin(site["url"] + name, redirect.group(1))
            page.wait_for_url(target)
            page.wait_for_load_state("load")
        wait(page, errors, "MathJax did not load", MATHJAX_LOADED)
        page.evaluate("async () => { if (window.MathJax) await window.MathJax.startup.promise; }")

        # Widgets the notebook displays as widgets: rendered by the HTML manager.
        views = page.locator(f'script[type="{WIDGET_VIEW}"]').count()
        if views:
            wait(page, errors, f"{views} widget views not rendered", WIDGETS_RENDERED, views)

        # MathJax: every formula typeset, no raw TeX left in the text.
        math = page.evaluate(MATH_STATE)
        assert not math["untypeset"], f"{name}: formulas not typeset: {math['untypeset']}"
        if math["total"]:
            assert page.locator("mjx-container").count() >= math["total"]
        raw = RAW_TEX.findall(page.evaluate(TEXT_OUTSIDE_CODE))
        assert not raw, f"{name}: raw TeX left on the page: {raw[:5]}"

        # Hangul drawn with a font that has Hangul glyphs.
        if HANGUL.search(page.evaluate("() => document.body.textContent")):
            used = _check_hangul_font(context, page)
            families = _hangul_families()
            if families is not None:
                assert set(used) & families, f"{name}: Hangul drawn with {used}, none has Hangul"
            else:
                assert any(re.search(r"(?i)nanum|cjk|gothic|malgun|dotum|gulim", f) for f in used)

        # Folded blocks (hints, solutions, hidden code) are labelled in the page's language.
        if page.evaluate("() => document.documentElement.lang") == "ko":
            english = [t for t in page.evaluate(FOLD_LABELS) if re.search(r"[A-Za-z]{4}", t)]
            assert not english, f"{name}: English labels on folded blocks: {english[:3]}"

        # Static twins: the book shows the twin (not the live widget); its sliders change frames.
        twins = page.locator(".vl-twin")
        if name in TWIN_PAGES:
            assert twins.count() > 0, f"{name}: the notebook has a static twin, the page shows none"
        for i in range(twins.count()):
            twin = twins.nth(i)
            twin.scroll_into_view_if_needed()
            output = twin.locator('xpath=ancestor::*[contains(@class, "cell_output")][1]')
            if output.count():
                assert output.locator(f'script[type="{WIDGET_VIEW}"]').count() == 0
            sliders = twin.locator('input[type="range"]')
            assert sliders.count() > 0, f"{name}: twin {i} has no slider"
            for j in range(sliders.count()):
                slider = sliders.nth(j)
                before = twin.evaluate(VISIBLE_FRAMES)
                assert len(before) == 1, f"{name}: twin {i} shows frames {before}"
                at_max = slider.evaluate("s => Number(s.value) >= Number(s.max)")
                slider.focus()
                page.keyboard.press("ArrowLeft" if at_max else "ArrowRight")
                after = twin.evaluate(VISIBLE_FRAMES)
                assert len(after) == 1 and after != before, (
                    f"{name}: twin {i}, slider {j}: frames {before} -> {after}"
                )

        if name in SCREENSHOT_PAGES:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.evaluate("() => window.scrollTo(0, 0)")
            shot = SCREENSHOTS / name.replace("/", "_").replace(".html", ".png")
            page.screenshot(path=shot, full_page=True)

        assert not outside, f"{name}: requests outside localhost: {outside}"
        assert not site["missing"], f"{name}: missing local files: {site['missing']}"
        assert not errors, f"{name}: console errors: {errors}"
    finally:
        page.close()
