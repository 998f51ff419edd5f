"""The static twin of an explorer: every frame of the slider grid, precomputed, for the HTML book.

A self-contained HTML fragment: one ``<input type="range">`` per slider, one inline PNG per grid
point, and a few lines of inline script that show the frame matching the sliders. No CDN, no
external file; without JavaScript the default frame still shows.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import os
import sys

from matplotlib.figure import Figure
from PIL import Image

from ..plots import msg

__all__ = ["StaticTwin", "enabled"]


def enabled() -> bool:
    """False in Colab (it runs the live view) and when ``VAE_LESSONS_TWIN=0``."""
    return "google.colab" not in sys.modules and os.environ.get("VAE_LESSONS_TWIN", "1") != "0"


def _png(fig: Figure, dpi: float, *, palette: bool) -> bytes:
    """Render ``fig`` with Agg; ``palette=True`` quantizes to 256 colours (about half the bytes)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, pil_kwargs={"compress_level": 1})
    if not palette:
        return buf.getvalue()
    out = io.BytesIO()
    Image.open(buf).convert("RGB").quantize(256).save(out, format="png", optimize=True)
    return out.getvalue()


# Frame index = the sliders' positions read as a mixed-radix number (last slider fastest).
_TWIN_JS = """(function () {
var root = document.getElementById("UID");
if (!root) { return; }
var inputs = root.querySelectorAll("input[type=range]");
var imgs = root.querySelectorAll(".vl-twin-frames img");
var effective = root.querySelector(".vl-twin-effective");
function show() {
  var k = 0;
  for (var i = 0; i < inputs.length; i++) {
    var labels = JSON.parse(inputs[i].getAttribute("data-labels"));
    k = k * labels.length + Number(inputs[i].value);
    inputs[i].nextElementSibling.textContent = labels[Number(inputs[i].value)];
  }
  for (var j = 0; j < imgs.length; j++) { imgs[j].style.display = j === k ? "" : "none"; }
  effective.textContent = imgs[k].getAttribute("data-effective");
}
for (var i = 0; i < inputs.length; i++) { inputs[i].addEventListener("input", show); }
})();"""


class StaticTwin:
    """The explorer's frames at ``twin_dpi`` (palette PNGs) and the HTML that flips through them."""

    def __init__(self, explorer):
        self.explorer = explorer
        self._html = None

    def frames(self) -> list[bytes]:
        """One palette PNG per grid point, in the order of ``explorer.grid()``."""
        ex = self.explorer
        ex.layout()  # the layout comes from the default frame
        return [_png(ex.draw(**v), ex.twin_dpi, palette=True) for v in ex.grid()]

    def html(self) -> str:
        """The self-contained fragment (computed once, then cached)."""
        if self._html is None:
            self._html = self._build()
        return self._html

    def _slider(self, name, s) -> str:
        idx, label = s.values.index(s.default), html.escape(s.label or name)
        return (
            f'<label style="display:block">{label} '
            f'<input type="range" min="0" max="{len(s.values) - 1}" step="1" value="{idx}" '
            f'data-labels="{html.escape(json.dumps(s.labels))}" '
            f'aria-label="{label}" style="vertical-align:middle;width:320px"> '
            f"<output>{html.escape(s.labels[idx])}</output></label>"
        )

    def _frame(self, values, png: bytes, shown: bool) -> str:
        sliders = self.explorer.sliders
        alt = ", ".join(f"{s.label or k} = {s.label_of(values[k])}" for k, s in sliders.items())
        hidden = "" if shown else "display:none;"
        effective = self.explorer.effective_text(values)
        return (
            f'<img alt="{html.escape(alt)}" data-effective="{html.escape(effective)}" '
            f'style="{hidden}max-width:100%;height:auto" '
            f'src="data:image/png;base64,{base64.b64encode(png).decode("ascii")}">'
        )

    def _build(self) -> str:
        ex = self.explorer
        grid, frames = ex.grid(), self.frames()
        default = grid.index(ex.defaults())
        uid = "vl-twin-" + hashlib.sha1(b"".join(frames)).hexdigest()[:12]
        controls = "".join(self._slider(name, s) for name, s in ex.sliders.items())
        pairs = enumerate(zip(grid, frames, strict=True))
        imgs = "".join(self._frame(v, png, i == default) for i, (v, png) in pairs)
        title = f"<div><b>{html.escape(ex.title)}</b></div>" if ex.title else ""
        effective = html.escape(ex.effective_text(grid[default]))
        note = html.escape(msg("twin_note", n=len(frames)))
        return (
            f'<div class="vl-twin" id="{uid}">{title}{controls}'
            f'<div class="vl-twin-effective">{effective}</div>'
            f'<div class="vl-twin-frames">{imgs}</div>'
            f'<div class="vl-twin-note"><small>{note}</small></div>'
            f"<script>{_TWIN_JS.replace('UID', uid)}</script></div>"
        )
