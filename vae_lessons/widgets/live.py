"""The live view of an explorer: ipywidgets sliders redrawing a PNG (Jupyter, Colab)."""

from __future__ import annotations

import html
import statistics
import time

from ..plots import msg

__all__ = ["LiveView"]


class LiveView:
    """One ``ipywidgets.SelectionSlider`` per slider, an ``Image`` and a timing line.

    Each slider change asks the explorer for the PNG of the new values and shows how long it
    took ("23 ms on cpu"). Built on first use of :attr:`widget`; then ``controls`` (name ->
    slider), ``image``, ``status`` and ``effective_label`` are the widgets.
    """

    def __init__(self, explorer):
        self.explorer = explorer
        self._widget = None

    @property
    def widget(self):
        """The ``ipywidgets.VBox`` (built on first use)."""
        if self._widget is None:
            self._widget = self._build()
        return self._widget

    def _build(self):
        import ipywidgets as w

        ex = self.explorer
        self.controls = {
            name: w.SelectionSlider(
                options=list(zip(s.labels, s.values, strict=True)),
                value=s.default,
                description=s.label or name,
                continuous_update=True,
                style={"description_width": "initial"},
                layout=w.Layout(width="480px"),
            )
            for name, s in ex.sliders.items()
        }
        self.image, self.status, self.effective_label = w.Image(format="png"), w.HTML(), w.HTML()
        self._errors = w.Output()
        for control in self.controls.values():
            control.observe(self._update, names="value")
        header = [w.HTML(f"<b>{html.escape(ex.title)}</b>")] if ex.title else []
        self._update()
        parts = [*self.controls.values(), self.effective_label, self.image, self.status]
        return w.VBox([*header, *parts, self._errors])

    def _update(self, change=None):
        with self._errors:
            values = {name: c.value for name, c in self.controls.items()}
            start = time.perf_counter()
            png = self.explorer.render(**values)
            ms = 1000 * (time.perf_counter() - start)
            self.image.value = png
            device = self.explorer.device
            self.status.value = f"<small>{html.escape(msg('timing', ms=ms, device=device))}</small>"
            self.effective_label.value = html.escape(self.explorer.effective_text(values))

    def measure_latency(self, n: int = 20) -> float:
        """Median milliseconds from a slider change to the new PNG in the Image widget.

        Moves the first slider with more than one value ``n`` steps back and forth through its
        values (the other sliders stay where they are), then returns it to its default. Every
        step draws a new frame: nothing is cached. Wall-clock time, so other processes competing
        for the CPU inflate it.
        """
        if not isinstance(n, int) or n < 1:
            raise ValueError(f"n must be a positive int, got {n!r}")
        sliders = self.explorer.sliders
        name = next((k for k, s in sliders.items() if len(s.values) > 1), None)
        if name is None:
            raise ValueError("sliders must include one with more than one value to measure")
        self.widget  # noqa: B018 (build the live view)
        control, values = self.controls[name], sliders[name].values
        cycle = list(values) + list(values[-2:0:-1])  # 0 1 2 … n-1 n-2 … 1
        start_index = values.index(control.value)
        times = []
        for i in range(1, n + 1):
            start = time.perf_counter()
            control.value = cycle[(start_index + i) % len(cycle)]
            times.append(1000 * (time.perf_counter() - start))
        control.value = sliders[name].default
        return statistics.median(times)
