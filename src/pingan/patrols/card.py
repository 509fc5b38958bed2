"""The printable patrol card (巡逻卡) of one unit's item: who, when, the stops with their times
and dwell, and a sketch of the route; A5 HTML printed to PDF by headless Chromium, as the
weekly briefing and the premises signs are."""

from __future__ import annotations

import datetime as dt
import html
import json
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pingan.auth.models import User
from pingan.config import get_settings
from pingan.jurisdictions.models import Jurisdiction
from pingan.patrols.models import BLOCKS, PatrolItem, PatrolPlan
from pingan.resources.models import Resource

__all__ = ["card_html", "card_pdf"]

_MODE = {"foot": "步巡", "car": "车巡", "drone": "无人机空巡"}
_NONE = '<tr><td colspan="6">无</td></tr>'
_KIND = {"point": "点（岗位）", "line": "线（路线）", "area": "面（网格）"}


def _sketch(coords: list[list[float]]) -> str:
    if len(coords) < 2:
        return ""
    xs = [c[0] for c in coords]
    ys = [c[1] for c in coords]
    w, e, s, n = min(xs), max(xs), min(ys), max(ys)
    span = max(e - w, n - s, 1e-6)
    pts = " ".join(
        f"{10 + 180 * (x - w) / span:.1f},{190 - 180 * (y - s) / span:.1f}" for x, y in coords
    )
    dots = "".join(
        f'<circle cx="{10 + 180 * (x - w) / span:.1f}" cy="{190 - 180 * (y - s) / span:.1f}" '
        f'r="{4 if k == 0 else 3}" fill="{"#0b3d91" if k == 0 else "#c62828"}"/>'
        for k, (x, y) in enumerate(coords[:-1])
    )
    return (
        '<svg viewBox="0 0 200 200" width="200" height="200" class="sketch">'
        f'<polyline points="{pts}" fill="none" stroke="#0b3d91" stroke-width="2"/>{dots}</svg>'
    )


def card_html(session: Session, item: PatrolItem, plan: PatrolPlan) -> str:
    """The card as a self-contained HTML page (zh-CN)."""
    e = html.escape
    z = ZoneInfo(get_settings().timezone)
    st = session.get(Jurisdiction, plan.station_id)
    unit = session.get(Resource, item.resource_id) if item.resource_id else None
    officer = session.get(User, item.officer_id) if item.officer_id else None
    start = plan.starts_at.astimezone(z)
    h0, h1 = BLOCKS[plan.block]
    stops = json.loads(item.stops)
    rows = []
    for k, s in enumerate(stops, 1):
        at = start + dt.timedelta(seconds=float(s["arrive_s"]))
        leave = at + dt.timedelta(seconds=float(s["dwell_s"]))
        rows.append(
            f"<tr><td>{k}</td><td>{at:%H:%M}</td><td>{leave:%H:%M}</td>"
            f"<td>{float(s['dwell_s']) / 60:.0f} 分钟</td>"
            f"<td>{float(s['lon']):.5f}, {float(s['lat']):.5f}</td>"
            f"<td>{float(s.get('prize', 0)):.2f}</td></tr>"
        )
    geom = json.loads(item.geometry)
    coords = geom.get("coordinates", []) if geom.get("type") == "LineString" else []
    sector = f"<p>无人机作业半径 {item.range_m / 1000:.1f} 公里。</p>" if item.range_m else ""
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>巡逻卡 {e(item.label)}</title><style>
@page {{ size: A5; margin: 10mm }}
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 11pt; color:#111 }}
h1 {{ font-size: 16pt; margin: 0 0 4mm }} table {{ border-collapse: collapse; width: 100% }}
td, th {{ border: 1px solid #999; padding: 1.5mm; font-size: 9.5pt; text-align: left }}
.meta td {{ border: none; padding: 0.8mm 2mm 0.8mm 0 }} .sketch {{ float: right }}
.foot {{ margin-top: 4mm; font-size: 9pt; color: #444 }}
</style></head><body>
<h1>巡逻卡 · {e(_MODE.get(item.mode, item.mode))}</h1>
{_sketch(coords)}
<table class="meta">
<tr><td>派出所</td><td>{e(st.name_zh if st else "")}</td></tr>
<tr><td>日期时段</td><td>{plan.day:%Y-%m-%d} {h0:02d}:00–{h1:02d}:00</td></tr>
<tr><td>类型</td><td>{e(_KIND.get(item.kind, item.kind))}</td></tr>
<tr><td>警力</td><td>{e(unit.name_zh if unit else "—")} {e(unit.code if unit else "")}</td></tr>
<tr><td>民警</td><td>{e(officer.display_name if officer else "—")}</td></tr>
<tr><td>总时长</td><td>{item.duration_s / 60:.0f} 分钟（路程加停留）</td></tr>
</table>{sector}
<table><thead><tr><th>#</th><th>到达</th><th>离开</th><th>停留</th><th>位置（WGS-84）</th>
<th>预计警情</th></tr></thead><tbody>{"".join(rows) or _NONE}</tbody></table>
<p class="foot">计划 #{plan.id} · 状态 {"已发布" if plan.status == "published" else "草稿"} ·
到点后停留至离开时间；遇警情按指挥中心指令处置，处置后回到下一个点位。</p>
</body></html>"""


def card_pdf(session: Session, item: PatrolItem, plan: PatrolPlan) -> bytes:
    """The card as PDF bytes."""
    from pingan.crime_analysis.report import print_pdf

    page = card_html(session, item, plan)
    with tempfile.TemporaryDirectory(prefix="pingan-card-") as tmp:
        src, out = Path(tmp) / "card.html", Path(tmp) / "card.pdf"
        src.write_text(page, encoding="utf-8")
        print_pdf(src, out)
        return out.read_bytes()
