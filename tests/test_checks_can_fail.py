"""Every checked cell can fail: plausible wrong implementations make a checked output differ.

A cell tagged ``nbval-check-output`` exists to catch a wrong derivation or implementation. Each
file ``tests/wrong/<chapter>__<what>.py`` is a plausible mistake (a sign flip, σ in place of σ²,
a missing − log k…): its docstring says what is wrong, and its code, run in the kernel right
after the setup cell, swaps the mistake into the package. The chapter's English notebook is then
executed cell by cell (its Korean twin runs the same code) and the test passes as soon as one
checked cell prints something other than its saved output, or raises. It fails if every checked
cell still matches: that check would let the mistake through. Every numbered chapter with
checked cells needs at least one such file.
"""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
WRONG = sorted((ROOT / "tests" / "wrong").glob("*.py"))
CHECK = "nbval-check-output"


def chapter_of(path: Path) -> str:
    return path.stem.split("__")[0]


def checked_chapters() -> list[str]:
    names = []
    for path in sorted((ROOT / "book" / "en").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        if re.match(r"\d\d_", path.stem) and any(
            CHECK in c.metadata.get("tags", []) for c in nb.cells if c.cell_type == "code"
        ):
            names.append(path.stem)
    return names


def shown(outputs) -> str:
    """What nbval compares: streams and plain-text results, in order (errors included)."""
    parts = []
    for out in outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
        elif out.output_type == "error":
            parts.append(f"{out.ename}: {out.evalue}")
    return "".join(parts)


@pytest.mark.parametrize("chapter", checked_chapters())
def test_every_checked_chapter_has_a_wrong_implementation(chapter):
    assert any(chapter_of(p) == chapter for p in WRONG), (
        f"add tests/wrong/{chapter}__<mistake>.py: a plausible wrong implementation that one of "
        f"the chapter's checked cells must catch"
    )


@pytest.mark.parametrize("path", WRONG, ids=lambda p: p.stem)
def test_a_checked_cell_catches_the_mistake(path):
    source = path.read_text(encoding="utf-8")
    assert ast.get_docstring(ast.parse(source)), f"{path.name}: say in a docstring what is wrong"
    notebook = ROOT / "book" / "en" / f"{chapter_of(path)}.ipynb"
    assert notebook.exists(), f"{path.name}: no chapter {notebook.name}"
    saved = nbformat.read(notebook, as_version=4)
    nb = copy.deepcopy(saved)
    first = next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")
    nb.cells.insert(first + 1, nbformat.v4.new_code_cell(source))
    originals = [None] * (first + 2) + [c for c in saved.cells[first + 1 :]]
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            tags = cell.metadata.get("tags", [])
            if cell.cell_type != "code" or "skip-execution" in tags:
                continue
            client.execute_cell(cell, index)
            errors = [o for o in cell.outputs if o.output_type == "error"]
            if index == first + 1:
                assert not errors, f"the patch itself raised: {shown(errors)}"
            elif CHECK in tags:
                if errors or shown(cell.outputs) != shown(originals[index].outputs):
                    return  # caught
            elif errors:
                pytest.fail(
                    f"cell {index} raised before any checked cell caught the mistake "
                    f"({shown(errors)}): make the wrong implementation plausible"
                )
    pytest.fail(
        f"no checked cell of {notebook.name} caught: {ast.get_docstring(ast.parse(source))}"
    )
