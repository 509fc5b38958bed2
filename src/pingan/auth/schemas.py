"""API shapes of users and tokens."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LoginIn", "TokenOut", "UserCreate", "UserRead"]


class LoginIn(BaseModel):
    """Username and password."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    token_name: str = Field(default="api", max_length=120)


class TokenOut(BaseModel):
    """A new bearer token, shown once."""

    access_token: str
    token_type: str = "bearer"
    expires_at: dt.datetime | None = None


class UserCreate(BaseModel):
    """A new user (admins only)."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=256)
    role: str
    display_name: str | None = Field(default=None, max_length=120)
    jurisdiction_code: str | None = None


class UserRead(BaseModel):
    """A user as shown to others."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    username: str
    display_name: str
    role: str
    jurisdiction_id: int | None
    is_active: bool
    language: str
