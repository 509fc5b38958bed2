/* Event security page: the plan on the map, the live board, the after-action report. */
"use strict";
(function () {
  const { t, api, esc, lang, fmtTime } = window.PA;
  const $ = (id) => document.getElementById(id);
  const empty = () => ({ type: "FeatureCollection", features: [] });
  const feature = (geometry, properties) => ({ type: "Feature", geometry, properties: properties || {} });
  const canCommand = $("ev-side").dataset.canCommand === "1";
  const map = new maplibregl.Map({ locale: window.PA.mapLocale,
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f5" } }] },
    center: [102.71, 25.04], zoom: 14, attributionControl: false, maxPitch: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.pinganMap = map;
  let ev = null, tab = "plan";
  const KIND_COLORS = { post: "#0b3d91", traffic: "#1565c0", service: "#2e7d32", drone: "#8e24aa" };

  function circle(lon, lat, r) {
    const pts = [], k = 111320 * Math.cos(lat * Math.PI / 180);
    for (let i = 0; i <= 48; i++) { const a = 2 * Math.PI * i / 48; pts.push([lon + r * Math.sin(a) / k, lat + r * Math.cos(a) / 111320]); }
    return { type: "Polygon", coordinates: [pts] };
  }

  function addLayers() {
    for (const s of ["zones", "sectors", "detours", "posts", "incidents", "units"]) map.addSource(s, { type: "geojson", data: empty() });
    map.addLayer({ id: "zone-fill", type: "fill", source: "zones", paint: { "fill-color": ["match", ["get", "kind"], "venue", "#c62828", "perimeter", "#ef6c00", "#1565c0"], "fill-opacity": ["match", ["get", "kind"], "venue", 0.33, "perimeter", 0.12, 0.03] } });
    map.addLayer({ id: "zone-line", type: "line", source: "zones", paint: { "line-color": ["match", ["get", "kind"], "venue", "#c62828", "perimeter", "#ef6c00", "#1565c0"], "line-width": 1.5, "line-dasharray": [3, 2] } });
    map.addLayer({ id: "sectors", type: "fill", source: "sectors", paint: { "fill-color": "#8e24aa", "fill-opacity": 0.1 } });
    map.addLayer({ id: "sectors-line", type: "line", source: "sectors", paint: { "line-color": "#8e24aa", "line-width": 1 } });
    map.addLayer({ id: "detours", type: "line", source: "detours", paint: { "line-color": "#1565c0", "line-width": 3, "line-opacity": 0.7 } });
    map.addLayer({ id: "posts", type: "circle", source: "posts", paint: { "circle-radius": 6, "circle-color": ["get", "color"], "circle-stroke-color": ["case", ["get", "staffed"], "#2e7d32", "#fff"], "circle-stroke-width": 2 } });
    map.addLayer({ id: "incidents", type: "circle", source: "incidents", paint: { "circle-radius": 5, "circle-color": "#c62828", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    map.addLayer({ id: "units", type: "circle", source: "units", paint: { "circle-radius": 4, "circle-color": "#ef8f00", "circle-stroke-color": "#000", "circle-stroke-width": 0.5 } });
    map.on("click", "posts", (e) => { const p = e.features[0].properties; new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<b>${esc(p.name)}</b><br>${esc(p.unit || "—")}`).addTo(map); });
  }

  const shift = () => $("ev-shift").value;
  function drawPlan() {
    map.getSource("zones").setData({ type: "FeatureCollection", features: ev.zones.map((z) => feature(z.geometry, { kind: z.kind })) });
    const ps = ev.posts.filter((p) => p.shift === shift() || p.kind === "service" || p.kind === "drone");
    map.getSource("posts").setData({ type: "FeatureCollection", features: ps.filter((p) => p.kind !== "drone").map((p) => feature({ type: "Point", coordinates: [p.lon, p.lat] }, { name: p.name, unit: p.unit, color: KIND_COLORS[p.kind], staffed: !!p.staffed_at })) });
    map.getSource("detours").setData({ type: "FeatureCollection", features: ps.filter((p) => p.detour).map((p) => feature(p.detour, {})) });
    map.getSource("sectors").setData({ type: "FeatureCollection", features: ev.posts.filter((p) => p.kind === "drone").map((p) => feature(circle(p.lon, p.lat, p.radius_m), {})) });
    const rows = ev.posts.filter((p) => p.shift === shift());
    $("ev-posts").querySelector("tbody").innerHTML = rows.map((p) => `<tr><td>${esc(p.name)}</td><td>${esc(p.unit || "—")}${p.officer ? "<br><span class='muted'>" + esc(p.officer) + "</span>" : ""}</td><td>${p.officers_needed}</td><td class="${p.staffed_at ? "ok" : "no"}">${p.staffed_at ? "✓" : "—"}</td></tr>`).join("");
    $("ev-checks").querySelector("tbody").innerHTML = ev.checks.map((c) => {
      const done = c.done_at ? `<span class="ok">✓ ${esc(fmtTime(c.done_at))}</span>` : (canCommand ? `<button type="button" class="secondary" data-check="${c.id}">${esc(t("events.done"))}</button>` : "—");
      return `<tr><td>${esc(c.text)}</td><td>${esc(fmtTime(c.due_at))}</td><td>${done}</td></tr>`;
    }).join("");
  }

  async function drawBoard() {
    const b = await api(`/api/v1/events/${ev.id}/board`);
    map.getSource("incidents").setData({ type: "FeatureCollection", features: b.incidents.map((i) => feature({ type: "Point", coordinates: [i.lon, i.lat] }, {})) });
    map.getSource("units").setData({ type: "FeatureCollection", features: b.units.filter((u) => u.lon != null).map((u) => feature({ type: "Point", coordinates: [u.lon, u.lat] }, {})) });
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
    }
    await show();
  }

  async function busy(fn) { document.body.dataset.ready = "0"; try { await fn(); } catch (e) { $("ev-meta").textContent = e.message; } document.body.dataset.ready = "1"; }

  map.on("load", async () => {
    addLayers();
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
