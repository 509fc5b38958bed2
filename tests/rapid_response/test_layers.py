"""The 1/3/5-minute layers: drawn small (holes filled, simplified, quantised, valid), the areas
the raster's, kept on disk by the job and read by the OGC collection; a moved post is a new
layer set."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from sqlalchemy import update
from sqlalchemy.orm import Session

from pingan.auth.service import principal_for
from pingan.coverage import isochrones
from pingan.rapid_response import data, flows, layers, service
from pingan.resources.models import Resource
from tests.conftest import auth
from tests.factories import SmallCity
from tests.rapid_response.city import CoverageCity, build

STANDARDS = [60.0, 180.0, 300.0]


@pytest.fixture()
def cov(app: Any, session: Session, city: SmallCity, tmp_path: Path) -> CoverageCity:
    data.clear_network_cache()
    app.state.settings = app.state.settings.model_copy(update={"data_dir": tmp_path})
    return build(session, city, tmp_path)


def _posts(session: Session, city: SmallCity) -> data.Forces:
    forces = data.load_forces(session, principal=principal_for(session, city.users["admin"]))
    return forces.subset(np.isin(forces.kind, data.POST_KINDS))


def _metric_area_km2(geom: shapely.Geometry, proj: Any) -> float:
    def fwd(c: Any) -> Any:
        x, y = proj.forward(c[:, 0], c[:, 1])
        return np.column_stack([x, y])

    return float(shapely.area(shapely.transform(geom, fwd))) / 1e6


def test_layers_are_small_valid_and_keep_the_rasters_area(
    session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    net = cov.network
    fld = service.field_from(net, _posts(session, city), mode="car", at=dt.time(12, 0))
    raster = isochrones(net, fld.time_s, STANDARDS, mode="car", at=dt.time(12, 0))
    feats = layers.isochrone_layers(
        net, fld.time_s, STANDARDS, mode="car", at=dt.time(12, 0), sources=fld.n_sources
    )
    assert [f["properties"]["standard_s"] for f in feats] == [300, 180, 60]
    by_s = dict(zip(STANDARDS, raster, strict=True))
    five = by_s[300.0]
    # the raster has the holes between blocks (≈ 130 m squares), the drawing has none of them
    assert sum(len(p.interiors) for p in shapely.get_parts(five)) > 0
    for f in feats:
        s = f["properties"]["standard_s"]
        raw = by_s[s]
        # the figure is the raster's, to the metre
        assert f["properties"]["area_km2"] == round(_metric_area_km2(raw, net.projection), 3)
        drawn = shapely.from_geojson(json.dumps(f["geometry"]))
        assert drawn.is_valid
        assert len(json.dumps(f["geometry"], separators=(",", ":"))) <= layers.MAX_LAYER_BYTES
        for part in shapely.get_parts(drawn):
            for ring in part.interiors:
                hole = shapely.Polygon(ring)
                assert _metric_area_km2(hole, net.projection) * 1e6 >= layers.HOLE_MIN_M2 * 0.9
        coords = shapely.get_coordinates(drawn)
        assert np.allclose(coords, np.round(coords, 5), atol=1e-12)
        # the drawing covers what the raster covers, give or take the tolerance
        tol = f["properties"]["simplified_m"] * 1.5 / 111_000
        assert shapely.difference(raw, drawn.buffer(tol)).area < 1e-3 * raw.area
        assert f["properties"]["holes_filled_below_m2"] == layers.HOLE_MIN_M2


def test_a_layer_over_the_bound_is_coarsened_until_it_fits(
    session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    net = cov.network
    fld = service.field_from(net, _posts(session, city), mode="foot", at=None)
    five = isochrones(net, fld.time_s, [300.0], mode="foot")[0]
    full, tol, _ = layers.drawing(five, net.projection, hole_min_m2=1.0, simplify_m=0.5)
    assert tol == 0.5
    bound = len(json.dumps(full, separators=(",", ":"))) // 3
    small, tol, holes = layers.drawing(
        five, net.projection, hole_min_m2=1.0, simplify_m=0.5, max_bytes=bound
    )
    assert len(json.dumps(small, separators=(",", ":"))) <= bound
    assert tol > 0.5 and holes > 1.0
    assert shapely.from_geojson(json.dumps(small)).is_valid


def test_the_job_precomputes_every_mode_and_regime_and_the_page_reads_them(
    client: TestClient, session: Session, city: SmallCity, cov: CoverageCity
) -> None:
    admin = principal_for(session, city.users["admin"])
    net = cov.network
    regimes = {m: layers.regime_times(net, m) for m in layers.PAGE_MODES}
    # free flow, the peaks, the night for vehicles (the two peaks share their speeds); one on foot
    assert len(regimes["car"]) == 3 and len(regimes["motorcycle"]) == 3
    assert len(regimes["foot"]) == 1
    out = flows.layers_precompute_flow(session, admin, data_dir=cov.data_dir)
    assert out["computed"] == 7 and out["kept"] == 0 and out["posts"] == 2
    again = flows.layers_precompute_flow(session, admin, data_dir=cov.data_dir)
    assert again["computed"] == 0 and again["kept"] == 7
    store = layers.LayerStore.beside(cov.data_dir)
    kept = sorted(store.folder.glob("*.json"))
    assert len(kept) == 7
    # the OGC collection answers from the store: at 18:10 is the evening peak's layer set
    posts = _posts(session, city)
    key = layers.layer_key(
        net,
        data.network_path(cov.data_dir),
        posts.lon,
        posts.lat,
        mode="car",
        at=dt.time(18, 10),
        standards_s=STANDARDS,
        sources="posts",
    )
    stored = store.get(key)
    assert stored is not None
    h = auth(city.tokens["admin"])
    r = client.get(
        "/api/v1/ogc/collections/coverage-isochrones/items",
        params={"standard": "60,180,300", "mode": "car", "at": "18:10"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    got = r.json()["features"]
    for g, k in zip(got, stored, strict=True):  # the same drawing, as the store keeps it
        assert shapely.equals_exact(
            shapely.from_geojson(json.dumps(g["geometry"])),
            shapely.from_geojson(json.dumps(k["geometry"])),
            tolerance=1e-9,
        )
    assert [f["properties"]["area_km2"] for f in got] == [
        f["properties"]["area_km2"] for f in stored
    ]
    assert {f["properties"]["at"] for f in got} == {"18:10"}
    assert len(list(store.folder.glob("*.json"))) == 7  # nothing computed for the page
    # a post moved: new keys, computed again by the job
    session.execute(
        update(Resource).where(Resource.id == cov.post_ids[0]).values(lon=posts.lon[0] + 0.0025)
    )
    session.flush()
    moved = flows.layers_precompute_flow(session, admin, data_dir=cov.data_dir)
    assert moved["computed"] == 7 and moved["kept"] == 0


def test_a_copied_data_folder_keeps_its_layer_keys(tmp_path: Path) -> None:
    """The key names the roads by their content, not their path or file time: a data folder
    copied or restored elsewhere reads the layers it was given (it recomputed every one)."""
    import os
    import shutil

    a = tmp_path / "a" / "roads.npz"
    a.parent.mkdir()
    a.write_bytes(b"the same roads" * 1000)
    b = tmp_path / "b" / "roads.npz"
    b.parent.mkdir()
    shutil.copy(a, b)
    os.utime(b, ns=(1, 1))  # a restore gives it another time
    assert layers.file_fingerprint(a) == layers.file_fingerprint(b)
    b.write_bytes(b"other roads" * 1000)
    assert layers.file_fingerprint(a) != layers.file_fingerprint(b)
