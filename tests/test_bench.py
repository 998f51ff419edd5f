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
