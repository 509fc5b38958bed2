/* The field app's map of the officer's community (loaded when its tab opens): his grid cells,
 * the roads, the incidents and where he stands. MapLibre (static/vendor) and the data are kept
 * by the service worker and the app's copies, so the map opens with no network too. */
"use strict";
window.FieldMap = (function () {
  let map = null;
  function loadLibrary() {
    if (window.maplibregl) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const css = document.createElement("link");
      css.rel = "stylesheet";
      css.href = "/static/vendor/maplibre-gl.css";
      document.head.appendChild(css);
      const s = document.createElement("script");
      s.src = "/static/vendor/maplibre-gl.js";
      s.onload = () => resolve();
      s.onerror = () => reject(new Error("maplibre"));
      document.head.appendChild(s);
    });
  }
  function bounds(fc) {
    let w = 180, s = 90, e = -180, n = -90;
    const walk = (c) => { if (typeof c[0] === "number") { w = Math.min(w, c[0]); e = Math.max(e, c[0]); s = Math.min(s, c[1]); n = Math.max(n, c[1]); } else c.forEach(walk); };
    for (const f of (fc && fc.features) || []) if (f.geometry) walk(f.geometry.coordinates);
    return w <= e ? [w, s, e, n] : null;
  }
  const points = (list) => ({ type: "FeatureCollection", features: list.map((p) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: [p.lon, p.lat] } })) });
  async function draw(el, data) {
    await loadLibrary();
    const box = bounds(data.cells) || (data.fix ? [data.fix.lon - 0.01, data.fix.lat - 0.01, data.fix.lon + 0.01, data.fix.lat + 0.01] : [102.6, 24.9, 102.9, 25.1]);
    if (map) map.remove();
    map = new maplibregl.Map({
      container: el,
      style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f5" } }] },
      bounds: [[box[0], box[1]], [box[2], box[3]]],
      fitBoundsOptions: { padding: 20 },
      attributionControl: false,
    });
    map.on("load", () => {
      const empty = { type: "FeatureCollection", features: [] };
      map.addSource("cells", { type: "geojson", data: data.cells || empty });
      map.addLayer({ id: "cells-fill", type: "fill", source: "cells", paint: { "fill-color": "#0d3b78", "fill-opacity": 0.06 } });
      map.addLayer({ id: "cells-line", type: "line", source: "cells", paint: { "line-color": "#0d3b78", "line-width": 1.5 } });
      map.addSource("roads", { type: "geojson", data: data.roads || empty });
      map.addLayer({ id: "roads", type: "line", source: "roads", paint: { "line-color": "#9aa7b8", "line-width": 1.2 } });
      map.addSource("incidents", { type: "geojson", data: points(data.incidents || []) });
      map.addLayer({ id: "incidents", type: "circle", source: "incidents", paint: { "circle-radius": 6, "circle-color": "#c62828", "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
      map.addSource("me", { type: "geojson", data: points(data.fix ? [data.fix] : []) });
      map.addLayer({ id: "me", type: "circle", source: "me", paint: { "circle-radius": 8, "circle-color": "#1565c0", "circle-stroke-color": "#fff", "circle-stroke-width": 2 } });
      map.once("idle", () => { el.dataset.drawn = "1"; });
    });
  }
  return { draw, loadLibrary, bounds };
})();
