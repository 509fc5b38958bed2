"""The incident taxonomy: classes, subtypes and named groups, read from a YAML file.

The default file ships with pingan (``incidents/taxonomy.yaml``); a bureau points
``PINGAN_TAXONOMY_FILE`` at its own copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pingan.config import get_settings
from pingan.errors import Invalid

__all__ = ["DEFAULT_FILE", "Group", "Subtype", "Taxonomy", "get_taxonomy", "load_taxonomy"]

DEFAULT_FILE = Path(__file__).with_name("taxonomy.yaml")


@dataclass(frozen=True)
class Subtype:
    """One incident type with its class, names and default priority."""

    code: str
    klass: str
    name_zh: str
    name_en: str
    priority: int
    preventable: bool


@dataclass(frozen=True)
class Group:
    """A named group of subtypes, e.g. 两抢一盗, with an optional daily target."""

    code: str
    name_zh: str
    name_en: str
    subtypes: tuple[str, ...]
    daily_target: int | None


@dataclass(frozen=True)
class Taxonomy:
    """Classes, subtypes and groups."""

    classes: dict[str, tuple[str, str]]
    subtypes: dict[str, Subtype]
    groups: dict[str, Group]

    def subtype(self, code: str) -> Subtype:
        """The subtype ``code`` or ``Invalid`` naming the field ``subtype``."""
        try:
            return self.subtypes[code]
        except KeyError:
            raise Invalid(
                "subtype", f"unknown incident type {code!r}; see GET /api/v1/taxonomy for the list"
            ) from None

    def to_dict(self) -> dict[str, Any]:
        """JSON form for the API."""
        return {
            "classes": [
                {"code": c, "name_zh": z, "name_en": e} for c, (z, e) in self.classes.items()
            ],
            "subtypes": [s.__dict__ | {"class": s.klass} for s in self.subtypes.values()],
            "groups": [g.__dict__ | {"subtypes": list(g.subtypes)} for g in self.groups.values()],
        }


def load_taxonomy(path: Path) -> Taxonomy:
    """Read and check a taxonomy file; errors name the entry and the reason."""
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, dict) or not {"classes", "subtypes"} <= set(raw):
        raise ValueError(f"{path}: a taxonomy needs 'classes' and 'subtypes'")
    classes = {str(k): (str(v["zh"]), str(v["en"])) for k, v in raw["classes"].items()}
    subtypes: dict[str, Subtype] = {}
    for code, v in raw["subtypes"].items():
        if v["class"] not in classes:
            raise ValueError(f"{path}: subtype {code}: unknown class {v['class']!r}")
        prio = int(v.get("priority", 3))
        if not 1 <= prio <= 4:
            raise ValueError(f"{path}: subtype {code}: priority must be 1-4")
        subtypes[str(code)] = Subtype(
            str(code),
            str(v["class"]),
            str(v["zh"]),
            str(v["en"]),
            prio,
            bool(v.get("preventable", False)),
        )
    groups: dict[str, Group] = {}
    for code, v in (raw.get("groups") or {}).items():
        members = tuple(str(s) for s in v["subtypes"])
        missing = [s for s in members if s not in subtypes]
        if missing:
            raise ValueError(f"{path}: group {code}: unknown subtypes {missing}")
        target = v.get("daily_target")
        groups[str(code)] = Group(
            str(code), str(v["zh"]), str(v["en"]), members, None if target is None else int(target)
        )
    return Taxonomy(classes, subtypes, groups)


@lru_cache(maxsize=4)
def _cached(path: str) -> Taxonomy:
    return load_taxonomy(Path(path))


def get_taxonomy() -> Taxonomy:
    """The configured taxonomy (cached)."""
    path = get_settings().taxonomy_file or DEFAULT_FILE
    return _cached(str(path))
