"""The weekly briefing for a bureau chief: one self-contained HTML page (no scripts, no external
files: charts are inline SVG) that prints to PDF with headless Chromium."""

from __future__ import annotations

import datetime as dt
import html
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from pingan.alerts.models import EarlyWarning
from pingan.auth.service import Principal, scope_clause
from pingan.crime_analysis import data, service
from pingan.crime_analysis.flows import as_of_of
from pingan.errors import Invalid
from pingan.incidents.taxonomy import get_taxonomy
from pingan.store.engine import unit_of_work

__all__ = ["print_pdf", "weekly_briefing"]

CSS = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:24px;color:#1b2430}
h1{font-size:22px;border-bottom:3px solid #0b3d91;padding-bottom:6px}h2{font-size:17px;
color:#0b3d91;margin-top:26px}table{border-collapse:collapse;font-size:12px;width:100%}
th,td{border:1px solid #c9d2e0;padding:3px 6px;text-align:right}th{background:#eef2f8}
td:first-child,th:first-child{text-align:left}.up{color:#b3261e}.down{color:#1e7b34}
.sig{font-weight:bold}.note{font-size:11px;color:#5a6677}.warn{border-left:4px solid #b3261e;
padding:4px 8px;margin:6px 0;background:#fdf3f2;font-size:12px}
"""


def _bars(labels: list[str], a: list[int], b: list[int], *, la: str, lb: str) -> str:
    w, h, pad = 640, 220, 30
    n = max(1, len(labels))
    top = max([1, *a, *b])
    bw = (w - 2 * pad) / n / 2.4
    parts = [f'<svg width="{w}" height="{h + 40}" xmlns="http://www.w3.org/2000/svg">']
    for i, lab in enumerate(labels):
        x = pad + i * (w - 2 * pad) / n
        for j, (val, col) in enumerate(((b[i], "#9fb3d1"), (a[i], "#0b3d91"))):
            bh = (h - pad) * val / top
            parts.append(
                f'<rect x="{x + j * bw:.1f}" y="{h - bh:.1f}" width="{bw:.1f}" '
                f'height="{bh:.1f}" fill="{col}"/>'
            )
        parts.append(f'<text x="{x:.1f}" y="{h + 14}" font-size="10">{html.escape(lab)}</text>')
    parts.append(
        f'<rect x="{w - 200}" y="4" width="10" height="10" fill="#0b3d91"/><text '
        f'x="{w - 186}" y="13" font-size="11">{html.escape(la)}</text>'
        f'<rect x="{w - 100}" y="4" width="10" height="10" fill="#9fb3d1"/><text '
        f'x="{w - 86}" y="13" font-size="11">{html.escape(lb)}</text></svg>'
    )
    return "".join(parts)


def _heat(matrix: list[list[int]]) -> str:
    m = np.asarray(matrix, dtype=float)
    if m.shape[0] == 24:
        m = m.T
    top = m.max() or 1.0
    days = ["一", "二", "三", "四", "五", "六", "日"]
    cw, ch = 24, 18
    parts = [
        f'<svg width="{60 + 24 * cw}" height="{30 + 7 * ch}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for d in range(m.shape[0]):
        parts.append(f'<text x="4" y="{26 + d * ch + 12}" font-size="11">周{days[d]}</text>')
        for hr in range(m.shape[1]):
            v = m[d, hr] / top
            col = f"rgb({int(255 - 200 * v)},{int(255 - 170 * v)},{int(255 - 60 * v)})"
            parts.append(
                f'<rect x="{40 + hr * cw}" y="{26 + d * ch}" width="{cw - 1}" '
                f'height="{ch - 1}" fill="{col}"><title>{int(m[d, hr])}</title></rect>'
            )
    for hr in range(0, 24, 3):
        parts.append(f'<text x="{40 + hr * cw}" y="20" font-size="10">{hr:02d}时</text>')
    parts.append("</svg>")
    return "".join(parts)


def weekly_briefing(principal: Principal, *, until: dt.datetime | None = None) -> str:
    """Render the briefing for the week ending the day before ``until`` (default: today)."""
    end = until or dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    tax = get_taxonomy()
    with unit_of_work(write=False) as s:
        # back to 1 January of last year (a day early for the local zone), so that the
        # year-to-date comparison has the whole of last year's same period
        since = min(
            end - dt.timedelta(days=400),
            dt.datetime(end.year - 1, 1, 1, tzinfo=dt.UTC) - dt.timedelta(days=1),
        )
        frame = data.load_incidents(s, principal=principal, since=since, until=end)
        if len(frame) == 0:
            raise Invalid("selection", "no incidents in the year before the briefing date")
        as_of = as_of_of(frame)
        tr = service.trends(s, frame, period="week", by="group", as_of=as_of)
        cls = service.trends(s, frame, period="week", by="class", as_of=as_of)
        recent = data.load_incidents(
            s, principal=principal, since=end - dt.timedelta(days=28), until=end
        )
        hs = service.hotspots(s, recent) if len(recent) >= 3 else None
        warns = s.scalars(
            select(EarlyWarning)
            .where(
                scope_clause(principal, EarlyWarning.jpath),
                EarlyWarning.created_at >= end - dt.timedelta(days=7),
            )
            .order_by(EarlyWarning.severity, EarlyWarning.created_at.desc())
            .limit(20)
        ).all()
    names = {g.code: g.name_zh for g in tax.groups.values()}
    names |= {c: z for c, (z, _e) in tax.classes.items()}

    def rows(out: dict[str, Any]) -> str:
        body = []
        for r in out["compstat"]:
            cells = [f"<td>{html.escape(names.get(r['group'], r['group']))}</td>"]
            for k in ("week", "days28", "ytd"):
                t = r.get(k)
                if t is None:
                    cells.append("<td></td><td></td>")
                    continue
                pct = t["change_pct"]
                cl = "" if pct is None else ("up" if pct > 0 else "down")
                sig = " sig" if t["significant"] else ""
                txt = "–" if pct is None else f"{pct:+.1f}%"
                cells.append(
                    f"<td>{t['current']}</td><td class='{cl}{sig}'>{txt} "
                    f"<span class='note'>p={t['p_value']:.3g}</span></td>"
                )
            body.append("<tr>" + "".join(cells) + "</tr>")
        return (
            "<table><tr><th>类别</th><th>本周</th><th>环比</th><th>近28天</th><th>环比</th>"
            "<th>年初至今</th><th>同比</th></tr>" + "".join(body) + "</table>"
        )

    yoy = [r for r in cls["compstat"] if r.get("yoy_28d")]
    chart = _bars(
        [names.get(r["group"], r["group"]) for r in yoy],
        [r["yoy_28d"]["current"] for r in yoy],
        [r["yoy_28d"]["previous"] for r in yoy],
        la="近28天",
        lb="去年同期",
    )
    hot = ""
    if hs is not None:
        top = sorted(hs["gi_star"]["features"], key=lambda f: -f["properties"]["z"])[:8]
        hot = "".join(
            f"<tr><td>{f['geometry']['coordinates'][0][0][0]:.4f}, "
            f"{f['geometry']['coordinates'][0][0][1]:.4f}</td><td>{f['properties']['count']}</td>"
            f"<td>{f['properties']['z']:.2f}</td><td>{f['properties']['q_value']:.3g}</td></tr>"
            for f in top
        )
        hot = (
            "<table><tr><th>位置 (WGS-84)</th><th>警情数</th><th>Gi* z</th><th>q 值</th></tr>"
            + hot
            + "</table>"
            + f"<p class='note'>{html.escape(hs['how'])}</p>"
        )
    wtxt = (
        "".join(f"<div class='warn'>{html.escape(w.explanation_zh)}</div>" for w in warns)
        or "<p>本周无预警。</p>"
    )
    return f"""<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<title>警情周报 {as_of}</title><style>{CSS}</style></head><body>
<h1>警情动态分析周报 · 截至 {as_of}</h1>
<p class="note">统计范围：{html.escape(principal.username)} 的辖区；
共 {len(frame):,} 起警情（不含重复报警、取消和重复警情）。
环比、同比采用精确泊松检验，<b>粗体</b>表示 p &lt; 0.05 显著。</p>
<h2>一、重点类别（两抢一盗、六类侵财）</h2>{rows(tr)}
<h2>二、各大类警情</h2>{rows(cls)}
<h2>三、近28天与去年同期对比</h2>{chart}
<h2>四、发案时段（小时 × 星期，近一年）</h2>{_heat(tr["hour_by_weekday"])}
<h2>五、近28天热点（Getis-Ord Gi*，FDR 控制）</h2>{hot or "<p>数据不足。</p>"}
<h2>六、本周预警</h2>{wtxt}
<p class="note">{html.escape(tr["how"])}</p>
</body></html>"""


def print_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print an HTML file to PDF with headless Chromium (no network access)."""
    exe = (
        shutil.which("chromium")
        or shutil.which("chromium-browser")
        or shutil.which("google-chrome")
    )
    if exe is None:
        raise Invalid(
            "pdf",
            "Chromium is not installed (Debian: apt-get install chromium); "
            "the HTML briefing was written",
        )
    subprocess.run(
        [
            exe,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            f"--print-to-pdf={pdf_path.resolve()}",
            "--no-pdf-header-footer",
            html_path.resolve().as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
