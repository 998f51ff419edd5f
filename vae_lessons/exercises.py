"""Part IV: hand out the book's exercise notebooks and grade what students hand back.

The exercise notebooks in the book (``book/<lang>/ex*.ipynb``) are the *solution* notebooks. Each
task has an answer cell whose body sits between ``### BEGIN SOLUTION`` and ``### END SOLUTION``
(nbgrader's markers, so nbgrader can read the same notebooks) and a check cell, tagged
``nbval-check-output``, that raises an ``AssertionError`` saying in words what was expected.
Cells carry nbgrader's metadata: answer cells ``solution: true`` with a ``grade_id``, check cells
``grade: true, locked: true`` with ``grade_id = <task>_check``. Three commands::

    python -m vae_lessons.exercises release book/ko/ex*.ipynb --out handout/ko
    pytest --nbval-lax handout/ko/ex4_iwae.ipynb        # one submission, cell by cell
    python -m vae_lessons.exercises grade submissions/  # a folder, one subfolder per student

``grade`` runs each notebook in its own process (``pytest --nbval-lax``) with a time limit per
notebook and per cell and a memory limit, restores the check cells from the book before running
(a student cannot edit a check away), and prints a student × task table, also written as CSV.
Submissions are untrusted code: run the grader as an unprivileged user or in a container.
"""

from __future__ import annotations

import argparse
import copy
import csv
import os
import re
import resource
import signal
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from pathlib import Path

import nbformat

__all__ = [
    "clear_solutions",
    "release_notebook",
    "release",
    "tasks",
    "task_name",
    "exercise_of",
    "restore_locked_cells",
    "grade_notebook",
    "grade",
]

BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError")
MARKDOWN_STUB = "YOUR ANSWER HERE"
#: Where the book keeps the released (student) version of ``book/<lang>/<stem>.ipynb``, the
#: notebook its Colab button opens.
STUDENT_DIR = "_student"
BOOK = Path(__file__).resolve().parents[1] / "book"
STATUSES = ("pass", "fail", "timeout", "missing")


# -- release ---------------------------------------------------------------------------------
def clear_solutions(source: str, *, markdown: bool = False) -> str:
    """``source`` with each ``### BEGIN SOLUTION`` … ``### END SOLUTION`` region replaced.

    In code the region becomes ``# YOUR CODE HERE`` and ``raise NotImplementedError`` at the
    indentation of the ``BEGIN`` line; in markdown, ``YOUR ANSWER HERE``. Raises ``ValueError`` on
    an unmatched marker.
    """
    out, indent = [], None
    for number, line in enumerate(source.split("\n"), 1):
        marker = line.strip()
        if marker == BEGIN:
            if indent is not None:
                raise ValueError(f"source line {number}: {BEGIN} inside a solution region")
            indent = line[: len(line) - len(line.lstrip())]
            out += [indent + MARKDOWN_STUB] if markdown else [indent + s for s in CODE_STUB]
        elif marker == END:
            if indent is None:
                raise ValueError(f"source line {number}: {END} without {BEGIN}")
            indent = None
        elif indent is None:
            out.append(line)
    if indent is not None:
        raise ValueError(f"source: {BEGIN} without {END}")
    return "\n".join(out)


def _nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def release_notebook(nb, *, exercise: str, lang: str):
    """The student version of a solution notebook (a new notebook; ``nb`` is not changed).

    Answer regions are cleared and the answer cells lose their outputs and the ``hide-input`` tag
    that folds the solution in the book. Everything else is the executed solution notebook: check
    cells keep the solution's outputs, which nbval compares against, other cells show what a
    correct answer gives, and every code cell keeps its execution count (run, an answer cell's stub
    only defines its function and prints nothing). ``metadata.vae_lessons`` records the exercise
    and language for grading.
    """
    student = copy.deepcopy(nb)
    cleared = 0
    for cell in student.cells:
        if BEGIN not in cell.source:
            continue
        cell.source = clear_solutions(cell.source, markdown=cell.cell_type == "markdown")
        cleared += 1
        if cell.cell_type == "code":
            cell.outputs = []  # a stub def prints nothing; its execution count stays
            tags = [t for t in cell.metadata.get("tags", []) if t != "hide-input"]
            if tags:
                cell.metadata["tags"] = tags
            else:
                cell.metadata.pop("tags", None)
    if not cleared:
        raise ValueError(f"exercise {exercise!r} has no {BEGIN} region")
    student.metadata.pop("mystnb", None)  # the book's "show the solution" prompts
    student.metadata["vae_lessons"] = {"exercise": exercise, "lang": lang}
    return student


def _lang_of(path: Path) -> str:
    return path.parent.name if path.parent.name in ("ko", "en") else "en"


def release(sources: Iterable[str | Path], out: str | Path) -> list[Path]:
    """Write the student version of each solution notebook in ``sources`` into ``out``."""
    out = Path(out)
    sources = [Path(s) for s in sources]
    if not sources:
        raise ValueError("sources: name at least one solution notebook")
    names = [s.name for s in sources]
    if len(set(names)) != len(names):
        raise ValueError(f"sources: two notebooks named alike would overwrite each other: {names}")
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        nb = nbformat.read(src, as_version=4)
        student = release_notebook(nb, exercise=src.stem, lang=_lang_of(src.resolve()))
        nbformat.write(student, out / src.name)
        written.append(out / src.name)
    return written


# -- grading ---------------------------------------------------------------------------------
def tasks(nb) -> list[str]:
    """The graded tasks of a notebook: the ``grade_id`` of each check cell, in order."""
    return [_nbgrader(c)["grade_id"] for c in nb.cells if _nbgrader(c).get("grade")]


def task_name(grade_id: str) -> str:
    """A check cell's ``grade_id`` without its ``_check`` suffix: the task it grades."""
    return grade_id.removesuffix("_check")


def exercise_of(nb, path: Path) -> tuple[str, str]:
    """(exercise, language) of a submission: from its metadata, else from its file name."""
    meta = nb.metadata.get("vae_lessons", {})
    return meta.get("exercise", Path(path).stem), meta.get("lang", "en")


def restore_locked_cells(nb, reference) -> list[str]:
    """Put the reference's locked cells (the checks) back into ``nb``; return missing ids.

    A locked cell is matched by its nbgrader ``grade_id``; its source, outputs, execution count
    and metadata are the reference's again, whatever the student did to them.
    """
    locked = {_nbgrader(c)["grade_id"]: c for c in reference.cells if _nbgrader(c).get("locked")}
    found = set()
    for i, cell in enumerate(nb.cells):
        ref = locked.get(_nbgrader(cell).get("grade_id"))
        if ref is not None:
            nb.cells[i] = copy.deepcopy(ref)
            found.add(_nbgrader(ref)["grade_id"])
    return [g for g in locked if g not in found]


def _limits(memory_mb: int):
    def apply():
        size = memory_mb * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (size, size))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return apply


_ANSI = re.compile(r"(\x1b|#x1B)\[[0-9;]*m")  # raw, or as junit XML escapes it


def _reason(text: str) -> str:
    """The line of a failure that says what went wrong (the check's AssertionError first)."""
    lines = [line.strip() for line in _ANSI.sub("", text).splitlines() if line.strip()]
    for prefix in ("AssertionError", "Timeout", "NotImplementedError"):
        hits = [line for line in lines if line.startswith(prefix)]
        if hits:
            return hits[-1]
    errors = [line for line in lines if re.match(r"^[A-Za-z_.]*(Error|Exception)\b", line)]
    return (errors or lines or ["failed"])[-1][:300]


def _run_nbval(nb, *, timeout: float, cell_timeout: float, memory_mb: int) -> dict:
    """Run ``pytest --nbval-lax`` on ``nb`` in a fresh process; {code cell index: (status, why)}."""
    with tempfile.TemporaryDirectory(prefix="vl-grade-") as tmp:
        tmp = Path(tmp)
        nbformat.write(nb, tmp / "submission.ipynb")
        (tmp / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
        command = [
            sys.executable,
            "-m",
            "pytest",
            "submission.ipynb",
            "-q",
            "-c",
            "pytest.ini",
            "--rootdir",
            str(tmp),
            "--noconftest",
            "-p",
            "no:cacheprovider",
            "--nbval-lax",
            "--nbval-current-env",
            f"--nbval-cell-timeout={cell_timeout}",
            "--junitxml=report.xml",
        ]
        env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"}
        process = subprocess.Popen(
            command,
            cwd=tmp,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_limits(memory_mb),
            start_new_session=True,
        )
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return {}
        if not (tmp / "report.xml").exists():
            return {}
        results = {}
        for case in ET.parse(tmp / "report.xml").iter("testcase"):
            match = re.fullmatch(r"Cell (\d+)", case.get("name", ""))
            if not match:
                continue
            problem = next(iter(case), None)
            if problem is None:
                results[int(match.group(1))] = ("pass", "")
                continue
            text = f"{problem.get('message', '')}\n{problem.text or ''}"
            if "Timeout" in text and problem.tag != "skipped":
                results[int(match.group(1))] = ("timeout", f"ran past {cell_timeout:g} s")
            else:  # a fail, also when nbval expected it to fail after an earlier timeout
                results[int(match.group(1))] = ("fail", _reason(text))
        return results


def grade_notebook(
    path: str | Path,
    *,
    reference=None,
    timeout: float = 600,
    cell_timeout: float = 120,
    memory_mb: int = 4096,
) -> dict[str, tuple[str, str]]:
    """Grade one submission: {task: (status, reason)} with status in ``STATUSES``.

    ``reference`` (a solution or released notebook) names the tasks and supplies the check cells;
    without it the submission's own check cells are used. A check passes when its cell runs
    without error and prints the reference's output. A notebook that runs past ``timeout``
    seconds or a cell past ``cell_timeout`` marks the tasks not yet graded ``timeout``.
    """
    path = Path(path)
    try:
        nb = nbformat.read(path, as_version=4)
    except Exception as error:  # noqa: BLE001 - any unreadable file is the student's mark
        names = tasks(reference) if reference is not None else [path.stem]
        return {t: ("fail", f"unreadable notebook: {error}"[:300]) for t in names}
    missing = restore_locked_cells(nb, reference) if reference is not None else []
    names = tasks(reference if reference is not None else nb)
    cells = {}
    index = 0
    for cell in nb.cells:
        if cell.cell_type == "code":
            grade_id = _nbgrader(cell).get("grade_id")
            if grade_id in names:
                cells[index] = grade_id
            index += 1
    results = _run_nbval(nb, timeout=timeout, cell_timeout=cell_timeout, memory_mb=memory_mb)
    graded = {}
    for cell_index, grade_id in cells.items():
        default = ("timeout", f"not run within {timeout:g} s (or the memory limit was hit)")
        graded[grade_id] = results.get(cell_index, default)
    for grade_id in names:
        if grade_id in missing or grade_id not in graded:
            graded[grade_id] = ("missing", "the check cell is not in the submission")
    return {t: graded[t] for t in names}


def _references(paths: Sequence[str | Path]) -> dict[tuple[str, str], object]:
    """{(exercise, lang): notebook} from reference notebooks or folders of them."""
    found = {}
    for p in map(Path, paths):
        for f in sorted(p.rglob("*.ipynb")) if p.is_dir() else [p]:
            if ".ipynb_checkpoints" in f.parts:
                continue
            nb = nbformat.read(f, as_version=4)
            if tasks(nb):
                meta = nb.metadata.get("vae_lessons", {})
                found[(meta.get("exercise", f.stem), meta.get("lang", _lang_of(f)))] = nb
    return found


def _submissions(folder: Path) -> dict[str, list[Path]]:
    """{student: notebooks}: a subfolder per student, or one notebook per student."""
    students = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        if entry.is_dir():
            notebooks = [
                p for p in sorted(entry.rglob("*.ipynb")) if ".ipynb_checkpoints" not in p.parts
            ]
            if notebooks:
                students[entry.name] = notebooks
        elif entry.suffix == ".ipynb":
            students[entry.stem] = [entry]
    return students


def grade(
    folder: str | Path,
    *,
    references: Sequence[str | Path] | None = None,
    timeout: float = 600,
    cell_timeout: float = 120,
    memory_mb: int = 4096,
) -> list[dict]:
    """Grade every submission in ``folder``; one row per student, task, reason.

    Rows are ``{"student", "exercise", "task", "status", "reason"}``. ``references`` default to
    the book's solution notebooks (``book/ko``, ``book/en``) when the package runs from a clone.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder: {folder} is not a directory")
    if references is None:
        references = sorted(BOOK.glob("[ke][on]/ex*.ipynb"))
    known = _references(references)
    rows = []
    for student, notebooks in _submissions(folder).items():
        for path in notebooks:
            try:
                exercise, lang = exercise_of(nbformat.read(path, as_version=4), path)
            except Exception:  # noqa: BLE001 - graded below as unreadable
                exercise, lang = path.stem, "en"
            reference = known.get((exercise, lang))
            marks = grade_notebook(
                path,
                reference=reference,
                timeout=timeout,
                cell_timeout=cell_timeout,
                memory_mb=memory_mb,
            )
            for task, (status, reason) in marks.items():
                rows.append(
                    {
                        "student": student,
                        "exercise": exercise,
                        "task": task_name(task),
                        "status": status,
                        "reason": reason,
                    }
                )
    return rows


def table(rows: list[dict]) -> tuple[list[str], list[list[str]]]:
    """The student × task table of ``grade``'s rows: header and rows, with a total column."""
    columns = list(dict.fromkeys(f"{r['exercise']}:{r['task']}" for r in rows))
    students = list(dict.fromkeys(r["student"] for r in rows))
    marks = {(r["student"], f"{r['exercise']}:{r['task']}"): r["status"] for r in rows}
    body = []
    for s in students:
        line = [marks.get((s, c), "missing") for c in columns]
        body.append([s, *line, f"{line.count('pass')}/{len(columns)}"])
    return ["student", *columns, "total"], body


def _write_csv(path: Path, header: list[str], body: list[list[str]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(body)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m vae_lessons.exercises",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    rel = commands.add_parser("release", help="write the student notebooks")
    rel.add_argument("sources", nargs="+", help="solution notebooks (book/<lang>/ex*.ipynb)")
    rel.add_argument("--out", required=True, help="folder for the student notebooks")
    gr = commands.add_parser("grade", help="grade a folder of submissions")
    gr.add_argument("folder", help="one subfolder (or one notebook) per student")
    gr.add_argument(
        "--reference",
        nargs="+",
        help="solution/released notebooks or folders (default: the book's book/ko and book/en)",
    )
    gr.add_argument("--csv", help="where to write the table (default: FOLDER/grades.csv)")
    gr.add_argument("--timeout", type=float, default=600, help="seconds per notebook")
    gr.add_argument("--cell-timeout", type=float, default=120, help="seconds per cell")
    gr.add_argument("--memory-mb", type=int, default=4096, help="address-space limit per run")
    args = parser.parse_args(argv)
    if args.command == "release":
        for path in release(args.sources, args.out):
            print(path)
        return 0
    rows = grade(
        args.folder,
        references=args.reference,
        timeout=args.timeout,
        cell_timeout=args.cell_timeout,
        memory_mb=args.memory_mb,
    )
    if not rows:
        print(f"no submission (*.ipynb) in {args.folder}", file=sys.stderr)
        return 1
    header, body = table(rows)
    widths = [max(len(h), *(len(r[i]) for r in body)) for i, h in enumerate(header)]
    for line in [header, *body]:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))
    out = Path(args.csv) if args.csv else Path(args.folder) / "grades.csv"
    _write_csv(out, header, body)
    reasons = [[r["student"], r["exercise"], r["task"], r["status"], r["reason"]] for r in rows]
    _write_csv(
        out.with_name(out.stem + "_reasons.csv"),
        ["student", "exercise", "task", "status", "reason"],
        reasons,
    )
    print(f"\n{out}  ({out.stem}_reasons.csv says why each task failed)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
