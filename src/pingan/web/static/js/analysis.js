/* Analysis page: YoY bars and hour × weekday heat map (ECharts), KDE / Gi* / cluster layers
   (MapLibre, local style), filters, and the early-warning list with its actions. */
"use strict";
(function () {
  const { t, api, esc, lang, can } = window.PA;
  const empty = () => ({ type: "FeatureCollection", features: [] });
  const $ = (id) => document.getElementById(id);
  const mayInstruct = $("warnings") && $("warnings").dataset.mayInstruct === "1";
  const state = { warnings: [], classNames: {}, pending: 0 };

  // ---------------------------------------------------------------- map (local style, no CDN)
  /* the map is fitted to the boundaries by a jump before anything is drawn, and its sources are
     added once every first-view layer has arrived, each with its data (mapframes.js): in a
     software-rendered WebGL every frame costs, so no frame is drawn empty or half done */
  // made at once (WebGL and the style start while the answers come), drawn only whole
  const map = PA.mapframes.early("map", { padding: 20 });
  window.pinganAnalysisMap = map;
  const pending = {}; // source → data that arrived before the sources were added
  const put = (source, data) => { const src = map && map.getSource(source); if (src) src.setData(data); else pending[source] = data; };
  const LAYERS = { kde: ["kde-fill"], gi: ["gi-fill", "gi-line"], clusters: ["clusters-fill", "clusters-line"] };
  const shown = (id) => { for (const [key, ids] of Object.entries(LAYERS)) if (ids.includes(id)) { const box = document.querySelector(`#layers input[data-layer="${key}"]`); return !box || box.checked; } return true; };

  function addLayers() {
    for (const s of ["districts", "stations", "roads", "kde", "gi", "clusters"]) { map.addSource(s, { type: "geojson", data: pending[s] || empty() }); delete pending[s]; }
    // each layer made with the visibility its box asks for: nothing changes after the first frame
    const layer = (def) => map.addLayer(Object.assign(def, { layout: Object.assign({ visibility: shown(def.id) ? "visible" : "none" }, def.layout) }));
    layer({ id: "districts-fill", type: "fill", source: "districts", paint: { "fill-color": "#f4f6fa", "fill-opacity": 0.9 } });
    layer({ id: "roads-major", type: "line", source: "roads", filter: ["in", ["get", "road_class"], ["literal", ["motorway", "motorway_link", "trunk", "primary", "secondary"]]], paint: { "line-color": "#ffffff", "line-width": ["interpolate", ["linear"], ["zoom"], 10, 1, 16, 6] } });
    layer({ id: "kde-fill", type: "fill", source: "kde", paint: { "fill-color": ["interpolate", ["linear"], ["get", "share_of_peak"], 0.05, "#fff5c0", 0.4, "#f5a623", 1, "#c62828"], "fill-opacity": 0.55 } });
    layer({ id: "gi-fill", type: "fill", source: "gi", paint: { "fill-color": ["interpolate", ["linear"], ["get", "z"], 2, "#ef9a9a", 6, "#e53935", 15, "#7f0000"], "fill-opacity": 0.6 } });
    layer({ id: "gi-line", type: "line", source: "gi", paint: { "line-color": "#7f0000", "line-width": 0.6 } });
    layer({ id: "stations-line", type: "line", source: "stations", paint: { "line-color": "#24458a", "line-width": 1 } });
    layer({ id: "districts-line", type: "line", source: "districts", paint: { "line-color": "#0b3d91", "line-width": 2 } });
    layer({ id: "clusters-fill", type: "fill", source: "clusters", paint: { "fill-color": "#6a1b9a", "fill-opacity": 0.12 } });
    layer({ id: "clusters-line", type: "line", source: "clusters", paint: { "line-color": "#6a1b9a", "line-width": 2.5 } });
    map.on("click", "gi-fill", (e) => {
      const p = e.features[0].properties;
      new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`${esc(t("analysis.layer.gi"))}<br>z = ${esc(p.z)} · ${esc(t("analysis.count"))} ${esc(p.count)} · q = ${esc(p.q_value)}`).addTo(map);
    });
    map.on("click", "clusters-fill", (e) => {
      const w = state.warnings.find((x) => x.id === e.features[0].properties.id);
      if (w) new maplibregl.Popup().setLngLat(e.lngLat).setHTML(esc(lang === "en" ? w.explanation_en : w.explanation_zh)).addTo(map);
    });
  }
  for (const box of document.querySelectorAll("#layers input[data-layer]")) {
    box.addEventListener("change", () => {
      for (const id of LAYERS[box.dataset.layer]) if (map && map.getLayer(id)) map.setLayoutProperty(id, "visibility", box.checked ? "visible" : "none");
    });
  }

  // the areas drawn lean (simplified by 1 m, names and codes only; the OGC collections of the
  // same names carry the full rows)
  async function areas(layer) {
    try { return await api("/api/v1/map/areas/" + layer); } catch (e) { return empty(); }
  }

  function circle(lon, lat, radiusM) {
    const ring = [], r = Math.max(radiusM || 0, 150), k = 111320;
    for (let i = 0; i <= 48; i++) {
      const a = (i / 48) * 2 * Math.PI;
      ring.push([lon + (r * Math.cos(a)) / (k * Math.cos((lat * Math.PI) / 180)), lat + (r * Math.sin(a)) / k]);
    }
    return { type: "Polygon", coordinates: [ring] };
  }

  // ---------------------------------------------------------------- filters
  const today = new Date(Date.now() + 8 * 3600 * 1000).toISOString().slice(0, 10); // Asia/Shanghai
  $("f-until").value = today;
  function selection(days) {
    const until = $("f-until").value || today;
    const end = new Date(until + "T00:00:00+08:00");
    end.setUTCDate(end.getUTCDate() + 1);
    const since = new Date(end.getTime() - days * 86400 * 1000);
    const qs = new URLSearchParams({ since: since.toISOString(), until: end.toISOString() });
    if ($("f-class").value) qs.set("class", $("f-class").value);
    if ($("f-area").value) qs.set("area", $("f-area").value);
    return qs;
  }
  function status(msg, isError) {
    const el = $("status");
    el.textContent = msg || "";
    el.style.color = isError ? "var(--red)" : "";
  }

  // ---------------------------------------------------------------- hot spots
  const fetchHotspots = () => api("/api/v1/analysis/hotspots?" + selection(Number($("f-window").value)));
  async function loadHotspots(pending) {
    try {
      const r = await (pending || fetchHotspots());
      put("kde", r.kde);
      put("gi", r.gi_star);
      $("map-how").textContent = lang === "en" ? r.how : r.how_zh || r.how;
      return true;
    } catch (e) {
      put("kde", empty());
      put("gi", empty());
      $("map-how").textContent = t("analysis.error") + ": " + e.message;
      return false;
    }
  }

  // ---------------------------------------------------------------- trends
  const yoyChart = echarts.init($("chart-yoy"));
  const heatChart = echarts.init($("chart-heat"));
  window.addEventListener("resize", () => { yoyChart.resize(); heatChart.resize(); });
  const pct = (v) => (v == null ? "–" : (v > 0 ? "+" : "") + v.toFixed(1) + "%");
  const pv = (v) => (v == null ? "" : v < 0.001 ? "<0.001" : v.toFixed(3));

  const fetchTrends = () => api("/api/v1/analysis/trends?by=class&period=month&" + selection(731));
  async function loadTrends(pending) {
    let r;
    try {
      r = await (pending || fetchTrends());
    } catch (e) {
      yoyChart.clear(); heatChart.clear();
      $("trend-how").textContent = t("analysis.error") + ": " + e.message;
      document.querySelector("#compstat tbody").innerHTML = "";
      return false;
    }
    const rows = r.compstat.filter((x) => x.ytd);
    const names = rows.map((x) => state.classNames[x.group] || x.group);
    yoyChart.setOption({
      animation: false,
      tooltip: {
        trigger: "axis",
        formatter: (ps) => {
          const x = rows[ps[0].dataIndex].ytd;
          return `${esc(ps[0].name)}<br>${esc(t("analysis.yoy.prev"))}: ${x.previous}<br>${esc(t("analysis.yoy.cur"))}: ${x.current}<br>${pct(x.change_pct)} · p = ${pv(x.p_value)} ${x.significant ? "· " + esc(t("analysis.significant")) : "· " + esc(t("analysis.not_significant"))}`;
        },
      },
      legend: { data: [t("analysis.yoy.prev"), t("analysis.yoy.cur")], top: 0 },
      grid: { left: 50, right: 10, top: 30, bottom: 60 },
      xAxis: { type: "category", data: names, axisLabel: { interval: 0, rotate: names.length > 5 ? 30 : 0 } },
      yAxis: { type: "value" },
      series: [
        { name: t("analysis.yoy.prev"), type: "bar", data: rows.map((x) => x.ytd.previous), itemStyle: { color: "#9fb3d9" } },
        {
          name: t("analysis.yoy.cur"), type: "bar",
          data: rows.map((x) => ({ value: x.ytd.current, itemStyle: { color: x.ytd.significant ? (x.ytd.change_pct > 0 ? "#c62828" : "#2e7d32") : "#0b3d91" } })),
          label: { show: true, position: "top", fontSize: 11, formatter: (p) => { const x = rows[p.dataIndex].ytd; return pct(x.change_pct) + (x.significant ? "*" : "") + "\np" + (x.p_value != null && x.p_value < 0.001 ? "" : "=") + pv(x.p_value); } },
        },
      ],
    }, true);
    const days = [0, 1, 2, 3, 4, 5, 6].map((d) => t("analysis.dow." + d));
    const data = [];
    let max = 1;
    r.hour_by_weekday.forEach((row, d) => row.forEach((v, h) => { data.push([h, d, v]); max = Math.max(max, v); }));
    heatChart.setOption({
      animation: false,
      tooltip: { formatter: (p) => `${esc(days[p.value[1]])} ${p.value[0]}:00 — ${p.value[2]}` },
      grid: { left: 50, right: 10, top: 10, bottom: 60 },
      xAxis: { type: "category", data: [...Array(24).keys()].map(String), name: t("analysis.hour"), nameLocation: "middle", nameGap: 25 },
      yAxis: { type: "category", data: days, inverse: true },
      visualMap: { min: 0, max, calculable: false, orient: "horizontal", left: "center", bottom: 0, itemHeight: 120, inRange: { color: ["#f7fbff", "#6baed6", "#08306b"] } },
      series: [{ type: "heatmap", data }],
    }, true);
    const tbody = document.querySelector("#compstat tbody");
    tbody.innerHTML = r.compstat.map((x) => {
      const cell = (k) => { const c = x[k]; if (!c) return "<td></td><td></td><td></td>"; return `<td>${c.current}</td><td class="${c.significant ? "sig" : ""}">${pct(c.change_pct)}${c.significant ? "*" : ""}</td><td>${pv(c.p_value)}</td>`; };
      return `<tr><td>${esc(state.classNames[x.group] || x.group)}</td>${cell("week")}${cell("days28")}${cell("ytd")}</tr>`;
    }).join("");
    $("trend-how").textContent = lang === "en" ? r.how : r.how_zh || r.how;
    return true;
  }

  // ---------------------------------------------------------------- warnings
  const KIND = (k) => t("analysis.wkind." + k);
  function fetchWarnings() {
    const want = $("w-status").value;
    const qs = new URLSearchParams({ limit: 200 });
    if (want && want !== "open") qs.set("status", want);
    return api("/api/v1/warnings?" + qs);
  }
  async function loadWarnings(pending) {
    const want = $("w-status").value;
    let page;
    try { page = await (pending || fetchWarnings()); } catch (e) {
      $("warnings").innerHTML = `<li class="w-msg err">${esc(e.message)}</li>`;
      return false;
    }
    state.warnings = page.items.filter((w) => want !== "open" || w.status === "new" || w.status === "acknowledged");
    renderWarnings();
    const feats = state.warnings.filter((w) => w.center_lon != null && w.center_lat != null).map((w) => ({
      type: "Feature", geometry: circle(w.center_lon, w.center_lat, w.radius_m), properties: { id: w.id, kind: w.kind },
    }));
    put("clusters", { type: "FeatureCollection", features: feats });
    return true;
  }

  // a warning's window as the bureau's local days: its end is the exclusive midnight after
  // the last day, so the last day is the one a millisecond before it
  const localDay = (ms) => new Date(ms).toLocaleDateString("en-CA", { timeZone: "Asia/Shanghai" });
  function windowDays(w) {
    const first = localDay(Date.parse(w.window_start)), last = localDay(Date.parse(w.window_end) - 1);
    return first === last ? last : `${first} – ${last}`;
  }

  function renderWarnings() {
    const ul = $("warnings");
    if (!state.warnings.length) { ul.innerHTML = `<li class="muted">${esc(t("analysis.w.none"))}</li>`; return; }
    ul.innerHTML = state.warnings.map((w) => {
      const acts = w.allowed_actions || [];
      const btn = (act, cls) => `<button type="button" class="${cls || ""}" data-act="${act}" data-id="${w.id}">${esc(t("analysis.w.act." + act))}</button>`;
      return `<li data-id="${w.id}">
        <div class="w-head" data-fly="${w.id}"><span class="badge s-${esc(w.status)}">${esc(t("analysis.wstatus." + w.status))}</span>
          <span class="badge ${w.severity === 1 ? "p1" : "p2"}">${esc(KIND(w.kind))}</span>
          <span class="w-num">#${w.id} · ${esc(windowDays(w))}</span></div>
        <div>${esc(lang === "en" ? w.explanation_en : w.explanation_zh)}</div>
        <div class="w-num">${esc(t("analysis.w.observed"))} ${w.observed} · ${esc(t("analysis.w.expected"))} ${w.expected.toFixed(1)}${w.p_value != null ? " · p = " + pv(w.p_value) : ""}${w.reason ? " · " + esc(t("analysis.w.reason")) + ": " + esc(w.reason) : ""}</div>
        <div class="w-actions">${acts.includes("acknowledged") ? btn("acknowledged") : ""}${acts.includes("dismissed") ? btn("dismissed", "secondary") : ""}${w.status !== "dismissed" && can("instruction.issue") ? btn("instruction", "secondary") : ""}</div>
        <div class="w-reason" hidden><input type="text" maxlength="2000" placeholder="${esc(t("analysis.w.reason_ph"))}"><button type="button" data-act="confirm-dismiss" data-id="${w.id}">${esc(t("analysis.w.act.confirm"))}</button></div>
        <div class="w-msg"></div></li>`;
    }).join("");
  }

  function itemOf(id) { return document.querySelector(`#warnings li[data-id="${id}"]`); }
  function message(id, text, ok) { const el = itemOf(id).querySelector(".w-msg"); el.textContent = text; el.className = "w-msg " + (ok ? "ok" : "err"); }

  async function transition(id, toState, reason) {
    try {
      await api(`/api/v1/warnings/${id}/transitions`, { method: "POST", body: { to_state: toState, reason: reason || "" } });
      await loadWarnings();
    } catch (e) { message(id, e.message, false); }
  }

  async function createInstruction(w) {
    if (w.station_id == null) { message(w.id, t("analysis.w.no_station"), false); return; }
    const now = Date.now();
    const body = {
      title: (t("analysis.w.instr_title") + " #" + w.id + " " + KIND(w.kind)).slice(0, 200),
      body: lang === "en" ? w.explanation_en : w.explanation_zh,
      priority: w.severity === 1 ? "high" : "normal",
      recipients: [{ kind: "station", id: w.station_id }],
      sign_by: new Date(now + 2 * 3600 * 1000).toISOString(),
      complete_by: new Date(now + 24 * 3600 * 1000).toISOString(),
      link_kind: "warning",
      link_id: w.id,
    };
    try {
      const r = await api("/api/v1/instructions", { method: "POST", body });
      message(w.id, t("analysis.w.instr_ok") + (r && r.id != null ? " #" + r.id : ""), true);
    } catch (e) {
      message(w.id, t("analysis.w.instr_fail") + ": " + e.message, false);
    }
  }

  $("warnings").addEventListener("click", (ev) => {
    const el = ev.target.closest("[data-act],[data-fly]");
    if (!el) return;
    if (el.dataset.fly) {
      const w = state.warnings.find((x) => x.id === Number(el.dataset.fly));
      if (w && w.center_lon != null && map) map.flyTo({ center: [w.center_lon, w.center_lat], zoom: 14 });
      return;
    }
    const id = Number(el.dataset.id), w = state.warnings.find((x) => x.id === id);
    if (!w) return;
    const li = itemOf(id);
    if (el.dataset.act === "acknowledged") transition(id, "acknowledged");
    else if (el.dataset.act === "dismissed") { li.querySelector(".w-reason").hidden = false; li.querySelector(".w-reason input").focus(); }
    else if (el.dataset.act === "confirm-dismiss") {
      const reason = li.querySelector(".w-reason input").value.trim();
      if (!reason) { message(id, t("analysis.w.reason_needed"), false); return; }
      transition(id, "dismissed", reason);
    } else if (el.dataset.act === "instruction") createInstruction(w);
  });
  $("w-status").addEventListener("change", () => loadWarnings());

  // ---------------------------------------------------------------- start
  async function refresh(pending) {
    status(t("common.loading"));
    const [a, b] = await Promise.all([loadHotspots(pending && pending.hotspots), loadTrends(pending && pending.trends)]);
    status(a && b ? "" : t("analysis.partial"), !(a && b));
  }
  $("f-apply").addEventListener("click", () => refresh());

  // Every request of the first view starts now, while ECharts starts; the map is made once the
  // boundaries are in and drawn once the answers are in (each drawing of the map is costly).
  // A failed request is drawn as its panel's error, as a later refresh would.
  const settle = (p) => { p.catch(() => {}); return p; };
  const first = {
    tax: settle(api("/api/v1/taxonomy")),
    districts: areas("districts"),
    stations: areas("stations"),
    hotspots: settle(fetchHotspots()),
    trends: settle(fetchTrends()),
    warnings: settle(fetchWarnings()),
  };

  async function start() {
    try {
      const tax = await first.tax;
      for (const c of tax.classes) state.classNames[c.code] = lang === "en" ? c.name_en : c.name_zh;
    } catch (e) { /* names fall back to codes */ }
    const [districts, stations] = await Promise.all([first.districts, first.stations]);
    put("districts", districts);
    put("stations", stations);
    const sel = $("f-area");
    for (const f of [...districts.features, ...stations.features]) {
      const p = f.properties || {};
      if (!p.code) continue;
      const o = document.createElement("option");
      o.value = p.code;
      o.textContent = (lang === "en" ? p.name_en : p.name_zh) || p.code;
      sel.appendChild(o);
    }
    // the charts and the list are drawn as their answers come; the map once its layers are all
    // in, every source with its data, in the first frame that shows the whole view
    await Promise.all([refresh(first), loadWarnings(first.warnings)]);
    await PA.mapframes.firstView(map, addLayers, PA.mapframes.bbox(districts.features.length ? districts : stations));
    document.body.dataset.ready = "1";
  }
  start();
})();
