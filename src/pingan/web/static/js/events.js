/* Event security page: the plan on the map (and, for planners, its posts and zones edited),
   the live board on the command center's live stream, the after-action report. */
"use strict";
(function () {
  const { t, api, esc, lang, fmtTime } = window.PA;
  const $ = (id) => document.getElementById(id);
  const empty = () => ({ type: "FeatureCollection", features: [] });
  const feature = (geometry, properties) => ({ type: "Feature", geometry, properties: properties || {} });
  const canCommand = $("ev-side").dataset.canCommand === "1";
  const canPlan = !!$("pe");
  const fmt = (key, vars) => t(key).replace(/\{(\w+)\}/g, (_, k) => (vars[k] == null ? "" : vars[k]));
  const map = new maplibregl.Map({ locale: window.PA.mapLocale,
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f5" } }] },
    center: [102.71, 25.04], zoom: 14, attributionControl: false, maxPitch: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.pinganMap = map;
  let ev = null, tab = "plan", boardUnits = empty();
  const KIND_COLORS = { post: "#0b3d91", traffic: "#1565c0", service: "#2e7d32", drone: "#8e24aa" };

  function circle(lon, lat, r) {
    const pts = [], k = 111320 * Math.cos(lat * Math.PI / 180);
    for (let i = 0; i <= 48; i++) { const a = 2 * Math.PI * i / 48; pts.push([lon + r * Math.sin(a) / k, lat + r * Math.cos(a) / 111320]); }
    return { type: "Polygon", coordinates: [pts] };
  }

  function addLayers() {
    for (const s of ["zones", "sectors", "detours", "posts", "incidents", "units", "draft", "ze-shape", "ze-mids", "ze-vertices"]) map.addSource(s, { type: "geojson", data: empty() });
    map.addLayer({ id: "zone-fill", type: "fill", source: "zones", paint: { "fill-color": ["match", ["get", "kind"], "venue", "#c62828", "perimeter", "#ef6c00", "#1565c0"], "fill-opacity": ["match", ["get", "kind"], "venue", 0.33, "perimeter", 0.12, 0.03] } });
    map.addLayer({ id: "zone-line", type: "line", source: "zones", paint: { "line-color": ["match", ["get", "kind"], "venue", "#c62828", "perimeter", "#ef6c00", "#1565c0"], "line-width": 1.5, "line-dasharray": [3, 2] } });
    map.addLayer({ id: "sectors", type: "fill", source: "sectors", paint: { "fill-color": "#8e24aa", "fill-opacity": 0.1 } });
    map.addLayer({ id: "sectors-line", type: "line", source: "sectors", paint: { "line-color": "#8e24aa", "line-width": 1 } });
    map.addLayer({ id: "detours", type: "line", source: "detours", paint: { "line-color": "#1565c0", "line-width": 3, "line-opacity": 0.7 } });
    map.addLayer({ id: "posts", type: "circle", source: "posts", paint: { "circle-radius": 6, "circle-color": ["get", "color"], "circle-stroke-color": ["case", ["get", "staffed"], "#2e7d32", "#fff"], "circle-stroke-width": 2 } });
    map.addLayer({ id: "incidents", type: "circle", source: "incidents", paint: { "circle-radius": 5, "circle-color": "#c62828", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    map.addLayer({ id: "units", type: "circle", source: "units", paint: { "circle-radius": 4, "circle-color": "#ef8f00", "circle-stroke-color": "#000", "circle-stroke-width": 0.5 } });
    map.addLayer({ id: "draft", type: "circle", source: "draft", paint: { "circle-radius": 8, "circle-color": "#d81b60", "circle-opacity": 0.8, "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.addLayer({ id: "ze-fill", type: "fill", source: "ze-shape", paint: { "fill-color": "#d81b60", "fill-opacity": 0.06 } });
    map.addLayer({ id: "ze-line", type: "line", source: "ze-shape", paint: { "line-color": "#d81b60", "line-width": 2 } });
    map.addLayer({ id: "ze-mids", type: "circle", source: "ze-mids", paint: { "circle-radius": 4, "circle-color": "#fff", "circle-stroke-color": "#d81b60", "circle-stroke-width": 1.5 } });
    map.addLayer({ id: "ze-vertices", type: "circle", source: "ze-vertices", paint: { "circle-radius": ["case", ["get", "sel"], 8, 6], "circle-color": ["case", ["get", "sel"], "#ffd600", "#d81b60"], "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
    map.on("click", "posts", (e) => {
      if (pe.picking || ze.ring) return; // placing a post or reshaping a zone: not a post click
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<b>${esc(p.name)}</b><br>${esc(p.unit || "—")}`).addTo(map);
      if (canPlan && ev.phase !== "past") peOpen(ev.posts.find((q) => q.id === p.id));
    });
  }

  const shift = () => $("ev-shift").value;
  function drawPlan() {
    map.getSource("zones").setData({ type: "FeatureCollection", features: ev.zones.filter((z) => z.id !== ze.zoneId).map((z) => feature(z.geometry, { kind: z.kind })) });
    const ps = ev.posts.filter((p) => p.shift === shift() || p.kind === "service" || p.kind === "drone");
    map.getSource("posts").setData({ type: "FeatureCollection", features: ps.filter((p) => p.kind !== "drone").map((p) => feature({ type: "Point", coordinates: [p.lon, p.lat] }, { id: p.id, name: p.name, unit: p.unit, color: KIND_COLORS[p.kind], staffed: !!p.staffed_at })) });
    map.getSource("detours").setData({ type: "FeatureCollection", features: ps.filter((p) => p.detour).map((p) => feature(p.detour, {})) });
    map.getSource("sectors").setData({ type: "FeatureCollection", features: ev.posts.filter((p) => p.kind === "drone").map((p) => feature(circle(p.lon, p.lat, p.radius_m), {})) });
    const rows = ev.posts.filter((p) => p.shift === shift());
    $("ev-posts").querySelector("tbody").innerHTML = rows.map((p) => `<tr data-id="${p.id}" class="${p.id === pe.id ? "sel" : ""}"><td>${esc(p.name)}</td><td>${esc(p.unit || "—")}${p.officer ? "<br><span class='muted'>" + esc(p.officer) + "</span>" : ""}</td><td>${p.officers_needed}</td><td class="${p.staffed_at ? "ok" : "no"}">${p.staffed_at ? "✓" : "—"}</td></tr>`).join("");
    $("ev-checks").querySelector("tbody").innerHTML = ev.checks.map((c) => {
      const done = c.done_at ? `<span class="ok">✓ ${esc(fmtTime(c.done_at))}</span>` : (canCommand ? `<button type="button" class="secondary" data-check="${c.id}">${esc(t("events.done"))}</button>` : "—");
      return `<tr><td>${esc(c.text)}</td><td>${esc(fmtTime(c.due_at))}</td><td>${done}</td></tr>`;
    }).join("");
  }

  async function drawBoard() {
    const b = await api(`/api/v1/events/${ev.id}/board`);
    map.getSource("incidents").setData({ type: "FeatureCollection", features: b.incidents.map((i) => feature({ type: "Point", coordinates: [i.lon, i.lat] }, {})) });
    const units = { type: "FeatureCollection", features: b.units.filter((u) => u.lon != null).map((u) => feature({ type: "Point", coordinates: [u.lon, u.lat] }, { id: u.id })) };
    boardUnits = units; map.getSource("units").setData(units);
    $("b-incidents").textContent = b.incidents.length;
    $("b-staffed").textContent = `${b.posts_staffed}/${b.posts_total}`;
    const c3 = b.coverage.find((c) => c.standard_s === 180);
    $("b-cov").textContent = c3 ? (100 * c3.share).toFixed(0) + "%" : "—";
    $("b-coverage").querySelector("tbody").innerHTML = `<tr><td>${esc(t("events.b.venue"))}</td>${b.coverage.map((c) => `<td>${(100 * c.share).toFixed(0)}%</td>`).join("")}</tr>`;
    $("b-zones").textContent = Object.entries(b.incidents_by_zone).map(([k, v]) => `${k} ${v}`).join(" · ") || t("events.none");
    const st = {}; for (const u of b.units) st[u.status] = (st[u.status] || 0) + 1;
    $("b-units").textContent = Object.entries(st).map(([k, v]) => `${t("events.status." + k)} ${v}`).join(" · ") || t("events.none");
    $("b-log").innerHTML = b.log.map((l) => `<li><b>${esc(fmtTime(l.at))}</b> ${esc(l.author)}：${esc(l.text)}</li>`).join("") || `<li>${esc(t("events.none"))}</li>`;
  }

  /* ---- the live board on the command center's stream: incidents and unit moves redraw it */
  let stream = null, boardTimer = null, boardBusy = false, boardAgain = false;
  function inside(pt, ring) { // ray casting, lon/lat
    let ok = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > pt[1]) !== (yj > pt[1]) && pt[0] < ((xj - xi) * (pt[1] - yi)) / (yj - yi) + xi) ok = !ok;
    }
    return ok;
  }
  function inZones(lon, lat) {
    const ctrl = ev && ev.zones.find((z) => z.kind === "control");
    return !!ctrl && lon != null && inside([lon, lat], ctrl.geometry.coordinates[0]);
  }
  function boardSoon() { // at most one board read in flight; changes meanwhile ask for one more
    if (tab !== "board") return;
    clearTimeout(boardTimer);
    boardTimer = setTimeout(async () => {
      if (boardBusy) { boardAgain = true; return; }
      boardBusy = true;
      try { await drawBoard(); } catch (e) { $("ev-meta").textContent = e.message; }
      boardBusy = false;
      if (boardAgain) { boardAgain = false; boardSoon(); }
    }, 400);
  }
  function onUnit(u) {
    const f = boardUnits.features.find((x) => x.properties.id === u.id);
    if (!f) return; // not a unit of this event's posts
    if (u.lon != null) { f.geometry.coordinates = [u.lon, u.lat]; map.getSource("units").setData(boardUnits); }
    boardSoon();
  }
  function onIncident(i) { if (inZones(i.lon, i.lat)) boardSoon(); }
  let planTimer = null;
  function onPost(p) { // a post of this event assigned or reported staffed (by anyone): plan and board
    if (!ev || p.event_id !== ev.id) return;
    const q = ev.posts.find((x) => x.id === p.id);
    if (q) { q.staffed_at = p.staffed_at; drawPlan(); }
    boardSoon();
    clearTimeout(planTimer); // the unit and officer names come with the event: read it again
    planTimer = setTimeout(async () => {
      try { const fresh = await api(`/api/v1/events/${p.event_id}`); if (ev && ev.id === fresh.id) { ev = fresh; drawPlan(); } } catch (e) { $("ev-meta").textContent = e.message; }
    }, 400);
  }
  function live(on) {
    const badge = $("b-live");
    if (on && !stream) {
      stream = new EventSource("/api/v1/incidents/stream");
      stream.addEventListener("incident", (m) => onIncident(JSON.parse(m.data)));
      stream.addEventListener("unit", (m) => onUnit(JSON.parse(m.data)));
      stream.addEventListener("post", (m) => onPost(JSON.parse(m.data)));
      let opened = false; // on a reconnect, what changed meanwhile is read again
      stream.onopen = () => { badge.classList.remove("off"); if (opened) boardSoon(); opened = true; };
      stream.onerror = () => badge.classList.add("off");
    } else if (!on && stream) { stream.close(); stream = null; badge.classList.add("off"); }
    badge.hidden = !on;
  }

  /* ---- the plan editor (planners): add, move, rename, delete posts; zones by a buffer */
  const pe = { id: null, picking: false, lon: null, lat: null };
  function peMsg(text, err) { if (!canPlan) return; $("pe-msg").textContent = text; $("pe-msg").classList.toggle("no", !!err); }
  function peDraft() {
    map.getSource("draft").setData(pe.lon == null ? empty() : { type: "FeatureCollection", features: [feature({ type: "Point", coordinates: [pe.lon, pe.lat] })] });
  }
  function pePick(on) {
    pe.picking = on; $("pe-move").setAttribute("aria-pressed", on ? "true" : "false");
    map.getCanvas().style.cursor = on ? "crosshair" : "";
    if (on) peMsg(t("events.pe.picking"), false);
  }
  function peRadius() { $("pe-radius-l").hidden = $("pe-kind").value !== "drone"; }
  function peOpen(post) {
    if (ze.ring) zeStop();
    pe.id = post ? post.id : null; pe.lon = post ? post.lon : null; pe.lat = post ? post.lat : null;
    $("pe-fields").hidden = false;
    $("pe-what").textContent = post ? fmt("events.pe.editing", { name: post.name }) : t("events.pe.new");
    $("pe-name").value = post ? post.name : ""; $("pe-kind").value = post ? post.kind : "post"; $("pe-kind").disabled = !!post;
    $("pe-needed").value = post ? post.officers_needed : 2; $("pe-radius").value = post && post.radius_m ? Math.round(post.radius_m) : 800;
    $("pe-delete").hidden = !post; peRadius();
    peMsg("", false); pePick(!post); peDraft(); drawPlan();
  }
  function peClose() {
    pe.id = pe.lon = pe.lat = null; pePick(false); peDraft();
    $("pe-fields").hidden = true; $("pe-what").textContent = ""; drawPlan();
  }
  async function peSave() {
    if (pe.lon == null) { peMsg(t("events.pe.need_place"), true); return; }
    const name = $("pe-name").value.trim();
    const body = { name: name || null, officers_needed: +$("pe-needed").value, lon: pe.lon, lat: pe.lat };
    const kind = $("pe-kind").value;
    if (kind === "drone") body.radius_m = +$("pe-radius").value;
    try {
      const p = pe.id
        ? await api(`/api/v1/events/posts/${pe.id}/place`, { method: "PATCH", body })
        : await api(`/api/v1/events/${ev.id}/posts`, { method: "POST", body: Object.assign(body, { kind, shift: kind === "service" || kind === "drone" ? "event" : shift() }) });
      await load(ev.id, true); peClose(); peMsg(fmt("events.pe.saved", { name: p.name }), false);
    } catch (e) { peMsg(e.message, true); }
  }
  async function peDelete() {
    const post = ev.posts.find((q) => q.id === pe.id); if (!post) return;
    try {
      await api(`/api/v1/events/posts/${post.id}`, { method: "DELETE" });
      await load(ev.id, true); peClose(); peMsg(fmt("events.pe.deleted", { name: post.name }), false);
    } catch (e) { peMsg(e.message, true); }
  }
  async function zeApply() {
    const kind = $("ze-zone").value, zone = ev.zones.find((z) => z.kind === kind); if (!zone) return;
    try {
      await api(`/api/v1/events/zones/${zone.id}`, { method: "PUT", body: { buffer_m: +$("ze-buffer").value } });
      await load(ev.id, true); peMsg(fmt("events.pe.zone_saved", { zone: t("events.zone." + kind) }), false);
    } catch (e) { peMsg(e.message, true); }
  }
  /* ---- zones by their vertices: drag a vertex, click an edge's midpoint to add one, select
     one and delete it; saved as a polygon through the zone API (its refusals shown) */
  const ze = { zoneId: null, kind: null, ring: null, holes: [], sel: null, drag: null, moved: false, added: false };
  function zeDraw() {
    if (!ze.ring) { for (const s of ["ze-shape", "ze-mids", "ze-vertices"]) map.getSource(s).setData(empty()); return; }
    const n = ze.ring.length, closed = ze.ring.concat([ze.ring[0]]);
    map.getSource("ze-shape").setData({ type: "FeatureCollection", features: [feature({ type: "Polygon", coordinates: [closed].concat(ze.holes) })] });
    map.getSource("ze-mids").setData({ type: "FeatureCollection", features: ze.ring.map((c, i) => { const d = ze.ring[(i + 1) % n]; return feature({ type: "Point", coordinates: [(c[0] + d[0]) / 2, (c[1] + d[1]) / 2] }, { i }); }) });
    map.getSource("ze-vertices").setData({ type: "FeatureCollection", features: ze.ring.map((c, i) => feature({ type: "Point", coordinates: c }, { i, sel: i === ze.sel })) });
  }
  function zeStart() {
    const kind = $("ze-zone").value, zone = ev && ev.zones.find((z) => z.kind === kind);
    if (!zone || zone.geometry.type !== "Polygon") return;
    if (pe.id != null || !$("pe-fields").hidden) peClose();
    const rings = zone.geometry.coordinates;
    Object.assign(ze, { zoneId: zone.id, kind, ring: rings[0].slice(0, -1).map((c) => c.slice()), holes: rings.slice(1), sel: null, drag: null });
    $("ze-edit").setAttribute("aria-pressed", "true"); $("ze-tools").hidden = false;
    peMsg(fmt("events.ze.editing", { zone: t("events.zone." + kind) }), false);
    zeDraw(); drawPlan();
  }
  function zeStop() {
    if (!canPlan) return;
    Object.assign(ze, { zoneId: null, kind: null, ring: null, holes: [], sel: null, drag: null, moved: false, added: false });
    $("ze-edit").setAttribute("aria-pressed", "false"); $("ze-tools").hidden = true;
    map.dragPan.enable(); map.getCanvas().style.cursor = "";
    zeDraw(); if (ev) drawPlan();
  }
  function zeGrab(i, added) { ze.drag = i; ze.sel = i; ze.moved = false; ze.added = added; map.dragPan.disable(); map.getCanvas().style.cursor = "grabbing"; zeDraw(); }
  function zeDown(e, layer) {
    if (!ze.ring || ze.drag != null || !e.features || !e.features.length) return; // one grab per press
    e.preventDefault(); // no map pan while a vertex is dragged
    const i = e.features[0].properties.i;
    if (layer === "ze-mids") { ze.ring.splice(i + 1, 0, e.features[0].geometry.coordinates.slice()); zeGrab(i + 1, true); } else zeGrab(i, false);
  }
  function zeMove(e) {
    if (ze.drag == null) return;
    ze.ring[ze.drag] = [+e.lngLat.lng.toFixed(6), +e.lngLat.lat.toFixed(6)]; ze.moved = true; zeDraw();
  }
  function zeUp() {
    if (ze.drag == null) return;
    ze.drag = null; map.dragPan.enable(); map.getCanvas().style.cursor = "";
    zeDraw();
    if (ze.added) peMsg(t("events.ze.added"), false); else if (ze.moved) peMsg(t("events.ze.moved"), false);
  }
  function zeDelete() {
    if (ze.sel == null) { peMsg(t("events.ze.pick_first"), true); return; }
    if (ze.ring.length <= 3) { peMsg(t("events.ze.min"), true); return; }
    ze.ring.splice(ze.sel, 1); ze.sel = null; zeDraw(); peMsg(t("events.ze.removed"), false);
  }
  async function zeSave() {
    if (!ze.ring) return;
    const kind = ze.kind, geometry = { type: "Polygon", coordinates: [ze.ring.concat([ze.ring[0]])].concat(ze.holes) };
    try {
      await api(`/api/v1/events/zones/${ze.zoneId}`, { method: "PUT", body: { geometry } });
      zeStop(); await load(ev.id, true); peMsg(fmt("events.pe.zone_saved", { zone: t("events.zone." + kind) }), false);
    } catch (e) { peMsg(fmt("events.ze.refused", { reason: e.message }), true); } // e.message: PA.errorText of the 4xx
  }
  function zeWire() {
    $("ze-edit").addEventListener("click", () => (ze.ring ? zeStop() : zeStart()));
    $("ze-zone").addEventListener("change", () => { if (ze.ring) zeStart(); });
    $("ze-del").addEventListener("click", zeDelete);
    $("ze-save").addEventListener("click", zeSave);
    $("ze-cancel").addEventListener("click", () => { zeStop(); peMsg("", false); });
    for (const layer of ["ze-vertices", "ze-mids"]) {
      map.on("mousedown", layer, (e) => zeDown(e, layer));
      map.on("touchstart", layer, (e) => zeDown(e, layer));
      map.on("mouseenter", layer, () => { if (ze.drag == null) map.getCanvas().style.cursor = "move"; });
      map.on("mouseleave", layer, () => { if (ze.drag == null) map.getCanvas().style.cursor = ""; });
    }
    map.on("mousemove", zeMove); map.on("touchmove", zeMove);
    map.on("mouseup", zeUp); map.on("touchend", zeUp);
    document.addEventListener("mouseup", zeUp); // released off the map: the drag still ends
    document.addEventListener("keydown", (e) => { if (ze.ring && ze.sel != null && (e.key === "Delete" || e.key === "Backspace") && !(e.target.closest && e.target.closest("input, select, textarea"))) { e.preventDefault(); zeDelete(); } });
  }

  function peWire() {
    if (!canPlan) return;
    $("pe-add").addEventListener("click", () => peOpen(null));
    $("pe-move").addEventListener("click", () => pePick(!pe.picking));
    $("pe-save").addEventListener("click", peSave);
    $("pe-delete").addEventListener("click", peDelete);
    $("pe-cancel").addEventListener("click", () => { peClose(); peMsg("", false); });
    $("pe-kind").addEventListener("change", peRadius);
    $("ze-apply").addEventListener("click", () => { zeStop(); zeApply(); });
    zeWire();
    $("ev-posts").addEventListener("click", (e) => {
      const tr = e.target.closest("tr[data-id]");
      if (tr && ev.phase !== "past") peOpen(ev.posts.find((q) => q.id === +tr.dataset.id));
    });
    map.on("click", (e) => {
      if (!pe.picking) return;
      pe.lon = +e.lngLat.lng.toFixed(6); pe.lat = +e.lngLat.lat.toFixed(6);
      pePick(false); peDraft(); peMsg(t("events.pe.placed"), false);
    });
  }

  async function drawReport() {
    const r = await api(`/api/v1/events/${ev.id}/report`);
    $("r-pdf").href = `/api/v1/events/${ev.id}/report.pdf`;
    $("r-zones").querySelector("thead").innerHTML = `<tr><th>${esc(t("events.r.zone"))}</th>${r.hours.map((h) => `<th>${esc(h.slice(0, 2))}</th>`).join("")}</tr>`;
    $("r-zones").querySelector("tbody").innerHTML = r.by_zone_hour.map((z) => `<tr><td>${esc(z.zone)}</td>${z.counts.map((c) => `<td>${c || ""}</td>`).join("")}</tr>`).join("");
    const rs = r.response, m = (s) => s == null ? "—" : (s / 60).toFixed(1) + "′";
    $("r-response").textContent = `${t("events.r.incidents")} ${r.incidents} · ${t("events.r.median")} ${m(rs.median_s)} · P90 ${m(rs.p90_s)} · ${t("events.r.slow")} ${rs.over_300_s}`;
    $("r-staff").querySelector("tbody").innerHTML = r.staffing.map((s) => `<tr><td>${esc(t("events.shift." + s.shift))}</td><td>${s.posts}</td><td>${s.assigned}</td><td>${s.staffed}</td><td>${s.officers_needed}</td></tr>`).join("");
    $("r-checks").textContent = `${t("events.checks")} ${r.checks_done}/${r.checks_total} · ${t("events.b.log")} ${r.log_entries}`;
    $("r-issues").innerHTML = (lang === "en" ? r.issues : r.issues_zh).map((i) => `<li>${esc(i)}</li>`).join("") || `<li class="ok">${esc(t("events.none"))}</li>`;
  }

  async function show() {
    for (const p of ["plan", "board", "report"]) { $("pane-" + p).hidden = p !== tab; $("tab-" + p).setAttribute("aria-selected", String(p === tab)); }
    map.getSource("incidents").setData(empty()); map.getSource("units").setData(empty());
    drawPlan();
    if (tab === "board") await drawBoard();
    if (tab === "report") { await drawBoard(); await drawReport(); }
  }

  async function load(id, keepTab) {
    ev = await api(`/api/v1/events/${id}`);
    const kind = t("events.type." + ev.kind);
    $("ev-meta").textContent = `${kind} · ${t("events.phase." + ev.phase)} · ${t("events.crowd")} ${ev.expected_crowd.toLocaleString(lang)} · ${fmtTime(ev.arrival_at)} – ${fmtTime(ev.dispersal_until)}`;
    const b = new maplibregl.LngLatBounds();
    for (const z of ev.zones) if (z.kind === "control") for (const c of z.geometry.coordinates[0]) b.extend(c);
    if (!b.isEmpty()) map.fitBounds(b, { padding: 20, duration: 0 });
    if (!keepTab) {
      tab = ev.phase === "live" ? "board" : ev.phase === "past" ? "report" : "plan";
      if (ev.phase === "upcoming") $("ev-shift").value = "arrival";
      if (canPlan) { zeStop(); peClose(); }
    }
    if (canPlan) { for (const el of $("pe").querySelectorAll("button, input, select")) el.disabled = ev.phase === "past"; if (ev.phase === "past") peMsg(t("events.pe.past"), false); else if ($("pe-msg").textContent === t("events.pe.past")) peMsg("", false); }
    live(ev.phase === "live");
    await show();
  }

  async function busy(fn) { document.body.dataset.ready = "0"; try { await fn(); } catch (e) { $("ev-meta").textContent = e.message; } document.body.dataset.ready = "1"; }

  map.on("load", async () => {
    addLayers();
    peWire();
    const list = await api("/api/v1/events");
    $("ev-pick").innerHTML = list.map((e) => `<option value="${e.id}">${esc(e.name)} · ${esc(t("events.phase." + e.phase))}</option>`).join("");
    $("ev-pick").addEventListener("change", () => busy(() => load($("ev-pick").value)));
    for (const p of ["plan", "board", "report"]) $("tab-" + p).addEventListener("click", () => busy(async () => { tab = p; await show(); }));
    $("ev-shift").addEventListener("change", drawPlan);
    $("ev-checks").addEventListener("click", (e) => {
      const id = e.target.dataset && e.target.dataset.check;
      if (id) busy(async () => { await api(`/api/v1/events/checks/${id}/done`, { method: "POST", body: { note: "" } }); await load(ev.id, true); });
    });
    const form = $("b-log-form");
    if (form) form.addEventListener("submit", () => busy(async () => {
      const text = $("b-log-text").value.trim(); if (!text) return;
      await api(`/api/v1/events/${ev.id}/log`, { method: "POST", body: { kind: "note", text } });
      $("b-log-text").value = ""; await drawBoard();
    }));
    if (list.length) {
      const live = list.find((e) => e.phase === "live") || list.find((e) => e.phase === "upcoming") || list[0];
      $("ev-pick").value = live.id;
      try { await load(live.id); } catch (e) { $("ev-meta").textContent = e.message; }
    } else $("ev-meta").textContent = t("events.none");
    document.body.dataset.ready = "1";
  });
})();
