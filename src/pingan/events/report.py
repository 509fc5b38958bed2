"""The after-action report of an event as an A4 page (zh-CN), printed to PDF by headless
Chromium as the weekly briefing is."""

from __future__ import annotations

import html
import tempfile
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from pingan.auth.service import Principal
from pingan.config import get_settings
from pingan.events import service
from pingan.events.models import Event

__all__ = ["report_html", "report_pdf"]

_SHIFT = {"arrival": "入场", "event": "活动中", "dispersal": "散场"}
_KIND = {"match": "赛事", "concert": "演唱会", "exam": "考试", "festival": "节庆活动"}


def report_html(session: Session, *, principal: Principal, event: Event) -> str:
    """The report page."""
    e = html.escape
    z = ZoneInfo(get_settings().timezone)
    r = service.report(session, principal=principal, event=event)
    head = "".join(f"<th>{e(h)}</th>" for h in r.hours)
    rows = "".join(
        f"<tr><td>{e(row['zone'])}</td>"
        + "".join(f"<td>{c or ''}</td>" for c in row["counts"])
        + f"<td><b>{sum(row['counts'])}</b></td></tr>"
        for row in r.by_zone_hour
    )
    staff = "".join(
        f"<tr><td>{_SHIFT.get(s['shift'], s['shift'])}</td><td>{s['posts']}</td>"
        f"<td>{s['assigned']}</td><td>{s['staffed']}</td><td>{s['officers_needed']}</td></tr>"
        for s in r.staffing
    )
    rs = r.response
    med = "—" if rs["median_s"] is None else f"{rs['median_s'] / 60:.1f} 分钟"
    p90 = "—" if rs["p90_s"] is None else f"{rs['p90_s'] / 60:.1f} 分钟"
    issues = "".join(f"<li>{e(i)}</li>" for i in r.issues_zh) or "<li>无</li>"
    when = (
        f"{event.arrival_at.astimezone(z):%Y-%m-%d %H:%M} – "
        f"{event.dispersal_until.astimezone(z):%H:%M}"
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>安保工作总结 {e(event.name)}</title><style>
@page {{ size: A4; margin: 14mm }}
body {{ font-family: "Noto Sans CJK SC", "Noto Sans SC", sans-serif; font-size: 10.5pt }}
h1 {{ font-size: 17pt; margin: 0 0 2mm }} h2 {{ font-size: 12.5pt; margin: 6mm 0 2mm }}
table {{ border-collapse: collapse; width: 100% }}
td, th {{ border: 1px solid #999; padding: 1.2mm; font-size: 8.5pt; text-align: center }}
.meta {{ color: #333 }}
</style></head><body>
<h1>{e(event.name)} · 安保工作总结</h1>
<p class="meta">{_KIND.get(event.kind, event.kind)} · 预计人数 {event.expected_crowd:,} · {when}</p>
<h2>一、警情分布（按区域、按小时）</h2>
<table><thead><tr><th>区域</th>{head}<th>合计</th></tr></thead><tbody>{rows}</tbody></table>
<p>共 {r.incidents} 起警情。</p>
<h2>二、处警时间</h2>
<p>到场 {rs["n"]} 起：中位数 {med}，90% 分位 {p90}，超过5分钟 {rs["over_300_s"]} 起。</p>
<h2>三、警力到岗（计划与实际）</h2>
<table><thead><tr><th>班次</th><th>岗位</th><th>已分配</th><th>已到岗</th><th>需警力（人）</th></tr></thead>
<tbody>{staff}</tbody></table>
<p>事前检查完成 {r.checks_done} / {r.checks_total} 项；指挥日志 {r.log_entries} 条。</p>
<h2>四、存在问题</h2><ul>{issues}</ul>
</body></html>"""


def report_pdf(session: Session, *, principal: Principal, event: Event) -> bytes:
    """The report as A4 PDF bytes."""
    from pingan.crime_analysis.report import print_pdf

    page = report_html(session, principal=principal, event=event)
    with tempfile.TemporaryDirectory(prefix="pingan-event-") as tmp:
        src, out = Path(tmp) / "report.html", Path(tmp) / "report.pdf"
        src.write_text(page, encoding="utf-8")
        print_pdf(src, out)
        return out.read_bytes()
