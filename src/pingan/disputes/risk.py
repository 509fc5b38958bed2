"""The escalation-risk rule set of a dispute case: pure evaluation over the case's facts.

The rules live in ``rules.yaml`` beside this module. :func:`evaluate` takes the facts of one
case (flags, mediation outcomes, vulnerable parties, the nearby incidents already gathered by
the service) and returns every rule that fired with its facts and a bilingual explanation, and
the case's level. No database, no I/O beyond reading the rules file once.

Level: the highest level among the fired rules; ``medium_rules_for_high`` medium rules together
also make ``high``; nothing fired is ``low``. The risk belongs to the case, not to a person.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

__all__ = [
    "LEVEL_ORDER",
    "CaseFacts",
    "FiredRule",
    "NearbyCall",
    "RiskAssessment",
    "RuleSet",
    "evaluate",
    "get_rules",
]

LEVEL_ORDER: Mapping[str, int] = {"low": 0, "medium": 1, "high": 2}
RULES_PATH = Path(__file__).with_name("rules.yaml")


@dataclass(frozen=True)
class NearbyCall:
    """An incident near the dispute place: id, subtype, class, time and distance."""

    incident_id: int
    subtype: str
    klass: str
    reported_at: dt.datetime
    distance_m: float


@dataclass(frozen=True)
class CaseFacts:
    """What the rules look at. ``mediation_outcomes`` are ``(held_on, outcome)`` pairs;
    ``vulnerable_reasons`` has one reason category per vulnerable party."""

    threats_reported: bool = False
    violence_reported: bool = False
    weapons_mentioned: bool = False
    mediation_outcomes: Sequence[tuple[dt.date, str]] = ()
    vulnerable_reasons: Sequence[str] = ()
    nearby_calls: Sequence[NearbyCall] = ()


@dataclass(frozen=True)
class FiredRule:
    """One rule that fired, its level, the facts, and the explanation in both languages."""

    code: str
    level: str
    facts: dict[str, Any]
    explanation_zh: str
    explanation_en: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form (stored on the case and returned by the API)."""
        return {
            "code": self.code,
            "level": self.level,
            "facts": self.facts,
            "explanation_zh": self.explanation_zh,
            "explanation_en": self.explanation_en,
        }


@dataclass(frozen=True)
class RiskAssessment:
    """The level of a case, the rules that fired, and why the level is what it is."""

    level: str
    fired: list[FiredRule] = field(default_factory=list)
    reason_zh: str = ""
    reason_en: str = ""


@dataclass(frozen=True)
class RuleSet:
    """The parsed ``rules.yaml``."""

    version: int
    medium_rules_for_high: int
    rules: Mapping[str, Mapping[str, Any]]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RuleSet:
        """Validate and wrap a rules mapping; raises ``ValueError`` naming the bad key."""
        rules = data.get("rules")
        if not isinstance(rules, Mapping) or not rules:
            raise ValueError("rules: expected a mapping of rule code to settings")
        for code, spec in rules.items():
            if not isinstance(spec, Mapping):
                raise ValueError(f"rules.{code}: expected a mapping")
            if spec.get("level") not in ("medium", "high"):
                raise ValueError(f"rules.{code}.level: use medium or high")
            for key in ("zh", "en"):
                if not isinstance(spec.get(key), str):
                    raise ValueError(f"rules.{code}.{key}: the explanation text is missing")
        return cls(
            version=int(data.get("version", 1)),
            medium_rules_for_high=int(data.get("medium_rules_for_high", 2)),
            rules=rules,
        )

    def spec(self, code: str) -> Mapping[str, Any] | None:
        """The settings of rule ``code``, or None when it is not configured."""
        return self.rules.get(code)

    @property
    def call_window_days(self) -> int:
        """How far back repeat calls are counted."""
        spec = self.spec("repeat_calls") or {}
        return int(spec.get("window_days", 30))

    @property
    def call_radius_m(self) -> float:
        """How close to the dispute place a call must be."""
        spec = self.spec("repeat_calls") or {}
        return float(spec.get("radius_m", 50))

    def call_counts(self, subtype: str, klass: str) -> bool:
        """Whether an incident of this subtype and class counts as a related call."""
        spec = self.spec("repeat_calls") or {}
        return klass in spec.get("classes", ()) or subtype in spec.get("subtypes", ())


@lru_cache(maxsize=1)
def get_rules() -> RuleSet:
    """The rule set of ``rules.yaml`` (read once)."""
    return RuleSet.from_mapping(yaml.safe_load(RULES_PATH.read_text(encoding="utf-8")))


def _text(spec: Mapping[str, Any], facts: dict[str, Any], lang: str) -> str:
    labels = spec.get(f"reasons_{lang}") or {}
    fmt = {k: v for k, v in spec.items() if isinstance(v, int | float | str)}
    for k, v in facts.items():
        if k == "reasons" and isinstance(v, list):
            v = [labels.get(x, x) for x in v]
        fmt[k] = ("、" if lang == "zh" else ", ").join(map(str, v)) if isinstance(v, list) else v
        if k == "incident_ids" and isinstance(v, list):
            fmt[k] = ", ".join(map(str, v))
    return str(spec[lang]).format(**fmt)


def _fire(code: str, level: str, spec: Mapping[str, Any], facts: dict[str, Any]) -> FiredRule:
    return FiredRule(
        code=code,
        level=level,
        facts=facts,
        explanation_zh=_text(spec, facts, "zh"),
        explanation_en=_text(spec, facts, "en"),
    )


def evaluate(facts: CaseFacts, *, at: dt.datetime, rules: RuleSet | None = None) -> RiskAssessment:
    """Evaluate every rule on ``facts`` as of ``at``; O(calls + steps + parties)."""
    rs = rules or get_rules()
    fired: list[FiredRule] = []
    for flag in ("threats_reported", "violence_reported", "weapons_mentioned"):
        spec = rs.spec(flag)
        if spec is not None and getattr(facts, flag):
            fired.append(_fire(flag, str(spec["level"]), spec, {flag: True}))
    spec = rs.spec("repeat_calls")
    if spec is not None:
        since = at - dt.timedelta(days=int(spec.get("window_days", 30)))
        radius = float(spec.get("radius_m", 50))
        calls = sorted(
            (
                c
                for c in facts.nearby_calls
                if since <= c.reported_at <= at
                and c.distance_m <= radius
                and rs.call_counts(c.subtype, c.klass)
            ),
            key=lambda c: (c.reported_at, c.incident_id),
        )
        if len(calls) >= int(spec.get("min_calls", 3)):
            high = spec.get("high_at_calls")
            level = "high" if high is not None and len(calls) >= int(high) else str(spec["level"])
            fired.append(
                _fire(
                    "repeat_calls",
                    level,
                    spec,
                    {
                        "calls": len(calls),
                        "incident_ids": [c.incident_id for c in calls],
                        "subtypes": sorted({c.subtype for c in calls}),
                        "first_at": calls[0].reported_at.isoformat(timespec="minutes"),
                        "last_at": calls[-1].reported_at.isoformat(timespec="minutes"),
                    },
                )
            )
    spec = rs.spec("failed_mediations")
    if spec is not None:
        outcomes = set(spec.get("outcomes", ["failed"]))
        failed = sorted(d for d, o in facts.mediation_outcomes if o in outcomes)
        if len(failed) >= int(spec.get("min_failed", 2)):
            fired.append(
                _fire(
                    "failed_mediations",
                    str(spec["level"]),
                    spec,
                    {"failed": len(failed), "dates": [d.isoformat() for d in failed]},
                )
            )
    spec = rs.spec("vulnerable_party")
    if spec is not None and facts.vulnerable_reasons:
        reasons = sorted(set(facts.vulnerable_reasons))
        n = len(facts.vulnerable_reasons)
        fired.append(
            _fire(
                "vulnerable_party",
                str(spec["level"]),
                spec,
                {"count": n, "reasons": reasons, "plural": "ies" if n > 1 else "y"},
            )
        )
    return _level(fired, rs)


# the rules' names in Chinese, for the zh reason (the English reason names the rule codes)
RULE_NAMES_ZH = {
    "repeat_calls": "重复报警",
    "threats_reported": "报告威胁",
    "violence_reported": "报告暴力",
    "weapons_mentioned": "提及凶器",
    "failed_mediations": "多次调解失败",
    "vulnerable_party": "当事人易受伤害",
}


def _zh(codes: list[str]) -> str:
    return "、".join(f"「{RULE_NAMES_ZH.get(c, c)}」" for c in codes)


def _level(fired: list[FiredRule], rs: RuleSet) -> RiskAssessment:
    if not fired:
        return RiskAssessment("low", [], "未触发任何规则", "no rule fired")
    highs = [f.code for f in fired if f.level == "high"]
    mediums = [f.code for f in fired if f.level == "medium"]
    if highs:
        names = ", ".join(highs)
        return RiskAssessment(
            "high", fired, f"高：触发高风险规则{_zh(highs)}", f"high: {names} fired"
        )
    names = ", ".join(mediums)
    if len(mediums) >= rs.medium_rules_for_high:
        return RiskAssessment(
            "high",
            fired,
            f"高：同时触发 {len(mediums)} 条中风险规则（{_zh(mediums)}）",
            f"high: {len(mediums)} medium rules fired together ({names})",
        )
    return RiskAssessment("medium", fired, f"中：触发规则{_zh(mediums)}", f"medium: {names} fired")
