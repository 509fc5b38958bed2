"""Imports every domain's models so that ``Base.metadata`` knows every table (for Alembic)."""

from pingan.aggregates.models import (
    AggregateGrid,
    IncidentCellDay,
    IncidentDayCount,
    IncidentGridCount,
)
from pingan.alerts.models import EarlyWarning, EarlyWarningEvent
from pingan.audit.models import AuditChainHead, AuditRecord
from pingan.auth.models import ApiToken, User
from pingan.cameras.models import Camera
from pingan.checklists.models import ChecklistOverride, ChecklistTask, ChecklistTemplate
from pingan.citizens.models import (
    Complaint,
    ComplaintEvent,
    OfficerProfile,
    OnlineReport,
    Open311Key,
    PublicNotice,
    PublicReply,
    PublicThrottle,
    RentalStay,
    ReportPhoto,
    SmsCode,
)
from pingan.dispatch.models import Assignment, MoveUp
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
from pingan.events.models import Event, EventCheck, EventLogEntry, EventPost, EventZone
from pingan.fieldapp.models import FieldUnit, RequestReplay
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
from pingan.keyplaces.models import (
    InspectionResult,
    KeyplacePhoto,
    OrderEvent,
    PoliceRoom,
    PoliceShift,
    PostCheckin,
    RectificationOrder,
    SchoolPost,
)
from pingan.ledger.models import LedgerEntry
from pingan.patrols.models import PatrolItem, PatrolPlan
from pingan.places.models import Address, KeyArea, Premises
from pingan.ratings.models import Hazard, PremisesFeature, Rating, StationPhone
from pingan.resources.models import Resource, ResourcePosition
from pingan.scheduler.models import ScheduledRun, SchedulerLease
from pingan.volunteers.models import VolunteerMember, VolunteerShift, VolunteerTeam

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
    "Complaint",
    "ComplaintEvent",
    "Dispute",
    "DisputeEvent",
    "DisputeFollowUp",
    "DisputeParty",
    "EarlyWarning",
    "EarlyWarningEvent",
    "Event",
    "EventCheck",
    "EventLogEntry",
    "EventPost",
    "EventZone",
    "FieldUnit",
    "GeocodeName",
    "Hazard",
    "IdempotencyKey",
    "Incident",
    "IncidentCellDay",
    "IncidentDayCount",
    "IncidentEvent",
    "IncidentGridCount",
    "Indicator",
    "InspectionResult",
    "Instruction",
    "InstructionAttachment",
    "InstructionEvent",
    "InstructionRecipient",
    "Job",
    "Jurisdiction",
    "KeyArea",
    "KeyplacePhoto",
    "LedgerEntry",
    "MediationStep",
    "MoveUp",
    "Notice",
    "OfficerProfile",
    "OnlineReport",
    "Open311Key",
    "OrderEvent",
    "PatrolItem",
    "PatrolPlan",
    "PoliceRoom",
    "PoliceShift",
    "PostCheckin",
    "Premises",
    "PremisesFeature",
    "PremisesInspection",
    "PublicNotice",
    "PublicReply",
    "PublicThrottle",
    "Rating",
    "RectificationOrder",
    "RentalStay",
    "ReportPhoto",
    "RequestReplay",
    "Resource",
    "ResourcePosition",
    "SatisfactionSurvey",
    "ScheduledRun",
    "SchedulerLease",
    "SchoolPost",
    "Scorecard",
    "SmsCode",
    "StationPhone",
    "User",
    "VolunteerMember",
    "VolunteerShift",
    "VolunteerTeam",
]
