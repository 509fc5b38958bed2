/* Command center: live 1-3-5 minute coverage. When the layer is on, the grid cells are coloured
   by the band the available units reach them in (1, 3, 5 minutes, or beyond), key areas outside
   their own standard are outlined, and up to three move-ups are proposed (which available unit
   to send where to restore the most 3-minute coverage) with a button that sends each. It is
   recomputed whenever a unit's status, position or move-up changes on the live stream. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const CMD = window.CMD;
  const map = CMD.map;
  const panel = document.getElementById("cov-panel");
  const box = () => document.querySelector('input[data-layer="coverage"]');
  const cov = { cells: null, data: null, loading: null, again: false, seq: 0, lastUnits: new Map() };
  const BAND_COLORS = ["match", ["get", "band"], 1, "#2e7d32", 3, "#f9a825", 5, "#ef6c00", "#c62828"];
  const LAYERS = ["cov-cells", "cov-keyareas", "cov-moves", "cov-targets"];
  CMD.coverage = cov;

  CMD.hooks.mapReady = CMD.hooks.mapReady || [];
  CMD.hooks.mapReady.push(() => {
    for (const s of ["cov-cells", "cov-keyareas", "cov-moves"]) map.addSource(s, { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "cov-cells", type: "fill", source: "cov-cells", paint: { "fill-color": BAND_COLORS, "fill-opacity": ["match", ["get", "band"], 1, 0.06, 3, 0.16, 5, 0.3, 0.45], "fill-outline-color": "#ffffff00" } }, "roads-minor");
    map.addLayer({ id: "cov-keyareas", type: "line", source: "cov-keyareas", paint: { "line-color": "#c62828", "line-width": 3.5, "line-dasharray": [1.5, 1] } });
    map.addLayer({ id: "cov-moves", type: "line", source: "cov-moves", filter: ["==", ["geometry-type"], "LineString"], paint: { "line-color": "#00897b", "line-width": 3, "line-dasharray": [2, 1.2] } });
    map.addLayer({ id: "cov-targets", type: "circle", source: "cov-moves", filter: ["==", ["geometry-type"], "Point"], paint: { "circle-radius": 7, "circle-color": "#ffffff", "circle-stroke-color": "#00897b", "circle-stroke-width": 3 } });
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
    const moves = [];
    for (const m of live.moveups) {
      moves.push({ type: "Feature", geometry: { type: "LineString", coordinates: [m.from, m.to] }, properties: { id: m.resource_id } });
      moves.push({ type: "Feature", geometry: { type: "Point", coordinates: m.to }, properties: { id: m.resource_id } });
    }
    map.getSource("cov-moves").setData({ type: "FeatureCollection", features: moves });
    const pct = (x) => (100 * x).toFixed(1) + "%";
    const rows = live.shares.map((s) => `<tr><th>${Math.round(s.standard_s / 60)} ${esc(t("dispatch.coverage.min"))}</th><td>${pct(s.cells_weighted_share)}</td><td>${s.cells_within}/${s.cells}</td><td>${s.key_areas_within}/${s.key_areas}</td></tr>`).join("");
    const active = [...CMD.state.units.values()].filter((u) => u.moveup);
    document.getElementById("cov-body").innerHTML = `
      <table class="cov-shares"><thead><tr><th></th><th>${esc(t("dispatch.coverage.weighted"))}</th><th>${esc(t("dispatch.coverage.cells"))}</th><th>${esc(t("dispatch.coverage.keyareas"))}</th></tr></thead><tbody>${rows}</tbody></table>
      <p class="muted small">${esc(t("dispatch.coverage.units").replace("{n}", live.units.considered).replace("{busy}", live.busy))}</p>
      <div class="cov-legend"><span class="b1"></span>1′ <span class="b3"></span>3′ <span class="b5"></span>5′ <span class="b0"></span>&gt;5′</div>
      ${live.key_areas_outside.length ? `<h4>${esc(t("dispatch.coverage.ka_outside"))}</h4><ul class="cov-ka">${live.key_areas_outside.slice(0, 8).map((k) => `<li>${esc(k.name)} <span class="muted">${k.time_s == null ? "—" : Math.round(k.time_s) + " s"} / ${Math.round(k.standard_s)} s</span></li>`).join("")}</ul>` : ""}
      <h4>${esc(t("dispatch.coverage.moveups"))}</h4>
      <ol class="cov-moveups" id="cov-moveups">${live.moveups.length ? live.moveups.map((m, k) => `<li><span><b>${esc(m.code)}</b> → ${esc(m.label)}<div class="why muted">${esc(m.why)}</div></span><button type="button" class="small" data-moveup="${k}">${esc(t("dispatch.coverage.send"))}</button></li>`).join("") : `<li class="muted">${esc(t("dispatch.coverage.none"))}</li>`}</ol>
      ${active.length ? `<h4>${esc(t("dispatch.coverage.active"))}</h4><ul class="cov-active">${active.map((u) => `<li><span><b>${esc(u.code)}</b> → ${esc(u.moveup.label)}</span><span><button type="button" class="small" data-moveup-id="${u.moveup.id}" data-to="arrived">${esc(t("dispatch.coverage.arrived"))}</button> <button type="button" class="small secondary" data-moveup-id="${u.moveup.id}" data-to="cancelled">${esc(t("dispatch.coverage.cancel"))}</button></span></li>`).join("")}</ul>` : ""}
      <p class="muted small">${esc(t("dispatch.coverage.computed").replace("{ms}", live.computed_ms).replace("{at}", live.at || ""))}</p>`;
  }

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
    clearTimeout(cov.timer);
    cov.timer = setTimeout(refresh, 150);
  });
  CMD.hooks.layerToggled = CMD.hooks.layerToggled || [];
  CMD.hooks.layerToggled.push((key, visible) => { if (key !== "coverage") return; show(visible); if (visible) refresh(); });
})();
