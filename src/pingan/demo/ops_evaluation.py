"""Demo history for community-officer evaluation: the default scorecard stored (so that the
administrator can edit it), two years of quarterly resident-satisfaction survey results per grid
cell (aggregated counts only) and a year of premises inspections by the cells' officers.

Deterministic for a seed; bulk-loaded in the demo build's transaction; vectorised, well under a
second for the default city (3,000 cells, ~4,500 non-rental premises).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import Connection, select

from pingan.evaluation.periods import LOCAL_TZ, parse_period
from pingan.evaluation.scorecards import default_spec
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Premises
from pingan.store.bulk import bulk_insert, reset_sequence, timestamps_for

__all__ = ["load_evaluation"]

QUARTERS = 8
INSPECTION_DAYS = 365


def _quarter_of(d: dt.date) -> str:
    return f"{d.year}Q{(d.month - 1) // 3 + 1}"


def load_evaluation(
    conn: Connection, *, seed: int, now: dt.datetime | None = None
) -> dict[str, int]:
    """Insert the default scorecard, survey results and inspections; returns row counts."""
    rng = np.random.default_rng(seed + 7)
    now = now or dt.datetime.now(dt.UTC)
    now_s = int(now.timestamp())
    today = now.astimezone(LOCAL_TZ).date()
    counts: dict[str, int] = {}

    # ---- the default scorecard, stored
    spec = default_spec()
    ts = timestamps_for(conn, np.array([now_s], dtype=np.int64))[0]
    counts["evaluation_scorecards"] = bulk_insert(
        conn,
        "evaluation_scorecards",
        (
            "id", "code", "name_zh", "name_en", "period_kind", "jurisdiction_id", "jpath",
            "achievement_cap", "active", "description", "created_at", "updated_at",
        ),
        [
            (
                1, spec.code, spec.name_zh, spec.name_en, spec.period_kind, None, "/",
                spec.achievement_cap, True, "default_scorecard.yaml", ts, ts,
            )
        ],
    )  # fmt: skip
    counts["evaluation_indicators"] = bulk_insert(
        conn,
        "evaluation_indicators",
        (
            "id", "scorecard_id", "position", "code", "name_zh", "name_en", "source", "weight",
            "target", "direction",
        ),
        [
            (k + 1, 1, k, i.code, i.name_zh, i.name_en, i.source, i.weight, i.target, i.direction)
            for k, i in enumerate(spec.indicators)
        ],
    )  # fmt: skip
    reset_sequence(conn, "evaluation_scorecards")
    reset_sequence(conn, "evaluation_indicators")

    # ---- quarterly survey results per cell: a cell effect, a slow improvement, binomial noise
    cells = conn.execute(
        select(Jurisdiction.id, Jurisdiction.path).where(Jurisdiction.level == "cell")
    ).all()
    n = len(cells)
    cell_ids = np.array([c[0] for c in cells], dtype=np.int64)
    quarters = [parse_period(_quarter_of(today)).shift(-k) for k in range(QUARTERS - 1, -1, -1)]
    effect = rng.normal(0.0, 0.55, n)
    rows: list[tuple[Any, ...]] = []
    sid = 0
    created = timestamps_for(
        conn, np.array([int(min(q.end, now).timestamp()) - 86_400 for q in quarters], np.int64)
    )
    for qi, q in enumerate(quarters):
        if q.first > today:
            continue
        base = 1.75 + 0.05 * qi  # logit of ~85% rising to ~89%
        p = 1.0 / (1.0 + np.exp(-(base + effect + rng.normal(0, 0.25, n))))
        resp = rng.integers(20, 61, n)
        sat = rng.binomial(resp, p)
        method = rng.choice(["visit", "phone", "mixed"], n, p=[0.6, 0.3, 0.1])
        for k in range(n):
            sid += 1
            rows.append(
                (
                    sid, int(cell_ids[k]), cells[k][1], q.first.isoformat(), q.last.isoformat(),
                    int(resp[k]), int(sat[k]), str(method[k]), "", None, created[qi],
                )
            )  # fmt: skip
    counts["satisfaction_surveys"] = bulk_insert(
        conn,
        "satisfaction_surveys",
        (
            "id", "cell_id", "jpath", "period_start", "period_end", "respondents", "satisfied",
            "method", "note", "recorded_by_id", "created_at",
        ),
        rows,
    )  # fmt: skip
    reset_sequence(conn, "satisfaction_surveys")

    # ---- inspections: each non-rental premises about once a quarter, more for schools etc.
    owner = {
        int(i): (int(o) if o is not None else None)
        for i, o in conn.execute(
            select(Jurisdiction.id, Jurisdiction.owner_id).where(Jurisdiction.level == "cell")
        )
    }
    prem = conn.execute(
        select(Premises.id, Premises.kind, Premises.jpath, Premises.jurisdiction_id).where(
            Premises.kind != "rental_house"
        )
    ).all()
    m = len(prem)
    rate = np.array(
        [
            4.0 if r[1] in ("school", "hospital", "entertainment_venue", "hotel") else 3.0
            for r in prem
        ]
    )
    diligence = np.exp(rng.normal(0, 0.35, m))  # some cells are visited more than others
    k_per = rng.poisson(rate * diligence * INSPECTION_DAYS / 365.0)
    total = int(k_per.sum())
    which = np.repeat(np.arange(m), k_per)
    at_s = now_s - rng.integers(3_600, INSPECTION_DAYS * 86_400, total)
    outcome = rng.choice(["ok", "issues_found", "rectified"], total, p=[0.82, 0.12, 0.06])
    at_txt = timestamps_for(conn, at_s.astype(np.int64))
    irows = (
        (
            j + 1,
            int(prem[int(w)][0]),
            prem[int(w)][2],
            owner.get(int(prem[int(w)][3])),
            at_txt[j],
            str(outcome[j]),
            "",
            at_txt[j],
        )
        for j, w in enumerate(which.tolist())
    )
    counts["premises_inspections"] = bulk_insert(
        conn,
        "premises_inspections",
        (
            "id",
            "premises_id",
            "jpath",
            "officer_id",
            "inspected_at",
            "outcome",
            "note",
            "created_at",
        ),
        irows,
    )
    reset_sequence(conn, "premises_inspections")
    return counts
