"""Sphinx glue for the bilingual book (loaded through `sphinx.local_extensions` in _config.yml).

Pages under ``book/ko/`` get ``<html lang="ko">`` (the site default is English), and every chapter
gets a header link to the same chapter in the other language (template
``book/_templates/vl-language-switch.html``).
"""

from __future__ import annotations

OTHER_LANGUAGE = {"ko": ("en", "English"), "en": ("ko", "한국어")}


def add_language_context(app, pagename, templatename, context, doctree):
    parts = pagename.split("/")
    if len(parts) != 3 or parts[0] != "book" or parts[1] not in OTHER_LANGUAGE:
        return
    lang, name = parts[1], parts[2]
    other, label = OTHER_LANGUAGE[lang]
    context["language"] = lang
    counterpart = f"book/{other}/{name}"
    if counterpart in app.env.all_docs:
        context["vl_other_language"] = {
            "url": context["pathto"](counterpart),
            "lang": other,
            "label": label,
        }


def setup(app):
    app.connect("html-page-context", add_language_context)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
