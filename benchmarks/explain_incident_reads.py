"""EXPLAIN the list and OGC queries as pingan builds them, and time them (two runs)."""

import datetime as dt
import sys
import time

from sqlalchemy import func, select, text

from pingan.api import ogc
from pingan.auth.service import Principal
from pingan.incidents import service
from pingan.incidents.models import Incident
from pingan.store.engine import make_engine

url = sys.argv[1]
offset = int(sys.argv[2]) if len(sys.argv) > 2 else 0
eng = make_engine(url)
with eng.connect() as c:
    jp = c.execute(
        text("select path from jurisdictions where level='station' order by id limit 1")
    ).scalar()
    cell = c.execute(
        text("select path from jurisdictions where level='cell' order by id limit 1")
    ).scalar()
print("station", jp, "cell", cell)


def principal(path: str) -> Principal:
    return Principal(user_id=1, username="x", role="admin", jpath=path, jurisdiction_id=None)


tz = dt.timezone(dt.timedelta(hours=8))
day = (dt.datetime(2026, 3, 1, tzinfo=tz), dt.datetime(2026, 3, 2, tzinfo=tz))
small = (102.70, 25.02, 102.71, 25.03)
city = (102.5, 24.9, 102.9, 25.2)
cases = {
    "list bureau": (principal("/"), {}),
    "list station": (principal(jp), {}),
    "list cell": (principal(cell), {}),
    "list bureau state=dispatched": (principal("/"), {"state": "dispatched"}),
    "list bureau state=closed": (principal("/"), {"state": "closed"}),
    "list station state=closed": (principal(jp), {"state": "closed"}),
    "list cell state=closed": (principal(cell), {"state": "closed"}),
    "list station since/until": (principal(jp), {"since": day[0], "until": day[1]}),
    "ogc bureau": (principal("/"), {"ogc": True}),
    "ogc small bbox": (principal("/"), {"ogc": True, "bbox": small}),
    "ogc city bbox": (principal("/"), {"ogc": True, "bbox": city}),
    "ogc day": (principal("/"), {"ogc": True, "when": day}),
    "ogc station city bbox + day": (principal(jp), {"ogc": True, "bbox": city, "when": day}),
    "ogc station small bbox": (principal(jp), {"ogc": True, "bbox": small}),
}
sqlite = url.startswith("sqlite")
explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN (COSTS OFF) "
C = ogc.COLLECTIONS["incidents"]


def q_for(p, f, plan):
    f = dict(f)
    if f.pop("ogc", False):
        q = ogc._query(C, p, f.get("bbox"), f.get("when"), plan=plan)
        return q.order_by(Incident.reported_at.desc(), Incident.id.desc()) if plan != "count" else q
    return service.list_query(p, plan=plan, **f)


def run(sql):
    with eng.connect() as conn:
        ts = []
        for _ in range(2):
            t = time.perf_counter()
            conn.execute(text(sql)).fetchall()
            ts.append((time.perf_counter() - t) * 1000)
        plan = conn.execute(text(explain + sql)).fetchall()
    return ts, plan


for name, (p, f) in cases.items():
    cq = select(func.count()).select_from(q_for(p, f, "count").order_by(None).subquery())
    sql = str(cq.compile(eng, compile_kwargs={"literal_binds": True}))
    ts, plan = run(sql)
    with eng.connect() as conn:
        total = conn.execute(text(sql)).scalar()
    print(f"--- {name}: count={total} {ts[0]:.1f}/{ts[1]:.1f} ms")
    for r in plan:
        print("      ", r[-1] if sqlite else r[0])
    mode = "wide" if total > service.NARROW_ROWS else "narrow"
    pq = q_for(p, f, mode).limit(100).offset(offset)
    sql = str(pq.compile(eng, compile_kwargs={"literal_binds": True}))
    ts, plan = run(sql)
    print(f"    page ({mode}) {ts[0]:.1f}/{ts[1]:.1f} ms")
    for r in plan:
        print("      ", r[-1] if sqlite else r[0])
