/* Cameras page: cameras and their view sectors, the blind-spot map, figures per station and key
   area, and the siting of new cameras (before/after, plan as GeoJSON or Excel). */
"use strict";
(function () {
  const { t, api, esc, lang } = window.PA;
  const empty = () => ({ type: "FeatureCollection", features: [] });
  // the legend's .sw-* in cameras.html
  const STATUS_COLORS = { online: "#2e7d32", offline: "#c62828", maintenance: "#ef8f00" };
  const SECTOR_ZOOM = 15;
  const pct = (x) => (x == null ? "–" : (100 * x).toFixed(1) + "%");
  const num = (x) => Number(x).toLocaleString(lang);
  const fmt = (key, vars) => t(key).replace(/\{(\w+)\}/g, (_, k) => (vars[k] == null ? "" : vars[k]));
  const map = new maplibregl.Map({ locale: window.PA.mapLocale,
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f5" } }] },
    center: [102.71, 25.04], zoom: 11, attributionControl: false, maxPitch: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.pinganMap = map;
  let lastJob = null;

  function addLayers() {
    for (const s of ["roads", "blind", "cameras", "sectors", "plan", "plan-sectors", "draft"]) map.addSource(s, { type: "geojson", data: empty() });
    map.addLayer({ id: "roads", type: "line", source: "roads", paint: { "line-color": "#c3cad6", "line-width": ["interpolate", ["linear"], ["zoom"], 11, 0.5, 17, 5] } });
    // by the unseen incidents; fainter at street zoom, where the view sectors are drawn over it
    const blindOpacity = ["interpolate", ["linear"], ["get", "unseen"], 1, 0.12, 20, 0.45, 80, 0.7];
    map.addLayer({ id: "blind", type: "fill", source: "blind", paint: { "fill-color": "#b71c1c", "fill-opacity": ["interpolate", ["linear"], ["zoom"], 14, blindOpacity, 16, ["*", 0.3, blindOpacity]] } });
    map.addLayer({ id: "sectors", type: "fill", source: "sectors", minzoom: SECTOR_ZOOM, paint: { "fill-color": ["match", ["get", "status"], "online", STATUS_COLORS.online, "offline", STATUS_COLORS.offline, STATUS_COLORS.maintenance], "fill-opacity": 0.22 } });
    map.addLayer({ id: "sectors-line", type: "line", source: "sectors", minzoom: SECTOR_ZOOM, paint: { "line-color": ["match", ["get", "status"], "online", STATUS_COLORS.online, "offline", STATUS_COLORS.offline, STATUS_COLORS.maintenance], "line-width": 0.6 } });
    map.addLayer({ id: "cameras", type: "circle", source: "cameras", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 1.2, 15, 4], "circle-color": ["match", ["get", "status"], "online", STATUS_COLORS.online, "offline", STATUS_COLORS.offline, STATUS_COLORS.maintenance], "circle-stroke-color": "#fff", "circle-stroke-width": ["interpolate", ["linear"], ["zoom"], 12, 0, 15, 1] } });
    map.addLayer({ id: "plan-sectors", type: "fill", source: "plan-sectors", paint: { "fill-color": "#d81b60", "fill-opacity": 0.3 } });
    map.addLayer({ id: "draft-sector", type: "fill", source: "draft", filter: ["==", ["geometry-type"], "Polygon"], paint: { "fill-color": "#1565c0", "fill-opacity": 0.3 } });
    map.addLayer({ id: "draft", type: "circle", source: "draft", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 6, "circle-color": "#1565c0", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "plan", type: "circle", source: "plan", paint: { "circle-radius": 5, "circle-color": "#d81b60", "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
  }

  async function loadCameras(fit = true) {
    const fc = await api("/api/v1/ogc/collections/cameras/items?limit=10000");
    fc.features = fc.features.filter((f) => f.properties.status !== "retired");
    for (const f of fc.features) f.properties.id = f.id; // the editor's handle on a clicked camera
    map.getSource("cameras").setData(fc);
    if (fit && fc.features.length) {
      const b = new maplibregl.LngLatBounds();
      for (const f of fc.features) b.extend(f.geometry.coordinates);
      map.fitBounds(b, { padding: 20, duration: 0 });
    }
  }

  function row(f, kind) {
    const bar = (x) => (x == null ? "" : `<span class="cm-bar" style="width:${Math.round(40 * x)}px"></span>`);
    return `<tr class="row" data-kind="${kind}" data-id="${f.id}"><td>${esc(f.name)}</td><td>${num(f.cameras)}</td>` +
      `<td>${f.down ? `<b class="cm-err">${num(f.down)}</b>` : "0"}</td>` +
      `<td>${pct(f.incidents_seen_share)}${bar(f.incidents_seen_share)}</td><td>${pct(f.road_seen_share)}</td></tr>`;
  }

  function renderFigures(fig) {
    const tot = fig.total;
    document.getElementById("k-cameras").textContent = num(tot.cameras);
    document.getElementById("k-working").textContent = num(tot.working);
    document.getElementById("k-down").textContent = num(tot.down);
    document.getElementById("k-inc").textContent = pct(tot.incidents_seen_share);
    document.getElementById("k-road").textContent = pct(tot.road_seen_share);
    document.getElementById("k-blind").textContent = num(tot.incidents - tot.incidents_seen);
    document.querySelector("#t-stations tbody").innerHTML = fig.stations.map((s) => row(s, "station")).join("");
    const worst = fig.key_areas.filter((k) => k.incidents > 0)
      .sort((a, b) => a.incidents_seen_share - b.incidents_seen_share).slice(0, 15);
    document.querySelector("#t-keyareas tbody").innerHTML = worst.map((k) => row(k, "key_area")).join("") ||
      `<tr><td colspan="5">${esc(t("cameras.none"))}</td></tr>`;
    const days = fig.history_days;
    const items = ["incidents", "road", "down", "areas"].map((k) => fmt("cameras.explain." + k, { days }));
    if (tot.road_m === 0) items[1] = t("cameras.explain.no_roads");
    document.getElementById("cm-explain").innerHTML = items.map((s) => `<li>${esc(s)}</li>`).join("");
  }

  let roadTimer = null, roadSeq = 0;
  const hasRoads = document.getElementById("map").dataset.roads === "1";
  function refreshRoads() {
    if (!hasRoads) return Promise.resolve();  // no network: asking would be a 409 in the console
    clearTimeout(roadTimer);
    return new Promise((done) => {
      roadTimer = setTimeout(async () => {
        const my = ++roadSeq;
        try {
          const d = await api("/api/v1/map/roads?" + new URLSearchParams({ bbox: bboxParam(), zoom: map.getZoom().toFixed(1) }));
          if (my === roadSeq) map.getSource("roads").setData(d);
        } catch (e) { /* the next move asks again */ }
        done();
      }, 150);
    });
  }

  let sectorTimer = null, sectorSeq = 0;
  function bboxParam() { const b = map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","); }
  function refreshSectors() {
    clearTimeout(sectorTimer);
    sectorTimer = setTimeout(async () => {
      const on = document.getElementById("l-sectors").checked;
      if (!on || map.getZoom() < SECTOR_ZOOM) { map.getSource("sectors").setData(empty()); return; }
      const my = ++sectorSeq;
      try {
        const fc = await api("/api/v1/cameras/sectors?" + new URLSearchParams({ bbox: bboxParam() }));
        if (my === sectorSeq) map.getSource("sectors").setData(fc);
      } catch (e) { /* the next move asks again */ }
    }, 200);
  }

  function sitingBody() {
    const st = document.getElementById("s-station").value;
    const body = {
      n_cameras: +document.getElementById("s-n").value, headings: +document.getElementById("s-headings").value,
      fov_deg: +document.getElementById("s-fov").value, range_m: +document.getElementById("s-range").value,
    };
    if (st) body.station_id = +st;
    return body;
  }

  async function runSiting() {
    const status = document.getElementById("s-status");
    const btn = document.getElementById("s-run");
    const bar = document.getElementById("s-progress");
    status.classList.remove("cm-err"); status.textContent = t("cameras.job.queued"); btn.disabled = true;
    bar.hidden = false; bar.value = 0;
    try {
      const { job_id } = await api("/api/v1/cameras/siting/jobs", { method: "POST", body: sitingBody() });
      for (;;) {
        await new Promise((r) => setTimeout(r, 700));
        const job = await api("/api/v1/jobs/" + job_id);
        bar.value = job.progress || 0;
        status.textContent = lang === "en" && job.message ? job.message : t("cameras.job." + job.status);
        if (job.status === "failed") throw new Error(job.error || t("cameras.job.failed"));
        if (job.status === "done") {
          lastJob = job_id;
          showPlan(job.result);
          status.textContent = fmt("cameras.done", { n: job.result.cameras.length, s: job.result.solve_time_s });
          break;
        }
      }
    } catch (e) { status.textContent = e.message; status.classList.add("cm-err"); }
    finally { btn.disabled = false; bar.hidden = true; }
  }

  function showPlan(res) {
    const pts = res.cameras.map((c) => ({ type: "Feature", geometry: { type: "Point", coordinates: [c.lon, c.lat] }, properties: c }));
    map.getSource("plan").setData({ type: "FeatureCollection", features: pts });
    map.getSource("plan-sectors").setData({ type: "FeatureCollection", features: res.cameras.map((c) => ({ type: "Feature", geometry: { type: "Polygon", coordinates: [sector(c)] }, properties: {} })) });
    const b0 = res.before, b1 = res.after;
    document.querySelector("#s-ba tbody").innerHTML =
      `<tr><td>${esc(t("cameras.col.incidents_seen"))}</td><td>${pct(b0.incidents_seen_share)}</td><td><b>${pct(b1.incidents_seen_share)}</b></td></tr>` +
      `<tr><td>${esc(t("cameras.col.road_seen"))}</td><td>${pct(b0.road_seen_share)}</td><td><b>${pct(b1.road_seen_share)}</b></td></tr>` +
      `<tr><td>${esc(t("cameras.k.unseen"))}</td><td>${num(b0.incidents - b0.incidents_seen)}</td><td><b>${num(b1.incidents - b1.incidents_seen)}</b></td></tr>`;
    document.querySelector("#s-plan tbody").innerHTML = res.cameras.map((c) =>
      `<tr class="row" data-lon="${c.lon}" data-lat="${c.lat}"><td>${c.rank}</td><td>${Math.round(c.heading_deg)}°${c.junction ? " · " + esc(t("cameras.junction")) : ""}</td><td>${num(c.incidents_newly_seen)}</td><td>${num(Math.round(c.road_newly_seen_m))} m</td></tr>`).join("");
    document.getElementById("s-how").textContent = lang === "en" ? res.explanation : fmt("cameras.siting_how", { n: res.cameras.length, headings: res.request.headings, fov: res.request.fov_deg, range: res.request.range_m });
    document.getElementById("s-result").hidden = false;
    document.getElementById("s-ba").scrollIntoView({ block: "nearest" });
    if (pts.length) {
      const b = new maplibregl.LngLatBounds();
      for (const f of pts) b.extend(f.geometry.coordinates);
      map.fitBounds(b, { padding: 40, duration: 0, maxZoom: 15 });
    }
  }

  function sector(c) {
    const mLat = 111320, mLon = mLat * Math.cos(c.lat * Math.PI / 180), out = [[c.lon, c.lat]];
    for (let i = 0; i <= 12; i++) {
      const a = (c.heading_deg - c.fov_deg / 2 + (c.fov_deg * i) / 12) * Math.PI / 180;
      out.push([c.lon + (c.range_m * Math.sin(a)) / mLon, c.lat + (c.range_m * Math.cos(a)) / mLat]);
    }
    out.push([c.lon, c.lat]);
    return out;
  }

  async function download(format) {
    const status = document.getElementById("s-status");
    if (!lastJob) return;
    try {
      const r = await fetch(`/api/v1/cameras/siting/jobs/${encodeURIComponent(lastJob)}/plan?format=${format}`);
      if (!r.ok) throw new Error(window.PA.errorText(await r.json().catch(() => ({})), r.statusText));
      const blob = await r.blob();
      const a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "camera-plan." + format;
      document.body.appendChild(a); a.click(); a.remove();
      setTimeout(() => URL.revokeObjectURL(a.href), 5000);
    } catch (e) { status.textContent = e.message; status.classList.add("cm-err"); }
  }

  // --- the camera editor (station chiefs, administrators): new, change, move, retire
  const ce = { id: null, code: null, picking: false };
  const $ = (id) => document.getElementById(id);

  function ceMsg(text, err) { const m = $("ce-msg"); m.textContent = text; m.classList.toggle("cm-err", !!err); }

  function ceDraft() {
    const lon = parseFloat($("ce-lon").value), lat = parseFloat($("ce-lat").value);
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) { map.getSource("draft").setData(empty()); return; }
    const c = { lon, lat, heading_deg: +$("ce-heading").value || 0, fov_deg: +$("ce-fov").value || 90, range_m: +$("ce-range").value || 80 };
    map.getSource("draft").setData({ type: "FeatureCollection", features: [
      { type: "Feature", geometry: { type: "Polygon", coordinates: [sector(c)] }, properties: {} },
      { type: "Feature", geometry: { type: "Point", coordinates: [lon, lat] }, properties: {} }] });
  }

  function ceFill(p, lonlat) {
    ce.id = p ? p.id : null; ce.code = p ? p.code : null;
    $("ce-code").textContent = p ? fmt("cameras.edit.editing", { code: p.code }) : t("cameras.edit.creating");
    $("ce-code-in").value = p ? p.code : ""; $("ce-code-in").disabled = !!p;
    $("ce-name").value = p && p.name ? p.name : "";
    $("ce-lon").value = lonlat ? lonlat[0].toFixed(6) : ""; $("ce-lat").value = lonlat ? lonlat[1].toFixed(6) : "";
    $("ce-heading").value = p ? Math.round(p.heading_deg) : 0;
    $("ce-fov").value = p ? Math.round(p.fov_deg) : 90; $("ce-range").value = p ? Math.round(p.range_m) : 80;
    $("ce-owner").value = p ? p.owner : "public"; $("ce-resolution").value = p ? p.resolution : "hd";
    $("ce-status-sel").value = p && p.status !== "retired" ? p.status : "online";
    $("ce-retire-row").hidden = !p; $("ce-reason").value = "";
    ceMsg("", false); cePick(!p); ceDraft();
  }

  function cePick(on) {
    ce.picking = on; $("ce-pick").setAttribute("aria-pressed", on ? "true" : "false");
    map.getCanvas().style.cursor = on ? "crosshair" : "";
    if (on) ceMsg(t("cameras.edit.picking"), false);
  }

  function ceBody() {
    const body = {
      name: $("ce-name").value.trim() || null, lon: parseFloat($("ce-lon").value), lat: parseFloat($("ce-lat").value),
      heading_deg: +$("ce-heading").value, fov_deg: +$("ce-fov").value, range_m: +$("ce-range").value,
      owner: $("ce-owner").value, resolution: $("ce-resolution").value, status: $("ce-status-sel").value,
    };
    if (!ce.id && $("ce-code-in").value.trim()) body.code = $("ce-code-in").value.trim();
    return body;
  }

  async function ceAfter(message) {
    await loadCameras(false);
    await api("/api/v1/cameras/figures").then(renderFigures);
    refreshSectors();
    ceMsg(message, false);
  }

  async function ceSave() {
    const btn = $("ce-save"); btn.disabled = true;
    try {
      const cam = ce.id
        ? await api("/api/v1/cameras/" + ce.id, { method: "PATCH", body: ceBody() })
        : await api("/api/v1/cameras", { method: "POST", body: ceBody() });
      ceFill(cam, [cam.lon, cam.lat]); cePick(false);
      if (!map.getBounds().contains([cam.lon, cam.lat])) map.jumpTo({ center: [cam.lon, cam.lat] });
      await ceAfter(fmt("cameras.edit.saved", { code: cam.code }));
    } catch (e) { ceMsg(e.message, true); }
    finally { btn.disabled = false; }
  }

  async function ceRetire() {
    const reason = $("ce-reason").value.trim();
    if (!ce.id) return;
    if (!reason) { ceMsg(t("cameras.edit.need_reason"), true); $("ce-reason").focus(); return; }
    try {
      const cam = await api(`/api/v1/cameras/${ce.id}/retire`, { method: "POST", body: { reason } });
      ceFill(null, null); cePick(false); map.getSource("draft").setData(empty());
      await ceAfter(fmt("cameras.edit.retired", { code: cam.code }));
    } catch (e) { ceMsg(e.message, true); }
  }

  function ceWire() {
    if (!$("ce-form")) return false;
    $("ce-new").addEventListener("click", () => ceFill(null, null));
    $("ce-pick").addEventListener("click", () => cePick(!ce.picking));
    $("ce-save").addEventListener("click", ceSave);
    $("ce-retire").addEventListener("click", ceRetire);
    for (const id of ["ce-lon", "ce-lat", "ce-heading", "ce-fov", "ce-range"]) $(id).addEventListener("input", ceDraft);
    map.on("click", (e) => {
      if (!ce.picking) return;
      $("ce-lon").value = e.lngLat.lng.toFixed(6); $("ce-lat").value = e.lngLat.lat.toFixed(6);
      cePick(false); ceMsg("", false); ceDraft();
    });
    ceFill(null, null); cePick(false);
    return true;
  }

  function toggle(id, layers) {
    document.getElementById(id).addEventListener("change", (e) => {
      for (const l of layers) map.setLayoutProperty(l, "visibility", e.target.checked ? "visible" : "none");
      refreshSectors();
    });
  }

  map.on("load", async () => {
    addLayers();
    toggle("l-blind", ["blind"]); toggle("l-cameras", ["cameras"]); toggle("l-sectors", ["sectors", "sectors-line"]);
    const run = document.getElementById("s-run");
    if (run) {
      run.addEventListener("click", runSiting);
      document.getElementById("s-geojson").addEventListener("click", () => download("geojson"));
      document.getElementById("s-xlsx").addEventListener("click", () => download("xlsx"));
      document.querySelector("#s-plan tbody").addEventListener("click", (e) => {
        const tr = e.target.closest("tr.row"); if (tr) map.flyTo({ center: [+tr.dataset.lon, +tr.dataset.lat], zoom: 16.5, duration: 400 });
      });
    }
    document.querySelector("#t-stations tbody").addEventListener("click", (e) => {
      const tr = e.target.closest("tr.row"); const sel = document.getElementById("s-station");
      if (tr && sel) sel.value = tr.dataset.id;
    });
    map.on("moveend", () => { refreshSectors(); refreshRoads(); });
    map.on("click", "blind", (e) => {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML(esc(fmt("cameras.blind_popup", { unseen: p.unseen, incidents: p.incidents }))).addTo(map);
    });
    const editor = ceWire();
    map.on("click", "cameras", (e) => {
      const p = e.features[0].properties;
      if (ce.picking) return; // placing a camera: the click is a position, not a choice
      if (editor) ceFill(p, e.features[0].geometry.coordinates);
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<b>${esc(p.code)}</b>${p.name ? " " + esc(p.name) : ""}<br>${esc(t("cameras.status." + p.status))} · ${Math.round(p.heading_deg)}° · ${Math.round(p.fov_deg)}° · ${Math.round(p.range_m)} m<br>${esc(t("cameras.owner." + p.owner))} · ${esc(String(p.resolution).toUpperCase())}`).addTo(map);
    });
    const errors = [];
    await Promise.all([
      loadCameras().catch((e) => errors.push(e.message)),
      api("/api/v1/cameras/figures").then(renderFigures).catch((e) => errors.push(e.message)),
      api("/api/v1/cameras/blind-spots").then((fc) => map.getSource("blind").setData(fc)).catch((e) => errors.push(e.message)),
    ]);
    if (errors.length) { const s = document.getElementById("cm-zoom-hint"); s.textContent = errors.join("; "); s.classList.add("cm-err"); }
    refreshSectors();
    await refreshRoads();
    map.once("idle", () => { document.body.dataset.ready = "1"; });
    map.triggerRepaint();
  });
})();
