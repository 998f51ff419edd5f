"""vl.checks: agreement within standard errors, and the yes/no line in the reader's language."""

import math

import pytest
import torch

import vae_lessons as vl
from vae_lessons import checks, plots


def test_standard_error_is_std_over_root_n():
    samples = torch.tensor([1.0, 2.0, 3.0, 4.0])
    assert checks.standard_error(samples).item() == pytest.approx(samples.std().item() / 2)


def test_mean_agrees_accepts_an_unbiased_mean_and_rejects_a_biased_one():
    g = torch.Generator().manual_seed(0)
    samples = torch.randn(10_000, generator=g, dtype=torch.float64)  # SE ≈ 0.01
    samples = samples - samples.mean()  # mean exactly 0
    assert checks.mean_agrees(samples, 0.0)
    assert not checks.mean_agrees(samples + 0.05, 0.0)  # a bias of 5 standard errors


def test_agree_broadcasts_and_uses_n_se():
    assert checks.agree([1.0, 2.0], [1.02, 2.0], 0.01, n_se=3)
    assert not checks.agree([1.0, 2.0], [1.04, 2.0], 0.01, n_se=3)
    assert checks.agree(math.pi, math.pi, 0.0)  # zero SE: only round-off allowed


@pytest.mark.parametrize(
    "kwargs",
    [{"n_se": 0}, {"n_se": float("nan")}, {"n_se": -1.0}],
)
def test_agree_rejects_bad_n_se(kwargs):
    with pytest.raises(ValueError, match="n_se"):
        checks.agree(1.0, 1.0, 0.1, **kwargs)


def test_agree_rejects_nan_and_negative_se():
    with pytest.raises(ValueError, match="estimate"):
        checks.agree(float("nan"), 1.0, 0.1)
    with pytest.raises(ValueError, match="se"):
        checks.agree(1.0, 1.0, -0.1)


@pytest.mark.parametrize(
    ("lang", "ok", "line"),
    [
        ("en", True, "unbiased: yes"),
        ("en", False, "unbiased: no"),
        ("ko", True, "불편: 예"),
        ("ko", False, "불편: 아니오"),
    ],
)
def test_report_prints_the_claim_in_the_readers_language(lang, ok, line, capsys, monkeypatch):
    monkeypatch.setattr(plots, "_language", lang)  # no Hangul font needed to choose the text
    assert vl.report(ok, "불편", "unbiased") is None
    assert capsys.readouterr().out == line + "\n"


def test_report_requires_a_bool():
    with pytest.raises(ValueError, match="ok"):
        vl.report(torch.tensor(True), "불편", "unbiased")


@pytest.mark.parametrize(
    "lang, passed, expected",
    [
        ("ko", "통과: L_5가 범위 안", "기대한 것: L_5가 범위 안; 얻은 값: L_5 = 3"),
        ("en", "passed: L_5 in range", "expected: L_5 in range; got: L_5 = 3"),
    ],
)
def test_require_prints_or_raises_in_the_readers_language(
    lang, passed, expected, capsys, monkeypatch
):
    monkeypatch.setattr(plots, "_language", lang)
    assert vl.checks.require(True, "L_5가 범위 안", "L_5 in range", got="L_5 = 3") is None
    assert capsys.readouterr().out == passed + "\n"
    with pytest.raises(AssertionError) as info:
        vl.checks.require(False, "L_5가 범위 안", "L_5 in range", got="L_5 = 3")
    assert str(info.value) == expected
    with pytest.raises(ValueError, match="ok"):
        vl.checks.require(1, "a", "b")
