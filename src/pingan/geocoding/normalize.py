"""Search keys for the geocoder: one normalisation for stored names and typed queries.

A dispatcher types 「北京路88号」, 「北京88」, 「北京路８８号」 or 「京路88」 for one door
plate.
Both the stored names and the query go through :func:`search_key`, which

* folds full-width forms to ASCII and lower-cases (Unicode NFKC), so ``８８`` is ``88``;
* writes ``#`` as ``号`` (``88#`` is how door numbers are often typed);
* drops the junction words (``交叉口``, ``路口``), the road suffixes ``路``/``街``/``巷``, the
  connective ``与`` and spaces and punctuation.

Dropping characters is applied to both sides, so "the query is a substring of the name" survives
it: 「北京路88号」 → ``北京88号`` is found by ``北京88``, ``京88号`` or ``北京88``, and the road
「北京路」 → ``北京`` by 「北京」. The database triggers that index premises names apply the same
removals in SQL (:data:`SQL_REMOVALS`, migration ``0012_addresses``); only NFKC has no SQL
equivalent, so premises names should be stored in their ordinary (half-width) form.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Final

__all__ = ["MIN_INDEXED_CHARS", "SQL_REMOVALS", "search_key", "sql_key_expression"]

# multi-character words first, then single characters; the order matters (路口 before 路)
SQL_REMOVALS: Final[tuple[str, ...]] = (
    "交叉口",
    "路口",
    "路",
    "街",
    "巷",
    "与",
    " ",
    "·",
    "(",
    ")",
    "（",
    "）",
)
MIN_INDEXED_CHARS: Final[int] = 3  # trigram indexes answer substrings of 3 characters or more
_PUNCT: Final = re.compile(r"[\s,.;:!?，。、；：！？·•'\"“”‘’()（）\[\]【】<>《》{}_~]+")


_DROP: Final = str.maketrans({**dict.fromkeys([w for w in SQL_REMOVALS if len(w) == 1]), "#": "号"})


def search_key(text: str) -> str:
    """The search key of a name or a query (see the module docstring); may be empty."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    s = text.lower()
    if "口" in s:
        s = s.replace("交叉口", "").replace("路口", "")
    s = s.translate(_DROP)
    return _PUNCT.sub("", s) if _PUNCT.search(s) else s


def sql_key_expression(column: str) -> str:
    """The SQL (SQLite and PostgreSQL) computing the key of ``column`` without NFKC."""
    expr = f"lower({column})"
    for word in SQL_REMOVALS:
        expr = f"replace({expr}, '{word}', '')"
    return expr
