"""Part IV: the exercise notebooks, their release to students and the grading of submissions.

The book's exercise notebooks (``book/<lang>/ex*.ipynb``) are solution notebooks; nbval runs them
with the rest of the book. Here:

- release: solution regions become ``# YOUR CODE HERE`` + ``raise NotImplementedError`` with the
  indentation kept, answer outputs are cleared, check outputs kept; the committed student
  versions (``book/_student``, opened by the Colab buttons) are what ``release`` writes now;
- every check can fail: each file ``tests/exercises/<exercise>__<task>__wrong_<what>.py`` is a
  plausible wrong answer for one task, swapped into the solution region, and that task's check
  must fail; each ``…__right_<what>.py`` is a correct answer written differently, and every check
  must pass; a released, unfilled notebook fails every check, in both languages;
- ``grade`` runs a folder of submissions, each in its own process with time and memory limits,
  and a looping, crashing or tampered submission gets its marks without stopping the others.
"""

from __future__ import annotations

import copy
import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from vae_lessons import exercises as ex

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LANGS = ("ko", "en")
EXERCISES = sorted(p.stem for p in (BOOK / "en").glob("ex*.ipynb"))
CASES = sorted((ROOT / "tests" / "exercises").glob("*.py"))


def solution(exercise: str, lang: str = "en"):
    return nbformat.read(BOOK / lang / f"{exercise}.ipynb", as_version=4)


def nbgrader(cell) -> dict:
    return cell.metadata.get("nbgrader", {})


def answer_tasks(nb) -> list[str]:
    return [nbgrader(c)["grade_id"] for c in nb.cells if nbgrader(c).get("solution")]


def case_parts(path: Path) -> tuple[str, str, str]:
    """(exercise, task, "wrong" | "right") of a test-data file."""
    exercise, task, kind = path.stem.split("__")
    return exercise, task, kind.split("_", 1)[0]


def substitute(nb, task: str, code: str):
    """A copy of ``nb`` whose answer region of ``task`` holds ``code`` (at the region's indent)."""
    nb = copy.deepcopy(nb)
    (cell,) = [c for c in nb.cells if nbgrader(c).get("grade_id") == task]
    lines = cell.source.split("\n")
    (begin,) = [i for i, line in enumerate(lines) if line.strip() == ex.BEGIN]
    (end,) = [i for i, line in enumerate(lines) if line.strip() == ex.END]
    indent = lines[begin][: len(lines[begin]) - len(lines[begin].lstrip())]
    body = [indent + line if line.strip() else "" for line in code.rstrip("\n").split("\n")]
    cell.source = "\n".join(lines[:begin] + body + lines[end + 1 :])
    return nb


def grade(nb, tmp_path: Path, reference) -> dict[str, str]:
    path = tmp_path / "submission.ipynb"
    nbformat.write(nb, path)
    marks = ex.grade_notebook(path, reference=reference, timeout=300, cell_timeout=60)
    return {ex.task_name(t): status for t, (status, _) in marks.items()}


# -- release ---------------------------------------------------------------------------------
def test_clear_solutions_keeps_the_indentation():
    source = (
        "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    y = 2 * x\n    return y\n"
        "    ### END SOLUTION\n\nz = 1"
    )
    assert ex.clear_solutions(source) == (
        "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError\n\nz = 1"
    )
    assert ex.clear_solutions("a\n### BEGIN SOLUTION\nb\n### END SOLUTION", markdown=True) == (
        "a\nYOUR ANSWER HERE"
    )


@pytest.mark.parametrize(
    "source, match",
    [
        ("### BEGIN SOLUTION\nx = 1", "without ### END"),
        ("x = 1\n### END SOLUTION", "without ### BEGIN"),
        ("### BEGIN SOLUTION\n### BEGIN SOLUTION\n### END SOLUTION", "inside"),
    ],
)
def test_clear_solutions_rejects_unmatched_markers(source, match):
    with pytest.raises(ValueError, match=match):
        ex.clear_solutions(source)


def test_release_rejects_bad_sources(tmp_path):
    with pytest.raises(ValueError, match="sources"):
        ex.release([], tmp_path)
    with pytest.raises(ValueError, match="sources"):
        ex.release(
            [BOOK / "ko" / "ex1_gaussian_kl.ipynb", BOOK / "en" / "ex1_gaussian_kl.ipynb"], tmp_path
        )
    with pytest.raises(ValueError, match="no ### BEGIN SOLUTION"):
        ex.release([BOOK / "en" / "10_mmd.ipynb"], tmp_path)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_exercise_notebook_structure(exercise, lang):
    """2–4 tasks; each answer cell is folded in the book and followed by its check cell."""
    nb = solution(exercise, lang)
    code = [c for c in nb.cells if c.cell_type == "code"]
    answers = answer_tasks(nb)
    assert 2 <= len(answers) <= 4, answers
    assert ex.tasks(nb) == [f"{t}_check" for t in answers], "one check cell per task, in order"
    for i, cell in enumerate(code):
        meta = nbgrader(cell)
        if meta.get("solution"):
            assert ex.BEGIN in cell.source and ex.END in cell.source
            assert cell.metadata["tags"] == ["hide-input"]
            assert not meta["grade"] and not meta["locked"]
            check = code[i + 1]
            assert nbgrader(check).get("grade_id") == f"{meta['grade_id']}_check"
        elif meta.get("grade"):
            assert meta["locked"] and meta["points"] > 0
            assert cell.metadata["tags"] == ["nbval-check-output"]
            assert ex.BEGIN not in cell.source
            text = "".join(o.get("text", "") for o in cell.outputs)
            assert text.startswith({"ko": "통과: ", "en": "passed: "}[lang]), text
        else:
            assert ex.BEGIN not in cell.source, "solution regions live in answer cells only"
    prompts = nb.metadata["mystnb"]
    assert prompts["code_prompt_show"] == {"ko": "풀이 보기", "en": "Show the solution"}[lang]


@pytest.mark.parametrize("exercise", EXERCISES)
def test_release_clears_answers_and_keeps_checks(exercise):
    nb = solution(exercise)
    student = ex.release_notebook(nb, exercise=exercise, lang="en")
    assert student.metadata["vae_lessons"] == {"exercise": exercise, "lang": "en"}
    assert "mystnb" not in student.metadata
    for before, after in zip(nb.cells, student.cells, strict=True):
        if nbgrader(before).get("solution"):
            assert ex.BEGIN not in after.source and "raise NotImplementedError" in after.source
            assert after.outputs == [] and after.execution_count == before.execution_count
            assert "hide-input" not in after.metadata.get("tags", [])
            head = before.source.split(ex.BEGIN)[0]
            assert after.source.startswith(head), "the signature and docstring stay"
        else:
            assert after == before
    assert nb == solution(exercise), "release does not change the solution notebook"


@pytest.mark.parametrize("lang", LANGS)
def test_the_student_versions_in_the_book_are_current(lang, tmp_path):
    """book/_student/<lang> is what `make students` writes from the solutions now."""
    written = ex.release(sorted((BOOK / lang).glob("ex*.ipynb")), tmp_path)
    committed = sorted((BOOK / ex.STUDENT_DIR / lang).glob("*.ipynb"))
    assert [p.name for p in committed] == [p.name for p in written], "run `make students`"
    for new, old in zip(written, committed, strict=True):
        assert nbformat.read(new, as_version=4) == nbformat.read(old, as_version=4), (
            f"{old} is stale: run `make students`"
        )


def test_the_colab_button_of_an_exercise_opens_the_student_version():
    spec = importlib.util.spec_from_file_location("vl_book", BOOK / "_ext" / "vl_book.py")
    vl_book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vl_book)
    assert vl_book.STUDENT_DIR == ex.STUDENT_DIR

    class App:
        srcdir = str(ROOT)

    base = "https://colab.research.google.com/github/vae-lessons/vae-lessons/blob/main/"

    def colab_url(pagename: str) -> str:
        button = {"text": "Colab", "url": f"{base}{pagename}.ipynb"}
        context = {"header_buttons": [{"label": "launch-buttons", "buttons": [button]}]}
        vl_book.open_student_version_in_colab(App, pagename, "page.html", context, None)
        return button["url"]

    assert colab_url("book/ko/ex4_iwae") == f"{base}book/_student/ko/ex4_iwae.ipynb"
    assert colab_url("book/en/07_iwae") == f"{base}book/en/07_iwae.ipynb"


# -- every check can fail, and correct answers written differently pass ------------------------
def test_every_task_has_a_wrong_answer_and_every_exercise_a_right_one():
    assert EXERCISES, "no exercise notebook"
    for exercise in EXERCISES:
        kinds = {(t, k) for e, t, k in map(case_parts, CASES) if e == exercise}
        for task in answer_tasks(solution(exercise)):
            assert (task, "wrong") in kinds, f"add tests/exercises/{exercise}__{task}__wrong_….py"
        assert any(k == "right" for _, k in kinds), f"add tests/exercises/{exercise}__…__right_….py"
    for path in CASES:
        exercise, task, kind = case_parts(path)
        assert exercise in EXERCISES and kind in ("wrong", "right"), path.name
        assert task in answer_tasks(solution(exercise)), path.name


@pytest.mark.parametrize("case", CASES, ids=lambda p: p.stem)
def test_a_wrong_answer_fails_its_check_and_a_right_one_passes(case, tmp_path):
    exercise, task, kind = case_parts(case)
    reference = solution(exercise)
    marks = grade(
        substitute(reference, task, case.read_text(encoding="utf-8")), tmp_path, reference
    )
    if kind == "wrong":
        assert marks[task] == "fail", f"{case.name} passes the check of {task}: {marks}"
    else:
        assert set(marks.values()) == {"pass"}, marks


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("exercise", EXERCISES)
def test_a_released_unfilled_notebook_fails_every_check(exercise, lang, tmp_path):
    reference = solution(exercise, lang)
    student = nbformat.read(BOOK / ex.STUDENT_DIR / lang / f"{exercise}.ipynb", as_version=4)
    marks = grade(student, tmp_path, reference)
    assert list(marks) == answer_tasks(reference)
    assert set(marks.values()) == {"fail"}, marks


# -- grading a class -------------------------------------------------------------------------
def test_grade_a_folder_of_submissions(tmp_path):
    """Five students, one exercise: a solution, an untouched hand-out, a loop plus an edited
    check, a memory hog and a file that is not a notebook. Each gets its marks."""
    exercise = EXERCISES[0]
    reference = solution(exercise)
    first, second = answer_tasks(reference)[:2]
    handout = tmp_path / "handout"
    (released,) = ex.release([BOOK / "en" / f"{exercise}.ipynb"], handout)
    released_nb = nbformat.read(released, as_version=4)
    submissions = {
        "alice": reference,
        "bob": released_nb,
        "carol": substitute(reference, first, "while True:\n    pass"),
        "dave": substitute(reference, second, "x = bytearray(8 * 2**30)"),
    }
    for cell in submissions["carol"].cells:  # carol also edits a check to print "passed"
        if nbgrader(cell).get("grade_id") == f"{second}_check":
            cell.source = "print('passed: whatever')"
    for student, nb in submissions.items():
        (tmp_path / "class" / student).mkdir(parents=True)
        nbformat.write(nb, tmp_path / "class" / student / f"{exercise}.ipynb")
    (tmp_path / "class" / "erin").mkdir()
    (tmp_path / "class" / "erin" / f"{exercise}.ipynb").write_text("not JSON", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "vae_lessons.exercises", "grade", str(tmp_path / "class"),
         "--reference", str(handout), "--cell-timeout", "10", "--memory-mb", "3000"],
        capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    with (tmp_path / "class" / "grades.csv").open(encoding="utf-8") as f:
        rows = {row["student"]: row for row in csv.DictReader(f)}
    tasks = answer_tasks(reference)
    n = len(tasks)
    column = {t: f"{exercise}:{t}" for t in tasks}
    assert {s: rows[s]["total"] for s in rows} == {
        "alice": f"{n}/{n}", "bob": f"0/{n}", "carol": f"{n - 1}/{n}", "dave": f"{n - 1}/{n}",
        "erin": f"0/{n}",
    }, result.stdout  # fmt: skip
    assert {rows[s][c] for s in rows for c in column.values()} <= set(ex.STATUSES)
    assert rows["carol"][column[first]] == "timeout"
    assert rows["carol"][column[second]] == "pass", "the check cell was restored, and it passes"
    assert rows["dave"][column[second]] == "fail"
    with (tmp_path / "class" / "grades_reasons.csv").open(encoding="utf-8") as f:
        reasons = {(r["student"], r["task"]): r["reason"] for r in csv.DictReader(f)}
    assert "NotImplementedError" in reasons[("bob", first)]
    assert "MemoryError" in reasons[("dave", second)]
    assert "unreadable" in reasons[("erin", first)]
    assert "alice" in result.stdout and "total" in result.stdout
