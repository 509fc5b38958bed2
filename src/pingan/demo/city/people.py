"""The demo users: admins, commanders, dispatchers, chiefs, officers and analysts."""

from __future__ import annotations

import numpy as np

from pingan.demo import names as nm
from pingan.demo.city.common import BUREAU_CODE
from pingan.demo.city.model import Area, Person


def _people(
    rng: np.random.Generator, districts: list[Area], stations: list[Area], communities: list[Area]
) -> list[Person]:
    n = 2 + 1 + len(districts) + 12 + len(stations) + len(communities) + 6 + len(districts)
    pn = nm.person_names(rng, n)
    it = iter(pn)
    out: list[Person] = []

    def add(user: str, role: str, jur: str) -> None:
        zh, en = next(it)
        out.append(Person(user, zh, en, role, jur))

    add("admin", "admin", BUREAU_CODE)
    add("admin_02", "admin", BUREAU_CODE)
    add("commander", "commander", BUREAU_CODE)
    for d in districts:
        add(f"commander_{d.code}", "commander", d.code)
    for i in range(12):
        add(f"dispatcher_{i + 1:02d}", "dispatcher", BUREAU_CODE)
    for s in stations:
        add(f"chief_{s.code}", "station_chief", s.code)
    for c, com in enumerate(communities):
        add(f"officer_{c + 1:04d}", "community_officer", com.code)
    for i in range(6):
        add(f"analyst_{i + 1:02d}", "analyst", BUREAU_CODE)
    for d in districts:
        add(f"analyst_{d.code}", "analyst", d.code)
    return out
