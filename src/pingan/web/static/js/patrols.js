/* Patrol plans page: a station's plan for a block on the map, the units' tracks, planned vs actual. */
"use strict";
(function () {
  const { t, api, esc, lang } = window.PA;
  const side = document.getElementById("pt-side");
  const empty = () => ({ type: "FeatureCollection", features: [] });
  const MODE_COLORS = { foot: "#2e7d32", car: "#0b3d91", drone: "#8e24aa" };
  const $ = (id) => document.getElementById(id);
  const status = (s, err) => { const el = $("pt-status"); el.textContent = s; el.classList.toggle("pt-err", !!err); };
  const map = new maplibregl.Map({ locale: window.PA.mapLocale,
    container: "map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f5" } }] },
    center: [102.71, 25.04], zoom: 12, attributionControl: false, maxPitch: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
  window.pinganMap = map;
  let plan = null;

  function addLayers() {
    for (const s of ["station", "hot", "areas", "sectors", "lines", "points", "stops", "tracks"]) map.addSource(s, { type: "geojson", data: empty() });
    map.addLayer({ id: "station", type: "line", source: "station", paint: { "line-color": "#455a64", "line-width": 1.5, "line-dasharray": [3, 2] } });
    map.addLayer({ id: "hot", type: "fill", source: "hot", paint: { "fill-color": "#e53935", "fill-opacity": ["interpolate", ["linear"], ["get", "share"], 0, 0.12, 1, 0.6] } });
    map.addLayer({ id: "sectors", type: "fill", source: "sectors", paint: { "fill-color": "#8e24aa", "fill-opacity": 0.05 } });
    map.addLayer({ id: "sectors-line", type: "line", source: "sectors", paint: { "line-color": "#8e24aa", "line-width": 1, "line-dasharray": [2, 2] } });
    map.addLayer({ id: "areas", type: "line", source: "areas", paint: { "line-color": "#ff8f00", "line-width": 2.5 } });
    map.addLayer({ id: "tracks", type: "line", source: "tracks", paint: { "line-color": "#ef6c00", "line-width": 2, "line-dasharray": [2, 1.5], "line-opacity": 0.85 } });
    map.addLayer({ id: "lines", type: "line", source: "lines", paint: { "line-color": ["get", "color"], "line-width": 2.5, "line-opacity": 0.9 } });
    map.addLayer({ id: "stops", type: "circle", source: "stops", paint: { "circle-radius": 4, "circle-color": ["case", ["get", "visited"], "#2e7d32", "#fff"], "circle-stroke-color": ["get", "color"], "circle-stroke-width": 2 } });
    map.addLayer({ id: "points", type: "circle", source: "points", paint: { "circle-radius": 6, "circle-color": "#0b3d91", "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
    map.on("click", "stops", (e) => {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<b>${esc(p.label)}</b> #${p.k}<br>${esc(t("patrols.arrive"))} ${esc(p.at)} · ${esc(t("patrols.dwell"))} ${Math.round(p.dwell_s / 60)}′<br>${esc(t("patrols.expected"))} ${(+p.prize).toFixed(2)}`).addTo(map);
    });
  }

  const feature = (geometry, properties) => ({ type: "Feature", geometry, properties: properties || {} });
  const hhmm = (startIso, s) => new Date(new Date(startIso).getTime() + s * 1000).toLocaleTimeString(lang, { hour12: false, hour: "2-digit", minute: "2-digit", timeZone: "Asia/Shanghai" });

  function draw(p, actual, tracks) {
    const maxPrize = Math.max(1e-9, ...p.hot_cells.map((c) => c.prize));
    map.getSource("hot").setData({ type: "FeatureCollection", features: p.hot_cells.map((c) => feature({ type: "Polygon", coordinates: [c.ring] }, { share: c.prize / maxPrize })) });
    const seen = new Map((actual ? actual.items : []).map((a) => [a.item_id, a.visited]));
    const lines = [], stops = [], points = [], areas = [], sectors = [], sectorSeen = new Set();
    for (const it of p.items) {
      const color = MODE_COLORS[it.mode] || "#455a64";
      if (it.kind === "line") {
        lines.push(feature(it.geometry, { color }));
        const v = seen.get(it.id) || [];
        it.stops.forEach((s, k) => stops.push(feature({ type: "Point", coordinates: [s.lon, s.lat] }, { color, visited: !!v[k], label: it.label, k: k + 1, at: hhmm(p.starts_at, s.arrive_s), dwell_s: s.dwell_s, prize: s.prize })));
      } else if (it.kind === "point") points.push(feature(it.geometry, { label: it.label }));
      else if (it.kind === "area") areas.push(feature(it.geometry, { label: it.label }));
      const key = it.sector ? it.geometry.coordinates[0].join(",") + ":" + it.range_m : "";
      if (it.sector && !sectorSeen.has(key)) { sectorSeen.add(key); sectors.push(feature({ type: "Polygon", coordinates: [it.sector] }, {})); }
    }
    map.getSource("lines").setData({ type: "FeatureCollection", features: lines });
    map.getSource("stops").setData({ type: "FeatureCollection", features: stops });
    map.getSource("points").setData({ type: "FeatureCollection", features: points });
    map.getSource("areas").setData({ type: "FeatureCollection", features: areas });
    map.getSource("sectors").setData({ type: "FeatureCollection", features: sectors });
    map.getSource("tracks").setData(tracks || empty());
    const b = new maplibregl.LngLatBounds();
    for (const c of p.hot_cells) b.extend([c.lon, c.lat]);
    for (const it of p.items) if (it.kind === "line" && it.mode !== "drone") for (const c of it.geometry.coordinates) b.extend(c);
    if (!b.isEmpty()) map.fitBounds(b, { padding: 30, duration: 0, maxZoom: 15 });
  }

  function renderSide(p, actual) {
    const body = document.querySelector("#pt-items tbody");
    const kind = (it) => t("patrols.kind." + it.kind) + (it.kind === "line" ? " · " + t("patrols.mode." + it.mode) : "");
    body.innerHTML = p.items.map((it) => {
      const who = esc(it.label || "—") + (it.officer_name ? `<br><span class="muted">${esc(it.officer_name)}</span>` : "");
      const card = it.kind === "area" ? "" : `<a href="/api/v1/patrols/items/${it.id}/card.pdf">PDF</a>`;
      const stops = it.kind !== "line" ? "—" : it.stops.length ? it.stops.length : `<span class="muted">${esc(t("patrols.reserve"))}</span>`;
      return `<tr><td>${esc(kind(it))}</td><td>${who}</td><td>${stops}</td><td>${Math.round(it.duration_s / 60)}′</td><td>${card}</td></tr>`;
    }).join("") || `<tr><td colspan="5">${esc(t("patrols.none"))}</td></tr>`;
    $("pt-prize").textContent = p.prize.toFixed(1);
    $("pt-how").textContent = lang === "en" ? p.how : t("patrols.how");
    if (actual && actual.visited_share != null) $("pt-visited").textContent = (100 * actual.visited_share).toFixed(0) + "%";
    else $("pt-visited").textContent = "—";
    $("pt-hot").textContent = actual ? (actual.hot_cell_s / 3600).toFixed(1) + " h" : "—";
    $("pt-actual-how").textContent = actual ? (lang === "en" ? actual.how : t("patrols.actual_how")) + " " + t("patrols.stops_of").replace("{a}", actual.stops_visited).replace("{b}", actual.stops_planned) : "";
    const pub = $("pt-publish");
    if (pub) { pub.hidden = false; pub.textContent = p.status === "published" ? t("patrols.unpublish") : t("patrols.publish"); }
    status(t("patrols.status." + p.status) + " · " + t("patrols.hot_cells").replace("{n}", p.hot_cells.length));
  }

  async function showPlan(id) {
    const [p, actual, tracks] = await Promise.all([api(`/api/v1/patrols/plans/${id}`), api(`/api/v1/patrols/plans/${id}/actual`), api(`/api/v1/patrols/plans/${id}/tracks`)]);
    plan = p;
    draw(p, actual, tracks);
    renderSide(p, actual);
  }

  function clear() {
    plan = null;
    for (const s of ["hot", "areas", "sectors", "lines", "points", "stops", "tracks"]) map.getSource(s).setData(empty());
    document.querySelector("#pt-items tbody").innerHTML = `<tr><td colspan="5">${esc(t("patrols.none"))}</td></tr>`;
    for (const id of ["pt-visited", "pt-hot", "pt-prize"]) $(id).textContent = "—";
    $("pt-actual-how").textContent = ""; $("pt-how").textContent = "";
    const pub = $("pt-publish"); if (pub) pub.hidden = true;
    status(t("patrols.no_plan"));
  }

  async function load() {
    if (!$("pt-station").value) { clear(); status(t("patrols.no_station")); return; }  // below a station: no plans to ask for
    const qs = new URLSearchParams({ station_id: $("pt-station").value, day: $("pt-day").value });
    status(t("common.loading"));
    try {
      const list = await api("/api/v1/patrols/plans?" + qs);
      const mine = list.find((p) => p.block === +$("pt-block").value);
      if (mine) await showPlan(mine.id); else clear();
    } catch (e) { status(e.message, true); }
  }

  async function generate() {
    const btn = $("pt-generate"); btn.disabled = true;
    status(t("patrols.generating"));
    try {
      const p = await api("/api/v1/patrols/plans/generate", { method: "POST", body: { station_id: +$("pt-station").value, day: $("pt-day").value, block: +$("pt-block").value } });
      await showPlan(p.id);
    } catch (e) { status(e.message, true); }
    btn.disabled = false;
  }

  async function publish() {
    if (!plan) return;
    try {
      await api(`/api/v1/patrols/plans/${plan.id}/publish`, { method: "POST", body: { published: plan.status !== "published" } });
      await showPlan(plan.id);
    } catch (e) { status(e.message, true); }
  }

  async function stationOutline() {
    if (!$("pt-station").value) return;
    try {
      const j = await api(`/api/v1/jurisdictions/${$("pt-station").value}`);
      if (j.geometry) map.getSource("station").setData(feature(j.geometry, {}));
    } catch (e) { /* the outline is a courtesy */ }
  }

  map.on("load", async () => {
    addLayers();
    for (const id of ["pt-station", "pt-day", "pt-block"]) $(id).addEventListener("change", async () => { document.body.dataset.ready = "0"; await Promise.all([load(), stationOutline()]); document.body.dataset.ready = "1"; });
    if ($("pt-generate")) $("pt-generate").addEventListener("click", generate);
    if ($("pt-publish")) $("pt-publish").addEventListener("click", publish);
    await Promise.all([load(), stationOutline()]);
    document.body.dataset.ready = "1";
  });
})();
