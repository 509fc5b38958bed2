/* /premises: rated premises filtered by kind, stars, colour and station; the selected one's
   rating explained item by item, with its sign download. */
"use strict";
(function () {
  const { t, api, esc } = window.PA;
  const $ = (id) => document.getElementById(id);
  const LIMIT = 50;
  let offset = 0;
  let total = 0;
  const starText = (n) => "★".repeat(n) + "☆".repeat(5 - n);
  const COLOURS = { red: "#c62828", yellow: "#f2b600", green: "#2e7d32" };
  let mapReady = false;
  let pending = null;
  const map = new maplibregl.Map({ locale: window.PA.mapLocale,
    container: "pr-map",
    style: { version: 8, sources: {}, layers: [{ id: "bg", type: "background", paint: { "background-color": "#eef1f5" } }] },
    center: [102.71, 25.04], zoom: 11, attributionControl: false, maxPitch: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "bottom-left");
  map.on("load", () => {
    map.addSource("pr", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    // the stations' outlines, for orientation (no base map tiles: the app runs offline)
    map.addSource("st", { type: "geojson", data: { type: "FeatureCollection", features: [] } });
    map.addLayer({ id: "st", type: "line", source: "st", paint: { "line-color": "#7a8aa8", "line-width": 1 } });
    api("/api/v1/ogc/collections/stations/items?limit=1000").then((fc) => map.getSource("st").setData(fc)).catch(() => {});
    map.addLayer({ id: "pr", type: "circle", source: "pr", paint: { "circle-radius": 6, "circle-color": ["get", "c"], "circle-stroke-color": "#fff", "circle-stroke-width": 1.5 } });
    map.on("click", "pr", (e) => { const f = e.features && e.features[0]; if (f) show(f.properties.id); });
    mapReady = true;
    if (pending) plot(pending);
  });
  function plot(items) {
    if (!mapReady) { pending = items; return; }
    map.getSource("pr").setData({ type: "FeatureCollection", features: items.map((r) => ({
      type: "Feature", geometry: { type: "Point", coordinates: [r.lon, r.lat] }, properties: { id: r.premises_id, c: COLOURS[r.colour] } })) });
    if (items.length) {
      const b = new maplibregl.LngLatBounds();
      for (const r of items) b.extend([r.lon, r.lat]);
      map.fitBounds(b, { padding: 30, duration: 0, maxZoom: 15 });
    }
  }

  function query() {
    const p = new URLSearchParams({ limit: String(LIMIT), offset: String(offset) });
    const kind = $("f-kind").value, stars = $("f-stars").value;
    const colour = $("f-colour").value, station = $("f-station").value;
    if (kind) p.set("kind", kind);
    if (stars) p.set("stars", stars);
    if (colour) p.set("colour", colour);
    if (station) p.set("station_id", station);
    return p.toString();
  }

  async function loadList() {
    $("status").textContent = t("common.loading");
    const page = await api("/api/v1/ratings?" + query());
    total = page.total;
    const body = $("list").querySelector("tbody");
    if (!page.items.length) {
      body.innerHTML = `<tr><td colspan="4" class="muted">${esc(t("pr.none"))}</td></tr>`;
    } else {
      body.innerHTML = page.items.map((r) => `<tr class="row" data-id="${r.premises_id}">
        <td><span class="dot ${esc(r.colour)}"></span> ${esc(r.name)}</td>
        <td>${esc(t("pr.kind." + r.kind))}</td>
        <td class="stars ${esc(r.colour)}">${starText(r.stars)}</td>
        <td>${r.score.toFixed(1)} / ${r.max_score.toFixed(0)}</td></tr>`).join("");
    }
    $("page").textContent = total ? `${offset + 1}–${Math.min(offset + LIMIT, total)} / ${total}` : "0";
    $("prev").disabled = offset === 0;
    $("next").disabled = offset + LIMIT >= total;
    $("status").textContent = "";
    plot(page.items);
    return page.items;
  }

  // rental houses: the share registered by landlords through the QR plates (issue 23), with
  // how it is computed; only for the roles that read rental registrations
  async function rentalShare() {
    const box = $("pr-rental");
    if (!window.PA.can("rental.read") || $("f-kind").value !== "rental_house") { box.hidden = true; return; }
    const p = await api("/api/v1/rental-houses?limit=1");
    const share = p.registered_share === null ? "—" : `${Math.round(p.registered_share * 1000) / 10}%`;
    box.innerHTML = `${esc(t("pr.rental.share"))} <strong id="pr-rental-share">${esc(share)}</strong>
      (${esc(t("pr.rental.of").replace("{n}", p.houses_with_stay).replace("{m}", p.total))})
      <span class="sub">${esc(t("pr.rental.how"))}</span>`;
    box.hidden = false;
  }

  async function rentalStays(r) {
    const box = $("d-rental");
    if (r.kind !== "rental_house" || !window.PA.can("rental.read")) { box.hidden = true; return; }
    const page = await api(`/api/v1/rental-stays?premises_id=${r.premises_id}&limit=500`);
    const live = page.items.filter((s) => s.in_force).length;
    box.innerHTML = `${esc(t("pr.rental.house").replace("{n}", live).replace("{m}", page.total))}
      · <a href="/rentals">${esc(t("pr.rental.queue"))}</a>
      <span class="sub">${esc(t(live ? "pr.rental.counts" : "pr.rental.none"))}</span>`;
    box.hidden = false;
  }

  async function show(id) {
    document.querySelectorAll("#list tr.sel").forEach((tr) => tr.classList.remove("sel"));
    const tr = document.querySelector(`#list tr[data-id="${id}"]`);
    if (tr) tr.classList.add("sel");
    const r = await api(`/api/v1/premises/${id}/rating`);
    $("d-name").textContent = r.premises_name;
    $("d-head").innerHTML = `<div class="stars pr-big ${esc(r.colour)}">${starText(r.stars)}</div>
      <div>${esc(t("pr.colour." + r.colour))} · ${r.score.toFixed(1)} / ${r.max_score.toFixed(0)}
      · ${esc(t("pr.valid_until"))} ${esc(r.valid_until)} · ${esc(t("pr.version"))} ${esc(r.criteria_version)}
      ${r.revoked ? " · <strong>" + esc(t("pr.revoked")) + "</strong>" : ""}</div>`;
    const en = window.PA.lang === "en";
    $("d-items").innerHTML = r.items.map((i) => `<li><div class="row">
        <span>${esc(en ? i.label_en : i.label)}</span><strong>${i.points} / ${i.max}</strong></div>
        <div class="sub">${esc(en ? i.note : (i.note_zh || i.note))}</div>
        ${i.evidence.length ? "<ul>" + i.evidence.map((e) => `<li>${esc(t("kp.table." + e.table))} #${e.id} · ${esc(e.text)}</li>`).join("") + "</ul>" : ""}
      </li>`).join("");
    $("d-open").href = `/premises/${id}`;
    $("d-open").hidden = false;
    const a = $("d-sign");
    a.href = `/api/v1/premises/${id}/rating/sign.pdf`;
    a.hidden = false;
    await rentalStays(r).catch(() => { $("d-rental").hidden = true; });
  }

  async function refresh() {
    try {
      const items = await loadList();
      await rentalShare().catch(() => { $("pr-rental").hidden = true; });
      if (items.length) await show(items[0].premises_id);
    } catch (e) {
      $("status").textContent = String(e.message || e);
    }
    document.body.dataset.ready = "1";
  }

  $("list").addEventListener("click", (e) => {
    const tr = e.target.closest("tr.row");
    if (tr) show(tr.dataset.id).catch((err) => { $("status").textContent = String(err.message || err); });
  });
  ["f-kind", "f-stars", "f-colour", "f-station"].forEach((id) =>
    $(id).addEventListener("change", () => { offset = 0; document.body.dataset.ready = "0"; refresh(); }));
  $("prev").addEventListener("click", () => { offset = Math.max(0, offset - LIMIT); refresh(); });
  $("next").addEventListener("click", () => { offset += LIMIT; refresh(); });
  refresh();
})();
