"""Sign-in, tokens and users under ``/api/v1``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy import select

from pingan.api.deps import SessionDep, allowed, client_ip
from pingan.api.errors import ErrorBody, Throttled429
from pingan.auth import revocation, service
from pingan.auth.models import User
from pingan.auth.schemas import LoginIn, TokenOut, UserCreate, UserRead
from pingan.auth.service import Principal
from pingan.errors import Invalid, NotFound
from pingan.permissions import allows

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=ErrorBody)


@router.post(
    "/auth/token",
    operation_id="create_token",
    responses={423: {"description": "Account locked after repeated failures"}, 429: Throttled429},
)
def create_token(body: LoginIn, request: Request, session: SessionDep) -> TokenOut:
    """Exchange a username and password for a bearer token (5 failures lock the account)."""
    try:
        user = service.authenticate(
            session, username=body.username, password=body.password, ip=client_ip(request)
        )
    except Exception:
        session.commit()  # keep the failed-login count and its audit record
        raise
    principal = service.principal_for(session, user, ip=client_ip(request))
    token = service.create_token(session, actor=principal.actor, user=user, name=body.token_name)
    session.commit()
    return TokenOut(access_token=token)


@router.get("/auth/me", operation_id="get_me")
def me(
    principal: Annotated[Principal, allowed("account.read")], session: SessionDep
) -> dict[str, object]:
    """The signed-in caller: user, role and jurisdiction scope."""
    user = session.get(User, principal.user_id)
    return {"user": UserRead.model_validate(user).model_dump(), "scope": principal.jpath}


@router.get("/users", operation_id="list_users")
def list_users(
    principal: Annotated[Principal, allowed("account.read")], session: SessionDep
) -> list[UserRead]:
    """Users (administrators see all; others see themselves)."""
    q = select(User).order_by(User.id)
    if not allows(principal.role, "user.manage"):
        q = q.where(User.id == principal.user_id)
    return [UserRead.model_validate(u) for u in session.scalars(q.limit(1000))]


@router.post("/users", status_code=201, operation_id="create_user")
def create_user(
    body: UserCreate, principal: Annotated[Principal, allowed("user.manage")], session: SessionDep
) -> UserRead:
    """Create a user (administrators only)."""
    user = service.create_user(
        session,
        actor=principal.actor,
        username=body.username,
        password=body.password,
        role=body.role,
        display_name=body.display_name,
        jurisdiction_code=body.jurisdiction_code,
    )
    session.commit()
    return UserRead.model_validate(user)


@router.delete("/auth/token", status_code=204, operation_id="revoke_token")
def revoke_token(
    request: Request,
    principal: Annotated[Principal, allowed("account.read")],
    session: SessionDep,
) -> Response:
    """Revoke the bearer token this call is made with: every worker process refuses it from
    now on (within 0.2 s)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    row = service.token_row(session, token.strip()) if scheme.lower() == "bearer" else None
    user = session.get(User, principal.user_id)
    if row is None or user is None:
        raise Invalid("authorization", "send the bearer token to revoke in the header")
    service.revoke_tokens(session, actor=principal.actor, user=user, token_id=row.id)
    session.commit()
    revocation.forget_all()
    return Response(status_code=204)


@router.post("/users/{user_id}/disable", operation_id="disable_user")
def disable_user(
    user_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    principal: Annotated[Principal, allowed("user.manage")],
    session: SessionDep,
) -> UserRead:
    """Disable a user (administrators only): the user's web sessions end and bearer tokens are
    refused in every worker process at once."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} does not exist", field="user_id")
    if user.id == principal.user_id:
        raise Invalid("user_id", "you cannot disable yourself; ask another administrator")
    service.set_active(session, actor=principal.actor, user=user, active=False)
    session.commit()
    revocation.forget_all()
    return UserRead.model_validate(user)
