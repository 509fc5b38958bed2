"""The annual five-star list as an Excel workbook (one sheet, grouped by station)."""

from __future__ import annotations

import io

from pingan.ratings.schemas import AwardsRead

__all__ = ["awards_xlsx"]

_KIND_ZH = {
    "residential_compound": "住宅小区",
    "school": "学校",
    "hospital": "医院",
    "market": "市场",
    "mall": "商场",
    "hotel": "旅馆",
    "bank": "银行",
    "gas_station": "加油站",
    "metro_station": "地铁站",
    "bus_station": "公交站",
    "entertainment_venue": "娱乐场所",
    "business": "企业单位",
    "rental_house": "出租屋",
    "stadium": "体育场馆",
    "other": "其他",
}


def awards_xlsx(awards: AwardsRead) -> bytes:
    """The five-star list of ``awards.year`` as .xlsx bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = f"{awards.year}年度五星单位"
    ws.append([f"{awards.year} 年度治安五星级单位名单"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["派出所", "派出所代码", "单位编号", "单位名称", "类别", "得分", "评定时间"])
    for c in ws[2]:
        c.font = Font(bold=True)
    for a in awards.items:
        ws.append(
            [
                a.station_name or "",
                a.station_code or "",
                a.code,
                a.name,
                _KIND_ZH.get(a.kind, a.kind),
                a.score,
                a.computed_at.strftime("%Y-%m-%d"),
            ]
        )
    for col, width in zip("ABCDEFG", (18, 14, 16, 32, 12, 8, 12), strict=True):
        ws.column_dimensions[col].width = width
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
