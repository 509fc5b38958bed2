/* Command center: live map of jurisdictions, forces and incidents; incident queue; timeline. */
"use strict";
(function () {
  const { t, api, esc, fmtTime, CLASS_COLORS, UNIT_COLORS } = window.PA;
  const OGC = "/api/v1/ogc/collections/";
  const empty = () => ({ type: "FeatureCollection", features: [] });
  const state = { hours: 24, incidents: new Map(), selected: null };

  const map = new maplibregl.Map({
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#e9edf3" } }] },
    center: [102.71, 25.04], zoom: 11, attributionControl: false, maxPitch: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.pinganMap = map;

  const LAYERS = {
    roads: ["roads-major", "roads-minor"], districts: ["districts-fill", "districts-line"],
    stations: ["stations-line"], communities: ["communities-line"], cells: ["cells-line"],
    keyareas: ["keyareas-fill", "keyareas-line"], units: ["units"], cameras: ["cameras"],
    incidents: ["incidents"],
  };

  function addSources() {
    for (const s of ["roads", "districts", "stations", "communities", "cells", "keyareas", "units", "cameras", "incidents", "routes"]) {
      map.addSource(s, { type: "geojson", data: empty() });
    }
    const roadColor = ["match", ["get", "road_class"], ["motorway", "motorway_link", "trunk"], "#e0a030", ["primary", "secondary"], "#ffffff", "#fbfcfd"];
    map.addLayer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": ["match", ["%", ["get", "parent_id"], 5], 0, "#dfe7f3", 1, "#e6efe3", 2, "#f1e9dc", 3, "#e9e1ef", "#e3edf0"], "fill-opacity": 0.9 } });
    map.addLayer({ id: "roads-minor", type: "line", source: "roads", minzoom: 13, filter: ["!", ["in", ["get", "road_class"], ["literal", ["motorway", "motorway_link", "trunk", "primary", "secondary"]]]], paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0.6, 17, 4] } });
    map.addLayer({ id: "roads-major", type: "line", source: "roads", filter: ["in", ["get", "road_class"], ["literal", ["motorway", "motorway_link", "trunk", "primary", "secondary"]]], paint: { "line-color": roadColor, "line-width": ["interpolate", ["linear"], ["zoom"], 10, ["match", ["get", "road_class"], ["motorway", "trunk"], 2.2, 1], 16, ["match", ["get", "road_class"], ["motorway", "trunk"], 9, 6]] } });
    map.addLayer({ id: "cells-line", type: "line", source: "cells", minzoom: 14, paint: { "line-color": "#7a8aa8", "line-width": 0.5, "line-dasharray": [2, 2] } });
    map.addLayer({ id: "communities-line", type: "line", source: "communities", minzoom: 12.5, paint: { "line-color": "#5a6e96", "line-width": 0.9 } });
    map.addLayer({ id: "stations-line", type: "line", source: "stations", paint: { "line-color": "#24458a", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.8, 15, 2] } });
    map.addLayer({ id: "districts-line", type: "line", source: "districts", paint: { "line-color": "#0b3d91", "line-width": 2.2 } });
    map.addLayer({ id: "keyareas-fill", type: "fill", source: "keyareas", paint: { "fill-color": "#c62828", "fill-opacity": 0.12 } });
    map.addLayer({ id: "keyareas-line", type: "line", source: "keyareas", paint: { "line-color": "#c62828", "line-width": 1.2 } });
    map.addLayer({ id: "cameras", type: "circle", source: "cameras", minzoom: 13.5, paint: { "circle-radius": 2.5, "circle-color": "#455a64", "circle-opacity": 0.7 } });
    map.addLayer({ id: "routes", type: "line", source: "routes", paint: { "line-color": ["match", ["get", "rank"], 1, "#0b3d91", "#5c7cba"], "line-width": ["match", ["get", "rank"], 1, 4, 2], "line-opacity": 0.8 } });
    map.addLayer({ id: "units", type: "circle", source: "units", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 3, 16, 7], "circle-color": ["match", ["get", "status"], "available", UNIT_COLORS.available, "dispatched", UNIT_COLORS.dispatched, "on_scene", UNIT_COLORS.on_scene, UNIT_COLORS.off_duty], "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
    map.addLayer({ id: "incidents", type: "circle", source: "incidents", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 2.5, 16, 7], "circle-color": ["match", ["get", "klass"], "criminal", CLASS_COLORS.criminal, "public_order", CLASS_COLORS.public_order, "traffic", CLASS_COLORS.traffic, "fire", CLASS_COLORS.fire, "dispute", CLASS_COLORS.dispute, "assistance", CLASS_COLORS.assistance, CLASS_COLORS.other], "circle-opacity": 0.85, "circle-stroke-color": "#fff", "circle-stroke-width": 0.6 } });
  }

  async function ogc(collection, params) {
    const qs = new URLSearchParams(Object.assign({ limit: 10000 }, params || {}));
    try { return await api(OGC + collection + "/items?" + qs); } catch (e) { console.warn(collection, e.message); return empty(); }
  }
  const bboxParam = () => { const b = map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","); };

  async function loadStatic() {
    const [districts, stations, keyareas, units] = await Promise.all([
      ogc("districts"), ogc("stations"), ogc("key-areas"), ogc("resources")]);
    map.getSource("districts").setData(districts);
    map.getSource("stations").setData(stations);
    map.getSource("keyareas").setData(keyareas);
    map.getSource("units").setData(units);
    const fc = districts.features.length ? districts : stations;
    if (fc.features.length) {
      const b = new maplibregl.LngLatBounds();
      for (const f of fc.features) for (const ring of (f.geometry.type === "Polygon" ? [f.geometry.coordinates[0]] : f.geometry.coordinates.map((p) => p[0]))) for (const c of ring) b.extend(c);
      map.fitBounds(b, { padding: 30, duration: 0 });
    }
  }

  let viewTimer = null;
  function loadView() {
    clearTimeout(viewTimer);
    viewTimer = setTimeout(async () => {
      const z = map.getZoom(), bbox = bboxParam();
      const jobs = [];
      if (z >= 12.5 && visible("communities")) jobs.push(ogc("communities", { bbox }).then((d) => map.getSource("communities").setData(d)));
      if (z >= 14 && visible("cells")) jobs.push(ogc("grid-cells", { bbox }).then((d) => map.getSource("cells").setData(d)));
      if (z >= 13.5 && visible("cameras")) jobs.push(ogc("cameras", { bbox }).then((d) => map.getSource("cameras").setData(d)));
      if (visible("roads")) jobs.push(api("/api/v1/map/roads?" + new URLSearchParams({ bbox, zoom: z.toFixed(1) })).then((d) => map.getSource("roads").setData(d)).catch(() => {}));
      await Promise.all(jobs);
    }, 200);
  }
  const visible = (key) => { const box = document.querySelector(`input[data-layer="${key}"]`); return box ? box.checked : true; };

  function incidentFeature(i) {
    return { type: "Feature", id: i.id, geometry: { type: "Point", coordinates: [i.lon, i.lat] }, properties: { id: i.id, klass: i.klass, subtype: i.subtype, state: i.state, code: i.code } };
  }
  function refreshIncidentLayer() {
    map.getSource("incidents").setData({ type: "FeatureCollection", features: [...state.incidents.values()].map(incidentFeature) });
  }

  async function loadIncidents() {
    const since = new Date(Date.now() - state.hours * 3600e3).toISOString();
    const fc = await ogc("incidents", { datetime: since + "/..", limit: 5000 });
    state.incidents.clear();
    for (const f of fc.features) state.incidents.set(f.id, Object.assign({ id: f.id, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }, f.properties));
    refreshIncidentLayer();
    const page = await api("/api/v1/incidents?" + new URLSearchParams({ since, limit: 100 }));
    renderQueue(page.items);
  }

  const subtypeNames = {};
  function label(i) { return subtypeNames[i.subtype] || i.subtype; }
  function queueItem(i, fresh) {
    const li = document.createElement("li");
    li.dataset.id = i.id;
    if (fresh) li.className = "new";
    li.innerHTML = `<span class="dot" style="background:${CLASS_COLORS[i.klass] || "#607d8b"}"></span>
      <span><div class="q-title">${esc(label(i))} <span class="badge p${i.priority}">P${i.priority}</span></div>
      <div class="q-meta">${esc(i.code)} · ${esc(fmtTime(i.reported_at))}${i.repeat_count ? " · ×" + (i.repeat_count + 1) : ""}</div></span>
      <span class="badge">${esc(t("state." + i.state))}</span>`;
    li.addEventListener("click", () => select(i.id));
    return li;
  }
  function renderQueue(items) {
    const ol = document.getElementById("queue");
    ol.innerHTML = "";
    if (!items.length) ol.innerHTML = `<li class="muted">${esc(t("common.none"))}</li>`;
    for (const i of items) ol.appendChild(queueItem(i, false));
  }

  async function select(id) {
    state.selected = id;
    document.querySelectorAll(".queue-list li").forEach((li) => li.classList.toggle("sel", li.dataset.id == id));
    const [inc, tl] = await Promise.all([api("/api/v1/incidents/" + id), api(`/api/v1/incidents/${id}/timeline`)]);
    map.flyTo({ center: [inc.lon, inc.lat], zoom: Math.max(map.getZoom(), 15) });
    const box = document.getElementById("detail");
    box.hidden = false;
    box.innerHTML = `<h3>${esc(label(inc))} · ${esc(inc.code)}</h3>
      <dl><dt>${esc(t("incident.state"))}</dt><dd>${esc(t("state." + inc.state))}</dd>
      <dt>${esc(t("incident.priority"))}</dt><dd>P${inc.priority}</dd>
      <dt>${esc(t("incident.reported"))}</dt><dd>${esc(fmtTime(inc.reported_at))}</dd>
      <dt>${esc(t("incident.repeats"))}</dt><dd>${inc.repeat_count}</dd></dl>
      <h3>${esc(t("incident.timeline"))}</h3>
      <ol class="timeline">${tl.map((e) => `<li><b>${esc(fmtTime(e.at))}</b> ${esc(t("state." + (e.to_state || e.kind)))} ${esc(e.note || "")}</li>`).join("")}</ol>
      <div id="recommend"></div>`;
    recommend(id);
  }

  const named = (prefix, code) => { const v = t(prefix + code); return v === prefix + code ? code : v; };
  async function recommend(id) {
    try {
      const r = await api(`/api/v1/incidents/${id}/recommendations`, { method: "POST", body: { k: 5 } });
      const box = document.getElementById("recommend");
      if (!box || state.selected !== id) return;
      box.innerHTML = `<h3>${esc(t("incident.recommend"))}</h3><ol class="timeline">${r.units.map((u) =>
        `<li><b>${esc(u.name || u.code)}</b> ${esc(named("coverage.unit.", u.kind))} · ${esc(named("coverage.mode.", u.mode))} · ${esc(t("coverage.eta"))} ${Math.round(u.eta_s)} s · ${(u.distance_m / 1000).toFixed(1)} km</li>`).join("")}</ol>`;
      map.getSource("routes").setData({ type: "FeatureCollection", features: r.units.map((u) => ({ type: "Feature", geometry: u.route, properties: { rank: u.rank } })) });
    } catch (e) {
      const box = document.getElementById("recommend");
      if (box && state.selected === id) box.innerHTML = `<h3>${esc(t("incident.recommend"))}</h3><p class="muted">${esc(e.message)}</p>`;
    }
  }
  async function recommendNew(li, id) {
    try {
      const r = await api(`/api/v1/incidents/${id}/recommendations`, { method: "POST", body: { k: 3 } });
      const meta = li.querySelector(".q-meta");
      if (meta && r.units.length) meta.insertAdjacentHTML("afterend", `<div class="q-meta">→ ${r.units.map((u) => `${esc(u.code)} ${Math.round(u.eta_s)} s`).join(" · ")}</div>`);
    } catch (e) { /* shown when the incident is selected */ }
  }

  function live() {
    const badge = document.getElementById("live");
    const es = new EventSource("/api/v1/incidents/stream");
    es.addEventListener("incident", (ev) => {
      const i = JSON.parse(ev.data);
      state.incidents.set(i.id, i);
      refreshIncidentLayer();
      const ol = document.getElementById("queue");
      const muted = ol.querySelector("li.muted");
      if (muted) muted.remove();
      const li = queueItem(i, true);
      ol.insertBefore(li, ol.firstChild);
      recommendNew(li, i.id);
      while (ol.children.length > 200) ol.removeChild(ol.lastChild);
    });
    es.onopen = () => badge.classList.remove("off");
    es.onerror = () => badge.classList.add("off");
  }

  function legend() {
    document.getElementById("legend").innerHTML = Object.entries(CLASS_COLORS).map(([k, c]) => `<div><span style="background:${c}"></span>${esc(t("class." + k))}</div>`).join("");
  }

  map.on("load", async () => {
    addSources();
    legend();
    document.querySelectorAll("input[data-layer]").forEach((box) => {
      const apply = () => { for (const id of LAYERS[box.dataset.layer]) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none"); loadView(); };
      box.addEventListener("change", apply); apply();
    });
    document.getElementById("period").addEventListener("change", (e) => { state.hours = +e.target.value; loadIncidents(); });
    map.on("click", "incidents", (e) => select(e.features[0].properties.id));
    map.on("click", "units", (e) => { const p = e.features[0].properties; new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<b>${esc(p.name_zh)}</b><br>${esc(p.kind)} · ${esc(t("unit." + p.status))}`).addTo(map); });
    for (const id of ["incidents", "units"]) { map.on("mouseenter", id, () => (map.getCanvas().style.cursor = "pointer")); map.on("mouseleave", id, () => (map.getCanvas().style.cursor = "")); }
    map.on("moveend", loadView);
    try { const tax = await api("/api/v1/taxonomy"); for (const s of tax.subtypes) subtypeNames[s.code] = PA.lang === "en" ? s.name_en : s.name_zh; } catch (e) { /* names fall back to codes */ }
    await loadStatic();
    await loadIncidents();
    loadView();
    live();
    setInterval(async () => map.getSource("units").setData(await ogc("resources")), 15000);
    document.body.dataset.ready = "1";
  });
})();
