"""The short public list of report categories, each mapped to a subtype of the incident
taxonomy, and the complaint categories. Pure data: the public pages, the API and Open311
(``service_code``) share it."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "CATEGORIES",
    "COMPLAINT_CATEGORIES",
    "Category",
    "category",
]


@dataclass(frozen=True)
class Category:
    """A public category: its code (Open311 ``service_code``), names and taxonomy subtype."""

    code: str
    zh: str
    en: str
    subtype: str
    group_zh: str
    group_en: str
    hint_zh: str = ""
    hint_en: str = ""

    def name(self, lang: str) -> str:
        """The name in ``lang`` (zh-CN or en)."""
        return self.zh if lang == "zh-CN" else self.en


CATEGORIES: tuple[Category, ...] = (
    Category(
        "theft",
        "财物被盗",
        "Theft",
        "other_theft",
        "侵财",
        "Property",
        "手机、钱包、财物被偷",
        "Phone, wallet or belongings stolen",
    ),
    Category(
        "bicycle_theft",
        "电动车/自行车被盗",
        "E-bike or bicycle stolen",
        "bicycle_theft",
        "侵财",
        "Property",
    ),
    Category(
        "vehicle_break_in",
        "车内财物被盗",
        "Theft from a vehicle",
        "theft_from_vehicle",
        "侵财",
        "Property",
    ),
    Category(
        "fraud",
        "诈骗",
        "Fraud",
        "fraud",
        "侵财",
        "Property",
        "电信网络诈骗请同时拨打 96110",
        "For phone or online fraud also call 96110",
    ),
    Category("noise", "噪音扰民", "Noise", "noise", "治安", "Public order"),
    Category("gambling", "赌博线索", "Gambling", "gambling", "治安", "Public order"),
    Category("disorder", "扰乱秩序", "Disorder", "disturbance", "治安", "Public order"),
    Category(
        "traffic", "交通秩序/拥堵", "Traffic problem", "traffic_congestion", "交通", "Traffic"
    ),
    Category("lost_property", "遗失物品", "Lost property", "lost_property", "求助", "Help"),
    Category("neighbour", "邻里纠纷", "Neighbour dispute", "neighbour_dispute", "纠纷", "Dispute"),
    Category("other", "其他", "Other", "other", "其他", "Other"),
)
"""Non-emergency categories only: anything urgent is a call to 110."""

_BY_CODE = {c.code: c for c in CATEGORIES}


def category(code: str) -> Category | None:
    """The category called ``code``, if any."""
    return _BY_CODE.get(code)


COMPLAINT_CATEGORIES: dict[str, tuple[str, str]] = {
    "attitude": ("态度恶劣", "Rude or disrespectful conduct"),
    "inaction": ("不作为、慢作为", "Failure to act or delay"),
    "misconduct": ("违规执法", "Improper enforcement"),
    "integrity": ("吃拿卡要", "Bribery or favours"),
    "other": ("其他", "Other"),
}
"""Kinds of complaint about police conduct (code → zh, en)."""
