/* Command center: live 1-3-5 minute coverage. When the layer is on, the grid cells are coloured
   by the band the available units reach them in (1, 3, 5 minutes, or beyond), key areas outside
   their own standard are outlined, and up to three move-ups are proposed (which available unit
   to send where to restore the most 3-minute coverage) with a button that sends each; each
   suggestion is drawn unit → site (dashed, an arrow, the site ringed and named) and each
   move-up under way from the unit to its site (solid). Drones are apart from the ground
   figures: their reach by air has its own table and, on demand, its own outline of the cells
   they reach within 3 minutes. It is recomputed whenever a unit's status, position or
   move-up changes on the live stream. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const CMD = window.CMD;
  let map = null; // CMD.map, made once the boundaries are in
  const panel = document.getElementById("cov-panel");
  const box = () => document.querySelector('input[data-layer="coverage"]');
  const cov = { cells: null, data: null, loading: null, again: false, seq: 0, lastUnits: new Map() };
  const BAND_COLORS = ["match", ["get", "band"], 1, "#2e7d32", 3, "#f9a825", 5, "#ef6c00", "#c62828"];
  const LAYERS = ["cov-cells", "cov-keyareas", "cov-air", "cov-moves", "cov-targets", "cov-arrows", "cov-move-labels"];
  const MOVE_COLOR = "#00897b", AIR_COLOR = "#6a1b9a";
  /* an arrowhead pointing north, turned by the move's bearing on the map */
  function arrowIcon() {
    const n = 24, c = document.createElement("canvas");
    c.width = c.height = n;
    const g = c.getContext("2d");
    g.beginPath(); g.moveTo(n / 2, 2); g.lineTo(n - 4, n - 4); g.lineTo(n / 2, n - 9); g.lineTo(4, n - 4); g.closePath();
    g.fillStyle = MOVE_COLOR; g.strokeStyle = "#ffffff"; g.lineWidth = 2; g.stroke(); g.fill();
    return g.getImageData(0, 0, n, n);
  }
  const bearing = (a, b) => (Math.atan2((b[0] - a[0]) * Math.cos((a[1] * Math.PI) / 180), b[1] - a[1]) * 180) / Math.PI;
  CMD.coverage = cov;

  CMD.hooks.mapReady = CMD.hooks.mapReady || [];
  CMD.hooks.mapReady.push(() => {
    map = CMD.map;
    for (const s of ["cov-cells", "cov-keyareas", "cov-moves", "cov-air"]) map.addSource(s, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addImage("moveup-arrow", arrowIcon());
    map.addLayer({ id: "cov-cells", type: "fill", source: "cov-cells", paint: { "fill-color": BAND_COLORS, "fill-opacity": ["match", ["get", "band"], 1, 0.06, 3, 0.16, 5, 0.3, 0.45], "fill-outline-color": "#ffffff00" } }, "roads-minor");
    map.addLayer({ id: "cov-keyareas", type: "line", source: "cov-keyareas", paint: { "line-color": "#c62828", "line-width": 3.5, "line-dasharray": [1.5, 1] } });
    map.addLayer({ id: "cov-air", type: "line", source: "cov-air", paint: { "line-color": AIR_COLOR, "line-width": 1.5, "line-opacity": 0.8 } });
    const isLine = ["==", ["geometry-type"], "LineString"], role = (r) => ["==", ["get", "role"], r];
    map.addLayer({ id: "cov-moves", type: "line", source: "cov-moves", filter: isLine, paint: { "line-color": MOVE_COLOR, "line-width": ["case", ["get", "active"], 4, 3], "line-dasharray": ["case", ["get", "active"], ["literal", [1, 0]], ["literal", [2, 1.2]]] } });
    map.addLayer({ id: "cov-targets", type: "circle", source: "cov-moves", filter: role("site"), paint: { "circle-radius": 7, "circle-color": "#ffffff", "circle-stroke-color": MOVE_COLOR, "circle-stroke-width": 3 } });
    map.addLayer({ id: "cov-arrows", type: "symbol", source: "cov-moves", filter: role("arrow"), layout: { "icon-image": "moveup-arrow", "icon-rotate": ["get", "bearing"], "icon-rotation-alignment": "map", "icon-allow-overlap": true, "icon-ignore-placement": true } });
    map.addLayer({ id: "cov-move-labels", type: "symbol", source: "cov-moves", filter: role("site"), layout: { "text-field": ["get", "text"], "text-font": ["Noto Sans", "sans-serif"], "text-size": 12, "text-offset": [0, 1.1], "text-anchor": "top", "text-allow-overlap": true }, paint: { "text-color": "#00695c", "text-halo-color": "#ffffff", "text-halo-width": 1.8 } });
    for (const id of LAYERS) map.setLayoutProperty(id, "visibility", "none");
  });

  const on = () => { const b = box(); return !!(b && b.checked); };
  function show(visible) {
    for (const id of LAYERS) if (map.getLayer(id)) map.setLayoutProperty(id, "visibility", visible ? "visible" : "none");
    panel.hidden = !visible;
  }

  async function cellsGeometry() {
    if (cov.cells) return cov.cells;
    const fc = await api("/api/v1/map/areas/grid-cells");
    cov.cells = new Map(fc.features.map((f) => [f.id, f.geometry]));
    return cov.cells;
  }

  async function refresh() {
    if (!on()) return;
    if (cov.loading) { cov.again = true; return; }
    const seq = ++cov.seq;
    panel.dataset.state = "loading";
    cov.loading = (async () => {
      try {
        const [cells, live] = await Promise.all([cellsGeometry(), api("/api/v1/coverage/live")]);
        if (seq !== cov.seq) return;
        cov.data = live;
        draw(cells, live);
        panel.dataset.state = "ready";
        panel.dataset.version = String(seq);
      } catch (e) {
        panel.dataset.state = "error";
        document.getElementById("cov-body").innerHTML = `<p class="muted">${esc(t("dispatch.coverage.error"))}: ${esc(e.message)}</p>`;
      }
    })();
    await cov.loading;
    cov.loading = null;
    if (cov.again) { cov.again = false; refresh(); }
  }
  CMD.refreshCoverage = refresh;

  function airTable(air) {
    if (!air || !air.drones) return `<h4>${esc(t("dispatch.coverage.air"))}</h4><p class="muted small" id="cov-air">${esc(t("dispatch.coverage.air.none"))}</p>`;
    const pct = (x) => (100 * x).toFixed(1) + "%";
    const checked = document.getElementById("cov-air-show") && document.getElementById("cov-air-show").checked ? " checked" : "";
    const rows = air.shares.map((s, k) => `<tr><th>${Math.round(s.standard_s / 60)} ${esc(t("dispatch.coverage.min"))}</th><td>${pct(s.cells_weighted_share)}</td><td>${pct(air.with_ground_shares[k].cells_weighted_share)}</td><td>${s.key_areas_within}/${s.key_areas}</td></tr>`).join("");
    return `<h4>${esc(t("dispatch.coverage.air"))}</h4>
      <table class="cov-shares" id="cov-air"><thead><tr><th></th><th>${esc(t("dispatch.coverage.air.alone"))}</th><th>${esc(t("dispatch.coverage.air.either"))}</th><th>${esc(t("dispatch.coverage.keyareas"))}</th></tr></thead><tbody>${rows}</tbody></table>
      <p class="muted small">${esc(t("dispatch.coverage.air.units").replace("{n}", air.drones).replace("{s}", Math.round(air.takeoff_s)))}</p>
      <label class="small"><input type="checkbox" id="cov-air-show"${checked}> ${esc(t("dispatch.coverage.air.show"))}</label>`;
  }

  function draw(cells, live) {
    const feats = [];
    for (const [id, band] of live.cells) {
      const g = cells.get(id);
      if (g) feats.push({ type: "Feature", id, geometry: g, properties: { band } });
    }
    map.getSource("cov-cells").setData({ type: "FeatureCollection", features: feats });
    const out = new Set(live.key_areas_outside.map((k) => k.id));
    const ka = CMD.state.keyareas;
    const kaFeats = ka && ka.features ? ka.features.filter((f) => out.has(f.id)) : [];
    map.getSource("cov-keyareas").setData({ type: "FeatureCollection", features: kaFeats });
    drawMoves(live);
    drawAir(cells, live);
    const pct = (x) => (100 * x).toFixed(1) + "%";
    const rows = live.shares.map((s) => `<tr><th>${Math.round(s.standard_s / 60)} ${esc(t("dispatch.coverage.min"))}</th><td>${pct(s.cells_weighted_share)}</td><td>${s.cells_within}/${s.cells}</td><td>${s.key_areas_within}/${s.key_areas}</td></tr>`).join("");
    const active = [...CMD.state.units.values()].filter((u) => u.moveup);
    document.getElementById("cov-body").innerHTML = `
      <table class="cov-shares"><thead><tr><th></th><th>${esc(t("dispatch.coverage.weighted"))}</th><th>${esc(t("dispatch.coverage.cells"))}</th><th>${esc(t("dispatch.coverage.keyareas"))}</th></tr></thead><tbody>${rows}</tbody></table>
      <p class="muted small">${esc(t("dispatch.coverage.units").replace("{n}", live.units.considered).replace("{busy}", live.busy))}</p>
      <div class="cov-legend"><span class="b1"></span>1′ <span class="b3"></span>3′ <span class="b5"></span>5′ <span class="b0"></span>&gt;5′</div>
      ${airTable(live.air)}
      ${live.key_areas_outside.length ? `<h4>${esc(t("dispatch.coverage.ka_outside"))}</h4><ul class="cov-ka">${live.key_areas_outside.slice(0, 8).map((k) => `<li>${esc(k.name)} <span class="muted">${k.time_s == null ? "—" : Math.round(k.time_s) + " s"} / ${Math.round(k.standard_s)} s</span></li>`).join("")}</ul>` : ""}
      <h4>${esc(t("dispatch.coverage.moveups"))}</h4>
      <ol class="cov-moveups" id="cov-moveups">${live.moveups.length ? live.moveups.map((m, k) => `<li><span><b>${esc(m.code)}</b> → ${esc(m.label)}<div class="why muted">${esc(m.why)}</div></span>${PA.can("unit.moveup") ? `<button type="button" class="small" data-moveup="${k}">${esc(t("dispatch.coverage.send"))}</button>` : ""}</li>`).join("") : `<li class="muted">${esc(t("dispatch.coverage.none"))}</li>`}</ol>
      ${active.length ? `<h4>${esc(t("dispatch.coverage.active"))}</h4><ul class="cov-active">${active.map((u) => `<li><span><b>${esc(u.code)}</b> → ${esc(u.moveup.label)}</span>${PA.can("unit.moveup") ? `<span><button type="button" class="small" data-moveup-id="${u.moveup.id}" data-to="arrived">${esc(t("dispatch.coverage.arrived"))}</button> <button type="button" class="small secondary" data-moveup-id="${u.moveup.id}" data-to="cancelled">${esc(t("dispatch.coverage.cancel"))}</button></span>` : ""}</li>`).join("")}</ul>` : ""}
      <p class="muted small">${esc(t("dispatch.coverage.computed").replace("{ms}", live.computed_ms).replace("{at}", live.at || ""))}</p>`;
  }

  /* the suggested move-ups (dashed, numbered as in the panel) and those under way (solid):
     a line from the unit to the site, an arrow near the site, the site ringed and named */
  function moveFeatures(from, to, props, text) {
    const at = [from[0] + 0.85 * (to[0] - from[0]), from[1] + 0.85 * (to[1] - from[1])];
    return [
      { type: "Feature", geometry: { type: "LineString", coordinates: [from, to] }, properties: Object.assign({ role: "line" }, props) },
      { type: "Feature", geometry: { type: "Point", coordinates: at }, properties: Object.assign({ role: "arrow", bearing: bearing(from, to) }, props) },
      { type: "Feature", geometry: { type: "Point", coordinates: to }, properties: Object.assign({ role: "site", text }, props) },
    ];
  }
  function drawMoves(live) {
    const feats = [];
    (live ? live.moveups : []).forEach((m, k) => feats.push(...moveFeatures(m.from, m.to, { id: m.resource_id, active: false }, `${k + 1} ${m.code} → ${m.label}`)));
    for (const u of CMD.state.units.values()) {
      if (u.moveup && u.lon != null && u.moveup.lon != null) feats.push(...moveFeatures([u.lon, u.lat], [u.moveup.lon, u.moveup.lat], { id: u.id, active: true }, `${u.code} → ${u.moveup.label}`));
    }
    const src = map.getSource("cov-moves");
    if (src) src.setData({ type: "FeatureCollection", features: feats });
    const n = document.getElementById("cov-panel");
    n.dataset.moves = String(feats.filter((f) => f.properties.role === "site").length);
  }
  CMD.drawMoves = () => drawMoves(cov.data);
  /* drones by air, apart: the cells they reach within 3 minutes, outlined when asked */
  function drawAir(cells, live) {
    const show = document.getElementById("cov-air-show");
    const feats = [];
    if (show && show.checked && live.air) {
      for (const [id, band] of live.air.cells) {
        const g = band <= 3 ? cells.get(id) : null;
        if (g) feats.push({ type: "Feature", id, geometry: g, properties: { band } });
      }
    }
    map.getSource("cov-air").setData({ type: "FeatureCollection", features: feats });
  }

  panel.addEventListener("change", (e) => {
    if (e.target.id === "cov-air-show" && cov.data && cov.cells) drawAir(cov.cells, cov.data);
  });

  panel.addEventListener("click", async (e) => {
    const b = e.target.closest("button");
    if (!b) return;
    b.disabled = true;
    try {
      if (b.dataset.moveup != null) {
        const m = cov.data.moveups[+b.dataset.moveup];
        await api(`/api/v1/resources/${m.resource_id}/moveups`, { method: "POST", body: { lon: m.to[0], lat: m.to[1], label: m.label, gain: m.gain, travel_s: m.travel_s } });
      } else if (b.dataset.moveupId) {
        await api(`/api/v1/moveups/${b.dataset.moveupId}/transitions`, { method: "POST", body: { to_state: b.dataset.to } });
      }
      refresh();
    } catch (err) {
      b.disabled = false;
      document.getElementById("cov-error").hidden = false;
      document.getElementById("cov-error").textContent = t("dispatch.error") + ": " + err.message;
    }
  });

  // a unit's availability, position or move-up changed: coverage changes with it
  CMD.unitListeners.push((u) => {
    const key = [u.status, u.lon, u.lat, u.moveup ? u.moveup.id : 0].join("|");
    const before = cov.lastUnits.get(u.id);
    cov.lastUnits.set(u.id, key);
    if (before === key || !on()) return;
    clearTimeout(cov.movesTimer);
    cov.movesTimer = setTimeout(() => drawMoves(cov.data), 60);
    clearTimeout(cov.timer);
    cov.timer = setTimeout(refresh, 150);
  });
  CMD.hooks.layerToggled = CMD.hooks.layerToggled || [];
  CMD.hooks.layerToggled.push((key, visible) => { if (key !== "coverage") return; show(visible); if (visible) refresh(); });
})();
