"""Execute each notebook in a fresh kernel and print how long it takes on this machine.

Every chapter must run in at most 90 s on the book's 2-core CPU build machine. Usage:

    python .ci/notebook_times.py                      # every notebook under book/
    python .ci/notebook_times.py book/ko/02_elbo.ipynb --limit 90 --strict

With ``--strict`` the exit status is 1 when a notebook fails or takes longer than ``--limit``.
Notebooks are executed like nbval and the book build do (cells tagged ``skip-execution`` are
skipped) and are not modified. ``make times`` runs it with the book's data settings.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parents[1]


def notebooks(paths: list[str]) -> list[Path]:
    if paths:
        return [Path(p).resolve() for p in paths]
    return sorted(
        p
        for p in (ROOT / "book").rglob("*.ipynb")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(ROOT / "book").parts)
    )


def run(path: Path, timeout: int) -> float:
    """Seconds to execute ``path`` top to bottom in a fresh ``python3`` kernel (cwd: its folder)."""
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    start = time.perf_counter()
    client.execute()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", help="notebooks to time (default: all in book/)")
    parser.add_argument("--limit", type=float, default=90.0, help="seconds allowed per notebook")
    parser.add_argument("--strict", action="store_true", help="exit 1 on a failure or overrun")
    parser.add_argument("--cell-timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args(argv)

    paths = notebooks(args.notebooks)
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    print(
        f"{platform.node()} | {platform.processor() or platform.machine()} | "
        f"{os.cpu_count()} CPUs | python {platform.python_version()} | "
        f"VAE_LESSONS_DATA={os.environ.get('VAE_LESSONS_DATA', '(unset)')}"
    )
    bad, total = [], 0.0
    for path in paths:
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        try:
            seconds = run(path, args.cell_timeout)
        except CellExecutionError as err:
            bad.append(name)
            print(f"  FAILED    {name}: {err.ename}: {err.evalue}", flush=True)
            continue
        total += seconds
        over = seconds > args.limit
        if over:
            bad.append(name)
        flag = f"  OVER {args.limit:g} s" if over else ""
        print(f"{seconds:8.1f} s  {name}{flag}", flush=True)
    print(f"{total:8.1f} s  total for {len(paths)} notebooks")
    if bad:
        print(f"{len(bad)} notebook(s) failed or took longer than {args.limit:g} s: {bad}")
    return 1 if bad and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
