"""The benchmark's command line runs and reports what the README promises (not a timed test)."""

import json
import subprocess
import sys

import pytest


def bench_json(*args: str) -> dict:
    """Run ``python -m vae_lessons.bench --json --device cpu *args``; its JSON line."""
    out = subprocess.run(
        [sys.executable, "-m", "vae_lessons.bench", "--json", "--device", "cpu", *args],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def smoke() -> dict:
    """One small run of everything but the explorers (training, k = 5000, IWAE speed)."""
    return bench_json(
        *("--subset", "1024", "--reference", "--loglik-images", "4"),
        *("--iwae-images", "256", "--explorers"),
    )


def test_bench_json_smoke(smoke):
    assert {"device", "epoch_s", "loglik_image_samples_per_s", "peak_mem_mb"} <= smoke.keys()
    assert smoke["device"] == "cpu" and smoke["images"] == 1024
    assert smoke["epoch_s"] > 0 and smoke["reference_epoch_s"] > 0
    assert 0 < smoke["peak_mem_mb"] < 2048


def test_bench_reports_iwae_speed_against_its_arithmetic_limit(smoke):
    assert smoke["iwae_k"] == 50
    for key in ("iwae_s_per_6000", "matmul_gflops", "iwae_limit_s_per_6000", "iwae_ratio"):
        assert smoke[key] > 0, key
    # 6 · (Σ_enc + 50 · Σ_dec) multiply-adds of 784-200-200-50, for 6 000 images
    enc, dec = 784 * 200 + 200 * 200 + 200 * 100, 50 * 200 + 200 * 200 + 200 * 784
    assert smoke["iwae_gflop_per_6000"] == round(6 * (enc + 50 * dec) * 6000 / 1e9, 1)
    limit = smoke["iwae_gflop_per_6000"] / smoke["matmul_gflops"]
    assert abs(smoke["iwae_limit_s_per_6000"] - limit) < 1e-2


def test_bench_times_only_the_named_explorer():
    result = bench_json("--only-explorers", "--explorers", "ch5 β")
    assert "epoch_s" not in result and list(result["explorer_ms"]) == ["ch5 β"]
    assert result["explorer_ms"]["ch5 β"] > 0
