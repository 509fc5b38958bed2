/* Coverage page: 1/3/5-minute areas by time of day, gaps, and a siting run (job with progress). */
"use strict";
(function () {
  const { t, api, esc, lang } = window.PA;
  const OGC = "/api/v1/ogc/collections/";
  const empty = () => ({ type: "FeatureCollection", features: [] });
  const STANDARDS = "60,180,300";
  // dark green / yellow-green / amber, widest drawn first (the legend's .sw-* in coverage.html)
  const BANDS = [[300, "#ffb300"], [180, "#c0ca33"], [60, "#1b5e20"]];
  /* the map is made at once but drawn nothing until the posts and key areas, which it is fitted
     to by a jump, and every other layer are in hand; its
     sources are added once every first-view layer has arrived, each with its data
     (mapframes.js): in a software-rendered WebGL every frame costs */
  const map = PA.mapframes.early("map", { background: "#eef1f5" });
  window.pinganMap = map;
  const pending = {}; // source → data that arrived before the sources were added
  const put = (source, data) => { const src = map && map.getSource(source); if (src) src.setData(data); else pending[source] = data; };

  const slider = document.getElementById("cv-at");
  const atText = () => { const q = +slider.value; return String(Math.floor(q / 4)).padStart(2, "0") + ":" + String((q % 4) * 15).padStart(2, "0"); };
  const mode = () => document.getElementById("cv-mode").value;
  const status = (s) => { document.getElementById("cv-status").textContent = s; };

  function addLayers() {
    for (const s of ["iso", "cells", "keyareas", "posts", "plan"]) { map.addSource(s, { type: "geojson", data: pending[s] || empty() }); delete pending[s]; }
    map.addLayer({ id: "cells-out", type: "fill", source: "cells", filter: ["==", ["get", "outside_standard"], true], paint: { "fill-color": "#c62828", "fill-opacity": ["interpolate", ["linear"], ["get", "incidents"], 0, 0.04, 50, 0.3], "fill-antialias": false } });
    // The areas nest (5 ⊃ 3 ⊃ 1 min): one layer per band, widest first, nearly opaque, so each
    // band shows its own colour instead of a blend of the ones beneath it.
    for (const [s, color] of BANDS) map.addLayer({ id: "iso-" + s, type: "fill", source: "iso", filter: ["==", ["get", "standard_s"], s], paint: { "fill-color": color, "fill-opacity": 0.8, "fill-antialias": false } });
    map.addLayer({ id: "cells-line", type: "line", source: "cells", minzoom: 13, paint: { "line-color": "#7a8aa8", "line-width": 0.4 } });
    map.addLayer({ id: "keyareas", type: "line", source: "keyareas", paint: { "line-color": ["case", ["get", "outside"], "#c62828", "#1b5e20"], "line-width": ["case", ["get", "outside"], 2.5, 1] } });
    map.addLayer({ id: "posts", type: "circle", source: "posts", paint: { "circle-radius": 4, "circle-color": "#0b3d91", "circle-stroke-color": "#fff", "circle-stroke-width": 1 } });
    map.addLayer({ id: "plan", type: "circle", source: "plan", paint: { "circle-radius": 5, "circle-color": ["case", ["get", "kept"], "#0b3d91", "#d81b60"], "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
  }

  let keyAreas = empty();
  const fetchStatic = () => Promise.all([api("/api/v1/map/areas/key-areas"), api(OGC + "resources/items?limit=10000")]);
  async function loadStatic(pending) {
    const [ka, units] = await (pending || fetchStatic());
    keyAreas = ka;
    const posts = units.features.filter((f) => ["fixed_post", "mobile_kiosk"].includes(f.properties.kind));
    const postsFc = { type: "FeatureCollection", features: posts };
    put("posts", postsFc);
    return PA.mapframes.bbox(postsFc, ka); // the view: today's posts and the key areas
  }

  let seq = 0;
  function fetchLayers() {
    const qs = new URLSearchParams({ standard: STANDARDS, at: atText(), mode: mode() });
    return Promise.all([
      api(OGC + "coverage-isochrones/items?" + qs), api(OGC + "coverage-cells/items?limit=10000&" + qs),
      api("/api/v1/coverage/report?" + qs + "&max_listed=50")]);
  }
  async function refresh(pending) {
    const my = ++seq;
    status(t("common.loading"));
    try {
      const [iso, cells, rep] = await (pending || fetchLayers());
      if (my !== seq) return;
      put("iso", iso);
      const drawn = iso.features.length ? iso.features[0].properties : null;
      document.getElementById("cv-drawn").textContent = drawn && drawn.simplified_m != null
        ? t("coverage.simplified").replace("{m}", Math.round(drawn.simplified_m)).replace("{ha}", Math.round(drawn.holes_filled_below_m2 / 1e4)) : "";
      put("cells", cells);
      renderReport(rep);
      status("");
    } catch (e) { status(t("coverage.error") + ": " + e.message); }
  }

  function renderReport(rep) {
    const body = document.querySelector("#cv-report tbody");
    const kindName = (k) => { const key = "coverage.kind." + k, v = t(key); return v === key ? k : v; };
    const name = (layer) => t("coverage.layer." + layer.split(":")[0]) + (layer.includes(":") ? " · " + kindName(layer.split(":")[1]) : "");
    body.innerHTML = rep.layers.filter((r) => r.layer.split(":").length === 1 || r.count > 0).map((r) =>
      `<tr><td>${esc(name(r.layer))}</td>${r.levels.map((l) => `<td>${(100 * l.covered_share).toFixed(1)}%</td>`).join("")}</tr>`).join("");
    document.getElementById("cv-how").textContent = lang === "en" ? rep.how : rep.how_zh || rep.how;
    const ka = rep.layers.find((r) => r.layer === "key_areas");
    const out = new Set(ka && ka.own_standard ? ka.own_standard.outside.map((e) => e.id) : []);
    put("keyareas", { type: "FeatureCollection", features: keyAreas.features.map((f) => Object.assign({}, f, { properties: Object.assign({}, f.properties, { outside: out.has(f.id) }) })) });
    const list = document.getElementById("cv-outside");
    const items = ka && ka.own_standard ? ka.own_standard.outside : [];
    list.innerHTML = items.length ? items.map((e) => `<li>${esc(e.name)} — ${e.time_s == null ? "∞" : Math.round(e.time_s) + " s"} / ${e.standard_s} s</li>`).join("") : `<li>${esc(t("coverage.none_outside"))}</li>`;
  }

  async function runSiting() {
    const body = {
      posts: +document.getElementById("f-posts").value, standard_s: +document.getElementById("f-standard").value,
      keep_existing: +document.getElementById("f-keep").value, method: document.getElementById("f-method").value,
      mode: mode(), at: atText(),
    };
    const bar = document.getElementById("cv-progress"), msg = document.getElementById("cv-job");
    bar.hidden = false; bar.value = 0; msg.textContent = t("coverage.job.queued"); msg.classList.remove("cv-err");
    try {
      const { job_id } = await api("/api/v1/coverage/optimise", { method: "POST", body });
      for (;;) {
        await new Promise((r) => setTimeout(r, 700));
        const job = await api("/api/v1/jobs/" + job_id);
        bar.value = job.progress; msg.textContent = job.message || t("coverage.job." + job.status);
        if (job.status === "done") { showPlan(job.result); break; }
        if (job.status === "failed") { msg.textContent = job.error; msg.classList.add("cv-err"); break; }
      }
    } catch (e) { msg.textContent = e.message; msg.classList.add("cv-err"); }
  }

  function showPlan(plan) {
    put("plan", plan.geojson);
    // proposed sites may stand outside today's view (fitted to today's posts): widen it to them
    const view = map.getBounds(), pts = plan.geojson.features.map((f) => f.geometry.coordinates);
    if (pts.some((c) => !view.contains(c))) {
      const b = new maplibregl.LngLatBounds(view.getSouthWest(), view.getNorthEast());
      for (const c of pts) b.extend(c);
      map.fitBounds(b, { padding: 30, duration: 0 });
    }
    const table = document.getElementById("cv-plan");
    table.hidden = false;
    table.querySelector("tbody").innerHTML = plan.before_after.map((r) =>
      `<tr><td>${esc(t("coverage.layer." + r.layer))}</td><td>${(100 * r.before_share).toFixed(1)}%</td><td><b>${(100 * r.after_share).toFixed(1)}%</b></td></tr>`).join("");
    const m = plan.model, how = document.getElementById("cv-plan-how");
    const named = (prefix, code) => { const v = t(prefix + code); return v === prefix + code ? code : v; };
    const solver = named("coverage.f.", m.method) + (m.status === m.method ? "" : " · " + named("coverage.status.", m.status));
    const gap = m.gap == null ? "" : ` · ${t("coverage.gap")} ${(100 * m.gap).toFixed(2)}%`;
    how.textContent = `${t("coverage.f.posts")} ${plan.posts} · ${t("coverage.kept")} ${plan.existing_kept} · ${t("coverage.new")} ${plan.new_sites} · ${solver}${gap} · ${m.solve_time_s} s`;
    // the solver's own account is English only: in the text there, as a tooltip in Chinese
    if (m.explanation) { if (lang === "en") how.textContent += ". " + m.explanation; else how.title = m.explanation; }
    document.getElementById("cv-job").textContent = t("coverage.job.done");
    how.scrollIntoView({ block: "nearest" });
  }

  // The first view's requests start now, while MapLibre loads; the map is made fitted to the
  // posts and key areas, and drawn once every layer is in (each drawing of the map is costly).
  const settle = (p) => { p.catch(() => {}); return p; };
  const first = { statics: settle(fetchStatic()), layers: settle(fetchLayers()) };

  (async () => {
    let box = null;
    try { box = await loadStatic(first.statics); } catch (e) { status(e.message); }
    await refresh(first.layers);
    await PA.mapframes.firstView(map, addLayers, box);
    slider.addEventListener("input", () => { document.getElementById("cv-at-label").textContent = atText(); });
    slider.addEventListener("change", () => refresh());
    document.getElementById("cv-mode").addEventListener("change", () => refresh());
    document.getElementById("f-run").addEventListener("click", runSiting);
    document.getElementById("cv-form").addEventListener("submit", (e) => e.preventDefault());
    map.on("click", "cells-out", (e) => { const p = e.features[0].properties; new maplibregl.Popup().setLngLat(e.lngLat).setHTML(`<b>${esc(p.name)}</b><br>${esc(t("coverage.best"))}: ${p.best_time_s == null ? "∞" : Math.round(p.best_time_s) + " s"}<br>${esc(t("coverage.incidents"))}: ${p.incidents}`).addTo(map); });
    document.body.dataset.ready = "1";
  })();
})();
