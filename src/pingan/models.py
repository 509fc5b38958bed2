"""Imports every domain's models so that ``Base.metadata`` knows every table (for Alembic)."""

from pingan.aggregates.models import AggregateGrid, IncidentDayCount, IncidentGridCount
from pingan.alerts.models import EarlyWarning, EarlyWarningEvent
from pingan.audit.models import AuditChainHead, AuditRecord
from pingan.auth.models import ApiToken, User
from pingan.cameras.models import Camera
from pingan.checklists.models import ChecklistOverride, ChecklistTask, ChecklistTemplate
from pingan.dispatch.models import Assignment
from pingan.disputes.models import (
    Dispute,
    DisputeEvent,
    DisputeFollowUp,
    DisputeParty,
    MediationStep,
)
from pingan.evaluation.models import (
    Indicator,
    PremisesInspection,
    SatisfactionSurvey,
    Scorecard,
)
from pingan.geocoding.models import GeocodeName
from pingan.incidents.models import IdempotencyKey, Incident, IncidentEvent
from pingan.instructions.models import (
    Instruction,
    InstructionAttachment,
    InstructionEvent,
    InstructionRecipient,
    Notice,
)
from pingan.jobs.models import Job
from pingan.jurisdictions.models import Jurisdiction
from pingan.places.models import Address, KeyArea, Premises
from pingan.ratings.models import Hazard, PremisesFeature, Rating, StationPhone
from pingan.resources.models import Resource, ResourcePosition
from pingan.scheduler.models import ScheduledRun, SchedulerLease

__all__ = [
    "Address",
    "AggregateGrid",
    "ApiToken",
    "Assignment",
    "AuditChainHead",
    "AuditRecord",
    "Camera",
    "ChecklistOverride",
    "ChecklistTask",
    "ChecklistTemplate",
    "Dispute",
    "DisputeEvent",
    "DisputeFollowUp",
    "DisputeParty",
    "EarlyWarning",
    "EarlyWarningEvent",
    "GeocodeName",
    "Hazard",
    "IdempotencyKey",
    "Incident",
    "IncidentDayCount",
    "IncidentEvent",
    "IncidentGridCount",
    "Indicator",
    "Instruction",
    "InstructionAttachment",
    "InstructionEvent",
    "InstructionRecipient",
    "Job",
    "Jurisdiction",
    "KeyArea",
    "MediationStep",
    "Notice",
    "Premises",
    "PremisesFeature",
    "PremisesInspection",
    "Rating",
    "Resource",
    "ResourcePosition",
    "SatisfactionSurvey",
    "ScheduledRun",
    "SchedulerLease",
    "Scorecard",
    "StationPhone",
    "User",
]
