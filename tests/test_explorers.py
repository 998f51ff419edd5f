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
