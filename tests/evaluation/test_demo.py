"""The demo's evaluation history: a stored default card, survey results, inspections."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from pingan.demo.ops_evaluation import load_evaluation
from pingan.evaluation import figures, scorecards
from pingan.evaluation.models import PremisesInspection, SatisfactionSurvey
from pingan.evaluation.periods import parse_period
from pingan.places.models import Premises
from tests.factories import SmallCity

NOW = dt.datetime(2026, 11, 15, tzinfo=dt.UTC)


def test_demo_history_is_scored(session: Session, city: SmallCity) -> None:
    lon, lat = city.cell_center(0)
    for k in range(20):
        session.add(
            Premises(
                code=f"DP{k}", kind="school", name=f"学校{k}", lon=lon, lat=lat,
                jurisdiction_id=city.cells[k % 16].id, jpath=city.cells[k % 16].path,
            )
        )  # fmt: skip
    session.flush()
    counts = load_evaluation(session.connection(), seed=1, now=NOW)
    assert counts["evaluation_scorecards"] == 1 and counts["evaluation_indicators"] == 9
    assert counts["satisfaction_surveys"] == 16 * 8  # 8 quarters up to the current one
    assert counts["premises_inspections"] == session.scalar(
        select(func.count()).select_from(PremisesInspection)
    )
    surveys = session.scalars(select(SatisfactionSurvey)).all()
    assert all(0 <= s.satisfied <= s.respondents for s in surveys)
    spec = scorecards.resolve_spec(
        session,
        principal=None,
        scorecard_id=None,
        jpath="/",  # type: ignore[arg-type]
    )
    assert spec.id is not None and [i.code for i in spec.indicators] == [
        i.code for i in scorecards.default_spec().indicators
    ]
    out = figures.compute(
        session, spec=spec, period=parse_period("2026Q3"), levels=("cell",), jpath="/", now=NOW
    )["cell"]
    j = [i.code for i in spec.indicators].index("satisfaction")
    assert (out.value[:, j] > 0.5).all()
