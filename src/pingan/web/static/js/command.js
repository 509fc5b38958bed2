/* Command center, the dispatch workstation: live map, incident queue, unit board, one event
   stream. The detail panel (command-detail.js) and the intake panel (command-intake.js) attach
   to window.CMD before the map has loaded. */
"use strict";
(function () {
  const { t, api, esc, fmtTime, CLASS_COLORS } = window.PA;
  const OGC = "/api/v1/ogc/collections/";
  const empty = () => ({ type: "FeatureCollection", features: [] });
  const OPEN = ["received", "dispatched", "en_route", "on_scene"];
  const UNIT_COLORS = { available: "#2e7d32", dispatched: "#ef8f00", en_route: "#1565c0", on_scene: "#c62828", off_duty: "#9e9e9e" };
  // response standards (seconds): to dispatch, while waiting for a unit; to arrive, once dispatched
  const DISPATCH_STD = { 1: 60, 2: 180, 3: 600, 4: 1800 };
  const ARRIVE_STD = { 1: 300, 2: 600, 3: 1200, 4: 3600 };
  const CJK_FONTS = "'Noto Sans CJK SC', 'Source Han Sans SC', 'PingFang SC', 'Microsoft YaHei', 'WenQuanYi Micro Hei', sans-serif";
  // drawing: false until the first view is drawn in one go; fitted: the view fits the boundaries
  const state = { hours: 24, incidents: new Map(), history: new Map(), units: new Map(), stations: [], selected: null, tab: "open", subtypes: {}, classes: {}, drawing: false, fitted: false };

  /* the map is made once the boundaries are in hand (its first view fitted to them at once), and
     its sources are added once every first-view layer has arrived, each with its data: in a
     software-rendered WebGL every frame costs, so no frame is drawn with empty or partial
     sources and nothing is uploaded twice */
  let map = null;
  const pending = {};  // source → data that arrived before the sources were added
  const put = (source, data) => { const src = map && map.getSource(source); if (src) src.setData(data); else pending[source] = data; };
  function makeMap(box) {
    // no glyph server: with no "glyphs" in the style MapLibre draws every label locally (TinySDF
    // on a canvas) in the fonts of the dispatcher's own machine; offline, nothing fetched
    map = PA.mapframes.makeMap("map", box, { map: { localIdeographFontFamily: CJK_FONTS } });
    window.pinganMap = CMD.map = map;
    state.fitted = true;
    // no frame until the whole first view can be drawn: an empty background drawn meanwhile
    // costs a software-rendered WebGL ~40 ms a frame, taken from the tiles being made
    state.firstViewHold = PA.mapframes.holdPartialFrames(map);
    state.mapLoaded = PA.mapframes.styleLoaded(map);
  }

  const CMD = { state, map: null, OPEN, UNIT_COLORS, hooks: {}, unitListeners: [] };
  window.CMD = CMD;
  CMD.label = (i) => state.subtypes[i.subtype] ? (PA.lang === "en" ? state.subtypes[i.subtype].name_en : state.subtypes[i.subtype].name_zh) : i.subtype;
  CMD.named = (key, fallback) => { const v = t(key); return v === key ? fallback : v; };

  const LAYERS = {
    roads: ["roads-major", "roads-minor"], districts: ["districts-fill", "districts-line"],
    stations: ["stations-line"], communities: ["communities-line"], cells: ["cells-line"],
    keyareas: ["keyareas-fill", "keyareas-line"], units: ["units"], cameras: ["cameras"],
    incidents: ["incidents", "incidents-open"],
    coverage: [],
    labels: ["road-labels", "district-labels", "station-labels", "community-labels", "keyarea-labels", "premises-dots", "premises-labels"],
  };

  /* a unit is a diamond, an incident a circle: shape, not only colour */
  function unitIcon(color) {
    const n = 22, c = document.createElement("canvas");
    c.width = c.height = n;
    const g = c.getContext("2d");
    g.translate(n / 2, n / 2); g.rotate(Math.PI / 4);
    g.fillStyle = "#ffffff"; g.fillRect(-7.5, -7.5, 15, 15);
    g.fillStyle = color; g.fillRect(-5.5, -5.5, 11, 11);
    return g.getImageData(0, 0, n, n);
  }

  const THIN = ["roads", "units", "incidents", "incidents-open", "routes", "pin"];
  const SOURCES = ["roads", "districts", "stations", "communities", "cells", "keyareas", "units", "cameras", "incidents", "incidents-open", "routes", "pin", "road-labels", "premises"];
  function addSources() {
    for (const [status, color] of Object.entries(UNIT_COLORS)) map.addImage("unit-" + status, unitIcon(color));
    for (const s of SOURCES) {
      // points and road lines need little of the tile's neighbours (the widest mark is 13 px):
      // a 32 px buffer instead of 128 cuts the features copied into every tile at city zoom
      const buffer = THIN.includes(s) ? { buffer: 32 } : {};
      map.addSource(s, Object.assign({ type: "geojson", data: pending[s] || empty() }, buffer));
      delete pending[s];
    }
    // each layer made with the visibility its box asks for: nothing changes after the first frame
    const shown = {};
    for (const [key, ids] of Object.entries(LAYERS)) for (const id of ids) shown[id] = visible(key);
    const layer = (def, before) => map.addLayer(Object.assign(def, { layout: Object.assign({ visibility: shown[def.id] === false ? "none" : "visible" }, def.layout) }), before);
    const roadColor = ["match", ["get", "road_class"], ["motorway", "motorway_link", "trunk"], "#e0a030", ["primary", "secondary"], "#ffffff", "#fbfcfd"];
    const major = ["motorway", "motorway_link", "trunk", "primary", "secondary"];
    // opaque (the former 0.9 opacity mixed with the background beforehand): drawn in the opaque
    // pass, with no blending of the whole map in every frame
    layer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": ["match", ["%", ["get", "parent_id"], 5], 0, "#e0e8f3", 1, "#e6efe5", 2, "#f0e9de", 3, "#e9e2ef", "#e4edf0"], "fill-antialias": false } });
    layer({ id: "roads-minor", type: "line", source: "roads", minzoom: 13, filter: ["!", ["in", ["get", "road_class"], ["literal", major]]], paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 13, 0.6, 17, 4] } });
    layer({ id: "roads-major", type: "line", source: "roads", filter: ["in", ["get", "road_class"], ["literal", major]], paint: { "line-color": roadColor, "line-width": ["interpolate", ["linear"], ["zoom"], 10, ["match", ["get", "road_class"], ["motorway", "trunk"], 2.2, 1], 16, ["match", ["get", "road_class"], ["motorway", "trunk"], 9, 6]] } });
    layer({ id: "cells-line", type: "line", source: "cells", minzoom: 14, paint: { "line-color": "#7a8aa8", "line-width": 0.5, "line-dasharray": [2, 2] } });
    layer({ id: "communities-line", type: "line", source: "communities", minzoom: 12.5, paint: { "line-color": "#5a6e96", "line-width": 0.9 } });
    layer({ id: "stations-line", type: "line", source: "stations", paint: { "line-color": "#24458a", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 0.8, 15, 2] } });
    layer({ id: "districts-line", type: "line", source: "districts", paint: { "line-color": "#0b3d91", "line-width": 2.2 } });
    layer({ id: "keyareas-fill", type: "fill", source: "keyareas", paint: { "fill-color": "#c62828", "fill-opacity": 0.12, "fill-antialias": false } });
    layer({ id: "keyareas-line", type: "line", source: "keyareas", paint: { "line-color": "#c62828", "line-width": 1.2 } });
    layer({ id: "cameras", type: "circle", source: "cameras", minzoom: 13.5, paint: { "circle-radius": 2.5, "circle-color": "#455a64", "circle-opacity": 0.7 } });
    layer({ id: "routes", type: "line", source: "routes", paint: { "line-color": ["match", ["get", "kind"], "assigned", "#c62828", "#5c7cba"], "line-width": ["match", ["get", "kind"], "assigned", 4, 2], "line-opacity": 0.85, "line-dasharray": ["match", ["get", "kind"], "assigned", ["literal", [1, 0]], ["literal", [2, 1]]] } });
    const klassColor = ["match", ["get", "klass"], "criminal", CLASS_COLORS.criminal, "public_order", CLASS_COLORS.public_order, "traffic", CLASS_COLORS.traffic, "fire", CLASS_COLORS.fire, "dispute", CLASS_COLORS.dispute, "assistance", CLASS_COLORS.assistance, CLASS_COLORS.other];
    layer({ id: "incidents", type: "circle", source: "incidents", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 2, 16, 5], "circle-color": klassColor, "circle-opacity": 0.55 } });
    layer({ id: "incidents-open", type: "circle", source: "incidents-open", paint: { "circle-radius": ["interpolate", ["linear"], ["zoom"], 10, 5, 16, 10], "circle-color": klassColor, "circle-opacity": 0.95, "circle-stroke-color": ["case", ["get", "sel"], "#0b3d91", "#ffffff"], "circle-stroke-width": ["case", ["get", "sel"], 3, 1.5] } });
    layer({ id: "units", type: "symbol", source: "units", layout: { "icon-image": ["concat", "unit-", ["get", "status"]], "icon-allow-overlap": true, "icon-size": ["interpolate", ["linear"], ["zoom"], 10, 0.7, 16, 1.1] } });
    // names: streets along their lines, places (districts, stations, communities, key areas, premises)
    const nameOf = PA.lang === "en" ? ["coalesce", ["get", "name_en"], ["get", "name_zh"], ["get", "name"]] : ["coalesce", ["get", "name_zh"], ["get", "name"]];
    const font = ["Noto Sans", "sans-serif"];
    const halo = { "text-halo-color": "#ffffff", "text-halo-width": 1.6 };
    layer({ id: "road-labels", type: "symbol", source: "road-labels", layout: { "symbol-placement": "line", "text-field": ["get", "name"], "text-font": font, "text-size": ["interpolate", ["linear"], ["zoom"], 12, 10, 17, 14], "symbol-spacing": 320, "text-max-angle": 35, "symbol-sort-key": ["get", "rank"] }, paint: Object.assign({ "text-color": "#3c4658" }, halo) }, "cells-line");
    layer({ id: "district-labels", type: "symbol", source: "districts", maxzoom: 12.5, layout: { "text-field": nameOf, "text-font": font, "text-size": 14, "text-allow-overlap": false }, paint: Object.assign({ "text-color": "#0b3d91" }, halo) });
    layer({ id: "station-labels", type: "symbol", source: "stations", minzoom: 11.5, maxzoom: 14.5, layout: { "text-field": nameOf, "text-font": font, "text-size": 12 }, paint: Object.assign({ "text-color": "#24458a" }, halo) });
    layer({ id: "community-labels", type: "symbol", source: "communities", minzoom: 13.5, layout: { "text-field": nameOf, "text-font": font, "text-size": 11 }, paint: Object.assign({ "text-color": "#5a6e96" }, halo) });
    layer({ id: "keyarea-labels", type: "symbol", source: "keyareas", minzoom: 13, layout: { "text-field": nameOf, "text-font": font, "text-size": 11 }, paint: Object.assign({ "text-color": "#9b1c1c" }, halo) });
    layer({ id: "premises-dots", type: "circle", source: "premises", minzoom: 15, paint: { "circle-radius": 2.5, "circle-color": "#6d4c41", "circle-stroke-color": "#ffffff", "circle-stroke-width": 1 } });
    layer({ id: "premises-labels", type: "symbol", source: "premises", minzoom: 15, layout: { "text-field": nameOf, "text-font": font, "text-size": 10.5, "text-offset": [0, 0.9], "text-anchor": "top", "text-optional": true }, paint: Object.assign({ "text-color": "#5d4037" }, halo) });
    layer({ id: "pin", type: "circle", source: "pin", paint: { "circle-radius": 9, "circle-color": "#f5c518", "circle-stroke-color": "#0b3d91", "circle-stroke-width": 3 } });
  }

  async function ogc(collection, params) {
    const qs = new URLSearchParams(Object.assign({ limit: 10000 }, params || {}));
    try { return await api(OGC + collection + "/items?" + qs); } catch (e) { return empty(); }
  }
  const bboxParam = () => { const b = map.getBounds(); return [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(","); };

  /* the map's own lean layers (/api/v1/map/...): simplified polygons, 1 m coordinates and only
     the properties drawn; an unreadable layer draws empty rather than stopping the page */
  async function lean(path, params) {
    try { return await api("/api/v1/map/" + path + (params ? "?" + new URLSearchParams(params) : "")); } catch (e) { return empty(); }
  }
  /* the first view: the boundaries, the map made fitted to them, drawn with everything else */
  async function loadStatic() {
    const [districts, stations, keyareas] = await Promise.all([lean("areas/districts"), lean("areas/stations"), lean("areas/key-areas")]);
    state.keyareas = keyareas;
    const dsel = document.getElementById("f-district");
    const dname = (f) => PA.lang === "en" ? (f.properties.name_en || f.properties.name_zh) : f.properties.name_zh;
    dsel.innerHTML = districts.features.map((f) => `<option value="${f.id}">${esc(dname(f))}</option>`).join("");
    makeMap((districts.features.length ? districts : stations).bbox);
    put("districts", districts);
    put("stations", stations);
    put("keyareas", keyareas);
  }

  let viewTimer = null;
  const fetched = {};
  /* the layers that depend on the view: asked for once the first view is fitted, and again
     only when the view leaves what was fetched or the zoom changes what is drawn */
  function viewJobs() {
    const z = map.getZoom(), bbox = bboxParam();
    const jobs = [];
    if (z >= 12.5 && (visible("communities") || (visible("labels") && z >= 13.5))) jobs.push(lean("areas/communities", { bbox }).then((d) => () => put("communities", d)));
    if (z >= 14 && visible("cells")) jobs.push(lean("areas/grid-cells", { bbox }).then((d) => () => put("cells", d)));
    if (z >= 13.5 && visible("cameras")) jobs.push(ogc("cameras", { bbox }).then((d) => () => put("cameras", d)));
    const hasRoads = (document.getElementById("detail") || { dataset: {} }).dataset.roads === "1";
    // roads and street names for a padded box: a resize or a small pan asks nothing; the box
    // is marked fetched when asked for, so a view change while it loads does not ask twice
    const roadsJob = (key, url, source, bucket) => {
      const view = map.getBounds(), f = fetched[key];
      if (f && f.bucket === bucket && f.w <= view.getWest() && f.s <= view.getSouth() && f.e >= view.getEast() && f.n >= view.getNorth()) return;
      const dx = (view.getEast() - view.getWest()) / 4, dy = (view.getNorth() - view.getSouth()) / 4;
      const box = { bucket, w: view.getWest() - dx, s: view.getSouth() - dy, e: view.getEast() + dx, n: view.getNorth() + dy };
      const padded = [box.w, box.s, box.e, box.n].map((v) => v.toFixed(5)).join(",");
      fetched[key] = box;
      jobs.push(api(url + "?" + new URLSearchParams({ bbox: padded, zoom: bucket.toFixed(1) })).then((d) => () => put(source, d)).catch(() => { if (fetched[key] === box) delete fetched[key]; return () => {}; }));
    };
    if (hasRoads && visible("roads")) roadsJob("roads", "/api/v1/map/roads", "roads", Math.floor(z));
    if (hasRoads && visible("labels")) roadsJob("labels", "/api/v1/map/road-labels", "road-labels", Math.floor(z * 2) / 2);
    if (z >= 15 && visible("labels")) jobs.push(ogc("premises", { bbox, limit: 2000 }).then((d) => () => put("premises", d)));
    return jobs;
  }
  function loadView() {
    if (!state.fitted) return;
    clearTimeout(viewTimer);
    viewTimer = setTimeout(async () => { for (const draw of await Promise.all(viewJobs())) draw(); }, 200);
  }
  const visible = (key) => { const box = document.querySelector(`input[data-layer="${key}"]`); return box ? box.checked : true; };

  /* ---------------------------------------------------------------- incidents on the map */
  const point = (i, props) => ({ type: "Feature", id: i.id, geometry: { type: "Point", coordinates: [i.lon, i.lat] }, properties: props });
  function drawIncidents() {
    if (!state.drawing) return;
    const open = [...state.incidents.values()].filter((i) => OPEN.includes(i.state));
    put("incidents-open", { type: "FeatureCollection", features: open.map((i) => point(i, { id: i.id, klass: i.klass, sel: i.id === state.selected })) });
    const hist = [...state.history.values()].filter((i) => !state.incidents.has(i.id) || !OPEN.includes(state.incidents.get(i.id).state));
    put("incidents", { type: "FeatureCollection", features: hist.map((i) => point(i, { id: i.id, klass: i.klass })) });
  }
  CMD.drawIncidents = drawIncidents;

  async function fetchHistory() {
    const fc = await lean("incidents", { hours: state.hours, limit: 5000 });
    return () => {
      state.history.clear();
      for (const f of fc.features) state.history.set(f.id, Object.assign({ id: f.id, lon: f.geometry.coordinates[0], lat: f.geometry.coordinates[1] }, f.properties));
      drawIncidents();
    };
  }
  const loadHistory = async () => (await fetchHistory())();

  async function loadOpen() {
    const pages = await Promise.all(OPEN.map((s) => api("/api/v1/incidents?" + new URLSearchParams({ state: s, limit: 500 }))));
    for (const p of pages) for (const i of p.items) state.incidents.set(i.id, i);
    renderQueue();
    drawIncidents();
  }
  async function loadClosed() {
    const since = new Date(Date.now() - 24 * 3600e3).toISOString();
    const page = await api("/api/v1/incidents?" + new URLSearchParams({ since, limit: 300 }));
    for (const i of page.items) if (!state.incidents.has(i.id)) state.incidents.set(i.id, i);
    renderQueue();
  }

  /* ---------------------------------------------------------------- queue */
  function standard(i) {
    if (i.state === "received") return DISPATCH_STD[i.priority] || 600;
    if (i.state === "dispatched" || i.state === "en_route") return ARRIVE_STD[i.priority] || 1200;
    return null;
  }
  function fmtWait(s) {
    s = Math.max(0, Math.floor(s));
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    return (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(sec).padStart(2, "0");
  }
  function timerClass(i, now) {
    const std = standard(i);
    if (!std) return "t-ok";
    const f = (now - Date.parse(i.reported_at)) / 1000 / std;
    return f < 0.5 ? "t-ok" : f < 1 ? "t-warn" : "t-late";
  }
  /* the queue's scope: all open calls, those still waiting for a unit, mine or one
     district's. Mine: the calls I took or sent a unit to in my shift (the last 12 hours), as
     the server keeps them (/api/v1/dispatch/mine, so a reload or a second screen keeps them),
     plus those I take or dispatch on this page from now on */
  CMD.mine = new Set();
  async function loadMine() {
    try {
      const r = await api("/api/v1/dispatch/mine");
      for (const id of r.incident_ids) CMD.mine.add(id);
    } catch (e) { /* the filter falls back to this page's own calls */ }
  }
  function inScope(i, scope, me, district) {
    if (scope === "open") return i.state === "received";
    if (scope === "mine") return CMD.mine.has(i.id) || (i.created_by_id === me && Date.now() - Date.parse(i.reported_at) < 12 * 3600e3);
    if (scope === "district") return !district || (i.jpath || "").includes("/" + district + "/");
    return true;
  }
  function filtered() {
    const cls = document.getElementById("f-class").value;
    const pr = +document.getElementById("f-priority").value || 9;
    const scopeSel = document.getElementById("f-scope");
    const scope = scopeSel.value, me = +scopeSel.dataset.userId;
    const district = document.getElementById("f-district").value;
    const all = [...state.incidents.values()].filter((i) => (!cls || i.klass === cls) && inScope(i, state.tab === "closed" && scope === "open" ? "all" : scope, me, district));
    if (state.tab === "closed") {
      return all.filter((i) => !OPEN.includes(i.state)).sort((a, b) => Date.parse(b.reported_at) - Date.parse(a.reported_at)).slice(0, 300);
    }
    return all.filter((i) => OPEN.includes(i.state) && i.priority <= pr)
      .sort((a, b) => a.priority - b.priority || Date.parse(a.reported_at) - Date.parse(b.reported_at) || a.id - b.id);
  }
  function queueItem(i, now) {
    const li = document.createElement("li");
    li.dataset.id = i.id;
    li.tabIndex = -1;
    li.className = "p" + i.priority + (i.id === state.selected ? " sel" : "") + (CMD.fresh && CMD.fresh.has(i.id) ? " new" : "");
    const open = OPEN.includes(i.state);
    li.innerHTML = `<span class="dot" style="background:${CLASS_COLORS[i.klass] || "#607d8b"}"></span>
      <span><div class="q-title">${esc(CMD.label(i))} <span class="badge p${i.priority}">P${i.priority}</span>${i.source === "drill" ? ' <span class="badge drill">DRILL</span>' : ""}</div>
      <div class="q-meta">${esc(i.code)} · ${esc(fmtTime(i.reported_at))}${i.address_text ? " · " + esc(i.address_text) : ""}${i.repeat_count ? " · ×" + (i.repeat_count + 1) : ""}</div></span>
      <span class="q-side"><span class="badge st-${esc(i.state)}">${esc(t("state." + i.state))}</span>${open ? `<span class="timer ${timerClass(i, now)}" data-since="${esc(i.reported_at)}">${fmtWait((now - Date.parse(i.reported_at)) / 1000)}</span>` : ""}</span>`;
    return li;
  }
  let queueTimer = null, queueDrawnAt = 0;
  function renderQueue() {
    clearTimeout(queueTimer);
    queueTimer = null;
    queueDrawnAt = performance.now();
    const ol = document.getElementById("queue");
    const now = Date.now();
    const items = filtered();
    ol.replaceChildren(...items.map((i) => queueItem(i, now)));
    document.getElementById("n-open").textContent = [...state.incidents.values()].filter((i) => OPEN.includes(i.state)).length;
  }
  CMD.renderQueue = renderQueue;
  // a change drawn at once (before the map's frame it also asks for, which a software-rendered
  // map makes long); a burst of changes drawn at most every 50 ms
  const renderQueueSoon = () => {
    if (queueTimer) return;
    const wait = queueDrawnAt + 50 - performance.now();
    if (wait <= 0) renderQueue(); else queueTimer = setTimeout(renderQueue, wait);
  };
  function tick() {
    const now = Date.now();
    for (const el of document.querySelectorAll("#queue .timer")) {
      const i = state.incidents.get(+el.closest("li").dataset.id);
      if (!i) continue;
      el.textContent = fmtWait((now - Date.parse(i.reported_at)) / 1000);
      el.className = "timer " + timerClass(i, now);
    }
  }

  /* ---------------------------------------------------------------- unit board */
  function unitChip(u) {
    const inc = u.current_incident_code ? ` · <a href="#" data-incident="${u.current_incident_id}">${esc(u.current_incident_code)}</a>` : "";
    const mv = u.moveup ? ` <span class="u-moveup" title="${esc(t("dispatch.coverage.active"))}">⇢ ${esc(u.moveup.label)}</span>` : "";
    return `<li class="unit s-${esc(u.status)}${u.moveup ? " moving" : ""}" data-unit-id="${u.id}" title="${esc(CMD.named("coverage.unit." + u.kind, u.kind))}"><b>${esc(u.code)}</b> <span class="u-status">${esc(t("unit." + u.status))}</span>${inc}${mv}</li>`;
  }
  function renderBoard() {
    const box = document.getElementById("board");
    if (!state.stations.length) { box.innerHTML = `<span class="muted">${esc(t("common.none"))}</span>`; return; }
    box.innerHTML = state.stations.map((st) => {
      const units = st.unitIds.map((id) => state.units.get(id)).filter(Boolean);
      const free = units.filter((u) => u.status === "available").length;
      return `<div class="station"><h4>${esc(st.name)} <span class="muted">${free}/${units.length} ${esc(t("dispatch.board.free"))}</span></h4><ul>${units.map(unitChip).join("")}</ul></div>`;
    }).join("");
  }
  function drawUnits() {
    if (!state.drawing) return;
    const feats = [...state.units.values()].filter((u) => u.lon != null && u.kind !== "drone_base").map((u) => point(u, { id: u.id, status: u.status, code: u.code, name: u.name, kind: u.kind }));
    put("units", { type: "FeatureCollection", features: feats });
  }
  async function loadBoard() {
    const board = await api("/api/v1/dispatch/board");
    state.units.clear();
    state.stations = board.stations.map((st) => ({ id: st.id, name: st.name, unitIds: st.units.map((u) => u.id) }));
    for (const st of board.stations) for (const u of st.units) { state.units.set(u.id, u); for (const f of CMD.unitListeners) f(u); }
    renderBoard();
    drawUnits();
  }
  let boardTimer = null, boardDrawnAt = 0;
  const boardNow = () => { boardTimer = null; boardDrawnAt = performance.now(); renderBoard(); drawUnits(); if (CMD.hooks.unitsChanged) CMD.hooks.unitsChanged(); };
  function unitChanged(u) {
    const known = state.units.has(u.id);
    for (const f of CMD.unitListeners) f(u);
    state.units.set(u.id, u);
    if (!known) {
      let st = state.stations.find((s) => s.id === u.station_id);
      if (!st) { st = { id: u.station_id, name: String(u.station_id), unitIds: [] }; state.stations.push(st); }
      st.unitIds.push(u.id);
    }
    // like the queue: at once, then at most every 50 ms in a burst
    if (boardTimer) return;
    const wait = boardDrawnAt + 50 - performance.now();
    if (wait <= 0) boardNow(); else boardTimer = setTimeout(boardNow, wait);
  }

  /* ---------------------------------------------------------------- live */
  CMD.fresh = new Set();
  function incidentChanged(i) {
    const known = state.incidents.has(i.id);
    state.incidents.set(i.id, i);
    if (!known) {
      CMD.fresh.add(i.id);
      setTimeout(() => CMD.fresh.delete(i.id), 2500);
      if (i.priority === 1 && OPEN.includes(i.state) && i.created_by_id !== +document.getElementById("f-scope").dataset.userId) ring();
    }
    renderQueueSoon();
    drawIncidents();
    if (state.selected === i.id && CMD.hooks.selectedChanged) CMD.hooks.selectedChanged(i);
  }
  CMD.incidentChanged = incidentChanged;
  /* an optional tone for a new P1 (ticking the box is the gesture that allows sound) */
  let audio = null;
  document.getElementById("f-sound").addEventListener("change", (e) => {
    if (e.target.checked && !audio && window.AudioContext) audio = new AudioContext();
  });
  function ring() {
    if (!audio || !document.getElementById("f-sound").checked) return;
    const o = audio.createOscillator(), g = audio.createGain();
    o.frequency.value = 880;
    g.gain.setValueAtTime(0.2, audio.currentTime);
    g.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.6);
    o.connect(g).connect(audio.destination);
    o.start();
    o.stop(audio.currentTime + 0.6);
  }
  CMD.unitChanged = unitChanged;
  function live() {
    const badge = document.getElementById("live");
    const es = new EventSource("/api/v1/incidents/stream");
    es.addEventListener("incident", (ev) => incidentChanged(JSON.parse(ev.data)));
    es.addEventListener("unit", (ev) => unitChanged(JSON.parse(ev.data)));
    es.onopen = () => badge.classList.remove("off");
    es.onerror = () => badge.classList.add("off");
  }

  /* ---------------------------------------------------------------- selection, keyboard */
  CMD.select = function (id) {
    state.selected = id;
    document.querySelectorAll("#queue li").forEach((li) => li.classList.toggle("sel", +li.dataset.id === id));
    const li = document.querySelector(`#queue li[data-id="${id}"]`);
    if (li) li.scrollIntoView({ block: "nearest" });
    drawIncidents();
    if (CMD.hooks.open) CMD.hooks.open(id);
  };
  function move(step) {
    const ids = [...document.querySelectorAll("#queue li")].map((li) => +li.dataset.id);
    if (!ids.length) return;
    const k = ids.indexOf(state.selected);
    CMD.select(ids[Math.max(0, Math.min(ids.length - 1, k < 0 ? 0 : k + step))]);
  }
  const typing = (el) => el && (el.tagName === "INPUT" || el.tagName === "TEXTAREA" || el.tagName === "SELECT" || el.isContentEditable);
  document.addEventListener("keydown", (e) => {
    if (e.key === "F2" || (!typing(e.target) && !e.ctrlKey && !e.metaKey && !e.altKey && (e.key === "n" || e.key === "N"))) {
      e.preventDefault();
      if (CMD.hooks.intake) CMD.hooks.intake();
      return;
    }
    if (e.key === "Escape") {
      if (CMD.hooks.escape && CMD.hooks.escape()) e.preventDefault();
      return;
    }
    if (typing(e.target) || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "j" || e.key === "ArrowDown" && e.target.closest && e.target.closest("#queue")) { e.preventDefault(); move(1); }
    else if (e.key === "k" || e.key === "ArrowUp" && e.target.closest && e.target.closest("#queue")) { e.preventDefault(); move(-1); }
    else if (/^[1-5]$/.test(e.key) && CMD.hooks.dispatchNth) { e.preventDefault(); CMD.hooks.dispatchNth(+e.key); }
  });

  function legend() {
    document.getElementById("legend").innerHTML = Object.entries(CLASS_COLORS).map(([k, c]) => `<div><span style="background:${c}"></span>${esc(t("class." + k))}</div>`).join("")
      + Object.entries(UNIT_COLORS).map(([k, c]) => `<div><span class="diamond" style="background:${c}"></span>${esc(t("unit." + k))}</div>`).join("");
  }

  function wire() {
    document.querySelectorAll("input[data-layer]").forEach((box) => {
      const toggled = () => { for (const f of CMD.hooks.layerToggled || []) f(box.dataset.layer, box.checked); };
      box.addEventListener("change", () => {
        for (const id of LAYERS[box.dataset.layer]) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
        toggled();
        loadView();
      });
      // the layers were made with their boxes' visibility and the view's layers are already
      // asked for: only the panels that follow a box are told its state (asking the view's
      // layers again here would upload them twice and redraw the first view)
      toggled();
    });
    document.getElementById("period").addEventListener("change", (e) => { state.hours = +e.target.value; loadHistory(); });
    for (const id of ["f-class", "f-priority", "f-district"]) document.getElementById(id).addEventListener("change", renderQueue);
    document.getElementById("f-scope").addEventListener("change", async (e) => {
      document.getElementById("f-district").hidden = e.target.value !== "district";
      renderQueue();
      if (e.target.value === "mine") { await loadMine(); renderQueue(); }
    });
    document.querySelectorAll(".tabs .tab").forEach((b) => b.addEventListener("click", async () => {
      state.tab = b.dataset.tab;
      document.querySelectorAll(".tabs .tab").forEach((x) => x.classList.toggle("on", x === b));
      if (state.tab === "closed" && !state.closedLoaded) { state.closedLoaded = true; await loadClosed(); }
      renderQueue();
    }));
    document.getElementById("queue").addEventListener("click", (e) => { const li = e.target.closest("li[data-id]"); if (li) CMD.select(+li.dataset.id); });
    document.getElementById("board").addEventListener("click", (e) => {
      const a = e.target.closest("a[data-incident]");
      if (a) { e.preventDefault(); CMD.select(+a.dataset.incident); return; }
      const li = e.target.closest("li[data-unit-id]");
      const u = li && state.units.get(+li.dataset.unitId);
      if (u && u.lon != null) map.flyTo({ center: [u.lon, u.lat], zoom: Math.max(map.getZoom(), 14) });
    });
    const newCall = document.getElementById("new-call"); // only for those who may take a call
    if (newCall) newCall.addEventListener("click", () => CMD.hooks.intake && CMD.hooks.intake());
    for (const layer of ["incidents", "incidents-open"]) map.on("click", layer, (e) => { if (!CMD.hooks.intakeOpen || !CMD.hooks.intakeOpen()) CMD.select(e.features[0].properties.id); });
    map.on("click", "units", (e) => {
      const p = e.features[0].properties, u = state.units.get(p.id);
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<b>${esc(p.code)}</b> ${esc(p.name)}<br>${esc(CMD.named("coverage.unit." + p.kind, p.kind))} · ${esc(t("unit." + p.status))}${u && u.current_incident_code ? " · " + esc(u.current_incident_code) : ""}`).addTo(map);
    });
    map.on("click", (e) => { if (CMD.hooks.mapClick) CMD.hooks.mapClick(e); });
    for (const id of ["incidents", "incidents-open", "units"]) { map.on("mouseenter", id, () => (map.getCanvas().style.cursor = "pointer")); map.on("mouseleave", id, () => (map.getCanvas().style.cursor = "")); }
    map.on("moveend", loadView);
  }

  (async () => {
    const taxonomy = api("/api/v1/taxonomy").then((tax) => {
      for (const s of tax.subtypes) state.subtypes[s.code] = s;
      for (const c of tax.classes) state.classes[c.code] = c;
      const sel = document.getElementById("f-class");
      for (const c of tax.classes) sel.insertAdjacentHTML("beforeend", `<option value="${esc(c.code)}">${esc(PA.lang === "en" ? c.name_en : c.name_zh)}</option>`);
      if (CMD.hooks.taxonomy) CMD.hooks.taxonomy(tax);
    }).catch(() => { /* names fall back to codes */ });
    // everything asked for at once (the roads and street names as soon as the map, fitted to
    // the boundaries, knows its view); the queue and the board are drawn as their data come
    const statics = loadStatic().then(() => Promise.all(viewJobs()));
    const mapLoaded = statics.then(() => state.mapLoaded);
    const [, draws, drawHistory] = await Promise.all([taxonomy, statics, fetchHistory(), loadOpen(), loadBoard(), loadMine(), mapLoaded]);
    for (const draw of draws) draw();
    drawHistory();
    state.drawing = true;
    drawIncidents();
    drawUnits();
    // then the sources, each with its data, and every layer at once: the first frame with
    // content is the whole first view
    const added = state.firstViewHold;
    addSources();
    for (const f of CMD.hooks.mapReady || []) f();
    added(Object.keys(map.getStyle().sources));
    legend();
    wire();
    renderQueue();
    live();
    setInterval(tick, 1000);
    // ready with the first frame that draws the whole first view: every source indexed, every
    // tile made and drawn, the labels placed (fadeDuration 0 places them all in that frame).
    // MapLibre then draws the same picture once more before "idle" (it marks a placement
    // stale whenever new symbol tiles came in); that frame is not waited for
    PA.mapframes.drawn(map).then(() => { document.body.dataset.ready = "1"; });
  })();
})();
