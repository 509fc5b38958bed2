"""Key-place endpoints: school gate posts (setup, check-in from a phone, daily compliance),
hospital police rooms (staffing, shifts), inspections item by item with photos, rectification
orders and their steps. Thin: reads call the services, changes call the flows; each route takes
its action from the permission table."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, File, Query, Response, UploadFile
from fastapi.responses import FileResponse

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.errors import NotFound
from pingan.inputs import Id, Offset
from pingan.keyplaces import flows, inspections, orders, photos, service
from pingan.keyplaces.schemas import (
    CheckinCreate,
    CheckinRead,
    ComplianceRead,
    InspectionForm,
    InspectionRead,
    InspectionsDue,
    InspectionSubmit,
    OrderPage,
    OrderRead,
    OrderStep,
    PhotoRead,
    PostCreate,
    PostRead,
    RoomRead,
)
from pingan.ratings.service import get_station_by_code

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["key places"], responses=ErrorBody)

PhotoFile = Annotated[UploadFile, File(description="a photo (JPEG, PNG, WebP), at most 10 MiB")]


def _photo_read(ph: object) -> PhotoRead:
    return PhotoRead(
        id=ph.id,  # type: ignore[attr-defined]
        filename=ph.filename,  # type: ignore[attr-defined]
        content_type=ph.content_type,  # type: ignore[attr-defined]
        size_bytes=ph.size_bytes,  # type: ignore[attr-defined]
        url=f"/api/v1/keyplace-photos/{ph.id}",  # type: ignore[attr-defined]
    )


# ------------------------------------------------------------------ school gate posts


@router.post("/school-posts", status_code=201, operation_id="create_school_post")
def create_post(
    body: PostCreate,
    session: SessionDep,
    principal: Annotated[Principal, allowed("post.manage")],
) -> PostRead:
    """Set up a school gate post (护学岗) with its duty windows and school days."""
    return PostRead.model_validate(flows.post_create_flow(session, principal=principal, data=body))


@router.get("/school-posts", operation_id="list_school_posts")
def list_posts(
    session: SessionDep,
    principal: Annotated[Principal, allowed("post.read")],
    station: Annotated[str | None, Query(max_length=64, description="a station code")] = None,
) -> list[PostRead]:
    """The active school gate posts of your jurisdiction (or one station)."""
    sid = None
    if station is not None:
        sid = get_station_by_code(session, principal=principal, code=station).id
    return [
        PostRead.model_validate(p)
        for p in service.list_posts(session, principal=principal, station_id=sid)
    ]


@router.get("/school-posts/compliance", operation_id="school_post_compliance")
def compliance(
    session: SessionDep,
    principal: Annotated[Principal, allowed("post.read")],
    day: Annotated[dt.date | None, Query(ge=dt.date(2000, 1, 1), le=dt.date(2100, 12, 31))] = None,
    station: Annotated[str | None, Query(max_length=64, description="a station code")] = None,
) -> ComplianceRead:
    """Posts staffed / due on a local day (default today), per station and per post."""
    sid = None
    if station is not None:
        sid = get_station_by_code(session, principal=principal, code=station).id
    return service.compliance(session, principal=principal, day=day, station_id=sid)


@router.post(
    "/school-posts/{post_id}/checkins", status_code=201, operation_id="check_in_school_post"
)
def check_in(
    post_id: Id,
    body: CheckinCreate,
    session: SessionDep,
    response: Response,
    principal: Annotated[Principal, allowed("post.checkin")],
) -> CheckinRead:
    """Check in at the gate from a phone: within the post's radius (else 422 with the distance)
    inside a duty window of a school day (else 409 naming the windows). A repeat in the same
    window answers the first check-in with 200."""
    out = flows.checkin_flow(
        session, principal=principal, post_id=post_id, lon=body.lon, lat=body.lat
    )
    if out.already:
        response.status_code = 200
    return out


# ------------------------------------------------------------------ hospital police rooms


@router.get("/police-rooms", operation_id="list_police_rooms")
def list_rooms(
    session: SessionDep, principal: Annotated[Principal, allowed("post.read")]
) -> list[RoomRead]:
    """Hospital police rooms: who is on duty now, hours staffed over 7 days against the hours
    due."""
    return service.list_rooms(session, principal=principal)


@router.post("/police-rooms/{room_id}/shifts/{what}", operation_id="police_room_shift")
def shift(
    room_id: Id,
    what: Literal["start", "end"],
    session: SessionDep,
    principal: Annotated[Principal, allowed("post.checkin")],
) -> list[RoomRead]:
    """Go on (``start``) or off (``end``) duty in a police room; the rooms as they are now."""
    flows.shift_flow(session, principal=principal, room_id=room_id, start=what == "start")
    return service.list_rooms(session, principal=principal)


# ------------------------------------------------------------------ inspections


@router.get("/inspections/due", operation_id="inspections_due")
def inspections_due(
    session: SessionDep,
    principal: Annotated[Principal, allowed("evaluation.inspect")],
    soon_days: Annotated[int, Query(ge=0, le=365)] = 30,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> InspectionsDue:
    """Premises in your cells due an inspection (never inspected in the criteria's window, a
    re-inspection after issues, or the window ending within ``soon_days``), most urgent first,
    with the checklist of each kind listed (a phone can inspect them offline)."""
    return inspections.due(session, principal=principal, soon_days=soon_days, limit=limit)


@router.get("/premises/{premises_id}/inspection-form", operation_id="get_inspection_form")
def inspection_form(
    premises_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("evaluation.inspect")],
) -> InspectionForm:
    """The checklist of a premises' inspection (the on-site items of its kind's criteria)."""
    return inspections.form_of(session, principal=principal, premises_id=premises_id)


@router.post(
    "/premises/{premises_id}/inspections", status_code=201, operation_id="submit_inspection"
)
def submit_inspection(
    premises_id: Id,
    body: InspectionSubmit,
    session: SessionDep,
    principal: Annotated[Principal, allowed("evaluation.inspect")],
) -> InspectionRead:
    """Record an inspection item by item: a failed item opens a rectification order; the
    premises is rated again at once (``stars``: the new rating)."""
    return flows.inspection_submit_flow(
        session, principal=principal, premises_id=premises_id, data=body
    )


@router.get("/premises/{premises_id}/inspections", operation_id="list_premises_inspections")
def list_inspections(
    premises_id: Id,
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
    limit: Annotated[int, Query(ge=1, le=200)] = 20,
) -> list[InspectionRead]:
    """A premises' inspections, newest first, with their items, photos and orders."""
    return inspections.list_inspections(
        session, principal=principal, premises_id=premises_id, limit=limit
    )


@router.post(
    "/inspections/{inspection_id}/photos", status_code=201, operation_id="upload_inspection_photo"
)
def inspection_photo(
    inspection_id: Id,
    file: PhotoFile,
    session: SessionDep,
    principal: Annotated[Principal, allowed("evaluation.inspect")],
) -> PhotoRead:
    """Attach a photo to an inspection."""
    ph = flows.inspection_photo_flow(
        session,
        principal=principal,
        inspection_id=inspection_id,
        filename=file.filename or "photo",
        content_type=file.content_type or "",
        data=file.file.read(photos.MAX_PHOTO_BYTES + 1),
    )
    return _photo_read(ph)


@router.get(
    "/keyplace-photos/{photo_id}", operation_id="get_keyplace_photo", response_class=FileResponse
)
def get_photo(
    photo_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("rating.read")]
) -> FileResponse:
    """The bytes of an inspection's or a fix's photo."""
    ph = photos.get_photo_or_raise(session, principal=principal, photo_id=photo_id)
    path = photos.photo_path(ph.sha256)
    if not path.is_file():
        raise NotFound(f"the file of photo {photo_id} is missing from the store")
    return FileResponse(path, media_type=ph.content_type, filename=ph.filename)


# ------------------------------------------------------------------ rectification orders


@router.get("/rectification-orders", operation_id="list_rectification_orders")
def list_orders(
    session: SessionDep,
    principal: Annotated[Principal, allowed("rating.read")],
    premises_id: Annotated[Id | None, Query()] = None,
    state: Annotated[
        Literal["issued", "signed", "reported", "rework", "accepted"] | None, Query()
    ] = None,
    open: Annotated[bool, Query(description="only orders not accepted yet")] = False,
    late: Annotated[bool, Query(description="only orders past their deadline")] = False,
    station: Annotated[str | None, Query(max_length=64, description="a station code")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[Offset, Query()] = 0,
) -> OrderPage:
    """Rectification orders in your jurisdiction, open ones by deadline first."""
    sid = None
    if station is not None:
        sid = get_station_by_code(session, principal=principal, code=station).id
    total, rows = orders.list_orders(
        session,
        principal=principal,
        premises_id=premises_id,
        state=state,
        open_only=open,
        late_only=late,
        station_id=sid,
        limit=limit,
        offset=offset,
    )
    return OrderPage(
        total=total, limit=limit, offset=offset, items=orders.order_read(session, rows)
    )


@router.get("/rectification-orders/{order_id}", operation_id="get_rectification_order")
def get_order(
    order_id: Id, session: SessionDep, principal: Annotated[Principal, allowed("rating.read")]
) -> OrderRead:
    """An order with its timeline and the photos of the fix."""
    o = orders.get_order_or_raise(session, principal=principal, order_id=order_id)
    return orders.order_read(session, [o], detail=True)[0]


def _step(
    session: SessionDep, principal: Principal, order_id: int, verb: str, body: OrderStep
) -> OrderRead:
    o = flows.order_step_flow(
        session, principal=principal, order_id=order_id, verb=verb, note=body.note
    )
    return orders.order_read(session, [o], detail=True)[0]


@router.post("/rectification-orders/{order_id}/sign", operation_id="sign_rectification_order")
def sign_order(
    order_id: Id,
    body: OrderStep,
    session: SessionDep,
    principal: Annotated[Principal, allowed("order.handle")],
) -> OrderRead:
    """The owner signed for the order (签收)."""
    return _step(session, principal, order_id, "sign", body)


@router.post("/rectification-orders/{order_id}/report", operation_id="report_rectification_order")
def report_order(
    order_id: Id,
    body: OrderStep,
    session: SessionDep,
    principal: Annotated[Principal, allowed("order.handle")],
) -> OrderRead:
    """Report the fix (反馈): ``note`` says what was done; upload photos of the fix first."""
    return _step(session, principal, order_id, "report", body)


@router.post("/rectification-orders/{order_id}/accept", operation_id="accept_rectification_order")
def accept_order(
    order_id: Id,
    body: OrderStep,
    session: SessionDep,
    principal: Annotated[Principal, allowed("order.review")],
) -> OrderRead:
    """Accept the fix (验收): the premises is rated again."""
    return _step(session, principal, order_id, "accept", body)


@router.post("/rectification-orders/{order_id}/reject", operation_id="reject_rectification_order")
def reject_order(
    order_id: Id,
    body: OrderStep,
    session: SessionDep,
    principal: Annotated[Principal, allowed("order.review")],
) -> OrderRead:
    """Send the fix back (退回): ``note`` says what is still to be fixed."""
    return _step(session, principal, order_id, "reject", body)


@router.post(
    "/rectification-orders/{order_id}/photos",
    status_code=201,
    operation_id="upload_rectification_photo",
)
def order_photo(
    order_id: Id,
    file: PhotoFile,
    session: SessionDep,
    principal: Annotated[Principal, allowed("order.handle")],
) -> PhotoRead:
    """Attach a photo of the fix to an order."""
    ph = flows.order_photo_flow(
        session,
        principal=principal,
        order_id=order_id,
        filename=file.filename or "photo",
        content_type=file.content_type or "",
        data=file.file.read(photos.MAX_PHOTO_BYTES + 1),
    )
    return _photo_read(ph)
