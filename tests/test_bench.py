"""The benchmark's command line runs and reports what the README promises (not a timed test)."""

import json
import subprocess
import sys


def test_bench_json_smoke():
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "vae_lessons.bench",
            "--json",
            "--subset",
            "1024",
            "--reference",
            "--loglik-images",
            "4",
            "--device",
            "cpu",
            "--explorers",
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert {"device", "epoch_s", "loglik_image_samples_per_s", "peak_mem_mb"} <= result.keys()
    assert result["device"] == "cpu" and result["images"] == 1024
    assert result["epoch_s"] > 0 and result["reference_epoch_s"] > 0
    assert 0 < result["peak_mem_mb"] < 2048


def test_bench_times_only_the_named_explorer():
    out = subprocess.run(
        [sys.executable, "-m", "vae_lessons.bench", "--json", "--only-explorers"]
        + ["--explorers", "ch5 β", "--device", "cpu"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert "epoch_s" not in result and list(result["explorer_ms"]) == ["ch5 β"]
    assert result["explorer_ms"]["ch5 β"] > 0


def test_bench_reports_iwae_speed_against_its_arithmetic_limit():
    out = subprocess.run(
        [sys.executable, "-m", "vae_lessons.bench", "--json", "--subset", "256"]
        + ["--iwae-images", "256", "--loglik-images", "2", "--device", "cpu", "--explorers"],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    ).stdout
    result = json.loads(out.strip().splitlines()[-1])
    assert result["iwae_k"] == 50
    for key in ("iwae_s_per_6000", "matmul_gflops", "iwae_limit_s_per_6000", "iwae_ratio"):
        assert result[key] > 0, key
    # 6 · (Σ_enc + 50 · Σ_dec) multiply-adds of 784-200-200-50, for 6 000 images
    enc, dec = 784 * 200 + 200 * 200 + 200 * 100, 50 * 200 + 200 * 200 + 200 * 784
    assert result["iwae_gflop_per_6000"] == round(6 * (enc + 50 * dec) * 6000 / 1e9, 1)
    limit = result["iwae_gflop_per_6000"] / result["matmul_gflops"]
    assert abs(result["iwae_limit_s_per_6000"] - limit) < 1e-2
