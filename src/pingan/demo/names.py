"""Pools of fictional Chinese place-name and person-name parts with their pinyin forms.

Every name in the demo city is assembled from these parts, so each Chinese name has an
English form built from the same parts ("翠湖社区" / "Cuihu Community"). The names are
fictional combinations in the style of Yunnan place names; none refers to a real person.

All functions take a ``numpy.random.Generator`` and are deterministic for a given seed.
They are O(n) in the number of names asked for and allocate lists of that size.
"""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = [
    "CITY_ROAD_NAMES",
    "DISTRICT_NAMES",
    "FIRST_PARTS",
    "GIVEN_PARTS",
    "SECOND_PARTS",
    "SURNAMES",
    "person_names",
    "place_stems",
]

# (chinese, pinyin) for the first syllable of a two-character place name.
FIRST_PARTS: Final[tuple[tuple[str, str], ...]] = (
    ("青", "Qing"),
    ("龙", "Long"),
    ("金", "Jin"),
    ("翠", "Cui"),
    ("云", "Yun"),
    ("凤", "Feng"),
    ("宝", "Bao"),
    ("华", "Hua"),
    ("新", "Xin"),
    ("东", "Dong"),
    ("西", "Xi"),
    ("南", "Nan"),
    ("北", "Bei"),
    ("白", "Bai"),
    ("红", "Hong"),
    ("明", "Ming"),
    ("春", "Chun"),
    ("松", "Song"),
    ("梅", "Mei"),
    ("兰", "Lan"),
    ("竹", "Zhu"),
    ("菊", "Ju"),
    ("海", "Hai"),
    ("星", "Xing"),
    ("月", "Yue"),
    ("太", "Tai"),
    ("和", "He"),
    ("平", "Ping"),
    ("安", "An"),
    ("康", "Kang"),
    ("福", "Fu"),
    ("吉", "Ji"),
    ("祥", "Xiang"),
    ("瑞", "Rui"),
    ("德", "De"),
    ("光", "Guang"),
    ("兴", "Xing"),
    ("盛", "Sheng"),
    ("永", "Yong"),
    ("长", "Chang"),
    ("丰", "Feng"),
    ("石", "Shi"),
    ("玉", "Yu"),
    ("银", "Yin"),
    ("马", "Ma"),
    ("虹", "Hong"),
    ("螺", "Luo"),
    ("碧", "Bi"),
    ("鸣", "Ming"),
    ("官", "Guan"),
    ("小", "Xiao"),
    ("大", "Da"),
    ("上", "Shang"),
    ("下", "Xia"),
    ("黄", "Huang"),
    ("桃", "Tao"),
    ("柳", "Liu"),
    ("莲", "Lian"),
    ("茶", "Cha"),
    ("菱", "Ling"),
    ("彩", "Cai"),
    ("锦", "Jin"),
    ("泰", "Tai"),
    ("顺", "Shun"),
)

# (chinese, pinyin) for the second syllable; pinyin in lower case (joined to the first).
SECOND_PARTS: Final[tuple[tuple[str, str], ...]] = (
    ("湖", "hu"),
    ("山", "shan"),
    ("桥", "qiao"),
    ("坝", "ba"),
    ("营", "ying"),
    ("园", "yuan"),
    ("城", "cheng"),
    ("泉", "quan"),
    ("河", "he"),
    ("林", "lin"),
    ("坡", "po"),
    ("塘", "tang"),
    ("门", "men"),
    ("关", "guan"),
    ("岗", "gang"),
    ("湾", "wan"),
    ("溪", "xi"),
    ("苑", "yuan"),
    ("阁", "ge"),
    ("花", "hua"),
    ("池", "chi"),
    ("峰", "feng"),
    ("岭", "ling"),
    ("源", "yuan"),
    ("亭", "ting"),
    ("田", "tian"),
    ("坪", "ping"),
    ("冲", "chong"),
    ("甸", "dian"),
    ("哨", "shao"),
)

DISTRICT_NAMES: Final[tuple[tuple[str, str, str], ...]] = (
    # (code, chinese, english)
    ("530102", "翠湖区", "Cuihu District"),
    ("530103", "金马区", "Jinma District"),
    ("530111", "盘江区", "Panjiang District"),
    ("530112", "碧鸡区", "Biji District"),
    ("530114", "海埂区", "Haigeng District"),
)

# Main-road names after Yunnan prefectures and Chinese cities (a common naming habit).
CITY_ROAD_NAMES: Final[tuple[tuple[str, str], ...]] = (
    ("北京", "Beijing"),
    ("人民", "Renmin"),
    ("东风", "Dongfeng"),
    ("青年", "Qingnian"),
    ("大理", "Dali"),
    ("丽江", "Lijiang"),
    ("曲靖", "Qujing"),
    ("玉溪", "Yuxi"),
    ("昭通", "Zhaotong"),
    ("保山", "Baoshan"),
    ("楚雄", "Chuxiong"),
    ("红河", "Honghe"),
    ("文山", "Wenshan"),
    ("普洱", "Pu'er"),
    ("德宏", "Dehong"),
    ("临沧", "Lincang"),
    ("西昌", "Xichang"),
    ("广福", "Guangfu"),
    ("金碧", "Jinbi"),
    ("滇池", "Dianchi"),
    ("春城", "Chuncheng"),
    ("环湖", "Huanhu"),
    ("世博", "Shibo"),
    ("穿金", "Chuanjin"),
)

SURNAMES: Final[tuple[tuple[str, str], ...]] = (
    ("王", "Wang"),
    ("李", "Li"),
    ("张", "Zhang"),
    ("刘", "Liu"),
    ("陈", "Chen"),
    ("杨", "Yang"),
    ("赵", "Zhao"),
    ("黄", "Huang"),
    ("周", "Zhou"),
    ("吴", "Wu"),
    ("徐", "Xu"),
    ("孙", "Sun"),
    ("胡", "Hu"),
    ("朱", "Zhu"),
    ("高", "Gao"),
    ("林", "Lin"),
    ("何", "He"),
    ("郭", "Guo"),
    ("马", "Ma"),
    ("罗", "Luo"),
    ("段", "Duan"),
    ("普", "Pu"),
    ("杜", "Du"),
    ("苏", "Su"),
)

GIVEN_PARTS: Final[tuple[tuple[str, str], ...]] = (
    ("伟", "wei"),
    ("芳", "fang"),
    ("娜", "na"),
    ("敏", "min"),
    ("静", "jing"),
    ("丽", "li"),
    ("强", "qiang"),
    ("磊", "lei"),
    ("军", "jun"),
    ("洋", "yang"),
    ("勇", "yong"),
    ("艳", "yan"),
    ("杰", "jie"),
    ("涛", "tao"),
    ("明", "ming"),
    ("超", "chao"),
    ("秀", "xiu"),
    ("霞", "xia"),
    ("平", "ping"),
    ("刚", "gang"),
    ("文", "wen"),
    ("华", "hua"),
    ("建", "jian"),
    ("国", "guo"),
    ("红", "hong"),
    ("志", "zhi"),
    ("海", "hai"),
    ("春", "chun"),
    ("燕", "yan"),
    ("云", "yun"),
    ("鹏", "peng"),
    ("婷", "ting"),
    ("宇", "yu"),
    ("晨", "chen"),
    ("欣", "xin"),
    ("琳", "lin"),
)


def place_stems(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Return ``n`` distinct two-character place-name stems as ``(chinese, pinyin)``.

    The stems are drawn without replacement from the cross product of ``FIRST_PARTS`` and
    ``SECOND_PARTS``; when more are asked for than exist, a numeral prefix keeps them distinct.
    Time and memory O(n + pool size).
    """
    if n < 0:
        raise ValueError(f"n: must be >= 0, got {n}")
    n_pool = len(FIRST_PARTS) * len(SECOND_PARTS)
    order = rng.permutation(n_pool)
    out: list[tuple[str, str]] = []
    rounds = ("", "新", "老", "上", "下")
    rounds_en = ("", "Xin ", "Lao ", "Shang ", "Xia ")
    for k in range(n):
        idx = int(order[k % n_pool])
        r = k // n_pool
        f_zh, f_en = FIRST_PARTS[idx // len(SECOND_PARTS)]
        s_zh, s_en = SECOND_PARTS[idx % len(SECOND_PARTS)]
        pre_zh = rounds[r % len(rounds)] + ("" if r < len(rounds) else str(r))
        pre_en = rounds_en[r % len(rounds)] + ("" if r < len(rounds) else f"{r} ")
        out.append((pre_zh + f_zh + s_zh, pre_en + f_en + s_en))
    return out


def person_names(rng: np.random.Generator, n: int) -> list[tuple[str, str]]:
    """Return ``n`` fictional person names as ``(chinese, english)``, e.g. ("王华", "Wang Hua").

    Names may repeat (as real names do). Time and memory O(n).
    """
    if n < 0:
        raise ValueError(f"n: must be >= 0, got {n}")
    s = rng.integers(0, len(SURNAMES), size=n)
    g1 = rng.integers(0, len(GIVEN_PARTS), size=n)
    g2 = rng.integers(0, len(GIVEN_PARTS), size=n)
    two = rng.random(n) < 0.7
    out: list[tuple[str, str]] = []
    for i in range(n):
        sz, se = SURNAMES[int(s[i])]
        az, ae = GIVEN_PARTS[int(g1[i])]
        if two[i]:
            bz, be = GIVEN_PARTS[int(g2[i])]
            out.append((sz + az + bz, f"{se} {ae.capitalize()}{be}"))
        else:
            out.append((sz + az, f"{se} {ae.capitalize()}"))
    return out
