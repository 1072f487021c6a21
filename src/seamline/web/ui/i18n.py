"""One translation catalogue for every page: English source strings, Simplified Chinese translations.

The catalogue is a gettext PO file (``locale/zh/LC_MESSAGES/messages.po``) read with Babel, so that
translators work with the usual tools; templates mark strings with ``{{ _("...") }}`` and scripts
receive the strings they draw as a JSON table (:func:`script_strings`). The language comes from the
``lang`` query parameter, then the user's choice, then the browser's ``Accept-Language``.

>>> translate("zh", "Output today")
'今日产量'
>>> negotiate(None, None, "zh-CN,zh;q=0.9,en;q=0.8")
'zh'
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Final

from babel import Locale
from babel.messages.pofile import read_po

LANGUAGES: Final = ("en", "zh")
LOCALES: Final = {"en": "en_GB", "zh": "zh_Hans_CN"}  # what numbers and dates are formatted by
_DIR = Path(__file__).parent / "locale"


@functools.cache
def catalogue(lang: str) -> dict[str, str]:
    """msgid -> translation for ``lang`` (English: empty, the source strings stand)."""
    if lang == "en":
        return {}
    with (_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as f:
        cat = read_po(f, locale=lang)
    return {str(m.id): str(m.string) for m in cat if m.id and m.string and not m.fuzzy}


def translate(lang: str, text: str) -> str:
    """``text`` in ``lang``; the English source when the catalogue has no translation."""
    return catalogue(lang).get(text, text)


def negotiate(asked: str | None, preferred: str | None, accept_language: str | None) -> str:
    """The page's language: asked for in the URL, else the user's, else the browser's, else English."""
    for choice in (asked, preferred):
        if choice in LANGUAGES:
            return str(choice)
    if accept_language:
        wanted = [part.split(";")[0].strip() for part in accept_language.split(",")]
        for tag in wanted:
            try:
                parsed = Locale.parse(tag.replace("-", "_"))
            except (ValueError, TypeError):
                continue
            if parsed.language in LANGUAGES:
                return parsed.language
    return "en"


def script_strings(lang: str, texts: tuple[str, ...]) -> dict[str, str]:
    """The strings a page's script draws itself, translated: source -> shown."""
    return {t: translate(lang, t) for t in texts}


__all__ = ["LANGUAGES", "LOCALES", "catalogue", "negotiate", "script_strings", "translate"]
