"""Every string a page shows has its Simplified Chinese translation in the one catalogue."""

from __future__ import annotations

import re
from pathlib import Path

from jinja2 import Environment

from seamline.web.ui import i18n, views
from seamline.web.ui.pages import SCRIPT_STRINGS

ROOT = Path(__file__).parents[2] / "src" / "seamline"


def _template_strings() -> set[str]:
    env = Environment(extensions=["jinja2.ext.i18n"], autoescape=True)
    found: set[str] = set()
    for path in [*ROOT.glob("*/templates/*.html"), *ROOT.glob("web/ui/templates/*.html")]:
        source = path.read_text(encoding="utf-8")
        for _, func, message in env.extract_translations(source, gettext_functions=("_",)):
            if func == "_" and isinstance(message, str):
                found.add(message)
    return found


def test_every_page_string_is_translated() -> None:
    assert views.ROUTERS  # importing the views registers their strings
    wanted = _template_strings() | {s for strings in SCRIPT_STRINGS.values() for s in strings}
    assert {"Factory floor", "Stops now", "running"} <= wanted  # the extraction sees the pages
    zh = i18n.catalogue("zh")
    missing = sorted(s for s in wanted if not zh.get(s))
    assert missing == []


def test_the_catalogue_holds_no_string_the_pages_do_not_use() -> None:
    wanted = _template_strings() | {s for strings in SCRIPT_STRINGS.values() for s in strings}
    assert sorted(set(i18n.catalogue("zh")) - wanted) == []


def test_translations_keep_no_latin_words_where_chinese_is_expected() -> None:
    for source, shown in i18n.catalogue("zh").items():
        if source not in ("OEE", "DHU"):  # the trade's own abbreviations stay
            assert re.search(r"[\u4e00-\u9fff]", shown), source


def test_the_language_is_asked_then_the_users_then_the_browsers() -> None:
    assert i18n.negotiate("zh", "en", "en-US") == "zh"
    assert i18n.negotiate(None, "zh", "en-US") == "zh"
    assert i18n.negotiate("fr", None, "fr-FR,zh-Hans;q=0.8,en;q=0.5") == "zh"
    assert i18n.negotiate(None, None, "de-DE") == "en"
    assert i18n.negotiate(None, None, "%%bad") == "en"
