"""The book's structure, checked without executing anything.

- ``_toc.yml`` lists every page, the Korean and English parts list the same chapters, and every
  listed chapter exists in both languages (same file name and type).
- A chapter's ko and en notebooks have identical code cells (only the setup cell's "ko"/"en"
  differs), the same heading structure and the same cell tags.
- Every notebook starts with the standard setup cell, which installs the package in Colab from
  the repository named in ``_config.yml`` (the same address as ``vae_lessons.REPOSITORY``).
- nbval conventions: tags, never ``# NBVAL_*`` comments; ``nbval-skip`` always with
  ``skip-execution``; every other code cell executed top to bottom in a fresh kernel, no errors.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
import yaml

import vae_lessons

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LANGS = ("ko", "en")
PAGE_SUFFIXES = (".md", ".ipynb")

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
TOC = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
REPOSITORY = CONFIG["repository"]["url"]

#: The first code cell of every chapter; only the language differs (tag: nbval-ignore-output).
SETUP_CELL = """\
import sys
if "google.colab" in sys.modules:  # Colab: install the book's package and a Hangul font
    %pip install -q "vae-lessons[colab] @ git+{repository}"
import vae_lessons as vl
device = vl.setup("{lang}")"""
SETUP_TAG = "nbval-ignore-output"

#: Cell tags the book uses: nbval's, myst-nb's and Jupyter Book's. A typo ("nbval-check-outputs")
#: would silently do nothing, so any other tag fails.
KNOWN_TAGS = {
    "nbval-check-output",
    "nbval-ignore-output",
    "nbval-skip",
    "nbval-raises-exception",
    "raises-exception",
    "skip-execution",
    "hide-input",
    "hide-output",
    "hide-cell",
    "remove-input",
    "remove-output",
    "remove-cell",
    "remove-stderr",
    "remove-stdout",
    "full-width",
    "margin",
    "scroll-output",
    "scroll-input",
}
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def toc_files(node=TOC) -> list[str]:
    """Every ``file``/``root`` entry of the toc, in order."""
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("root", "file"):
                found.append(value)
            else:
                found += toc_files(value)
    elif isinstance(node, list):
        for item in node:
            found += toc_files(item)
    return found


def toc_chapters(lang: str) -> list[str]:
    """The chapter names (file stems) the toc lists under ``book/<lang>/``, in order."""
    prefix = f"book/{lang}/"
    return [f.removeprefix(prefix) for f in toc_files() if f.startswith(prefix)]


def page_files(docname: str) -> list[Path]:
    return [p for s in PAGE_SUFFIXES if (p := ROOT / f"{docname}{s}").exists()]


def book_pages() -> list[Path]:
    """Every page source under book/ (not the build's assets, templates or checkpoints)."""
    return sorted(
        p
        for s in PAGE_SUFFIXES
        for p in BOOK.rglob(f"*{s}")
        if not any(part.startswith(("_", ".")) for part in p.relative_to(BOOK).parts)
    )


CHAPTERS = [c for c in toc_chapters("ko") if all(page_files(f"book/{lang}/{c}") for lang in LANGS)]
NOTEBOOKS = sorted(p for p in book_pages() if p.suffix == ".ipynb")


def nb_id(path: Path) -> str:
    return path.relative_to(BOOK).as_posix()


def read(path: Path):
    return nbformat.read(path, as_version=4)


def code_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code"]


def tags(cell) -> list[str]:
    return list(cell.metadata.get("tags", []))


def headings(markdown: str) -> list[int]:
    """Levels of the ATX headings outside code fences (``#`` -> 1, ``##`` -> 2, ...)."""
    levels, fence = [], None
    for line in markdown.splitlines():
        stripped = line.strip()
        marker = re.match(r"^(`{3,}|~{3,})", stripped)
        if marker:
            if fence is None:
                fence = marker.group(1)[0] * len(marker.group(1))
            elif stripped.startswith(fence) and not stripped[len(fence) :].strip():
                fence = None
            continue
        if fence is None and (m := re.match(r"^(#{1,6})\s+\S", line)):
            levels.append(len(m.group(1)))
    return levels


def page_headings(path: Path) -> list[int]:
    if path.suffix == ".ipynb":
        return [
            lvl for c in read(path).cells if c.cell_type == "markdown" for lvl in headings(c.source)
        ]
    text = path.read_text(encoding="utf-8")
    if text.startswith("---\n"):  # front matter
        text = text.split("\n---\n", 1)[-1]
    return headings(text)


# -- the repository address ------------------------------------------------------------------
def test_repository_url_is_written_once_and_agrees():
    assert REPOSITORY.startswith("https://github.com/"), REPOSITORY
    assert vae_lessons.REPOSITORY == REPOSITORY, "vae_lessons.REPOSITORY differs from _config.yml"
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert re.search(r'^Homepage\s*=\s*"(.*)"', pyproject, re.M).group(1) == REPOSITORY
    assert CONFIG["launch_buttons"]["colab_url"] == "https://colab.research.google.com"


# -- the table of contents -------------------------------------------------------------------
def test_toc_lists_the_same_chapters_in_both_languages():
    assert toc_chapters("ko"), "the toc lists no Korean chapter"
    assert toc_chapters("ko") == toc_chapters("en")


@pytest.mark.parametrize("docname", toc_files())
def test_toc_entry_exists_once(docname):
    files = page_files(docname)
    assert len(files) == 1, f"{docname}: expected one of {PAGE_SUFFIXES}, found {files}"


def test_every_page_is_in_the_toc():
    listed = set(toc_files())
    missing = [
        p for p in book_pages() if p.relative_to(ROOT).with_suffix("").as_posix() not in listed
    ]
    assert not missing, f"not in _toc.yml: {missing}"


# -- ko/en parity ----------------------------------------------------------------------------
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_chapter_exists_in_both_languages_with_the_same_type(chapter):
    suffixes = {lang: [p.suffix for p in page_files(f"book/{lang}/{chapter}")] for lang in LANGS}
    assert suffixes["ko"] == suffixes["en"], suffixes


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_same_heading_structure(chapter):
    ko, en = (page_files(f"book/{lang}/{chapter}")[0] for lang in LANGS)
    assert page_headings(ko), f"{chapter}: no heading"
    assert page_headings(ko) == page_headings(en), "heading levels differ between ko and en"


NOTEBOOK_CHAPTERS = [c for c in CHAPTERS if page_files(f"book/ko/{c}")[0].suffix == ".ipynb"]


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS)
def test_identical_code_cells(chapter):
    ko, en = (code_cells(read(BOOK / lang / f"{chapter}.ipynb")) for lang in LANGS)
    assert len(ko) == len(en), (
        f"{len(ko)} code cells in ko, {len(en)} in en: add the missing cell to one edition, "
        f"then `make sync-code CHAPTERS={chapter}` carries the code"
    )
    for i, (a, b) in enumerate(zip(ko, en, strict=True)):
        if i == 0:  # the setup cell: only its language differs (checked below)
            continue
        assert a.source == b.source, (
            f"code cell {i} differs:\n--- ko\n{a.source}\n--- en\n{b.source}\n"
            f"carry one edition's code to the other with `make sync-code FROM=ko "
            f"CHAPTERS={chapter}` (or FROM=en), which also re-executes both"
        )


@pytest.mark.parametrize("chapter", NOTEBOOK_CHAPTERS)
def test_same_cell_tags(chapter):
    ko, en = (read(BOOK / lang / f"{chapter}.ipynb") for lang in LANGS)
    assert [tags(c) for c in code_cells(ko)] == [tags(c) for c in code_cells(en)]
    tagged_md = [
        [tags(c) for c in nb.cells if c.cell_type != "code" and tags(c)] for nb in (ko, en)
    ]
    assert tagged_md[0] == tagged_md[1], "tags of markdown cells differ"


# -- every notebook --------------------------------------------------------------------------
@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_starts_with_the_setup_cell(path):
    lang = path.parent.name
    assert lang in LANGS, f"{path}: notebooks live in book/ko or book/en"
    first = code_cells(read(path))[0]
    assert first.source.rstrip("\n") == SETUP_CELL.format(repository=REPOSITORY, lang=lang)
    assert tags(first) == [SETUP_TAG]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_nbval_uses_tags_not_comments(path):
    nb = read(path)
    for i, cell in enumerate(code_cells(nb)):
        assert not re.search(r"#\s*NBVAL_", cell.source, re.IGNORECASE), f"code cell {i}: use tags"
        t = set(tags(cell))
        assert t <= KNOWN_TAGS, f"code cell {i}: unknown tags {sorted(t - KNOWN_TAGS)}"
        assert ("nbval-skip" in t) == ("skip-execution" in t), (
            f"code cell {i}: nbval-skip and skip-execution go together"
        )
        assert not {"nbval-check-output", "nbval-ignore-output"} <= t, f"code cell {i}"
        if "nbval-check-output" in t:
            assert cell.outputs, f"code cell {i} is tagged nbval-check-output but has no output"
    for cell in nb.cells:
        assert set(tags(cell)) <= KNOWN_TAGS, f"unknown tags {tags(cell)}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_executed_top_to_bottom_without_errors(path):
    nb = read(path)
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3"
    executed = [c for c in code_cells(nb) if "skip-execution" not in tags(c)]
    counts = [c.execution_count for c in executed]
    assert counts == list(range(1, len(executed) + 1)), (
        f"execution counts {counts}: run the notebook top to bottom in a fresh kernel and save it"
    )
    for i, cell in enumerate(code_cells(nb)):
        if "skip-execution" in tags(cell):
            assert not cell.outputs, f"code cell {i} is not executed but has outputs"
        if not {"raises-exception", "nbval-raises-exception"} & set(tags(cell)):
            errors = [o for o in cell.outputs if o.output_type == "error"]
            assert not errors, f"code cell {i} raised {errors[0].ename}: {errors[0].evalue}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=nb_id)
def test_widget_state_is_saved(path):
    """Widgets the HTML book renders (tqdm bars...) need their state saved in the notebook."""
    nb = read(path)
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for i, cell in enumerate(code_cells(nb)):
        for out in cell.outputs:
            data = out.get("data", {})
            if WIDGET_VIEW in data and "text/html" not in data:  # shown as a live widget
                model = data[WIDGET_VIEW]["model_id"]
                assert model in state, f"code cell {i}: widget {model} has no saved state"


# -- publishing ------------------------------------------------------------------------------
def test_the_publishing_workflow_builds_with_make_book_and_deploys_the_html():
    workflow = yaml.safe_load((ROOT / ".github/workflows/book.yml").read_text(encoding="utf-8"))
    build = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in build]
    assert "make book" in runs, "the site is built with the README's command"
    assert any("linkcheck" in run for run in runs), "the built site's links are checked"
    uploads = [s for s in build if s.get("uses", "").startswith("actions/upload-pages-artifact")]
    assert uploads and uploads[0]["with"]["path"] == "_build/html"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages")
