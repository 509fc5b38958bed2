"""Checklist templates per event type (赛事安保工作清单): what must be done before the gates
open. Plain data: one list per type, each item (zh-CN text, English text, hours before the
gates open when it is due)."""

from __future__ import annotations

__all__ = ["CHECKLISTS"]

_COMMON: list[tuple[str, str, float]] = [
    (
        "召开安保工作部署会，明确指挥体系与岗位职责",
        "Briefing: command structure and post duties",
        48,
    ),
    (
        "场馆安全检查：消防通道、疏散通道、应急照明",
        "Venue check: fire lanes, exits, emergency lights",
        24,
    ),
    ("核对安保人员、志愿者与保安力量到岗名单", "Roll of police, volunteers and guards on duty", 4),
    (
        "启用视频监控与无人机巡查，确认图像回传指挥部",
        "Cameras and drones live at the command post",
        2,
    ),
    ("交通管制与绕行提示牌设置到位", "Traffic control and detour signs in place", 2),
]
CHECKLISTS: dict[str, list[tuple[str, str, float]]] = {
    "match": [
        *_COMMON,
        ("主客队球迷分区、分道进出方案确认", "Home and away fans: separate zones and gates", 24),
        (
            "安检口开启，禁带物品检查（烟火、旗杆、玻璃瓶）",
            "Gates open: search for flares, poles, glass",
            1,
        ),
        ("散场分批放行与公共交通加开班次衔接", "Staggered exit and extra public transport", 3),
    ],
    "concert": [
        *_COMMON,
        ("舞台及看台结构安全验收", "Stage and stand structure approved", 24),
        ("票务核验与防黄牛巡查", "Ticket checks and touting patrol", 2),
        (
            "前区拥挤踩踏预防：分区隔离与缓冲区",
            "Front-of-stage crush prevention: pens and buffer",
            2,
        ),
    ],
    "exam": [
        ("考点周边噪音与施工排查", "Noise and building works around the exam site", 48),
        ("试卷押运路线与押运警力确认", "Exam paper escort route and escort units", 24),
        ("考点周边交通疏导与禁鸣", "Traffic guidance and no-horn zone around the site", 2),
        ("考点无线电信号监测与作弊器材查处", "Radio monitoring against cheating devices", 1),
    ],
    "festival": [
        *_COMMON,
        ("人流密度监测点设置与限流阈值", "Crowd density counters and entry limits", 24),
        ("烟花燃放点与消防力量前置", "Fireworks site and fire crews in place", 4),
        ("走失儿童与失物招领服务点开设", "Lost children and lost property desk open", 2),
    ],
}
