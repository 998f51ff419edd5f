"""``python -m vae_lessons.reproduce iwae``: the paper's schedule and a smoke run (ch. 7)."""

import math

import pytest

from vae_lessons import reproduce


def test_schedule_is_the_papers():
    schedule = reproduce.iwae_schedule()
    assert [e for e, _ in schedule] == [1, 3, 9, 27, 81, 243, 729, 2187]
    assert sum(e for e, _ in schedule) == 3280
    assert schedule[0][1] == pytest.approx(1e-3)
    assert schedule[7][1] == pytest.approx(1e-4)  # 0.001 · 10^(−7/7)
    assert math.log10(schedule[1][1] / schedule[0][1]) == pytest.approx(-1 / 7)
    with pytest.raises(ValueError, match="stages"):
        reproduce.iwae_schedule(0)


def test_model_is_784_200_200_50():
    model = reproduce.iwae_model()
    sizes = [p.shape for p in model.encoder.parameters() if p.dim() == 2]
    assert sizes == [(200, 784), (200, 200), (100, 200)]  # mean and log-variance: 2 × 50


def test_smoke_run_writes_the_table_with_the_papers_numbers(tmp_path, monkeypatch):
    monkeypatch.setenv("VAE_LESSONS_DEVICE", "cpu")
    monkeypatch.setenv("VAE_LESSONS_OFFLINE", "1")  # local MNIST or the digits, never a download
    out = tmp_path / "iwae.md"
    rows = reproduce.main(["iwae", "--smoke", "--out", str(out)])
    assert [(r["model"], r["k"]) for r in rows] == list(reproduce.IWAE_PAPER_NLL)
    assert all(r["nll"] > 0 and r["nll_se"] > 0 for r in rows)
    text = out.read_text(encoding="utf-8")
    assert "| IWAE | 50 |" in text and "84.78" in text and "Smoke run" in text
