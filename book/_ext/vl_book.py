"""Sphinx glue for the bilingual book (loaded through `sphinx.local_extensions` in _config.yml).

Pages under ``book/ko/`` get ``<html lang="ko">`` (the site default is English), and every chapter
gets a header link to the same chapter in the other language (template
``book/_templates/vl-language-switch.html``). An exercise page's Colab button opens the student
version of its notebook, ``book/_student/<lang>/<name>.ipynb`` (written by
``python -m vae_lessons.exercises release``), not the solutions the page shows.
"""

from __future__ import annotations

from pathlib import Path

OTHER_LANGUAGE = {"ko": ("en", "English"), "en": ("ko", "한국어")}
STUDENT_DIR = "_student"  # vae_lessons.exercises.STUDENT_DIR (the book does not import the package)


def _book_page(pagename: str) -> tuple[str, str] | None:
    """(lang, name) of a page ``book/<lang>/<name>``, else None."""
    parts = pagename.split("/")
    if len(parts) != 3 or parts[0] != "book" or parts[1] not in OTHER_LANGUAGE:
        return None
    return parts[1], parts[2]


def add_language_context(app, pagename, templatename, context, doctree):
    page = _book_page(pagename)
    if page is None:
        return
    lang, name = page
    other, label = OTHER_LANGUAGE[lang]
    context["language"] = lang
    counterpart = f"book/{other}/{name}"
    if counterpart in app.env.all_docs:
        context["vl_other_language"] = {
            "url": context["pathto"](counterpart),
            "lang": other,
            "label": label,
        }


def open_student_version_in_colab(app, pagename, templatename, context, doctree):
    """Point an exercise page's Colab button at the notebook without solutions."""
    page = _book_page(pagename)
    if page is None:
        return
    lang, name = page
    student = f"book/{STUDENT_DIR}/{lang}/{name}.ipynb"
    if not (Path(app.srcdir) / student).exists():
        return
    for group in context.get("header_buttons", []):
        if group.get("label") != "launch-buttons":
            continue
        for button in group.get("buttons", []):
            if button.get("text") == "Colab":
                button["url"] = button["url"].replace(f"/{pagename}.ipynb", f"/{student}")
                button["tooltip"] = {"ko": "Colab에서 연습 문제 열기 (풀이 없음)"}.get(
                    lang, "Open the exercise (without solutions) in Colab"
                )


def setup(app):
    app.connect("html-page-context", add_language_context)
    # after sphinx-book-theme adds its launch buttons (priority 501)
    app.connect("html-page-context", open_student_version_in_colab, priority=502)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
