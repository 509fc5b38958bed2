/* /hazards: open hazards per level of government, those touching most incidents first. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const canClose = document.getElementById("board").dataset.canClose === "1";
  const today = new Date().toISOString().slice(0, 10);
  const LEVEL_COLOURS = { station: "#ef8f00", district: "#d84315", city: "#b71c1c" };
  // the stations' outlines (drawn lean), for orientation (no base map tiles: the app runs
  // offline); asked for now, with the hazards
  const stations = api("/api/v1/map/areas/stations").catch(() => null);
  /* the map is made at once but draws nothing until the first list is in: fitted to its hazards
     by a jump, its sources added with their data, drawn in one frame (mapframes.js) */
  const map = PA.mapframes.early("hz-map", { background: "#eef1f5", maxZoom: 15, scale: false });
  window.pinganMap = map;
  let first = true;
  const features = (items) => ({ type: "FeatureCollection", features: items.map((h) => ({
    type: "Feature", geometry: h.geometry && h.geometry.type === "LineString" ? h.geometry : { type: "Point", coordinates: [h.lon, h.lat] },
    properties: { c: LEVEL_COLOURS[h.level], n: h.incidents_12m || 0 } })) });
  const extent = (items) => {
    const pts = items.filter((h) => h.lon != null && h.lat != null);
    if (!pts.length) return null;
    const lons = pts.map((h) => h.lon), lats = pts.map((h) => h.lat);
    return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
  };
  async function firstMap(items) {
    first = false;
    const st = await stations;
    await PA.mapframes.firstView(map, () => {
      map.addSource("hz", { type: "geojson", data: features(items) });
      map.addSource("st", { type: "geojson", data: st || { type: "FeatureCollection", features: [] } });
      map.addLayer({ id: "st", type: "line", source: "st", paint: { "line-color": "#7a8aa8", "line-width": 1 } });
      map.addLayer({ id: "hz-line", type: "line", source: "hz", filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": ["get", "c"], "line-width": 4 } });
      map.addLayer({ id: "hz-pt", type: "circle", source: "hz", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": ["+", 5, ["min", ["get", "n"], 10]], "circle-color": ["get", "c"], "circle-opacity": 0.85, "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    }, extent(items) || PA.mapframes.bbox(st));
  }
  // the list again (after a close): the map redrawn and fitted to what is left
  function plot(items) {
    map.getSource("hz").setData(features(items));
    const box = extent(items);
    if (box) map.fitBounds([[box[0], box[1]], [box[2], box[3]]], { padding: 30, duration: 0, maxZoom: 15 });
  }

  async function load() {
    document.body.dataset.ready = "0";
    try {
      const page = await api("/api/v1/hazards?rank=incidents&limit=1000");
      page.items = page.items.filter((h) => h.status !== "closed");
      const drawn = first ? firstMap(page.items) : plot(page.items);
      for (const level of ["station", "district", "city"]) {
        const rows = page.items.filter((h) => h.level === level);
        document.getElementById("lv-" + level).innerHTML = rows.length ? rows.map((h) => `<li data-id="${h.id}">
          <div><strong>${esc(h.code)}</strong> ${esc(h.title)}${h.geometry && h.geometry.type === "LineString" ? " · " + esc(t("hz.segment")) : ""}</div>
          <div class="sub">${h.premises_id ? `<a href="/premises/${h.premises_id}">${esc(t("kp.open"))}</a> · ` : ""}${esc(t("hz.cat." + h.category))} · ${esc(t("hz.incidents"))} ${h.incidents_12m}
            ${h.owner ? "· " + esc(h.owner) : ""} · <span class="${h.deadline && h.deadline < today ? "late" : ""}">${esc(t("hz.deadline"))} ${esc(h.deadline || "–")}</span></div>
          ${canClose ? `<button type="button" class="close" data-id="${h.id}">${esc(t("hz.close"))}</button>` : ""}
        </li>`).join("") : `<li class="muted">${esc(t("hz.none"))}</li>`;
      }
      await drawn; // ready once the map, too, has drawn the list
    } catch (e) {
      document.getElementById("status").textContent = String(e.message || e);
      if (first) await firstMap([]).catch(() => {}); // the stations, for orientation
    }
    document.body.dataset.ready = "1";
  }

  document.getElementById("board").addEventListener("click", async (e) => {
    const b = e.target.closest("button.close");
    if (!b) return;
    b.disabled = true;
    try {
      await api(`/api/v1/hazards/${b.dataset.id}/close`, { method: "POST" });
    } catch (err) {
      document.getElementById("status").textContent = String(err.message || err);
    }
    load();
  });
  load();
})();
