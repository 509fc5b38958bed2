"""Kinds of premises: the one list, shared by the model, the API schemas, the task targets and
the demo city. No database imports, so a generator or a kernel may use it."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["PREMISES_KINDS", "PremisesKind"]

PremisesKind = Literal[
    "residential_compound",
    "school",
    "hospital",
    "market",
    "mall",
    "hotel",
    "bank",
    "gas_station",
    "metro_station",
    "bus_station",
    "entertainment_venue",
    "business",
    "rental_house",
    "stadium",
    "other",
]
PREMISES_KINDS: tuple[str, ...] = get_args(PremisesKind)
