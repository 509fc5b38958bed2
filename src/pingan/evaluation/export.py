"""Exports of a computed card: Excel (openpyxl), CSV, and a self-contained HTML page printed to
PDF with headless Chromium, the way the weekly briefing is (``crime_analysis.report``)."""

from __future__ import annotations

import csv
import html
import io
import tempfile
from pathlib import Path
from typing import Any

from pingan.evaluation.service import HOW, HOW_ZH, Evaluation, rows_of
from pingan.evaluation.sources import SOURCES

__all__ = ["FORMATS", "MEDIA_TYPES", "to_csv", "to_html", "to_pdf", "to_xlsx"]

FORMATS: tuple[str, ...] = ("xlsx", "pdf", "csv")
MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}
_LEVEL = {
    "zh-CN": {"officer": "民警", "cell": "网格", "community": "社区", "station": "派出所"},
    "en": {
        "officer": "Officer",
        "cell": "Grid cell",
        "community": "Community",
        "station": "Station",
    },
}
_HEAD = {
    "zh-CN": ["排名", "编码", "名称", "上级", "得分", "数据覆盖"],
    "en": ["Rank", "Code", "Name", "Parent", "Score", "Coverage"],
}
_FIG = {
    "zh-CN": [
        "对象编码",
        "名称",
        "指标",
        "数值",
        "分子",
        "分母",
        "目标",
        "达成率",
        "权重",
        "得分贡献",
        "无数据原因",
        "来源",
    ],
    "en": [
        "Entity code",
        "Name",
        "Indicator",
        "Value",
        "Numerator",
        "Denominator",
        "Target",
        "Achievement",
        "Weight",
        "Contribution",
        "No data because",
        "Sources",
    ],
}


def _lang(lang: str) -> str:
    return "en" if lang == "en" else "zh-CN"


def _name(d: dict[str, Any], lang: str, key: str = "name") -> str:
    return str(d[f"{key}_en"] if lang == "en" else d[f"{key}_zh"])


def _title(ev: Evaluation, lang: str) -> str:
    card = ev.spec.name_en if lang == "en" else ev.spec.name_zh
    lv = _LEVEL[lang][ev.level]
    part = (" (so far)" if lang == "en" else "（截至目前）") if ev.partial else ""
    return f"{card} · {lv} · {ev.period.label}{part}"


def _wide(ev: Evaluation, lang: str) -> tuple[list[str], list[list[Any]]]:
    inds = ev.spec.indicators
    head = _HEAD[lang] + [i.name_en if lang == "en" else i.name_zh for i in inds]
    body = []
    for r in rows_of(ev):
        body.append(
            [
                r["rank"],
                r["code"],
                _name(r, lang),
                _name(r, lang, "parent"),
                r["score"],
                r["coverage"],
            ]
            + [f["value"] for f in r["figures"]]
        )
    return head, body


def to_xlsx(ev: Evaluation, *, lang: str = "zh-CN") -> bytes:
    """A workbook: ranked scores, every figure with its numerator, denominator and sources, and
    the card (weights, targets, how each indicator is computed)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    lang = _lang(lang)
    wb = Workbook()
    ws = wb.active
    ws.title = "得分" if lang == "zh-CN" else "Scores"
    ws.append([_title(ev, lang)])
    ws["A1"].font = Font(bold=True, size=13)
    head, body = _wide(ev, lang)
    ws.append(head)
    for c in ws[2]:
        c.font = Font(bold=True)
    for row in body:
        ws.append(row)
    ws.freeze_panes = "C3"
    fs = wb.create_sheet("指标明细" if lang == "zh-CN" else "Figures")
    fs.append(_FIG[lang])
    for c in fs[1]:
        c.font = Font(bold=True)
    names = {i.code: (i.name_en if lang == "en" else i.name_zh) for i in ev.spec.indicators}
    for r in rows_of(ev):
        for f in r["figures"]:
            fs.append(
                [
                    r["code"],
                    _name(r, lang),
                    names[f["code"]],
                    f["value"],
                    f["numerator"],
                    f["denominator"],
                    f["target"],
                    f["achievement"],
                    f["weight"],
                    f["contribution"],
                    f["no_data_reason"],
                    f["sources"],
                ]
            )
    cs = wb.create_sheet("评价方案" if lang == "zh-CN" else "Scorecard")
    cs.append(["code", "name", "source", "weight", "target", "direction", "how"])
    for c in cs[1]:
        c.font = Font(bold=True)
    for i in ev.spec.indicators:
        src = SOURCES[i.source]
        cs.append(
            [
                i.code,
                names[i.code],
                i.source,
                i.weight,
                i.target,
                i.direction,
                src.how_en if lang == "en" else src.how_zh,
            ]
        )
    cs.append([])
    cs.append([HOW if lang == "en" else HOW_ZH])
    cs.append([f"scope {ev.jpath} · computed {ev.computed_at.isoformat(timespec='seconds')}"])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def to_csv(ev: Evaluation, *, lang: str = "zh-CN") -> str:
    """Ranked scores with each indicator's value, one row per entity."""
    lang = _lang(lang)
    head, body = _wide(ev, lang)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(head)
    w.writerows(["" if v is None else v for v in row] for row in body)
    return buf.getvalue()


CSS = """
@page{size:A4 landscape;margin:12mm}
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:18px;color:#1b2430}
h1{font-size:19px;border-bottom:3px solid #0b3d91;padding-bottom:6px}
table{border-collapse:collapse;font-size:10.5px;width:100%}
th,td{border:1px solid #c9d2e0;padding:2px 4px;text-align:right}th{background:#eef2f8}
td.l,th.l{text-align:left}.note{font-size:10px;color:#5a6677}.na{color:#9aa3af}
"""


def _fmt(v: Any, unit: str) -> str:
    if v is None:
        return "<span class='na'>–</span>"
    if unit == "share":
        return f"{100 * v:.1f}%"
    if unit == "s":
        return f"{v:.0f}"
    return f"{v:.2f}"


def to_html(ev: Evaluation, *, lang: str = "zh-CN", limit: int = 500) -> str:
    """A printable page: the card, then the ranked table (the first ``limit`` entities)."""
    lang = _lang(lang)
    inds = ev.spec.indicators
    names = [i.name_en if lang == "en" else i.name_zh for i in inds]
    units = [SOURCES[i.source].unit for i in inds]
    head = "".join(f"<th class='l'>{html.escape(h)}</th>" for h in _HEAD[lang][:4])
    head += "".join(f"<th>{html.escape(h)}</th>" for h in _HEAD[lang][4:] + names)
    rows = []
    all_rows = rows_of(ev)
    for r in all_rows[:limit]:
        cells = [
            f"<td class='l'>{r['rank'] or ''}</td><td class='l'>{html.escape(r['code'])}</td>",
            f"<td class='l'>{html.escape(_name(r, lang))}</td>",
            f"<td class='l'>{html.escape(_name(r, lang, 'parent'))}</td>",
            f"<td>{_fmt(r['score'], 'ratio')}</td><td>{100 * r['coverage']:.0f}%</td>",
        ]
        cells += [
            f"<td>{_fmt(f['value'], u)}</td>" for f, u in zip(r["figures"], units, strict=True)
        ]
        rows.append("<tr>" + "".join(cells) + "</tr>")
    card = "".join(
        f"<tr><td class='l'>{html.escape(n)}</td><td>{i.weight:g}</td><td>{_fmt(i.target, u)}</td>"
        f"<td class='l'>{'↑' if i.direction == 'higher' else '↓'}</td><td class='l'>"
        f"{html.escape(SOURCES[i.source].how_en if lang == 'en' else SOURCES[i.source].how_zh)}"
        "</td></tr>"
        for i, n, u in zip(inds, names, units, strict=True)
    )
    more = (
        f"<p class='note'>{len(all_rows) - limit} more in the Excel export.</p>"
        if len(all_rows) > limit
        else ""
    )
    card_head = (
        "<tr><th class='l'>Indicator</th><th>Weight</th><th>Target</th><th class='l'>Better</th>"
        "<th class='l'>How</th></tr>"
        if lang == "en"
        else "<tr><th class='l'>指标</th><th>权重</th><th>目标</th><th class='l'>方向</th>"
        "<th class='l'>计算方法</th></tr>"
    )
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{html.escape(_title(ev, lang))}</title><style>{CSS}</style></head><body>
<h1>{html.escape(_title(ev, lang))}</h1>
<table>{card_head}{card}</table>
<p class="note">{html.escape(HOW if lang == "en" else HOW_ZH)}</p>
<table><tr>{head}</tr>{"".join(rows)}</table>{more}
<p class="note">{html.escape(ev.jpath)} · {ev.computed_at.isoformat(timespec="seconds")}</p>
</body></html>"""


def to_pdf(ev: Evaluation, *, lang: str = "zh-CN", path: Path | None = None) -> bytes:
    """The HTML page printed to PDF by headless Chromium; ``Invalid`` naming ``pdf`` when
    Chromium is not installed. Writes ``path`` too when given."""
    from pingan.crime_analysis.report import print_pdf

    with tempfile.TemporaryDirectory(prefix="pingan-eval-") as tmp:
        src = Path(tmp) / "evaluation.html"
        src.write_text(to_html(ev, lang=lang), encoding="utf-8")
        out = Path(tmp) / "evaluation.pdf"
        print_pdf(src, out)
        data = out.read_bytes()
    if path is not None:
        path.write_bytes(data)
    return data
