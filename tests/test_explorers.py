"""Every chapter's explorer registered for the benchmark builds and draws (not a timed test).

``python -m vae_lessons.bench`` times them; here each factory of
:data:`vae_lessons.explorers.BENCHMARKS` must return an :class:`~vae_lessons.widgets.Explorer`
whose default frame renders and whose grid fits the static twin.
"""

import pytest

from vae_lessons import explorers, plots, widgets


@pytest.mark.parametrize("name", sorted(explorers.BENCHMARKS))
def test_each_registered_explorer_builds_and_draws_its_default_frame(name):
    plots.use_language("en")
    ex = explorers.BENCHMARKS[name]()
    assert isinstance(ex, widgets.Explorer), f"{name}: the factory must return an Explorer"
    assert ex.render(**ex.defaults()).startswith(b"\x89PNG")
    assert len(ex.grid()) <= widgets.MAX_FRAMES


@pytest.mark.parametrize("name", sorted(explorers.BENCHMARKS))
def test_each_explorer_blits_and_its_first_slider_changes_the_frame(name):
    """Axes, ticks and labels are a background drawn once (explorers/_canvas.py): a frame adds
    figure-level artists only, and the two ends of the first slider draw different frames."""
    plots.use_language("en")
    ex = explorers.BENCHMARKS[name]()
    first, slider = next(iter(ex.sliders.items()))
    ends = [ex.render(**{**ex.defaults(), first: v}) for v in (slider.values[0], slider.values[-1])]
    assert not ex.figure.axes, f"{name}: a frame must not add axes (redraw cost)"
    assert ends[0] != ends[1], f"{name}: moving {first} did not change the frame"
    assert ex.twin.frames()[0].startswith(b"\x89PNG") and ex.twin_dpi == ex.dpi


def test_benchmark_names_are_unique_and_non_empty():
    with pytest.raises(ValueError, match="name must be"):
        explorers.benchmark("")
    if explorers.BENCHMARKS:
        taken = next(iter(explorers.BENCHMARKS))
        with pytest.raises(ValueError, match="registered already"):
            explorers.benchmark(taken)(lambda: None)


def test_beta_explorer_checks_its_inputs():
    """The β explorer (ch. 5): slider, grid and summary must agree."""
    ex = explorers.BENCHMARKS["ch5 β"]()
    with pytest.raises(ValueError, match="same β values"):
        explorers.beta_vae({}, {}, None, None, (28, 28), slider=ex.sliders["beta"])
