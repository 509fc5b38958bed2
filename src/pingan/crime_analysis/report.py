"""The weekly briefing for a bureau or station chief: one self-contained HTML page (no scripts, no
external files: charts are inline SVG) in zh-CN or en that prints to an A4 PDF with headless
Chromium; the ``/reports`` page shows the same body for any week."""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from pingan.alerts.models import EarlyWarning
from pingan.auth.service import Principal, scope_clause
from pingan.config import get_settings
from pingan.crime_analysis import data, service
from pingan.crime_analysis.flows import as_of_of
from pingan.errors import Invalid
from pingan.incidents.taxonomy import get_taxonomy
from pingan.jurisdictions.models import Jurisdiction
from pingan.store.engine import unit_of_work

__all__ = [
    "Briefing",
    "build_briefing",
    "cached_briefing",
    "local_week_end",
    "print_pdf",
    "weekly_briefing",
]

CSS = """
.briefing{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;color:#1b2430}
.briefing h1{font-size:22px;border-bottom:3px solid #0b3d91;padding-bottom:6px}
.briefing h2{font-size:17px;color:#0b3d91;margin-top:26px}
.briefing table{border-collapse:collapse;font-size:12px;width:100%}
.briefing th,.briefing td{border:1px solid #c9d2e0;padding:3px 6px;text-align:right}
.briefing th{background:#eef2f8}
.briefing td:first-child,.briefing th:first-child{text-align:left}
.briefing .up{color:#b3261e}.briefing .down{color:#1e7b34}.briefing .sig{font-weight:bold}
.briefing .note{font-size:11px;color:#5a6677}.briefing svg{max-width:100%;height:auto}
.briefing .warn{border-left:4px solid #b3261e;padding:4px 8px;margin:6px 0;background:#fdf3f2;
font-size:12px}
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


def _heat(matrix: list[list[int]], txt: dict[str, Any]) -> str:
    m = np.asarray(matrix, dtype=float)
    if m.shape[0] == 24:
        m = m.T
    top = m.max() or 1.0
    days = txt["days"]
    cw, ch = 24, 18
    parts = [
        f'<svg width="{60 + 24 * cw}" height="{30 + 7 * ch}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for d in range(m.shape[0]):
        parts.append(f'<text x="4" y="{26 + d * ch + 12}" font-size="11">{days[d]}</text>')
        for hr in range(m.shape[1]):
            v = m[d, hr] / top
            col = f"rgb({int(255 - 200 * v)},{int(255 - 170 * v)},{int(255 - 60 * v)})"
            parts.append(
                f'<rect x="{40 + hr * cw}" y="{26 + d * ch}" width="{cw - 1}" '
                f'height="{ch - 1}" fill="{col}"><title>{int(m[d, hr])}</title></rect>'
            )
    for hr in range(0, 24, 3):
        hour = txt["hour"].format(h=hr)
        parts.append(f'<text x="{40 + hr * cw}" y="20" font-size="10">{hour}</text>')
    parts.append("</svg>")
    return "".join(parts)


L: dict[str, dict[str, Any]] = {
    "zh-CN": {
        "title": "警情动态分析周报",
        "until": "截至",
        "scope": "统计范围：{scope}；共 {n} 起警情（不含重复报警、取消和重复警情）。环比、同比采用"
        "精确泊松检验，<b>粗体</b>表示 p &lt; 0.05 显著。",
        "s1": "一、重点类别（两抢一盗、六类侵财）",
        "s2": "二、各大类警情",
        "s3": "三、近28天与去年同期对比",
        "s4": "四、发案时段（小时 × 星期，近一年）",
        "s5": "五、近28天热点（Getis-Ord Gi*，错误发现率控制）",
        "s6": "六、本周预警",
        "cols": ("类别", "本周", "环比", "近28天", "环比", "年初至今", "同比"),
        "last28": "近28天",
        "lastyear": "去年同期",
        "place": "地点",
        "count": "警情数",
        "q": "q 值",
        "none_warn": "本周无预警。",
        "no_data": "数据不足。",
        "days": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
        "hour": "{h:02d}时",
        "near": "{name}附近",
        "generated": "生成于 {at}（{tz}）",
    },
    "en": {
        "title": "Weekly incident briefing",
        "until": "to",
        "scope": "Scope: {scope}; {n} incidents (repeat calls, cancelled and duplicate ones left "
        "out). Week-on-week and year-on-year changes by exact Poisson tests; <b>bold</b> is "
        "significant at p &lt; 0.05.",
        "s1": "1. Priority groups (robbery, snatching, theft; six property crimes)",
        "s2": "2. Incident classes",
        "s3": "3. Last 28 days against the same period last year",
        "s4": "4. When incidents happen (hour × weekday, last year)",
        "s5": "5. Hot spots of the last 28 days (Getis-Ord Gi*, false discovery rate control)",
        "s6": "6. This week's warnings",
        "cols": ("Category", "Week", "Change", "28 days", "Change", "Year to date", "YoY"),
        "last28": "last 28 days",
        "lastyear": "same period last year",
        "place": "Place",
        "count": "Incidents",
        "q": "q value",
        "none_warn": "No warnings this week.",
        "no_data": "Not enough data.",
        "days": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "hour": "{h:02d}h",
        "near": "near {name}",
        "generated": "made {at} ({tz})",
    },
}


@dataclass(frozen=True)
class Briefing:
    """A rendered briefing: its title, last day covered, the scope's name, and the HTML body
    (a fragment that pages embed); :meth:`document` is the standalone A4 page."""

    lang: str
    title: str
    as_of: dt.date
    scope_name: str
    body: str

    def document(self) -> str:
        """One self-contained HTML page (inline CSS and SVG, no script) that prints on A4."""
        return (
            f'<!doctype html><html lang="{self.lang}"><head><meta charset="utf-8">'
            f"<title>{html.escape(self.title)}</title><style>{CSS}{PRINT_CSS}</style></head>"
            f'<body class="briefing">{self.body}</body></html>'
        )


PRINT_CSS = "@page{size:A4;margin:14mm 12mm}body{margin:24px}@media print{body{margin:0}}"


def local_week_end(day: dt.date | None = None) -> dt.datetime:
    """The UTC instant at which the bureau's local ``day`` ends (default: yesterday, so the
    briefing covers the week up to and including the last whole local day)."""
    tz = ZoneInfo(get_settings().timezone)
    if day is None:
        day = dt.datetime.now(tz).date() - dt.timedelta(days=1)
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), tz).astimezone(dt.UTC)


def scope_name(session: Session, principal: Principal, lang: str) -> str:
    """The caller's jurisdiction by its name (the bureau's for bureau-wide callers)."""
    col = Jurisdiction.name_zh if lang == "zh-CN" else Jurisdiction.name_en
    if principal.jurisdiction_id is not None:
        name = session.scalar(select(col).where(Jurisdiction.id == principal.jurisdiction_id))
    else:
        name = session.scalar(select(col).where(Jurisdiction.level == "bureau").limit(1))
    return name or ("全市" if lang == "zh-CN" else "the city")


def weekly_briefing(
    principal: Principal, *, until: dt.datetime | None = None, lang: str = "zh-CN"
) -> str:
    """The briefing as one standalone HTML page for the week ending the day before ``until``
    (default: the last whole local day); see :func:`build_briefing`."""
    with unit_of_work(write=False) as s:
        return build_briefing(s, principal, until=until, lang=lang).document()


CACHE_TTL_S = 6 * 3600


def cached_briefing(
    session: Session, principal: Principal, *, week_end: dt.date | None = None, lang: str = "zh-CN"
) -> Briefing:
    """:func:`build_briefing` for the week ending the local day ``week_end`` (default
    yesterday), kept for ``CACHE_TTL_S`` in ``data_dir/reports/cache`` by scope, week and
    language: a briefing reads a year of the scope's incidents (about 30 s for the demo city's
    whole bureau), and a past week's does not change. The scheduled Monday run fills it for the
    bureau; each scope's first view fills its own."""
    until = local_week_end(week_end)
    key = hashlib.sha256(f"{principal.jpath}|{until.isoformat()}|{lang}".encode()).hexdigest()
    path = get_settings().data_dir / "reports" / "cache" / f"{key[:32]}.json"
    if path.exists() and time.time() - path.stat().st_mtime < CACHE_TTL_S:
        d = json.loads(path.read_text(encoding="utf-8"))
        return Briefing(
            lang=d["lang"],
            title=d["title"],
            as_of=dt.date.fromisoformat(d["as_of"]),
            scope_name=d["scope_name"],
            body=d["body"],
        )
    b = build_briefing(session, principal, until=until, lang=lang)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.tmp")
    tmp.write_text(
        json.dumps(
            {
                "lang": b.lang,
                "title": b.title,
                "as_of": b.as_of.isoformat(),
                "scope_name": b.scope_name,
                "body": b.body,
            },
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    tmp.replace(path)  # atomic: a reader sees the old file or the new one
    return b


def build_briefing(
    session: Session, principal: Principal, *, until: dt.datetime | None = None, lang: str = "zh-CN"
) -> Briefing:
    """Render the briefing for the caller's jurisdiction in ``lang`` (zh-CN or en): CompStat
    by priority group and class, the 28-day year-on-year chart, hour × weekday, the hot spots
    named by their place (nearest premises, community, station), and the week's warnings.
    Dates are the bureau's local days; p-values below a thousandth read ``p<0.001``."""
    txt = L["en" if lang == "en" else "zh-CN"]
    end = until or local_week_end()
    tax = get_taxonomy()
    s = session
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
    hot_rows = _hot_rows(s, hs, txt, lang) if hs is not None else []
    warns = s.scalars(
        select(EarlyWarning)
        .where(
            scope_clause(principal, EarlyWarning.jpath),
            EarlyWarning.created_at >= end - dt.timedelta(days=7),
        )
        .order_by(EarlyWarning.severity, EarlyWarning.created_at.desc())
        .limit(20)
    ).all()
    scope = scope_name(s, principal, lang)
    zh = lang != "en"
    names = {g.code: (g.name_zh if zh else g.name_en) for g in tax.groups.values()}
    names |= {c: (z if zh else e) for c, (z, e) in tax.classes.items()}
    yoy = [r for r in cls["compstat"] if r.get("yoy_28d")]
    chart = _bars(
        [names.get(r["group"], r["group"]) for r in yoy],
        [r["yoy_28d"]["current"] for r in yoy],
        [r["yoy_28d"]["previous"] for r in yoy],
        la=txt["last28"],
        lb=txt["lastyear"],
    )
    hot = ""
    if hs is not None:
        hot = (
            f"<table><tr><th>{txt['place']}</th><th>{txt['count']}</th><th>Gi* z</th>"
            f"<th>{txt['q']}</th></tr>"
            + "".join(hot_rows)
            + "</table>"
            + f"<p class='note'>{html.escape(hs['how_zh' if zh else 'how'])}</p>"
        )
    wtxt = (
        "".join(
            f"<div class='warn'>{html.escape(w.explanation_zh if zh else w.explanation_en)}</div>"
            for w in warns
        )
        or f"<p>{txt['none_warn']}</p>"
    )
    tz = get_settings().timezone
    made = dt.datetime.now(ZoneInfo(tz)).strftime("%Y-%m-%d %H:%M")
    title = f"{txt['title']} · {scope} · {txt['until']} {as_of}"
    body = f"""<h1>{html.escape(title)}</h1>
<p class="note">{txt["scope"].format(scope=html.escape(scope), n=f"{len(frame):,}")}</p>
<h2>{txt["s1"]}</h2>{_compstat(tr, names, txt)}
<h2>{txt["s2"]}</h2>{_compstat(cls, names, txt)}
<h2>{txt["s3"]}</h2>{chart}
<h2>{txt["s4"]}</h2>{_heat(tr["hour_by_weekday"], txt)}
<h2>{txt["s5"]}</h2>{hot or f"<p>{txt['no_data']}</p>"}
<h2>{txt["s6"]}</h2>{wtxt}
<p class="note">{html.escape(tr["how_zh" if zh else "how"])}
{html.escape(txt["generated"].format(at=made, tz=tz))}</p>"""
    return Briefing(lang=lang, title=title, as_of=as_of, scope_name=scope, body=body)


def _compstat(out: dict[str, Any], names: dict[str, str], txt: dict[str, Any]) -> str:
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
            shown = "–" if pct is None else f"{pct:+.1f}%"
            p_shown = html.escape(service.p_text(float(t["p_value"]))[0])
            cells.append(
                f"<td>{t['current']}</td><td class='{cl}{sig}'>{shown} "
                f"<span class='note'>{p_shown}</span></td>"
            )
        body.append("<tr>" + "".join(cells) + "</tr>")
    head = "".join(f"<th>{c}</th>" for c in txt["cols"])
    return f"<table><tr>{head}</tr>" + "".join(body) + "</table>"


def _hot_rows(s: Session, hs: dict[str, Any], txt: dict[str, Any], lang: str) -> list[str]:
    """The 8 hottest Gi* cells, each named by the nearest premises and its community and
    station (coordinates only where no premises is within 400 m)."""
    top = sorted(hs["gi_star"]["features"], key=lambda f: -f["properties"]["z"])[:8]
    out = []
    for f in top:
        ring = np.asarray(f["geometry"]["coordinates"][0][:4], dtype=float)
        lon, lat = float(ring[:, 0].mean()), float(ring[:, 1].mean())
        near = service.nearest_premises(s, lon, lat, within_m=400.0)
        if near is None:
            place = f"{lon:.4f}, {lat:.4f}"
        else:
            zh_area, en_area = service.place_names(s, near[2])
            name = near[0] if lang != "en" else near[1]
            area = zh_area if lang != "en" else en_area
            place = f"{area} · {txt['near'].format(name=name)}"
        p = f["properties"]
        q_shown = html.escape(service.p_text(float(p["q_value"]))[0].replace("p", "q", 1))
        out.append(
            f"<tr><td>{html.escape(place)}</td><td>{p['count']}</td><td>{p['z']:.2f}</td>"
            f"<td>{q_shown}</td></tr>"
        )
    return out


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
