/* A map's first view drawn in one frame (issue #19), shared by the map pages.

   In a software-rendered WebGL (SwiftShader: no GPU) every frame costs ~150 CPU-ms plus a
   read-back of the whole canvas, and a map drawn as each tile batch arrives draws its first
   view again and again, half done. So a page:
   - makes the map once the data that fits its view is in hand, fitted by the constructor's
     `bounds` (no fitBounds frames), with `fadeDuration: 0` (labels placed in one frame);
   - adds its sources once, each with its data, and its layers at once (`firstView`);
   - holds every frame that would show a partial view (`holdPartialFrames`) until every source
     is indexed and every requested tile made; the hold ends at the first idle, or after 4 s;
   - is drawn, and may set ready, in the `render` event of the first frame that draws the whole
     view (`map.loaded()`): every source indexed, every tile made and drawn.
   Used by command.js, analysis.js, coverage.js and hazards.js. */
"use strict";
window.PA.mapframes = (function () {
  const BG = "#e9edf3";

  /* the map, fitted at once to `box` ([west, south, east, north], or none: the city's centre) */
  function makeMap(container, box, opts) {
    const o = opts || {};
    const known = box && box.length === 4 && box.every(Number.isFinite);
    const fit = known && (box[0] !== box[2] || box[1] !== box[3]);
    const point = known && !fit ? [box[0], box[1]] : null; // one place: centred on it
    const map = new maplibregl.Map(Object.assign({
      locale: window.PA.mapLocale,
      container,
      // no paint transitions: a layer added to a loaded style would otherwise "transition" to
      // its own values for 300 ms, each of those frames drawn (and the map not loaded() meanwhile)
      style: { version: 8, sources: {}, transition: { duration: 0, delay: 0 }, layers: [{ id: "bg", type: "background", paint: { "background-color": o.background || BG } }] },
      center: point || o.center || [102.71, 25.04], zoom: point ? (o.maxZoom || 15) : o.zoom || 11, attributionControl: false, maxPitch: 0,
      bounds: fit ? [[box[0], box[1]], [box[2], box[3]]] : undefined,
      fitBoundsOptions: { padding: o.padding == null ? 30 : o.padding, maxZoom: o.maxZoom || 16 },
      fadeDuration: 0, // labels appear at once: no fade frames to draw before the map is idle
    }, o.map || {}));
    map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
    if (o.scale !== false) map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-right");
    return map;
  }

  /* the bounding box [w, s, e, n] of GeoJSON feature collections (their own `bbox` when given) */
  function bbox(...collections) {
    let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
    const add = (c) => { if (c[0] < w) w = c[0]; if (c[0] > e) e = c[0]; if (c[1] < s) s = c[1]; if (c[1] > n) n = c[1]; };
    const walk = (x) => { if (typeof x[0] === "number") add(x); else for (const y of x) walk(y); };
    for (const fc of collections) {
      if (!fc) continue;
      if (fc.bbox && fc.bbox.length === 4) { add([fc.bbox[0], fc.bbox[1]]); add([fc.bbox[2], fc.bbox[3]]); continue; }
      for (const f of fc.features || []) if (f && f.geometry && f.geometry.coordinates) walk(f.geometry.coordinates);
    }
    return Number.isFinite(w) ? [w, s, e, n] : null;
  }

  /* While the first view's tiles are made (in MapLibre's worker, one source after another), a
     frame is drawn only when it can show them all; the frame after the indexing asks for the
     tiles. The hold ends once the first view is drawn (idle), or after 4 s whatever happens.
     Returns `added(sourceIds)`, to call once every source is added. */
  function holdPartialFrames(map) {
    const own = map.triggerRepaint.bind(map);
    let asked = false, ids = null; // the sources, once they are all added
    const partial = () => !ids || !(map.areTilesLoaded() && ids.every((id) => !map.getSource(id) || map.getSource(id).loaded()));
    map.triggerRepaint = () => { if (partial()) asked = true; else { asked = false; own(); } };
    const check = () => { if (asked && !partial()) { asked = false; own(); } };
    const stop = () => { clearTimeout(timer); map.off("sourcedata", check); delete map.triggerRepaint; if (asked) own(); };
    const timer = setTimeout(stop, 4000);
    map.on("sourcedata", check);
    map.once("idle", stop);
    return (sourceIds) => { ids = sourceIds; check(); };
  }

  /* resolves in the `render` event of the first frame that draws the whole view */
  function drawn(map) {
    return new Promise((resolve) => {
      const seen = () => { if (map.loaded()) { map.off("render", seen); resolve(map); } };
      map.on("render", seen);
    });
  }

  const loaded = (map) => new Promise((resolve) => { if (map.loaded() && map.isStyleLoaded()) resolve(map); else map.once("load", () => resolve(map)); });
  const styleLoaded = (map) => new Promise((resolve) => { if (map.isStyleLoaded()) resolve(map); else map.once("style.load", () => resolve(map)); });

  /* A map made at once, while the page's data is asked for (WebGL and the style start meanwhile),
     that draws nothing until its first view is whole: every frame is held from the start (the
     4 s limit of the hold still applies), and `firstView(map, add, box)` fits it to `box` by a
     jump (no frame) before adding the sources. */
  function early(container, opts) {
    const map = makeMap(container, null, opts);
    map._firstViewHold = holdPartialFrames(map);
    map._firstViewFit = { padding: (opts && opts.padding != null) ? opts.padding : 30, maxZoom: (opts && opts.maxZoom) || 16 };
    return map;
  }
  function fit(map, box, how) {
    if (!box || box.length !== 4 || !box.every(Number.isFinite)) return;
    if (box[0] === box[2] && box[1] === box[3]) { map.jumpTo({ center: [box[0], box[1]], zoom: how.maxZoom }); return; }
    const cam = map.cameraForBounds([[box[0], box[1]], [box[2], box[3]]], how);
    if (cam) map.jumpTo(cam);
  }

  /* Once the style is in: holds partial frames (from the start for an `early` map), fits an
     early map to `box`, calls `add()` (which adds every source with its data and every layer),
     then resolves when the first frame with the whole view is drawn. */
  async function firstView(map, add, box) {
    const added = map._firstViewHold || holdPartialFrames(map);
    delete map._firstViewHold;
    await styleLoaded(map);
    if (map._firstViewFit) fit(map, box, map._firstViewFit);
    const done = drawn(map);
    add();
    added(Object.keys(map.getStyle().sources));
    map.triggerRepaint();
    return done;
  }

  return { makeMap, early, bbox, holdPartialFrames, drawn, firstView, loaded, styleLoaded };
})();
