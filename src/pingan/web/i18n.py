"""Translations: every ``i18n/*.<lang>.json`` file is merged per language (zh-CN default)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

__all__ = ["LANGUAGES", "messages", "translator"]

LANGUAGES = ("zh-CN", "en")
I18N_DIR = Path(__file__).with_name("i18n")


@lru_cache(maxsize=4)
def messages(lang: str) -> dict[str, str]:
    """All messages of ``lang`` (files sorted by name; later files add keys)."""
    if lang not in LANGUAGES:
        lang = LANGUAGES[0]
    out: dict[str, str] = {}
    for path in sorted(I18N_DIR.glob(f"*.{lang}.json")):
        out.update(json.loads(path.read_text(encoding="utf-8")))
    return out


def translator(lang: str):  # type: ignore[no-untyped-def]
    """A ``t(key, **fmt)`` function for templates; unknown keys fall back to zh-CN, then the key."""
    own, base = messages(lang), messages(LANGUAGES[0])

    def t(key: str, **fmt: object) -> str:
        text = own.get(key) or base.get(key) or key
        return text.format(**fmt) if fmt else text

    return t
