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


def test_benchmark_names_are_unique_and_non_empty():
    with pytest.raises(ValueError, match="name must be"):
        explorers.benchmark("")
    if explorers.BENCHMARKS:
        taken = next(iter(explorers.BENCHMARKS))
        with pytest.raises(ValueError, match="registered already"):
            explorers.benchmark(taken)(lambda: None)


def test_beta_explorer_draws_its_frames_without_axes_and_checks_its_inputs():
    """The β explorer (ch. 5) blits: axes, ticks and labels are in a background drawn once, so a
    frame adds figure-level artists only; and slider, grid and summary must agree."""
    plots.use_language("en")
    ex = explorers.BENCHMARKS["ch5 β"]()
    betas = ex.sliders["beta"].values
    frames = {beta: ex.render(beta=beta) for beta in (betas[0], betas[-1])}
    assert not ex.figure.axes and len(ex.figure.images) == 2
    assert frames[betas[0]] != frames[betas[-1]]
    assert ex.twin.frames()[0].startswith(b"\x89PNG") and ex.twin_dpi == ex.dpi
    with pytest.raises(ValueError, match="same β values"):
        explorers.beta_vae({}, {}, None, None, (28, 28), slider=ex.sliders["beta"])
