"""Geocoding endpoints under ``/api/v1``: find a place by name, or the address at a point."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from pingan.api.deps import SessionDep, allowed
from pingan.api.errors import ErrorBody
from pingan.auth.service import Principal
from pingan.geocoding import service
from pingan.geocoding.schemas import (
    GeocodeCollection,
    GeocodeFeature,
    GeocodeProperties,
    PointGeometry,
)

router = APIRouter(prefix="/api/v1", tags=["geocoding"], responses=ErrorBody)


def _feature(c: service.Candidate, id_kind: str | None = None) -> GeocodeFeature:
    return GeocodeFeature(
        id=f"{id_kind or c.kind}/{c.id}",
        geometry=PointGeometry(coordinates=(c.lon, c.lat)),
        properties=GeocodeProperties(
            label=c.label,
            kind=c.kind,  # type: ignore[arg-type]
            score=c.score,
            jurisdiction_code=c.jurisdiction_code,
            distance_m=c.distance_m,
        ),
    )


@router.get("/geocode", operation_id="geocode")
def geocode(
    session: SessionDep,
    principal: Annotated[Principal, allowed("map.read")],
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=200,
            description="a door plate (北京路88号, 北京88, 北京路８８号), road, junction "
            "(北京路与环城南路) or premises name, whole or in part",
        ),
    ],
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> GeocodeCollection:
    """Standard addresses, premises, roads and junctions matching ``q``, best first.

    Tolerates a missing 号 or 路, full-width digits and partial names; only places in your
    jurisdiction are answered. Queries of one or two characters search roads, junctions and
    premises only. Each candidate carries its ``score`` (0-1) and ``jurisdiction_code``.
    """
    found = service.geocode(session, principal=principal, q=q, limit=limit)
    return GeocodeCollection(features=[_feature(c, "name") for c in found])


@router.get("/geocode/reverse", operation_id="reverse_geocode")
def reverse_geocode(
    session: SessionDep,
    principal: Annotated[Principal, allowed("map.read")],
    lon: Annotated[float, Query(ge=-180, le=180, description="longitude, WGS-84")],
    lat: Annotated[float, Query(ge=-90, le=90, description="latitude, WGS-84")],
) -> GeocodeCollection:
    """The nearest standard address (door plate) to the point and the road it stands on.

    Features: the address (``kind="address"``) and its road (``kind="road"``), each with
    ``distance_m`` from the point; empty when no address in your jurisdiction lies within
    6.4 km.
    """
    rev = service.reverse_geocode(session, principal=principal, lon=lon, lat=lat)
    feats = [_feature(c, "address") for c in (rev.address, rev.road) if c is not None]
    return GeocodeCollection(features=feats)
