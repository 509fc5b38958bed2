"""The entities a card is computed for, loaded once per computation: officers, grid cells,
communities and stations in a scope, with the maps between them (a cell's owning officer, an
officer's home jurisdiction)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.jurisdictions.models import Jurisdiction

__all__ = [
    "LEVELS",
    "Entities",
    "Geography",
    "load_geography",
]

LEVELS: tuple[str, ...] = ("officer", "cell", "community", "station")
F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


@dataclass
class Entities:
    """The entities of one level in scope: ids, codes, names, paths and the parent's name."""

    ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    names_zh: list[str] = field(default_factory=list)
    names_en: list[str] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    parent_zh: list[str] = field(default_factory=list)
    parent_en: list[str] = field(default_factory=list)
    index: dict[int, int] = field(default_factory=dict)

    def add(self, id_: int, code: str, zh: str, en: str, path: str, pzh: str, pen: str) -> None:
        self.index[id_] = len(self.ids)
        self.ids.append(id_)
        self.codes.append(code)
        self.names_zh.append(zh)
        self.names_en.append(en)
        self.paths.append(path)
        self.parent_zh.append(pzh)
        self.parent_en.append(pen)

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class Geography:
    """Stations, communities, cells and officers in a scope, and how they nest."""

    jpath: str
    levels: dict[str, Entities]
    cell_owner: I64  # cell index -> officer index (-1 none)
    officer_home: dict[str, I64]  # level -> officer index -> entity index (-1 none)
    level_of_id: dict[int, tuple[str, int]]
    _jp_cache: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def locate(self, jpath: str | None) -> tuple[int, int, int]:
        """(station, community, cell) indices of a row's path (-1 where it has none)."""
        if jpath is None:
            return (-1, -1, -1)
        hit = self._jp_cache.get(jpath)
        if hit is not None:
            return hit
        out = [-1, -1, -1]
        for part in jpath.strip("/").split("/"):
            if not part:
                continue
            lv = self.level_of_id.get(int(part))
            if lv is not None:
                out[("station", "community", "cell").index(lv[0])] = lv[1]
        res = (out[0], out[1], out[2])
        self._jp_cache[jpath] = res
        return res


def load_geography(session: Session, *, jpath: str, officer_id: int | None = None) -> Geography:
    """Load the entities inside ``jpath``; ``officer_id`` keeps only that officer (the
    community officer's own card)."""
    J = Jurisdiction
    q = select(J.id, J.level, J.path, J.code, J.name_zh, J.name_en, J.owner_id, J.parent_id).where(
        J.level.in_(("station", "community", "cell"))
    )
    if jpath != "/":
        q = q.where(J.path.startswith(jpath, autoescape=True))
    rows = session.execute(q.order_by(J.path)).all()
    names = {
        int(i): (str(z), str(e))
        for i, z, e in session.execute(
            select(J.id, J.name_zh, J.name_en).where(
                J.level.in_(("district", "station", "community"))
            )
        )
    }
    levels = {lv: Entities() for lv in LEVELS}
    level_of: dict[int, tuple[str, int]] = {}
    owner_of_cell: list[int | None] = []
    for r in sorted(rows, key=lambda r: ("station", "community", "cell").index(r.level)):
        pz, pe = names.get(int(r.parent_id or 0), ("", ""))
        ents = levels[r.level]
        level_of[int(r.id)] = (r.level, len(ents))
        ents.add(int(r.id), r.code, r.name_zh, r.name_en, r.path, pz, pe)
        if r.level == "cell":
            owner_of_cell.append(r.owner_id)
    owners = {int(o) for o in owner_of_cell if o is not None}
    uq = select(User.id, User.username, User.display_name, User.jurisdiction_id).where(
        or_(User.id.in_(owners or {-1}), User.role == "community_officer")
    )
    officers = []
    paths = {int(i): str(p) for i, p in session.execute(select(J.id, J.path))}
    for uid, uname, dname, jid in session.execute(uq.order_by(User.username)):
        home = paths.get(int(jid)) if jid is not None else None
        if int(uid) not in owners and (home is None or not home.startswith(jpath)):
            continue
        if officer_id is not None and int(uid) != officer_id:
            continue
        officers.append((int(uid), str(uname), str(dname), home))
    geo = Geography(jpath, levels, np.zeros(0, np.int64), {}, level_of)
    off = levels["officer"]
    for uid, uname, dname, home in officers:
        _s, c, _x = geo.locate(home)
        pz = levels["community"].names_zh[c] if c >= 0 else ""
        pe = levels["community"].names_en[c] if c >= 0 else ""
        off.add(uid, uname, dname, dname, home or "/", pz, pe)
    geo.cell_owner = np.array(
        [off.index.get(int(o), -1) if o is not None else -1 for o in owner_of_cell],
        dtype=np.int64,
    )
    home_st = np.full(len(off), -1, np.int64)
    home_co = np.full(len(off), -1, np.int64)
    for k, (_uid, _u, _d, home) in enumerate(officers):
        s, c, _x = geo.locate(home)
        home_st[k], home_co[k] = s, c
    # an officer whose own jurisdiction is above a community: the community of his first cell
    for cell_idx in np.flatnonzero(geo.cell_owner >= 0):
        k = int(geo.cell_owner[cell_idx])
        if home_co[k] < 0 or home_st[k] < 0:
            s, c, _x = geo.locate(levels["cell"].paths[int(cell_idx)])
            home_co[k] = home_co[k] if home_co[k] >= 0 else c
            home_st[k] = home_st[k] if home_st[k] >= 0 else s
    geo.officer_home = {"station": home_st, "community": home_co}
    return geo
