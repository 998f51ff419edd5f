"""Maintain the two editions of the book: carry code cells across, and execute notebooks.

A chapter's Korean and English notebooks have the same cells in the same order; only the prose
of the markdown cells differs (and the setup cell's language). Change the code in one edition,
then carry it to the other and re-execute both:

    make sync-code FROM=ko                      # every chapter: ko code cells -> en
    make sync-code FROM=en CHAPTERS=04_vae      # one chapter, the other way
    make execute NB="book/ko/04_vae.ipynb"      # re-execute notebooks in a fresh kernel

``sync`` copies each code cell's source and tags from the ``FROM`` edition into the code cell
at the same position in the other edition (the setup cell keeps its own language) and keeps
every markdown cell of the target. A chapter whose editions differ in their sequence of cell
types is reported and left alone: add the missing cell to the other edition first. ``execute``
runs each notebook top to bottom in a fresh ``python3`` kernel, in its own folder, and saves it
with its outputs and widget state, as the book and nbval expect (cells tagged
``skip-execution`` are skipped).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LANGS = ("ko", "en")


def chapters() -> list[str]:
    """Chapter stems that have a notebook in both editions."""
    stems = [{p.stem for p in (BOOK / lang).glob("*.ipynb")} for lang in LANGS]
    return sorted(stems[0] & stems[1])


def sync(source_lang: str, names: list[str]) -> int:
    """Copy code cells from ``source_lang`` into the other edition; return the number of errors."""
    target_lang = LANGS[1 - LANGS.index(source_lang)]
    errors = 0
    for name in names:
        src_path, dst_path = (BOOK / lang / f"{name}.ipynb" for lang in (source_lang, target_lang))
        src, dst = (nbformat.read(p, as_version=4) for p in (src_path, dst_path))
        types = [[c.cell_type for c in nb.cells] for nb in (src, dst)]
        if types[0] != types[1]:
            print(
                f"{name}: the cell types differ ({len(src.cells)} cells in {source_lang}, "
                f"{len(dst.cells)} in {target_lang}); add the missing cells to one edition first",
                file=sys.stderr,
            )
            errors += 1
            continue
        changed = 0
        first_code = True
        for a, b in zip(src.cells, dst.cells, strict=True):
            if a.cell_type != "code":
                continue
            source = a.source
            if first_code:  # the setup cell: keep the target's language
                source = source.replace(f'vl.setup("{source_lang}")', f'vl.setup("{target_lang}")')
                first_code = False
            tags = list(a.metadata.get("tags", []))
            if b.source != source or list(b.metadata.get("tags", [])) != tags:
                changed += 1
                b.source = source
                if tags:
                    b.metadata["tags"] = tags
                else:
                    b.metadata.pop("tags", None)
                b.outputs, b.execution_count = [], None
        if changed:
            nbformat.write(dst, dst_path)
        print(f"{name}: {changed} code cell(s) carried from {source_lang} to {target_lang}")
    return errors


def execute(paths: list[Path], timeout: int) -> int:
    """Execute and save each notebook; return the number that failed."""
    failed = 0
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        client = NotebookClient(
            nb,
            timeout=timeout,
            kernel_name="python3",
            resources={"metadata": {"path": str(path.parent)}},
            store_widget_state=True,
        )
        start = time.perf_counter()
        try:
            client.execute()
        except Exception as err:  # report and go on with the next notebook
            print(f"FAILED {path.relative_to(ROOT)}: {err}", file=sys.stderr)
            failed += 1
            continue
        nbformat.write(nb, path)
        print(f"{path.relative_to(ROOT)}: executed in {time.perf_counter() - start:.1f} s")
    return failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_sync = sub.add_parser("sync", help="copy code cells from one edition to the other")
    p_sync.add_argument("source", choices=LANGS, help="the edition whose code is copied")
    p_sync.add_argument("chapters", nargs="*", help="chapter stems (default: all)")
    p_sync.add_argument("--execute", action="store_true", help="re-execute both editions")
    p_exec = sub.add_parser("execute", help="execute notebooks in a fresh kernel and save them")
    p_exec.add_argument("notebooks", nargs="+", type=Path)
    for p in (p_sync, p_exec):
        p.add_argument("--cell-timeout", type=int, default=600, help="seconds allowed per cell")
    args = parser.parse_args(argv)
    if args.command == "sync":
        names = args.chapters or chapters()
        unknown = sorted(set(names) - set(chapters()))
        if unknown:
            parser.error(f"no chapter {unknown} in both editions; chapters: {chapters()}")
        errors = sync(args.source, names)
        if errors or not args.execute:
            return 1 if errors else 0
        paths = [BOOK / lang / f"{n}.ipynb" for n in names for lang in LANGS]
        return 1 if execute(paths, args.cell_timeout) else 0
    return 1 if execute([p.resolve() for p in args.notebooks], args.cell_timeout) else 0


if __name__ == "__main__":
    sys.exit(main())
