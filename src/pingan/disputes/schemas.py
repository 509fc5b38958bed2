"""API shapes of disputes: ``DisputeCreate`` in, ``DisputeRead`` / ``DisputePage`` out.

Input models forbid unknown fields; enumerations are ``Literal`` so that a bad value is a 422
naming the field and listing the allowed values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pingan.inputs import Day, Id, Instant
from pingan.schemas import Page

__all__ = [
    "DisputeCreate",
    "DisputeEventRead",
    "DisputeFlagsIn",
    "DisputePage",
    "DisputeRead",
    "DisputeSummary",
    "FollowUpIn",
    "FollowUpRead",
    "FollowUpRecordIn",
    "MediationStepIn",
    "MediationStepRead",
    "PartyIn",
    "PartyRead",
    "RiskRead",
    "TransitionIn",
]

Kind = Literal[
    "neighbourhood", "family", "property_landlord", "labour_wages", "commercial", "other"
]
Source = Literal["call_110", "visit", "screening"]
Crs = Literal["WGS84", "GCJ02", "BD09"]
PartyRole = Literal["complainant", "respondent", "other"]
VulnerableReason = Literal[
    "health_or_disability",
    "child_at_risk",
    "domestic_abuse_risk",
    "economic_hardship",
    "social_isolation",
    "other",
]
Method = Literal["on_site", "at_station", "phone", "joint_committee", "other"]
Outcome = Literal["agreed", "partial", "failed", "no_show"]
ReferralTarget = Literal["court", "mediation_committee", "other_department"]
FollowUpOutcome = Literal["stable", "recurring", "unreachable"]
State = Literal["registered", "mediating", "resolved", "referred", "closed"]

_PHONE = r"^[0-9+\-() ]{3,32}$"


class PartyIn(BaseModel):
    """A party: a display name and phone (personal data: encrypted, masked, audited), the role
    in the dispute, and optionally a vulnerability with its situational reason category."""

    model_config = ConfigDict(extra="forbid")

    role: PartyRole
    display_name: str = Field(min_length=1, max_length=100, examples=["张先生"])
    phone: str | None = Field(default=None, max_length=32, pattern=_PHONE)
    vulnerable: bool = False
    vulnerable_reason: VulnerableReason | None = None


class DisputeCreate(BaseModel):
    """A new dispute. The place is ``lon``/``lat`` (in ``crs``), or an ``address_id``, a
    ``premises_id`` or the ``incident_id`` of the 110 call it came from."""

    model_config = ConfigDict(extra="forbid")

    kind: Kind
    source: Source = "visit"
    summary: str = Field(default="", max_length=10_000)
    lon: float | None = Field(default=None, ge=-180, le=180, examples=[102.7123])
    lat: float | None = Field(default=None, ge=-90, le=90, examples=[25.0406])
    crs: Crs = "WGS84"
    address_text: str | None = Field(default=None, max_length=300)
    address_id: Id | None = None
    premises_id: Id | None = None
    incident_id: Id | None = None
    owner_id: Id | None = None
    threats_reported: bool = False
    violence_reported: bool = False
    weapons_mentioned: bool = False
    parties: list[PartyIn] = Field(default_factory=list, max_length=20)
    registered_at: Instant | None = None


class DisputeFlagsIn(BaseModel):
    """Change the reported facts of a case (re-evaluates the risk)."""

    model_config = ConfigDict(extra="forbid")

    threats_reported: bool | None = None
    violence_reported: bool | None = None
    weapons_mentioned: bool | None = None
    note: str = Field(default="", max_length=2_000)


class TransitionIn(BaseModel):
    """A workflow step, e.g. ``{"to_state": "referred", "referral_target": "court"}``.

    ``referral_target`` is required to refer; resolving schedules a follow-up visit on
    ``follow_up_on`` (default: 14 days later)."""

    model_config = ConfigDict(extra="forbid")

    to_state: str = Field(min_length=1, max_length=16)
    note: str = Field(default="", max_length=2_000)
    referral_target: ReferralTarget | None = None
    follow_up_on: Day | None = None


class MediationStepIn(BaseModel):
    """One mediation step; the first one moves a registered case to ``mediating``."""

    model_config = ConfigDict(extra="forbid")

    held_on: Day
    mediator: str = Field(min_length=1, max_length=100)
    method: Method
    outcome: Outcome
    next_on: Day | None = None
    note: str = Field(default="", max_length=5_000)


class FollowUpIn(BaseModel):
    """Schedule a follow-up visit (after resolution)."""

    model_config = ConfigDict(extra="forbid")

    due_on: Day
    note: str = Field(default="", max_length=2_000)


class FollowUpRecordIn(BaseModel):
    """Record a follow-up visit as done, with its outcome."""

    model_config = ConfigDict(extra="forbid")

    outcome: FollowUpOutcome
    note: str = Field(default="", max_length=2_000)


class PartyRead(BaseModel):
    """A party as listed: name and phone masked."""

    id: int
    role: str
    display_name_masked: str | None
    phone_masked: str | None
    vulnerable: bool
    vulnerable_reason: str | None


class MediationStepRead(BaseModel):
    """One step of the mediation log."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    held_on: dt.date
    mediator: str
    method: str
    outcome: str
    next_on: dt.date | None
    note: str
    recorded_by_id: int | None
    created_at: dt.datetime


class FollowUpRead(BaseModel):
    """A follow-up visit, scheduled or done."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    due_on: dt.date
    done_at: dt.datetime | None
    outcome: str | None
    note: str


class RiskRead(BaseModel):
    """The case's escalation risk: level, why, and every rule that fired with its facts."""

    level: str
    reason_zh: str
    reason_en: str
    evaluated_at: dt.datetime | None
    fired: list[dict[str, Any]]
    rules_version: int
    instruction_id: int | None = None


class DisputeSummary(BaseModel):
    """A dispute as shown at dispatch beside an incident: state, risk, distance."""

    id: int
    code: str
    kind: str
    state: str
    risk_level: str
    fired_rules: list[str]
    registered_at: dt.datetime
    distance_m: float
    address_text: str | None


class DisputeRead(BaseModel):
    """A dispute; parties masked."""

    id: int
    code: str
    kind: str
    state: str
    source: str
    summary: str
    address_text: str | None
    address_id: int | None
    premises_id: int | None
    incident_id: int | None
    lon: float
    lat: float
    jurisdiction_id: int
    owner_id: int | None
    threats_reported: bool
    violence_reported: bool
    weapons_mentioned: bool
    referral_target: str | None
    risk_level: str
    fired_rules: list[dict[str, Any]]
    risk_evaluated_at: dt.datetime | None
    registered_at: dt.datetime
    mediating_at: dt.datetime | None
    resolved_at: dt.datetime | None
    referred_at: dt.datetime | None
    closed_at: dt.datetime | None
    parties: list[PartyRead]
    allowed_transitions: list[str]
    mediation_steps: list[MediationStepRead] | None = None
    follow_ups: list[FollowUpRead] | None = None


class DisputeEventRead(BaseModel):
    """One timeline entry. ``note`` is readable text (English for notes the system writes, as
    typed for a user's own note); a system note also has ``note_code`` with ``note_params``
    (e.g. ``mediation`` with ``{"method": "on_site", "outcome": "failed"}``) or ``note_texts``
    with one text per language (``zh-CN``, ``en``), for clients that show it translated."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    kind: str
    from_state: str | None
    to_state: str | None
    actor_id: int | None
    note: str
    note_code: str | None = None
    note_params: dict[str, Any] = Field(default_factory=dict)
    note_texts: dict[str, str] = Field(default_factory=dict)


class DisputePage(Page[DisputeRead]):
    """A page of disputes."""
