"""The criteria set of the star ratings: the packaged ``criteria.yaml`` or the file named by
``PINGAN_RATING_CRITERIA``, checked when loaded (every message names the key and the fix)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from pingan.config import get_settings
from pingan.errors import Invalid
from pingan.ratings.scoring import ITEM_TYPES, Criteria, Item

__all__ = ["COLOURS", "DEFAULT_FILE", "get_criteria", "load_criteria", "parse_criteria"]

DEFAULT_FILE = Path(__file__).with_name("criteria.yaml")
COLOURS = ("red", "yellow", "green")


def _num(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Invalid("criteria", f"{where}: expected a number, got {value!r}")
    return float(value)


def parse_criteria(doc: Any, *, source: str = "criteria") -> Criteria:
    """A ``Criteria`` from a parsed YAML document; ``Invalid`` naming the bad key otherwise."""
    if not isinstance(doc, dict):
        raise Invalid("criteria", f"{source}: expected a mapping at the top")
    version = doc.get("version")
    if not isinstance(version, str | int | float) or not str(version).strip():
        raise Invalid("criteria", f"{source}: version: give the criteria a version string")
    raw_items = doc.get("items")
    if not isinstance(raw_items, dict) or not raw_items:
        raise Invalid("criteria", f"{source}: items: expected a mapping of item codes")
    items = []
    for code, spec in raw_items.items():
        if not isinstance(spec, dict) or spec.get("type") not in ITEM_TYPES:
            raise Invalid(
                "criteria", f"{source}: items.{code}.type: use one of {', '.join(ITEM_TYPES)}"
            )
        items.append(
            Item(
                code=str(code),
                type=str(spec["type"]),
                label_zh=str(spec.get("label_zh", code)),
                label_en=str(spec.get("label_en", code)),
                full_at=int(_num(spec.get("full_at", 1), f"items.{code}.full_at")),
            )
        )
    codes = {i.code for i in items}
    raw_sets = doc.get("sets")
    if not isinstance(raw_sets, dict) or "default" not in raw_sets:
        raise Invalid("criteria", f"{source}: sets: give at least a `default` set")
    sets: dict[str, dict[str, float]] = {}
    for name, spec in raw_sets.items():
        if not isinstance(spec, dict) or not spec:
            raise Invalid("criteria", f"{source}: sets.{name}: expected item: points")
        for code in spec:
            if code not in codes:
                raise Invalid(
                    "criteria", f"{source}: sets.{name}.{code}: not an item; define it in items"
                )
        sets[str(name)] = {str(c): _num(v, f"sets.{name}.{c}") for c, v in spec.items()}
    raw_stars = doc.get("stars") or {}
    stars = {int(k): _num(v, f"stars.{k}") for k, v in dict(raw_stars).items()}
    if sorted(stars) != [1, 2, 3, 4, 5]:
        raise Invalid("criteria", f"{source}: stars: give a threshold for each of 1 to 5 stars")
    if any(stars[k] > stars[k + 1] for k in range(1, 5)):
        raise Invalid("criteria", f"{source}: stars: thresholds must not fall as stars rise")
    colours: dict[int, str] = {}
    for colour, ns in dict(doc.get("colours") or {}).items():
        if colour not in COLOURS:
            raise Invalid("criteria", f"{source}: colours.{colour}: use red, yellow or green")
        for n in ns:
            colours[int(n)] = str(colour)
    if sorted(colours) != [1, 2, 3, 4, 5]:
        raise Invalid("criteria", f"{source}: colours: give each of 1 to 5 stars one colour")

    def opt(key: str, default: float) -> float:
        return _num(doc.get(key, default), key)

    return Criteria(
        version=str(version),
        items=tuple(items),
        sets=sets,
        stars=stars,
        colours=colours,
        valid_days=int(opt("valid_days", 365)),
        camera_radius_m=opt("camera_radius_m", 50.0),
        incident_radius_m=opt("incident_radius_m", 100.0),
        incident_window_days=int(opt("incident_window_days", 365)),
        inspection_window_days=int(opt("inspection_window_days", 365)),
        hazard_radius_m=opt("hazard_radius_m", 100.0),
    )


def load_criteria(path: Path) -> Criteria:
    """Read and check a criteria file."""
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise Invalid("criteria", f"{path}: cannot read it ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        raise Invalid("criteria", f"{path}: not valid YAML ({exc})") from exc
    return parse_criteria(doc, source=str(path))


@lru_cache(maxsize=4)
def _cached(path: str, mtime_ns: int) -> Criteria:
    return load_criteria(Path(path))


def get_criteria() -> Criteria:
    """The criteria in force: ``PINGAN_RATING_CRITERIA`` or the packaged file (re-read when the
    file changes)."""
    path = get_settings().rating_criteria or DEFAULT_FILE
    try:
        mtime = path.stat().st_mtime_ns
    except OSError as exc:
        raise Invalid(
            "criteria", f"PINGAN_RATING_CRITERIA: {path} does not exist; fix the path"
        ) from exc
    return _cached(str(path), mtime)
